using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class PrototypicalityTests
{
    [Fact]
    public void Percentiles_DistinctValues()
    {
        Assert.Equal(new[] { 1.0, 0.0, 0.5 }, Prototypicality.Percentiles(new[] { 3.0, 1.0, 2.0 }));
        Assert.Equal(new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }, Prototypicality.Percentiles(new[] { -4.0, 0.0, 0.5, 7.0, 1e300 }));
    }

    [Fact]
    public void Percentiles_TiesShareTheLowerValue()
    {
        // sorted: 0 | 1 1 | 2 2 → 0/4, 1/4, 3/4
        Assert.Equal(new[] { 0.75, 0.25, 0.75, 0.0, 0.25 }, Prototypicality.Percentiles(new[] { 2.0, 1.0, 2.0, 0.0, 1.0 }));
        // the hardest record is tied, so nobody reaches 1
        Assert.Equal(new[] { 0.0, 0.5, 0.5 }, Prototypicality.Percentiles(new[] { 1.0, 9.0, 9.0 }));
        Assert.Equal(new[] { 0.0, 0.0, 0.0, 0.0 }, Prototypicality.Percentiles(new[] { 5.0, 5.0, 5.0, 5.0 }));
    }

    [Fact]
    public void Percentiles_SingleAndEmpty()
    {
        Assert.Equal(new[] { 0.0 }, Prototypicality.Percentiles(new[] { 42.0 }));
        Assert.Empty(Prototypicality.Percentiles(Array.Empty<double>()));
    }

    [Fact]
    public void Percentiles_MatchBruteForceDefinition()
    {
        var rng = new Random(3);
        var dist = Enumerable.Range(0, 301).Select(_ => (double)rng.Next(40)).ToArray(); // many ties
        var p = Prototypicality.Percentiles(dist);
        for (int i = 0; i < dist.Length; i++)
        {
            int smaller = dist.Count(v => v < dist[i]);
            Assert.Equal((double)smaller / (dist.Length - 1), p[i]);
        }
    }

    [Fact]
    public void ClassMeans_Euclidean_HandComputed()
    {
        // class "b": (0,0) (3,0) (0,3) → mean (1,1); class "a": (10,10) (12,14) → mean (11,12)
        float[] x = { 0, 0, 10, 10, 3, 0, 12, 14, 0, 3 };
        string[] labels = { "b", "a", "b", "a", "b" };
        var model = Prototypicality.ClassMeans(x, 5, 2, labels, DistanceMetric.Euclidean, out var classes, out var classOf);
        Assert.Equal(new[] { "a", "b" }, classes);            // ordinal order, not first appearance
        Assert.Equal(new[] { 1, 0, 1, 0, 1 }, classOf);
        Assert.Equal(2, model.K);
        Assert.Equal(DistanceMetric.Euclidean, model.Metric);
        Assert.Equal(new float[] { 11, 12 }, model.Centroids[0]);
        Assert.Equal(new float[] { 1, 1 }, model.Centroids[1]);
        Assert.Equal(new[] { 2, 3 }, model.ClusterSizes);
        Assert.Equal(5, model.TrainingCount);

        var d = Prototypicality.ToAssigned(x, 5, model, classOf);
        double[] expected = { Math.Sqrt(2), Math.Sqrt(1 + 4), Math.Sqrt(4 + 1), Math.Sqrt(1 + 4), Math.Sqrt(1 + 4) };
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], d[i], 12);
    }

    [Fact]
    public void ClassMeans_OrdinalOrder_IsCaseSensitive()
    {
        float[] x = { 1, 2, 3 };
        Prototypicality.ClassMeans(x, 3, 1, new[] { "b", "B", "a" }, DistanceMetric.Euclidean, out var classes, out var classOf);
        Assert.Equal(new[] { "B", "a", "b" }, classes);
        Assert.Equal(new[] { 2, 0, 1 }, classOf);
    }

    [Fact]
    public void ClassMeans_Cosine_HandComputed()
    {
        float s = (float)Math.Sqrt(0.5);
        // class "x": (1,0), (0,1) → normalised mean (s, s); class "y": (−1,0), (−0.6,−0.8) → sum (−1.6,−0.8)
        float[] x = { 1, 0, -1, 0, 0, 1, -0.6f, -0.8f };
        string[] labels = { "x", "y", "x", "y" };
        var model = Prototypicality.ClassMeans(x, 4, 2, labels, DistanceMetric.Cosine, out var classes, out var classOf);
        Assert.Equal(new[] { "x", "y" }, classes);
        Assert.Equal(s, model.Centroids[0][0], 6);
        Assert.Equal(s, model.Centroids[0][1], 6);
        double ny = Math.Sqrt(1.6 * 1.6 + 0.8 * 0.8);
        Assert.Equal(-1.6 / ny, model.Centroids[1][0], 6);
        Assert.Equal(-0.8 / ny, model.Centroids[1][1], 6);

        var d = Prototypicality.ToAssigned(x, 4, model, classOf);
        double cx = 1 - Math.Sqrt(0.5);                      // 1 − cos 45°
        double cy0 = 1 - (1.6 / ny);                         // (−1,0)·(−1.6,−0.8)/‖…‖
        double cy1 = 1 - (0.6 * 1.6 + 0.8 * 0.8) / ny;
        Assert.Equal(cx, d[0], 6);
        Assert.Equal(cy0, d[1], 6);
        Assert.Equal(cx, d[2], 6);
        Assert.Equal(cy1, d[3], 6);
    }

    [Fact]
    public void ToAssigned_UsesTheGivenAssignment_NotTheNearest()
    {
        var model = new KMeansModel(new float[] { 0, 0, 10, 0 }, 2, 2, DistanceMetric.Euclidean);
        float[] x = { 1, 0, 9, 0 };
        var d = Prototypicality.ToAssigned(x, 2, model, new[] { 1, 0 });
        Assert.Equal(new[] { 9.0, 9.0 }, d);
    }

    [Fact]
    public void ClassMeans_RandomData_MatchesNaiveMeans()
    {
        const int n = 2000, d = 11;
        var raw = TestData.Gaussian(n, d, seed: 4);
        var rng = new Random(8);
        var labels = Enumerable.Range(0, n).Select(_ => "c" + rng.Next(13)).ToArray();
        foreach (var metric in new[] { DistanceMetric.Euclidean, DistanceMetric.Cosine })
        {
            var x = EmbeddingMatrix.Build(TestData.Rows(raw, n, d), metric, out _).Data.ToArray();
            var model = Prototypicality.ClassMeans(x, n, d, labels, metric, out var classes, out var classOf);
            for (int c = 0; c < classes.Length; c++)
            {
                var sum = new double[d];
                int count = 0;
                for (int i = 0; i < n; i++)
                    if (labels[i] == classes[c]) { count++; for (int j = 0; j < d; j++) sum[j] += x[i * d + j]; }
                double div = metric == DistanceMetric.Euclidean ? count : Math.Sqrt(sum.Sum(v => v * v));
                for (int j = 0; j < d; j++) Assert.Equal(sum[j] / div, model.Centroids[c][j], 5);
            }
            var dist = Prototypicality.ToAssigned(x, n, model, classOf);
            for (int i = 0; i < n; i += 37)
            {
                double sq = TestData.SqDist(x.AsSpan(i * d, d), model.Centroids[classOf[i]]);
                Assert.Equal(metric == DistanceMetric.Euclidean ? Math.Sqrt(sq) : sq / 2, dist[i], 12);
            }
        }
    }

    [Fact]
    public void ClassMeans_CosineCancellingClass_Throws()
    {
        float[] x = { 1, 0, -1, 0, 0, 1 };
        var e = Assert.Throws<InvalidOperationException>(() =>
            Prototypicality.ClassMeans(x, 3, 2, new[] { "p", "p", "q" }, DistanceMetric.Cosine, out _, out _));
        Assert.Contains("'p'", e.Message);
    }
}

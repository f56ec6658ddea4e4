using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// Skipping settled records must be invisible: with and without it, every iteration assigns the
/// same records to the same centroids, so centroids, history and the final model agree bit for
/// bit. The data sets cover what stresses the bounds: well-separated blobs (almost everything
/// is skipped), overlapping blobs (little is), exact duplicates and points midway between two
/// centres (ties), re-seeded empty clusters, Cosine, and large offsets where the kernel's
/// rounding is largest.
/// </summary>
public class LloydBoundsTests
{
    private static float[] Mixture(int n, int d, int clusters, double spread, int seed, double offset = 0)
    {
        var rng = new Random(seed);
        var centres = new double[clusters * d];
        for (int i = 0; i < centres.Length; i++) centres[i] = TestData.NextGaussian(rng) + offset;
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            int c = rng.Next(clusters);
            for (int j = 0; j < d; j++) x[i * d + j] = (float)(centres[c * d + j] + spread * TestData.NextGaussian(rng));
        }
        return x;
    }

    private static (KMeansModel Model, int[] Assignment) Fit(float[] x, int n, int d, KMeansOptions o, bool skip)
    {
        o.SkipSettledRecords = skip;
        return KMeansTrainer.FitAndAssign(x, n, d, o);
    }

    private static void AssertIdentical(float[] x, int n, int d, KMeansOptions options, bool expectSkips)
    {
        var (plain, plainAssign) = Fit(x, n, d, options, skip: false);
        var (fast, fastAssign) = Fit(x, n, d, options, skip: true);
        Assert.Equal(plainAssign, fastAssign);
        Assert.Equal(plain.CentroidBuffer, fast.CentroidBuffer);
        Assert.Equal(plain.Inertia, fast.Inertia);
        Assert.Equal(plain.Iterations, fast.Iterations);
        Assert.Equal(plain.History.Select(h => (h.Objective, h.Changed, h.Reseeded)), fast.History.Select(h => (h.Objective, h.Changed, h.Reseeded)));
        Assert.All(plain.History, h => Assert.Equal(n, h.Searched));
        if (expectSkips) Assert.Contains(fast.History.Skip(1), h => h.Searched < n / 2);
    }

    [Theory]
    [InlineData(3000, 16, 20, 0.2, true)]    // well separated: most records skipped
    [InlineData(3000, 16, 20, 1.5, false)]   // overlapping: few can be
    [InlineData(2000, 64, 50, 0.5, true)]
    public void SameAssignmentsAsPlainLloyd_Euclidean(int n, int d, int clusters, double spread, bool expectSkips)
    {
        var x = Mixture(n, d, clusters, spread, seed: n + d);
        AssertIdentical(x, n, d, new KMeansOptions { K = clusters, Metric = DistanceMetric.Euclidean, Seed = 3, MaxIterations = 50, Tolerance = 0 }, expectSkips);
    }

    [Fact]
    public void SameAssignmentsAsPlainLloyd_Cosine_AndMoreClustersThanBlobs()
    {
        int n = 2500, d = 24;
        var x = Mixture(n, d, 8, 0.3, seed: 11);
        // 30 centroids over 8 blobs: clusters split blobs, so many records sit near a boundary.
        AssertIdentical(x, n, d, new KMeansOptions { K = 30, Metric = DistanceMetric.Cosine, Seed = 5, MaxIterations = 60, Tolerance = 0 }, expectSkips: false);
    }

    [Fact]
    public void SameAssignmentsAsPlainLloyd_WithTiesDuplicatesAndReseeding()
    {
        // Points on a line: duplicates, and points exactly midway between two others; random
        // starts put several centroids on duplicates, which empties clusters and forces re-seeding.
        int d = 3;
        var rows = new List<float[]>();
        for (int i = 0; i < 400; i++)
        {
            float t = (i % 40) * 0.5f;
            rows.Add(new[] { t, 0f, 0f });
            if (i % 3 == 0) rows.Add(new[] { t, 0f, 0f });
            if (i % 5 == 0) rows.Add(new[] { t + 0.25f, 0f, 0f });
        }
        int n = rows.Count;
        var x = rows.SelectMany(r => r).ToArray();
        foreach (var seed in new[] { 1L, 2L, 3L })
            AssertIdentical(x, n, d, new KMeansOptions { K = 12, Metric = DistanceMetric.Euclidean, Init = KMeansInit.Random, Seed = seed, MaxIterations = 40, Tolerance = 0 }, expectSkips: false);
    }

    [Fact]
    public void SameAssignmentsAsPlainLloyd_FarFromTheOrigin()
    {
        // A large common offset makes ‖x‖² − 2x·c + ‖c‖² cancel heavily: the kernel's rounding
        // is then as large as it gets relative to the distances, and the margin must cover it.
        int n = 2000, d = 32;
        var x = Mixture(n, d, 10, 0.3, seed: 7, offset: 300);
        AssertIdentical(x, n, d, new KMeansOptions { K = 10, Metric = DistanceMetric.Euclidean, Seed = 9, MaxIterations = 40, Tolerance = 0 }, expectSkips: false);
    }

    [Fact]
    public void WithSkipping_OneThreadAndManyGiveTheSameModel()
    {
        int n = 4000, d = 32;
        var x = Mixture(n, d, 25, 0.4, seed: 2);
        KMeansModel Run(int threads) => KMeansTrainer.Fit(x, n, d, new KMeansOptions
        {
            K = 25, Metric = DistanceMetric.Euclidean, Seed = 8, MaxIterations = 30, Tolerance = 0, MaxThreads = threads, SkipSettledRecords = true,
        });
        var one = Run(1);
        var many = Run(-1);
        Assert.Equal(one.CentroidBuffer, many.CentroidBuffer);
        Assert.Equal(one.Inertia, many.Inertia);
        Assert.Equal(one.History.Select(h => h.Searched), many.History.Select(h => h.Searched));
        Assert.Contains(one.History, h => h.Searched < n);
    }

    [Fact]
    public void ObjectiveFromClusterSums_EqualsTheDirectSum()
    {
        // History[1].Objective is Σ‖x − c₁(x)‖², c₁ the centroids after the first update and
        // c₁(x) the nearest of them; it is computed from cluster sums, so check it the long way.
        int n = 1500, d = 20, k = 6;
        var x = Mixture(n, d, k, 0.8, seed: 21);
        var options = new KMeansOptions { K = k, Metric = DistanceMetric.Euclidean, Seed = 1, MaxIterations = 1, RunAllIterations = true };
        var c1 = KMeansTrainer.Fit(x, n, d, options).CentroidBuffer;
        options.MaxIterations = 2;
        var two = KMeansTrainer.Fit(x, n, d, options);
        double direct = 0;
        for (int i = 0; i < n; i++)
            direct += Enumerable.Range(0, k).Min(c => TestData.SqDist(x.AsSpan(i * d, d), c1.AsSpan(c * d, d)));
        Assert.Equal(direct, two.History[1].Objective, direct * 1e-9);
        Assert.True(two.History[1].Objective < two.History[0].Objective);
    }
}

using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>The k-means++ step with triangle-inequality pruning, against a naive computation.</summary>
public class KMeansPlusPlusTests
{
    [Theory]
    [InlineData(37, 17)]
    [InlineData(1000, 64)]
    [InlineData(513, 130)]
    public void PrunedUpdate_MatchesNaiveNearestDistances(int n, int d)
    {
        var x = TestData.Gaussian(n, d, seed: n + d);
        var norms = TestData.RowNorms(x, n, d);
        var minDist = Enumerable.Repeat(float.PositiveInfinity, n).ToArray();
        var nearest = new int[n];
        var centres = new List<int> { 0, n / 3, n / 2, n - 1, 7 };
        var centroidDist = new float[centres.Count];
        for (int j = 0; j < centres.Count; j++)
        {
            var c = x.AsSpan(centres[j] * d, d);
            for (int a = 0; a < j; a++) centroidDist[a] = (float)TestData.SqDist(c, x.AsSpan(centres[a] * d, d));
            DistanceKernel.UpdateMinSquaredDistancesPruned(x, norms, n, c, minDist, nearest, centroidDist, j);
        }
        for (int i = 0; i < n; i++)
        {
            // Naive: nearest chosen centre in double, lowest index on ties.
            double best = double.PositiveInfinity;
            int bestJ = -1;
            for (int j = 0; j < centres.Count; j++)
            {
                double s = TestData.SqDist(x.AsSpan(i * d, d), x.AsSpan(centres[j] * d, d));
                if (s < best) { best = s; bestJ = j; }
            }
            Assert.True(Math.Abs(minDist[i] - best) <= 1e-3 * (1 + best), $"row {i}: {minDist[i]} vs {best}");
            Assert.True(minDist[i] == 0 || nearest[i] == bestJ || Math.Abs(TestData.SqDist(x.AsSpan(i * d, d), x.AsSpan(centres[nearest[i]] * d, d)) - best) <= 1e-3 * (1 + best));
        }
    }

    [Fact]
    public void PrunedUpdate_IsBitIdenticalAcrossInstructionSets()
    {
        int n = 301, d = 45;
        var x = TestData.Gaussian(n, d, seed: 5);
        var norms = TestData.RowNorms(x, n, d);
        float[] Run(DistanceKernel.Isa isa)
        {
            var minDist = Enumerable.Repeat(float.PositiveInfinity, n).ToArray();
            var nearest = new int[n];
            var cd = new float[3];
            for (int j = 0; j < 3; j++)
            {
                var c = x.AsSpan((j * 97) * d, d);
                for (int a = 0; a < j; a++) cd[a] = DistanceKernel.SquaredDistance16(c, x.AsSpan((a * 97) * d, d));
                DistanceKernel.UpdateMinSquaredDistancesPruned(x, norms, n, c, minDist, nearest, cd, j, isa: isa);
            }
            return minDist;
        }
        var scalar = Run(DistanceKernel.Isa.Scalar);
        Assert.Equal(scalar, Run(DistanceKernel.Detect()));
    }

    [Fact]
    public void SampledInit_PicksDistinctRecordsSpreadAcrossBlobs()
    {
        // Four far-apart blobs: k-means++ with K = 4 must put one centroid in each.
        int per = 3000, d = 8, k = 4;
        var x = new float[4 * per * d];
        var rng = new Random(3);
        for (int b = 0; b < 4; b++)
            for (int i = 0; i < per; i++)
                for (int j = 0; j < d; j++)
                    x[(b * per + i) * d + j] = (j == b ? 100f : 0f) + (float)TestData.NextGaussian(rng);
        var c = KMeansTrainer.InitPlusPlus(x, 4 * per, d, k, sampleSize: 2000, new DeterministicRandom(1), -1, default);
        var blobs = Enumerable.Range(0, k).Select(j => Enumerable.Range(0, d).OrderByDescending(t => c[j * d + t]).First()).OrderBy(b => b).ToArray();
        Assert.Equal(new[] { 0, 1, 2, 3 }, blobs);
    }
}

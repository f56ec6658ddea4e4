using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>Greedy k-means++ seeding and the kernel routine that scores its candidates.</summary>
public class KMeansPlusPlusTests
{
    [Theory]
    [InlineData(37, 17, 1)]
    [InlineData(1000, 64, 8)]
    [InlineData(513, 130, 32)]
    public void DistancesToPanel_MatchesNaiveSquaredDistances(int n, int d, int k)
    {
        var x = TestData.Gaussian(n, d, seed: n + d);
        var c = TestData.Gaussian(k, d, seed: k);
        var result = new float[n * k];
        DistanceKernel.DistancesToPanel(x, TestData.RowNorms(x, n, d), n, DistanceKernel.Pack(c, k, d), result);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
            {
                double expected = TestData.SqDist(x.AsSpan(i * d, d), c.AsSpan(j * d, d));
                Assert.True(Math.Abs(result[i * k + j] - expected) <= 1e-4 * (1 + expected), $"({i},{j}): {result[i * k + j]} vs {expected}");
            }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(16)]   // the widest that takes the 16-lane path
    [InlineData(17)]   // the full 32-lane tile
    public void DistancesToPanel_IsBitIdenticalAcrossInstructionSets_AndRefusesTwoPanels(int k)
    {
        int n = 301, d = 45;
        var x = TestData.Gaussian(n, d, seed: 5);
        var norms = TestData.RowNorms(x, n, d);
        var packed = DistanceKernel.Pack(x.AsSpan(0, k * d), k, d);
        var scalar = new float[n * k];
        var native = new float[n * k];
        DistanceKernel.DistancesToPanel(x, norms, n, packed, scalar, isa: DistanceKernel.Isa.Scalar);
        DistanceKernel.DistancesToPanel(x, norms, n, packed, native);
        Assert.Equal(scalar, native);
        Assert.Throws<ArgumentException>(() => DistanceKernel.DistancesToPanel(x, norms, n, DistanceKernel.Pack(x.AsSpan(0, 33 * d), 33, d), new float[n * 33]));
    }

    [Fact]
    public void GreedySeeding_PutsOneCentroidInEachOfManySeparatedBlobs()
    {
        // 40 well-separated blobs, K = 40: plain k-means++ often doubles up on a blob;
        // the greedy variant (several candidates per step, best potential) should not.
        int blobs = 40, per = 60, d = 40;
        var x = new float[blobs * per * d];
        var rng = new Random(11);
        for (int b = 0; b < blobs; b++)
            for (int i = 0; i < per; i++)
                for (int j = 0; j < d; j++)
                    x[(b * per + i) * d + j] = (j == b ? 50f : 0f) + (float)TestData.NextGaussian(rng);
        for (long seed = 0; seed < 3; seed++)
        {
            var c = KMeansTrainer.InitPlusPlus(x, blobs * per, d, blobs, sampleSize: 0, new DeterministicRandom(seed), -1, default);
            var hit = Enumerable.Range(0, blobs).Select(j => Enumerable.Range(0, d).OrderByDescending(t => c[j * d + t]).First()).Distinct().Count();
            Assert.Equal(blobs, hit);
        }
    }
}

/// <summary>Both centroid-update strategies (chosen by K·D) against a naive mean.</summary>
public class CentroidUpdateTests
{
    [Theory]
    [InlineData(20000, 16, 10)]    // K·D small: per-chunk streaming sums (several chunks)
    [InlineData(3000, 256, 300)]   // K·D large: members summed per cluster
    public void UpdateCentroids_EqualsTheNaiveMean_OnAnyThreadCount(int n, int d, int k)
    {
        var x = TestData.Gaussian(n, d, seed: d);
        var rng = new Random(k);
        var assignment = Enumerable.Range(0, n).Select(_ => rng.Next(k - 1)).ToArray(); // the last cluster stays empty
        var one = new float[k * d];
        var many = new float[k * d];
        var sizes = KMeansTrainer.UpdateCentroids(x, n, d, k, assignment, one, DistanceMetric.Euclidean, 1, default);
        KMeansTrainer.UpdateCentroids(x, n, d, k, assignment, many, DistanceMetric.Euclidean, -1, default);
        Assert.Equal(one, many);
        Assert.Equal(0, sizes[k - 1]);
        for (int c = 0; c < k - 1; c++)
        {
            var members = Enumerable.Range(0, n).Where(i => assignment[i] == c).ToArray();
            Assert.Equal(members.Length, sizes[c]);
            for (int j = 0; j < d; j++)
            {
                double mean = members.Sum(i => (double)x[i * d + j]) / members.Length;
                Assert.True(Math.Abs(one[c * d + j] - mean) <= 1e-5 * (1 + Math.Abs(mean)), $"cluster {c} dim {j}: {one[c * d + j]} vs {mean}");
            }
        }
    }
}

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
                Assert.True(Math.Abs(result[j * n + i] - expected) <= 1e-4 * (1 + expected), $"({i},{j}): {result[j * n + i]} vs {expected}");
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

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(15, 45, 8)]      // fewer rows than one lane group
    [InlineData(33, 45, 8)]      // two groups and one row: a padded group pair
    [InlineData(301, 130, 9)]    // a second pass of candidates with one in it
    [InlineData(500, 7, 13)]
    [InlineData(97, 300, 32)]    // the most a caller may ask for
    public void CandidateDistances_MatchThePanelPath_BitForBit(int n, int d, int count)
    {
        // The lane kernel (AVX-512) must give exactly what the panel tile gives on every other
        // instruction set, so seeding picks the same centroids on every machine.
        var x = TestData.Gaussian(n, d, seed: n * 7 + d);
        var norms = TestData.RowNorms(x, n, d);
        var candidates = TestData.Gaussian(count, d, seed: count, scale: 2);
        candidates.AsSpan(0, d).Clear();                                     // ‖c‖ = 0 …
        if (n > 1) x.AsSpan(d, d).CopyTo(candidates.AsSpan((count - 1) * d, d)); // … and a candidate on a row: distance 0, never negative
        var native = Enumerable.Repeat(-1f, count * n + 3).ToArray();
        var panel = Enumerable.Repeat(-1f, count * n + 3).ToArray();
        DistanceKernel.CandidateDistances(DistanceKernel.PrepareCandidateRows(x, norms, n, d), candidates, count, native);
        DistanceKernel.CandidateDistances(DistanceKernel.PrepareCandidateRows(x, norms, n, d, DistanceKernel.Isa.Scalar), candidates, count, panel);
        Assert.Equal(panel, native);
        Assert.All(native.Take(count * n), v => Assert.True(v >= 0 && !float.IsNegative(v)));
        Assert.Equal(new[] { -1f, -1f, -1f }, native.Skip(count * n));    // nothing written past count × n
        for (int i = 0; i < n; i += 7)
            for (int j = 0; j < count; j++)
            {
                double expected = TestData.SqDist(x.AsSpan(i * d, d), candidates.AsSpan(j * d, d));
                Assert.True(Math.Abs(native[j * n + i] - expected) <= 1e-4 * (1 + expected), $"({i},{j}): {native[j * n + i]} vs {expected}");
            }
        Assert.Throws<ArgumentException>(() => DistanceKernel.CandidateDistances(DistanceKernel.PrepareCandidateRows(x, norms, n, d), TestData.Gaussian(33, d, seed: 1), 33, new float[33 * n]));
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

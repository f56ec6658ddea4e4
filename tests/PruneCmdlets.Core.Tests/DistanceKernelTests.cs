using PruneCmdlets.Numerics;
using Xunit;
using Isa = PruneCmdlets.Numerics.DistanceKernel.Isa;

namespace PruneCmdlets.Core.Tests;

public class DistanceKernelTests
{
    private static readonly Isa[] AllIsas = Enum.GetValues<Isa>();

    private static (int[] idx, float[] dist) RunNearest(float[] x, int n, float[] c, int k, int d, Isa isa, int maxThreads = -1, float[]? xNorms = null)
    {
        var idx = new int[n];
        var dist = new float[n];
        DistanceKernel.Nearest(x, xNorms ?? TestData.RowNorms(x, n, d), n, DistanceKernel.Pack(c, k, d), idx, dist, maxThreads, default, isa);
        return (idx, dist);
    }

    public static TheoryData<int, int, int> AwkwardSizes => new()
    {
        // n not a multiple of 6 (tile) or 96 (block), k not a multiple of 32 (panel)
        { 1, 1, 1 },
        { 13, 5, 1 },
        { 7, 33, 17 },
        { 97, 31, 130 },
        { 203, 65, 17 },
        { 101, 97, 3 },
        { 289, 7, 130 },
    };

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public void Nearest_MatchesBruteForceInDouble(int n, int k, int d)
    {
        var x = TestData.Gaussian(n, d, seed: 1000 + n);
        var c = TestData.Gaussian(k, d, seed: 2000 + k);
        foreach (var isa in AllIsas)
        {
            var (idx, dist) = RunNearest(x, n, c, k, d, isa);
            int decisive = 0;
            for (int i = 0; i < n; i++)
            {
                var xi = x.AsSpan(i * d, d);
                var all = new double[k];
                for (int j = 0; j < k; j++) all[j] = TestData.SqDist(xi, c.AsSpan(j * d, d));
                int best = 0;
                for (int j = 1; j < k; j++) if (all[j] < all[best]) best = j;
                double second = double.PositiveInfinity;
                for (int j = 0; j < k; j++) if (j != best && all[j] < second) second = all[j];
                double xn = TestData.SqDist(xi, new float[d]);
                double tol = 1e-5 * (xn + all.Max()) + 1e-6;

                Assert.InRange(idx[i], 0, k - 1);
                Assert.True(all[idx[i]] <= all[best] + tol, $"row {i} ({isa}): picked {idx[i]} at {all[idx[i]]}, best is {best} at {all[best]}");
                Assert.True(dist[i] >= 0f);
                Assert.True(Math.Abs(dist[i] - all[best]) <= tol, $"row {i} ({isa}): kernel distance {dist[i]} vs exact {all[best]}");
                if (second - all[best] > 2 * tol) { decisive++; Assert.Equal(best, idx[i]); }
            }
            Assert.True(decisive >= n * 0.9, $"only {decisive} of {n} rows had a clear nearest centroid; test is too weak");
        }
    }

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public void Nearest_SecondDistance_IsTheRunnerUp_TheSameOnEveryIsa(int n, int k, int d)
    {
        var x = TestData.Gaussian(n, d, seed: 3000 + n);
        var c = TestData.Gaussian(k, d, seed: 4000 + k);
        if (k > 40) c.AsSpan(5 * d, d).CopyTo(c.AsSpan(37 * d, d));   // a duplicate centroid across panels: runner-up = nearest for its rows
        var norms = TestData.RowNorms(x, n, d);
        float[]? firstDist = null, firstSecond = null;
        foreach (var isa in AllIsas)
        {
            var idx = new int[n];
            var dist = new float[n];
            var second = new float[n];
            DistanceKernel.Nearest(x, norms, n, DistanceKernel.Pack(c, k, d), idx, dist, isa: isa, secondDist: second);
            for (int i = 0; i < n; i++)
            {
                var all = Enumerable.Range(0, k).Select(j => TestData.SqDist(x.AsSpan(i * d, d), c.AsSpan(j * d, d))).ToArray();
                double runnerUp = Enumerable.Range(0, k).Where(j => j != idx[i]).Select(j => all[j]).DefaultIfEmpty(double.PositiveInfinity).Min();
                double tol = 1e-5 * (TestData.SqDist(x.AsSpan(i * d, d), new float[d]) + all.Max()) + 1e-6;
                if (k == 1) Assert.Equal(float.PositiveInfinity, second[i]);
                else Assert.True(Math.Abs(second[i] - runnerUp) <= tol, $"row {i} ({isa}): runner-up {second[i]} vs exact {runnerUp}");
                Assert.True(second[i] >= dist[i]);
            }
            // Every instruction set gives the same floats, the runner-up included.
            firstDist ??= dist;
            firstSecond ??= second;
            Assert.Equal(firstDist, dist);
            Assert.Equal(firstSecond, second);
            // Only the rows asked for, the same as a full pass.
            var rows = Enumerable.Range(0, n).Where(i => i % 3 != 1).ToArray();
            var rowIdx = new int[rows.Length];
            var rowDist = new float[rows.Length];
            var rowSecond = new float[rows.Length];
            DistanceKernel.NearestRows(x, norms, rows, DistanceKernel.Pack(c, k, d), rowIdx, rowDist, isa: isa, secondDist: rowSecond);
            Assert.Equal(rows.Select(i => second[i]), rowSecond);
        }
    }

    [Fact]
    public void Nearest_TiesGoToLowerIndex_WithinAndAcrossPanels()
    {
        const int k = 70, d = 17, n = 6;
        var c = TestData.Gaussian(k, d, seed: 7, scale: 5);
        // Exact duplicates: 3 == 40 == 69 (three panels), 4 == 5 (one panel), 64 == 33 (panels 1 and 2).
        // 8 == 24 and 9 == 41 share a SIMD lane (≡ mod 16): in one panel, and in two panels.
        c.AsSpan(3 * d, d).CopyTo(c.AsSpan(40 * d, d));
        c.AsSpan(3 * d, d).CopyTo(c.AsSpan(69 * d, d));
        c.AsSpan(4 * d, d).CopyTo(c.AsSpan(5 * d, d));
        c.AsSpan(33 * d, d).CopyTo(c.AsSpan(64 * d, d));
        c.AsSpan(8 * d, d).CopyTo(c.AsSpan(24 * d, d));
        c.AsSpan(9 * d, d).CopyTo(c.AsSpan(41 * d, d));
        var x = new float[n * d];
        c.AsSpan(3 * d, d).CopyTo(x.AsSpan(0, d));
        for (int p = 0; p < d; p++) x[1 * d + p] = c[4 * d + p] + 0.01f;
        c.AsSpan(33 * d, d).CopyTo(x.AsSpan(2 * d, d));
        c.AsSpan(69 * d, d).CopyTo(x.AsSpan(3 * d, d)); // a copy of the last duplicate still resolves to 3
        c.AsSpan(24 * d, d).CopyTo(x.AsSpan(4 * d, d));
        c.AsSpan(41 * d, d).CopyTo(x.AsSpan(5 * d, d));
        foreach (var isa in AllIsas)
        {
            var (idx, _) = RunNearest(x, n, c, k, d, isa);
            Assert.Equal(new[] { 3, 4, 33, 3, 8, 9 }, idx);
        }
    }

    [Fact]
    public void Nearest_AllCentroidsIdentical_PicksZero()
    {
        const int k = 40, d = 3, n = 9;
        var c = new float[k * d];
        for (int j = 0; j < k; j++) { c[j * d] = 1; c[j * d + 1] = 2; c[j * d + 2] = 3; }
        var x = TestData.Gaussian(n, d, seed: 3);
        foreach (var isa in AllIsas)
            Assert.All(RunNearest(x, n, c, k, d, isa).idx, i => Assert.Equal(0, i));
    }

    [Fact]
    public void Nearest_ClampsNegativeDistanceToZero()
    {
        // x = c0 = (3, 4); with ‖x‖² deliberately passed as 0 the expansion gives 0 − 2·25 + 25 = −25.
        float[] x = { 3, 4 };
        float[] c = { 3, 4, 100, 100 };
        foreach (var isa in AllIsas)
        {
            var (idx, dist) = RunNearest(x, 1, c, 2, 2, isa, xNorms: new[] { 0f });
            Assert.Equal(0, idx[0]);
            Assert.Equal(0f, dist[0]);
            Assert.False(float.IsNegative(dist[0]));
        }
    }

    [Fact]
    public void Nearest_RowsOnTheirCentroid_AreNeverNegative()
    {
        const int k = 37, d = 130, n = 111;
        var c = TestData.Gaussian(k, d, seed: 11, scale: 3);
        var x = new float[n * d];
        for (int i = 0; i < n; i++) c.AsSpan((i % k) * d, d).CopyTo(x.AsSpan(i * d, d));
        foreach (var isa in AllIsas)
        {
            var (idx, dist) = RunNearest(x, n, c, k, d, isa);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(i % k, idx[i]);
                Assert.True(dist[i] >= 0f && dist[i] < 1e-2f, $"row {i}: {dist[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public void Nearest_AllIsaPathsAndThreadCounts_BitIdentical(int n, int k, int d)
    {
        var x = TestData.Gaussian(n, d, seed: 31 + n);
        var c = TestData.Gaussian(k, d, seed: 37 + k);
        var (refIdx, refDist) = RunNearest(x, n, c, k, d, Isa.Scalar, maxThreads: 1);
        foreach (var isa in AllIsas)
            foreach (int threads in new[] { 1, 2, -1 })
            {
                var (idx, dist) = RunNearest(x, n, c, k, d, isa, threads);
                Assert.Equal(refIdx, idx);
                Assert.Equal(refDist.Select(BitConverter.SingleToInt32Bits), dist.Select(BitConverter.SingleToInt32Bits));
            }
    }

    [Fact]
    public void Nearest_EmptyInput_DoesNothing()
    {
        var c = TestData.Gaussian(3, 4, seed: 1);
        var (idx, dist) = RunNearest(Array.Empty<float>(), 0, c, 3, 4, Isa.Auto);
        Assert.Empty(idx);
        Assert.Empty(dist);
    }

    [Fact]
    public void Pack_RejectsShortBuffer()
    {
        Assert.Throws<ArgumentException>(() => DistanceKernel.Pack(new float[5], 2, 3));
    }

    [Fact]
    public void Pack_PadsWithInfiniteNorms()
    {
        var c = new float[] { 1, 2, 3, 4, 5, 6 }; // k = 3, d = 2
        var p = DistanceKernel.Pack(c, 3, 2);
        Assert.Equal(1, p.PanelCount);
        Assert.Equal(new float[] { 5, 25, 61 }, p.Norms.Take(3));
        Assert.All(p.Norms.Skip(3), v => Assert.Equal(float.PositiveInfinity, v));
        // [panel][D][32]: dimension 1 of centroid 2 sits at 1·32 + 2.
        Assert.Equal(6f, p.Panels[1 * 32 + 2]);
        Assert.Equal(3f, p.Panels[0 * 32 + 1]);
    }

    [Fact]
    public void ExactSquaredDistance_HandValues()
    {
        Assert.Equal(25.0, DistanceKernel.ExactSquaredDistance(new float[] { 1, 2, 3 }, new float[] { 4, 6, 3 }));
        Assert.Equal(0.3125, DistanceKernel.ExactSquaredDistance(new float[] { 0.5f, -0.25f }, new float[] { 0, 0 }));
        Assert.Equal(0.0, DistanceKernel.ExactSquaredDistance(new float[] { 0.1f, 0.2f, 0.3f }, new float[] { 0.1f, 0.2f, 0.3f }));
        // Differences that under- or overflow float must survive in double.
        double tiny = 1e-30f;
        Assert.Equal(tiny * tiny, DistanceKernel.ExactSquaredDistance(new[] { 1e-30f }, new[] { 0f }));
        Assert.True(tiny * tiny > 0);
        double big = (double)3e38f * 2;
        Assert.Equal(big * big, DistanceKernel.ExactSquaredDistance(new[] { 3e38f }, new[] { -3e38f }));
        Assert.True(double.IsFinite(big * big));
    }
}

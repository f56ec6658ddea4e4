using PruneCmdlets.Numerics;
using Xunit;
using Isa = PruneCmdlets.Numerics.DistanceKernel.Isa;
using Width = PruneCmdlets.Numerics.FixedLanes.Width;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// Every reduction over a row gives the same bits on every vector width: each is compared bit for
/// bit with a scalar reference written here, which groups the terms as the kernels promise (16
/// lanes, a halving tree, then the tail in order), on the machine's own width and on each width
/// forced. On such data any other grouping changes last bits (<see cref="TheData_TellsGroupingsApart"/>).
/// </summary>
public class FixedLanesTests
{
    public static TheoryData<int> Lengths => new() { 0, 1, 7, 15, 16, 17, 31, 32, 33, 64, 100, 128, 130, 384, 512, 515, 768 };

    private static readonly Width[] AllWidths = Enum.GetValues<Width>();

    /// <summary>Values over a few binades, as embeddings are: sums of their squares round differently when regrouped.</summary>
    private static float[] Spread(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(TestData.NextGaussian(rng) * Math.ScaleB(1, rng.Next(-3, 4)));
        return x;
    }

    /// <summary>Lane l sums terms l, l+16, … of the whole chunks; lanes meet as l + l+8, + l+4, + l+2, + l+1; the tail follows in order.</summary>
    private static T Grouped<T>(int length, Func<int, T> term, Func<T, T, T> add, T zero)
    {
        int full = length / 16 * 16;
        var lanes = Enumerable.Repeat(zero, 16).ToArray();
        for (int i = 0; i < full; i++) lanes[i % 16] = add(lanes[i % 16], term(i));
        for (int half = 8; half >= 1; half /= 2)
            for (int l = 0; l < half; l++) lanes[l] = add(lanes[l], lanes[l + half]);
        T s = lanes[0];
        for (int i = full; i < length; i++) s = add(s, term(i));
        return s;
    }

    private static double RefSquares(float[] a) => Grouped(a.Length, i => (double)a[i] * a[i], (x, y) => x + y, 0.0);

    private static double RefDifferences(float[] a, float[] b) =>
        Grouped(a.Length, i => { double t = (double)a[i] - b[i]; return t * t; }, (x, y) => x + y, 0.0);

    private static float RefDifferencesFloat(float[] a, float[] b) =>
        Grouped(a.Length, i => { float t = a[i] - b[i]; return t * t; }, (x, y) => x + y, 0f);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SquaredNorm_IsTheFixedGrouping_OnEveryWidth(int n)
    {
        var a = Spread(n, seed: n);
        long expected = BitConverter.DoubleToInt64Bits(RefSquares(a));
        Assert.Equal(expected, BitConverter.DoubleToInt64Bits(VectorMath.SquaredNorm(a)));
        foreach (var w in AllWidths) Assert.Equal(expected, BitConverter.DoubleToInt64Bits(FixedLanes.SumSquares(a, w)));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ExactSquaredDistance_IsTheFixedGrouping_OnEveryWidth(int n)
    {
        float[] a = Spread(n, seed: n), b = Spread(n, seed: n + 1000);
        long expected = BitConverter.DoubleToInt64Bits(RefDifferences(a, b));
        Assert.Equal(expected, BitConverter.DoubleToInt64Bits(DistanceKernel.ExactSquaredDistance(a, b)));
        foreach (var w in AllWidths) Assert.Equal(expected, BitConverter.DoubleToInt64Bits(FixedLanes.SumSquaredDifferences(a, b, w)));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SquaredDistanceFloat_IsTheFixedGrouping_OnEveryWidth(int n)
    {
        float[] a = Spread(n, seed: n), b = Spread(n, seed: n + 2000);
        int expected = BitConverter.SingleToInt32Bits(RefDifferencesFloat(a, b));
        Assert.Equal(expected, BitConverter.SingleToInt32Bits((float)VectorMath.SquaredDistanceFloat(a, b)));
        foreach (var w in AllWidths) Assert.Equal(expected, BitConverter.SingleToInt32Bits(FixedLanes.SumSquaredDifferencesFloat(a, b, w)));
    }

    [Fact]
    public void TheData_TellsGroupingsApart()
    {
        // Were the kernels grouped in 8 lanes (AVX2's Vector<float>) or serially (no SIMD), the
        // tests above would see other bits: the data is chosen so that they do.
        // A row tells them apart about half the time; over 40 rows a wrong grouping cannot hide.
        const int rows = 40, n = 512;
        int eightLane = 0, serial = 0;
        for (int seed = 0; seed < rows; seed++)
        {
            float[] a = Spread(n, seed), b = Spread(n, seed + 1000);
            double grouped = RefDifferences(a, b);
            var lanes = new double[8];
            for (int i = 0; i < n; i++) { double t = (double)a[i] - b[i]; lanes[i % 8] += t * t; }
            double eight = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
            if (eight != grouped) eightLane++;
            if (TestData.SqDist(a, b) != grouped) serial++;
        }
        Assert.True(4 * eightLane >= rows, $"8-lane grouping differed on {eightLane} of {rows} rows");
        Assert.True(2 * serial >= rows, $"serial order differed on {serial} of {rows} rows");
    }

    [Fact]
    public void SumSquaredDifferences_RejectsAShorterSecondRow()
    {
        Assert.Throws<ArgumentException>(() => FixedLanes.SumSquaredDifferences(new float[17], new float[16]));
        Assert.Throws<ArgumentException>(() => FixedLanes.SumSquaredDifferencesFloat(new float[17], new float[16]));
    }

    [Fact]
    public void TileDotProducts_AreOneFusedChainInOrder_OnEveryInstructionSet()
    {
        // The GEMM-identity distances rest on the tile's dot products: each must be
        // fma(x[D−1], c[D−1], … fma(x[0], c[0], 0)) whatever the width, including across KC passes.
        const int n = 40, d = DistanceKernel.KC + 37;
        var x = Spread(n * d, seed: 5);
        var packed = DistanceKernel.Pack(x, n, d);
        foreach (var isa in Enum.GetValues<Isa>())
        {
            int seen = 0;
            DistanceKernel.DotPairsAtLeast(x, 0, n, packed, 0, float.NegativeInfinity, new float[DistanceKernel.TileRows * d], (i, j, dot) =>
            {
                float expected = 0;
                for (int p = 0; p < d; p++) expected = MathF.FusedMultiplyAdd(x[i * d + p], x[j * d + p], expected);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(dot));
                seen++;
            }, isa);
            Assert.Equal(n * (n - 1) / 2, seen);
        }
    }
}

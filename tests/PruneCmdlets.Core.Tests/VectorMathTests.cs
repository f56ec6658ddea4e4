using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>Row helpers and the embedding matrix every kernel consumes.</summary>
public class VectorMathTests
{
    [Fact]
    public void SquaredNorm_And_RowSquaredNorms_HandValues()
    {
        Assert.Equal(25.0, VectorMath.SquaredNorm(new float[] { 3, -4 }));
        Assert.Equal(0.0, VectorMath.SquaredNorm(Array.Empty<float>()));
        // 1e-30² underflows float but not the double accumulator
        Assert.True(VectorMath.SquaredNorm(new[] { 1e-30f }) > 0);
        float[] x = { 3, 4, 0, 0, 1, 1 };
        Assert.Equal(new float[] { 25, 0, 2 }, VectorMath.RowSquaredNorms(x, 3, 2));
    }

    [Fact]
    public void NormalizeRows_UnitLength_ReportsFirstZeroRow()
    {
        const int n = 2500, d = 5; // more than two 1024-row work items
        var x = TestData.Gaussian(n, d, seed: 1, scale: 7);
        Array.Clear(x, 1700 * d, d);
        Array.Clear(x, 2100 * d, d);
        var copy = (float[])x.Clone();
        Assert.Equal(1700, VectorMath.NormalizeRows(x, n, d));
        for (int i = 0; i < n; i++)
        {
            if (i is 1700 or 2100) { Assert.All(x.AsSpan(i * d, d).ToArray(), v => Assert.Equal(0f, v)); continue; }
            double norm = Math.Sqrt(TestData.SqDist(copy.AsSpan(i * d, d), new float[d]));
            for (int j = 0; j < d; j++) Assert.True(Math.Abs(copy[i * d + j] / norm - x[i * d + j]) <= 2e-7, $"row {i} dim {j}");
        }
        Assert.Equal(-1, VectorMath.NormalizeRows(new float[] { 1, 1 }, 1, 2));
    }

    [Fact]
    public void NormalizeRows_TinyButNonZeroRow_GetsUnitLength()
    {
        // (1e-40, 0) has a direction; its unit vector is (1, 0). 1/‖x‖ = 1e40 overflows float.
        float[] x = { 1e-40f, 0f, 3e-39f, 4e-39f };
        Assert.Equal(-1, VectorMath.NormalizeRows(x, 2, 2));
        Assert.Equal(1f, x[0], 5);
        Assert.Equal(0f, x[1]);
        Assert.Equal(0.6f, x[2], 5);
        Assert.Equal(0.8f, x[3], 5);
    }

    [Fact]
    public void EmbeddingMatrix_Cosine_DropsZeroRows_AndNormalises()
    {
        var rows = new List<float[]> { new float[] { 0, 0 }, new float[] { 3, 4 }, new float[] { 0, 0 }, new float[] { 0, -2 } };
        var m = EmbeddingMatrix.Build(rows, DistanceMetric.Cosine, out var zero);
        Assert.Equal(new[] { 0, 2 }, zero);
        Assert.Equal(2, m.Rows);
        Assert.Equal(2, m.Dimension);
        Assert.Equal(new float[] { 0.6f, 0.8f, 0f, -1f }, m.Data.ToArray());
        Assert.Equal(new float[] { 3, 4 }, rows[1]); // input untouched
    }

    [Fact]
    public void EmbeddingMatrix_Euclidean_KeepsEverythingAsIs()
    {
        var rows = new List<float[]> { new float[] { 0, 0 }, new float[] { 3, 4 } };
        var m = EmbeddingMatrix.Build(rows, DistanceMetric.Euclidean, out var zero);
        Assert.Empty(zero);
        Assert.Equal(new float[] { 0, 0, 3, 4 }, m.Data.ToArray());
        Assert.Throws<ArgumentException>(() => EmbeddingMatrix.Build(new List<float[]> { new float[2], new float[3] }, DistanceMetric.Euclidean, out _));
    }
}

public class AllFiniteTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(5, true)]
    [InlineData(33, true)]
    public void FiniteValues_AreFinite(int n, bool expected)
    {
        var v = Enumerable.Range(0, n).Select(i => (float)(i * 1e30 - 1e31)).ToArray();
        Assert.Equal(expected, PruneCmdlets.Numerics.VectorMath.AllFinite(v));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(17, 16)]     // in the scalar tail after one or two vectors
    [InlineData(40, 3)]      // inside the first vector
    [InlineData(40, 39)]
    public void OneBadValue_AnywhereIsFound(int n, int at)
    {
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var v = Enumerable.Repeat(1.5f, n).ToArray();
            v[at] = bad;
            Assert.False(PruneCmdlets.Numerics.VectorMath.AllFinite(v));
        }
    }
}

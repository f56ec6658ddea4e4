using PruneCmdlets.IO;
using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// The block reader and the large-buffer allocator behind Import-Embedding: rows must land in
/// the right place whatever the block size, dtype or piece boundaries, and buffers asked to be
/// zero must be zero even when they come from the huge-page path.
/// </summary>
public class LargeBufferTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static float Value(int row, int col) => row * 1000 + col + 0.25f;

    private string WriteMatrix(int n, int d, string dtype = "<f4")
    {
        string path = _dir.File($"m-{n}-{d}-{dtype.Replace('<', 'l').Replace('>', 'b')}.npy");
        using var s = File.Create(path);
        s.Write(NpyHeader.Build(dtype, new long[] { n, d }));
        var w = new BinaryWriter(s);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                if (dtype == "<f8") w.Write((double)Value(i, j)); else w.Write(Value(i, j));
        return path;
    }

    [Theory]
    [InlineData(10, 3, 7)]        // blocks of 2 rows, last one partial (10 = 5×2)
    [InlineData(11, 3, 9)]        // 3 rows per block, last block 2 rows
    [InlineData(5, 4, 1)]         // smaller than a row: still one row per block
    [InlineData(5, 4, 1 << 20)]   // the whole matrix in one block
    public void ReadBlocks_CoversEveryRowOnceInOrder(int n, int d, int maxBlockFloats)
    {
        using var m = NpyReader.OpenMatrix(WriteMatrix(n, d));
        int row = 0, expectedPerBlock = Math.Max(1, maxBlockFloats / d);
        foreach (var (block, rows) in m.ReadBlocks(maxBlockFloats))
        {
            Assert.Equal(Math.Min(expectedPerBlock, n - row), rows);
            Assert.True(block.Length >= rows * d);
            for (int r = 0; r < rows; r++, row++)
                for (int j = 0; j < d; j++) Assert.Equal(Value(row, j), block[r * d + j]);
        }
        Assert.Equal(n, row);
    }

    [Fact]
    public void ReadBlocks_LargeFloat32_ReadInParallelPieces_IsExact()
    {
        // 3 000 × 1 000 floats = 12 MB: more than one 8 MB piece, and a huge-page-sized block.
        int n = 3000, d = 1000;
        using var m = NpyReader.OpenMatrix(WriteMatrix(n, d));
        var (block, rows) = Assert.Single(m.ReadBlocks(Array.MaxLength));
        Assert.Equal(n, rows);
        foreach (int i in new[] { 0, 1, 2096, 2097, 2999 })
            for (int j = 0; j < d; j += 97) Assert.Equal(Value(i, j), block[i * d + j]);
        Assert.Equal(Value(n - 1, d - 1), block[n * d - 1]);
    }

    [Fact]
    public void ReadBlocks_Float64_ConvertedAcrossReadPieces()
    {
        // 300 × 600 doubles = 1.44 MB: the conversion buffer (1 MiB) is refilled mid-block.
        int n = 300, d = 600;
        using var m = NpyReader.OpenMatrix(WriteMatrix(n, d, "<f8"));
        var (block, rows) = Assert.Single(m.ReadBlocks(Array.MaxLength));
        Assert.Equal(n, rows);
        for (int i = 0; i < n; i += 7)
            for (int j = 0; j < d; j += 13) Assert.Equal(Value(i, j), block[i * d + j]);
        Assert.Equal(Value(n - 1, d - 1), block[n * d - 1]);
    }

    [Fact]
    public void ReadPieces_GrowOneBlockInOrder_WhileTheRestArrives()
    {
        // 3 000 × 1 000 floats: 2 097 rows per 8 MB piece, so two pieces of one block.
        int n = 3000, d = 1000;
        using var m = NpyReader.OpenMatrix(WriteMatrix(n, d));
        var pieces = m.ReadPieces(Array.MaxLength).ToList();
        Assert.Equal(new[] { (0, 2097), (2097, 903) }, pieces.Select(p => (p.FirstRow, p.Rows)));
        Assert.Same(pieces[0].Block, pieces[1].Block);
        var block = pieces[1].Block;
        foreach (int i in new[] { 0, 2096, 2097, 2999 })
            for (int j = 0; j < d; j += 111) Assert.Equal(Value(i, j), block[i * d + j]);
    }

    [Fact]
    public void ReadPieces_StoppingEarly_StopsTheReader_AndTheFileReadsAgain()
    {
        int n = 6000, d = 1000;   // three pieces
        string path = WriteMatrix(n, d);
        using (var m = NpyReader.OpenMatrix(path))
        {
            var (block, first, rows) = m.ReadPieces(Array.MaxLength).First();   // disposes the iterator after one piece
            Assert.Equal((0, 2097), (first, rows));
            Assert.Equal(Value(2096, 999), block[2096 * d + 999]);
            // The same matrix reads again from the start.
            Assert.Equal(Value(5999, 0), m.ReadPieces(Array.MaxLength).Last().Block[5999 * d]);
        }
        using var again = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None); // nothing holds the file
    }

    [Fact]
    public void ReadPieces_OtherTypes_ComeABlockAtATime()
    {
        using var m = NpyReader.OpenMatrix(WriteMatrix(7, 3, "<f8"));
        var (block, first, rows) = Assert.Single(m.ReadPieces(Array.MaxLength));
        Assert.Equal((0, 7), (first, rows));
        Assert.Equal(Value(6, 2), block[6 * 3 + 2]);
    }

    [Fact]
    public void ReadBlocks_ReadRowsAgree()
    {
        string path = WriteMatrix(9, 5);
        using var a = NpyReader.OpenMatrix(path);
        var rows = a.ReadRows().ToArray();
        using var b = NpyReader.OpenMatrix(path);
        var flat = b.ReadBlocks(10).SelectMany(x => x.Block.Take(x.Rows * 5)).ToArray();
        Assert.Equal(rows.SelectMany(r => r).ToArray(), flat);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(20_000_000)] // 80 MB: the pinned, huge-page path on Linux
    public void Allocate_Zeroed_IsAllZero_AndWritable(int length)
    {
        // Dirty the heap first so a reused buffer would show through.
        var junk = LargeArray.Allocate(length);
        Array.Fill(junk, 7f);
        junk = null;
        GC.Collect();
        var a = LargeArray.Allocate(length, zeroed: true);
        Assert.Equal(length, a.Length);
        Assert.Equal(-1, Array.FindIndex(a, v => v != 0f));
        a[length - 1] = 3f;
        Assert.Equal(3f, a[^1]);
    }

    [Fact]
    public void SquaredNorm_VectorPathMatchesSerialDouble_ForEveryTailLength()
    {
        var rng = new Random(5);
        for (int len = 0; len < 70; len++)
        {
            var v = Enumerable.Range(0, len).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 100).ToArray();
            double serial = 0;
            foreach (var x in v) serial += (double)x * x;
            Assert.Equal(serial, VectorMath.SquaredNorm(v), 1e-9 * Math.Max(1, serial));
        }
    }
}

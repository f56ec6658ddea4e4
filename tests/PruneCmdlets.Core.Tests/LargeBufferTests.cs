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
        Assert.True(pieces[0].Block.Equals(pieces[1].Block));
        Assert.All(pieces, p => Assert.True(p.Finite));
        var block = pieces[1].Block.Span;
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
            var (block, first, rows, _) = m.ReadPieces(Array.MaxLength).First();   // disposes the iterator after one piece
            Assert.Equal((0, 2097), (first, rows));
            Assert.Equal(Value(2096, 999), block.Span[2096 * d + 999]);
            // The same matrix reads again from the start.
            Assert.Equal(Value(5999, 0), m.ReadPieces(Array.MaxLength).Last().Block.Span[5999 * d]);
        }
        using var again = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None); // nothing holds the file
    }

    [Fact]
    public void ReadPieces_OtherTypes_ComeABlockAtATime()
    {
        using var m = NpyReader.OpenMatrix(WriteMatrix(7, 3, "<f8"));
        var (block, first, rows, finite) = Assert.Single(m.ReadPieces(Array.MaxLength));
        Assert.Equal((0, 7, true), (first, rows, finite));
        Assert.Equal(Value(6, 2), block.Span[6 * 3 + 2]);
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

    /// <summary>The whole file as one mapped block; the matrix is closed again, as after Import-Embedding, and the mapping lives on.</summary>
    private static ReadOnlyMemory<float> MapWhole(string path)
    {
        using var m = NpyReader.OpenMatrix(path);
        return Assert.Single(m.ReadPieces(Array.MaxLength, mapFromBytes: 0)).Block;
    }

    [Fact]
    public void ReadPieces_MapsALargeFile_SameRowsAsReading_WithoutACopy()
    {
        int n = 3000, d = 1000;   // 12 MB: two pieces
        string path = WriteMatrix(n, d);
        using var m = NpyReader.OpenMatrix(path);
        var mapped = m.ReadPieces(Array.MaxLength, mapFromBytes: 12_000_000).ToList();   // exactly the file's values: mapped
        Assert.Equal(new[] { (0, 2097, true), (2097, 903, true) }, mapped.Select(p => (p.FirstRow, p.Rows, p.Finite)));
        Assert.False(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(mapped[1].Block, out _)); // not an array: the file cache
        var read = m.ReadPieces(Array.MaxLength, mapFromBytes: 12_000_001).ToList();       // one byte short of the threshold: read
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(read[1].Block, out _));
        Assert.True(mapped[1].Block.Span.SequenceEqual(read[1].Block.Span));
        Assert.Equal(Value(2999, 999), mapped[1].Block.Span[n * d - 1]);
    }

    public static TheoryData<Exception> Refusals => new() { new IOException("no mapping on this file system"), new UnauthorizedAccessException("mapping denied"), new NotSupportedException("no mapping here") };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void ReadPieces_AMappingRefused_IsReadInstead(Exception refusal)
    {
        int n = 6000, d = 1000;   // three pieces; a NaN in the second
        string path = WriteMatrix(n, d);
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            f.Position = NpyHeader.Build("<f4", new long[] { n, d }).Length + (3000L * d + 17) * sizeof(float);
            f.Write(BitConverter.GetBytes(float.NaN));
        }
        using var m = NpyReader.OpenMatrix(path);
        int asked = 0;
        m.Map = (_, _, _) => { asked++; throw refusal; };
        var pieces = m.ReadPieces(Array.MaxLength, mapFromBytes: 0).ToList();
        Assert.Equal(1, asked);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(pieces[0].Block, out _));   // read into memory
        Assert.Equal(new[] { true, false, true }, pieces.Select(p => p.Finite));
        var block = pieces[2].Block.Span;
        foreach (int i in new[] { 0, 2096, 2097, 4194, 5999 }) Assert.Equal(Value(i, 5), block[i * d + 5]);
        Assert.True(float.IsNaN(block[3000 * d + 17]));
    }

    [Fact]
    public void ReadPieces_AFileShorterThanItsHeader_IsNotReadInstead()
    {
        // Only a refusal to map falls back; a file that changed under the reader is reported.
        using var m = NpyReader.OpenMatrix(WriteMatrix(3000, 1000));
        m.Map = (path, _, _) => throw new InvalidDataException($"'{path}' holds fewer bytes than its header promised.");
        Assert.Throws<InvalidDataException>(() => m.ReadPieces(Array.MaxLength, mapFromBytes: 0).ToList());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadPieces_FlagOnlyThePieceHoldingANaN(bool map)
    {
        int n = 6000, d = 1000;   // three pieces: rows 0–2096, 2097–4193, 4194–5999
        string path = WriteMatrix(n, d);
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            f.Position = NpyHeader.Build("<f4", new long[] { n, d }).Length + (3000L * d + 17) * sizeof(float);
            f.Write(BitConverter.GetBytes(float.NaN));
        }
        using var m = NpyReader.OpenMatrix(path);
        var pieces = m.ReadPieces(Array.MaxLength, map ? 0 : long.MaxValue).ToList();
        Assert.Equal(new[] { true, false, true }, pieces.Select(p => p.Finite));
    }

    [Fact]
    public void MappedRows_ClusterBitForBitLikeAnArray()
    {
        int n = 4000, d = 64;
        var rng = new Random(3);
        var values = new float[n * d];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 10) + (i / d % 5) * 20;
        string path = _dir.File("cluster.npy");
        NpyWriter.WriteMatrix(path, Enumerable.Range(0, n).Select(i => values.AsSpan(i * d, d).ToArray()).ToList(), d);
        var block = MapWhole(path);
        Assert.False(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(block, out _));
        var options = new PruneCmdlets.Clustering.KMeansOptions { K = 5, Metric = PruneCmdlets.Clustering.DistanceMetric.Euclidean, Seed = 9, SkipSettledRecords = true };
        var (fromMap, mapAssign) = PruneCmdlets.Clustering.KMeansTrainer.FitAndAssign(block, n, d, options);
        var (fromArray, arrayAssign) = PruneCmdlets.Clustering.KMeansTrainer.FitAndAssign(values, n, d, options);
        Assert.Equal(arrayAssign, mapAssign);
        Assert.Equal(fromArray.Inertia, fromMap.Inertia);
        Assert.Equal(fromArray.CentroidBuffer, fromMap.CentroidBuffer);
        GC.KeepAlive(block);
    }

    [Fact]
    public void MappedRows_KeepTheirValues_WhenTheFileIsReplaced()
    {
        int n = 2000, d = 8;
        string path = WriteMatrix(n, d);
        var block = MapWhole(path);
        var replacement = Enumerable.Range(0, n).Select(_ => Enumerable.Repeat(-1f, d).ToArray()).ToList();
        if (OperatingSystem.IsWindows())
        {
            // Windows refuses to replace a mapped file; the writer leaves it as it was.
            Assert.ThrowsAny<Exception>(() => NpyWriter.WriteMatrix(path, replacement, d));
            Assert.Equal(Value(1999, 7), block.Span[n * d - 1]);
            return;
        }
        NpyWriter.WriteMatrix(path, replacement, d);
        Assert.False(MappedFloats.Of(block)!.FileChanged);          // the mapping holds the old file, untouched
        Assert.Equal(Value(1999, 7), block.Span[n * d - 1]);   // the old contents, still mapped
        Assert.Equal(Value(0, 0), block.Span[0]);
        Assert.Equal(-1f, MapWhole(path).Span[n * d - 1]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*" + "." + "prune-tmp"));
        GC.KeepAlive(block);
    }

    [Fact]
    public void MappedRows_NoticeAFileRewrittenInPlace()
    {
        int n = 2000, d = 8;
        string path = WriteMatrix(n, d);
        var block = MapWhole(path);   // closed before the rewrite, as after Import-Embedding
        var mapped = Assert.IsType<MappedFloats>(MappedFloats.Of(block));
        Assert.False(mapped.FileChanged);
        MappedFloats.EnsureUnchanged(block);
        var before = new EmbeddingRecord(null, 0, null, block, 0, d, null);
        var after = new EmbeddingRecord(null, 1, null, block, d, d, null);
        Assert.Equal(Value(0, 3), before.Vector[3]);   // copied while the file is as it was
        Thread.Sleep(20); // a later modification time than the mapping's on file systems with coarse clocks
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            f.Position = f.Length - 4;
            f.Write(BitConverter.GetBytes(-1f));
        }
        Assert.True(mapped.FileChanged);
        var e = Assert.Throws<InvalidDataException>(() => MappedFloats.EnsureUnchanged(block));
        Assert.Contains(path, e.Message);
        Assert.Throws<InvalidDataException>(() => after.Vector);   // its row may no longer be there
        Assert.Equal(Value(0, 3), before.Vector[3]);                // a copy already made stays
        Assert.Null(MappedFloats.Of(new float[4]));   // ordinary memory is never "changed"
        MappedFloats.EnsureUnchanged(new float[4]);
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

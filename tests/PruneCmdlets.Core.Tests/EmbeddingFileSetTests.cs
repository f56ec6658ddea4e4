using System.Text;
using PruneCmdlets.IO;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>A matrix with its label and Id files written as one set, and a mixed set refused on read.</summary>
public class EmbeddingFileSetTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static Action<Stream> Text(params string[] lines) => s => s.Write(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));

    /// <summary>A set of 2 rows, whose values are fixed by <paramref name="run"/>, written as Export-Embedding writes it.</summary>
    private (string Matrix, string Labels, string Ids) WriteSet(int run, bool recorded = true, string? folder = null)
    {
        folder ??= _dir.Path;
        string m = Path.Combine(folder, "x.npy"), l = Path.Combine(folder, "labels.txt"), i = Path.Combine(folder, "ids.txt");
        var rows = new List<ReadOnlyMemory<float>> { new float[] { run, 1 }, new float[] { run, 2 } };
        EmbeddingFileSet.Write(new List<(EmbeddingSetRole, string, Action<Stream>)>
        {
            (EmbeddingSetRole.Embeddings, m, s => NpyWriter.WriteMatrix(s, rows, 2)),
            (EmbeddingSetRole.Labels, l, Text($"cat{run}", $"dog{run}")),
            (EmbeddingSetRole.Ids, i, Text($"a{run}", $"b{run}")),
        }, 2, recorded);
        return (m, l, i);
    }

    [Fact]
    public void AFailureWhileWritingTheThirdFile_LeavesEveryFileAsItWas()
    {
        var (m, l, i) = WriteSet(1);
        var before = new[] { m, l, i, EmbeddingFileSet.RecordFor(m) }.Select(File.ReadAllBytes).ToList();
        var e = Assert.Throws<IOException>(() => AtomicFile.ReplaceSet(new List<(string, Action<Stream>)>
        {
            (m, s => NpyWriter.WriteMatrix(s, new List<ReadOnlyMemory<float>> { new float[] { 9, 9 } }, 2)),
            (l, Text("new")),
            (i, s => { s.WriteByte(1); throw new IOException("No space left on device"); }),
        }, (EmbeddingFileSet.RecordFor(m), _ => new byte[] { 1 })));
        Assert.Contains("No space", e.Message);
        Assert.Equal(before, new[] { m, l, i, EmbeddingFileSet.RecordFor(m) }.Select(File.ReadAllBytes).ToList());
        Assert.Empty(AtomicFile.Leftovers(_dir.Path));
        Assert.NotNull(EmbeddingFileSet.Check(m, l, i));   // still the old, whole set
    }

    [Fact]
    public void ASetStoppedAfterItsFirstRename_IsRefusedNamingTheFiles()
    {
        var (m, l, i) = WriteSet(1);
        Assert.Contains("3 file(s)", EmbeddingFileSet.Check(m, l, i));
        // What kill -9 after the first rename leaves: the next run's matrix beside this run's labels and Ids.
        string next = Path.Combine(_dir.Path, "next");
        Directory.CreateDirectory(next);
        var (m2, _, _) = WriteSet(2, folder: next);
        File.Copy(m2, m, overwrite: true);
        var e = Assert.Throws<EmbeddingSetException>(() => EmbeddingFileSet.Check(m, l, i));
        Assert.Equal("EmbeddingSetMismatch", e.ErrorId);
        Assert.Equal(m, e.Path);
        Assert.Contains(m, e.Message);
        Assert.Contains(l, e.Message);
        Assert.Contains(i, e.Message);
        Assert.Contains(EmbeddingFileSet.RecordFor(m), e.Message);
        // Even read without its side files, the matrix is not the one the record names.
        Assert.Equal("EmbeddingSetMismatch", Assert.Throws<EmbeddingSetException>(() => EmbeddingFileSet.Check(m, null, null)).ErrorId);
    }

    [Fact]
    public void ASideFileReplacedAlone_IsRefused_AndOneOfAnotherPathIsReadAsGiven()
    {
        var (m, l, i) = WriteSet(1);
        File.WriteAllText(i, "x\ny\n");
        var e = Assert.Throws<EmbeddingSetException>(() => EmbeddingFileSet.Check(m, l, i));
        Assert.Equal(i, e.Path);
        Assert.Contains("Id file", e.Message);
        Assert.NotNull(EmbeddingFileSet.Check(m, l, null));   // the matrix and labels still belong together
        string mine = _dir.File("my-labels.txt");
        File.WriteAllText(mine, "p\nq\n");
        Assert.Contains("not of this set", EmbeddingFileSet.Check(m, mine, null));
    }

    [Fact]
    public void FilesWithoutARecord_AreReadAsBefore_AndALoneMatrixDropsAStaleRecord()
    {
        var (m, l, i) = WriteSet(1, recorded: false);
        Assert.False(File.Exists(EmbeddingFileSet.RecordFor(m)));
        Assert.Null(EmbeddingFileSet.Check(m, l, i));
        WriteSet(2);
        Assert.True(File.Exists(EmbeddingFileSet.RecordFor(m)));
        EmbeddingFileSet.Write(new List<(EmbeddingSetRole, string, Action<Stream>)>
            { (EmbeddingSetRole.Embeddings, m, s => NpyWriter.WriteMatrix(s, new List<ReadOnlyMemory<float>> { new float[] { 5, 5 } }, 2)) }, 1, recorded: false);
        Assert.False(File.Exists(EmbeddingFileSet.RecordFor(m)));
        Assert.Null(EmbeddingFileSet.Check(m, null, null));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"Format\":\"PruneCmdlets.EmbeddingSet\",\"Members\":null}")]
    [InlineData("{\"Format\":\"PruneCmdlets.EmbeddingSet\",\"Members\":[null]}")]
    [InlineData("{\"Format\":\"PruneCmdlets.EmbeddingSet\",\"Members\":[{\"Role\":\"Embeddings\",\"File\":\"x.npy\",\"Size\":1}]}")]
    [InlineData("{\"Format\":\"something else\",\"Members\":[]}")]
    public void ADamagedRecord_IsInvalidEmbeddingSet(string json)
    {
        var (m, l, i) = WriteSet(1);
        File.WriteAllText(EmbeddingFileSet.RecordFor(m), json);
        var e = Assert.Throws<EmbeddingSetException>(() => EmbeddingFileSet.Check(m, l, i));
        Assert.Equal("InvalidEmbeddingSet", e.ErrorId);
        Assert.Contains(EmbeddingFileSet.RecordFor(m), e.Message);
    }

    [Fact]
    public void ASetMovedTogether_StillChecks()
    {
        var (m, l, i) = WriteSet(1);
        string moved = Path.Combine(_dir.Path, "moved");
        Directory.CreateDirectory(moved);
        foreach (var f in new[] { m, l, i, EmbeddingFileSet.RecordFor(m) }) File.Move(f, Path.Combine(moved, Path.GetFileName(f)));
        Assert.Contains("3 file(s)", EmbeddingFileSet.Check(Path.Combine(moved, "x.npy"), Path.Combine(moved, "labels.txt"), Path.Combine(moved, "ids.txt")));
    }
}

using PruneCmdlets.IO;
using System.Text;
using PruneCmdlets.Apply;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// The apply step's failure paths that a real disk cannot be made to produce on cue: a full disk
/// half-way through a file, another write error, a cancelled copy, a run killed earlier. The
/// temporary-file seam (<see cref="PrunedSetExporter.CreateTemporary"/>) injects them; the
/// Pester tests drive the same paths through a real tmpfs, a killed process and real links.
/// </summary>
public class PrunedSetExporterTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private sealed class Host : IApplyHost
    {
        public List<(ApplyItem Item, Exception Error)> Errors { get; } = new();
        public int ProgressCalls { get; private set; }
        public bool Allow { get; init; } = true;
        public bool ShouldProcess(string target, string action) => Allow;
        public void Failed(ApplyItem item, Exception error) => Errors.Add((item, error));
        public void Progress(ApplyProgress progress) => ProgressCalls++;
        public void Verbose(string message) { }
        public List<string> Warnings { get; } = new();
        public void Warning(string message) => Warnings.Add(message);
    }

    /// <summary>A real file that accepts <paramref name="limit"/> bytes, then fails every write with <paramref name="failure"/>.</summary>
    private sealed class FailingStream : FileStream
    {
        private readonly long _limit;
        private readonly Func<Exception> _failure;
        private long _written;
        public FailingStream(string path, long limit, Func<Exception> failure) : base(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None)
        { _limit = limit; _failure = failure; }
        public override void Write(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, _limit - _written);
            if (n > 0) { base.Write(buffer, offset, n); base.Flush(); _written += n; }
            if (n < count) throw _failure();
        }
    }

    /// <summary>A real file that runs <paramref name="afterFirstWrite"/> once its first bytes are on disk.</summary>
    private sealed class HookedStream : FileStream
    {
        private Action? _afterFirstWrite;
        public HookedStream(string path, Action afterFirstWrite) : base(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None)
            => _afterFirstWrite = afterFirstWrite;
        public override void Write(byte[] buffer, int offset, int count)
        {
            base.Write(buffer, offset, count);
            base.Flush();
            Interlocked.Exchange(ref _afterFirstWrite, null)?.Invoke();
        }
    }

    /// <summary>The IOException .NET raises for ENOSPC (errno in HResult) or ERROR_DISK_FULL on Windows.</summary>
    private static IOException DiskFull() => new("No space left on device", OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28);

    private static ApplyRunInfo Info() => new("0.0.0", Array.Empty<string>(), Array.Empty<KeyValuePair<string, string?>>(), DateTimeOffset.UtcNow);

    private static FileStream DefaultTemporary(string path) => new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);

    /// <summary>src/cls/a.bin (1 000 bytes), b.bin (<paramref name="bSize"/>), c.bin (1 000), each with distinct bytes.</summary>
    private (string Src, string Dest, ApplyItem[] Items) Tree(int bSize = 5000)
    {
        string src = Path.Combine(_dir.Path, "src"), dest = Path.Combine(_dir.Path, "dest");
        Directory.CreateDirectory(Path.Combine(src, "cls"));
        var sizes = new[] { ("a", 1000), ("b", bSize), ("c", 1000) };
        var items = new List<ApplyItem>();
        foreach (var (name, size) in sizes)
        {
            var bytes = new byte[size];
            for (int i = 0; i < size; i++) bytes[i] = (byte)(i * 31 + name[0]);
            string p = Path.Combine(src, "cls", name + ".bin");
            File.WriteAllBytes(p, bytes);
            items.Add(new ApplyItem(p, p, Kept: true));
        }
        return (src, dest, items.ToArray());
    }

    private static string Target(string dest, string name) => Path.Combine(dest, "cls", name + ".bin");
    private static bool IsB(string target) => Path.GetFileName(target) == "b.bin";

    [Fact]
    public void A_full_disk_stops_the_run_names_the_file_removes_its_partial_copy_and_keeps_the_rest()
    {
        var (src, dest, items) = Tree();
        Directory.CreateDirectory(dest);
        File.WriteAllText(Path.Combine(dest, ManifestCsv.FileName), "the earlier manifest");
        string? partial = null;
        var exporter = new PrunedSetExporter
        {
            CreateTemporary = (p, target) =>
            {
                if (!IsB(target)) return DefaultTemporary(p);
                partial = p;
                return new FailingStream(p, 2048, DiskFull);
            },
        };
        var host = new Host();
        var summary = exporter.Run(items, new PrunedSetLayout(dest, src), Info(), host, CancellationToken.None);

        Assert.True(summary.Stopped);
        Assert.Equal((1, 1, 1), (summary.Copied, summary.Failed, summary.NotWritten));
        var (item, error) = Assert.Single(host.Errors);
        Assert.Equal(items[1], item);
        var apply = Assert.IsType<ApplyException>(error);
        Assert.Equal("DiskFull", apply.ErrorId);
        Assert.Equal(Target(dest, "b"), apply.FilePath);
        Assert.Contains(Target(dest, "b"), apply.Message);
        Assert.Contains(items[1].Path, apply.Message);
        // The 2 048 bytes that reached the disk are gone, and nothing under b's real name.
        Assert.NotNull(partial);
        Assert.False(File.Exists(partial));
        Assert.False(File.Exists(Target(dest, "b")));
        Assert.Empty(AtomicFile.Leftovers(dest));
        // What was placed before stays complete; the run placed nothing after; the old manifest stays.
        Assert.Equal(File.ReadAllBytes(items[0].Path), File.ReadAllBytes(Target(dest, "a")));
        Assert.False(File.Exists(Target(dest, "c")));
        Assert.Equal("the earlier manifest", File.ReadAllText(Path.Combine(dest, ManifestCsv.FileName)));
        Assert.False(File.Exists(Path.Combine(dest, PruneJson.FileName)));
        Assert.Null(summary.Manifest);
        Assert.Equal(1000, summary.BytesCopied);

        // With space again the same run finishes: a skipped, b and c copied.
        var again = new PrunedSetExporter().Run(items, new PrunedSetLayout(dest, src), Info(), new Host(), CancellationToken.None);
        Assert.Equal((2, 1, 0), (again.Copied, again.Skipped, again.Failed));
        Assert.Equal(File.ReadAllBytes(items[1].Path), File.ReadAllBytes(Target(dest, "b")));
    }

    [Fact]
    public void Another_write_error_fails_that_file_only_and_the_manifest_lists_it_unplaced()
    {
        var (src, dest, items) = Tree();
        var exporter = new PrunedSetExporter
        {
            CreateTemporary = (p, target) => IsB(target) ? new FailingStream(p, 100, () => new IOException("Input/output error", 5)) : DefaultTemporary(p),
        };
        var host = new Host();
        var summary = exporter.Run(items, new PrunedSetLayout(dest, src), Info(), host, CancellationToken.None);

        Assert.False(summary.Stopped);
        Assert.Equal((2, 1, 0), (summary.Copied, summary.Failed, summary.NotWritten));
        Assert.IsNotType<ApplyException>(Assert.Single(host.Errors).Error);
        Assert.False(File.Exists(Target(dest, "b")));
        Assert.Empty(AtomicFile.Leftovers(dest));
        Assert.True(File.Exists(Target(dest, "c")));
        var lines = File.ReadAllLines(Path.Combine(dest, ManifestCsv.FileName));
        Assert.Equal(4, lines.Length);
        // b's row: no destination, no hash (nothing was placed), its size for the record.
        Assert.StartsWith($"\"{items[1].Path}\",\"{items[1].Path}\",\"\",\"5000\",\"\",", lines[2]);
        Assert.StartsWith($"\"{items[2].Path}\",\"{items[2].Path}\",\"cls/c.bin\",\"1000\",\"", lines[3]);
    }

    [Fact]
    public void A_copy_cancelled_half_way_leaves_no_file_and_a_rerun_finishes()
    {
        var (src, dest, items) = Tree(bSize: 3 << 20); // three reads of the 1 MiB buffer
        using var cts = new CancellationTokenSource();
        string? temporary = null;
        var exporter = new PrunedSetExporter
        {
            CreateTemporary = (p, target) =>
            {
                if (!IsB(target)) return DefaultTemporary(p);
                temporary = p;
                return new HookedStream(p, () =>
                {
                    Assert.Equal(1 << 20, new FileInfo(p).Length); // part of b is on disk under the temporary name
                    cts.Cancel();                                   // Ctrl+C now
                });
            },
        };
        Assert.ThrowsAny<OperationCanceledException>(() => exporter.Run(items, new PrunedSetLayout(dest, src), Info(), new Host(), cts.Token));
        Assert.NotNull(temporary);
        Assert.False(File.Exists(temporary));
        Assert.False(File.Exists(Target(dest, "b")));
        Assert.Equal(File.ReadAllBytes(items[0].Path), File.ReadAllBytes(Target(dest, "a")));

        var again = new PrunedSetExporter().Run(items, new PrunedSetLayout(dest, src), Info(), new Host(), CancellationToken.None);
        Assert.Equal((2, 1), (again.Copied, again.Skipped));
        Assert.Equal(File.ReadAllBytes(items[1].Path), File.ReadAllBytes(Target(dest, "b")));
    }

    [Fact]
    public void A_killed_runs_temporary_file_is_removed_and_never_taken_for_the_file_while_a_users_look_alike_stays()
    {
        var (src, dest, items) = Tree();
        Directory.CreateDirectory(Path.Combine(dest, "cls"));
        // What kill -9 during b's copy leaves: part of b under a temporary name, nothing under b.bin.
        string leftover = AtomicFile.TemporaryFor(Target(dest, "b"));
        File.WriteAllBytes(leftover, File.ReadAllBytes(items[1].Path)[..1234]);
        string lookalike = Path.Combine(dest, "cls", ".notes.prune-tmp");
        File.WriteAllText(lookalike, "mine");

        var host = new Host();
        var summary = new PrunedSetExporter().Run(items, new PrunedSetLayout(dest, src), Info(), host, CancellationToken.None);
        Assert.Equal(1, summary.TemporaryFilesRemoved);
        // The user's file is not the decision's: counted and named, never deleted.
        Assert.Equal(1, summary.Unlisted);
        Assert.Contains(lookalike, Assert.Single(host.Warnings));
        Assert.Equal(3, summary.Copied);
        Assert.False(File.Exists(leftover));
        Assert.Equal("mine", File.ReadAllText(lookalike));
        Assert.Equal(File.ReadAllBytes(items[1].Path), File.ReadAllBytes(Target(dest, "b")));
    }

    [Fact]
    public void Declined_changes_touch_nothing()
    {
        var (src, dest, items) = Tree();
        var host = new Host { Allow = false };
        var summary = new PrunedSetExporter().Run(items, new PrunedSetLayout(dest, src), Info(), host, CancellationToken.None);
        Assert.False(Directory.Exists(dest));
        Assert.Equal((0, 3), (summary.Copied, summary.NotWritten));
        Assert.Null(summary.Manifest);
        Assert.Empty(host.Errors);
    }

    [Fact]
    public void Temporary_names_are_recognised_exactly()
    {
        string t = AtomicFile.TemporaryFor(Path.Combine(_dir.Path, "x [1].png"));
        Assert.Equal(_dir.Path, Path.GetDirectoryName(t));
        Assert.True(AtomicFile.IsTemporary(t));
        Assert.False(AtomicFile.IsTemporary(Path.Combine(_dir.Path, "x.png.prune-tmp")));
        Assert.False(AtomicFile.IsTemporary(Path.Combine(_dir.Path, ".x.png.prune-tmp")));
        Assert.False(AtomicFile.IsTemporary(Path.Combine(_dir.Path, ".x.png.0123456789abcdef0123456789ABCDEF.prune-tmp")));
        Assert.False(AtomicFile.IsTemporary(Path.Combine(_dir.Path, ".0123456789abcdef0.prune-tmp")));
        // What a run of an earlier version, killed, may have left is still found.
        Assert.True(AtomicFile.IsTemporary(Path.Combine(_dir.Path, ".x.png.0123456789abcdef0123456789abcdef.prune-tmp")));
        // Short whatever the target: a name at the 255-byte limit still has a temporary name.
        Assert.Equal(27, Path.GetFileName(AtomicFile.TemporaryFor(Path.Combine(_dir.Path, new string('n', 255)))).Length);
    }

    [Fact]
    public void Every_atomic_writer_writes_names_of_255_bytes()
    {
        // Two-byte UTF-8: 127 characters + ".npy" are 258 bytes, one fewer fits.
        foreach (var name in new[] { new string('n', 251) + ".npy", new string('\u00e9', 125) + ".npy" })
        {
            string path = Path.Combine(_dir.Path, name);
            Assert.True(AtomicFile.Write(path, new byte[] { 1, 2, 3 }));
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        }
        Assert.Empty(AtomicFile.Leftovers(_dir.Path));
    }

    [Fact]
    public void Rewriting_the_same_bytes_through_a_symbolic_link_changes_nothing()
    {
        string real = Path.Combine(_dir.Path, "summary.json"), link = Path.Combine(_dir.Path, "latest.json");
        File.WriteAllText(real, "{\"same\": \"bytes, longer than the link's own text\"}");
        File.CreateSymbolicLink(link, "summary.json");
        Assert.False(AtomicFile.Write(link, File.ReadAllBytes(real)));
        Assert.Equal("summary.json", new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void A_destination_folder_that_refuses_writes_stops_the_run_with_one_error_naming_the_folder()
    {
        var (src, dest, items) = Tree();
        string? temporary = null;
        var exporter = new PrunedSetExporter
        {
            CreateTemporary = (p, target) =>
            {
                temporary = p;
                throw new UnauthorizedAccessException($"Access to the path '{p}' is denied.");
            },
        };
        var host = new Host();
        var summary = exporter.Run(items, new PrunedSetLayout(dest, src), Info(), host, CancellationToken.None);

        Assert.True(summary.Stopped);
        Assert.Equal((0, 1, 2), (summary.Copied, summary.Failed, summary.NotWritten));
        var apply = Assert.IsType<ApplyException>(Assert.Single(host.Errors).Error);
        Assert.Equal("DestinationNotWritable", apply.ErrorId);
        Assert.Equal(Path.Combine(dest, "cls"), apply.FilePath);
        Assert.Contains($"'{Path.Combine(dest, "cls")}'", apply.Message);
        Assert.DoesNotContain(Path.GetFileName(temporary!), apply.Message);
        Assert.Empty(AtomicFile.Leftovers(dest));
    }

    [Fact]
    public void A_run_holding_the_destination_stops_a_second_one_before_it_deletes_anything()
    {
        var (src, dest, items) = Tree();
        Directory.CreateDirectory(Path.Combine(dest, "cls"));
        string live = AtomicFile.TemporaryFor(Target(dest, "b"));
        File.WriteAllText(live, "being written by the other run");
        using (DestinationLock.Acquire(dest))
        {
            var host = new Host();
            var e = Assert.Throws<ApplyException>(() => new PrunedSetExporter().Run(items, new PrunedSetLayout(dest, src), Info(), host, CancellationToken.None));
            Assert.Equal("DestinationLocked", e.ErrorId);
            Assert.True(e.Terminating);
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
            Assert.Contains($"'{dest}'", e.Message);
            Assert.True(File.Exists(live));
            Assert.False(File.Exists(Target(dest, "a")));
            Assert.Empty(host.Errors);
        }
        // Let go: the next run takes the lock, and its file goes with it.
        var summary = new PrunedSetExporter().Run(items, new PrunedSetLayout(dest, src), Info(), new Host(), CancellationToken.None);
        Assert.Equal((3, 1), (summary.Copied, summary.TemporaryFilesRemoved));
        Assert.False(File.Exists(Path.Combine(dest, DestinationLock.FileName)));
    }

    [Fact]
    public void A_lock_file_no_process_holds_blocks_nothing_and_is_not_an_unlisted_file()
    {
        var (src, dest, items) = Tree();
        Directory.CreateDirectory(dest);
        // What a killed run leaves: its id in the file, no OS lock on it.
        File.WriteAllText(Path.Combine(dest, DestinationLock.FileName), "999999\nabc\n");
        var host = new Host();
        var summary = new PrunedSetExporter().Run(items, new PrunedSetLayout(dest, src), Info(), host, CancellationToken.None);
        Assert.Equal((3, 0, 0), (summary.Copied, summary.Failed, summary.Unlisted));
        Assert.Empty(host.Warnings);
        Assert.False(File.Exists(Path.Combine(dest, DestinationLock.FileName)));
    }

    [Fact]
    public void The_layout_keeps_paths_relative_to_the_common_folder_and_refuses_unsafe_destinations()
    {
        string root = Path.Combine(_dir.Path, "photos");
        string cat = Path.Combine(root, "cat", "a.png"), dog = Path.Combine(root, "dog", "sub", "b.png");
        Assert.Equal(root, PrunedSetLayout.CommonFolder(new[] { cat, dog }));
        Assert.Equal(Path.Combine(root, "cat"), PrunedSetLayout.CommonFolder(new[] { cat }));

        var layout = new PrunedSetLayout(Path.Combine(_dir.Path, "pruned"), root);
        Assert.Equal("dog/sub/b.png", layout.RelativePath(dog));
        Assert.Equal(Path.Combine(_dir.Path, "pruned", "dog", "sub", "b.png"), layout.Target("dog/sub/b.png"));
        Assert.Null(layout.RelativePath(Path.Combine(_dir.Path, "photos2", "c.png"))); // a shared prefix is not a parent
        Assert.Null(layout.Refusal(new[] { cat, dog }));

        // A sibling whose name starts with the root's is outside it; a folder below the root is inside.
        Assert.Null(new PrunedSetLayout(root + "-pruned", root).Refusal(new[] { cat }));
        Assert.Contains("inside the input tree", new PrunedSetLayout(Path.Combine(root, "pruned"), root).Refusal(new[] { cat }));
        Assert.Contains("inside the input tree", new PrunedSetLayout(root, root).Refusal(new[] { cat }));
        // A destination above a source would have the copy write over what it reads.
        Assert.Contains("lies inside the destination", new PrunedSetLayout(_dir.Path, Path.Combine(root, "cat")).Refusal(new[] { cat }));
    }

    [Fact]
    public void The_manifest_is_RFC_4180_with_every_field_quoted_and_doubles_that_round_trip()
    {
        var item = new ApplyItem("id \"q\", x\ny", "/p/a,b.png", Kept: false, Label: "lab,el", Cluster: 3, Distance: 0.1 + 0.2, Reason: "pruned: \"easy\"",
            Issues: "LabelError;Leak", LabelQuality: 0.25, SuggestedLabel: "cat", LeakOf: "/test/b.png", Override: "ab12");
        using var ms = new MemoryStream();
        ManifestCsv.Write(ms, new[] { new ManifestRow(item, null, 12, null) });
        string text = Encoding.UTF8.GetString(ms.ToArray());
        Assert.Equal(
            "\"Id\",\"Path\",\"Destination\",\"Size\",\"Sha256\",\"Label\",\"Cluster\",\"Distance\",\"Percentile\",\"DuplicateOf\",\"Similarity\",\"Kept\",\"Reason\",\"Model\"," +
            "\"Issues\",\"LabelQuality\",\"SuggestedLabel\",\"OutlierScore\",\"LeakOf\",\"Override\"\r\n" +
            "\"id \"\"q\"\", x\ny\",\"/p/a,b.png\",\"\",\"12\",\"\",\"lab,el\",\"3\",\"0.30000000000000004\",\"\",\"\",\"\",\"False\",\"pruned: \"\"easy\"\"\",\"\"," +
            "\"LabelError;Leak\",\"0.25\",\"cat\",\"\",\"/test/b.png\",\"ab12\"\r\n",
            text);
        Assert.NotEqual(0xEF, ms.ToArray()[0]); // no byte-order mark
    }
}

using System.Text;
using PruneCmdlets.Apply;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// The apply journal and the undo core: what is journaled, what a torn or corrupt journal does,
/// and what the undo removes, keeps and never follows. The Pester tests drive the same paths
/// through the cmdlets, a killed apply and a killed undo.
/// </summary>
public class PrunedSetUndoTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private sealed class ApplyHost : IApplyHost
    {
        public bool ShouldProcess(string target, string action) => true;
        public void Failed(ApplyItem item, Exception error) => throw new Xunit.Sdk.XunitException($"apply failed: {error.Message}");
        public void Progress(ApplyProgress progress) { }
        public void Verbose(string message) { }
        public void Warning(string message) { }
    }

    private sealed class UndoHost : IUndoHost
    {
        public bool Allow { get; init; } = true;
        public bool WhatIf => !Allow;
        public List<string> Steps { get; } = new();
        public List<string> Warnings { get; } = new();
        public List<string> Failures { get; } = new();
        public bool ShouldProcess(string target, string action) { Steps.Add(target); return Allow; }
        public void Failed(string path, Exception error) => Failures.Add($"{path}: {error.Message}");
        public void Verbose(string message) { }
        public void Warning(string message) => Warnings.Add(message);
    }

    private static ApplyRunInfo Info() => new("0.0.0", Array.Empty<string>(), Array.Empty<KeyValuePair<string, string?>>(), DateTimeOffset.UtcNow);

    /// <summary>src/cls/a.bin, src/cls/sub/b.bin, src/c.bin with distinct bytes; dest is not created.</summary>
    private (string Src, string Dest, ApplyItem[] Items) Tree()
    {
        string src = Path.Combine(_dir.Path, "src"), dest = Path.Combine(_dir.Path, "dest");
        var items = new List<ApplyItem>();
        int n = 0;
        foreach (var rel in new[] { "cls/a.bin", "cls/sub/b.bin", "c.bin" })
        {
            string p = Path.Combine(src, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            var bytes = new byte[1000 + 100 * n];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 + n * 13);
            File.WriteAllBytes(p, bytes);
            items.Add(new ApplyItem(p, p, Kept: true));
            n++;
        }
        return (src, dest, items.ToArray());
    }

    private static PrunedSetSummary Apply(string src, string dest, ApplyItem[] items, ApplyMode mode = ApplyMode.Copy)
        => new PrunedSetExporter { Mode = mode }.Run(items, new PrunedSetLayout(dest, src), Info(), new ApplyHost(), CancellationToken.None);

    private static PrunedSetUndoSummary Undo(string dest, UndoHost host) => new PrunedSetUndo().Run(dest, host, CancellationToken.None);

    /// <summary>Every file and folder under <paramref name="root"/>, relative, sorted; links listed, not followed.</summary>
    private static string[] Listing(string root)
        => Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/')).OrderBy(p => p, StringComparer.Ordinal).ToArray();

    private static string State(string root)
        => string.Join("\n", Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .OrderBy(p => p, StringComparer.Ordinal).Select(p => $"{p} {FileHash.Sha256(p, CancellationToken.None)}"));

    [Fact]
    public void The_journal_lists_every_folder_and_file_the_apply_made_and_an_identical_rerun_adds_nothing()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items);
        var entries = ApplyJournal.Read(ApplyJournal.PathIn(dest));
        Assert.Equal(
            new[] { "run:", "folder:.", "folder:cls", "copy:cls/a.bin", "folder:cls/sub", "copy:cls/sub/b.bin", "copy:c.bin", "manifest:manifest.csv", "runrecord:prune.json" },
            entries.Select(e => $"{e.Kind.ToString().ToLowerInvariant()}:{e.Path}").ToArray());
        var b = entries.Single(e => e.Path == "cls/sub/b.bin");
        Assert.Equal((1100L, FileHash.Sha256(items[1].Path, CancellationToken.None)), (b.Size!.Value, b.Sha256));
        var manifest = entries.Single(e => e.Kind == JournalKind.Manifest);
        Assert.Equal(FileHash.Sha256(Path.Combine(dest, ManifestCsv.FileName), CancellationToken.None), manifest.Sha256);

        long before = new FileInfo(ApplyJournal.PathIn(dest)).Length;
        var again = Apply(src, dest, items);
        Assert.Equal(3, again.Skipped);
        Assert.Equal(before, new FileInfo(ApplyJournal.PathIn(dest)).Length);
    }

    [Fact]
    public void A_torn_last_line_is_ignored_and_cut_off_before_the_next_append()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items[..1]);
        string journal = ApplyJournal.PathIn(dest);
        int complete = ApplyJournal.Read(journal).Count;
        File.AppendAllText(journal, "{\"kind\":\"copy\",\"path\":\"cls/sub/b.b");   // a kill in the middle of a write
        Assert.Equal(complete, ApplyJournal.Read(journal).Count);

        Apply(src, dest, items);
        var entries = ApplyJournal.Read(journal);
        Assert.DoesNotContain("cls/sub/b.b", File.ReadAllText(journal).Replace("cls/sub/b.bin", ""));
        Assert.Contains(entries, e => e.Path == "cls/sub/b.bin" && e.Kind == JournalKind.Copy);
        Assert.Equal(2, entries.Count(e => e.Kind == JournalKind.Run));
    }

    [Theory]
    [InlineData("{\"kind\":\"copy\",\"path\":\"x\"", "not a JSON object")]
    [InlineData("{\"kind\":\"copy\",\"path\":\"../outside.bin\",\"size\":1,\"sha256\":\"" + "00000000000000000000000000000000000000000000000000000000000000ab" + "\"}", "leads out of the destination")]
    [InlineData("{\"kind\":\"copy\",\"path\":\"/etc/passwd\",\"size\":1,\"sha256\":\"" + "00000000000000000000000000000000000000000000000000000000000000ab" + "\"}", "leads out of the destination")]
    [InlineData("{\"kind\":\"copy\",\"path\":\"a.bin\",\"size\":1}", "needs 'size' and 'sha256'")]
    [InlineData("{\"kind\":\"teleport\",\"path\":\"a.bin\"}", "unknown kind")]
    public void A_corrupt_line_before_the_last_stops_the_undo_naming_the_line_and_changes_nothing(string bad, string why)
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items);
        string journal = ApplyJournal.PathIn(dest);
        var lines = File.ReadAllLines(journal).ToList();
        lines.Insert(2, bad);
        File.WriteAllText(journal, string.Join("\n", lines) + "\n");
        string state = State(dest);

        var e = Assert.Throws<JournalCorruptException>(() => Undo(dest, new UndoHost()));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("line 3", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Equal(state, State(dest));
    }

    [Fact]
    public void No_journal_is_a_terminating_error_saying_the_folder_was_not_made_by_export()
    {
        string dest = Path.Combine(_dir.Path, "plain");
        Directory.CreateDirectory(dest);
        File.WriteAllText(Path.Combine(dest, "mine.txt"), "mine");
        var e = Assert.Throws<ApplyException>(() => Undo(dest, new UndoHost()));
        Assert.Equal(("NoJournal", true), (e.ErrorId, e.Terminating));
        Assert.Contains("not made by Export-PrunedSet", e.Message);
        Assert.True(File.Exists(Path.Combine(dest, "mine.txt")));
    }

    [Fact]
    public void Undo_of_a_created_destination_removes_it_whole_and_leaves_the_sources()
    {
        var (src, dest, items) = Tree();
        string sources = State(src);
        Apply(src, dest, items);
        var s = Undo(dest, new UndoHost());
        Assert.False(Directory.Exists(dest));
        Assert.Equal((5, 0, 0, 3, true), (s.Removed, s.KeptChanged, s.KeptAdded, s.FoldersRemoved, s.JournalRemoved));
        Assert.Equal(sources, State(src));
    }

    [Fact]
    public void Undo_of_a_destination_that_existed_leaves_it_as_it_was()
    {
        var (src, dest, items) = Tree();
        Directory.CreateDirectory(Path.Combine(dest, "cls"));
        File.WriteAllText(Path.Combine(dest, "cls", "mine.txt"), "mine");
        File.WriteAllText(Path.Combine(dest, "notes.txt"), "notes");
        var before = Listing(dest);
        Apply(src, dest, items);
        var s = Undo(dest, new UndoHost());
        Assert.Equal(before, Listing(dest));
        Assert.Equal((5, 0, 1), (s.Removed, s.KeptAdded, s.FoldersRemoved)); // only cls/sub was created; mine.txt sits in a folder that existed
    }

    [Fact]
    public void A_changed_file_and_an_added_file_stay_named_in_warnings_with_their_folders_and_the_journal()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items);
        string changed = Path.Combine(dest, "cls", "a.bin"), added = Path.Combine(dest, "cls", "sub", "new.txt");
        string sameSize = Path.Combine(dest, "c.bin");
        File.WriteAllText(changed, "edited by hand");
        File.WriteAllBytes(sameSize, new byte[new FileInfo(sameSize).Length]); // re-encoded: same size, other bytes
        File.WriteAllText(added, "added by hand");
        var host = new UndoHost();
        var s = Undo(dest, host);
        Assert.Equal((3, 2, 1, false), (s.Removed, s.KeptChanged, s.KeptAdded, s.JournalRemoved));
        Assert.Equal(new[] { "c.bin", "cls", "cls/a.bin", "cls/sub", "cls/sub/new.txt", ApplyJournal.FileName }, Listing(dest));
        Assert.Contains(host.Warnings, w => w.Contains($"'{changed}'") && w.Contains("bytes now"));
        Assert.Contains(host.Warnings, w => w.Contains($"'{sameSize}'") && w.Contains("SHA-256 differs"));
        Assert.Contains(host.Warnings, w => w.Contains($"'{added}'") && w.Contains("not in the journal"));

        // Once the user deals with them, the same command finishes.
        File.Delete(changed);
        File.Delete(sameSize);
        File.Delete(added);
        var done = Undo(dest, new UndoHost());
        Assert.Equal((5, 0, true), (done.AlreadyGone, done.Removed, done.JournalRemoved));
        Assert.False(Directory.Exists(dest));
    }

    [Fact]
    public void Declined_steps_change_nothing_and_every_step_is_offered()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items);
        File.WriteAllText(Path.Combine(dest, DestinationLock.FileName), "999999\nstale\n"); // a killed run's lock
        string state = State(dest);
        var host = new UndoHost { Allow = false };
        var s = Undo(dest, host);
        Assert.Equal(state, State(dest));
        Assert.Equal(0, s.Removed);
        // 5 files, 2 folders, the journal, the destination: each offered once.
        Assert.Equal(9, host.Steps.Count);
        Assert.Equal(dest, host.Steps[^1]);
        Assert.Contains(ApplyJournal.PathIn(dest), host.Steps);
    }

    [Fact]
    public void A_folder_replaced_by_a_link_into_the_sources_is_never_followed()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items);
        // The copies under dest/cls match their sources byte for byte: deleting through the link would destroy the sources.
        Directory.Delete(Path.Combine(dest, "cls"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(dest, "cls"), Path.Combine(src, "cls"));
        string sources = State(src);
        var host = new UndoHost();
        var s = Undo(dest, host);
        Assert.Equal(sources, State(src));
        Assert.True(File.Exists(items[0].Path) && File.Exists(items[1].Path));
        Assert.Equal(3, s.KeptChanged); // a.bin, sub/b.bin, and the folder cls now a link
        Assert.Contains(host.Warnings, w => w.Contains("leads out of the destination"));
        Assert.True(new DirectoryInfo(Path.Combine(dest, "cls")).LinkTarget is not null);
    }

    [Fact]
    public void Symbolic_links_are_removed_as_links_and_a_retargeted_one_is_kept()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items, ApplyMode.SymbolicLink);
        string retargeted = Path.Combine(dest, "c.bin");
        File.Delete(retargeted);
        File.CreateSymbolicLink(retargeted, items[0].Path);
        string sources = State(src);
        var host = new UndoHost();
        var s = Undo(dest, host);
        Assert.Equal((4, 1), (s.Removed, s.KeptChanged));
        Assert.Contains(host.Warnings, w => w.Contains("links to"));
        Assert.Equal(sources, State(src));
        Assert.Equal(new[] { "c.bin", ApplyJournal.FileName }, Listing(dest));
    }

    [Fact]
    public void Hard_links_are_removed_by_name_and_the_sources_keep_theirs()
    {
        if (OperatingSystem.IsWindows()) return; // link(2); the Windows path is CreateHardLinkW, exercised by the Pester tests there
        var (src, dest, items) = Tree();
        string sources = State(src);
        Apply(src, dest, items, ApplyMode.HardLink);
        Assert.Contains(ApplyJournal.Read(ApplyJournal.PathIn(dest)), e => e.Kind == JournalKind.HardLink && e.Path == "cls/a.bin");
        var s = Undo(dest, new UndoHost());
        Assert.Equal(5, s.Removed);
        Assert.False(Directory.Exists(dest));
        Assert.Equal(sources, State(src));
    }

    [Fact]
    public void An_interrupted_undo_finishes_when_run_again()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items);
        // What a killed undo leaves: some files gone, a folder gone, the journal still there.
        File.Delete(Path.Combine(dest, "cls", "sub", "b.bin"));
        Directory.Delete(Path.Combine(dest, "cls", "sub"));
        File.Delete(Path.Combine(dest, "c.bin"));
        var s = Undo(dest, new UndoHost());
        Assert.Equal((3, 2, true), (s.Removed, s.AlreadyGone, s.JournalRemoved));
        Assert.False(Directory.Exists(dest));
    }

    [Fact]
    public void A_killed_applys_temporary_file_and_unrenamed_entry_are_undone()
    {
        var (src, dest, items) = Tree();
        Apply(src, dest, items[..1]);
        // A kill between journaling b and renaming it: the entry names a file that is not there, its bytes sit under a temporary name.
        string journal = ApplyJournal.PathIn(dest);
        string sha = FileHash.Sha256(items[1].Path, CancellationToken.None);
        File.AppendAllText(journal, "{\"kind\":\"folder\",\"path\":\"cls/sub\"}\n{\"kind\":\"copy\",\"path\":\"cls/sub/b.bin\",\"size\":1100,\"sha256\":\"" + sha + "\"}\n", new UTF8Encoding(false));
        Directory.CreateDirectory(Path.Combine(dest, "cls", "sub"));
        string temporary = PruneCmdlets.IO.AtomicFile.TemporaryFor(Path.Combine(dest, "cls", "sub", "b.bin"));
        File.Copy(items[1].Path, temporary);
        var s = Undo(dest, new UndoHost());
        Assert.Equal((1, 1, 3), (s.TemporaryFilesRemoved, s.AlreadyGone, s.Removed));
        Assert.False(Directory.Exists(dest));
    }
}

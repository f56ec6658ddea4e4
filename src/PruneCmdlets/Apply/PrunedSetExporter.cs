using PruneCmdlets.IO;
using System.Diagnostics;
using System.Security.Cryptography;

namespace PruneCmdlets.Apply;

/// <summary>
/// Turns a pruning decision into a data set on disk: every kept file placed under the destination
/// at its path relative to the root (copied, hard-linked or symlinked), every record listed in
/// manifest.csv, the run described in prune.json. Sources are only ever read.
///
/// Safety rules, each for a way a run can go wrong:
/// - every file is written under a temporary name and renamed, so a run killed at any point
///   leaves no partial file under a real name; the next run removes the leftovers first;
/// - a target that already holds the same bytes (same size, then same SHA-256) is skipped, so a
///   re-run finishes an interrupted job and otherwise changes nothing; a target with other bytes
///   is an error unless <see cref="Force"/>;
/// - a record from a saved manifest (with Size and Sha256) is checked against its source first,
///   and a copy is checked again against the hash of the bytes it copied, so a file that changed
///   since the decision is never placed;
/// - a full disk, or a destination folder that refuses writes, stops the run: every further
///   file would fail too;
/// - one run at a time per destination (<see cref="DestinationLock"/>), taken before the first
///   change on disk, so a second run cannot delete the first one's live temporary files;
/// - a source that is a symbolic link (a Hugging Face cache, git-annex, DVC) is read, measured
///   and hard-linked through its final target, never as the link itself;
/// - every file and folder the run creates is named in the destination's journal
///   (<see cref="ApplyJournal"/>) before it appears under its real name, so Undo-PrunedSet can
///   take back exactly what was made, also after a kill. The lock file and temporary files are
///   not journaled: each run deletes its own, and the undo removes what a killed run left.
/// Identity of an existing target is checked by size and full SHA-256, never by timestamps: a
/// restored backup or a re-encoded image can keep its size and mtime.
/// </summary>
internal sealed partial class PrunedSetExporter
{
    private const int BufferSize = 1 << 20;

    public ApplyMode Mode { get; init; } = ApplyMode.Copy;
    public bool Force { get; init; }
    public bool ManifestOnly { get; init; }

    /// <summary>
    /// Adds these records to a destination an earlier apply made, as one more increment: its
    /// manifest and run record go to files of their own (<see cref="IncrementFiles"/>), so no
    /// file of an earlier apply is ever rewritten, and files the journal lists are no surprise.
    /// </summary>
    public bool Increment { get; init; }

    /// <summary>Inputs the caller could not turn into items (no Path): counted as failed in the summary and prune.json.</summary>
    public int RejectedInputs { get; init; }

    /// <summary>
    /// Opens the temporary file (first argument) a copy of the target (second) is written to. A
    /// seam for tests (a stream that throws "disk full"); the default creates the file exclusively.
    /// </summary>
    public Func<string, string, Stream> CreateTemporary { get; init; } =
        (path, _) => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.None);

    private DestinationLock? _lock;
    private ApplyJournal? _journal;
    private ApplyRunInfo? _info;

    private enum Outcome { Copied, Linked, Skipped, NotWritten }

    public PrunedSetSummary Run(IReadOnlyList<ApplyItem> items, PrunedSetLayout layout, ApplyRunInfo info, IApplyHost host, CancellationToken cancel)
    {
        _info = info;
        try { return RunLocked(items, layout, info, host, cancel); }
        finally
        {
            _journal?.Dispose();
            _journal = null;
            _lock?.Dispose();
            _lock = null;
        }
    }

    /// <summary>
    /// Takes the destination's lock before the first change on disk (so -WhatIf takes none). A
    /// destination that cannot be created or written at all ends the command here, with one
    /// error that names it, before any file is tried.
    /// </summary>
    private void Lock(PrunedSetLayout layout)
    {
        if (_lock is not null) return;
        string destination = layout.Destination;
        bool existed = Directory.Exists(destination);
        try
        {
            _lock = DestinationLock.Acquire(destination);
            // The lock creates the folder, and the journal can only live in it: this one entry
            // follows the change instead of preceding it (a kill in between leaves an empty folder).
            if (!existed) Journal(layout, new JournalEntry(JournalKind.Folder, "."));
        }
        catch (IOException e) when (e is not ApplyException && AtomicFile.IsDiskFull(e))
        {
            throw new ApplyException("DiskFull", destination,
                $"The disk is full: nothing can be written into the destination '{destination}'; nothing was placed. Free space or choose another destination.", e, terminating: true);
        }
        catch (Exception e) when (AtomicFile.IsNotWritable(e))
        {
            throw NotWritable(destination, e, terminating: true);
        }
    }

    /// <summary>Appends to the destination's journal, opening it (and writing this run's header) on the run's first change: a re-run that makes nothing adds nothing.</summary>
    private void Journal(PrunedSetLayout layout, JournalEntry entry)
    {
        if (_journal is null)
        {
            _journal = ApplyJournal.OpenForAppend(layout.Destination);
            _journal.Append(new JournalEntry(JournalKind.Run, null) { Tool = "Export-PrunedSet", ModuleVersion = _info?.ModuleVersion, Started = _info?.Started });
        }
        _journal.Append(entry);
    }

    /// <summary>Journals, top down, each folder from the destination to <paramref name="folder"/> that does not exist yet; the caller then creates them.</summary>
    private void JournalMissingFolders(PrunedSetLayout layout, string folder)
    {
        var missing = new Stack<string>();
        for (string? f = folder; f is not null && !Directory.Exists(f) && PrunedSetLayout.IsInside(f, layout.Destination)
             && !string.Equals(Path.TrimEndingDirectorySeparator(f), layout.Destination, PrunedSetLayout.PathComparison); f = Path.GetDirectoryName(f))
            missing.Push(f);
        while (missing.Count > 0)
            Journal(layout, new JournalEntry(JournalKind.Folder, Path.GetRelativePath(layout.Destination, missing.Pop()).Replace(Path.DirectorySeparatorChar, '/')));
    }

    private static ApplyException NotWritable(string folder, Exception e, bool terminating)
        => new("DestinationNotWritable", folder,
            $"Cannot write into '{folder}': {(e is UnauthorizedAccessException ? "permission denied" : "the file system is read-only")}. " +
            (terminating ? "Nothing was placed." : "The run stopped, as every further file would fail too; the files placed so far are complete.") +
            " Make the folder writable (e.g. chmod -R u+w, or remount it read-write) or choose another destination, then run the same command again.",
            e, stopsRun: !terminating, terminating: terminating);

    private PrunedSetSummary RunLocked(IReadOnlyList<ApplyItem> items, PrunedSetLayout layout, ApplyRunInfo info, IApplyHost host, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var summary = new PrunedSetSummary { Destination = layout.Destination, RelativeTo = layout.Root, Mode = Mode, Records = items.Count, Failed = RejectedInputs };
        var (manifestName, jsonName, increment) = Increment ? IncrementFiles(layout.Destination, info.DecisionRun) : (ManifestCsv.FileName, PruneJson.FileName, 1);
        summary.Increment = increment;

        foreach (var leftover in AtomicFile.Leftovers(layout.Destination).ToList())
            if (host.ShouldProcess(leftover, "Remove leftover temporary file of an interrupted run"))
            {
                Lock(layout); // another run's live temporary file is no leftover
                File.Delete(leftover);
                summary.TemporaryFilesRemoved++;
            }

        var kept = items.Where(i => i.Kept).ToList();
        summary.Kept = kept.Count;
        summary.Pruned = items.Count - kept.Count;
        long bytesTotal = kept.Sum(i => SizeOrZero(i.Path));
        long bytesDone = 0;
        int filesDone = 0;

        var rows = new List<ManifestRow>(items.Count);
        var targets = new HashSet<string>(PrunedSetLayout.PathComparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        foreach (var item in items)
        {
            cancel.ThrowIfCancellationRequested();
            if (!item.Kept)
            {
                rows.Add(new ManifestRow(item, null, SizeOrNull(item.Path), null));
                continue;
            }
            if (summary.Stopped) { summary.NotWritten++; continue; }
            string? relative = layout.RelativePath(item.Path);
            try
            {
                if (relative is null)
                    throw new ApplyException("PathOutsideRoot", item.Path,
                        $"'{item.Path}' is not inside '{layout.Root}', the folder the layout is relative to; give a -RelativeTo that holds every kept file.");
                long before = bytesDone;
                targets.Add(layout.Target(relative));
                var (outcome, size, sha) = Place(item, layout, layout.Target(relative), host,
                    copied => host.Progress(new ApplyProgress(filesDone, kept.Count, before + copied, bytesTotal, clock.Elapsed, item.Path)), cancel);
                bytesDone = before + size;
                switch (outcome)
                {
                    case Outcome.Copied: summary.Copied++; summary.BytesCopied += size; break;
                    case Outcome.Linked: summary.Linked++; break;
                    case Outcome.Skipped: summary.Skipped++; break;
                    default: summary.NotWritten++; break;
                }
                // -ManifestOnly lists where each kept file belongs, for tools that place files themselves.
                rows.Add(new ManifestRow(item, outcome == Outcome.NotWritten && !ManifestOnly ? null : relative, size, sha));
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && e is not ApplyException { Terminating: true })
            {
                summary.Failed++;
                if (e is ApplyException { StopsRun: true }) summary.Stopped = true;
                host.Failed(item, e);
                rows.Add(new ManifestRow(item, null, SizeOrNull(item.Path), null));
            }
            filesDone++;
            host.Progress(new ApplyProgress(filesDone, kept.Count, bytesDone, bytesTotal, clock.Elapsed, item.Path));
        }

        if (!summary.Stopped && !ManifestOnly) WarnUnlisted(layout, targets, summary, host, manifestName, jsonName, Increment);

        // After a stop the folder is not what the records describe, and the disk that stopped it
        // would refuse the manifest too: the earlier manifest, if any, stays.
        if (!summary.Stopped)
        {
            var manifest = Path.Combine(layout.Destination, manifestName);
            if (host.ShouldProcess(manifest, $"Write the manifest of {rows.Count} records and {PruneJson.FileName}"))
            {
                Lock(layout);
                summary.Elapsed = clock.Elapsed;
                string json = Path.Combine(layout.Destination, jsonName);
                bool jsonExisted = File.Exists(json) || new FileInfo(json).LinkTarget is not null;
                // Journaled when its bytes differ from what was there: an identical re-run adds nothing.
                WriteOrStop(manifest, s => ManifestCsv.Write(s, rows), temporary =>
                {
                    var d = FileDigest.Of(temporary, manifest);
                    if (!Holds(manifest, d)) Journal(layout, new JournalEntry(JournalKind.Manifest, manifestName, d.Size, d.Sha256));
                });
                WriteOrStop(json, s => PruneJson.Write(s, info, summary, info.Started + clock.Elapsed), _ =>
                {
                    if (!jsonExisted) Journal(layout, new JournalEntry(JournalKind.RunRecord, jsonName));
                });
                summary.Manifest = manifest;
            }
        }
        summary.Elapsed = clock.Elapsed;
        return summary;
    }

    /// <summary>
    /// A destination used before with another decision still holds the files that decision kept
    /// and this one prunes; a training job reading the folder would train on them. There is
    /// deliberately no delete mode, so say how many there are and name one.
    /// </summary>
    private static void WarnUnlisted(PrunedSetLayout layout, HashSet<string> targets, PrunedSetSummary summary, IApplyHost host, string manifestName, string jsonName, bool increment)
    {
        if (!Directory.Exists(layout.Destination)) return;
        string manifest = Path.Combine(layout.Destination, manifestName), json = Path.Combine(layout.Destination, jsonName);
        // An increment expects the files of the earlier applies: those the journal lists, and their manifests and run records.
        var earlier = new HashSet<string>(AtomicFile.PathComparer);
        if (increment && File.Exists(ApplyJournal.PathIn(layout.Destination)))
            foreach (var e in ApplyJournal.Read(ApplyJournal.PathIn(layout.Destination)))
                if (e.Path is { } p && p != ".") earlier.Add(Path.Combine(layout.Destination, p.Replace('/', Path.DirectorySeparatorChar)));
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        string? first = null;
        foreach (var file in Directory.EnumerateFiles(layout.Destination, "*", options))
        {
            if (targets.Contains(file) || earlier.Contains(file) || AtomicFile.IsTemporary(file) || string.Equals(file, manifest, PrunedSetLayout.PathComparison)
                || string.Equals(file, json, PrunedSetLayout.PathComparison) || string.Equals(file, Path.Combine(layout.Destination, DestinationLock.FileName), PrunedSetLayout.PathComparison)
                || string.Equals(file, ApplyJournal.PathIn(layout.Destination), PrunedSetLayout.PathComparison)) continue;
            first ??= file;
            summary.Unlisted++;
        }
        if (first is not null)
            host.Warning($"{summary.Unlisted} file(s) under '{layout.Destination}' are not part of this decision, e.g. '{first}': left there by an earlier run with another decision, or put there by hand. They were left as they are, and a job reading the folder would read them too: remove them, or apply into an empty folder.");
    }

    /// <summary>
    /// The manifest and run record of an increment, and its number: manifest.csv and prune.json
    /// (1) into a destination that has no manifest yet; otherwise the increment whose run record
    /// names the same decisions (<see cref="PruneCmdlets.Review.DecisionRun"/>), so a re-run
    /// rewrites its own files and adds nothing; otherwise the next free number n, as
    /// manifest.n.csv and prune.n.json. No file of an earlier apply is written.
    /// </summary>
    internal static (string Manifest, string Json, int Number) IncrementFiles(string destination, string? decisionRun)
    {
        if (!File.Exists(Path.Combine(destination, ManifestCsv.FileName))) return (ManifestCsv.FileName, PruneJson.FileName, 1);
        int last = 1;
        foreach (var file in Directory.EnumerateFiles(destination, "*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            var m = IncrementName().Match(Path.GetFileName(file));
            if (m.Success && int.TryParse(m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value, out int n) && n > last) last = n;
        }
        for (int n = 1; n <= last && decisionRun is not null; n++)
            if (PruneJson.DecisionRunOf(Path.Combine(destination, n == 1 ? PruneJson.FileName : $"prune.{n}.json")) == decisionRun)
                return n == 1 ? (ManifestCsv.FileName, PruneJson.FileName, 1) : ($"manifest.{n}.csv", $"prune.{n}.json", n);
        return ($"manifest.{last + 1}.csv", $"prune.{last + 1}.json", last + 1);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(manifest\.([0-9]{1,9})\.csv|prune\.([0-9]{1,9})\.json)$")]
    private static partial System.Text.RegularExpressions.Regex IncrementNamePattern();

    private static System.Text.RegularExpressions.Regex IncrementName() => IncrementNamePattern();

    /// <summary>Whether <paramref name="path"/> is a plain file with the size and SHA-256 of <paramref name="digest"/>.</summary>
    private static bool Holds(string path, FileDigest digest)
    {
        var f = new FileInfo(path);
        return f.LinkTarget is null && f.Exists && f.Length == digest.Size && FileHash.Sha256(path, CancellationToken.None) == digest.Sha256;
    }

    private static void WriteOrStop(string path, Action<Stream> write, Action<string> beforeRename)
    {
        try { AtomicFile.Replace(path, write, beforeRename); }
        catch (IOException e) when (e is not ApplyException)
        {
            throw new ApplyException(AtomicFile.IsDiskFull(e) ? "DiskFull" : "ManifestWriteFailed", path,
                $"Cannot write '{path}': {e.Message} The files placed so far are complete; free space or fix the folder and run the same command again.", e, stopsRun: true);
        }
    }

    private static long SizeOrZero(string path) => SizeOrNull(path) ?? 0;

    /// <summary>The size of the file <paramref name="path"/> names, through links: a link's own size is that of the text it holds.</summary>
    private static long? SizeOrNull(string path)
    {
        try
        {
            var f = new FileInfo(path);
            if (f.LinkTarget is not null) f = (FileInfo)f.ResolveLinkTarget(returnFinalTarget: true)!;
            return f.Exists ? f.Length : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; } // a link loop, a folder it may not look into
    }

    /// <summary>
    /// The file a source path names: itself, or the final target of the symbolic link it is (the
    /// blob of a Hugging Face cache, git-annex or DVC). Its size, hash and bytes are the data;
    /// hard-linking the link itself would give a second link, dangling when its target is relative.
    /// </summary>
    private static FileInfo SourceFile(string source)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is null)
            return info.Exists ? info : throw new ApplyException("SourceNotFound", source, $"The source '{source}' does not exist (or is a folder); it was not placed.");
        var target = (FileInfo)info.ResolveLinkTarget(returnFinalTarget: true)!;
        return target.Exists ? target : throw new ApplyException("SourceNotFound", source,
            $"The source '{source}' is a symbolic link to '{target.FullName}', which does not exist (or is a folder); it was not placed. Fetch the file it stands for (git annex get, dvc pull, a new download) or leave the record out.");
    }

    private (Outcome, long Size, string? Sha) Place(ApplyItem item, PrunedSetLayout layout, string target, IApplyHost host, Action<long> copied, CancellationToken cancel)
    {
        string source = item.Path;
        var info = SourceFile(source);
        string data = info.FullName; // what is read and hard-linked: the source, or the file its links lead to
        long size = info.Length;
        string? sha = null;
        if (item.ExpectedSize is long expectedSize && expectedSize != size)
            throw SourceChanged(source, $"it is {size} bytes now, the manifest says {expectedSize}");
        if (item.ExpectedSha256 is { Length: > 0 } expected)
        {
            sha = FileHash.Sha256(data, cancel);
            if (!string.Equals(sha, expected, StringComparison.OrdinalIgnoreCase))
                throw SourceChanged(source, $"its SHA-256 is {sha} now, the manifest says {expected.ToLowerInvariant()}");
        }
        if (ManifestOnly) return (Outcome.NotWritten, size, sha ?? FileHash.Sha256(data, cancel));

        if (Directory.Exists(target))
            throw new ApplyException("TargetExists", target, $"'{target}' is a folder; it cannot receive the file '{source}'. Move it away and run again.");
        var state = Inspect(target, source, data, size, ref sha, cancel);
        if (state == TargetState.Same)
        {
            host.Verbose($"Skipped '{target}': already identical to '{source}'.");
            return (Outcome.Skipped, size, sha);
        }
        if (state == TargetState.Different && !Force)
            throw new ApplyException("TargetExists", target,
                $"'{target}' already exists with other content than '{source}'; it was left as it is. Give -Force to replace it, or choose an empty destination.");
        bool replace = state != TargetState.Absent;

        string action = (Mode switch
        {
            ApplyMode.HardLink => $"Hard-link to '{data}'",
            ApplyMode.SymbolicLink => $"Create a symbolic link to '{source}'",
            _ => $"Copy '{source}' ({size:N0} bytes)",
        }) + (state == TargetState.Different ? " (replacing a different file: -Force)" : state == TargetState.SameContentOtherForm ? " (replacing an identical file of another kind)" : "");
        if (!host.ShouldProcess(target, action)) return (Outcome.NotWritten, size, sha);

        Lock(layout);
        string folder = Path.GetDirectoryName(target)!;
        try
        {
            JournalMissingFolders(layout, folder);
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (DestinationStop(e, target, source, folder, creatingFolder: true) is { } stop) { throw stop; }
        // Opened before anything is written, so what fails from here on is the destination's
        // (a source that cannot be read is that file's own error).
        using var input = Mode == ApplyMode.Copy ? new FileStream(data, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan) : null;
        string temporary = AtomicFile.TemporaryFor(target);
        try
        {
            switch (Mode)
            {
                case ApplyMode.Copy:
                    var copiedSha = Copy(input!, temporary, target, info.LastWriteTimeUtc, copied, cancel);
                    if (sha is not null && sha != copiedSha)
                        throw SourceChanged(source, "it changed while it was being copied");
                    sha = copiedSha;
                    break;
                case ApplyMode.HardLink:
                    HardLink.Create(data, temporary, target);
                    break;
                default:
                    File.CreateSymbolicLink(temporary, source);
                    break;
            }
            // Links share the source's bytes: hash the source for the manifest and the journal.
            sha ??= FileHash.Sha256(data, cancel);
            Journal(layout, new JournalEntry(Mode switch { ApplyMode.Copy => JournalKind.Copy, ApplyMode.HardLink => JournalKind.HardLink, _ => JournalKind.SymbolicLink },
                Path.GetRelativePath(layout.Destination, target).Replace(Path.DirectorySeparatorChar, '/'), size, sha, Mode == ApplyMode.SymbolicLink ? source : null));
            File.Move(temporary, target, overwrite: replace);
        }
        catch (Exception e) when (DestinationStop(e, target, source, folder, creatingFolder: false) is { } stop)
        {
            AtomicFile.TryDelete(temporary);
            throw stop;
        }
        catch
        {
            AtomicFile.TryDelete(temporary);
            throw;
        }
        host.Verbose($"{(Mode == ApplyMode.Copy ? "Copied" : "Linked")} '{source}' to '{target}'.");
        return (Mode == ApplyMode.Copy ? Outcome.Copied : Outcome.Linked, size, sha);
    }

    /// <summary>
    /// A failure of the destination that every further file would meet too, as the error that
    /// stops the run (naming the target or its folder, never the temporary name); null for
    /// failures of this file alone.
    /// </summary>
    private static ApplyException? DestinationStop(Exception e, string target, string source, string folder, bool creatingFolder)
    {
        if (e is ApplyException || e is not (IOException or UnauthorizedAccessException)) return null;
        if (e is IOException io && AtomicFile.IsDiskFull(io))
            return new ApplyException("DiskFull", target,
                (creatingFolder
                    ? $"The disk is full: the folder '{folder}' could not be created, so '{target}' (from '{source}') was not written."
                    : $"The disk is full: '{target}' (from '{source}') could not be written and its partial copy was removed.") +
                " The run stopped, as every further file would fail too; free space or choose another destination and run the same command again (files already placed are skipped).",
                e, stopsRun: true);
        return AtomicFile.IsNotWritable(e) ? NotWritable(folder, e, terminating: false) : null;
    }

    private static ApplyException SourceChanged(string source, string how)
        => new("SourceChanged", source, $"The source '{source}' changed since the decision was saved: {how}. It was not placed; decide again on the current files, or restore this one.");

    private enum TargetState { Absent, Same, SameContentOtherForm, Different }

    /// <summary>
    /// What is at the target now. The same bytes in the form this mode makes is Same (skipped);
    /// the same bytes in another form (a copy where a symbolic link is asked for, or the reverse)
    /// is replaced without -Force, as no data is lost. A plain file with the same bytes counts as
    /// Same for both Copy and HardLink: telling a copy from a hard link needs the inode.
    /// </summary>
    private TargetState Inspect(string target, string source, string data, long size, ref string? sha, CancellationToken cancel)
    {
        var existing = new FileInfo(target);
        bool isLink = existing.LinkTarget is not null;
        if (!isLink && !existing.Exists) return TargetState.Absent;
        if (isLink && string.Equals(Path.GetFullPath(existing.LinkTarget!, Path.GetDirectoryName(target)!), source, PrunedSetLayout.PathComparison))
            return Mode == ApplyMode.SymbolicLink ? TargetState.Same : TargetState.SameContentOtherForm;
        if (!File.Exists(target)) return TargetState.Different; // a dangling link
        long length;
        using (var s = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)) length = s.Length;
        if (length != size) return TargetState.Different;
        sha ??= FileHash.Sha256(data, cancel);
        if (FileHash.Sha256(target, cancel) != sha) return TargetState.Different;
        return isLink == (Mode == ApplyMode.SymbolicLink) ? TargetState.Same : TargetState.SameContentOtherForm;
    }

    /// <summary>Copies through the temporary-file seam, hashing the bytes as they pass, and flushes them to disk before the rename.</summary>
    private string Copy(Stream input, string temporary, string target, DateTime lastWriteUtc, Action<long> copied, CancellationToken cancel)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var output = CreateTemporary(temporary, target))
        {
            var buffer = new byte[BufferSize];
            long total = 0;
            var lastReport = Stopwatch.StartNew();
            int n;
            while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                hash.AppendData(buffer, 0, n);
                output.Write(buffer, 0, n);
                total += n;
                if (lastReport.ElapsedMilliseconds > 250) { copied(total); lastReport.Restart(); }
            }
            output.Flush();
            if (output is FileStream fs) fs.Flush(flushToDisk: true);
        }
        // The copy keeps the source's modification time, as cp -p does: caches keyed on it stay valid.
        File.SetLastWriteTimeUtc(temporary, lastWriteUtc);
        return FileHash.Hex(hash.GetHashAndReset());
    }
}

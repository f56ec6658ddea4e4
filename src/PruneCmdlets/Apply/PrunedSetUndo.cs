using PruneCmdlets.IO;
using System.Text.Json;

namespace PruneCmdlets.Apply;

/// <summary>What Undo-PrunedSet asks of its caller, so the core stays free of PowerShell.</summary>
internal interface IUndoHost
{
    /// <summary>Asked before every change on disk; false (-WhatIf, a declined -Confirm) leaves it undone.</summary>
    bool ShouldProcess(string target, string action);

    /// <summary>True under -WhatIf: the steps that follow a declined one are still shown.</summary>
    bool WhatIf { get; }

    /// <summary>A file or folder could not be removed; the undo goes on with the next.</summary>
    void Failed(string path, Exception error);

    void Verbose(string message);

    /// <summary>A file left in place (changed or added since the apply), named.</summary>
    void Warning(string message);
}

/// <summary>
/// Takes an Export-PrunedSet run back: removes exactly what the destination's journal
/// (<see cref="ApplyJournal"/>) lists and still matches it, then the folders the runs created once
/// they are empty. The rules, each for a way an undo could destroy what it must not:
/// - a file is removed only while it is what the apply made: a copy or hard link with the
///   recorded size and SHA-256, a symbolic link still pointing where it was made, prune.json still
///   this module's; a file changed since is kept and named in a warning, and so is any file found
///   in a folder the apply created that the journal does not list (added since);
/// - never through a link into the sources: every file's folder is resolved with its links
///   followed and must lie in the destination (resolved the same way); a symbolic link is removed
///   as the link, never its target; removing a hard link removes one name, never the source's;
/// - one run at a time per destination (<see cref="DestinationLock"/>, shared with the apply),
///   taken before the first change, after which the journal is read again;
/// - idempotent, so an interrupted undo finishes when run again: what is already gone is counted
///   and passed over, and the journal itself is removed last, only when everything it lists is gone.
/// </summary>
internal sealed class PrunedSetUndo
{
    /// <summary>Warnings naming single files; beyond this many, one more says how many there were.</summary>
    public int MaxNamedWarnings { get; init; } = 50;

    private DestinationLock? _lock;
    private int _warnings;

    private enum Verdict { Gone, Matches, Changed }

    /// <summary>
    /// Takes back only the last apply into the destination (Undo-PrunedSet -Last): what the
    /// journal lists after its last run header. Once all of that is gone, the journal is cut
    /// back to the earlier applies, so the next -Last takes back the one before. A file the last
    /// apply replaced that an earlier apply made too (a -Force re-run, a rewritten manifest.csv)
    /// is left as it is and named: removing it would take the earlier apply's file with it.
    /// </summary>
    public bool LastOnly { get; init; }

    public PrunedSetUndoSummary Run(string destination, IUndoHost host, CancellationToken cancel)
    {
        string dest = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        if (!Directory.Exists(dest))
            throw new ApplyException("DestinationNotFound", dest, $"The destination '{dest}' does not exist (or is a file); there is nothing to undo.", terminating: true);
        string journal = ApplyJournal.PathIn(dest);
        if (!File.Exists(journal)) throw NoJournal(dest);
        var entries = ApplyJournal.Read(journal);
        int total = entries.Count, start = LastOnly ? entries.FindLastIndex(e => e.Kind == JournalKind.Run) : -1;
        // Only one apply (or a journal with no header): -Last is the whole undo.
        var earlier = start > 0 && entries.Take(start).Any(e => e.Kind != JournalKind.Run) ? entries.Take(start).ToList() : null;
        if (earlier is not null) host.Verbose($"Undo-PrunedSet -Last: taking back the apply that started {entries[start].Started:u} (journal line {entries[start].Line}); the earlier applies stay.");
        try { return RunRead(dest, journal, earlier is null ? entries : entries.Skip(start).ToList(), total, earlier is null ? null : entries[start].Line, earlier, host, cancel); }
        finally
        {
            _lock?.Dispose();
            _lock = null;
        }
    }

    private static ApplyException NoJournal(string dest)
    {
        bool empty = !Directory.EnumerateFileSystemEntries(dest).Any(e => !string.Equals(Path.GetFileName(e), DestinationLock.FileName, PrunedSetLayout.PathComparison));
        return new ApplyException("NoJournal", dest,
            $"'{dest}' has no journal ({ApplyJournal.FileName}): it was not made by Export-PrunedSet, or was made by a version that kept no journal, so there is no record of what to remove. Nothing was changed." +
            (empty ? " The folder is empty: an undo may have finished here already; remove the folder by hand." : " Its manifest.csv, if any, names the placed files in its Destination column."),
            terminating: true);
    }

    private PrunedSetUndoSummary RunRead(string dest, string journal, List<JournalEntry> entries, int total, int? cutAt, List<JournalEntry>? earlierEntries, IUndoHost host, CancellationToken cancel)
    {
        var summary = new PrunedSetUndoSummary { Destination = dest };
        var comparer = AtomicFile.PathComparer;
        // The latest entry for a path wins: a re-run that replaced a file (-Force) or a rewritten manifest.
        var files = new Dictionary<string, JournalEntry>(comparer);
        var earlier = new HashSet<string>(earlierEntries?.Where(e => e.Path is not null).Select(e => e.Path!) ?? Enumerable.Empty<string>(), comparer);
        var order = new List<string>();
        var folders = new HashSet<string>(comparer);
        bool destinationCreated = false;
        foreach (var e in entries)
        {
            if (e.Kind == JournalKind.Run) continue;
            if (e.Kind == JournalKind.Folder)
            {
                if (e.Path == ".") destinationCreated = true;
                else folders.Add(e.Path!);
                continue;
            }
            if (!files.ContainsKey(e.Path!)) order.Add(e.Path!);
            files[e.Path!] = e;
        }
        host.Verbose($"Undo-PrunedSet: the journal '{journal}' lists {files.Count} file(s) and {folders.Count + (destinationCreated ? 1 : 0)} folder(s) made by Export-PrunedSet.");

        string realDest = Real(dest);
        var realFolders = new Dictionary<string, string>(comparer);
        var gone = new HashSet<string>(comparer); // removed, or (under -WhatIf) to be removed

        void Lock()
        {
            if (_lock is not null) return;
            try { _lock = DestinationLock.Acquire(dest); }
            catch (Exception e) when (e is not ApplyException && (e is IOException or UnauthorizedAccessException))
            {
                throw new ApplyException("DestinationNotWritable", dest, $"Cannot take the lock of '{dest}': {e.Message} Nothing was removed; make the folder writable and run again.", e, terminating: true);
            }
            // An apply may have appended between the read and the lock: then the plan is stale.
            if (ApplyJournal.Read(journal).Count != total)
                throw new ApplyException("JournalChanged", journal, $"An Export-PrunedSet run wrote into '{dest}' while this undo was reading its journal; nothing was removed. Run Undo-PrunedSet again.", terminating: true);
        }

        bool Remove(string path, string action, Action delete)
        {
            gone.Add(path);
            if (!host.ShouldProcess(path, action)) { summary.NotRemoved++; return false; }
            Lock();
            try { delete(); return true; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                gone.Remove(path);
                summary.Failed++;
                host.Failed(path, e);
                return false;
            }
        }

        foreach (var leftover in AtomicFile.Leftovers(dest).ToList())
            if (Remove(leftover, "Remove leftover temporary file of an interrupted Export-PrunedSet run", () => File.Delete(leftover)))
                summary.TemporaryFilesRemoved++;

        foreach (var relative in order)
        {
            cancel.ThrowIfCancellationRequested();
            var entry = files[relative];
            string full = Target(dest, relative);
            if (earlier.Contains(relative))
            {
                summary.KeptEarlier++;
                Warn(host, $"Kept '{full}': the last apply replaced it, but an earlier apply made it too, and removing it would take that one's file away. Undo-PrunedSet without -Last takes it back.");
                continue;
            }
            Verdict verdict;
            string why;
            try { verdict = Check(entry, full, realDest, realFolders, out why, cancel); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                summary.Failed++;
                host.Failed(full, e);
                continue;
            }
            switch (verdict)
            {
                case Verdict.Gone:
                    summary.AlreadyGone++;
                    host.Verbose($"Already gone: '{full}'.");
                    break;
                case Verdict.Changed:
                    summary.KeptChanged++;
                    Warn(host, $"Kept '{full}': {why}. Export-PrunedSet made it, but it changed since; remove it by hand if it is not wanted.");
                    break;
                default:
                    if (Remove(full, $"Remove {Describe(entry)} made by Export-PrunedSet", () => File.Delete(full))) summary.Removed++;
                    break;
            }
        }

        // Anything else in a folder the apply created was put there since.
        var roots = destinationCreated ? new List<string> { dest }
            : folders.Where(f => !folders.Contains(Parent(f))).Select(f => Target(dest, f)).Where(Directory.Exists).ToList();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var root in roots)
            foreach (var item in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
            {
                if (item is DirectoryInfo && item.LinkTarget is null) continue;
                string relative = Path.GetRelativePath(dest, item.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (files.ContainsKey(relative) || folders.Contains(relative) || gone.Contains(item.FullName) || AtomicFile.IsTemporary(item.FullName)
                    || string.Equals(item.FullName, journal, PrunedSetLayout.PathComparison)
                    || string.Equals(item.FullName, Path.Combine(dest, DestinationLock.FileName), PrunedSetLayout.PathComparison)) continue;
                summary.KeptAdded++;
                Warn(host, $"Kept '{item.FullName}': it is not in the journal, so it was added after Export-PrunedSet ran; the folder that holds it stays too.");
            }

        // Deepest first, so a folder's subfolders are gone before it is looked at.
        foreach (var relative in folders.OrderByDescending(f => f.Count(c => c == '/')).ThenBy(f => f, StringComparer.Ordinal))
        {
            string full = Target(dest, relative);
            var info = new DirectoryInfo(full);
            if (info.LinkTarget is not null)
            {
                summary.KeptChanged++;
                Warn(host, $"Kept '{full}': Export-PrunedSet made it as a folder, and it is a symbolic link now (to '{info.LinkTarget}'); it was not followed.");
                continue;
            }
            if (!info.Exists || !PrunedSetLayout.IsInside(Real(full), realDest)) continue;
            if (!Directory.EnumerateFileSystemEntries(full).All(gone.Contains))
            {
                host.Verbose($"Left the folder '{full}': it holds files that stay.");
                continue;
            }
            if (Remove(full, "Remove empty folder made by Export-PrunedSet", () => Directory.Delete(full, recursive: false))) summary.FoldersRemoved++;
        }

        // The journal goes last, and only once everything it lists is gone: until then a new undo can finish.
        if (summary.KeptChanged == 0 && summary.KeptAdded == 0 && summary.Failed == 0 && (summary.NotRemoved == 0 || host.WhatIf))
        {
            if (cutAt is int line)
            {
                if (Remove(journal, $"Cut the last apply off the journal (from line {line}): everything it lists is undone; the earlier applies stay listed", () => ApplyJournal.TruncateBefore(journal, line)))
                {
                    gone.Remove(journal);
                    summary.JournalCut = true;
                }
            }
            else if (Remove(journal, "Remove the journal: everything it lists is undone", () => File.Delete(journal))) summary.JournalRemoved = true;
        }
        else if (!host.WhatIf)
            host.Verbose($"Kept the journal '{journal}': it still lists files that are there. Run Undo-PrunedSet again once they are dealt with.");

        // The destination itself, when the apply created it: after the lock is let go (its file deleted).
        _lock?.Dispose();
        _lock = null;
        if (destinationCreated && (summary.JournalRemoved || host.WhatIf && gone.Contains(journal))
            && Directory.EnumerateFileSystemEntries(dest).All(e => gone.Contains(e) || string.Equals(Path.GetFileName(e), DestinationLock.FileName, PrunedSetLayout.PathComparison)))
        {
            gone.Add(dest);
            if (host.ShouldProcess(dest, "Remove the destination folder, empty now, made by Export-PrunedSet"))
            {
                // A stale lock file of a killed run that this undo never needed to take over.
                AtomicFile.TryDelete(Path.Combine(dest, DestinationLock.FileName));
                try
                {
                    Directory.Delete(dest, recursive: false);
                    summary.FoldersRemoved++;
                }
                catch (IOException e) { host.Verbose($"Left the destination '{dest}': {e.Message}"); } // a new run started in it meanwhile
            }
            else summary.NotRemoved++;
        }
        if (_warnings > MaxNamedWarnings)
            host.Warning($"{_warnings} file(s) were kept in all; the first {MaxNamedWarnings} are named above.");
        return summary;
    }

    private void Warn(IUndoHost host, string message)
    {
        if (++_warnings <= MaxNamedWarnings) host.Warning(message);
    }

    /// <summary>Whether the file at <paramref name="full"/> is still what the entry says was made there; <paramref name="why"/> says how it differs.</summary>
    private static Verdict Check(JournalEntry entry, string full, string realDest, Dictionary<string, string> realFolders, out string why, CancellationToken cancel)
    {
        why = "";
        string parent = Path.GetDirectoryName(full)!;
        if (!realFolders.TryGetValue(parent, out var realParent)) realFolders[parent] = realParent = Real(parent);
        if (!PrunedSetLayout.IsInside(realParent, realDest))
        {
            why = $"its folder now leads out of the destination, to '{realParent}' (a symbolic link); it was not followed";
            return Verdict.Changed;
        }
        var info = new FileInfo(full);
        bool isLink = info.LinkTarget is not null;
        if (!isLink && !info.Exists)
        {
            if (!Directory.Exists(full)) return Verdict.Gone;
            why = "it is a folder now";
            return Verdict.Changed;
        }
        switch (entry.Kind)
        {
            case JournalKind.SymbolicLink:
                if (isLink && string.Equals(info.LinkTarget, entry.LinkTarget, StringComparison.Ordinal)) return Verdict.Matches;
                why = isLink ? $"it links to '{info.LinkTarget}' now, not to '{entry.LinkTarget}'" : "it is no longer a symbolic link";
                return Verdict.Changed;
            case JournalKind.RunRecord:
                if (!isLink && IsRunRecord(full)) return Verdict.Matches;
                why = "it is no longer the prune.json Export-PrunedSet writes";
                return Verdict.Changed;
            default:
                if (isLink)
                {
                    why = $"it is a symbolic link now (to '{info.LinkTarget}')";
                    return Verdict.Changed;
                }
                if (info.Length != entry.Size)
                {
                    why = $"it is {info.Length:N0} bytes now, {entry.Size:N0} when it was made";
                    return Verdict.Changed;
                }
                if (FileHash.Sha256(full, cancel) != entry.Sha256)
                {
                    why = "its SHA-256 differs from the one recorded when it was made";
                    return Verdict.Changed;
                }
                return Verdict.Matches;
        }
    }

    private static bool IsRunRecord(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var doc = JsonDocument.Parse(s);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("tool", out var t)
                   && t.ValueKind == JsonValueKind.String && t.GetString() == "PruneCmdlets Export-PrunedSet";
        }
        catch (JsonException) { return false; }
    }

    private static string Describe(JournalEntry e) => e.Kind switch
    {
        JournalKind.Copy => $"the copy ({e.Size:N0} bytes, SHA-256 as recorded)",
        JournalKind.HardLink => $"the hard link ({e.Size:N0} bytes, SHA-256 as recorded; the source keeps its own name)",
        JournalKind.SymbolicLink => $"the symbolic link to '{e.LinkTarget}' (the link only, not its target)",
        JournalKind.Manifest => "the manifest (SHA-256 as recorded)",
        _ => "the run record",
    };

    private static string Parent(string relative)
    {
        int slash = relative.LastIndexOf('/');
        return slash < 0 ? "." : relative[..slash];
    }

    private static string Target(string dest, string relative) => Path.Combine(dest, relative.Replace('/', Path.DirectorySeparatorChar));

    private static string Real(string path)
    {
        try { return RealPath.Of(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Path.GetFullPath(path); }
    }
}

namespace PruneCmdlets.IO;

/// <summary>
/// Where a path really leads, as realpath(3) says: every symbolic link (or junction) in it
/// followed, at any depth, with ".." taken after the link it follows, not before. The part that
/// does not exist yet (a destination about to be created) is appended as given. Checks such as
/// "is the destination inside the input tree" are made on these paths: compared as typed, a
/// link such as ~/data-alias -> ~/data hides that ~/data-alias/pruned is ~/data/pruned.
/// FileSystemInfo.ResolveLinkTarget alone follows only the last component.
/// </summary>
internal static class RealPath
{
    /// <summary>Linux's MAXSYMLINKS: more links than this in one path is a loop.</summary>
    private const int MaxLinks = 40;

    public static string Of(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(); // components still to walk, the next on top
        Push(pending, full[root.Length..]);
        var done = new List<string>();     // components walked: root + these exist and hold no link
        bool exists = true;
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (done.Count > 0) done.RemoveAt(done.Count - 1);
                continue;
            }
            if (exists)
            {
                string next = Join(root, done, part);
                var info = new FileInfo(next); // lstat: a link is seen, not followed
                if (info.LinkTarget is string target)
                {
                    if (++links > MaxLinks) throw new IOException($"Too many levels of symbolic links in '{path}'.");
                    if (Path.IsPathRooted(target))
                    {
                        // "\x" on Windows is rooted but has no drive: the drive is the link's.
                        root = Path.GetPathRoot(Path.GetFullPath(target, Join(root, done)))!;
                        done.Clear();
                        target = target[Path.GetPathRoot(target)!.Length..];
                    }
                    Push(pending, target);
                    continue;
                }
                exists = info.Exists || Directory.Exists(next);
            }
            done.Add(part);
        }
        return Join(root, done);
    }

    private static void Push(Stack<string> pending, string relative)
    {
        var parts = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    private static string Join(string root, List<string> done, string? last = null)
    {
        string joined = done.Count == 0 ? root : Path.Combine(root, Path.Combine(done.ToArray()));
        return last is null ? joined : Path.Combine(joined, last);
    }
}

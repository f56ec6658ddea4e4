using PruneCmdlets.IO;

namespace PruneCmdlets.Apply;

/// <summary>
/// Where each kept file goes: its path relative to a root, under the destination, so an
/// ImageFolder tree (root/class/file) stays one. Also the two refusals that keep a re-run sane:
/// a destination inside the input tree would be read back as data the next time the tree is
/// listed, and a source inside the destination could be overwritten by its own copy.
/// </summary>
internal sealed class PrunedSetLayout
{
    // Windows and macOS file systems compare names without case by default.
    internal static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public PrunedSetLayout(string destination, string root)
    {
        Destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }

    public string Destination { get; }
    public string Root { get; }

    /// <summary>The deepest folder that holds every one of <paramref name="paths"/> (full paths).</summary>
    public static string CommonFolder(IEnumerable<string> paths)
    {
        string[]? common = null;
        foreach (var p in paths)
        {
            var parts = Split(Path.GetDirectoryName(Path.GetFullPath(p)) ?? Path.GetPathRoot(p)!);
            if (common is null) { common = parts; continue; }
            int n = 0;
            while (n < common.Length && n < parts.Length && string.Equals(common[n], parts[n], PathComparison)) n++;
            common = common[..n];
        }
        if (common is null) throw new InvalidOperationException("No paths to find a common folder of.");
        if (common.Length == 0) throw new InvalidOperationException("The inputs share no common folder (they are on different drives); give -RelativeTo.");
        // Split drops the separators: put the root back as it was ("/" or "C:\").
        var first = common[0];
        string rooted = first.Length == 0 ? Path.DirectorySeparatorChar.ToString() : first + Path.DirectorySeparatorChar;
        return Path.Combine(new[] { rooted }.Concat(common.Skip(1)).ToArray());
    }

    private static string[] Split(string folder)
        => Path.TrimEndingDirectorySeparator(folder).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies below it.</summary>
    public static bool IsInside(string path, string folder)
    {
        path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (string.Equals(path, folder, PathComparison)) return true;
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, PathComparison);
    }

    /// <summary>
    /// Null when the destination may be used with these sources, otherwise why not. Each check is
    /// made on the paths as given and again with every symbolic link followed (<see cref="RealPath"/>),
    /// so a link to the input tree, or sources given through one, cannot hide that the copies and
    /// the manifest would land among the sources.
    /// </summary>
    public string? Refusal(IEnumerable<string> sources)
    {
        string destination = Resolved(Destination), root = Resolved(Root);
        if (IsInside(Destination, Root) || IsInside(destination, root))
            return $"The destination '{Destination}' is inside the input tree '{Root}'{Followed(destination, root)}: the next listing of that tree would read the pruned copies back as data. Choose a destination outside it, e.g. '{Root}-pruned'.";
        var folders = new Dictionary<string, string>(PathComparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        foreach (var s in sources)
        {
            string real = ResolvedSource(s, folders);
            if (IsInside(s, Destination) || IsInside(real, destination))
                return $"The source '{s}' lies inside the destination '{Destination}'{Followed(real, destination)}: applying would write over the very files it reads. Choose another destination.";
        }
        return null;
    }

    private string Followed(string path, string folder)
        => string.Equals(path, Destination, PathComparison) && string.Equals(folder, Root, PathComparison) ? ""
           : $" (once symbolic links are followed, '{path}' lies in '{folder}')";

    /// <summary>The path with its links followed; as given when they cannot be (a loop, no permission to look).</summary>
    private static string Resolved(string path)
    {
        try { return RealPath.Of(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Path.GetFullPath(path); }
    }

    /// <summary>A source with its links followed, each folder resolved once: the sources of a large set share a few folders.</summary>
    private static string ResolvedSource(string source, Dictionary<string, string> folders)
    {
        string full = Path.GetFullPath(source);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null) return Resolved(full);
        if (!folders.TryGetValue(folder, out var real)) folders[folder] = real = Resolved(folder);
        string leaf = Path.Combine(real, Path.GetFileName(full));
        try { return new FileInfo(leaf).LinkTarget is null ? leaf : Resolved(leaf); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return leaf; }
    }

    /// <summary>The path of <paramref name="source"/> relative to the root, with '/' separators (as the manifest stores it); null when outside the root.</summary>
    public string? RelativePath(string source)
    {
        var full = Path.GetFullPath(source);
        if (!IsInside(full, Root) || string.Equals(Path.TrimEndingDirectorySeparator(full), Root, PathComparison)) return null;
        return Path.GetRelativePath(Root, full).Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>The full target path for a relative path from <see cref="RelativePath"/>.</summary>
    public string Target(string relative) => Path.Combine(Destination, relative.Replace('/', Path.DirectorySeparatorChar));
}

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

    /// <summary>Null when the destination may be used with these sources, otherwise why not.</summary>
    public string? Refusal(IEnumerable<string> sources)
    {
        if (IsInside(Destination, Root))
            return $"The destination '{Destination}' is inside the input tree '{Root}': the next listing of that tree would read the pruned copies back as data. Choose a destination outside it, e.g. '{Root}-pruned'.";
        foreach (var s in sources)
            if (IsInside(s, Destination))
                return $"The source '{s}' lies inside the destination '{Destination}': applying would write over the very files it reads. Choose another destination.";
        return null;
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

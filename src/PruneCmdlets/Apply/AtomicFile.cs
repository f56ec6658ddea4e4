using System.Text.RegularExpressions;

namespace PruneCmdlets.Apply;

/// <summary>
/// Files appear complete or not at all: everything is written to a hidden temporary name in the
/// target's own folder (so the rename stays on one file system and is atomic), flushed to disk,
/// then renamed over the target. A run killed half-way leaves only such a temporary name, which
/// no data loader mistakes for a sample and which the next run removes.
/// </summary>
internal static partial class AtomicFile
{
    public const string Suffix = ".prune-tmp";

    /// <summary>A fresh temporary name beside <paramref name="target"/>.</summary>
    public static string TemporaryFor(string target)
        => Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}{Suffix}");

    /// <summary>True for names <see cref="TemporaryFor"/> makes, and only those (a user's own files never match).</summary>
    public static bool IsTemporary(string path) => TemporaryName().IsMatch(Path.GetFileName(path));

    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.prune-tmp$")]
    private static partial Regex TemporaryName();

    /// <summary>Leftover temporary files under <paramref name="folder"/> (none when it does not exist).</summary>
    public static IEnumerable<string> Leftovers(string folder)
        => Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + Suffix, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }).Where(IsTemporary)
            : Enumerable.Empty<string>();

    /// <summary>Writes <paramref name="target"/> through <paramref name="write"/> on a temporary file, then renames it over the target.</summary>
    public static void Write(string target, Action<Stream> write)
    {
        var temporary = TemporaryFor(target);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>ENOSPC / EDQUOT on Unix (.NET puts the errno in HResult), ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException e)
    {
        int code = e.HResult;
        if (OperatingSystem.IsWindows()) code &= 0xFFFF;
        return OperatingSystem.IsWindows() ? code is 112 or 39 : code is 28 or 122 || (OperatingSystem.IsMacOS() && code == 69);
    }
}

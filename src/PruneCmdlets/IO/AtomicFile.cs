using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace PruneCmdlets.IO;

/// <summary>
/// Files appear complete or not at all, for every writer of the module (embeddings, models,
/// shard summaries, the report, the applied data set): the bytes go to a hidden temporary name in
/// the target's own folder (so the rename stays on one file system and is atomic; ".&lt;16 hex&gt;.prune-tmp",
/// which no "*.json" or "*.npy" wildcard and no data loader matches), are flushed to disk, and the
/// temporary file is renamed over the target. A process killed mid-write leaves the target as it
/// was, plus at most such a temporary name, which <see cref="Leftovers"/> finds.
/// </summary>
internal static partial class AtomicFile
{
    public const string Suffix = ".prune-tmp";

    /// <summary>
    /// A fresh temporary name beside <paramref name="target"/>: 27 bytes whatever the target is
    /// called, so every name the file system accepts (up to its 255-byte limit) can be written;
    /// a name built from the target's would be longer than the target. 64 random bits keep
    /// writers in one folder, in any process, apart (a clash fails the exclusive create, it
    /// never shares a file).
    /// </summary>
    public static string TemporaryFor(string target)
    {
        string full = Path.GetFullPath(target);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}{Suffix}");
    }

    /// <summary>
    /// True for names <see cref="TemporaryFor"/> makes, and only those (a user's own files never
    /// match); also for the longer ".name.&lt;32 hex&gt;.prune-tmp" of earlier versions, which a
    /// run killed before an upgrade may have left.
    /// </summary>
    public static bool IsTemporary(string path) => TemporaryName().IsMatch(Path.GetFileName(path));

    [GeneratedRegex(@"^\.(?:[0-9a-f]{16}|.+\.[0-9a-f]{32})\.prune-tmp$")]
    private static partial Regex TemporaryName();

    /// <summary>Leftover temporary files under <paramref name="folder"/> (none when it does not exist).</summary>
    public static IEnumerable<string> Leftovers(string folder)
        => Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + Suffix, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }).Where(IsTemporary)
            : Enumerable.Empty<string>();

    /// <summary>
    /// Writes <paramref name="target"/> through <paramref name="write"/> on a temporary file, then
    /// renames it over the target, so a failed write leaves the old file as it was, and records
    /// Import-Embedding mapped from the old file keep their values (on Linux and macOS the old
    /// contents live on until the mapping goes; Windows refuses to replace a mapped file, which is reported).
    /// </summary>
    public static void Replace(string target, Action<Stream> write)
    {
        string full = Path.GetFullPath(target);
        string temporary = TemporaryFor(full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="target"/> as <see cref="Replace"/> does;
    /// false, and the file untouched (not even its time), when it already held exactly these
    /// bytes, so re-running a finished step changes nothing.
    /// </summary>
    public static bool Write(string target, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(target);
        if (File.Exists(full) && Holds(full, bytes)) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        byte[] copy = bytes.ToArray();
        Replace(full, s => s.Write(copy));
        return true;
    }

    /// <summary>
    /// Whether <paramref name="path"/> holds exactly <paramref name="bytes"/>, measured through an
    /// open file: FileInfo.Length of a symbolic link is the link's own size, not its target's.
    /// </summary>
    private static bool Holds(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length != bytes.Length) return false;
        var held = new byte[bytes.Length];
        stream.ReadExactly(held);
        return held.AsSpan().SequenceEqual(bytes);
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

    /// <summary>
    /// The folder refuses writes: no permission (UnauthorizedAccessException), EROFS on Unix (a
    /// read-only mount), ERROR_WRITE_PROTECT on Windows.
    /// </summary>
    public static bool IsNotWritable(Exception e)
        => e is UnauthorizedAccessException
           || e is IOException io && (OperatingSystem.IsWindows() ? (io.HResult & 0xFFFF) == 19 : io.HResult == 30);
}

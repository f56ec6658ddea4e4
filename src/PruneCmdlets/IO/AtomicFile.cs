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
    /// <param name="beforeRename">Called with the complete temporary file before it is renamed (the apply journals its hash there).</param>
    public static void Replace(string target, Action<Stream> write, Action<string>? beforeRename = null)
    {
        string full = Path.GetFullPath(target);
        string temporary = WriteTemporary(full, write);
        try
        {
            beforeRename?.Invoke(temporary);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Writes files that only make sense together (a matrix with its label and Id files) as a
    /// set: every member to a temporary name beside its target first, so a failure while writing
    /// any of them (a full disk at the third file, Ctrl+C) leaves every target as it was. Then,
    /// with all of them written, <paramref name="record"/> makes the set's record from their sizes
    /// and SHA-256 hashes, written as one more member; then the members are renamed over their
    /// targets in the given order, and the record last. A process killed between two renames
    /// leaves new members beside old ones, but also the old record (or none), which names other
    /// hashes: a reader that checks it refuses the mixed set instead of pairing rows with another
    /// row's label. Targets must be distinct.
    /// </summary>
    public static void ReplaceSet(IReadOnlyList<(string Target, Action<Stream> Write)> members,
        (string Target, Func<IReadOnlyList<FileDigest>, byte[]> Make)? record = null)
    {
        var targets = members.Select(m => Path.GetFullPath(m.Target)).ToList();
        if (record is { } r) targets.Add(Path.GetFullPath(r.Target));
        if (targets.Distinct(PathComparer).Count() != targets.Count)
            throw new ArgumentException($"A set's files must be distinct; these name one file twice: {string.Join(", ", targets.Select(t => $"'{t}'"))}.");
        var temporaries = new List<string>(targets.Count);
        try
        {
            var digests = new List<FileDigest>(members.Count);
            for (int i = 0; i < members.Count; i++)
            {
                temporaries.Add(WriteTemporary(targets[i], members[i].Write));
                digests.Add(FileDigest.Of(temporaries[i], targets[i]));
            }
            if (record is { } rec)
            {
                byte[] bytes = rec.Make(digests);
                temporaries.Add(WriteTemporary(targets[^1], s => s.Write(bytes)));
            }
            for (int i = 0; i < targets.Count; i++) File.Move(temporaries[i], targets[i], overwrite: true);
        }
        catch
        {
            foreach (var t in temporaries) TryDelete(t);   // those already renamed are gone: nothing happens to them
            throw;
        }
    }

    /// <summary>How paths are compared: ignoring case where the file system usually does.</summary>
    public static StringComparer PathComparer => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>Writes a fresh temporary file beside <paramref name="full"/>, flushed to disk; its name is returned, the target is not touched.</summary>
    private static string WriteTemporary(string full, Action<Stream> write)
    {
        string temporary = TemporaryFor(full);
        try
        {
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        return temporary;
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

/// <summary>A member of a set of files as written: where it goes, its size and the SHA-256 (hex) of its bytes.</summary>
public readonly record struct FileDigest(string Path, long Size, string Sha256)
{
    /// <summary>The digest of the file at <paramref name="read"/>, reported under the name <paramref name="path"/>.</summary>
    public static FileDigest Of(string read, string path)
    {
        using var stream = new FileStream(read, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        string sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream)).ToLowerInvariant();
        return new FileDigest(path, stream.Length, sha);
    }
}

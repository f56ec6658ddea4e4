namespace PruneCmdlets.IO;

/// <summary>
/// Writes a whole file so that readers only ever see the old bytes or the new ones: the bytes go
/// to a hidden temporary file beside the target (".name.PID.tmp", which no "*.json" wildcard
/// matches), are flushed to disk, and the temporary file is renamed over the target. A process
/// killed mid-write leaves the target untouched; a re-run writes the same bytes again. A target
/// that already holds exactly these bytes is not touched at all, so re-running a finished step
/// changes nothing, not even the file's time.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>; false when the file already held them.</summary>
    public static bool Write(string path, ReadOnlySpan<byte> bytes)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (File.Exists(full) && new FileInfo(full).Length == bytes.Length && File.ReadAllBytes(full).AsSpan().SequenceEqual(bytes)) return false;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        return true;
    }
}

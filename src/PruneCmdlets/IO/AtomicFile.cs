namespace PruneCmdlets.IO;

/// <summary>Files written whole or not at all: every writer of the module goes through here.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes a new file next to <paramref name="path"/> and then puts it in the old one's place,
    /// so a failed write leaves the old file as it was, and records Import-Embedding mapped
    /// from the old file keep their values (on Linux and macOS the old contents live on until
    /// the mapping goes; Windows refuses to replace a mapped file, which is reported).
    /// </summary>
    public static void Replace(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                write(stream);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PruneCmdlets.Apply;

/// <summary>What an apply made at one path, as its journal line says.</summary>
internal enum JournalKind
{
    /// <summary>The header of one apply run (tool, module version, start time); no path.</summary>
    Run,
    /// <summary>A folder the run created ("." is the destination itself).</summary>
    Folder,
    /// <summary>A kept file written as a copy of its source.</summary>
    Copy,
    /// <summary>A kept file hard-linked to its source (same bytes, same inode).</summary>
    HardLink,
    /// <summary>A symbolic link to the source path in <see cref="JournalEntry.LinkTarget"/>.</summary>
    SymbolicLink,
    /// <summary>manifest.csv as the run wrote it (size and SHA-256 of those bytes).</summary>
    Manifest,
    /// <summary>
    /// prune.json, created by the run. Every run rewrites it with its own times and counts, so a
    /// hash would go stale on the next idempotent re-run (which must add nothing to the journal):
    /// it is recognised by its content instead (the tool name this module writes into it).
    /// </summary>
    RunRecord,
}

/// <summary>One line of the journal: where (relative to the destination, '/'-separated) and how it was made; <see cref="Line"/> is its 1-based line number when read back.</summary>
internal sealed record JournalEntry(JournalKind Kind, string? Path, long? Size = null, string? Sha256 = null, string? LinkTarget = null)
{
    public int Line { get; init; }
    public string? Tool { get; init; }
    public string? ModuleVersion { get; init; }
    public DateTimeOffset? Started { get; init; }
}

/// <summary>A journal that cannot be trusted: names the file and the line.</summary>
internal sealed class JournalCorruptException : IOException
{
    public JournalCorruptException(string file, int line, string why)
        : base($"The journal '{file}' is corrupt at line {line}: {why}. Nothing was changed. The journal is written one line per change and read whole before anything is removed; restore it from a backup, or remove the files it lists by hand (the Destination column of manifest.csv names the placed files).")
        => (File, LineNumber) = (file, line);

    public string File { get; }
    public int LineNumber { get; }
}

/// <summary>
/// prune-journal.jsonl: the record Export-PrunedSet keeps in its destination of every file and
/// folder it created, which is what lets Undo-PrunedSet remove exactly those. One JSON object a
/// line (JSON Lines), appended and flushed to the operating system before the change it names is
/// made (intent first: the bytes of a file are complete under their temporary name, hashed, then
/// journaled, then renamed), so a process killed at any point leaves a journal that lists
/// everything on disk the run made, and at most names one thing not made yet, which the undo finds
/// absent. A kill can tear only the line being written, the last one, which then lacks its '\n':
/// the reader ignores such a tail and the writer cuts it off before appending, so a torn line
/// never ends up in the middle. Any other line that does not parse is corruption, reported with
/// its number. Entries are flushed to the operating system (enough for kill -9); the file is
/// flushed to disk when the run ends, as one fsync per entry would double the cost of each link.
/// </summary>
internal sealed class ApplyJournal : IDisposable
{
    public const string FileName = "prune-journal.jsonl";
    public const int FormatVersion = 1;

    private readonly FileStream _stream;

    private ApplyJournal(FileStream stream) => _stream = stream;

    public static string PathIn(string destination) => System.IO.Path.Combine(destination, FileName);

    /// <summary>Opens (or creates) the journal of <paramref name="destination"/> for appending, cutting off a torn last line first.</summary>
    public static ApplyJournal OpenForAppend(string destination)
    {
        var stream = new FileStream(PathIn(destination), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        try
        {
            stream.SetLength(CompleteLength(stream));
            stream.Seek(0, SeekOrigin.End);
            return new ApplyJournal(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The length up to and including the last '\n': what a reader trusts.</summary>
    private static long CompleteLength(FileStream stream)
    {
        long end = stream.Length;
        var buffer = new byte[4096];
        while (end > 0)
        {
            int n = (int)Math.Min(buffer.Length, end);
            stream.Seek(end - n, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, n);
            int last = Array.LastIndexOf(buffer, (byte)'\n', n - 1);
            if (last >= 0) return end - n + last + 1;
            end -= n;
        }
        return 0;
    }

    /// <summary>Appends one entry as one write, then flushes it to the operating system.</summary>
    public void Append(JournalEntry entry)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("kind", Name(entry.Kind));
            if (entry.Kind == JournalKind.Run)
            {
                w.WriteNumber("v", FormatVersion);
                w.WriteString("tool", entry.Tool ?? "Export-PrunedSet");
                w.WriteString("moduleVersion", entry.ModuleVersion ?? "");
                w.WriteString("started", (entry.Started ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            }
            else w.WriteString("path", entry.Path);
            if (entry.Size is long size) w.WriteNumber("size", size);
            if (entry.Sha256 is not null) w.WriteString("sha256", entry.Sha256);
            if (entry.LinkTarget is not null) w.WriteString("target", entry.LinkTarget);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _stream.Flush();
    }

    /// <summary>
    /// Cuts the journal at <paramref name="file"/> back to the lines before line <paramref name="line"/>
    /// (1-based): what Undo-PrunedSet -Last does once the last apply is taken back. One truncation,
    /// flushed to disk, so a kill leaves the journal either whole or cut.
    /// </summary>
    public static void TruncateBefore(string file, int line)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        long offset = 0;
        for (int seen = 1; seen < line; seen++)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', (int)offset);
            if (end < 0) throw new JournalCorruptException(file, seen, "it ended before the line to cut at");
            offset = end + 1;
        }
        stream.SetLength(offset);
        stream.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        try { _stream.Flush(flushToDisk: true); }
        catch (IOException) { } // the entries are with the operating system already; a full disk must not hide the run's own error
        finally { _stream.Dispose(); }
    }

    private static string Name(JournalKind kind) => kind switch
    {
        JournalKind.Run => "run",
        JournalKind.Folder => "folder",
        JournalKind.Copy => "copy",
        JournalKind.HardLink => "hardlink",
        JournalKind.SymbolicLink => "symlink",
        JournalKind.Manifest => "manifest",
        _ => "runrecord",
    };

    private static JournalKind? Parse(string? name) => name switch
    {
        "run" => JournalKind.Run,
        "folder" => JournalKind.Folder,
        "copy" => JournalKind.Copy,
        "hardlink" => JournalKind.HardLink,
        "symlink" => JournalKind.SymbolicLink,
        "manifest" => JournalKind.Manifest,
        "runrecord" => JournalKind.RunRecord,
        _ => null,
    };

    /// <summary>
    /// Every complete entry of the journal at <paramref name="file"/>, in order; a torn last line
    /// (no '\n') is left out. Throws <see cref="JournalCorruptException"/> naming the first line
    /// that is not a valid entry, including a path that is rooted or climbs out with "..".
    /// </summary>
    public static List<JournalEntry> Read(string file)
    {
        byte[] bytes;
        using (var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[s.Length];
            s.ReadExactly(bytes);
        }
        int complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        var entries = new List<JournalEntry>();
        int start = 0, line = 0;
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        while (start < complete)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            line++;
            var span = new ReadOnlySpan<byte>(bytes, start, end - start);
            start = end + 1;
            if (span.IsEmpty) throw new JournalCorruptException(file, line, "the line is empty");
            try { _ = utf8.GetCharCount(span); }
            catch (DecoderFallbackException) { throw new JournalCorruptException(file, line, "it is not UTF-8 text"); }
            entries.Add(ParseLine(file, line, span));
        }
        return entries;
    }

    private static JournalEntry ParseLine(string file, int line, ReadOnlySpan<byte> text)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text.ToArray()); }
        catch (JsonException e) { throw new JournalCorruptException(file, line, $"it is not a JSON object ({e.Message})"); }
        using (doc)
        {
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new JournalCorruptException(file, line, "it is not a JSON object");
            var kind = Parse(String(o, "kind")) ?? throw new JournalCorruptException(file, line, $"unknown kind '{String(o, "kind")}'");
            if (kind == JournalKind.Run)
            {
                if (!o.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version))
                    throw new JournalCorruptException(file, line, "a run line without its format version 'v'");
                if (version > FormatVersion)
                    throw new JournalCorruptException(file, line, $"format version {version} is newer than this module reads ({FormatVersion}); update PruneCmdlets");
                DateTimeOffset? started = DateTimeOffset.TryParse(String(o, "started"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
                return new JournalEntry(kind, null) { Line = line, Tool = String(o, "tool"), ModuleVersion = String(o, "moduleVersion"), Started = started };
            }
            string path = String(o, "path") ?? throw new JournalCorruptException(file, line, "no 'path'");
            if (!IsContained(path)) throw new JournalCorruptException(file, line, $"the path '{path}' leads out of the destination");
            long? size = null;
            if (o.TryGetProperty("size", out var s))
            {
                if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out long n) || n < 0) throw new JournalCorruptException(file, line, "'size' is not a byte count");
                size = n;
            }
            string? sha = String(o, "sha256"), target = String(o, "target");
            if (sha is not null && (sha.Length != 64 || !sha.All(Uri.IsHexDigit))) throw new JournalCorruptException(file, line, "'sha256' is not 64 hex digits");
            bool needsHash = kind is JournalKind.Copy or JournalKind.HardLink or JournalKind.Manifest;
            if (needsHash && (size is null || sha is null)) throw new JournalCorruptException(file, line, $"a {Name(kind)} line needs 'size' and 'sha256'");
            if (kind == JournalKind.SymbolicLink && string.IsNullOrEmpty(target)) throw new JournalCorruptException(file, line, "a symlink line needs 'target'");
            return new JournalEntry(kind, path, size, sha?.ToLowerInvariant(), target) { Line = line };
        }
    }

    private static string? String(JsonElement o, string name)
        => o.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    /// <summary>A relative path that stays inside the destination: not rooted, no "..", no empty or "." part (except "." alone, the destination).</summary>
    private static bool IsContained(string path)
    {
        if (path == ".") return true;
        if (path.Length == 0 || System.IO.Path.IsPathRooted(path) || (OperatingSystem.IsWindows() && path.Contains('\\')) || path.Contains('\0')) return false;
        return path.Split('/').All(p => p is not ("" or "." or ".."));
    }
}

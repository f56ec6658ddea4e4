using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PruneCmdlets.IO;

/// <summary>What went wrong with one document, or with a whole file.</summary>
public enum TextReadProblem
{
    None,
    /// <summary>The bytes of the document's line(s) are not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>A JSON Lines line that is not a JSON object (or string), or whose text field is not a string.</summary>
    MalformedJsonLine,
    /// <summary>A JSON Lines object without the text field.</summary>
    MissingTextField,
    /// <summary>A CSV/TSV file whose header has no text column: the whole file is skipped.</summary>
    MissingColumn,
    /// <summary>A CSV/TSV row with fewer fields than the text column needs, or an unterminated quote.</summary>
    MalformedCsvRow,
    /// <summary>A file format this build cannot read: the whole file is skipped.</summary>
    UnsupportedFormat,
    /// <summary>The file cannot be opened or read: the rest of it is skipped.</summary>
    ReadFailed,
}

/// <summary>
/// One document read from a file: its text (null when <see cref="Problem"/> is set), its
/// given id and label (null when the file has none), and where it starts.
/// </summary>
public sealed record TextDocument(string File, long Line, string? Text, string? GivenId, string? Label, TextReadProblem Problem = TextReadProblem.None, string? Message = null)
{
    /// <summary>file:line, the id of a document without one of its own and the name errors use.</summary>
    public string Location => Line > 0 ? $"{File}:{Line}" : File;
}

/// <summary>Which field or column holds the text, the id and the label (matched case-insensitively).</summary>
public sealed record TextFields(string Text = "Text", string Id = "Id", string Label = "Label");

/// <summary>
/// Streams documents out of text files, strictly as UTF-8 (a leading byte-order mark is
/// skipped), one line at a time, so a corpus never has to fit in memory and one bad line
/// costs only its own document:
///   .txt and anything unrecognised: one document per non-blank line (blank lines separate, they are not documents);
///   .jsonl/.ndjson: one JSON object per line, the text in the Text field (a line that is a JSON string is the text itself);
///   .csv/.tsv: RFC 4180 (quoted fields may hold delimiters, doubled quotes and line breaks), the first row a header;
///   whole-file mode: the file is one document.
/// </summary>
public static class TextDocumentReader
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Extensions a directory is searched for (without whole-file mode).</summary>
    public static readonly IReadOnlySet<string> KnownExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        { ".txt", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet" };

    public static IEnumerable<TextDocument> Read(string path, TextFields fields, bool wholeFile)
    {
        if (wholeFile) return ReadWholeFile(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".ndjson" => ReadJsonLines(path, fields),
            ".csv" => ReadDelimited(path, fields, ','),
            ".tsv" => ReadDelimited(path, fields, '\t'),
            ".parquet" => ReadParquet(path, fields),
            _ => ReadPlainLines(path),
        };
    }

    /// <summary>
    /// A Parquet file's rows, one row group at a time: the text, id and label columns (found as
    /// in CSV headers, ignoring case); Line is the 1-based row number. Ids and labels may be
    /// strings or integers (an int64 id 42 becomes "42"); the text column must be a string.
    /// </summary>
    private static IEnumerable<TextDocument> ReadParquet(string path, TextFields fields)
    {
        Parquet.ParquetReader? reader = null;
        string? error = null;
        try { reader = Task.Run(() => Parquet.ParquetReader.CreateAsync(path, null, default)).GetAwaiter().GetResult(); }
        catch (Exception e) { error = $"'{path}' is not a readable Parquet file ({e.Message}); it may be truncated or not Parquet at all. The file was skipped."; }
        if (reader is null) { yield return new TextDocument(path, 0, null, null, null, TextReadProblem.ReadFailed, error); yield break; }
        try
        {
            var top = reader.Schema.Fields;
            Parquet.Schema.DataField? Column(string name) => top.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) as Parquet.Schema.DataField;
            var text = Column(fields.Text);
            if (text is null || !ParquetScalarColumns.IsFlat(text) || !ParquetScalarColumns.IsString(text))
            {
                yield return new TextDocument(path, 0, null, null, null, TextReadProblem.MissingColumn, text is null
                    ? $"'{path}' has no '{fields.Text}' column (its columns: {string.Join(", ", top.Select(f => $"'{f.Name}'"))}); the file was skipped. Name the column with -TextProperty."
                    : $"The '{text.Name}' column of '{path}' holds {text.ClrType.Name} values, not strings; the file was skipped. Name the text column with -TextProperty.");
                yield break;
            }
            var id = Column(fields.Id) is { } i && ParquetScalarColumns.IsFlat(i) && ParquetScalarColumns.CanReadAsString(i) ? i : null;
            var label = Column(fields.Label) is { } l && ParquetScalarColumns.IsFlat(l) && ParquetScalarColumns.CanReadAsString(l) ? l : null;
            long line = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                string?[] texts, ids, labels;
                try
                {
                    (texts, ids, labels) = Task.Run(async () =>
                    {
                        using var group = reader.OpenRowGroupReader(g);
                        int rows = checked((int)group.RowCount);
                        var t = await ParquetScalarColumns.ReadStringsAsync(group, text, rows, default).ConfigureAwait(false);
                        var ids = id is null ? new string?[rows] : await ParquetScalarColumns.ReadStringsAsync(group, id, rows, default).ConfigureAwait(false);
                        var labels = label is null ? new string?[rows] : await ParquetScalarColumns.ReadStringsAsync(group, label, rows, default).ConfigureAwait(false);
                        return (t, ids, labels);
                    }).GetAwaiter().GetResult();
                    error = null;
                }
                catch (Exception e) { (texts, ids, labels) = (Array.Empty<string?>(), Array.Empty<string?>(), Array.Empty<string?>()); error = e.Message; }
                if (error is not null)
                {
                    yield return new TextDocument(path, line + 1, null, null, null, TextReadProblem.ReadFailed,
                        $"Reading row group {g} of '{path}' (from row {line + 1}) failed: {error}. The file may be truncated; the rows before were read, the rest was skipped.");
                    yield break;
                }
                for (int r = 0; r < texts.Length; r++)
                    yield return new TextDocument(path, ++line, texts[r], string.IsNullOrEmpty(ids[r]) ? null : ids[r], labels[r]);
            }
        }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    private static IEnumerable<TextDocument> ReadWholeFile(string path)
    {
        byte[] bytes;
        string? error = null;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { bytes = Array.Empty<byte>(); error = e.Message; }
        if (error is not null) { yield return new TextDocument(path, 0, null, null, null, TextReadProblem.ReadFailed, $"Cannot read '{path}': {error}"); yield break; }
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        string? text = Decode(span, out int badAt);
        yield return text is null
            ? new TextDocument(path, 0, null, null, null, TextReadProblem.InvalidUtf8, $"'{path}' is not valid UTF-8 (first bad byte at offset {badAt}, line {LineOf(span, badAt)}); the file was skipped. Convert it, e.g. iconv -f latin1 -t utf-8.")
            : new TextDocument(path, 0, text, null, null);
    }

    private static IEnumerable<TextDocument> ReadPlainLines(string path)
    {
        foreach (var (line, bytes, readError) in Lines(path))
        {
            if (readError is not null) { yield return new TextDocument(path, line, null, null, null, TextReadProblem.ReadFailed, readError); yield break; }
            string? text = Decode(bytes.Span, out int badAt);
            if (text is null) { yield return InvalidUtf8(path, line, badAt); continue; }
            if (string.IsNullOrWhiteSpace(text)) continue;
            yield return new TextDocument(path, line, text, null, null);
        }
    }

    private static IEnumerable<TextDocument> ReadJsonLines(string path, TextFields fields)
    {
        foreach (var (line, bytes, readError) in Lines(path))
        {
            if (readError is not null) { yield return new TextDocument(path, line, null, null, null, TextReadProblem.ReadFailed, readError); yield break; }
            string? raw = Decode(bytes.Span, out int badAt);
            if (raw is null) { yield return InvalidUtf8(path, line, badAt); continue; }
            if (string.IsNullOrWhiteSpace(raw)) continue;
            yield return ParseJsonLine(path, line, raw, fields);
        }
    }

    private static TextDocument ParseJsonLine(string path, long line, string raw, TextFields fields)
    {
        try
        {
            using var doc = JsonDocument.Parse(raw);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.String) return new TextDocument(path, line, root.GetString(), null, null);
            if (root.ValueKind != JsonValueKind.Object)
                return new TextDocument(path, line, null, null, null, TextReadProblem.MalformedJsonLine, $"Line {line} of '{path}' is a JSON {root.ValueKind}, not an object with a '{fields.Text}' field; it was skipped.");
            JsonElement? text = null, id = null, label = null;
            var names = new List<string>();
            foreach (var p in root.EnumerateObject())
            {
                names.Add(p.Name);
                if (text is null && p.Name.Equals(fields.Text, StringComparison.OrdinalIgnoreCase)) text = p.Value;
                else if (id is null && p.Name.Equals(fields.Id, StringComparison.OrdinalIgnoreCase)) id = p.Value;
                else if (label is null && p.Name.Equals(fields.Label, StringComparison.OrdinalIgnoreCase)) label = p.Value;
            }
            if (text is null)
                return new TextDocument(path, line, null, null, null, TextReadProblem.MissingTextField, $"Line {line} of '{path}' has no '{fields.Text}' field (it has: {string.Join(", ", names)}); it was skipped. Name the field with -TextProperty.");
            if (text.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                return new TextDocument(path, line, null, null, null, TextReadProblem.MalformedJsonLine, $"The '{fields.Text}' field on line {line} of '{path}' is a JSON {text.Value.ValueKind}, not a string; it was skipped.");
            return new TextDocument(path, line, text.Value.ValueKind == JsonValueKind.Null ? null : text.Value.GetString(), Scalar(id), Scalar(label));
        }
        catch (JsonException e)
        {
            return new TextDocument(path, line, null, null, null, TextReadProblem.MalformedJsonLine, $"Line {line} of '{path}' is not valid JSON ({e.Message}); it was skipped.");
        }
    }

    private static string? Scalar(JsonElement? e) => e?.ValueKind switch
    {
        JsonValueKind.String => e.Value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.Value.GetRawText(),
        _ => null,
    };

    private static IEnumerable<TextDocument> ReadDelimited(string path, TextFields fields, char delimiter)
    {
        int textColumn = -1, idColumn = -1, labelColumn = -1;
        bool header = true;
        var fieldsOfRow = new List<string>();
        var field = new StringBuilder();
        bool inQuotes = false, fieldQuoted = false, rowInvalid = false;
        long rowStart = 0;
        foreach (var (line, bytes, readError) in Lines(path))
        {
            if (readError is not null) { yield return new TextDocument(path, line, null, null, null, TextReadProblem.ReadFailed, readError); yield break; }
            string? decoded = Decode(bytes.Span, out int badAt);
            if (!inQuotes) { rowStart = line; rowInvalid = false; fieldsOfRow.Clear(); field.Clear(); fieldQuoted = false; }
            if (decoded is null) { rowInvalid = true; decoded = Lenient.GetString(bytes.Span); }
            else if (inQuotes) field.Append('\n');
            if (!inQuotes && decoded.Length == 0) continue;   // blank line between rows
            foreach (char c in decoded)
            {
                if (inQuotes)
                {
                    if (c == '"') inQuotes = false; else field.Append(c);
                }
                else if (c == '"')
                {
                    if (fieldQuoted) field.Append('"');   // a doubled quote inside a quoted field
                    inQuotes = true;
                    fieldQuoted = true;
                }
                else if (c == delimiter) { fieldsOfRow.Add(field.ToString()); field.Clear(); fieldQuoted = false; }
                else field.Append(c);
            }
            if (inQuotes) continue;   // the quoted field goes on on the next line
            fieldsOfRow.Add(field.ToString());
            field.Clear();
            fieldQuoted = false;
            if (header)
            {
                header = false;
                textColumn = fieldsOfRow.FindIndex(h => h.Trim().Equals(fields.Text, StringComparison.OrdinalIgnoreCase));
                idColumn = fieldsOfRow.FindIndex(h => h.Trim().Equals(fields.Id, StringComparison.OrdinalIgnoreCase));
                labelColumn = fieldsOfRow.FindIndex(h => h.Trim().Equals(fields.Label, StringComparison.OrdinalIgnoreCase));
                if (textColumn < 0)
                {
                    yield return new TextDocument(path, 0, null, null, null, TextReadProblem.MissingColumn,
                        $"'{path}' has no '{fields.Text}' column (its header: {string.Join(", ", fieldsOfRow.Select(h => $"'{h}'"))}); the file was skipped. Name the column with -TextProperty.");
                    yield break;
                }
                continue;
            }
            if (rowInvalid) { yield return InvalidUtf8(path, rowStart, -1); continue; }
            if (fieldsOfRow.Count <= textColumn)
            {
                yield return new TextDocument(path, rowStart, null, null, null, TextReadProblem.MalformedCsvRow,
                    $"The row on line {rowStart} of '{path}' has {fieldsOfRow.Count} field(s), too few for the '{fields.Text}' column (number {textColumn + 1}); it was skipped.");
                continue;
            }
            yield return new TextDocument(path, rowStart, fieldsOfRow[textColumn],
                idColumn >= 0 && idColumn < fieldsOfRow.Count && fieldsOfRow[idColumn].Length > 0 ? fieldsOfRow[idColumn] : null,
                labelColumn >= 0 && labelColumn < fieldsOfRow.Count ? fieldsOfRow[labelColumn] : null);
        }
        if (inQuotes)
            yield return new TextDocument(path, rowStart, null, null, null, TextReadProblem.MalformedCsvRow,
                $"The row on line {rowStart} of '{path}' opens a quoted field that never closes; it was skipped.");
    }

    private static TextDocument InvalidUtf8(string path, long line, int badAt)
        => new(path, line, null, null, null, TextReadProblem.InvalidUtf8,
            $"Line {line} of '{path}' is not valid UTF-8{(badAt >= 0 ? $" (bad byte at column {badAt + 1})" : "")}; that document was skipped, the others were read. Convert the file, e.g. iconv -f latin1 -t utf-8.");

    /// <summary>The text, or null (and the offset of the first bad byte) when the bytes are not UTF-8.</summary>
    private static string? Decode(ReadOnlySpan<byte> bytes, out int badAt)
    {
        badAt = -1;
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Strict.GetString(bytes);
        // Find the offset for the message: the longest valid prefix.
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
        badAt = status == OperationStatus.Done ? bytes.Length : read;
        return null;
    }

    private static long LineOf(ReadOnlySpan<byte> bytes, int offset) => 1 + bytes[..Math.Min(offset, bytes.Length)].Count((byte)'\n');

    /// <summary>
    /// The file's lines as bytes (numbered from 1, without the line break, a trailing CR
    /// removed, the byte-order mark removed from line 1), read in blocks, so no line but the
    /// one in hand is in memory. A read error ends the sequence with its message.
    /// </summary>
    private static IEnumerable<(long Line, ReadOnlyMemory<byte> Bytes, string? Error)> Lines(string path)
    {
        FileStream stream;
        string? openError = null;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { stream = null!; openError = e.Message; }
        if (openError is not null) { yield return (0, default, $"Cannot read '{path}': {openError}"); yield break; }
        using (stream)
        {
            var block = new byte[1 << 16];
            var pending = new ArrayBufferWriter<byte>();
            long line = 0;
            bool first = true;
            while (true)
            {
                int n;
                string? error = null;
                try { n = stream.Read(block, 0, block.Length); }
                catch (IOException e) { n = 0; error = e.Message; }
                if (error is not null) { yield return (line + 1, default, $"Reading '{path}' failed after line {line}: {error}"); yield break; }
                if (n == 0) break;
                int start = 0;
                while (true)
                {
                    int nl = Array.IndexOf(block, (byte)'\n', start, n - start);
                    if (nl < 0) { pending.Write(block.AsSpan(start, n - start)); break; }
                    ReadOnlyMemory<byte> bytes;
                    if (pending.WrittenCount > 0) { pending.Write(block.AsSpan(start, nl - start)); bytes = pending.WrittenMemory.ToArray(); pending.Clear(); }
                    else bytes = block.AsMemory(start, nl - start).ToArray();
                    yield return (++line, Trim(bytes, ref first), null);
                    start = nl + 1;
                }
            }
            if (pending.WrittenCount > 0) yield return (++line, Trim(pending.WrittenMemory.ToArray(), ref first), null);
        }
    }

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> line, ref bool first)
    {
        if (first) { first = false; if (line.Span.StartsWith("\uFEFF"u8)) line = line[3..]; }
        if (line.Length > 0 && line.Span[^1] == (byte)'\r') line = line[..^1];
        return line;
    }
}

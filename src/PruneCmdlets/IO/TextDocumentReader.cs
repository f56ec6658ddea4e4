using System.Text;
using System.Text.Json;

namespace PruneCmdlets.IO;

/// <summary>What went wrong with one document, or with a whole file.</summary>
public enum TextReadProblem
{
    None,
    /// <summary>The bytes of the document's line(s) are not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>The bytes of the document's line(s) are not valid UTF-16 or UTF-32, the encoding the file's byte-order mark declares.</summary>
    InvalidEncoding,
    /// <summary>A JSON Lines line that is not a JSON object (or string), or whose text field is not a string.</summary>
    MalformedJsonLine,
    /// <summary>A JSON Lines object without the text field.</summary>
    MissingTextField,
    /// <summary>A CSV/TSV file whose header has no text column: the whole file is skipped.</summary>
    MissingColumn,
    /// <summary>A CSV/TSV row with fewer fields than the text column needs, or a quoted field that never closes.</summary>
    MalformedCsvRow,
    /// <summary>A file format this build cannot read: the whole file is skipped.</summary>
    UnsupportedFormat,
    /// <summary>A .parquet file that is truncated, damaged or not Parquet: the rest of it is skipped.</summary>
    ReadFailed,
    /// <summary>
    /// The file's bytes cannot be read (an I/O error, no permission, gone since it was listed):
    /// the rest of it is skipped. Not a bad file, so worth trying again; Get-Embedding reports
    /// its unreadable images under the same ErrorId.
    /// </summary>
    FileReadFailed,
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
/// Streams documents out of text files, strictly as UTF-8, or as UTF-16 or UTF-32 when the
/// file starts with their byte-order mark (<see cref="TextEncoding"/>), one line at a time, so
/// a corpus never has to fit in memory and one bad line costs only its own document:
///   .txt and anything unrecognised: one document per non-blank line (blank lines separate, they are not documents);
///   .jsonl/.ndjson: one JSON object per line, the text in the Text field (a line that is a JSON string is the text itself);
///   .csv/.tsv: the first row a header, fields read as Python's csv module and PowerShell's Import-Csv read them (<see cref="ReadRows"/>);
///   whole-file mode: the file is one document.
/// </summary>
public static class TextDocumentReader
{
    /// <summary>
    /// A quoted CSV field longer than this (in characters, 16 Mi) is taken for one whose closing quote
    /// is missing, as one that reaches the end of the file is: a stray quote must not make one
    /// document of a whole corpus, nor hold it in memory.
    /// </summary>
    public const int MaxQuotedFieldChars = 16 << 20;

    /// <summary>Extensions a directory is searched for (without whole-file mode).</summary>
    public static readonly IReadOnlySet<string> KnownExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        { ".txt", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet" };

    public static IEnumerable<TextDocument> Read(string path, TextFields fields, bool wholeFile) => Read(path, fields, wholeFile, MaxQuotedFieldChars);

    /// <summary>As <see cref="Read(string, TextFields, bool)"/>, with another limit for a quoted CSV field (tests take a small one).</summary>
    internal static IEnumerable<TextDocument> Read(string path, TextFields fields, bool wholeFile, int maxQuotedFieldChars)
    {
        if (wholeFile) return ReadWholeFile(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".ndjson" => ReadJsonLines(path, fields),
            ".csv" => ReadDelimited(path, fields, ',', maxQuotedFieldChars),
            ".tsv" => ReadDelimited(path, fields, '\t', maxQuotedFieldChars),
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
        if (error is not null) { yield return new TextDocument(path, 0, null, null, null, TextReadProblem.FileReadFailed, $"Cannot read '{path}': {error}"); yield break; }
        var encoding = TextEncoding.FromMark(bytes);
        var span = bytes.AsSpan(encoding.MarkLength);
        string? text = encoding.Decode(span, out int badAt);
        yield return text is null
            ? new TextDocument(path, 0, null, null, null, Invalid(encoding), $"'{path}' is not valid {Declared(encoding)} (first bad byte at offset {badAt}, line {1 + encoding.CountNewlines(span[..badAt])}); the file was skipped. {Advice(encoding)}")
            : new TextDocument(path, 0, text, null, null);
    }

    private static IEnumerable<TextDocument> ReadPlainLines(string path)
    {
        foreach (var l in TextLines.Read(path))
        {
            if (l.Error is not null) { yield return new TextDocument(path, l.Number, null, null, null, TextReadProblem.FileReadFailed, l.Error); yield break; }
            string? text = l.Encoding.Decode(l.Bytes.Span, out int badAt);
            if (text is null) { yield return InvalidText(path, l.Number, badAt, l.Encoding); continue; }
            if (string.IsNullOrWhiteSpace(text)) continue;
            yield return new TextDocument(path, l.Number, text, null, null);
        }
    }

    private static IEnumerable<TextDocument> ReadJsonLines(string path, TextFields fields)
    {
        foreach (var l in TextLines.Read(path))
        {
            if (l.Error is not null) { yield return new TextDocument(path, l.Number, null, null, null, TextReadProblem.FileReadFailed, l.Error); yield break; }
            string? raw = l.Encoding.Decode(l.Bytes.Span, out int badAt);
            if (raw is null) { yield return InvalidText(path, l.Number, badAt, l.Encoding); continue; }
            if (string.IsNullOrWhiteSpace(raw)) continue;
            yield return ParseJsonLine(path, l.Number, raw, fields);
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

    /// <summary>Where the CSV parser is within a field.</summary>
    private enum CsvState { FieldStart, Unquoted, Quoted, QuoteInQuoted }

    /// <summary>
    /// CSV or TSV with a header row (<see cref="ReadRows"/>): each row's text, id and label taken
    /// from the columns the header names.
    /// </summary>
    private static IEnumerable<TextDocument> ReadDelimited(string path, TextFields fields, char delimiter, int maxQuotedFieldChars)
    {
        int textColumn = -1, idColumn = -1, labelColumn = -1;
        foreach (var row in ReadRows(path, delimiter, maxQuotedFieldChars))
        {
            if (row.Problem is not null) { yield return row.Problem; continue; }
            var fieldsOfRow = row.Fields!;
            if (row.IsHeader)
            {
                textColumn = Column(fieldsOfRow, fields.Text);
                idColumn = Column(fieldsOfRow, fields.Id);
                labelColumn = Column(fieldsOfRow, fields.Label);
                if (textColumn < 0)
                {
                    yield return new TextDocument(path, 0, null, null, null, TextReadProblem.MissingColumn,
                        $"'{path}' has no '{fields.Text}' column (its header: {string.Join(", ", fieldsOfRow.Select(h => $"'{h}'"))}); the file was skipped. Name the column with -TextProperty.");
                    yield break;
                }
                continue;
            }
            if (fieldsOfRow.Count <= textColumn)
            {
                yield return new TextDocument(path, row.Line, null, null, null, TextReadProblem.MalformedCsvRow,
                    $"The row on line {row.Line} of '{path}' has {fieldsOfRow.Count} field(s), too few for the '{fields.Text}' column (number {textColumn + 1}); it was skipped.");
                continue;
            }
            yield return new TextDocument(path, row.Line, fieldsOfRow[textColumn],
                idColumn >= 0 && idColumn < fieldsOfRow.Count && fieldsOfRow[idColumn].Length > 0 ? fieldsOfRow[idColumn] : null,
                labelColumn >= 0 && labelColumn < fieldsOfRow.Count ? fieldsOfRow[labelColumn] : null);
        }
    }

    /// <summary>The index of the header field named <paramref name="name"/> (trimmed, case-insensitive), or -1.</summary>
    internal static int Column(IReadOnlyList<string> header, string name)
    {
        for (int i = 0; i < header.Count; i++)
            if (header[i].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>One row of a delimited file: its fields (the first row is the header), or the problem that made it unreadable.</summary>
    internal sealed record DelimitedRow(long Line, IReadOnlyList<string>? Fields, bool IsHeader, TextDocument? Problem);

    /// <summary>
    /// The rows of a CSV or TSV file with a header row, read as Python's csv module (excel dialect) and
    /// PowerShell's Import-Csv read them: a field that starts with a quote is quoted (it may hold
    /// delimiters and line breaks, and "" is a quote); a quote anywhere else is an ordinary
    /// character (a 5" screen); text after a quoted field's closing quote is kept ("a"b is ab).
    /// A quoted field that never closes (the file ends inside it, or it outgrows
    /// <paramref name="maxQuotedFieldChars"/>) makes its row a MalformedCsvRow naming the line it
    /// started on, and reading starts again on the next line, taking the opening quote as the
    /// mistake, so the rows it would have swallowed are read (or named) one by one; in a header
    /// it ends the file. Blank lines between rows are skipped, as both readers do. A data row
    /// whose bytes are not valid text is a problem row; the header is given as it decodes.
    /// Shared by the text corpus reader and the review overrides (<see cref="PruneCmdlets.Review.OverrideSet"/>).
    /// </summary>
    internal static IEnumerable<DelimitedRow> ReadRows(string path, char delimiter, int maxQuotedFieldChars = MaxQuotedFieldChars)
    {
        bool header = true;
        var fieldsOfRow = new List<string>();
        var field = new StringBuilder();
        TextEncoding? encoding = null;
        long from = 0, firstLine = 1;
        while (true)
        {
            var state = CsvState.FieldStart;
            bool rowInvalid = false, runaway = false;
            long rowStart = 0, afterRowStart = 0;   // the row's first line, and where the line after it starts
            int quotedField = 0;                    // which field (from 1) holds the open quote
            foreach (var l in TextLines.Read(path, encoding, from, firstLine))
            {
                if (l.Error is not null) { yield return new DelimitedRow(l.Number, null, false, new TextDocument(path, l.Number, null, null, null, TextReadProblem.FileReadFailed, l.Error)); yield break; }
                encoding = l.Encoding;
                bool continues = state == CsvState.Quoted;   // a quoted field goes on from the line before
                string? decoded = encoding.Decode(l.Bytes.Span, out _);
                if (!continues) { rowStart = l.Number; afterRowStart = l.Next; rowInvalid = false; fieldsOfRow.Clear(); field.Clear(); state = CsvState.FieldStart; }
                if (decoded is null) { rowInvalid = true; decoded = encoding.Lenient.GetString(l.Bytes.Span); }
                if (continues) field.Append('\n');
                else if (decoded.Length == 0) continue;   // a blank line between rows
                foreach (char c in decoded)
                {
                    switch (state)
                    {
                        case CsvState.FieldStart when c == '"': state = CsvState.Quoted; quotedField = fieldsOfRow.Count + 1; break;
                        case CsvState.Quoted when c == '"': state = CsvState.QuoteInQuoted; break;
                        case CsvState.Quoted: field.Append(c); break;
                        case CsvState.QuoteInQuoted when c == '"': field.Append('"'); state = CsvState.Quoted; break;   // a doubled quote
                        case not CsvState.Quoted when c == delimiter: fieldsOfRow.Add(field.ToString()); field.Clear(); state = CsvState.FieldStart; break;
                        default: field.Append(c); state = CsvState.Unquoted; break;   // a quote after a field's start is a character
                    }
                }
                if (state == CsvState.Quoted)
                {
                    if (field.Length <= maxQuotedFieldChars) continue;   // the quoted field goes on on the next line
                    runaway = true;
                    break;
                }
                fieldsOfRow.Add(field.ToString());
                field.Clear();
                state = CsvState.FieldStart;
                if (header)
                {
                    header = false;
                    yield return new DelimitedRow(rowStart, fieldsOfRow.ToArray(), true, null);
                    continue;
                }
                if (rowInvalid) { yield return new DelimitedRow(rowStart, null, false, InvalidText(path, rowStart, -1, encoding)); continue; }
                yield return new DelimitedRow(rowStart, fieldsOfRow.ToArray(), false, null);
            }
            if (state != CsvState.Quoted) yield break;
            string why = runaway ? $"that holds more than {maxQuotedFieldChars:N0} characters without closing" : "that never closes (the file ends inside it)";
            if (header)
            {
                yield return new DelimitedRow(rowStart, null, true, new TextDocument(path, rowStart, null, null, null, TextReadProblem.MalformedCsvRow,
                    $"The header of '{path}' (line {rowStart}) opens a quoted field (field {quotedField}) {why}; the file was skipped. Close the quote, or double it (\"\") inside a quoted field."));
                yield break;
            }
            yield return new DelimitedRow(rowStart, null, false, new TextDocument(path, rowStart, null, null, null, TextReadProblem.MalformedCsvRow,
                $"The row on line {rowStart} of '{path}' opens a quoted field (field {quotedField}) {why}; the row was skipped and the lines after it were read as rows of their own. Close the quote, or double it (\"\") inside a quoted field."));
            // Read again from the line after the row's first: the quote was the mistake, not the rows after it.
            (from, firstLine) = (afterRowStart, rowStart + 1);
            field.Clear();
        }
    }

    private static TextReadProblem Invalid(TextEncoding encoding) => encoding.IsUtf8 ? TextReadProblem.InvalidUtf8 : TextReadProblem.InvalidEncoding;

    /// <summary>What the file was read as, and why: "UTF-8", or "UTF-16 LE (as its byte-order mark declares)".</summary>
    private static string Declared(TextEncoding encoding) => encoding.IsUtf8 ? "UTF-8" : $"{encoding.Name} (as its byte-order mark declares)";

    private static string Advice(TextEncoding encoding) => encoding.IsUtf8
        ? "Convert the file, e.g. iconv -f latin1 -t utf-8."
        : $"The file may be damaged, or its first bytes are not a byte-order mark; convert it, e.g. iconv -f {encoding.Name.Replace(" ", "")} -t utf-8.";

    private static TextDocument InvalidText(string path, long line, int badAt, TextEncoding encoding)
        => new(path, line, null, null, null, Invalid(encoding),
            $"Line {line} of '{path}' is not valid {Declared(encoding)}{(badAt >= 0 ? $" (bad byte at column {badAt + 1})" : "")}; that document was skipped, the others were read. {Advice(encoding)}");
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PruneCmdlets.IO;

/// <summary>
/// How a text file's bytes become characters: UTF-8, unless the file starts with the
/// byte-order mark of UTF-16 or UTF-32 (little- or big-endian), which is then the file's
/// encoding, as .NET's StreamReader, PowerShell's Get-Content and Python's 'utf-16'/'utf-32'
/// codecs decide. Without a mark a file is UTF-8: guessing UTF-16 from the bytes (Windows'
/// IsTextUnicode) is wrong often enough to be worse than an error naming the line.
/// </summary>
internal sealed class TextEncoding
{
    public static readonly TextEncoding Utf8 = new("UTF-8", 1, false, 0);
    public static readonly TextEncoding Utf8WithMark = new("UTF-8", 1, false, 3);
    public static readonly TextEncoding Utf16LE = new("UTF-16 LE", 2, false, 2);
    public static readonly TextEncoding Utf16BE = new("UTF-16 BE", 2, true, 2);
    public static readonly TextEncoding Utf32LE = new("UTF-32 LE", 4, false, 4);
    public static readonly TextEncoding Utf32BE = new("UTF-32 BE", 4, true, 4);

    private TextEncoding(string name, int width, bool bigEndian, int markLength)
    {
        Name = name;
        Width = width;
        BigEndian = bigEndian;
        MarkLength = markLength;
        (Strict, Lenient) = width switch
        {
            1 => ((Encoding)new UTF8Encoding(false, true), (Encoding)new UTF8Encoding(false, false)),
            2 => (new UnicodeEncoding(bigEndian, false, true), new UnicodeEncoding(bigEndian, false, false)),
            _ => (new UTF32Encoding(bigEndian, false, true), new UTF32Encoding(bigEndian, false, false)),
        };
        _newline = Strict.GetBytes("\n");
        _carriageReturn = Strict.GetBytes("\r");
    }

    private readonly byte[] _newline, _carriageReturn;

    /// <summary>"UTF-8", "UTF-16 LE", … for messages.</summary>
    public string Name { get; }
    /// <summary>Bytes per code unit; lines split only at whole units.</summary>
    public int Width { get; }
    public bool BigEndian { get; }
    /// <summary>Bytes of the byte-order mark at the file's start (0 for UTF-8 without one).</summary>
    public int MarkLength { get; }
    /// <summary>Decodes valid bytes, throws on invalid ones.</summary>
    public Encoding Strict { get; }
    /// <summary>Decodes anything, invalid bytes as U+FFFD: only for text already reported as invalid.</summary>
    public Encoding Lenient { get; }
    public bool IsUtf8 => Width == 1;

    /// <summary>The encoding the first bytes of a file declare (UTF-32 LE is checked before UTF-16 LE, whose mark it starts with).</summary>
    public static TextEncoding FromMark(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith(new byte[] { 0xFF, 0xFE, 0, 0 })) return Utf32LE;
        if (start.StartsWith(new byte[] { 0, 0, 0xFE, 0xFF })) return Utf32BE;
        if (start.StartsWith(new byte[] { 0xFF, 0xFE })) return Utf16LE;
        if (start.StartsWith(new byte[] { 0xFE, 0xFF })) return Utf16BE;
        if (start.StartsWith("\uFEFF"u8)) return Utf8WithMark;
        return Utf8;
    }

    /// <summary>The text, or null (and the byte offset of the first bad code unit) when the bytes are not valid in this encoding.</summary>
    public string? Decode(ReadOnlySpan<byte> bytes, out int badAt)
    {
        badAt = FirstInvalid(bytes);
        return badAt < 0 ? Strict.GetString(bytes) : null;
    }

    private int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        if (Width == 1)
        {
            if (System.Text.Unicode.Utf8.IsValid(bytes)) return -1;
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
            return status == OperationStatus.Done ? bytes.Length : read;
        }
        int whole = bytes.Length / Width * Width;
        if (Width == 2)
        {
            for (int i = 0; i < whole; i += 2)
            {
                int u = Unit16(bytes[i..]);
                if (u is >= 0xD800 and <= 0xDBFF)
                {
                    // A high surrogate needs a low one after it.
                    if (i + 2 < whole && Unit16(bytes[(i + 2)..]) is >= 0xDC00 and <= 0xDFFF) { i += 2; continue; }
                    return i;
                }
                if (u is >= 0xDC00 and <= 0xDFFF) return i;
            }
        }
        else
        {
            for (int i = 0; i < whole; i += 4)
            {
                uint u = BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(bytes[i..]);
                if (u > 0x10FFFF || u is >= 0xD800 and <= 0xDFFF) return i;
            }
        }
        return whole < bytes.Length ? whole : -1;   // a trailing part of a code unit
    }

    private int Unit16(ReadOnlySpan<byte> b) => BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    /// <summary>The first line feed at a whole code unit in [from, to) of the block, or -1; from is at a unit's start.</summary>
    public int IndexOfNewline(byte[] block, int from, int to)
    {
        if (Width == 1) return Array.IndexOf(block, (byte)'\n', from, to - from);
        for (int i = from; i + Width <= to; i += Width)
            if (block.AsSpan(i, Width).SequenceEqual(_newline)) return i;
        return -1;
    }

    /// <summary>How many line feeds (whole code units) the bytes hold: for "line N" in messages.</summary>
    public long CountNewlines(ReadOnlySpan<byte> bytes)
    {
        if (Width == 1) return bytes.Count((byte)'\n');
        long n = 0;
        for (int i = 0; i + Width <= bytes.Length; i += Width)
            if (bytes.Slice(i, Width).SequenceEqual(_newline)) n++;
        return n;
    }

    /// <summary>The line without a carriage return that ends it (CRLF line ends).</summary>
    public ReadOnlyMemory<byte> TrimCarriageReturn(ReadOnlyMemory<byte> line)
        => line.Length >= Width && line.Span[^Width..].SequenceEqual(_carriageReturn) ? line[..^Width] : line;
}

/// <summary>One line of a text file: its bytes without the line break, where the next line starts, or why reading stopped.</summary>
internal readonly record struct TextLine(long Number, ReadOnlyMemory<byte> Bytes, long Next, TextEncoding Encoding, string? Error);

internal static class TextLines
{
    /// <summary>
    /// Every line of a small text file (a label or id side file), decoded strictly as
    /// <see cref="Read"/> decodes it; throws InvalidDataException naming the first line that is
    /// not valid text, or IOException when the file cannot be read: a mangled label must stop
    /// the import, not ride along as U+FFFD.
    /// </summary>
    public static string[] ReadAll(string path)
    {
        var lines = new List<string>();
        foreach (var l in Read(path))
        {
            if (l.Error is not null) throw new IOException(l.Error);
            lines.Add(l.Encoding.Decode(l.Bytes.Span, out int badAt)
                ?? throw new InvalidDataException($"Line {l.Number} of '{path}' is not valid {l.Encoding.Name}{(l.Encoding.IsUtf8 ? "" : " (as its byte-order mark declares)")} (bad byte at column {badAt + 1}); convert the file to UTF-8, e.g. with iconv."));
        }
        return lines.ToArray();
    }

    /// <summary>
    /// The file's lines as bytes (numbered from <paramref name="firstLine"/>, without the line
    /// break, a trailing CR removed), read in blocks, so no line but the one in hand is in
    /// memory. The encoding comes from the byte-order mark (which is not part of line 1); a
    /// read that starts later (<paramref name="from"/>, a line's first byte) is given the
    /// encoding found before. Lines split at line feeds that are whole code units, so UTF-16's
    /// 0A 00 never splits a character. A read error ends the sequence with its message.
    /// </summary>
    public static IEnumerable<TextLine> Read(string path, TextEncoding? known = null, long from = 0, long firstLine = 1)
    {
        FileStream? stream = null;
        string? openError = null;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            if (from > 0) stream.Position = from;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { stream?.Dispose(); openError = e.Message; }
        if (openError is not null || stream is null) { yield return new TextLine(0, default, -1, known ?? TextEncoding.Utf8, $"Cannot read '{path}': {openError}"); yield break; }
        using (stream)
        {
            var block = new byte[1 << 16];
            var pending = new ArrayBufferWriter<byte>();
            int have = 0, begin = 0;      // bytes in the block; where the line in hand starts in it
            long blockAt = from;          // the file offset of block[0]
            long line = firstLine - 1;
            var encoding = known;
            while (true)
            {
                int n;
                string? error = null;
                try { n = stream.Read(block, have, block.Length - have); }
                catch (IOException e) { n = 0; error = e.Message; }
                if (error is not null) { yield return new TextLine(line + 1, default, -1, encoding ?? TextEncoding.Utf8, $"Reading '{path}' failed after line {line}: {error}"); yield break; }
                have += n;
                if (encoding is null)
                {
                    if (have < 4 && n > 0) continue;   // a mark takes up to 4 bytes
                    encoding = TextEncoding.FromMark(block.AsSpan(0, have));
                    begin = encoding.MarkLength;
                }
                int width = encoding.Width;
                int whole = begin + (have - begin) / width * width;   // the block's bytes that are whole code units
                while (true)
                {
                    int nl = encoding.IndexOfNewline(block, begin, whole);
                    if (nl < 0) break;
                    ReadOnlyMemory<byte> bytes;
                    if (pending.WrittenCount > 0) { pending.Write(block.AsSpan(begin, nl - begin)); bytes = pending.WrittenMemory.ToArray(); pending.Clear(); }
                    else bytes = block.AsMemory(begin, nl - begin).ToArray();
                    begin = nl + width;
                    yield return new TextLine(++line, encoding.TrimCarriageReturn(bytes), blockAt + begin, encoding, null);
                }
                if (n == 0) break;
                // The unfinished line: its whole code units wait in pending, a part of one moves to the block's start.
                pending.Write(block.AsSpan(begin, whole - begin));
                Buffer.BlockCopy(block, whole, block, 0, have - whole);
                blockAt += whole;
                have -= whole;
                begin = 0;
            }
            // The last line, without a line break; a part of a code unit stays in it, so it reads as invalid.
            if (pending.WrittenCount > 0 || have > begin)
            {
                pending.Write(block.AsSpan(begin, have - begin));
                yield return new TextLine(++line, encoding!.TrimCarriageReturn(pending.WrittenMemory.ToArray()), blockAt + have, encoding, null);
            }
        }
    }
}

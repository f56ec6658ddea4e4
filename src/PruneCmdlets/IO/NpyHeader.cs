using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace PruneCmdlets.IO;

/// <summary>
/// The header of a NumPy .npy file (format versions 1.0, 2.0 and 3.0): the dtype, the memory
/// order and the shape, plus where the data starts. Spec: numpy.lib.format.
/// </summary>
public sealed class NpyHeader
{
    internal static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    public NpyHeader(string descr, bool fortranOrder, long[] shape, long dataOffset, int majorVersion)
    {
        Descr = descr;
        FortranOrder = fortranOrder;
        Shape = shape;
        DataOffset = dataOffset;
        MajorVersion = majorVersion;
        (Kind, ItemSize, BigEndian) = ParseDescr(descr);
    }

    /// <summary>The dtype string, e.g. "&lt;f4".</summary>
    public string Descr { get; }
    public bool FortranOrder { get; }
    public long[] Shape { get; }
    public long DataOffset { get; }
    public int MajorVersion { get; }
    /// <summary>numpy's kind character: f (float), i (int), u (unsigned), b (bool), U (UTF-32 text), S (bytes), O (object)…</summary>
    public char Kind { get; }
    public int ItemSize { get; }
    public bool BigEndian { get; }

    /// <summary>The number of values; a shape whose product overflows 64 bits is refused when the header is read.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    private static (char kind, int size, bool bigEndian) ParseDescr(string descr)
    {
        var m = Regex.Match(descr, @"^([<>|=]?)([a-zA-Z])(\d*)$");
        if (!m.Success) throw new InvalidDataException($"unsupported dtype '{descr}' (structured or sub-array dtypes are not embeddings).");
        char kind = m.Groups[2].Value[0];
        // Sizes past int are no dtype numpy makes; they must not overflow into a small one.
        if (!int.TryParse(m.Groups[3].Value.Length > 0 ? m.Groups[3].Value : "0", System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int size)
            || (kind == 'U' && size > int.MaxValue / 4))
            throw new InvalidDataException($"dtype '{descr}' has an item size too large for any array.");
        bool big = m.Groups[1].Value == ">";
        if (kind == 'U') size *= 4; // '<U3' counts UTF-32 characters, not bytes
        return (kind, size, big);
    }

    /// <summary>Reads and validates the header; the stream is left at the first data byte.</summary>
    public static NpyHeader Read(Stream stream, string name)
    {
        Span<byte> lead = stackalloc byte[8];
        if (ReadFully(stream, lead) < 8 || !lead[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"'{name}' is not a NumPy .npy file (the magic string \\x93NUMPY is missing).");
        int major = lead[6];
        int headerLength;
        long prefix;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            if (ReadFully(stream, len) < 2) throw Truncated(name, "header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
            prefix = 10;
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            if (ReadFully(stream, len) < 4) throw Truncated(name, "header length");
            uint l = BinaryPrimitives.ReadUInt32LittleEndian(len);
            if (l > 100_000_000) throw new InvalidDataException($"'{name}' declares an implausible header of {l} bytes.");
            headerLength = (int)l;
            prefix = 12;
        }
        else throw new InvalidDataException($"'{name}' uses .npy format version {major}.{lead[7]}; versions 1.0, 2.0 and 3.0 are supported.");

        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength) throw Truncated(name, "header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var (descr, fortran, shape) = NpyHeaderDictionary.Parse(header, name, allowLongSuffix: major < 3);
        try { return new NpyHeader(descr, fortran, shape, prefix + headerLength, major); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{name}' has a malformed .npy header: {e.Message}", e); }
    }

    internal static InvalidDataException Truncated(string name, string what)
        => new($"'{name}' is truncated: it ends inside the {what}.");

    internal static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = s.Read(buffer[total..]);
            if (r == 0) break;
            total += r;
        }
        return total;
    }

    /// <summary>Builds a version 1.0 header (version 2.0 if it would not fit), padded to 64 bytes as numpy writes it.</summary>
    public static byte[] Build(string descr, long[] shape)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        foreach (int major in new[] { 1, 2 })
        {
            int prefix = major == 1 ? 10 : 12;
            int total = prefix + dict.Length + 1;
            int padded = (total + 63) / 64 * 64;
            int headerLength = padded - prefix;
            if (major == 1 && headerLength > ushort.MaxValue) continue;
            var bytes = new byte[padded];
            Magic.CopyTo(bytes, 0);
            bytes[6] = (byte)major;
            bytes[7] = 0;
            if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
            else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLength);
            string text = dict.PadRight(headerLength - 1) + "\n";
            Encoding.ASCII.GetBytes(text, bytes.AsSpan(prefix));
            return bytes;
        }
        throw new InvalidOperationException("unreachable");
    }
}

/// <summary>
/// The header's dictionary, parsed as numpy parses it (numpy.lib.format._read_array_header:
/// ast.literal_eval of a Python literal) and refused where numpy refuses it: anything but one
/// dict literal (trailing text included), keys other than exactly 'descr', 'fortran_order' and
/// 'shape', a shape that is not a tuple of ints, a fortran_order that is not True or False.
/// Stricter than numpy, and said so in the messages: a key given twice (numpy silently takes
/// the last, a reader taking the first would read another array), a negative dimension, a
/// shape whose number of values overflows 64 bits (numpy's int64 product wraps round), and
/// string escapes (numpy never writes them). Python 2's 'L' suffix on ints is accepted in
/// versions 1.0 and 2.0, as numpy's _filter_header does.
/// </summary>
internal static class NpyHeaderDictionary
{
    private sealed record PyTuple(IReadOnlyList<object?> Items);
    private sealed record PyList(IReadOnlyList<object?> Items);
    private sealed record PyDict(IReadOnlyList<(object? Key, object? Value)> Items);

    public static (string Descr, bool FortranOrder, long[] Shape) Parse(string header, string name, bool allowLongSuffix)
    {
        var p = new Parser(header, name, allowLongSuffix);
        p.SkipSpace();
        var value = p.Value();
        p.SkipSpace();
        if (!p.AtEnd) throw p.Error($"text after the dictionary ({Show(header[p.Position..])})");
        if (value is not PyDict dict) throw Bad(name, $"it is not a dictionary but {Show(header.Trim())}");

        var seen = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, v) in dict.Items)
        {
            if (key is not string k) throw Bad(name, $"a key is not a string ({Show(key?.ToString() ?? "None")}); the keys must be exactly 'descr', 'fortran_order' and 'shape'");
            if (!seen.TryAdd(k, v)) throw Bad(name, $"the key '{k}' is given twice (numpy would take the last value, other readers the first)");
        }
        var unknown = seen.Keys.Where(k => k is not ("descr" or "fortran_order" or "shape")).ToList();
        var missing = new[] { "descr", "fortran_order", "shape" }.Where(k => !seen.ContainsKey(k)).ToList();
        if (unknown.Count > 0 || missing.Count > 0)
            throw Bad(name, $"the keys must be exactly 'descr', 'fortran_order' and 'shape'" +
                (missing.Count > 0 ? $"; missing: {string.Join(", ", missing.Select(k => $"'{k}'"))}" : "") +
                (unknown.Count > 0 ? $"; unknown: {string.Join(", ", unknown.Select(k => $"'{k}'"))}" : ""));

        if (seen["descr"] is PyList) throw new InvalidDataException($"'{name}' holds a structured array; embeddings must be a plain 2-D float array.");
        if (seen["descr"] is not string descr) throw Bad(name, "'descr' is not a dtype string such as '<f4'");
        if (seen["fortran_order"] is not bool fortran) throw Bad(name, "'fortran_order' is not True or False");
        if (seen["shape"] is not PyTuple tuple) throw Bad(name, "'shape' is not a tuple of integers such as (1000, 384)");
        var shape = new long[tuple.Items.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not System.Numerics.BigInteger v) throw Bad(name, $"'shape' is not a tuple of integers (item {i + 1} is {Describe(tuple.Items[i])})");
            if (v < 0) throw Bad(name, $"'shape' has a negative dimension ({v})");
            if (v > long.MaxValue) throw Bad(name, $"'shape' has a dimension ({v}) past 64 bits");
            shape[i] = (long)v;
        }
        try { _ = shape.Aggregate(1L, (a, b) => checked(a * b)); }
        catch (OverflowException) { throw Bad(name, $"'shape' ({string.Join(", ", shape)}) holds more values than a 64-bit count can hold"); }
        return (descr, fortran, shape);
    }

    private static string Describe(object? v) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => $"the string '{s}'",
        PyTuple => "a tuple",
        PyList => "a list",
        PyDict => "a dictionary",
        _ => v.ToString()!,
    };

    private static string Show(string text) => text.Length > 80 ? text[..80] + "…" : text;

    private static InvalidDataException Bad(string name, string why) => new($"'{name}' has a malformed .npy header: {why}. numpy refuses such a file too; write it again with numpy.save.");

    /// <summary>A recursive-descent reader of the Python literals a header can hold.</summary>
    private sealed class Parser(string text, string name, bool allowLongSuffix)
    {
        private int _at;
        private int _depth;

        public int Position => _at;
        public bool AtEnd => _at >= text.Length;

        public InvalidDataException Error(string why) => Bad(name, $"{why} at character {_at + 1}");

        /// <summary>Whitespace between tokens; a line continuation or comment is not something numpy writes, and is refused.</summary>
        public void SkipSpace()
        {
            while (_at < text.Length && text[_at] is ' ' or '\t' or '\n' or '\r' or '\f') _at++;
        }

        public object? Value()
        {
            if (AtEnd) throw Error("the header ends where a value should be");
            if (++_depth > 32) throw Error("values nested too deep");
            try
            {
                char c = text[_at];
                switch (c)
                {
                    case '{': return Dict();
                    case '(': return TupleOrParenthesised();
                    case '[': return new PyList(Items('[', ']'));
                    case '\'' or '"': return String();
                    case 'u' or 'U' when _at + 1 < text.Length && text[_at + 1] is '\'' or '"': _at++; return String();
                    case '-': _at++; SkipSpace(); return Value() is System.Numerics.BigInteger n ? -n : throw Error("a minus sign before something that is not a number");
                    case '+': _at++; SkipSpace(); return Value() is System.Numerics.BigInteger m ? m : throw Error("a plus sign before something that is not a number");
                }
                if (char.IsAsciiDigit(c)) return Integer();
                if (char.IsAsciiLetter(c) || c == '_')
                {
                    int start = _at;
                    while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_')) _at++;
                    return text[start.._at] switch
                    {
                        "True" => true,
                        "False" => false,
                        "None" => null,
                        var word => throw Error($"'{word}' is not a Python literal"),
                    };
                }
                throw Error($"'{c}' cannot start a value");
            }
            finally { _depth--; }
        }

        private PyDict Dict()
        {
            _at++;
            var items = new List<(object?, object?)>();
            while (true)
            {
                SkipSpace();
                if (!AtEnd && text[_at] == '}') { _at++; return new PyDict(items); }
                var key = Value();
                if (key is PyList or PyDict) throw Error("a list or dictionary as a key");
                SkipSpace();
                Expect(':');
                SkipSpace();
                items.Add((key, Value()));
                SkipSpace();
                if (!AtEnd && text[_at] == ',') { _at++; continue; }
                Expect('}');
                return new PyDict(items);
            }
        }

        /// <summary>(a, b), (a,) and () are tuples; (a) is a in parentheses, as in Python.</summary>
        private object? TupleOrParenthesised()
        {
            int open = _at;
            _at++;
            SkipSpace();
            if (!AtEnd && text[_at] == ')') { _at++; return new PyTuple(Array.Empty<object?>()); }
            var first = Value();
            SkipSpace();
            if (!AtEnd && text[_at] == ')') { _at++; return first; }
            _at = open;
            return new PyTuple(Items('(', ')'));
        }

        private List<object?> Items(char open, char close)
        {
            Expect(open);
            var items = new List<object?>();
            while (true)
            {
                SkipSpace();
                if (!AtEnd && text[_at] == close) { _at++; return items; }
                items.Add(Value());
                SkipSpace();
                if (!AtEnd && text[_at] == ',') { _at++; continue; }
                Expect(close);
                return items;
            }
        }

        private string String()
        {
            char quote = text[_at++];
            int start = _at;
            while (_at < text.Length && text[_at] != quote)
            {
                if (text[_at] is '\\') throw Error("a backslash escape in a string");
                if (text[_at] is '\n' or '\r') throw Error("a line break inside a string");
                _at++;
            }
            if (AtEnd) throw Error("a string that never closes");
            return text[start.._at++];
        }

        /// <summary>A Python int literal: decimal (no leading zeros), 0x, 0o or 0b, with _ between digits.</summary>
        private System.Numerics.BigInteger Integer()
        {
            int start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_')) _at++;
            string literal = text[start.._at];
            if (allowLongSuffix && literal.Length > 1 && literal[^1] is 'L' or 'l') literal = literal[..^1];
            int radix = 10;
            string digits = literal;
            if (literal.Length > 1 && literal[0] == '0' && char.ToLowerInvariant(literal[1]) is 'x' or 'o' or 'b')
            {
                radix = char.ToLowerInvariant(literal[1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
                digits = literal[2..].StartsWith('_') ? literal[3..] : literal[2..];
            }
            if (digits.Length == 0 || digits.StartsWith('_') || digits.EndsWith('_') || digits.Contains("__"))
                throw Error($"'{literal}' is not an integer");
            digits = digits.Replace("_", "");
            if (radix == 10 && digits.Length > 1 && digits[0] == '0' && digits.Any(d => d != '0'))
                throw Error($"'{literal}' has a leading zero, which Python refuses");
            var value = System.Numerics.BigInteger.Zero;
            foreach (char d in digits)
            {
                int v = char.IsAsciiDigit(d) ? d - '0' : char.IsAsciiLetter(d) ? char.ToLowerInvariant(d) - 'a' + 10 : 99;
                if (v >= radix) throw Error($"'{literal}' is not an integer");
                value = value * radix + v;
                if (value.GetByteCount() > 64) throw Error($"'{literal}' is too long a number");
            }
            return value;
        }

        private void Expect(char c)
        {
            if (AtEnd || text[_at] != c) throw Error(AtEnd ? $"the header ends where '{c}' should be" : $"'{text[_at]}' where '{c}' should be");
            _at++;
        }
    }
}

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

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    private static (char kind, int size, bool bigEndian) ParseDescr(string descr)
    {
        var m = Regex.Match(descr, @"^([<>|=]?)([a-zA-Z])(\d*)$");
        if (!m.Success) throw new InvalidDataException($"unsupported dtype '{descr}' (structured or sub-array dtypes are not embeddings).");
        char kind = m.Groups[2].Value[0];
        int size = m.Groups[3].Value.Length > 0 ? int.Parse(m.Groups[3].Value) : 0;
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

        string descr = MatchValue(header, @"'descr'\s*:\s*'([^']*)'", name, "descr");
        if (Regex.IsMatch(header, @"'descr'\s*:\s*\[")) throw new InvalidDataException($"'{name}' holds a structured array; embeddings must be a plain 2-D float array.");
        string fortran = MatchValue(header, @"'fortran_order'\s*:\s*(True|False)", name, "fortran_order");
        string shapeText = MatchValue(header, @"'shape'\s*:\s*\(([^)]*)\)", name, "shape");
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s.TrimEnd('L'), out var v) && v >= 0 ? v : throw new InvalidDataException($"'{name}' has a malformed shape '({shapeText})'."))
            .ToArray();
        return new NpyHeader(descr, fortran == "True", shape, prefix + headerLength, major);
    }

    private static string MatchValue(string header, string pattern, string name, string key)
    {
        var m = Regex.Match(header, pattern);
        if (!m.Success) throw new InvalidDataException($"'{name}' has a malformed .npy header: no '{key}' entry in {header.Trim()}.");
        return m.Groups[1].Value;
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

using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace PruneCmdlets.IO;

/// <summary>Writes .npy files that numpy.load reads back: float32 matrices and label arrays.</summary>
public static class NpyWriter
{
    /// <summary>Writes N rows of D float32 values as a C-order '&lt;f4' array of shape (N, D).</summary>
    public static void WriteMatrix(string path, IReadOnlyList<float[]> rows, int d)
        => WriteMatrix(path, rows.Select(r => (ReadOnlyMemory<float>)r).ToList(), d);

    /// <inheritdoc cref="WriteMatrix(string, IReadOnlyList{float[]}, int)"/>
    public static void WriteMatrix(string path, IReadOnlyList<ReadOnlyMemory<float>> rows, int d) => Replace(path, stream => WriteMatrix(stream, rows, d));

    /// <summary>The bytes of <see cref="WriteMatrix(string, IReadOnlyList{float[]}, int)"/> into <paramref name="stream"/> (a member of a set of files).</summary>
    public static void WriteMatrix(Stream stream, IReadOnlyList<ReadOnlyMemory<float>> rows, int d)
    {
        stream.Write(NpyHeader.Build("<f4", new long[] { rows.Count, d }));
        var buffer = new byte[d * 4];
        foreach (var row in rows)
        {
            if (row.Length != d) throw new ArgumentException($"every row must have {d} values; one has {row.Length}.");
            if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(row.Span).CopyTo(buffer);
            else for (int j = 0; j < d; j++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(j * 4), row.Span[j]);
            stream.Write(buffer);
        }
    }

    /// <summary>
    /// Writes labels as int64 when every label is an integer (what classifiers expect),
    /// otherwise as fixed-width unicode strings ('&lt;U…'). Null labels are refused.
    /// </summary>
    public static void WriteLabels(string path, IReadOnlyList<string> labels) => Replace(path, stream => WriteLabels(stream, labels));

    /// <summary>The bytes of <see cref="WriteLabels(string, IReadOnlyList{string})"/> into <paramref name="stream"/> (a member of a set of files).</summary>
    public static void WriteLabels(Stream stream, IReadOnlyList<string> labels)
    {
        // Integers only when each label is exactly its canonical digits: "007" and "7" must stay two classes.
        bool allIntegers = labels.Count > 0 && labels.All(l =>
            long.TryParse(l, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v.ToString(CultureInfo.InvariantCulture) == l);
        if (allIntegers)
        {
            stream.Write(NpyHeader.Build("<i8", new long[] { labels.Count }));
            var b = new byte[8];
            foreach (var l in labels)
            {
                BinaryPrimitives.WriteInt64LittleEndian(b, long.Parse(l, CultureInfo.InvariantCulture));
                stream.Write(b);
            }
            return;
        }
        int width = Math.Max(1, labels.Count == 0 ? 1 : labels.Max(l => l.EnumerateRunes().Count()));
        stream.Write(NpyHeader.Build($"<U{width}", new long[] { labels.Count }));
        var item = new byte[width * 4];
        foreach (var l in labels)
        {
            Array.Clear(item);
            int i = 0;
            foreach (var rune in l.EnumerateRunes()) BinaryPrimitives.WriteInt32LittleEndian(item.AsSpan(4 * i++), rune.Value);
            stream.Write(item);
        }
    }

    private static void Replace(string path, Action<Stream> write) => AtomicFile.Replace(path, write);
}

using System.Text;
using PruneCmdlets.IO;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class NpyTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    /// <summary>Builds a .npy file by hand, straight from the numpy format spec (not via NpyHeader.Build).</summary>
    private static byte[] Npy(string dict, byte[] data, int major = 1, bool pad = true)
    {
        int prefix = major == 1 ? 10 : 12;
        var text = new StringBuilder(dict);
        if (pad) while ((prefix + text.Length + 1) % 64 != 0) text.Append(' ');
        text.Append('\n');
        var header = (major == 3 ? Encoding.UTF8 : Encoding.ASCII).GetBytes(text.ToString());
        var ms = new MemoryStream();
        ms.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 });
        if (major == 1) ms.Write(new[] { (byte)(header.Length & 0xFF), (byte)(header.Length >> 8) });
        else ms.Write(new[] { (byte)(header.Length & 0xFF), (byte)((header.Length >> 8) & 0xFF), (byte)((header.Length >> 16) & 0xFF), (byte)(header.Length >> 24) });
        ms.Write(header);
        ms.Write(data);
        return ms.ToArray();
    }

    private static byte[] LeF32(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray(); // test host is little-endian

    private string Save(byte[] bytes, string name = "a.npy")
    {
        string p = _dir.File(name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static float[][] ReadAll(string path)
    {
        using var m = NpyReader.OpenMatrix(path);
        return m.ReadRows().ToArray();
    }

    [Fact]
    public void WriteMatrix_ThenRead_RoundTripsBitwise()
    {
        Assert.True(BitConverter.IsLittleEndian);
        var rows = new[]
        {
            new[] { 1f, -0f, float.Epsilon },
            new[] { float.MaxValue, float.NegativeInfinity, float.NaN },
            new[] { 0.1f, 1f / 3, -16777217f },
            new[] { 7f, 8f, 9f },
        };
        string path = _dir.File("m.npy");
        NpyWriter.WriteMatrix(path, rows, 3);
        using var m = NpyReader.OpenMatrix(path);
        Assert.Equal(4, m.Rows);
        Assert.Equal(3, m.Columns);
        Assert.Equal("<f4", m.Header.Descr);
        Assert.False(m.Header.FortranOrder);
        var back = m.ReadRows().ToArray();
        Assert.Equal(rows.Length, back.Length);
        for (int i = 0; i < rows.Length; i++)
            Assert.Equal(rows[i].Select(BitConverter.SingleToInt32Bits), back[i].Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void WriteMatrix_ProducesNumpyLayout()
    {
        string path = _dir.File("m.npy");
        NpyWriter.WriteMatrix(path, new[] { new[] { 1f, 2f }, new[] { -2f, 0.5f }, new[] { 0f, 3f } }, 2);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0 }, bytes[..8]);
        int headerLen = bytes[8] | (bytes[9] << 8);
        int dataStart = 10 + headerLen;
        Assert.Equal(0, dataStart % 64);
        Assert.Equal((byte)'\n', bytes[dataStart - 1]);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLen);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", header);
        Assert.Equal(dataStart + 6 * 4, bytes.Length);
        // 1.0f = 3F800000, −2.0f = C0000000, 0.5f = 3F000000, little-endian
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3F }, bytes[dataStart..(dataStart + 4)]);
        Assert.Equal(new byte[] { 0, 0, 0, 0xC0 }, bytes[(dataStart + 8)..(dataStart + 12)]);
        Assert.Equal(new byte[] { 0, 0, 0, 0x3F }, bytes[(dataStart + 12)..(dataStart + 16)]);
    }

    [Fact]
    public void WriteMatrix_RaggedRow_Throws()
    {
        Assert.Throws<ArgumentException>(() => NpyWriter.WriteMatrix(_dir.File("r.npy"), new[] { new[] { 1f, 2f }, new[] { 1f } }, 2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Read_HandBuiltHeaderVersions(int major)
    {
        var bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", LeF32(1, 2, 3, 4, 5, 6), major);
        using var m = NpyReader.OpenMatrix(Save(bytes));
        Assert.Equal(major, m.Header.MajorVersion);
        Assert.Equal(bytes.Length - 24, m.Header.DataOffset);
        Assert.Equal(0, m.Header.DataOffset % 64);
        var rows = m.ReadRows().ToArray();
        Assert.Equal(new[] { 1f, 2f, 3f }, rows[0]);
        Assert.Equal(new[] { 4f, 5f, 6f }, rows[1]);
    }

    [Fact]
    public void Read_UnpaddedHeader_WithOddSpacingAndLongSuffix()
    {
        // numpy 1.x on Python 2 wrote "(2L, 2L)"; some writers omit padding and use tight spacing.
        var bytes = Npy("{'descr':'<f4','fortran_order':False,'shape':(2L,2L)}", LeF32(1, 2, 3, 4), pad: false);
        Assert.Equal(new[] { new[] { 1f, 2f }, new[] { 3f, 4f } }, ReadAll(Save(bytes)));
    }

    [Fact]
    public void Read_Version3_Utf8Header()
    {
        // Version 3.0 exists for UTF-8 in headers (structured field names); the key set is still
        // exactly numpy's, so a key with a non-ASCII name is refused, and named as written.
        Assert.Equal(new[] { new[] { 5f, 6f } }, ReadAll(Save(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", LeF32(5, 6), 3))));
        var bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), 'é': 1, }", LeF32(5, 6), 3);
        var e = Assert.Throws<InvalidDataException>(() => ReadAll(Save(bytes, "v3.npy")));
        Assert.Contains("unknown: 'é'", e.Message);
    }

    /// <summary>
    /// Headers numpy.load refuses (numpy.lib.format._read_array_header: ast.literal_eval, then
    /// the key set, shape and fortran_order checks, then the dtype), and a few it reads that are
    /// refused here on purpose (a key given twice, a negative dimension): each names the file.
    /// </summary>
    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } garbage", "text after the dictionary")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}}", "text after the dictionary")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (3, 2)}", "'shape' is given twice")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'descr': '<f4'}", "'descr' is given twice")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", "unknown: 'extra'")]
    [InlineData("{'descr': '<f4', 'shape': (2, 3), }", "missing: 'fortran_order'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'Shape': (2, 3), }", "missing: 'shape'; unknown: 'Shape'")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", "'fortran_order' is not True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", "'shape' is not a tuple")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, '3'), }", "item 2 is the string '3'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.0), }", "'.' where ')' should be")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 03), }", "leading zero")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", "'3' where ')' should be")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 3), }", "',' cannot start a value")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "negative dimension")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", "ends where")]
    [InlineData("{descr: '<f4', 'fortran_order': False, 'shape': (2, 3), }", "'descr' is not a Python literal")]
    [InlineData("{'descr': 4, 'fortran_order': False, 'shape': (2, 3), }", "'descr' is not a dtype string")]
    [InlineData("{'descr': '<f99999999999', 'fortran_order': False, 'shape': (2, 3), }", "item size too large")]
    [InlineData("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2, 3), }", "backslash")]
    [InlineData("('<f4', False, (2, 3))", "not a dictionary")]
    public void Errors_HeaderNumpyRefuses_NamesTheFile(string dict, string expected)
    {
        var path = Save(Npy(dict, LeF32(1, 2, 3, 4, 5, 6)), "lying.npy");
        var e = Assert.Throws<InvalidDataException>(() => ReadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadLabels(path));
    }

    /// <summary>Spellings of the same header that ast.literal_eval reads, so numpy.load does too.</summary>
    [Theory]
    [InlineData("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}", 1)]
    [InlineData("{'shape': (2,3), 'fortran_order': False, 'descr': '<f4'}", 1)]
    [InlineData("{'descr': u'<f4', 'fortran_order': False, 'shape': (0x2, 0b11,), }", 2)]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': ((2), 3), }", 3)]
    [InlineData("{'descr':'<f4',\n 'fortran_order':False,\t'shape':(2L,3L)}", 1)]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 3)]
    public void Read_HeaderSpellingsNumpyAccepts(string dict, int major)
    {
        var rows = ReadAll(Save(Npy(dict, LeF32(1, 2, 3, 4, 5, 6), major)));
        Assert.Equal(new[] { new[] { 1f, 2f, 3f }, new[] { 4f, 5f, 6f } }, rows);
    }

    [Fact]
    public void Errors_ShapeWhoseProductOverflows_IsRefusedNotReadAsAnotherShape()
    {
        // 4 × (2^62 + 3) wraps round to 12 in 64 bits: read before as a 4×3 matrix of these 48 bytes.
        var wraps = Save(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4611686018427387907), }", LeF32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)), "wrap.npy");
        var e = Assert.Throws<InvalidDataException>(() => ReadAll(wraps));
        Assert.Contains("more values than a 64-bit count", e.Message);
        Assert.Contains(wraps, e.Message);
        // 0 × 2^32 holds no values, but its width truncates to 0 columns: a DivideByZeroException before.
        var zero = Save(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296), }", Array.Empty<byte>()), "zero.npy");
        e = Assert.Throws<InvalidDataException>(() => ReadAll(zero));
        Assert.Contains(zero, e.Message);
        // A label count that wraps round to 4 bytes: an array of 2^62 strings before.
        var labels = Save(Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (4611686018427387905,), }", new byte[4]), "l.npy");
        e = Assert.Throws<InvalidDataException>(() => NpyReader.ReadLabels(labels));
        Assert.Contains(labels, e.Message);
        // A dimension past 64 bits.
        var huge = Save(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 18446744073709551617), }", LeF32(1)), "huge.npy");
        Assert.Contains("past 64 bits", Assert.Throws<InvalidDataException>(() => ReadAll(huge)).Message);
    }

    [Fact]
    public void Read_Float64()
    {
        var data = new[] { 0.1, -2.5, 1e-50, 3.0e39 }.SelectMany(BitConverter.GetBytes).ToArray();
        var rows = ReadAll(Save(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", data)));
        Assert.Equal(new[] { 0.1f, -2.5f }, rows[0]);
        Assert.Equal(0f, rows[1][0]);
        Assert.Equal(float.PositiveInfinity, rows[1][1]); // 3e39 is beyond float range
    }

    [Fact]
    public void Read_BigEndianFloat32_AndFloat64()
    {
        // 1.5f = 3FC00000, −0.25f = BE800000, 2f = 40000000, 100f = 42C80000 — most significant byte first
        byte[] be32 = { 0x3F, 0xC0, 0, 0, 0xBE, 0x80, 0, 0, 0x40, 0, 0, 0, 0x42, 0xC8, 0, 0 };
        Assert.Equal(new[] { new[] { 1.5f, -0.25f }, new[] { 2f, 100f } },
            ReadAll(Save(Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", be32))));
        // 1.0 = 3FF0000000000000, −3.0 = C008000000000000
        byte[] be64 = { 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0xC0, 0x08, 0, 0, 0, 0, 0, 0 };
        Assert.Equal(new[] { new[] { 1f, -3f } },
            ReadAll(Save(Npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }", be64), "b.npy")));
    }

    [Fact]
    public void Read_Float16()
    {
        // half: 1.0 = 0x3C00, −2.0 = 0xC000, 0.5 = 0x3800, 65504 = 0x7BFF (little-endian bytes)
        byte[] h = { 0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38, 0xFF, 0x7B };
        Assert.Equal(new[] { new[] { 1f, -2f }, new[] { 0.5f, 65504f } },
            ReadAll(Save(Npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", h))));
    }

    [Fact]
    public void Read_FortranOrder_PlacesElementsColumnMajor()
    {
        // A = [[1 2 3],[4 5 6]] (2×3) in Fortran order is stored column by column: 1 4 2 5 3 6.
        var bytes = Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", LeF32(1, 4, 2, 5, 3, 6));
        using var m = NpyReader.OpenMatrix(Save(bytes));
        Assert.True(m.Header.FortranOrder);
        var rows = m.ReadRows().ToArray();
        Assert.Equal(new[] { 1f, 2f, 3f }, rows[0]);
        Assert.Equal(new[] { 4f, 5f, 6f }, rows[1]);

        // 3×2 big-endian Fortran: element (i, j) is the (j·3 + i)-th stored value.
        var vals = new float[] { 10, 20, 30, 11, 21, 31 };
        var be = vals.SelectMany(v => BitConverter.GetBytes(v).Reverse()).ToArray();
        var rows2 = ReadAll(Save(Npy("{'descr': '>f4', 'fortran_order': True, 'shape': (3, 2), }", be), "f2.npy"));
        Assert.Equal(new[] { new[] { 10f, 11f }, new[] { 20f, 21f }, new[] { 30f, 31f } }, rows2);
    }

    [Fact]
    public void Read_RowsAreFreshArrays_AndReEnumerable()
    {
        var rows = new List<float[]>();
        for (int i = 0; i < 70000; i++) rows.Add(new[] { i, -i, i * 0.5f, 1f });
        string path = _dir.File("big.npy");
        NpyWriter.WriteMatrix(path, rows, 4); // 1.12 MB: more than one 1 MiB read chunk
        using var m = NpyReader.OpenMatrix(path);
        var first = m.ReadRows().ToArray();
        var again = m.ReadRows().ToArray();
        Assert.Equal(70000, first.Length);
        for (int i = 0; i < first.Length; i += 997) Assert.Equal(rows[i], first[i]);
        Assert.Equal(rows[^1], first[^1]);
        Assert.NotSame(first[0], first[1]);
        Assert.Equal(first[69999], again[69999]);
    }

    [Fact]
    public void ReadLabels_Integers_AllWidths()
    {
        byte[] i4 = { 3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0 };
        Assert.Equal(new[] { "3", "-1", "7" }, NpyReader.ReadLabels(Save(Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", i4), "i4.npy")));
        byte[] be8 = { 0, 0, 0, 0, 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE };
        Assert.Equal(new[] { "256", "-2" }, NpyReader.ReadLabels(Save(Npy("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", be8), "i8.npy")));
        byte[] u1 = { 0, 200, 255 };
        Assert.Equal(new[] { "0", "200", "255" }, NpyReader.ReadLabels(Save(Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", u1), "u1.npy")));
        byte[] b1 = { 1, 0 };
        Assert.Equal(new[] { "True", "False" }, NpyReader.ReadLabels(Save(Npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", b1), "b1.npy")));
        // N×1 column is accepted
        byte[] col = { 9, 0, 5, 0 };
        Assert.Equal(new[] { "9", "5" }, NpyReader.ReadLabels(Save(Npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 1), }", col), "col.npy")));
    }

    [Fact]
    public void ReadLabels_FixedWidthBytes()
    {
        byte[] s3 = { (byte)'a', (byte)'b', 0, (byte)'c', (byte)'d', (byte)'e' };
        Assert.Equal(new[] { "ab", "cde" }, NpyReader.ReadLabels(Save(Npy("{'descr': '|S3', 'fortran_order': False, 'shape': (2,), }", s3))));
    }

    [Fact]
    public void ReadLabels_Unicode_U3()
    {
        // numpy '<U3': 3 UTF-32LE code units per item = 12 bytes, NUL padded.
        // ["ab", "cde", "x"] → 36 data bytes.
        var data = new List<byte>();
        foreach (var s in new[] { "ab", "cde", "x" })
            for (int i = 0; i < 3; i++) data.AddRange(BitConverter.GetBytes(i < s.Length ? (int)s[i] : 0));
        Assert.Equal(36, data.Count);
        var labels = NpyReader.ReadLabels(Save(Npy("{'descr': '<U3', 'fortran_order': False, 'shape': (3,), }", data.ToArray())));
        Assert.Equal(new[] { "ab", "cde", "x" }, labels);
    }

    [Fact]
    public void WriteLabels_Integers_RoundTrip_AsInt64()
    {
        string path = _dir.File("l.npy");
        NpyWriter.WriteLabels(path, new[] { "3", "-12", "9223372036854775807" });
        var bytes = File.ReadAllBytes(path);
        string header = Encoding.ASCII.GetString(bytes, 10, bytes[8] | (bytes[9] << 8));
        Assert.Contains("'descr': '<i8'", header);
        Assert.Contains("'shape': (3,)", header);
        Assert.Equal(10 + (bytes[8] | (bytes[9] << 8)) + 24, bytes.Length);
        Assert.Equal(new[] { "3", "-12", "9223372036854775807" }, NpyReader.ReadLabels(path));
    }

    [Fact]
    public void WriteLabels_Strings_ProduceNumpyUnicodeLayout()
    {
        string path = _dir.File("s.npy");
        NpyWriter.WriteLabels(path, new[] { "ab", "cde", "x" });
        var bytes = File.ReadAllBytes(path);
        int hl = bytes[8] | (bytes[9] << 8);
        Assert.Contains("'descr': '<U3'", Encoding.ASCII.GetString(bytes, 10, hl));
        Assert.Equal(3 * 12, bytes.Length - 10 - hl); // 3 items × 3 chars × 4 bytes
        Assert.Equal(new byte[] { (byte)'c', 0, 0, 0, (byte)'d', 0, 0, 0, (byte)'e', 0, 0, 0 }, bytes[(10 + hl + 12)..(10 + hl + 24)]);
    }

    [Fact]
    public void WriteLabels_Strings_RoundTrip()
    {
        string path = _dir.File("s.npy");
        var labels = new[] { "cat", "dog", "🐟", "" , "hedgehog" };
        NpyWriter.WriteLabels(path, labels);
        Assert.Equal(labels, NpyReader.ReadLabels(path));
    }

    [Fact]
    public void Errors_WrongMagic()
    {
        var bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", LeF32(1));
        bytes[5] = (byte)'X';
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(bytes)));
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(Array.Empty<byte>(), "empty.npy")));
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadLabels(Save(Encoding.ASCII.GetBytes("id,label\n1,cat\n"), "csv.npy")));
    }

    [Fact]
    public void Errors_TruncatedData()
    {
        var full = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", LeF32(1, 2, 3, 4, 5, 6));
        var e = Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(full[..^4])));
        Assert.Contains("truncated", e.Message);
        // header itself cut off
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(full[..40], "h.npy")));
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(full[..9], "h2.npy")));
        // labels one item short
        var lab = Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", new byte[8]);
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadLabels(Save(lab, "l.npy")));
    }

    [Fact]
    public void Errors_OneDimensionalMatrix()
    {
        var e = Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", LeF32(1, 2, 3, 4, 5, 6)))));
        Assert.Contains("1-D", e.Message);
    }

    [Fact]
    public void Errors_ThreeDimensionalMatrix()
    {
        var e = Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", LeF32(1, 2, 3, 4, 5, 6)))));
        Assert.Contains("3-D", e.Message);
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadLabels(Save(Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", new byte[16]), "l.npy")));
    }

    [Fact]
    public void Errors_ObjectDtype()
    {
        var bytes = Npy("{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }", new byte[32]);
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(bytes)));
        var lab = Npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new byte[16]);
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadLabels(Save(lab, "l.npy")));
    }

    [Fact]
    public void Errors_NonFloatOrStructuredMatrix()
    {
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }", new byte[8]))));
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 2), }", new byte[8]), "s.npy")));
        Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0), }", Array.Empty<byte>()), "z.npy")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(255)]
    public void Errors_UnsupportedVersion(int major)
    {
        var bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", LeF32(1), 2);
        bytes[6] = (byte)major;
        var e = Assert.Throws<InvalidDataException>(() => NpyReader.OpenMatrix(Save(bytes)));
        Assert.Contains("version", e.Message);
    }

    [Theory]
    [InlineData("<f4", new long[] { 3, 2 })]
    [InlineData("<i8", new long[] { 5 })]
    [InlineData("<U17", new long[] { 123456789 })]
    [InlineData("<f4", new long[] { 0, 0 })]
    [InlineData("<f4", new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 })]
    public void Header_Build_PaddedTo64_EndsWithNewline_AndParsesBack(string descr, long[] shape)
    {
        var h = NpyHeader.Build(descr, shape);
        Assert.Equal(0, h.Length % 64);
        Assert.Equal((byte)'\n', h[^1]);
        Assert.Equal(1, h[6]);
        Assert.Equal(h.Length - 10, h[8] | (h[9] << 8));
        Assert.DoesNotContain(h[10..^1], b => b == (byte)'\n');
        var parsed = NpyHeader.Read(new MemoryStream(h), "mem");
        Assert.Equal(descr, parsed.Descr);
        Assert.Equal(shape, parsed.Shape);
        Assert.False(parsed.FortranOrder);
        Assert.Equal(h.Length, parsed.DataOffset);
    }

    [Fact]
    public void Header_Build_FallsBackToVersion2_WhenTooLongForV1()
    {
        var shape = Enumerable.Repeat(1L, 25000).ToArray(); // "1, " × 25000 > 65535 bytes
        var h = NpyHeader.Build("<f4", shape);
        Assert.Equal(2, h[6]);
        Assert.Equal(0, h.Length % 64);
        Assert.Equal((byte)'\n', h[^1]);
        Assert.Equal(h.Length - 12, BitConverter.ToInt32(h, 8));
        Assert.True(h.Length - 12 > ushort.MaxValue);
        var parsed = NpyHeader.Read(new MemoryStream(h), "mem");
        Assert.Equal(2, parsed.MajorVersion);
        Assert.Equal(25000, parsed.Shape.Length);
    }

    [Theory]
    [InlineData("<f4", 'f', 4, false)]
    [InlineData(">f8", 'f', 8, true)]
    [InlineData("|u1", 'u', 1, false)]
    [InlineData("|S7", 'S', 7, false)]
    [InlineData("<U3", 'U', 12, false)] // numpy: itemsize of U3 is 3 characters × 4 bytes
    public void Header_ItemSizeIsBytes(string descr, char kind, int itemSize, bool bigEndian)
    {
        var h = new NpyHeader(descr, false, new long[] { 1 }, 128, 1);
        Assert.Equal(kind, h.Kind);
        Assert.Equal(itemSize, h.ItemSize);
        Assert.Equal(bigEndian, h.BigEndian);
    }
}

using System.Text;
using PruneCmdlets.IO;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// The text reader against what Python's csv module and PowerShell's Import-Csv read (the
/// expected values below are theirs, worked out by hand from their state machines), and
/// against UTF-16 and UTF-32 files with a byte-order mark.
/// </summary>
public class TextDocumentReaderTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private string Save(string name, string text, Encoding? encoding = null)
    {
        string p = _dir.File(name);
        var e = encoding ?? new UTF8Encoding(false);
        File.WriteAllBytes(p, e.GetPreamble().Concat(e.GetBytes(text)).ToArray());
        return p;
    }

    private static List<TextDocument> Read(string path, int maxQuoted = TextDocumentReader.MaxQuotedFieldChars)
        => TextDocumentReader.Read(path, new TextFields(), wholeFile: false, maxQuoted).ToList();

    [Theory]
    [InlineData(".csv", ',')]
    [InlineData(".tsv", '\t')]
    public void A_quote_inside_an_unquoted_field_is_a_character_and_every_row_stays_a_row(string extension, char d)
    {
        // Two such quotes used to pair up and make one record of rows 2-4, silently.
        var path = Save("q" + extension, $"Id{d}Text\nr1{d}a 5\" screen\nr2{d}plain\nr3{d}a 7\" one\nr4{d}last\n");
        var docs = Read(path);
        Assert.All(docs, x => Assert.Equal(TextReadProblem.None, x.Problem));
        Assert.Equal(new[] { "r1", "r2", "r3", "r4" }, docs.Select(x => x.GivenId));
        Assert.Equal(new[] { "a 5\" screen", "plain", "a 7\" one", "last" }, docs.Select(x => x.Text));
        Assert.Equal(new long[] { 2, 3, 4, 5 }, docs.Select(x => x.Line));
    }

    [Fact]
    public void Quoted_fields_read_as_python_csv_reads_them()
    {
        // Python: list(csv.reader(...)) gives these fields; Import-Csv the same.
        var path = Save("p.csv",
            "Id,Text,Label\r\n" +
            "r1,\"hello, \"\"world\"\"\",a\r\n" +      // delimiter and doubled quotes inside quotes
            "r2,\"two\r\nlines\",b\r\n" +              // a line break inside quotes
            "r3,\"quoted\"tail,c\r\n" +               // text after the closing quote is kept
            "r4,,d\r\n" +                             // an empty field
            "r5,x\"\"y,e\r\n" +                       // doubled quotes in an unquoted field stay two
            "\r\n" +                                  // a blank line is no row
            "r6,\"\",f\r\n");                          // an empty quoted field
        var docs = Read(path);
        Assert.Equal(new[] { "r1", "r2", "r3", "r4", "r5", "r6" }, docs.Select(x => x.GivenId));
        Assert.Equal(new[] { "hello, \"world\"", "two\nlines", "quotedtail", "", "x\"\"y", "" }, docs.Select(x => x.Text));
        Assert.Equal(new[] { "a", "b", "c", "d", "e", "f" }, docs.Select(x => x.Label));
        Assert.Equal(new long[] { 2, 3, 5, 6, 7, 9 }, docs.Select(x => x.Line));
    }

    [Fact]
    public void A_quoted_field_that_never_closes_names_its_row_and_the_rows_after_it_are_read()
    {
        var path = Save("open.csv", "Id,Text\nr1,ok\nr2,\"never closes\nr3,three\nr4,four\n");
        var docs = Read(path);
        Assert.Equal(4, docs.Count);
        Assert.Equal(("r1", "ok"), (docs[0].GivenId, docs[0].Text));
        Assert.Equal(TextReadProblem.MalformedCsvRow, docs[1].Problem);
        Assert.Equal(3, docs[1].Line);
        Assert.Contains("line 3", docs[1].Message);
        Assert.Contains("never closes", docs[1].Message);
        Assert.Equal(("r3", "three", 4L), (docs[2].GivenId, docs[2].Text, docs[2].Line));
        Assert.Equal(("r4", "four", 5L), (docs[3].GivenId, docs[3].Text, docs[3].Line));
    }

    [Fact]
    public void A_quoted_field_that_outgrows_the_limit_is_taken_as_one_that_never_closes()
    {
        // The closing quote comes, but only after 52 characters: with a limit of 30 the row is
        // refused when line 5 takes the field past it, and lines 4 to 6 are read as rows.
        var path = Save("long.csv", "Id,Text\nr1,ok\nr2,\"0123456789\nr3,0123456789\nr4,0123456789\nr5,0123456789\"\nr6,six\n");
        var docs = Read(path, maxQuoted: 30);
        Assert.Equal(new[] { TextReadProblem.None, TextReadProblem.MalformedCsvRow, TextReadProblem.None, TextReadProblem.None, TextReadProblem.None, TextReadProblem.None }, docs.Select(x => x.Problem));
        Assert.Equal(3, docs[1].Line);
        Assert.Contains("more than 30 characters", docs[1].Message);
        Assert.Equal(new[] { "ok", null, "0123456789", "0123456789", "0123456789\"", "six" }, docs.Select(x => x.Text));
        Assert.Equal(new long[] { 2, 3, 4, 5, 6, 7 }, docs.Select(x => x.Line));
        // Under the default limit the same file holds one long quoted field, as Python reads it.
        var whole = Read(path);
        Assert.Equal(new[] { "ok", "0123456789\nr3,0123456789\nr4,0123456789\nr5,0123456789", "six" }, whole.Select(x => x.Text));
    }

    [Fact]
    public void A_header_whose_quote_never_closes_skips_the_file_with_one_error()
    {
        var path = Save("head.csv", "Id,\"Text\nr1,one\nr2,two\n");
        var doc = Assert.Single(Read(path));
        Assert.Equal(TextReadProblem.MalformedCsvRow, doc.Problem);
        Assert.Contains("header", doc.Message);
        Assert.Equal(1, doc.Line);
    }

    public static TheoryData<string> Encodings => new() { "utf-16LE", "utf-16BE", "utf-32LE", "utf-32BE", "utf-8" };

    private static Encoding Named(string name) => name switch
    {
        "utf-16LE" => new UnicodeEncoding(false, true),
        "utf-16BE" => new UnicodeEncoding(true, true),
        "utf-32LE" => new UTF32Encoding(false, true),
        "utf-32BE" => new UTF32Encoding(true, true),
        _ => new UTF8Encoding(true),
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Text_with_a_byte_order_mark_is_decoded_by_it_in_every_format(string name)
    {
        var e = Named(name);
        // Characters beyond ASCII and beyond the BMP, and a line feed byte (0A) inside a UTF-16 character (U+0A41).
        var txt = Save("a.txt", "Café ☕ 😀\r\n\nਁ second\n", e);
        var lines = Read(txt);
        Assert.Equal(new[] { "Café ☕ 😀", "ਁ second" }, lines.Select(x => x.Text));
        Assert.Equal(new long[] { 1, 3 }, lines.Select(x => x.Line));

        var csv = Save("a.csv", "Id,Text\nr1,\"naïve, \"\"quoted\"\"\"\nr2,a 5\" screen\n", e);
        Assert.Equal(new[] { "naïve, \"quoted\"", "a 5\" screen" }, Read(csv).Select(x => x.Text));

        var jsonl = Save("a.jsonl", "{\"Text\": \"日本語\", \"Id\": \"j1\"}\n", e);
        var j = Assert.Single(Read(jsonl));
        Assert.Equal(("日本語", "j1"), (j.Text, j.GivenId));

        var whole = Assert.Single(TextDocumentReader.Read(txt, new TextFields(), wholeFile: true));
        Assert.Equal("Café ☕ 😀\r\n\nਁ second\n", whole.Text);
    }

    [Fact]
    public void Lines_split_only_at_whole_utf16_units_across_read_blocks()
    {
        // 70 000 lines cross the 64 KiB read blocks at every alignment; the 'ਊ' (0A 0A in UTF-16 LE)
        // would split lines if the reader looked for the byte 0A.
        var text = new StringBuilder();
        for (int i = 0; i < 70_000; i++) text.Append("ਊ").Append(i).Append('\n');
        foreach (var e in new[] { Named("utf-16LE"), Named("utf-32BE") })
        {
            var docs = Read(Save("many.txt", text.ToString(), e));
            Assert.Equal(70_000, docs.Count);
            Assert.All(docs, x => Assert.Equal(TextReadProblem.None, x.Problem));
            Assert.Equal("ਊ0", docs[0].Text);
            Assert.Equal("ਊ69999", docs[^1].Text);
            Assert.Equal(70_000, docs[^1].Line);
        }
    }

    [Fact]
    public void A_bad_line_of_a_utf16_file_is_named_and_the_others_are_read()
    {
        // Line 2 holds a lone high surrogate (D800 followed by 'x'); the file ends with half a code unit.
        var le = new UnicodeEncoding(false, false);
        var bytes = new byte[] { 0xFF, 0xFE }
            .Concat(le.GetBytes("one\n"))
            .Concat(new byte[] { 0x00, 0xD8, (byte)'x', 0x00, (byte)'\n', 0x00 })
            .Concat(le.GetBytes("three\n"))
            .Concat(new byte[] { (byte)'z' })
            .ToArray();
        var path = _dir.File("bad16.txt");
        File.WriteAllBytes(path, bytes);
        var docs = Read(path);
        Assert.Equal(new[] { TextReadProblem.None, TextReadProblem.InvalidEncoding, TextReadProblem.None, TextReadProblem.InvalidEncoding }, docs.Select(x => x.Problem));
        Assert.Equal(new long[] { 1, 2, 3, 4 }, docs.Select(x => x.Line));
        Assert.Contains("UTF-16 LE", docs[1].Message);
        Assert.Contains("column 1", docs[1].Message);
        Assert.DoesNotContain("latin1", docs[1].Message);
        Assert.Equal(new[] { "one", null, "three", null }, docs.Select(x => x.Text));
    }
}

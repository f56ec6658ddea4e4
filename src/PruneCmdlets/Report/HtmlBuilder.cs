using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace PruneCmdlets.Report;

/// <summary>
/// The one place the report writes markup. Text reaches it only as <see cref="ReportText"/>:
/// the report's own words with every string from the data (file names, labels, Ids, reasons,
/// previews, names) isolated; attribute values a person reads (title, alt, aria-label) must be
/// <see cref="ReportText"/> too. All of it is encoded with <see cref="HtmlEncoder"/>; tags and
/// attribute names are the report's own constants. So a file named
/// <c>&lt;img src=x onerror=alert(1)&gt;.png</c> or a label <c>&lt;/script&gt;</c> is shown as
/// the text it is, never parsed as markup, and a label holding U+202E RIGHT-TO-LEFT OVERRIDE
/// cannot reverse the counts written after it.
/// </summary>
public sealed class HtmlBuilder
{
    private readonly StringBuilder _sb = new(1 << 16);
    private readonly Stack<string> _open = new();

    // Default encodes everything outside Basic Latin as a character reference; the file is
    // UTF-8, so letting the whole Basic Multilingual Plane through keeps accents and CJK
    // readable in the source (emoji, outside it, become references a browser shows as they
    // are). HTML-significant characters (<, >, &, quotes) are always encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    // Attributes a browser shows to a person: their values are prose, never a bare string.
    private static readonly HashSet<string> ProseAttributes = new(StringComparer.Ordinal) { "title", "alt", "aria-label", "placeholder" };

    public static string Encode(string? s) => s is null ? "" : Encoder.Encode(s);

    /// <summary>A string from the data, to be shown isolated: <c>$"Class {Data(label)}: {n} records"</c>.</summary>
    public static DataText Data(string? s) => new(s);

    /// <summary>Opens <paramref name="tag"/> with attributes given as name, value pairs (a null value leaves the attribute out).</summary>
    public HtmlBuilder Open(string tag, params Attr[] attributes)
    {
        StartTag(tag, attributes);
        _sb.Append('>');
        _open.Push(tag);
        return this;
    }

    public HtmlBuilder Close()
    {
        _sb.Append("</").Append(_open.Pop()).Append('>');
        return this;
    }

    /// <summary>An element holding only text.</summary>
    public HtmlBuilder Element(string tag, ReportText text, params Attr[] attributes)
    {
        StartTag(tag, attributes);
        _sb.Append('>').Append(Encode(text.Value)).Append("</").Append(tag).Append('>');
        return this;
    }

    /// <summary>An element without content: a void element (img, meta) or an empty one, closed explicitly (HTML ignores "/>" on a div).</summary>
    public HtmlBuilder Empty(string tag, params Attr[] attributes)
    {
        StartTag(tag, attributes);
        _sb.Append(tag is "img" or "br" or "meta" or "hr" or "input" ? ">" : "></" + tag + ">");
        return this;
    }

    public HtmlBuilder Text(ReportText text)
    {
        _sb.Append(Encode(text.Value));
        return this;
    }

    /// <summary>Markup the report itself wrote (its style sheet, doctype); never data.</summary>
    internal HtmlBuilder Raw(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    /// <summary>
    /// The report's own inline script, never data: the Content-Security-Policy allows exactly
    /// this text by its SHA-256, so it must be written byte for byte as hashed.
    /// </summary>
    internal HtmlBuilder Script(string code)
    {
        if (code.Contains("</script", StringComparison.OrdinalIgnoreCase) || code.Contains("<!--", StringComparison.Ordinal))
            throw new InvalidOperationException("The report's script cannot contain </script or <!--.");
        _sb.Append("<script>").Append(code).Append("</script>");
        return this;
    }

    // Escapes <, >, &, quotes and everything outside ASCII as \uXXXX: no string in the JSON can
    // end its block (</script>), open a comment, or carry a raw direction control into the file.
    private static readonly System.Text.Json.JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default };

    /// <summary>
    /// Data for the report's script: one JSON value in a <c>&lt;script type="application/json"&gt;</c>
    /// block, which the browser never runs (so the policy needs no hash for it) and the script
    /// parses once. The data strings go through the JSON encoder above, here, and nowhere else.
    /// </summary>
    internal HtmlBuilder JsonBlock(string id, Action<System.Text.Json.Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, JsonOptions)) write(json);
        string text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (text.Contains('<')) throw new InvalidOperationException("Unescaped < in the report's JSON data.");
        _sb.Append("<script type=\"application/json\" id=\"").Append(Encode(id)).Append("\">").Append(text).Append("</script>");
        return this;
    }

    public int Length => _sb.Length;

    public override string ToString()
    {
        if (_open.Count > 0) throw new InvalidOperationException($"Unclosed <{_open.Peek()}> in the report.");
        return _sb.ToString();
    }

    private void StartTag(string tag, Attr[] attributes)
    {
        if (attributes.Length % 2 != 0) throw new ArgumentException("Attributes come in name, value pairs.", nameof(attributes));
        _sb.Append('<').Append(tag);
        for (int i = 0; i < attributes.Length; i += 2)
        {
            var (name, value) = (attributes[i].Value!, attributes[i + 1]);
            if (value.Value is null) continue;
            // A tooltip built from a bare string could carry an unisolated label: refuse it here,
            // so no call site can forget (every report path is rendered by the tests).
            if (!value.IsProse && ProseAttributes.Contains(name))
                throw new InvalidOperationException($"The {name} attribute of <{tag}> is shown to a person: pass it as ReportText, with data through HtmlBuilder.Data.");
            _sb.Append(' ').Append(name).Append("=\"").Append(Encode(value.Value)).Append('"');
        }
    }

    /// <summary>A number for an SVG coordinate: invariant culture, two decimals.</summary>
    public static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    // ---- Isolation ---------------------------------------------------------------------------

    internal const char FirstStrongIsolate = '\u2068', PopDirectionalIsolate = '\u2069';

    /// <summary>
    /// Appends <paramref name="s"/> as a directional isolate: U+2068 FIRST STRONG ISOLATE, the
    /// text, U+2069 POP DIRECTIONAL ISOLATE, which is what &lt;bdi&gt; does, but also inside a
    /// sentence, a tooltip and SVG text. The Unicode bidi algorithm then treats the string as one
    /// neutral character: its own direction comes from its first strong letter, and no override,
    /// embedding or mark inside it (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) reaches the
    /// text around it, since a PDI ends every embedding opened after its isolate. Two things could
    /// still escape, and are neutralised: a PDI in the data with no isolate of its own would close
    /// the wrapper early (it is dropped), and an isolate the data opens and never closes would take
    /// the wrapper's PDI (it is closed). A paragraph break ends every isolate, so each line of the
    /// string is wrapped by itself.
    /// </summary>
    internal static void Isolate(StringBuilder sb, string? s)
    {
        if (string.IsNullOrEmpty(s)) return;
        int start = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i < s.Length && !IsParagraphSeparator(s[i])) continue;
            if (i > start)
            {
                sb.Append(FirstStrongIsolate);
                int depth = 0;
                for (int j = start; j < i; j++)
                {
                    char c = s[j];
                    if (c is '\u2066' or '\u2067' or FirstStrongIsolate) depth++;
                    else if (c == PopDirectionalIsolate)
                    {
                        if (depth == 0) continue;
                        depth--;
                    }
                    sb.Append(c);
                }
                sb.Append(PopDirectionalIsolate, depth + 1);
            }
            if (i < s.Length) sb.Append(s[i]);
            start = i + 1;
        }
    }

    // Bidi class B (UAX #9): each ends a paragraph, and with it every open isolate.
    private static bool IsParagraphSeparator(char c) => c is '\n' or '\r' or '\u001C' or '\u001D' or '\u001E' or '\u0085' or '\u2029';
}

/// <summary>A string from the data (label, Id, path, reason, name): always written isolated. Made by <see cref="HtmlBuilder.Data"/>.</summary>
public readonly struct DataText
{
    internal DataText(string? value) => Value = value;
    internal string? Value { get; }
}

/// <summary>
/// Text the report shows: its own words (the literal parts of an interpolated string, numbers,
/// enums, dates, formatted invariantly) with every string hole isolated, because a string in a
/// hole is taken to be data unless it is <see cref="Own"/>. A bare string does not convert to it:
/// write <c>$"Parameters"</c> for the report's words and <c>Data(label)</c> for data.
/// </summary>
[InterpolatedStringHandler]
public readonly struct ReportText
{
    private readonly StringBuilder? _sb;
    private readonly string? _value;

    public ReportText(int literalLength, int formattedCount) => _sb = new StringBuilder(literalLength + 24 * formattedCount);

    private ReportText(string? value) => _value = value;

    /// <summary>The report's own words, computed (a choice between two phrases): written as they are.</summary>
    public static ReportText Own(string? words) => new(words);

    public static implicit operator ReportText(DataText data)
    {
        var sb = new StringBuilder();
        HtmlBuilder.Isolate(sb, data.Value);
        return new ReportText(sb.ToString());
    }

    internal string? Value => _sb?.ToString() ?? _value;
    internal bool IsEmpty => string.IsNullOrEmpty(Value);

    public void AppendLiteral(string s) => _sb!.Append(s);
    public void AppendFormatted(DataText data) => HtmlBuilder.Isolate(_sb!, data.Value);
    public void AppendFormatted(ReportText text) => _sb!.Append(text.Value);
    /// <summary>A string hole is data unless marked <see cref="Own"/>: forgetting isolates, never leaks.</summary>
    public void AppendFormatted(string? s) => HtmlBuilder.Isolate(_sb!, s);
    public void AppendFormatted<T>(T value, string? format = null) where T : IFormattable => _sb!.Append(value.ToString(format, CultureInfo.InvariantCulture));
    public void AppendFormatted(object? value) => HtmlBuilder.Isolate(_sb!, value?.ToString());

    public override string ToString() => Value ?? "";
}

/// <summary>
/// An attribute name or value. A bare string is the report's own (a class, a coordinate, a
/// machine-read data-* value); <see cref="ReportText"/> or <see cref="DataText"/> is prose, the
/// only kind <see cref="HtmlBuilder"/> accepts for what a person reads (title, alt, aria-label).
/// </summary>
public readonly struct Attr
{
    private Attr(string? value, bool prose) { Value = value; IsProse = prose; }
    internal string? Value { get; }
    internal bool IsProse { get; }
    public static implicit operator Attr(string? value) => new(value, false);
    public static implicit operator Attr(ReportText text) => new(text.Value, true);
    public static implicit operator Attr(DataText data) => (ReportText)data;
}

using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace PruneCmdlets.Report;

/// <summary>
/// The one place the report writes markup. Every string that may come from the data (file
/// names, labels, Ids, reasons) goes through <see cref="Text"/> or an attribute value, which
/// encode it with <see cref="HtmlEncoder"/>; tags and attribute names are the report's own
/// constants. So a file named <c>&lt;img src=x onerror=alert(1)&gt;.png</c> or a label
/// <c>&lt;/script&gt;</c> is shown as the text it is, never parsed as markup.
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

    public static string Encode(string? s) => s is null ? "" : Encoder.Encode(s);

    /// <summary>Opens <paramref name="tag"/> with attributes given as name, value pairs (a null value leaves the attribute out).</summary>
    public HtmlBuilder Open(string tag, params string?[] attributes)
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
    public HtmlBuilder Element(string tag, string? text, params string?[] attributes)
    {
        StartTag(tag, attributes);
        _sb.Append('>').Append(Encode(text)).Append("</").Append(tag).Append('>');
        return this;
    }

    /// <summary>An element without content: a void element (img, meta) or an empty one, closed explicitly (HTML ignores "/>" on a div).</summary>
    public HtmlBuilder Empty(string tag, params string?[] attributes)
    {
        StartTag(tag, attributes);
        _sb.Append(tag is "img" or "br" or "meta" or "hr" ? ">" : "></" + tag + ">");
        return this;
    }

    public HtmlBuilder Text(string? text)
    {
        _sb.Append(Encode(text));
        return this;
    }

    /// <summary>Markup the report itself wrote (its style sheet, doctype); never data.</summary>
    internal HtmlBuilder Raw(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    public int Length => _sb.Length;

    public override string ToString()
    {
        if (_open.Count > 0) throw new InvalidOperationException($"Unclosed <{_open.Peek()}> in the report.");
        return _sb.ToString();
    }

    private void StartTag(string tag, string?[] attributes)
    {
        if (attributes.Length % 2 != 0) throw new ArgumentException("Attributes come in name, value pairs.", nameof(attributes));
        _sb.Append('<').Append(tag);
        for (int i = 0; i < attributes.Length; i += 2)
        {
            if (attributes[i + 1] is null) continue;
            _sb.Append(' ').Append(attributes[i]).Append("=\"").Append(Encode(attributes[i + 1])).Append('"');
        }
    }

    /// <summary>A number for an SVG coordinate: invariant culture, two decimals.</summary>
    public static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}

using System.Text.RegularExpressions;
using PruneCmdlets.Report;
using PruneCmdlets.Selection;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class ReportTests
{
    [Fact]
    public void Pca_FindsTheAxisOfLargestVariance_WithAFixedSign()
    {
        // Centred coordinates a (spread 3) and b (spread 1) made exactly uncorrelated, then laid
        // along (1, 1)/√2 and (1, −1)/√2 and shifted off the origin: the principal axes are known.
        const int n = 200;
        var a = Enumerable.Range(0, n).Select(i => 3 * Math.Sin(0.37 * i)).ToArray();
        var b = Enumerable.Range(0, n).Select(i => Math.Cos(1.3 * i)).ToArray();
        double ma = a.Average(), mb = b.Average();
        for (int i = 0; i < n; i++) { a[i] -= ma; b[i] -= mb; }
        double k = a.Zip(b, (p, q) => p * q).Sum() / a.Sum(p => p * p);
        for (int i = 0; i < n; i++) b[i] -= k * a[i];
        mb = b.Average();
        for (int i = 0; i < n; i++) b[i] -= mb;
        var rows = Enumerable.Range(0, n).Select(i => (ReadOnlyMemory<float>)new float[]
            { (float)(5 + (a[i] + b[i]) / Math.Sqrt(2)), (float)(-2 + (a[i] - b[i]) / Math.Sqrt(2)), 0f }).ToList();
        var (x, y, ex, ey) = PrincipalComponents.Project2D(rows);
        // The largest component of the first axis (1, 1)/√2 is positive either way; ties go to the first, so x = +a.
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(a[i], x[i], 4);
            Assert.Equal(Math.Abs(b[i]), Math.Abs(y[i]), 4);
        }
        double va = a.Sum(p => p * p), vb = b.Sum(p => p * p);
        Assert.Equal(va / (va + vb), ex, 4);
        Assert.Equal(vb / (va + vb), ey, 4);
    }

    [Fact]
    public void HtmlBuilder_EncodesText_AndAttributes_ButKeepsUnicode()
    {
        var h = new HtmlBuilder();
        h.Element("p", "<img src=x onerror=alert(1)> & \"q\" Café 🦊", "title", "\"><script>x</script>");
        string s = h.ToString();
        Assert.DoesNotContain("<img", s);
        Assert.DoesNotContain("<script", s);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &amp;", s);
        Assert.Contains("Café", s);            // the file is UTF-8: the BMP stays readable
        Assert.Contains("&#x1F98A;", s);       // characters outside it become references, which browsers show as 🦊
        Assert.Matches("^<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">", s);
        var open = new HtmlBuilder().Open("div");
        Assert.Throws<InvalidOperationException>(() => open.ToString());
    }

    [Fact]
    public void Report_OfManyRecords_StaysSmall_AndBoundsEverySection()
    {
        // 200 000 records in 500 clusters and 20 classes, no images: the file must not grow with N.
        const int n = 200_000;
        var rng = new Random(7);
        var records = new ReportRecord[n];
        for (int i = 0; i < n; i++)
        {
            var v = new float[8];
            for (int j = 0; j < 8; j++) v[j] = (float)rng.NextDouble();
            double d = rng.NextDouble();
            records[i] = new ReportRecord
            {
                Id = "row" + i, Label = "class" + (i % 20), Cluster = i % 500, Distance = d, Kept = d > 0.3,
                Reason = d > 0.3 ? "kept: Hard side of the cut" : "pruned: Easy side of the cut", Vector = v,
                DuplicateOf = i % 1000 == 1 ? "row" + (i - 1) : i % 1000 == 0 ? "row" + i : null, Similarity = 0.995,
            };
        }
        var options = new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch };
        string html = PruneReportWriter.Render(new ReportInput { Records = records }, options);
        Assert.True(html.Length < 3_000_000, $"report of {n} records is {html.Length} characters");
        Assert.Equal(20, Regex.Matches(html, "<tr class=\"group-row").Count);
        Assert.Equal(options.MaxGalleries, Regex.Matches(html, "<details class=\"gallery\"").Count);
        Assert.Equal(options.MaxDuplicateGroups, Regex.Matches(html, "<div class=\"dup-group\"").Count);
        Assert.Equal(options.MapPoints, Regex.Matches(html, "<circle[^>]*class=\"pt ").Count);
        Assert.Equal(options.MaxClassPlots > 20 ? 21 : options.MaxClassPlots + 1, Regex.Matches(html, "class=\"plot histogram\"").Count);
        Assert.Contains($"data-count=\"in\">{n:N0}<", html);
        Assert.Contains($"data-count=\"kept\">{records.Count(r => r.Kept):N0}<", html);
    }

    [Fact]
    public void Report_IsTheSameBytes_ForTheSameInput_InAnyCulture()
    {
        var records = Enumerable.Range(0, 50).Select(i => new ReportRecord
        {
            Id = "r" + i, Label = i % 2 == 0 ? "a" : "b", Distance = i / 7.0, Kept = i % 3 != 0, Vector = new float[] { i, i % 5, 1.5f },
        }).ToArray();
        var options = new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch };
        string first = PruneReportWriter.Render(new ReportInput { Records = records }, options);
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal(first, PruneReportWriter.Render(new ReportInput { Records = records }, options));
            Assert.Equal("de-DE", System.Globalization.CultureInfo.CurrentCulture.Name); // restored
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = saved; }
        Assert.Contains("0.857", first);   // Distance 6/7 in a tooltip, with a point
    }

    [Fact]
    public void Report_ShowsTheTextOfTextRecords_AsText_InPlaceOfAThumbnail()
    {
        // Get-TextEmbedding's records have no image: their gallery tiles carry the preview,
        // encoded, while records with neither image nor text keep the name tile.
        var records = Enumerable.Range(0, 40).Select(i => new ReportRecord
        {
            Id = "doc:" + i, Label = i % 2 == 0 ? "a" : "b", Cluster = i % 2, Distance = i / 40.0, Kept = i % 4 != 0,
            Text = i == 39 ? "<script>alert(1)</script> héllo 😀" : i % 3 == 0 ? null : "ticket number " + i,
        }).ToArray();
        string html = PruneReportWriter.Render(new ReportInput { Records = records }, new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch });
        var cards = Regex.Matches(html, "<div class=\"textcard\">([^<]*)</div>");
        Assert.NotEmpty(cards);
        Assert.All(cards, m => Assert.Matches("^(ticket number \\d+|&lt;script&gt;alert\\(1\\)&lt;/script&gt; héllo &#x1F600;)$", m.Groups[1].Value));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; héllo &#x1F600;", html);   // the hardest record of cluster 1; the browser shows the emoji
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("class=\"noimg\"", html);   // the records without text
    }

    [Fact]
    public void Jaccard_IsIntersectionOverUnion()
    {
        Assert.Equal(2.0 / 4, SelectionStability.JaccardOf(new[] { true, true, true, false, false }, new[] { false, true, true, true, false }));
        Assert.Equal(1.0, SelectionStability.JaccardOf(new[] { false, false }, new[] { false, false }));
        Assert.Equal(0.0, SelectionStability.JaccardOf(new[] { true, false }, new[] { false, true }));
    }
}

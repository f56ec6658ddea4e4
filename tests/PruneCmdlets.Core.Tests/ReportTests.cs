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
        h.Element("p", HtmlBuilder.Data("<img src=x onerror=alert(1)> & \"q\" Café 🦊"), "title", HtmlBuilder.Data("\"><script>x</script>"));
        string s = h.ToString();
        Assert.DoesNotContain("<img", s);
        Assert.DoesNotContain("<script", s);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &amp;", s);
        Assert.Contains("Café", s);            // the file is UTF-8: the BMP stays readable
        Assert.Contains("&#x1F98A;", s);       // characters outside it become references, which browsers show as 🦊
        Assert.Matches("^<p title=\"\u2068&quot;&gt;&lt;script&gt;x&lt;/script&gt;\u2069\">", s);
        var open = new HtmlBuilder().Open("div");
        Assert.Throws<InvalidOperationException>(() => open.ToString());
    }

    [Theory]
    [InlineData("abc", "\u2068abc\u2069")]
    [InlineData("abc\u202E123", "\u2068abc\u202E123\u2069")]                  // the override ends with the isolate
    [InlineData("x\u2069\u202Ey", "\u2068x\u202Ey\u2069")]                     // a stray PDI would close the wrapper early: dropped
    [InlineData("\u2067open", "\u2068\u2067open\u2069\u2069")]                 // an isolate left open would take the wrapper's PDI: closed
    [InlineData("\u2066a\u2069b\u2069", "\u2068\u2066a\u2069b\u2069")]       // matched pairs stay
    [InlineData("one\u202E\ntwo", "\u2068one\u202E\u2069\n\u2068two\u2069")] // a line break ends every isolate: each line its own
    [InlineData("", "")]
    public void HtmlBuilder_Data_IsIsolated_AndCannotCloseItsWrapper(string data, string expected)
    {
        static string Decoded(HtmlBuilder h) => System.Net.WebUtility.HtmlDecode(h.ToString());
        Assert.Equal(expected, Decoded(new HtmlBuilder().Text(HtmlBuilder.Data(data))));
        // Inside a sentence the report's own words and numbers stay outside the isolate.
        Assert.Equal($"Class {expected}: 12 records", Decoded(new HtmlBuilder().Text($"Class {HtmlBuilder.Data(data)}: {12} records")));
    }

    [Fact]
    public void HtmlBuilder_RefusesABareStringForATooltip_AndFormatsNumbersInvariantly()
    {
        // What a person reads in an attribute must be ReportText, so no call site can pass a label unisolated.
        Assert.Throws<InvalidOperationException>(() => new HtmlBuilder().Empty("img", "alt", "label\u202E"));
        Assert.Throws<InvalidOperationException>(() => new HtmlBuilder().Open("div", "title", "x"));
        Assert.Equal("<div class=\"a\" data-group=\"x\" title=\"1,234.5 of \u2068x\u2069\"></div>",
            new HtmlBuilder().Empty("div", "class", "a", "data-group", "x", "title", (ReportText)$"{1234.5:N1} of {HtmlBuilder.Data("x")}").ToString());
        // A string hole is data unless marked as the report's own words.
        Assert.Equal("a \u2068b\u2069 c", new HtmlBuilder().Text($"a {"b"} {ReportText.Own("c")}").ToString());
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
        // Only the search index grows with N, by a bounded amount per record; the rest does not.
        int index = Regex.Match(html, "<script type=\"application/json\" id=\"review-index\">[^<]*</script>").Length;
        Assert.True(index > 0, "the page has no index");
        Assert.True(html.Length - index < 3_000_000, $"report of {n} records is {html.Length - index} characters beside its index");
        Assert.True(index < 30 * n, $"the index of {n} records is {index} characters");
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
        // Each preview is data: isolated (U+2068 … U+2069) as well as encoded.
        var cards = Regex.Matches(html, "<div class=\"textcard\">\u2068([^<]*)\u2069</div>");
        Assert.NotEmpty(cards);
        Assert.Equal(Regex.Matches(html, "class=\"textcard\"").Count, cards.Count);
        Assert.All(cards, m => Assert.Matches("^(ticket number \\d+|&lt;script&gt;alert\\(1\\)&lt;/script&gt; héllo &#x1F600;)$", m.Groups[1].Value));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; héllo &#x1F600;", html);   // the hardest record of cluster 1; the browser shows the emoji
        Assert.DoesNotContain("<script>alert", html);
        Assert.Equal(2, Regex.Matches(html, "<script").Count);   // the report's index and its own script, nothing from the data
        Assert.Contains("class=\"noimg\"", html);   // the records without text
    }

    /// <summary>
    /// Records of <paramref name="classes"/> labels (each record its own class when equal to
    /// <paramref name="n"/>, as an Id file passed as -LabelPath makes them), clustered, scored,
    /// decided, some with issues and a noise matrix over every class.
    /// </summary>
    private static ReportInput ManyClasses(int n, int classes)
    {
        var rng = new Random(11);
        var records = new ReportRecord[n];
        for (int i = 0; i < n; i++)
        {
            var v = new float[8];
            for (int j = 0; j < 8; j++) v[j] = (float)rng.NextDouble();
            double d = rng.NextDouble();
            string label = "label-" + (i % classes).ToString("D6");
            bool issue = i % 97 == 0;
            records[i] = new ReportRecord
            {
                Id = "row-" + i.ToString("D6"), Label = label, Cluster = i % 100, Distance = d, Kept = d > 0.4,
                Reason = d > 0.4 ? "kept: Hard side of the cut" : "pruned: Easy side of the cut", Vector = v,
                Issues = issue ? new[] { "LabelError" } : Array.Empty<string>(), LabelQuality = issue ? 0.1 : null,
                SuggestedLabel = issue ? "label-" + ((i + 1) % classes).ToString("D6") : null,
            };
        }
        var names = Enumerable.Range(0, classes).Select(c => "label-" + c.ToString("D6")).ToArray();
        var noise = names.Select((c, k) => new PruneCmdlets.Issues.NoiseCell(c, names[(k + 1) % classes], 1 + k % 3))
            .Concat(names.Select(c => new PruneCmdlets.Issues.NoiseCell(c, c, n / classes))).ToArray();
        var summary = new PruneCmdlets.Issues.DataIssueSummary
        {
            Records = n, Checks = PruneCmdlets.Issues.DataCheck.Label, Classifier = PruneCmdlets.Issues.LabelClassifier.Neighbors, Neighbors = 10,
            Classes = names, NoiseMatrix = noise,
        };
        return new ReportInput { Records = records, DataIssues = summary };
    }

    [Fact]
    public void Report_OfManyClasses_IsBounded_LikeAReportOfTenClasses()
    {
        // An Id file passed as -LabelPath: every record its own class. The page must not grow
        // with the number of classes: 50 000 classes cost about what 10 do (once 5× fewer records).
        var options = new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch };
        // The search index holds every record (and so every label) and is measured apart, in
        // Report_OfManyRecords_StaysSmall_AndBoundsEverySection; the rest of the page is what is bounded.
        static string WithoutIndex(string html) => Regex.Replace(html, "<script type=\"application/json\" id=\"review-index\">[^<]*</script>", "");
        string many = WithoutIndex(PruneReportWriter.Render(ManyClasses(50_000, 50_000), options));
        string few = WithoutIndex(PruneReportWriter.Render(ManyClasses(10_000, 10), options));
        string some = WithoutIndex(PruneReportWriter.Render(ManyClasses(50_000, 5_000), options));
        Assert.True(many.Length < 2 * few.Length, $"50 000 classes: {many.Length} characters; 10 classes: {few.Length}");
        Assert.True(many.Length < 1.1 * some.Length, $"50 000 classes: {many.Length} characters; 5 000 classes: {some.Length}");
        Assert.Equal(options.MaxClasses, Regex.Matches(many, "<tr class=\"group-row").Count);
        Assert.Contains($"Showing {options.MaxClasses} of 50,000 classes", many);
        Assert.Equal(10, Regex.Matches(few, "<tr class=\"group-row").Count);
        Assert.DoesNotContain("Showing 10 of", few);
        // Every other per-group part is bounded too, and says so.
        Assert.Equal(options.MaxGalleries, Regex.Matches(many, "<details class=\"gallery\"").Count);
        Assert.Contains($"Showing {options.MaxGalleries} of 100 clusters", many);
        Assert.Contains($"Showing {options.MaxClassPlots} of 50,000 classes, the largest", many);
        Assert.Equal(options.MaxClassPlots + 1, Regex.Matches(many, "class=\"plot histogram\"").Count);
        Assert.Equal(options.MaxIssueClasses, Regex.Matches(many, "<tr data-group=").Count);
        Assert.Equal(options.MaxIssueClasses, Regex.Matches(many, "<tr data-given=").Count);
        // The rows shown are the largest groups and those below the floor (here: every class of
        // one pruned record is below it), the flagged ones named first in the note.
        Assert.Contains("class=\"group-row below-floor\"", many);
        Assert.Contains("class=\"group-row\"", many);
    }

    private const char Fsi = '\u2068', Pdi = '\u2069';

    /// <summary>
    /// Every run of text in <paramref name="html"/> (between tags, and each attribute value but
    /// the machine-read data-*), decoded as a browser decodes it, checked as the Unicode bidi
    /// algorithm reads it: every direction control lies inside an isolate, no isolate is closed
    /// that the run did not open, and each run ends with every isolate closed. So no data string
    /// can reorder the report's own text around it.
    /// </summary>
    private static List<string> BidiLeaks(string html)
    {
        var runs = new List<string>();
        foreach (Match m in Regex.Matches(html, "(?<=>)[^<]+|\\s(?!data-)[a-z-]+=\"([^\"]*)\""))
            runs.Add(System.Net.WebUtility.HtmlDecode(m.Groups[1].Success ? m.Groups[1].Value : m.Value));
        var leaks = new List<string>();
        foreach (string run in runs)
        {
            int depth = 0;
            foreach (char c in run)
            {
                if (c is '\u2066' or '\u2067' or '\u2068') depth++;
                else if (c == Pdi) { if (depth-- == 0) { leaks.Add("a PDI closes nothing in: " + run); depth = 0; } }
                else if (c is (>= '\u202A' and <= '\u202E') or '\u200E' or '\u200F' or '\u061C' && depth == 0) leaks.Add($"U+{(int)c:X4} outside an isolate in: " + run);
                else if (c is '\n' && depth > 0) leaks.Add("a line break inside an isolate in: " + run);
            }
            if (depth != 0) leaks.Add("an isolate left open in: " + run);
        }
        return leaks;
    }

    [Fact]
    public void Report_IsolatesEveryDataString_SoBidiControlsCannotReverseItsText()
    {
        // Labels, Ids, paths, reasons, previews and names carrying every kind of direction control,
        // a stray PDI that would close a wrapper early and an RLI that would swallow the text after it.
        const string rlo = "abc\u202E123";
        string[] labels = { rlo, "\u2067open", "close\u2069\u202Ex", "\u202Aa\u202Bb\u202Cc\u202Dd", "mark\u200E\u200F\u061C" };
        var records = Enumerable.Range(0, 60).Select(i => new ReportRecord
        {
            Id = $"id\u202E{i}\u2069", Path = $"/data/\u202Edir/{i}\u2066.png", Label = labels[i % labels.Length],
            Distance = i / 60.0, Kept = i % 3 != 0, Reason = i % 3 == 0 ? "pruned: \u202Eeasy" : "kept: \u2067hard",
            Text = i % 2 == 0 ? "line one \u202E\nline two \u2069 end" : null, DuplicateOf = i % 10 == 1 ? $"id\u202E{i - 1}\u2069" : null, Similarity = 0.99,
            Vector = new float[] { i, i % 7, i % 3 },
            Issues = i % 5 == 0 ? new[] { "LabelError" } : Array.Empty<string>(), LabelQuality = 0.2, SuggestedLabel = labels[(i + 1) % labels.Length],
        }).ToArray();
        var summary = new PruneCmdlets.Issues.DataIssueSummary
        {
            Records = records.Length, Checks = PruneCmdlets.Issues.DataCheck.Label, Classifier = PruneCmdlets.Issues.LabelClassifier.Neighbors, Neighbors = 5,
            Classes = labels, NoiseMatrix = labels.Select((l, k) => new PruneCmdlets.Issues.NoiseCell(l, labels[(k + 1) % labels.Length], 3)).ToArray(),
        };
        var options = new ReportOptions
        {
            ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch, Title = "Run \u202Eone", Model = "model\u202E.onnx", Pipeline = "Get-Thing \u202E| x",
        };
        string html = PruneReportWriter.Render(new ReportInput { Records = records, DataIssues = summary }, options);
        string text = System.Net.WebUtility.HtmlDecode(html);
        Assert.Contains('\u202E', text);
        Assert.Empty(BidiLeaks(html));
        // The label itself is there, whole and wrapped, in the class table and the gallery headings.
        Assert.Contains(Fsi + rlo + Pdi, text);
        Assert.Matches($"Class {Fsi}{rlo}{Pdi}: 12 records, \\d+ kept", text);
    }

    [Fact]
    public void LinePlot_DrawsAtMostTwelveSeries_AndSaysHowManyMore()
    {
        var series = Enumerable.Range(0, 20).Select(k => new PlotSeries("s" + k, new[] { (0.0, (double)k), (1.0, k + 1.0) })).ToList();
        var h = new HtmlBuilder();
        SvgPlots.LinePlot(h, series, $"t", $"x", $"y");
        string svg = h.ToString();
        Assert.Equal(12, Regex.Matches(svg, "<polyline").Count);
        Assert.Contains("+8 more not drawn<", System.Net.WebUtility.HtmlDecode(svg));
    }

    [Fact]
    public void Jaccard_IsIntersectionOverUnion()
    {
        Assert.Equal(2.0 / 4, SelectionStability.JaccardOf(new[] { true, true, true, false, false }, new[] { false, true, true, true, false }));
        Assert.Equal(1.0, SelectionStability.JaccardOf(new[] { false, false }, new[] { false, false }));
        Assert.Equal(0.0, SelectionStability.JaccardOf(new[] { true, false }, new[] { false, true }));
    }

    [Fact]
    public void DuplicateGroup_WhoseKeeperThePolicyPruned_SaysNoneOfItIsKept()
    {
        // Group a: SemDeDup kept a0, then the policy pruned it (Easy side). Group b: b0 is still kept.
        ReportRecord Rec(string id, string? dupOf, bool kept) => new()
        {
            Id = id, Label = "x", Distance = 0.5, Kept = kept, DuplicateOf = dupOf, Similarity = dupOf == id ? 1 : 0.99,
            Reason = kept ? "kept" : dupOf == id ? "pruned: Easy side of the cut" : "pruned: near-duplicate of " + dupOf,
        };
        var records = new[] { Rec("a0", "a0", false), Rec("a1", "a0", false), Rec("a2", "a0", false), Rec("b0", "b0", true), Rec("b1", "b0", false), Rec("c", null, true) };
        string html = PruneReportWriter.Render(new ReportInput { Records = records }, new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch, MapPoints = 0 });
        var heads = Regex.Matches(html, "<div class=\"dup-group\"[^>]*><h4>([^<]*)</h4>").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(new[] { "3 records; keeper pruned by the policy: none of this group is kept", "2 records; keeps \u2068b0\u2069" }, heads);
    }

    [Fact]
    public void Pipeline_NamesSemDeDup_WhenItRan_EvenIfItRemovedNothing_AndNotForFindDataIssueDuplicates()
    {
        var plain = Enumerable.Range(0, 4).Select(i => new ReportRecord { Id = "r" + i, Kept = true, Reason = "kept: Hard side of the cut" }).ToArray();
        // SemDeDup ran and found nothing: no record carries DuplicateOf, and the next stage replaced every Reason.
        Assert.Contains(" | Invoke-SemDeDup -IncludePruned | ", PruneReportWriter.Pipeline(new ReportInput
            { Records = plain, SemDeDup = new PruneCmdlets.Dedup.SemDeDupRun(PruneCmdlets.Dedup.SemDeDupOptions.DefaultEpsilon, default, 0, 0) }));
        Assert.Contains(" | Invoke-SemDeDup -Epsilon 0.05 -KeepRule MostPrototypical -IncludePruned | ", PruneReportWriter.Pipeline(new ReportInput
            { Records = plain, SemDeDup = new PruneCmdlets.Dedup.SemDeDupRun(0.05, PruneCmdlets.Dedup.DuplicateKeepRule.MostPrototypical, 0, 0) }));
        Assert.DoesNotContain("Invoke-SemDeDup", PruneReportWriter.Pipeline(new ReportInput { Records = plain }));
        // Find-DataIssue -Check Duplicate sets DuplicateOf too, with the Duplicate issue: that is its stage, not SemDeDup's.
        var checkedRows = new[]
        {
            new ReportRecord { Id = "k", Kept = true, DuplicateOf = "k", Issues = Array.Empty<string>() },
            new ReportRecord { Id = "d", Kept = false, DuplicateOf = "k", Issues = new[] { "Duplicate" } },
        };
        Assert.DoesNotContain("Invoke-SemDeDup", PruneReportWriter.Pipeline(new ReportInput { Records = checkedRows }));
        // Rows read back from a file carry no run, but a removed near-duplicate without the issue shows SemDeDup ran.
        var saved = new[] { checkedRows[0], new ReportRecord { Id = "d", Kept = false, DuplicateOf = "k" } };
        Assert.Contains(" | Invoke-SemDeDup -IncludePruned | ", PruneReportWriter.Pipeline(new ReportInput { Records = saved }));
    }
    private static readonly string[] HostileIds = { "</script><script>alert(1)</script>", "<!--", "\u202Eevil\u2069", "Zürich 🦊", "a,\"b\"\nc", "b", "B", "a" };

    private static ReportRecord[] ReviewRecords() => Enumerable.Range(0, 40).Select(i => new ReportRecord
    {
        Id = i < HostileIds.Length ? HostileIds[i] : "r" + i, Label = i % 3 == 0 ? "<b>x</b>" : i % 3 == 1 ? null : "\u202Eb", Cluster = i % 2 == 0 ? i % 4 : null,
        Distance = i / 40.0, Kept = i % 3 != 0, Reason = i % 3 == 0 ? "pruned: Easy side of the cut" : "kept: Hard side of the cut",
    }).ToArray();

    [Fact]
    public void Report_EmbedsAnIndexOfEveryRecord_SortedOrdinally_WithItsRunId_AndNoMarkupInIt()
    {
        var records = ReviewRecords();
        string html = PruneReportWriter.Render(new ReportInput { Records = records }, new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch, MapPoints = 0 });
        var block = Regex.Match(html, "<script type=\"application/json\" id=\"review-index\">([^<]*)</script>");
        Assert.True(block.Success, "no index block, or a < inside it");
        Assert.All(block.Groups[1].Value, c => Assert.True(c < 0x7F, $"U+{(int)c:X4} unescaped in the index"));
        using var json = System.Text.Json.JsonDocument.Parse(block.Groups[1].Value);
        var root = json.RootElement;
        var ids = root.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var sorted = records.Select(r => r.Id).ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        Assert.Equal(sorted, ids);   // UTF-16 code-unit order, JavaScript's string order: "B" < "Zürich" < "a" < "b"
        var byId = records.ToDictionary(r => r.Id);
        Assert.Equal(string.Concat(ids.Select(id => byId[id].Kept ? '1' : '0')), root.GetProperty("k").GetString());
        var labels = root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()).ToArray();
        var reasons = root.GetProperty("reasons").EnumerateArray().Select(e => e.GetString()).ToArray();
        var l = root.GetProperty("l").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var rr = root.GetProperty("r").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var c = root.GetProperty("c").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal(byId[ids[i]].Label, l[i] < 0 ? null : labels[l[i]]);
            Assert.Equal(byId[ids[i]].Reason, reasons[rr[i]]);
            Assert.Equal(byId[ids[i]].Cluster ?? -1, c[i]);
        }
        Assert.Equal(2, labels.Length);   // each distinct label once; no label is -1
        Assert.Equal(records.Length, root.GetProperty("total").GetInt32());
        Assert.Equal(records.Count(r => r.Kept), root.GetProperty("kept").GetInt32());
        string runId = PruneCmdlets.Review.DecisionRun.Id(records.Select(r => (r.Id, r.Kept)));
        Assert.Equal(runId, root.GetProperty("runId").GetString());
        Assert.Contains($"data-run-id=\"{runId}\"", html);
        Assert.Contains($"<td>{runId} (of these 40 decisions", html);
    }

    [Fact]
    public void Report_AllowsOnlyItsOwnScript_ByItsHash_AndBindsNoHandlerInMarkup()
    {
        string html = PruneReportWriter.Render(new ReportInput { Records = ReviewRecords() }, new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch, MapPoints = 0 });
        var scripts = Regex.Matches(html, "<script([^>]*)>(.*?)</script>", RegexOptions.Singleline);
        Assert.Equal(2, scripts.Count);
        Assert.Equal(" type=\"application/json\" id=\"review-index\"", scripts[0].Groups[1].Value);
        Assert.Equal("", scripts[1].Groups[1].Value);
        Assert.Equal(PruneReportWriter.ReviewScript, scripts[1].Groups[2].Value);
        string hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(scripts[1].Groups[2].Value)));
        var csp = System.Net.WebUtility.HtmlDecode(Regex.Match(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\"").Groups[1].Value);
        Assert.Equal($"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{hash}'", csp);
        Assert.All(PruneReportWriter.ReviewScript, ch => Assert.True(ch < 0x80, "the hashed script is ASCII"));
        Assert.DoesNotMatch("\\son[a-z]+=", html);   // an inline handler would need 'unsafe-inline'
        Assert.DoesNotContain("innerHTML", PruneReportWriter.ReviewScript);
    }

    [Fact]
    public void Report_GivesEveryShownRecord_AFlipButtonAndANote_UnderItsId()
    {
        var records = ReviewRecords();
        string html = PruneReportWriter.Render(new ReportInput { Records = records }, new ReportOptions { ModuleVersion = "test", Generated = DateTimeOffset.UnixEpoch, MapPoints = 0, ThumbnailsPerSection = 3 });
        var figures = Regex.Matches(html, "<figure class=\"thumb (kept|pruned)\" title=\"[^\"]*\" data-id=\"([^\"]*)\">(.*?)</figure>", RegexOptions.Singleline);
        Assert.True(figures.Count >= 10, $"{figures.Count} figures");
        Assert.Equal(figures.Count, Regex.Matches(html, "<figure class=\"thumb (kept|pruned)\"").Count);
        var byId = records.ToDictionary(r => r.Id);
        foreach (Match f in figures)
        {
            var r = byId[System.Net.WebUtility.HtmlDecode(f.Groups[2].Value)];   // the exact Id, not isolated: the script reads it
            Assert.Equal(r.Kept ? "kept" : "pruned", f.Groups[1].Value);
            Assert.Contains($"<button type=\"button\" class=\"flip\">{(r.Kept ? "Prune" : "Keep")}</button><input type=\"text\" class=\"note\" maxlength=\"200\"", f.Groups[3].Value);
        }
        Assert.Contains(figures, f => System.Net.WebUtility.HtmlDecode(f.Groups[2].Value) == HostileIds[0]);
    }

    [Fact]
    public void Pipeline_NamesTheLabelModel_NotTheClassifierItWasFittedWith()
    {
        var plain = new[] { new ReportRecord { Id = "r", Kept = true, Reason = "kept" } };
        var fitted = new PruneCmdlets.Issues.DataIssueSummary { Checks = PruneCmdlets.Issues.DataCheck.Label, Classifier = PruneCmdlets.Issues.LabelClassifier.Probe };
        Assert.Contains("Find-DataIssue -Check Label -Classifier Probe |", PruneReportWriter.Pipeline(new ReportInput { Records = plain, DataIssues = fitted }));
        var used = new PruneCmdlets.Issues.DataIssueSummary { Checks = PruneCmdlets.Issues.DataCheck.Label, Classifier = PruneCmdlets.Issues.LabelClassifier.Probe, LabelModel = "ab12" };
        // -LabelModel refuses -Classifier: the line must be one the user can run.
        var line = PruneReportWriter.Pipeline(new ReportInput { Records = plain, DataIssues = used });
        Assert.Contains("Find-DataIssue -Check Label -LabelModel <label model> |", line);
        Assert.DoesNotContain("-Classifier", line);
    }
}

using PruneCmdlets.Issues;
using static PruneCmdlets.Report.HtmlBuilder;
using static PruneCmdlets.Report.ReportText;

namespace PruneCmdlets.Report;

/// <summary>
/// The data-issues section: what Find-DataIssue found, so a reader sees which "hard" records are
/// wrong before trusting the cut. Bounded like the other sections: at most MaxIssueClasses rows
/// per table and twice ThumbnailsPerSection thumbnails per gallery, whatever the set's size.
/// </summary>
public static partial class PruneReportWriter
{
    /// <summary>Records shown in the data-issue galleries, worst first; leak pairs also show their reference record.</summary>
    private sealed record IssuePlan(int[] LabelErrors, int[] Outliers, int[] Leaks)
    {
        public static readonly IssuePlan Empty = new(Array.Empty<int>(), Array.Empty<int>(), Array.Empty<int>());
        public IEnumerable<int> All => LabelErrors.Concat(Outliers).Concat(Leaks);
    }

    private static IssuePlan PlanIssues(ReportInput input, ReportOptions o)
    {
        var r = input.Records;
        if (input.DataIssues is null && !r.Any(x => x.Issues is not null)) return IssuePlan.Empty;
        int take = 2 * o.ThumbnailsPerSection;
        int[] Worst(string issue, Func<ReportRecord, double> key) => Enumerable.Range(0, r.Count).Where(i => r[i].Has(issue))
            .OrderBy(i => key(r[i])).ThenBy(i => r[i].Id, StringComparer.Ordinal).Take(take).ToArray();
        return new IssuePlan(
            Worst(nameof(DataIssueKind.LabelError), x => x.LabelQuality ?? 1),
            Worst(nameof(DataIssueKind.Outlier), x => -(x.OutlierScore ?? 0)),
            Worst(nameof(DataIssueKind.Leak), x => -(x.LeakSimilarity ?? 0)));
    }

    private static void DataIssues(HtmlBuilder h, ReportInput input, IssuePlan plan, Dictionary<int, string?> thumbs, Dictionary<int, string?> leakThumbs, ReportOptions o)
    {
        var r = input.Records;
        var s = input.DataIssues;
        if (s is null && !r.Any(x => x.Issues is not null)) return;
        var names = Enum.GetNames<DataIssueKind>();
        h.Open("section", "id", "data-issues");
        h.Element("h2", $"Data issues");
        if (s?.CrossValidatedAccuracy is { } accuracy)
        {
            h.Element("p", $"How well the embedding fits these labels: the probe's cross-validated accuracy is {accuracy:P1}" +
                $"{Own(s.NeighborAgreement is { } agreement ? $", and {agreement.ToString("P1", C)} of each record's {s.Neighbors} nearest neighbours share its label on average." : ".")}",
                "class", "fit", "data-accuracy", accuracy.ToString("R", C));
            if (s.FitWarning is { } warning) h.Element("p", Own(warning), "class", "fit-warning");
        }
        h.Open("dl", "class", "counts");
        foreach (var name in names) Count(h, "issue-" + name, Own(name), r.Count(x => x.Has(name)));
        h.Close();
        int kept = r.Count(x => x.Kept && x.Issues is { Length: > 0 });
        if (kept > 0) h.Element("p", $"{kept:N0} record(s) with an issue are kept (Select-PrunedSet -Exclude prunes them before the policy).", "class", "note");
        if (s is not null) h.Element("p", Own(Thresholds(s)), "class", "note");

        // Issues per class, the classes with most issues first, bounded.
        var byClass = r.Where(x => x.Issues is { Length: > 0 }).GroupBy(x => string.IsNullOrEmpty(x.Label) ? "(no label)" : x.Label!, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Counts: names.Select(n => g.Count(x => x.Has(n))).ToArray(), Total: g.Count()))
            .OrderByDescending(g => g.Total).ThenBy(g => g.Name, StringComparer.Ordinal).ToList();
        if (byClass.Count > 0)
        {
            h.Element("h3", $"Issues per class");
            h.Open("table", "class", "groups issue-classes");
            h.Open("thead").Open("tr");
            h.Element("th", $"Class");
            foreach (var name in names) h.Element("th", Own(name));
            h.Close().Close().Open("tbody");
            foreach (var row in byClass.Take(o.MaxIssueClasses))
            {
                h.Open("tr", "data-group", row.Name);
                h.Open("td", "class", "name").Element("bdi", Data(row.Name)).Close();
                foreach (int c in row.Counts) h.Element("td", $"{c:N0}", "class", "num");
                h.Close();
            }
            h.Close().Close();
            if (byClass.Count > o.MaxIssueClasses) h.Element("p", $"Showing the {o.MaxIssueClasses} of {byClass.Count:N0} classes with the most issues.", "class", "note");
        }

        if (s is { NoiseMatrix.Count: > 0 }) NoiseMatrix(h, s, o);

        IssueStrip(h, $"Likeliest label errors", plan.LabelErrors, r, thumbs,
            x => $"→ {Data(x.SuggestedLabel)} (p {x.LabelQuality ?? 0:0.00})", "label-errors");
        IssueStrip(h, $"Strongest outliers", plan.Outliers, r, thumbs, x => $"score {x.OutlierScore ?? 0:0.000}", "outliers");
        if (plan.Leaks.Length > 0)
        {
            h.Open("div", "class", "issue-gallery", "data-issue", "leaks");
            h.Element("h3", $"Leaks: each record beside its reference twin");
            h.Open("div", "class", "strip");
            foreach (int i in plan.Leaks)
            {
                h.Open("div", "class", "leak-pair");
                Thumb(h, r[i], thumbs.GetValueOrDefault(i), $"cos {r[i].LeakSimilarity ?? 0:0.000}");
                ReferenceThumb(h, r[i].LeakOf!, leakThumbs.GetValueOrDefault(i));
                h.Close();
            }
            h.Close().Close();
        }
        h.Close();
    }

    private static string Thresholds(DataIssueSummary s)
    {
        var parts = new List<string>();
        if (s.Classifier is { } c)
            parts.Add(c switch
            {
                LabelClassifier.Probe => $"label errors by confident learning over the probe's {s.Folds}-fold out-of-sample probabilities",
                LabelClassifier.Both => $"label errors by confident learning over the mean of the probe's {s.Folds}-fold out-of-sample probabilities and the labels of {s.Neighbors} nearest neighbours",
                _ => $"label errors by confident learning over the labels of {s.Neighbors} nearest neighbours",
            });
        if (s.OutlierThreshold is { } t) parts.Add($"outliers above a mean cosine distance of {t.ToString("0.0000", C)} to {s.Neighbors} neighbours ({s.OutlierRule})");
        if (s.DuplicateThreshold is { } d) parts.Add($"duplicates at cosine ≥ {d.ToString("0.####", C)} anywhere in the set");
        if (s.LeakThreshold is { } l)
            parts.Add((s.LeakPixelScope, s.LeakPixelThreshold) switch
            {
                (PixelComparison.Auto, { } p) => $"leaks against {s.ReferenceRecords:N0} reference records: small images (under {PixelSignature.SmallSide} pixels a side) by their pixels (similarity ≥ {p.ToString("0.###", C)}), the rest at embedding cosine ≥ {l.ToString("0.###", C)}",
                (PixelComparison.Always, { } p) => $"leaks against {s.ReferenceRecords:N0} reference records: image files by their pixels (similarity ≥ {p.ToString("0.###", C)}, or ≥ {s.LeakPixelAgreement?.ToString("0.###", C)} at embedding cosine ≥ {l.ToString("0.###", C)}), the rest at embedding cosine ≥ {l.ToString("0.###", C)}",
                _ => $"leaks against {s.ReferenceRecords:N0} reference records at embedding cosine ≥ {l.ToString("0.###", C)}",
            });
        return "Checks (seed " + s.Seed.ToString(C) + "): " + string.Join("; ", parts) + ".";
    }

    /// <summary>The confident joint as a table, given label by row; bounded to the classes with the most off-diagonal counts.</summary>
    private static void NoiseMatrix(HtmlBuilder h, DataIssueSummary s, ReportOptions o)
    {
        // Disagreement per class in one pass over the cells: with a class per record, a search of
        // the cells per class is quadratic and never finishes.
        var disagreement = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var x in s.NoiseMatrix.Where(x => x.Given != x.Suggested))
        {
            disagreement[x.Given] = disagreement.GetValueOrDefault(x.Given) + x.Count;
            disagreement[x.Suggested] = disagreement.GetValueOrDefault(x.Suggested) + x.Count;
        }
        var classes = s.Classes.OrderByDescending(c => disagreement.GetValueOrDefault(c)).ThenBy(c => c, StringComparer.Ordinal)
            .Take(o.MaxIssueClasses).OrderBy(c => c, StringComparer.Ordinal).ToArray();
        var cell = s.NoiseMatrix.ToDictionary(x => (x.Given, x.Suggested), x => x.Count);
        h.Element("h3", $"Estimated noise matrix (given label × what the data suggests)");
        h.Open("table", "class", "noise");
        h.Open("thead").Open("tr").Element("th", $"given \\ suggested");
        foreach (var c in classes) h.Open("th").Element("bdi", Data(c)).Close();
        h.Close().Close().Open("tbody");
        foreach (var g in classes)
        {
            h.Open("tr", "data-given", g);
            h.Open("th").Element("bdi", Data(g)).Close();
            foreach (var c in classes)
            {
                long n = cell.GetValueOrDefault((g, c));
                h.Element("td", Own(n == 0 ? "" : n.ToString("N0", C)), "class", g == c ? "diag" : n > 0 ? "off" : null, "data-suggested", c);
            }
            h.Close();
        }
        h.Close().Close();
        if (s.Classes.Count > classes.Length) h.Element("p", $"Showing {classes.Length} of {s.Classes.Count:N0} classes, those with the most disagreement.", "class", "note");
    }

    private static void IssueStrip(HtmlBuilder h, ReportText title, int[] members, IReadOnlyList<ReportRecord> r, Dictionary<int, string?> thumbs, Func<ReportRecord, ReportText> note, string key)
    {
        if (members.Length == 0) return;
        h.Open("div", "class", "issue-gallery", "data-issue", key);
        h.Element("h3", title);
        h.Open("div", "class", "strip");
        foreach (int i in members) Thumb(h, r[i], thumbs.GetValueOrDefault(i), note(r[i]));
        h.Close().Close();
    }

    private static void ReferenceThumb(HtmlBuilder h, string id, string? uri)
    {
        var fake = new ReportRecord { Id = id, Path = id };
        h.Open("figure", "class", "thumb reference", "title", (ReportText)$"reference record\n{Data(id)}");
        if (uri is not null) h.Empty("img", "src", uri, "alt", Data(FileName(fake)), "loading", "lazy");
        else h.Element("div", Data(FileName(fake)), "class", "noimg");
        h.Open("figcaption");
        h.Element("span", Data(FileName(fake)), "class", "cap-id");
        h.Element("span", $"reference", "class", "badge reference");
        h.Close().Close();
    }
}

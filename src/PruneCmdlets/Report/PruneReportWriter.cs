using System.Globalization;
using System.Text;
using PruneCmdlets.Selection;
using static PruneCmdlets.Report.HtmlBuilder;
using static PruneCmdlets.Report.ReportText;

namespace PruneCmdlets.Report;

/// <summary>Progress of a report: which step, and how far through it.</summary>
public readonly record struct ReportProgress(string Step, int Done, int Total);

/// <summary>
/// Writes the pruning report: one self-contained HTML file (inline CSS and SVG, thumbnails as
/// data-URI JPEGs, one inline script allowed by its hash, a Content-Security-Policy that forbids
/// every request) a person opens from disk or an e-mail attachment, and reviews in: see
/// PruneReportWriter.Review.cs. Sections: summary and parameters, per-class kept
/// shares, distance distributions with the cut, per-cluster galleries (most prototypical, each
/// side of the cut, hardest), duplicate groups, probe accuracy, k-means diagnostics, a 2-D map
/// and selection stability. Every section is bounded (see <see cref="ReportOptions"/>), so the
/// file stays small for a million records: tables and plots aggregate, galleries sample.
/// </summary>
public static partial class PruneReportWriter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Render(ReportInput input, ReportOptions options, Action<ReportProgress>? progress = null, CancellationToken cancel = default)
    {
        // Every number in the file is written the same way on every machine.
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try { return RenderInvariant(input, options, progress, cancel); }
        finally { CultureInfo.CurrentCulture = saved; }
    }

    private static string RenderInvariant(ReportInput input, ReportOptions options, Action<ReportProgress>? progress, CancellationToken cancel)
    {
        options.Validate();
        var records = input.Records;
        if (records.Count == 0) throw new ArgumentException("The report needs at least one record.", nameof(input));
        var galleries = PlanGalleries(input, options);
        var duplicates = DuplicateGroups(records, options);
        var issues = PlanIssues(input, options);

        // Thumbnails for every record a gallery or duplicate group shows, made once each, and
        // for the reference twin of every leak shown (its Id is its file's path).
        var wanted = galleries.SelectMany(g => g.Rows.SelectMany(r => r.Members)).Concat(duplicates.SelectMany(g => g.Members)).Concat(issues.All).Distinct().ToArray();
        var thumbs = new Dictionary<int, string?>();
        var leakThumbs = new Dictionary<int, string?>();
        if (wanted.Length > 0)
        {
            var paths = wanted.Select(i => records[i].Path).Concat(issues.Leaks.Select(i => records[i].LeakOf)).ToArray();
            var made = new Thumbnailer(options.ThumbnailSize).Make(paths, options.MaxThreads,
                done => progress?.Invoke(new ReportProgress("thumbnails", done, paths.Length)), cancel);
            for (int t = 0; t < wanted.Length; t++) thumbs[wanted[t]] = made[t];
            for (int t = 0; t < issues.Leaks.Length; t++) leakThumbs[issues.Leaks[t]] = made[wanted.Length + t];
        }

        var h = new HtmlBuilder();
        h.Raw("<!DOCTYPE html>");
        h.Open("html", "lang", "en");
        h.Open("head");
        h.Empty("meta", "charset", "utf-8");
        // Nothing may be fetched (no script file, no font, no image but the embedded ones, no
        // connection), and the only script that runs is the report's own, allowed by its hash.
        h.Empty("meta", "http-equiv", "Content-Security-Policy", "content", ContentSecurityPolicy);
        h.Empty("meta", "name", "viewport", "content", "width=device-width, initial-scale=1");
        h.Element("title", Data(options.Title));
        h.Open("style").Raw(Style).Close();
        h.Close();
        h.Open("body");
        // Over every record given, so the apply step, recomputing it from the same records, can
        // tell that the overrides were made for this decision and not another run's.
        string runId = PruneCmdlets.Review.DecisionRun.Id(records.Select(x => (x.Id, x.Kept)));
        ReviewBar(h, records, runId);
        h.Element("h1", Data(options.Title));

        progress?.Invoke(new ReportProgress("summary", 0, 1));
        Summary(h, input, options, runId);
        DataIssues(h, input, issues, thumbs, leakThumbs, options);
        Classes(h, input, options);
        Distances(h, input, options);
        Galleries(h, input, galleries, thumbs, options);
        Duplicates(h, input, duplicates, thumbs, options);
        Probe(h, input);
        KMeans(h, input);
        cancel.ThrowIfCancellationRequested();
        progress?.Invoke(new ReportProgress("map", 0, 1));
        Map(h, input, options);
        Stability(h, input);
        h.Open("footer").Text($"PruneCmdlets {Own(options.ModuleVersion)} · {options.Generated:yyyy-MM-dd HH:mm:ss zzz} · {records.Count:N0} records").Close();
        progress?.Invoke(new ReportProgress("index", 0, 1));
        ReviewIndex(h, records, runId);
        h.Script(ReviewScript);
        h.Close().Close();
        return h.ToString();
    }

    /// <summary>Renders and writes the file atomically: a temporary file beside it, then a rename.</summary>
    public static void Write(string path, ReportInput input, ReportOptions options, Action<ReportProgress>? progress = null, CancellationToken cancel = default)
    {
        string html = Render(input, options, progress, cancel);
        byte[] bytes = new UTF8Encoding(false).GetBytes(html);
        IO.AtomicFile.Replace(path, stream => stream.Write(bytes));
    }

    // ---- 1. Summary ----------------------------------------------------------------------

    private static void Summary(HtmlBuilder h, ReportInput input, ReportOptions o, string runId)
    {
        var r = input.Records;
        int kept = r.Count(x => x.Kept);
        int dup = r.Count(x => !x.Kept && IsDuplicate(x));
        int policy = r.Count(x => !x.Kept && !IsDuplicate(x));
        h.Open("section", "id", "summary");
        h.Open("dl", "class", "counts");
        Count(h, "in", $"records in", r.Count);
        Count(h, "kept", $"kept", kept);
        Count(h, "pruned", $"pruned", r.Count - kept);
        Count(h, "duplicates", $"pruned as near-duplicates", dup);
        Count(h, "policy", $"pruned by the policy", policy);
        h.Close();
        h.Element("p", $"{Own(Percent(kept, r.Count))} of the records are kept.", "class", "lead");
        if (input.Recommendation is { } rec)
            h.Element("p", $"Test-PruningStrategy recommends keeping {rec.KeepFraction:0.###} ({rec.Keep}, balanced by {rec.BalanceBy}): {Own(rec.Reason)}", "class", "recommendation");

        h.Element("h2", $"Parameters");
        h.Open("table", "class", "params").Open("tbody");
        var m = input.KMeans;
        Param(h, $"Model", o.Model is null ? Own("(not recorded on the records)") : Data(o.Model));
        if (o.ModelHash is not null) Param(h, $"Model SHA-256", Data(o.ModelHash));
        if (m is not null)
        {
            Param(h, $"k-means", $"K = {m.K}, {m.Metric}, init {m.Init}, seed {m.Seed}, {m.Iterations} iterations{Own(m.Converged ? " (converged)" : "")}, inertia {m.Inertia:G6}");
        }
        if (input.Selection is { } s)
        {
            Param(h, $"Policy", Own(s.Policy.ToString()));
            Param(h, $"Strategy", $"{s.Policy.Keep}");
            Param(h, $"Keep", s.Policy.KeepFraction is { } f ? (ReportText)$"fraction {f:0.####}" : $"{s.Policy.KeepCount} records");
            Param(h, $"Balance", $"{s.Policy.BalanceBy}");
            Param(h, $"Seed", $"{s.Policy.Seed}");
        }
        if (input.SemDeDup is { } dd)
            Param(h, $"SemDeDup", $"epsilon {dd.Epsilon:0.######} (cosine ≥ {1 - dd.Epsilon:0.######}), keeps {dd.KeepRule}; {dd.Groups:N0} groups, {dd.Removed:N0} records removed");
        Param(h, $"Run id", $"{Own(runId)} (of these {r.Count:N0} decisions; overrides.csv carries it)");
        Param(h, $"Module", $"PruneCmdlets {Own(o.ModuleVersion)}");
        Param(h, $"Date", $"{o.Generated:yyyy-MM-dd HH:mm:ss zzz}");
        h.Close().Close();
        h.Element("h3", $"Reproduce");
        h.Element("pre", o.Pipeline is { } given ? Data(given) : Own(Pipeline(input)), "class", "pipeline");
        h.Close();
    }

    /// <summary>The one-line pipeline that makes this decision again, from what the records carry.</summary>
    public static string Pipeline(ReportInput input)
    {
        var parts = new List<string> { "Get-ChildItem <images> -Recurse -File", "Get-Embedding" };
        if (input.DataIssues is { } issues)
            parts.Add($"Find-DataIssue -Check {string.Join(", ", Enum.GetValues<PruneCmdlets.Issues.DataCheck>().Where(c => c != 0 && issues.Checks.HasFlag(c)))}" +
                (issues.LabelModel is not null ? " -LabelModel <label model>" : issues.Classifier is PruneCmdlets.Issues.LabelClassifier.Probe or PruneCmdlets.Issues.LabelClassifier.Both ? $" -Classifier {issues.Classifier}" : "") +
                (issues.Checks.HasFlag(PruneCmdlets.Issues.DataCheck.Leak) ? " -Reference $reference" : "") + (issues.Seed != 0 ? $" -Seed {issues.Seed}" : ""));
        if (input.KMeans is { } m) parts.Add($"Invoke-KMeans -K {m.K} -Metric {m.Metric} -Seed {m.Seed}");
        if (input.SemDeDup is { } d)
            parts.Add("Invoke-SemDeDup" + (d.Epsilon != PruneCmdlets.Dedup.SemDeDupOptions.DefaultEpsilon ? $" -Epsilon {d.Epsilon.ToString("R", C)}" : "") +
                (d.KeepRule != default ? $" -KeepRule {d.KeepRule}" : "") + " -IncludePruned");
        // Rows read back from a file carry no run: a removed near-duplicate still shows that SemDeDup
        // ran (Find-DataIssue's duplicates say so in their Issues, and are its stage, not this one).
        else if (input.Records.Any(r => r.DuplicateOf is not null && r.DuplicateOf != r.Id && !r.Has("Duplicate"))) parts.Add("Invoke-SemDeDup -IncludePruned");
        if (input.Records.Any(r => r.Distance is not null)) parts.Add("Measure-Prototypicality");
        if (input.Selection is { } s)
        {
            var p = s.Policy;
            var sb = new StringBuilder("Select-PrunedSet ");
            sb.Append(p.KeepFraction is { } f ? $"-KeepFraction {f.ToString("0.####", C)}" : $"-KeepCount {p.KeepCount}");
            if (p.Exclude.Count > 0) sb.Append($" -Exclude {string.Join(", ", p.Exclude)}");
            sb.Append($" -Keep {p.Keep}");
            if (p.BalanceBy != BalanceBy.None) sb.Append($" -BalanceBy {p.BalanceBy}");
            if (p.MinPerGroup is { } mpg) sb.Append($" -MinPerGroup {mpg}");
            if (p.BalanceBy == BalanceBy.Density && p.Temperature != DensityPruning.DefaultTemperature) sb.Append($" -Temperature {p.Temperature.ToString(C)}");
            if (p.Keep == KeepStrategy.Stratified) sb.Append($" -HardCutoff {p.Stratified.HardCutoff.ToString(C)} -Bins {p.Stratified.Bins}");
            if (p.Keep is KeepStrategy.Random or KeepStrategy.Stratified) sb.Append($" -Seed {p.Seed}");
            sb.Append(" -IncludePruned");
            parts.Add(sb.ToString());
        }
        parts.Add("Export-PruneReport report.html");
        return string.Join(" | ", parts);
    }

    private static void Count(HtmlBuilder h, string key, ReportText label, int value)
    {
        h.Open("div", "class", "count");
        h.Element("dt", label);
        h.Element("dd", $"{value:N0}", "data-count", key);
        h.Close();
    }

    private static void Param(HtmlBuilder h, ReportText name, ReportText value)
    {
        h.Open("tr");
        h.Element("th", name);
        h.Element("td", value);
        h.Close();
    }

    // ---- 2. Per class --------------------------------------------------------------------

    private sealed record GroupRow(string Name, int Total, int Kept)
    {
        public double Share => Total == 0 ? 0 : (double)Kept / Total;
    }

    /// <summary>Rows by label when the records carry labels, otherwise by cluster; ordinal (or numeric) order.</summary>
    private static (string Kind, List<GroupRow> Rows) GroupRows(IReadOnlyList<ReportRecord> r)
    {
        bool labelled = r.Any(x => !string.IsNullOrEmpty(x.Label));
        if (labelled)
            return ("Class", r.GroupBy(x => string.IsNullOrEmpty(x.Label) ? "(none)" : x.Label!, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new GroupRow(g.Key, g.Count(), g.Count(x => x.Kept))).ToList());
        if (r.Any(x => x.Cluster is not null))
            return ("Cluster", r.GroupBy(x => x.Cluster ?? -1).OrderBy(g => g.Key)
                .Select(g => new GroupRow(g.Key < 0 ? "(none)" : g.Key.ToString(C), g.Count(), g.Count(x => x.Kept))).ToList());
        return ("Set", new List<GroupRow> { new("(all)", r.Count, r.Count(x => x.Kept)) });
    }

    /// <summary>
    /// The rows a table has room for, the most informative first: the groups below the floor
    /// (the largest of them, then the lowest share), up to half of <paramref name="max"/> when
    /// the rest needs room, then the largest of the others. Returned in the table's own order.
    /// </summary>
    private static List<GroupRow> MostInformative(List<GroupRow> rows, double floor, int max)
    {
        if (rows.Count <= max) return rows;
        var below = rows.Where(x => x.Share < floor).ToList();
        int low = Math.Min(below.Count, Math.Max(max - (rows.Count - below.Count), max / 2));
        var chosen = below.OrderByDescending(x => x.Total).ThenBy(x => x.Share).ThenBy(x => x.Name, StringComparer.Ordinal).Take(low)
            .Concat(rows.Where(x => x.Share >= floor).OrderByDescending(x => x.Total).ThenBy(x => x.Name, StringComparer.Ordinal).Take(max - low))
            .ToHashSet();
        return rows.Where(chosen.Contains).ToList();
    }

    private static void Classes(HtmlBuilder h, ReportInput input, ReportOptions o)
    {
        var (kind, rows) = GroupRows(input.Records);
        double overall = (double)input.Records.Count(x => x.Kept) / input.Records.Count;
        double floor = o.Floor ?? overall / 2;
        string plural = kind == "Class" ? "classes" : kind == "Cluster" ? "clusters" : "groups";
        h.Open("section", "id", "classes");
        h.Element("h2", Own(kind == "Class" ? "Kept share per class" : kind == "Cluster" ? "Kept share per cluster" : "Kept share"));
        double max = rows.Max(x => x.Share), min = rows.Min(x => x.Share);
        string skew = min > 0 ? (max / min).ToString("0.00", C) : "∞ (a group keeps nothing)";
        var flagged = rows.Where(x => x.Share < floor).ToList();
        h.Open("p");
        h.Text($"Skew (largest ÷ smallest kept share): ");
        h.Element("strong", Own(skew), "data-skew", min > 0 ? (max / min).ToString("R", C) : "inf");
        h.Text($". {flagged.Count:N0} of {rows.Count:N0} {Own(kind == "Class" ? "classes" : "groups")} keep less than the floor of {floor:P1}" +
               $"{Own(o.Floor is null ? " (half the overall kept share)." : ".")}");
        h.Close();
        // Bounded like the galleries: a class per record (an Id file given as labels) must not
        // make a page of a row per record that no browser opens.
        var shown = MostInformative(rows, floor, o.MaxClasses);
        if (shown.Count < rows.Count)
        {
            int low = shown.Count(x => x.Share < floor);
            h.Element("p", $"Showing {shown.Count:N0} of {rows.Count:N0} {Own(plural)} (-MaxClasses {o.MaxClasses}): {low:N0} of the {flagged.Count:N0} below the floor, " +
                $"the largest first, and the {shown.Count - low:N0} largest of the others; the skew and the count above cover all {rows.Count:N0}.", "class", "note", "data-shown", shown.Count.ToString(C));
        }
        h.Open("table", "class", "groups");
        h.Open("thead").Open("tr");
        foreach (var head in new[] { kind, "Total", "Kept", "Kept share", "" }) h.Element("th", Own(head));
        h.Close().Close();
        h.Open("tbody");
        foreach (var row in shown)
        {
            bool low = row.Share < floor;
            h.Open("tr", "class", low ? "group-row below-floor" : "group-row", "data-group", row.Name);
            h.Element("td", Data(row.Name), "class", "name");
            h.Element("td", $"{row.Total:N0}", "class", "num");
            h.Element("td", $"{row.Kept:N0}", "class", "num");
            h.Open("td", "class", "bar-cell");
            h.Open("div", "class", "bar").Empty("div", "class", "bar-kept", "style", $"width:{(100 * row.Share).ToString("0.##", C)}%").Close();
            h.Close();
            h.Element("td", $"{row.Share:P1}{Own(low ? " ▼ below floor" : "")}", "class", low ? "share flag" : "share");
            h.Close();
        }
        h.Close().Close();
        h.Close();
    }

    // ---- 3. Distances --------------------------------------------------------------------

    private static void Distances(HtmlBuilder h, ReportInput input, ReportOptions o)
    {
        var scored = input.Records.Where(x => x.Distance is not null).ToList();
        if (scored.Count == 0) return;
        double lo = scored.Min(x => x.Distance!.Value), hi = scored.Max(x => x.Distance!.Value);
        var sel = input.Selection;
        var balance = sel?.Policy.BalanceBy ?? BalanceBy.None;
        // A cut applies to a plot when the plot's records are one group of the policy.
        double[] CutsFor(string? group)
        {
            if (sel is null) return Array.Empty<double>();
            if (balance == BalanceBy.None) return sel.Cuts[0] is { } c ? new[] { c } : Array.Empty<double>();
            if (group is null || balance != BalanceBy.Label) return Array.Empty<double>();
            int g = Array.IndexOf(sel.GroupNames, group);
            return g >= 0 && sel.Cuts[g] is { } gc ? new[] { gc } : Array.Empty<double>();
        }
        h.Open("section", "id", "distances");
        h.Element("h2", $"Distance to the prototype, with the cut");
        h.Element("p", Own("Each bar splits into kept (teal) and pruned (orange) records; the dashed line is the cut: the Distance of the last kept record. " +
            (balance is BalanceBy.Cluster or BalanceBy.Density ? "The policy balanced by cluster, so each cluster has its own cut; the class plots show none." :
             balance == BalanceBy.Label ? "The policy balanced by label: each class plot shows its own cut." : "")), "class", "note");
        SvgPlots.Histogram(h, scored.Select(x => x.Distance!.Value).ToList(), scored.Select(x => x.Kept).ToList(), lo, hi, 60, CutsFor(null), $"All records", 720, 200);
        var classes = scored.Where(x => !string.IsNullOrEmpty(x.Label)).GroupBy(x => x.Label!, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (classes.Count > 1)
        {
            h.Open("div", "class", "multiples");
            foreach (var g in classes.Take(o.MaxClassPlots))
                SvgPlots.Histogram(h, g.Select(x => x.Distance!.Value).ToList(), g.Select(x => x.Kept).ToList(), lo, hi, 30, CutsFor(g.Key), $"{Data(g.Key)} ({g.Count():N0})", 240, 110);
            h.Close();
            if (classes.Count > o.MaxClassPlots) h.Element("p", $"Showing {o.MaxClassPlots:N0} of {classes.Count:N0} classes, the largest; the {classes.Count - o.MaxClassPlots:N0} smallest are not drawn (-MaxClassPlots {o.MaxClassPlots}).", "class", "note");
        }
        h.Close();
    }

    // ---- 4. Galleries --------------------------------------------------------------------

    private sealed record GalleryRow(string Title, int[] Members);
    private sealed record Gallery(string Name, int Size, int Kept, List<GalleryRow> Rows);

    /// <summary>Per cluster (or class), biggest first: the most prototypical, the last kept and first pruned at the cut, and the hardest.</summary>
    private static List<Gallery> PlanGalleries(ReportInput input, ReportOptions o)
    {
        var r = input.Records;
        int t = o.ThumbnailsPerSection;
        var result = new List<Gallery>();
        if (t == 0 || o.MaxGalleries == 0) return result;
        var groups = Enumerable.Range(0, r.Count).GroupBy(GalleryKey(r), StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(o.MaxGalleries);
        var keep = input.Selection?.Policy.Keep ?? KeepStrategy.Hard;
        foreach (var g in groups)
        {
            var members = g.ToArray();
            var rows = new List<GalleryRow>();
            var scored = members.Where(i => r[i].Distance is not null).OrderBy(i => r[i].Distance!.Value).ThenBy(i => i).ToArray();
            if (scored.Length > 0)
            {
                rows.Add(new("Most prototypical", scored.Take(t).ToArray()));
                var keptAsc = scored.Where(i => r[i].Kept && !IsDuplicate(r[i])).ToArray();
                var prunedAsc = scored.Where(i => !r[i].Kept && !IsDuplicate(r[i])).ToArray();
                if (keep == KeepStrategy.Easy)
                {
                    rows.Add(new("Last kept (at the cut)", keptAsc.AsEnumerable().Reverse().Take(t).Reverse().ToArray()));
                    rows.Add(new("First pruned (at the cut)", prunedAsc.Take(t).ToArray()));
                }
                else if (keep == KeepStrategy.Hard)
                {
                    rows.Add(new("First pruned (at the cut)", prunedAsc.AsEnumerable().Reverse().Take(t).Reverse().ToArray()));
                    rows.Add(new("Last kept (at the cut)", keptAsc.Take(t).ToArray()));
                }
                else
                {
                    rows.Add(new("Kept (a sample across distances)", Spread(keptAsc, t)));
                    rows.Add(new("Pruned (a sample across distances)", Spread(prunedAsc, t)));
                }
                rows.Add(new("Hardest (outliers, possible label errors)", scored.AsEnumerable().Reverse().Take(t).Reverse().ToArray()));
            }
            else rows.Add(new("Records", members.Take(t).ToArray()));
            result.Add(new Gallery(g.Key, members.Length, members.Count(i => r[i].Kept), rows.Where(x => x.Members.Length > 0).ToList()));
        }
        return result;
    }

    /// <summary>The gallery a record belongs to: its cluster when the records are clustered, else its class.</summary>
    private static Func<int, string> GalleryKey(IReadOnlyList<ReportRecord> r)
    {
        bool byCluster = r.Any(x => x.Cluster is not null);
        return i => byCluster ? (r[i].Cluster?.ToString(C) ?? "(none)") : (string.IsNullOrEmpty(r[i].Label) ? "(all)" : r[i].Label!);
    }

    /// <summary><paramref name="count"/> members evenly spaced through a sorted list.</summary>
    private static int[] Spread(int[] sorted, int count)
    {
        if (sorted.Length <= count) return sorted;
        return Enumerable.Range(0, count).Select(k => sorted[(int)((long)k * (sorted.Length - 1) / Math.Max(1, count - 1))]).Distinct().ToArray();
    }

    private static void Galleries(HtmlBuilder h, ReportInput input, List<Gallery> galleries, Dictionary<int, string?> thumbs, ReportOptions o)
    {
        if (galleries.Count == 0) return;
        bool byCluster = input.Records.Any(x => x.Cluster is not null);
        h.Open("section", "id", "galleries");
        h.Element("h2", Own(byCluster ? "Clusters, biggest first" : "Classes, biggest first"));
        var key = GalleryKey(input.Records);
        int total = Enumerable.Range(0, input.Records.Count).Select(key).Distinct(StringComparer.Ordinal).Count();
        if (total > galleries.Count)
            h.Element("p", $"Showing {galleries.Count:N0} of {total:N0} {Own(byCluster ? "clusters" : "classes")}, the largest (-MaxGalleries {o.MaxGalleries}).", "class", "note");
        foreach (var g in galleries)
        {
            h.Open("details", "class", "gallery", "open", galleries.IndexOf(g) < 4 ? "open" : null, "data-group", g.Name);
            h.Element("summary", $"{Own(byCluster ? "Cluster" : "Class")} {Data(g.Name)}: {g.Size:N0} records, {g.Kept:N0} kept ({Own(Percent(g.Kept, g.Size))})");
            foreach (var row in g.Rows)
            {
                h.Element("h4", Own(row.Title));
                h.Open("div", "class", "strip");
                foreach (int i in row.Members) Thumb(h, input.Records[i], thumbs.GetValueOrDefault(i));
                h.Close();
            }
            h.Close();
        }
        h.Close();
    }

    private static void Thumb(HtmlBuilder h, ReportRecord r, string? uri, ReportText note = default)
    {
        ReportText tip = $"{Data(r.Id)}\nlabel: {(r.Label is null ? Own("(none)") : Data(r.Label))}{Own(r.Cluster is { } c ? "\ncluster: " + c.ToString(C) : "")}" +
            $"{Own(r.Distance is { } d ? "\nDistance: " + d.ToString("G6", C) : "")}{Own(r.Reason is null ? "" : "\n")}{Data(r.Reason)}";
        h.Open("figure", "class", r.Kept ? "thumb kept" : "thumb pruned", "title", tip, "data-id", r.Id);
        if (uri is not null) h.Empty("img", "src", uri, "alt", Data(FileName(r)), "loading", "lazy");
        else if (r.Text is { Length: > 0 } text) h.Element("div", Data(text), "class", "textcard");   // a text record: its words are its picture
        else h.Element("div", Data(FileName(r)), "class", "noimg");
        h.Open("figcaption");
        h.Element("span", Data(FileName(r)), "class", "cap-id");
        h.Element("span", $"{Data(r.Label)}{Own(r.Distance is { } dd ? " · " + dd.ToString("G3", C) : "")}{Own(note.IsEmpty ? "" : " · ")}{note}", "class", "cap-meta");
        h.Element("span", Own(r.Kept ? "kept" : "pruned"), "class", r.Kept ? "badge kept" : "badge pruned");
        ReviewControls(h, r.Kept);
        h.Close();
        h.Close();
    }

    private static string FileName(ReportRecord r)
    {
        string s = r.Path ?? r.Id;
        int cut = Math.Max(s.LastIndexOf('/'), s.LastIndexOf('\\'));
        return cut >= 0 && cut < s.Length - 1 ? s[(cut + 1)..] : s;
    }

    // ---- 5. Duplicates -------------------------------------------------------------------

    /// <param name="Kept">Members of the whole group kept (all of them, not only those shown).</param>
    /// <param name="Keeper">The keeper's index, or −1 when it is not among the records.</param>
    private sealed record DupGroup(string KeeperId, int Size, int[] Members, int Kept, int Keeper);

    private static List<DupGroup> DuplicateGroups(IReadOnlyList<ReportRecord> r, ReportOptions o)
    {
        if (o.MaxDuplicateGroups == 0) return new();
        return Enumerable.Range(0, r.Count).Where(i => r[i].DuplicateOf is not null)
            .GroupBy(i => r[i].DuplicateOf!, StringComparer.Ordinal)
            .Select(g =>
            {
                // The keeper first, then the others by similarity to it.
                var members = g.OrderByDescending(i => r[i].Id == g.Key).ThenByDescending(i => r[i].Similarity ?? 0).ThenBy(i => i).ToArray();
                int keeper = r[members[0]].Id == g.Key ? members[0] : -1;
                return new DupGroup(g.Key, members.Length, members.Take(o.MaxDuplicateMembers).ToArray(), members.Count(i => r[i].Kept), keeper);
            })
            .OrderByDescending(g => g.Size).ThenBy(g => g.KeeperId, StringComparer.Ordinal).Take(o.MaxDuplicateGroups).ToList();
    }

    private static void Duplicates(HtmlBuilder h, ReportInput input, List<DupGroup> groups, Dictionary<int, string?> thumbs, ReportOptions o)
    {
        var r = input.Records;
        int total = r.Select(x => x.DuplicateOf).Where(x => x is not null).Distinct(StringComparer.Ordinal).Count();
        if (total == 0) return;
        h.Open("section", "id", "duplicates");
        h.Element("h2", $"Near-duplicate groups ({total:N0}, largest first)");
        if (total > groups.Count) h.Element("p", $"Showing {groups.Count:N0} of {total:N0} groups (-MaxDuplicateGroups {o.MaxDuplicateGroups}).", "class", "note");
        foreach (var g in groups)
        {
            h.Open("div", "class", "dup-group", "data-size", g.Size.ToString(C));
            h.Element("h4", $"{g.Size:N0} records; {KeeperSentence(r, g)}");
            h.Open("div", "class", "strip");
            foreach (int i in g.Members)
                Thumb(h, r[i], thumbs.GetValueOrDefault(i), Own(r[i].Id == g.KeeperId ? "keeper" : "cos " + (r[i].Similarity ?? 0).ToString("0.0000", C)));
            if (g.Size > g.Members.Length) h.Element("div", $"+{g.Size - g.Members.Length} more", "class", "more");
            h.Close();
            h.Close();
        }
        h.Close();
    }

    /// <summary>
    /// What the group keeps, as it ended: the keeper SemDeDup chose can be pruned afterwards by the
    /// policy (Select-PrunedSet, -Exclude), and then "keeps X" would be false.
    /// </summary>
    private static ReportText KeeperSentence(IReadOnlyList<ReportRecord> r, DupGroup g)
    {
        if (g.Keeper < 0) return $"keeps {Data(g.KeeperId)}";   // the keeper is not among the records shown to the report
        if (r[g.Keeper].Kept) return $"keeps {Data(FileName(r[g.Keeper]))}";
        return g.Kept == 0 ? Own("keeper pruned by the policy: none of this group is kept")
            : $"keeper pruned by the policy; {g.Kept:N0} of the group kept";
    }

    // ---- 6. Probe ------------------------------------------------------------------------

    private static void Probe(HtmlBuilder h, ReportInput input)
    {
        var rows = input.Probe;
        if (rows is null || rows.Count == 0) return;
        h.Open("section", "id", "probe");
        h.Element("h2", $"Probe: test accuracy against keep fraction");
        var series = rows.GroupBy(x => (x.Keep, x.BalanceBy)).Select(g =>
        {
            var pts = g.OrderBy(x => x.KeepFraction).ToList();
            int marked = pts.FindIndex(x => x.Recommended);
            return new PlotSeries(g.Key.BalanceBy == BalanceBy.None ? g.Key.Keep.ToString() : $"{g.Key.Keep} by {g.Key.BalanceBy}",
                pts.Select(x => (x.KeepFraction, x.TestAccuracy)).ToList(), marked);
        }).ToList();
        SvgPlots.LinePlot(h, series, $"Linear-probe test accuracy", $"keep fraction", $"test accuracy", 680, 300);
        if (input.Recommendation is { } rec)
            h.Element("p", $"Recommended (ringed): keep {rec.KeepFraction:0.###} with -Keep {rec.Keep} -BalanceBy {rec.BalanceBy}; " +
                $"accuracy {rec.Accuracy:P2} against {rec.FullDataAccuracy:P2} on all the data. {Own(rec.Reason)}", "class", "recommendation");
        h.Close();
    }

    // ---- 7. k-means ----------------------------------------------------------------------

    private static void KMeans(HtmlBuilder h, ReportInput input)
    {
        if (input.KMeans is not { } m) return;
        h.Open("section", "id", "kmeans");
        h.Element("h2", $"k-means diagnostics");
        if (m.History.Count > 0)
        {
            SvgPlots.LinePlot(h, new[] { new PlotSeries("objective", m.History.Select(s => ((double)s.Iteration, s.Objective)).ToList()) },
                $"Objective per iteration", $"iteration", $"objective", 560, 220);
            int reseeded = m.History.Sum(s => s.Reseeded);
            h.Element("p", $"{m.History.Count} iterations; {reseeded} empty cluster(s) re-seeded; imbalance {m.History[^1].Imbalance:0.###} at the end (1 is perfectly even).", "class", "note");
        }
        if (m.ClusterSizes.Length > 0)
        {
            var sizes = m.ClusterSizes.OrderByDescending(s => s).ToArray();
            int max = Math.Max(1, sizes[0]);
            h.Element("h4", $"Cluster sizes, largest first (largest {sizes[0]:N0}, smallest {sizes[^1]:N0})");
            h.Open("div", "class", "sizes");
            foreach (var s in sizes.Take(200))
                h.Empty("div", "class", "size-bar", "title", (ReportText)$"{s:N0}", "style", $"height:{(100.0 * s / max).ToString("0.#", C)}%");
            h.Close();
            if (sizes.Length > 200) h.Element("p", $"{sizes.Length - 200} smaller clusters not drawn.", "class", "note");
        }
        h.Close();
    }

    // ---- 8. Map --------------------------------------------------------------------------

    private static void Map(HtmlBuilder h, ReportInput input, ReportOptions o)
    {
        var r = input.Records;
        if (o.MapPoints == 0) return;
        var withVector = Enumerable.Range(0, r.Count).Where(i => r[i].Vector.Length > 0).ToArray();
        if (withVector.Length < 3) return;
        int d = r[withVector[0]].Vector.Length;
        withVector = withVector.Where(i => r[i].Vector.Length == d).ToArray();
        var sample = Spread(withVector, o.MapPoints);
        var (x, y, ex, ey) = PrincipalComponents.Project2D(sample.Select(i => r[i].Vector).ToList());
        h.Open("section", "id", "map");
        h.Element("h2", $"Map of the embeddings (PCA)");
        h.Element("p", $"{sample.Length:N0} of {withVector.Length:N0} records on the first two principal axes ({ex:P1} and {ey:P1} of the variance); teal kept, orange pruned.", "class", "note");
        SvgPlots.Scatter(h, sample.Select((i, k) => (x[k], y[k], r[i].Kept,
            (ReportText)$"{Data(r[i].Id)} ({(r[i].Label is null ? Own("no label") : Data(r[i].Label))}): {Own(r[i].Kept ? "kept" : "pruned")}")).ToList(), $"PCA map");
        h.Close();
    }

    // ---- 9. Stability --------------------------------------------------------------------

    private static void Stability(HtmlBuilder h, ReportInput input)
    {
        if (input.Stability is not { } s) return;
        h.Open("section", "id", "stability");
        h.Element("h2", $"Stability of the selection");
        h.Open("p");
        h.Text($"{s.Runs.Count} refits of k-means ({s.Prototype} prototypes) under {Own(s.Policy.ToString())}: mean Jaccard overlap of the kept sets ");
        h.Element("strong", $"{s.MeanJaccard:0.000}", "data-jaccard", s.MeanJaccard.ToString("R", C));
        h.Text($", lowest {s.MinJaccard:0.000}. 1 means every refit keeps the same records.");
        h.Close();
        h.Open("table", "class", "jaccard");
        h.Open("thead").Open("tr").Element("th", default);
        foreach (var run in s.Runs) h.Element("th", $"K {run.K} · seed {run.Seed}");
        h.Close().Close().Open("tbody");
        for (int a = 0; a < s.Runs.Count; a++)
        {
            h.Open("tr").Element("th", $"K {s.Runs[a].K} · seed {s.Runs[a].Seed}");
            for (int b = 0; b < s.Runs.Count; b++)
            {
                double v = s.Jaccard[a][b];
                h.Element("td", $"{v:0.000}", "style", $"background:rgba(27,158,119,{(0.1 + 0.8 * v).ToString("0.##", C)})");
            }
            h.Close();
        }
        h.Close().Close();
        h.Close();
    }

    private static bool IsDuplicate(ReportRecord r) => r.DuplicateOf is not null && r.DuplicateOf != r.Id;

    private static string Percent(int part, int whole) => whole == 0 ? "0%" : ((double)part / whole).ToString("P1", C);

    private const string Style = """
:root{--kept:#1b9e77;--pruned:#d95f02;--ink:#1d232a;--muted:#5c6670;--line:#dde2e6;--bg:#fff;--panel:#f6f8f9}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;color:var(--ink);background:var(--bg);margin:0 auto;max-width:1180px;padding:24px}
h1{font-size:24px;margin:0 0 12px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}h4{font-size:13px;margin:10px 0 4px;color:var(--muted);font-weight:600}
.counts{display:flex;flex-wrap:wrap;gap:12px;margin:0}.count{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:130px}
.count dt{color:var(--muted);font-size:12px}.count dd{margin:0;font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.count dd[data-count=kept]{color:var(--kept)}.count dd[data-count=pruned]{color:var(--pruned)}
.lead{font-size:15px}.note{color:var(--muted);font-size:12.5px}.recommendation{background:#eef7f3;border-left:4px solid var(--kept);padding:6px 10px}
table{border-collapse:collapse}th,td{padding:3px 10px 3px 0;text-align:left;vertical-align:top}.params th{color:var(--muted);font-weight:500;white-space:nowrap}
.groups td.num{text-align:right;font-variant-numeric:tabular-nums}.groups th{border-bottom:1px solid var(--line)}
.bar-cell{width:260px}.bar{background:#fbe3d2;height:12px;border-radius:3px;overflow:hidden;margin-top:4px}.bar-kept{background:var(--kept);height:100%}
.below-floor .name,.flag{color:var(--pruned);font-weight:600}
pre.pipeline{background:var(--panel);border:1px solid var(--line);padding:8px;white-space:pre-wrap;word-break:break-word;font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
svg{font:10px system-ui,sans-serif;overflow:visible}.plot-title{font-weight:600;font-size:11px;fill:var(--ink)}.tick,.legend,.axis-label{fill:var(--muted)}
.axis{stroke:#9aa4ad}.frame{fill:none;stroke:var(--line)}.grid{stroke:#eef1f3}.cut{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:4 3}
.multiples{display:flex;flex-wrap:wrap;gap:6px 14px}
.pt.kept{fill:var(--kept);fill-opacity:.7}.pt.pruned{fill:var(--pruned);fill-opacity:.55}
details.gallery{border:1px solid var(--line);border-radius:8px;padding:6px 12px;margin:8px 0;background:var(--panel)}details.gallery summary{cursor:pointer;font-weight:600}
.strip{display:flex;flex-wrap:wrap;gap:8px}
figure.thumb{margin:0;width:124px;background:#fff;border:2px solid var(--line);border-radius:6px;padding:4px;overflow:hidden}
figure.thumb.kept{border-color:var(--kept)}figure.thumb.pruned{border-color:var(--pruned);border-style:dashed}
figure.thumb img{display:block;width:112px;height:112px;object-fit:contain;background:#f0f0f0}
.noimg{width:112px;height:112px;display:flex;align-items:center;justify-content:center;text-align:center;font-size:11px;background:#eef1f3;color:var(--muted);word-break:break-all;padding:4px}
.textcard{width:112px;height:112px;overflow:hidden;font-size:10.5px;line-height:1.3;background:#f7f7f2;padding:4px;text-align:left;overflow-wrap:anywhere}
figcaption{font-size:10.5px;line-height:1.3;margin-top:3px}.cap-id{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.cap-meta{display:block;color:var(--muted)}
.badge{display:inline-block;font-size:9.5px;padding:0 5px;border-radius:8px;color:#fff}.badge.kept{background:var(--kept)}.badge.pruned{background:var(--pruned)}
.dup-group{border-top:1px solid var(--line);padding:4px 0 8px}.more{align-self:center;color:var(--muted)}
.sizes{display:flex;align-items:flex-end;gap:1px;height:90px;border-bottom:1px solid var(--line)}.size-bar{flex:1;min-width:1px;background:#7570b3}
.jaccard td{text-align:center;font-variant-numeric:tabular-nums;padding:3px 8px}.jaccard th{font-weight:500;font-size:12px;padding-right:8px}
.fit{background:var(--panel);border-left:4px solid #7570b3;padding:6px 10px}.fit-warning{background:#fdf0e6;border-left:4px solid var(--pruned);padding:6px 10px;font-weight:600}
table.noise td{text-align:right;font-variant-numeric:tabular-nums;padding:2px 8px;border:1px solid var(--line)}table.noise td.diag{color:var(--muted)}table.noise td.off{background:#fdf0e6;color:var(--pruned);font-weight:600}
.leak-pair{display:flex;gap:4px;border:1px solid var(--line);border-radius:8px;padding:4px}figure.thumb.reference{border-color:#7570b3}.badge.reference{background:#7570b3}
.review-bar{position:sticky;top:0;z-index:10;background:#fffffff2;border-bottom:1px solid var(--line);padding:6px 0;margin:-24px 0 12px;display:none}
html.review-on .review-bar{display:block}.review-bar.changed{border-bottom:2px solid #7570b3}
.review-row{display:flex;flex-wrap:wrap;align-items:center;gap:6px 14px}.review-counts{font-variant-numeric:tabular-nums}.review-run{color:var(--muted);font:11px ui-monospace,monospace}
#review-search{min-width:240px;padding:3px 6px}.review-list{max-height:40vh;overflow:auto;margin:6px 0;padding-left:22px}.review-list li{margin:2px 0}
li.result{display:flex;flex-wrap:wrap;gap:2px 10px;align-items:center;border-left:4px solid var(--kept);padding-left:6px}li.result.pruned{border-left-color:var(--pruned)}li.result .cap-meta{display:inline}
.review-ctl{display:none;gap:3px;margin-top:3px}html.review-on .review-ctl{display:flex}.review-ctl .note{min-width:0;flex:1;font-size:10.5px;padding:1px 3px}.review-ctl button,.review-bar button{font-size:11px;cursor:pointer}
li.result .review-ctl .note{min-width:180px}figure.thumb.flipped,li.result.flipped{outline:3px solid #7570b3;outline-offset:1px}button.undo{margin-left:8px}
.review-help{margin:4px 0 0}
footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{details.gallery{break-inside:avoid}}
""";
}

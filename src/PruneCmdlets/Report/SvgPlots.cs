using static PruneCmdlets.Report.HtmlBuilder;
using static PruneCmdlets.Report.ReportText;

namespace PruneCmdlets.Report;

/// <summary>One line of a line plot: its name (shown isolated, as data), its points, and the point to mark (or −1).</summary>
public sealed record PlotSeries(string Name, IReadOnlyList<(double X, double Y)> Points, int Marked = -1);

/// <summary>
/// The report's plots as inline SVG drawn by the module: a stacked kept/pruned histogram with
/// the cut, line plots and a scatter map. Fixed palette (kept teal, pruned orange; colour-blind
/// safe), axis ticks at round numbers, every label through <see cref="HtmlBuilder"/> as <see cref="ReportText"/>,
/// so a class name in a title or a legend is isolated in the SVG text as in the page's.
/// </summary>
public static class SvgPlots
{
    public const string KeptColour = "#1b9e77", PrunedColour = "#d95f02";
    private static readonly string[] Palette = { "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666" };

    /// <summary>
    /// A histogram of <paramref name="values"/> over [lo, hi] in <paramref name="bins"/> bins, each
    /// bar split into its kept (bottom) and pruned (top) records, and a dashed line at each cut.
    /// </summary>
    public static void Histogram(HtmlBuilder h, IReadOnlyList<double> values, IReadOnlyList<bool> kept, double lo, double hi, int bins,
        IReadOnlyList<double> cuts, ReportText title, int width = 360, int height = 150)
    {
        const int left = 34, bottom = 18, top = 16;
        var keptCount = new int[bins];
        var prunedCount = new int[bins];
        double span = hi > lo ? hi - lo : 1;
        for (int i = 0; i < values.Count; i++)
        {
            int b = Math.Clamp((int)((values[i] - lo) / span * bins), 0, bins - 1);
            if (kept[i]) keptCount[b]++; else prunedCount[b]++;
        }
        int max = 1;
        for (int b = 0; b < bins; b++) max = Math.Max(max, keptCount[b] + prunedCount[b]);
        double plotW = width - left - 6, plotH = height - bottom - top, barW = plotW / bins;
        h.Open("svg", "class", "plot histogram", "width", width.ToString(), "height", height.ToString(), "viewBox", $"0 0 {width} {height}", "role", "img", "aria-label", title);
        h.Element("title", title);
        h.Element("text", title, "x", left.ToString(), "y", "11", "class", "plot-title");
        for (int b = 0; b < bins; b++)
        {
            double x = left + b * barW;
            double hk = plotH * keptCount[b] / max, hp = plotH * prunedCount[b] / max;
            ReportText range = $"{lo + b * span / bins:G4}–{lo + (b + 1) * span / bins:G4}: {keptCount[b]} kept, {prunedCount[b]} pruned";
            if (hk > 0) Rect(h, x, top + plotH - hk, barW, hk, KeptColour, range);
            if (hp > 0) Rect(h, x, top + plotH - hk - hp, barW, hp, PrunedColour, range);
        }
        h.Empty("line", "x1", N(left), "y1", N(top + plotH), "x2", N(left + plotW), "y2", N(top + plotH), "class", "axis");
        foreach (double c in cuts)
        {
            double x = left + (c - lo) / span * plotW;
            h.Empty("line", "x1", N(x), "y1", N(top - 2), "x2", N(x), "y2", N(top + plotH), "class", "cut");
        }
        foreach (var (v, label) in Ticks(lo, hi, 4))
            h.Element("text", Own(label), "x", N(left + (v - lo) / span * plotW), "y", N(height - 4), "class", "tick", "text-anchor", "middle");
        h.Element("text", $"{max}", "x", N(left - 3), "y", N(top + 8), "class", "tick", "text-anchor", "end");
        h.Close();
    }

    /// <summary>
    /// Lines through each series' points; the marked point of a series gets a ring and its label.
    /// At most <paramref name="maxSeries"/> series are drawn (the legend has room for them), and
    /// the legend says how many more there are.
    /// </summary>
    public static void LinePlot(HtmlBuilder h, IReadOnlyList<PlotSeries> series, ReportText title, ReportText xLabel, ReportText yLabel, int width = 560, int height = 260, int maxSeries = 12)
    {
        const int left = 52, bottom = 34, top = 18, right = 150;
        int hidden = Math.Max(0, series.Count - maxSeries);
        series = series.Take(maxSeries).ToList();
        var all = series.SelectMany(s => s.Points).ToList();
        if (all.Count == 0) return;
        double x0 = all.Min(p => p.X), x1 = all.Max(p => p.X), y0 = all.Min(p => p.Y), y1 = all.Max(p => p.Y);
        if (x1 == x0) { x0 -= 0.5; x1 += 0.5; }
        if (y1 == y0) { y0 -= 0.01; y1 += 0.01; }
        double pad = (y1 - y0) * 0.08;
        y0 -= pad; y1 += pad;
        double plotW = width - left - right, plotH = height - top - bottom;
        double X(double v) => left + (v - x0) / (x1 - x0) * plotW;
        double Y(double v) => top + plotH - (v - y0) / (y1 - y0) * plotH;
        h.Open("svg", "class", "plot lines", "width", width.ToString(), "height", height.ToString(), "viewBox", $"0 0 {width} {height}", "role", "img", "aria-label", title);
        h.Element("title", title);
        h.Element("text", title, "x", left.ToString(), "y", "12", "class", "plot-title");
        h.Empty("rect", "x", N(left), "y", N(top), "width", N(plotW), "height", N(plotH), "class", "frame");
        foreach (var (v, label) in Ticks(x0, x1, 5))
            h.Element("text", Own(label), "x", N(X(v)), "y", N(top + plotH + 14), "class", "tick", "text-anchor", "middle");
        foreach (var (v, label) in Ticks(y0, y1, 5))
        {
            h.Empty("line", "x1", N(left), "y1", N(Y(v)), "x2", N(left + plotW), "y2", N(Y(v)), "class", "grid");
            h.Element("text", Own(label), "x", N(left - 4), "y", N(Y(v) + 3), "class", "tick", "text-anchor", "end");
        }
        h.Element("text", xLabel, "x", N(left + plotW / 2), "y", N(height - 4), "class", "axis-label", "text-anchor", "middle");
        h.Element("text", yLabel, "x", "12", "y", N(top + plotH / 2), "class", "axis-label", "text-anchor", "middle", "transform", $"rotate(-90 12 {N(top + plotH / 2)})");
        for (int s = 0; s < series.Count; s++)
        {
            string colour = Palette[s % Palette.Length];
            var pts = series[s].Points;
            if (pts.Count > 1)
                h.Empty("polyline", "points", string.Join(" ", pts.Select(p => $"{N(X(p.X))},{N(Y(p.Y))}")), "fill", "none", "stroke", colour, "stroke-width", "1.8");
            for (int i = 0; i < pts.Count; i++)
            {
                h.Open("circle", "cx", N(X(pts[i].X)), "cy", N(Y(pts[i].Y)), "r", i == series[s].Marked ? "5.5" : "2.5",
                    "fill", i == series[s].Marked ? "none" : colour, "stroke", colour, "stroke-width", i == series[s].Marked ? "2.5" : "1",
                    "class", i == series[s].Marked ? "marked" : null);
                h.Element("title", $"{Data(series[s].Name)}: {pts[i].X:G4}, {pts[i].Y:G4}").Close();
            }
            double ly = top + 10 + s * 15;
            h.Empty("line", "x1", N(left + plotW + 10), "y1", N(ly - 4), "x2", N(left + plotW + 24), "y2", N(ly - 4), "stroke", colour, "stroke-width", "2");
            h.Element("text", Data(series[s].Name), "x", N(left + plotW + 28), "y", N(ly), "class", "legend");
        }
        if (hidden > 0)
            h.Element("text", $"+{hidden} more not drawn", "x", N(left + plotW + 10), "y", N(top + 10 + series.Count * 15), "class", "legend");
        h.Close();
    }

    /// <summary>Points coloured kept or pruned, each with its Id and label as a tooltip.</summary>
    public static void Scatter(HtmlBuilder h, IReadOnlyList<(double X, double Y, bool Kept, ReportText Tip)> points, ReportText title, int width = 520, int height = 420)
    {
        if (points.Count == 0) return;
        const int margin = 12, top = 20;
        double x0 = points.Min(p => p.X), x1 = points.Max(p => p.X), y0 = points.Min(p => p.Y), y1 = points.Max(p => p.Y);
        double sx = x1 > x0 ? x1 - x0 : 1, sy = y1 > y0 ? y1 - y0 : 1;
        double plotW = width - 2 * margin, plotH = height - top - margin;
        h.Open("svg", "class", "plot map", "width", width.ToString(), "height", height.ToString(), "viewBox", $"0 0 {width} {height}", "role", "img", "aria-label", title);
        h.Element("title", title);
        h.Element("text", title, "x", margin.ToString(), "y", "12", "class", "plot-title");
        h.Empty("rect", "x", N(margin), "y", N(top), "width", N(plotW), "height", N(plotH), "class", "frame");
        // Pruned first, so kept points sit on top where they overlap.
        foreach (bool pass in new[] { false, true })
            foreach (var p in points.Where(p => p.Kept == pass))
            {
                h.Open("circle", "cx", N(margin + (p.X - x0) / sx * plotW), "cy", N(top + plotH - (p.Y - y0) / sy * plotH), "r", "2.6",
                    "class", p.Kept ? "pt kept" : "pt pruned");
                h.Element("title", p.Tip).Close();
            }
        h.Close();
    }

    private static void Rect(HtmlBuilder h, double x, double y, double w, double hh, string fill, ReportText tip)
    {
        h.Open("rect", "x", N(x), "y", N(y), "width", N(Math.Max(0.5, w - 0.6)), "height", N(hh), "fill", fill);
        h.Element("title", tip).Close();
    }

    /// <summary>About <paramref name="count"/> ticks at round values (1, 2 or 5 × 10ⁿ) inside [lo, hi].</summary>
    public static IEnumerable<(double Value, string Label)> Ticks(double lo, double hi, int count)
    {
        if (!(hi > lo)) { yield return (lo, lo.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)); yield break; }
        double raw = (hi - lo) / count, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        for (double v = Math.Ceiling(lo / step) * step; v <= hi + step * 1e-9; v += step)
            yield return (v, (Math.Abs(v) < step * 1e-9 ? 0 : v).ToString("G4", System.Globalization.CultureInfo.InvariantCulture));
    }
}

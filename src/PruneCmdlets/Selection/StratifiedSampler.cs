using PruneCmdlets.Numerics;

namespace PruneCmdlets.Selection;

/// <summary>The two knobs of coverage-centric coreset selection.</summary>
public sealed class StratifiedOptions
{
    public const double DefaultHardCutoff = 0.1;
    public const int DefaultBins = 50;

    /// <summary>β: the fraction of the hardest records (largest Distance) dropped before sampling.</summary>
    public double HardCutoff { get; set; } = DefaultHardCutoff;

    /// <summary>Equal-width Distance bins (strata) the budget is spread over.</summary>
    public int Bins { get; set; } = DefaultBins;

    public void Validate()
    {
        if (!(HardCutoff >= 0 && HardCutoff < 1))
            throw new SelectionInputException("InvalidHardCutoff",
                $"-HardCutoff is the fraction of the hardest records dropped before sampling: at least 0 and less than 1; got {HardCutoff}.") { Target = HardCutoff };
        if (Bins < 1) throw new SelectionInputException("InvalidBins", $"-Bins must be at least 1; got {Bins}.") { Target = Bins };
    }
}

/// <summary>
/// How a stratified selection was laid out: what the cutoff dropped, the bin edges, and how many
/// records each bin holds and gives. Deterministic: only the records drawn inside a bin are random.
/// </summary>
public sealed class StratifiedPlan
{
    internal StratifiedPlan(int cutoff, double low, double high, int[] binOf, int[] binSizes, int[] takes)
    {
        Cutoff = cutoff; Low = low; High = high; BinOf = binOf; BinSizes = binSizes; Takes = takes;
    }

    /// <summary>Hardest records dropped: ⌊β·N⌋, lowered where needed so the budget can still be met.</summary>
    public int Cutoff { get; }
    /// <summary>Smallest and largest Distance left after the cutoff: the range the bins split evenly.</summary>
    public double Low { get; }
    public double High { get; }
    /// <summary>Bin of every record, −1 for those the cutoff dropped.</summary>
    public int[] BinOf { get; }
    public int[] BinSizes { get; }
    /// <summary>Records each bin gives to the selection; they sum to the budget.</summary>
    public int[] Takes { get; }
}

/// <summary>
/// Coverage-centric coreset selection (CCS; Zheng, Liu, Li and Prakash 2023, "Coverage-centric
/// Coreset Selection for High Pruning Rates", ICLR 2023), with Distance as the difficulty score:
///
/// 1. Hard cutoff: rank the records hardest first (largest Distance; equal distances in input
///    order) and drop the first ⌊β·N⌋, but never so many that fewer than the budget remain.
/// 2. Split the range [min, max] of the remaining distances into B equal-width bins; bin k holds
///    low + k·w ≤ d &lt; low + (k+1)·w, the last bin also holds the maximum (all in bin 0 if
///    every distance is equal).
/// 3. Water-filling: visit the bins from the fewest records up (ties: lower bin first); each takes
///    min(its size, ⌊budget left / bins left⌋) records drawn uniformly from it. Bins visited
///    last are the largest, so the last one takes what is left and the total is exact.
///
/// The result spreads the budget over the whole difficulty range, so at high pruning rates the
/// selection still covers easy, medium and hard regions instead of only the hardest records.
/// </summary>
public static class StratifiedSampler
{
    public static StratifiedPlan Plan(double[] distances, int budget, StratifiedOptions options)
    {
        options.Validate();
        int n = distances.Length;
        if (budget < 0 || budget > n) throw new ArgumentOutOfRangeException(nameof(budget), budget, $"Cannot keep {budget} of {n} records.");
        foreach (var v in distances)
            if (!double.IsFinite(v)) throw new ArgumentException("Every Distance must be a finite number.", nameof(distances));

        int cutoff = Math.Min((int)Math.Floor(options.HardCutoff * n), n - budget);
        var hardestFirst = Enumerable.Range(0, n).ToArray();
        Array.Sort(hardestFirst, (a, b) => { int c = distances[b].CompareTo(distances[a]); return c != 0 ? c : a.CompareTo(b); });
        var binOf = new int[n];
        for (int t = 0; t < cutoff; t++) binOf[hardestFirst[t]] = -1;

        int bins = options.Bins;
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            if (binOf[i] < 0) continue;
            low = Math.Min(low, distances[i]);
            high = Math.Max(high, distances[i]);
        }
        var binSizes = new int[bins];
        for (int i = 0; i < n; i++)
        {
            if (binOf[i] < 0) continue;
            int b = high > low ? (int)Math.Floor((distances[i] - low) / (high - low) * bins) : 0;
            binOf[i] = Math.Clamp(b, 0, bins - 1);
            binSizes[binOf[i]]++;
        }

        var takes = new int[bins];
        var visit = Enumerable.Range(0, bins).OrderBy(b => binSizes[b]).ThenBy(b => b).ToArray();
        int left = budget;
        for (int v = 0; v < bins; v++)
        {
            int b = visit[v];
            takes[b] = Math.Min(binSizes[b], left / (bins - v));
            left -= takes[b];
        }
        if (left != 0) throw new InvalidOperationException($"Stratified sampling left {left} of the budget unassigned."); // cannot happen: see the summary
        return new StratifiedPlan(cutoff, n - cutoff > 0 ? low : double.NaN, n - cutoff > 0 ? high : double.NaN, binOf, binSizes, takes);
    }

    /// <summary>
    /// Keeps <paramref name="budget"/> of the records by <see cref="Plan"/>: inside each bin,
    /// visited in the plan's order, the members (in input order) are shuffled with
    /// <paramref name="rng"/> and the first Takes[b] are kept.
    /// </summary>
    public static bool[] Select(double[] distances, int budget, StratifiedOptions options, DeterministicRandom rng)
        => Select(Plan(distances, budget, options), rng);

    public static bool[] Select(StratifiedPlan plan, DeterministicRandom rng)
    {
        int n = plan.BinOf.Length, bins = plan.BinSizes.Length;
        var members = new List<int>[bins];
        for (int b = 0; b < bins; b++) members[b] = new List<int>();
        for (int i = 0; i < n; i++) if (plan.BinOf[i] >= 0) members[plan.BinOf[i]].Add(i);
        var keep = new bool[n];
        foreach (int b in Enumerable.Range(0, bins).OrderBy(b => plan.BinSizes[b]).ThenBy(b => b))
        {
            if (plan.Takes[b] == 0) continue;
            var bin = members[b].ToArray();
            if (plan.Takes[b] < bin.Length) rng.Shuffle(bin);
            for (int t = 0; t < plan.Takes[b]; t++) keep[bin[t]] = true;
        }
        return keep;
    }
}

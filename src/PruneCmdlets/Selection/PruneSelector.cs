using PruneCmdlets.Numerics;

namespace PruneCmdlets.Selection;

/// <summary>Which records survive the cut.</summary>
public enum KeepStrategy
{
    /// <summary>Keep the largest distances: the paper's choice when data is abundant.</summary>
    Hard,
    /// <summary>Keep the smallest distances: the paper's choice when data is scarce.</summary>
    Easy,
    /// <summary>A seeded uniform sample: the baseline every metric must beat.</summary>
    Random,
}

/// <summary>What groups get an equal keep fraction.</summary>
public enum BalanceBy { None, Label, Cluster }

/// <summary>
/// Pure selection logic: how many to keep in each group and which ones. Output is a keep flag
/// per record in input order, so the cmdlet can stream records back in their original order.
/// </summary>
public static class PruneSelector
{
    /// <summary>Records to keep for a fraction: round(f·N), half away from zero, never below 1.</summary>
    public static int CountForFraction(double fraction, int n)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "KeepFraction must be in (0, 1].");
        if (n == 0) return 0;
        return (int)Math.Clamp(Math.Round(fraction * n, MidpointRounding.AwayFromZero), 1, n);
    }

    /// <summary>
    /// Splits <paramref name="total"/> across groups in proportion to their sizes by the
    /// largest-remainder method, so every group keeps the same fraction up to rounding and the
    /// quotas sum to exactly <paramref name="total"/>. Remainder ties go to the earlier group.
    /// </summary>
    public static int[] Quotas(int[] groupSizes, int total)
    {
        long n = groupSizes.Sum(s => (long)s);
        if (total < 0 || total > n) throw new ArgumentOutOfRangeException(nameof(total), total, $"Cannot keep {total} of {n} records.");
        var quotas = new int[groupSizes.Length];
        if (n == 0) return quotas;
        var remainders = new double[groupSizes.Length];
        int assigned = 0;
        for (int g = 0; g < groupSizes.Length; g++)
        {
            double exact = (double)total * groupSizes[g] / n;
            quotas[g] = (int)Math.Floor(exact);
            remainders[g] = exact - quotas[g];
            assigned += quotas[g];
        }
        var order = Enumerable.Range(0, groupSizes.Length)
            .OrderByDescending(g => remainders[g]).ThenBy(g => g).ToArray();
        for (int i = 0; assigned < total; i = (i + 1) % order.Length)
        {
            int g = order[i];
            if (quotas[g] < groupSizes[g]) { quotas[g]++; assigned++; }
        }
        return quotas;
    }

    /// <summary>
    /// Chooses <paramref name="total"/> records. <paramref name="groups"/> (one key per record,
    /// or null for one group) gets per-group quotas from <see cref="Quotas"/>; inside a group
    /// Hard takes the largest distances, Easy the smallest, equal distances in input order;
    /// Random takes a seeded uniform sample.
    /// </summary>
    public static bool[] Select(double[]? distances, string?[]? groups, int n, int total, KeepStrategy strategy, long seed)
    {
        if (strategy != KeepStrategy.Random && distances is null)
            throw new ArgumentException("Hard and Easy selection need a distance for every record.", nameof(distances));

        // Preference order over all records: the first quota of each group, in this order, is kept.
        var order = Enumerable.Range(0, n).ToArray();
        switch (strategy)
        {
            case KeepStrategy.Hard:
                Array.Sort(order, (a, b) => { int c = distances![b].CompareTo(distances[a]); return c != 0 ? c : a.CompareTo(b); });
                break;
            case KeepStrategy.Easy:
                Array.Sort(order, (a, b) => { int c = distances![a].CompareTo(distances[b]); return c != 0 ? c : a.CompareTo(b); });
                break;
            default:
                new DeterministicRandom(seed).Shuffle(order);
                break;
        }

        var keys = groups is null ? new[] { "" } : groups.Select(g => g ?? "").Distinct(StringComparer.Ordinal).OrderBy(g => g, StringComparer.Ordinal).ToArray();
        var groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < keys.Length; g++) groupIndex[keys[g]] = g;
        var of = new int[n];
        var sizes = new int[keys.Length];
        for (int i = 0; i < n; i++) { of[i] = groups is null ? 0 : groupIndex[groups[i] ?? ""]; sizes[of[i]]++; }
        var quotas = Quotas(sizes, total);

        var keep = new bool[n];
        var taken = new int[keys.Length];
        foreach (int i in order)
        {
            int g = of[i];
            if (taken[g] < quotas[g]) { keep[i] = true; taken[g]++; }
        }
        return keep;
    }
}

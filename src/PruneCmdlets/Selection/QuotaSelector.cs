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
    /// <summary>
    /// Coverage-centric coreset selection (CCS, Zheng et al. 2023): drop the hardest fraction,
    /// then sample evenly across equal-width Distance bins; see <see cref="StratifiedSampler"/>.
    /// </summary>
    Stratified,
    /// <summary>
    /// Resolved by Select-PrunedSet before selection: a Test-PruningStrategy recommendation when
    /// one is given, otherwise <see cref="AutoRule"/>. Never reaches the selector itself.
    /// </summary>
    Auto,
}

/// <summary>How the total is split across groups.</summary>
public enum BalanceBy
{
    /// <summary>One group: the whole set.</summary>
    None,
    /// <summary>Every class keeps the same fraction.</summary>
    Label,
    /// <summary>Every k-means cluster keeps the same fraction.</summary>
    Cluster,
    /// <summary>
    /// Density-based pruning (Abbas et al. 2024): clusters keep shares by a softmax of their
    /// complexity; see <see cref="DensityPruning"/>.
    /// </summary>
    Density,
}

/// <summary>
/// Pure selection logic: how many to keep in each group and which ones. Output is a keep flag
/// per record in input order, so the cmdlet can stream records back in their original order.
/// </summary>
public static class QuotaSelector
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
    /// Splits <paramref name="total"/> across groups in proportion to <paramref name="weights"/>,
    /// with every group g kept between min(<paramref name="minPerGroup"/>, size_g) and size_g, and
    /// the quotas summing to exactly <paramref name="total"/>.
    ///
    /// The real-valued shares are x_g = clamp(λ·w_g, lo_g, size_g) with the one λ that makes them
    /// sum to the total: a group that would get more than its size is capped and its excess goes
    /// to the others in proportion to their weights; a group below its floor is raised to it and
    /// the others give way in proportion. (Found by fixing, each round, the side whose violations
    /// are larger: at the final λ those groups stay at their bound.) The shares are then rounded by
    /// largest remainder, ties to the earlier group. With weights equal to the sizes and no floor
    /// this gives exactly <see cref="Quotas"/>.
    /// </summary>
    public static int[] WeightedQuotas(double[] weights, int[] sizes, int total, int minPerGroup)
    {
        int g = sizes.Length;
        if (weights.Length != g) throw new ArgumentException("One weight per group is needed.", nameof(weights));
        if (minPerGroup < 0) throw new ArgumentOutOfRangeException(nameof(minPerGroup), minPerGroup, "MinPerGroup cannot be negative.");
        foreach (var w in weights)
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentOutOfRangeException(nameof(weights), w, "Weights must be finite and non-negative.");
        long n = sizes.Sum(s => (long)s);
        if (total < 0 || total > n) throw new ArgumentOutOfRangeException(nameof(total), total, $"Cannot keep {total} of {n} records.");
        var lo = new int[g];
        for (int i = 0; i < g; i++) lo[i] = Math.Min(minPerGroup, sizes[i]);
        long floorSum = lo.Sum(v => (long)v);
        if (floorSum > total)
            throw new ArgumentOutOfRangeException(nameof(minPerGroup), minPerGroup,
                $"Keeping at least {minPerGroup} per group needs {floorSum} records, more than the {total} to keep.");

        // Continuous shares: fix groups at a bound until the free ones fit.
        var x = new double[g];
        var isFixed = new bool[g];
        while (true)
        {
            double rest = total, weight = 0;
            int free = 0;
            for (int i = 0; i < g; i++)
                if (isFixed[i]) rest -= x[i];
                else { weight += weights[i]; free++; }
            if (free == 0) break;
            bool uniform = !(weight > 0); // every free weight is 0: share what is left evenly
            double over = 0, under = 0;
            for (int i = 0; i < g; i++)
            {
                if (isFixed[i]) continue;
                x[i] = uniform ? rest / free : rest * weights[i] / weight;
                if (x[i] > sizes[i]) over += x[i] - sizes[i];
                else if (x[i] < lo[i]) under += lo[i] - x[i];
            }
            if (over == 0 && under == 0) break;
            for (int i = 0; i < g; i++)
            {
                if (isFixed[i]) continue;
                if (over >= under && x[i] > sizes[i]) { x[i] = sizes[i]; isFixed[i] = true; }
                else if (over < under && x[i] < lo[i]) { x[i] = lo[i]; isFixed[i] = true; }
            }
        }

        // Largest remainder within [lo, size].
        var quotas = new int[g];
        var remainders = new double[g];
        long assigned = 0;
        for (int i = 0; i < g; i++)
        {
            quotas[i] = Math.Clamp((int)Math.Floor(x[i]), lo[i], sizes[i]);
            remainders[i] = x[i] - Math.Floor(x[i]);
            assigned += quotas[i];
        }
        var order = Enumerable.Range(0, g).OrderByDescending(i => remainders[i]).ThenBy(i => i).ToArray();
        for (int k = 0; assigned < total; k = (k + 1) % g)
        {
            int i = order[k];
            if (quotas[i] < sizes[i]) { quotas[i]++; assigned++; }
        }
        for (int k = g - 1; assigned > total; k = (k - 1 + g) % g) // rounding noise only: give back from the smallest remainders
        {
            int i = order[k];
            if (quotas[i] > lo[i]) { quotas[i]--; assigned--; }
        }
        return quotas;
    }

    /// <summary>
    /// Chooses <paramref name="total"/> records. <paramref name="groups"/> (one key per record,
    /// or null for one group) gets per-group quotas from <see cref="Quotas"/>; inside a group
    /// Hard takes the largest distances, Easy the smallest, equal distances in input order;
    /// Random takes a seeded uniform sample (see the overload below).
    /// </summary>
    public static bool[] Select(double[]? distances, string?[]? groups, int n, int total, KeepStrategy strategy, long seed)
    {
        if (groups is not null && groups.Length != n) throw new ArgumentException("One group key per record is needed.", nameof(groups));
        var keys = groups is null ? new[] { "" } : groups.Select(g => g ?? "").Distinct(StringComparer.Ordinal).OrderBy(g => g, StringComparer.Ordinal).ToArray();
        var groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < keys.Length; g++) groupIndex[keys[g]] = g;
        var of = new int[n];
        var sizes = new int[keys.Length];
        for (int i = 0; i < n; i++) { of[i] = groups is null ? 0 : groupIndex[groups[i] ?? ""]; sizes[of[i]]++; }
        return Select(distances, of, Quotas(sizes, total), strategy, seed);
    }

    /// <summary>
    /// Keeps <paramref name="quotas"/>[g] records of every group g (<paramref name="groupOf"/>
    /// holds each record's group, 0 to G−1) by <see cref="SelectionOrder"/>: Hard takes a group's
    /// largest distances, Easy its smallest, equal distances by Id (ordinal; by input index when
    /// <paramref name="ids"/> is null); Random the records with the smallest per-Id draws of
    /// <paramref name="seed"/> (the index's decimal text is the Id when there are none); Stratified runs
    /// <see cref="StratifiedSampler"/> inside each group, groups in index order, all drawing from
    /// one generator seeded with <paramref name="seed"/>.
    /// </summary>
    public static bool[] Select(double[]? distances, int[] groupOf, int[] quotas, KeepStrategy strategy, long seed, StratifiedOptions? stratified = null,
        string[]? ids = null, StratifiedPlan[]? plans = null)
    {
        if (ids is not null && ids.Length != groupOf.Length) throw new ArgumentException("One Id per record is needed.", nameof(ids));
        int n = groupOf.Length;
        if (strategy == KeepStrategy.Auto)
            throw new ArgumentException("Auto is resolved to a concrete strategy before selection (see AutoRule).", nameof(strategy));
        if (strategy != KeepStrategy.Random && distances is null)
            throw new ArgumentException($"{strategy} selection needs a distance for every record.", nameof(distances));
        var sizes = new int[quotas.Length];
        foreach (int g in groupOf) sizes[g]++;
        for (int g = 0; g < quotas.Length; g++)
            if (quotas[g] < 0 || quotas[g] > sizes[g]) throw new ArgumentOutOfRangeException(nameof(quotas), quotas[g], $"Group {g} has {sizes[g]} records; it cannot keep {quotas[g]}.");
        var keep = new bool[n];

        if (strategy == KeepStrategy.Stratified)
        {
            if (plans is null) plans = StratifiedPlans(distances!, groupOf, quotas, stratified ?? new StratifiedOptions());
            else if (plans.Length != quotas.Length || plans.Where((p, g) => p.Takes.Sum() != quotas[g] || p.BinOf.Length != sizes[g]).Any())
                throw new ArgumentException("The Stratified plans must be those of these groups and quotas (QuotaSelector.StratifiedPlans).", nameof(plans));
            var rng = new DeterministicRandom(seed);
            var members = Members(groupOf, quotas.Length);
            for (int g = 0; g < quotas.Length; g++)
            {
                var local = StratifiedSampler.Select(plans[g], rng);
                for (int t = 0; t < local.Length; t++) if (local[t]) keep[members[g][t]] = true;
            }
            return keep;
        }

        // Preference order over all records: the first quota of each group, in this order, is kept.
        var order = Enumerable.Range(0, n).ToArray();
        var primary = new ulong[n];
        for (int i = 0; i < n; i++) primary[i] = SelectionOrder.Primary(strategy, distances?[i] ?? 0, IdOf(ids, i), seed);
        Array.Sort(order, (a, b) =>
        {
            int c = primary[a].CompareTo(primary[b]);
            if (c != 0) return c;
            if (ids is not null && (c = string.CompareOrdinal(ids[a], ids[b])) != 0) return c;
            return a.CompareTo(b);
        });
        var taken = new int[quotas.Length];
        foreach (int i in order)
        {
            int g = groupOf[i];
            if (taken[g] < quotas[g]) { keep[i] = true; taken[g]++; }
        }
        return keep;
    }

    /// <summary>
    /// Every group's CCS plan (<see cref="StratifiedSampler.Plan"/>) over its members' distances,
    /// members in input order. Computed once per selection: the selection draws from it, and the
    /// reasons and the verbose report describe it.
    /// </summary>
    public static StratifiedPlan[] StratifiedPlans(double[] distances, int[] groupOf, int[] quotas, StratifiedOptions options)
    {
        var members = Members(groupOf, quotas.Length);
        return Enumerable.Range(0, quotas.Length)
            .Select(g => StratifiedSampler.Plan(members[g].Select(i => distances[i]).ToArray(), quotas[g], options)).ToArray();
    }

    /// <summary>Each group's records, in input order.</summary>
    internal static List<int>[] Members(int[] groupOf, int groups)
    {
        var members = new List<int>[groups];
        for (int g = 0; g < groups; g++) members[g] = new List<int>();
        for (int i = 0; i < groupOf.Length; i++) members[groupOf[i]].Add(i);
        return members;
    }

    /// <summary>A record's Id for the order: its own, or its input index as decimal text.</summary>
    internal static string IdOf(string[]? ids, int i) => ids?[i] ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

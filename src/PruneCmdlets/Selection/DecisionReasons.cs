using System.Globalization;

namespace PruneCmdlets.Selection;

/// <summary>
/// The sentence each record carries in its Reason: "kept: …" or "pruned: …", what decided it and
/// within which group, so a person reading a manifest or the report never has to reconstruct a
/// policy to understand one row. Numbers are printed with just enough digits to tell a Distance
/// from the cut it is compared with.
/// </summary>
public static class DecisionReasons
{
    /// <summary>How equal distances are ordered at a cut; said in the reason of a record tied with the cut.</summary>
    public const string TieRule = "equal distances are kept in Id order (ordinal)";

    public static string[] For(SelectionPolicy policy, double[]? distances, int[] groupOf, string[] names, int[] sizes, int[] quotas,
        bool[] keep, double?[] cuts, double[]? shares, StratifiedPlan[]? plans = null)
    {
        int n = groupOf.Length;
        var reasons = new string[n];
        var scope = new string[names.Length];
        for (int g = 0; g < names.Length; g++)
        {
            string quota = $"{(policy.BalanceBy == BalanceBy.None ? "keeping" : "which keeps")} {quotas[g]} of {sizes[g]}";
            if (shares is not null) quota += $", density share {shares[g].ToString("P1", CultureInfo.InvariantCulture)}";
            scope[g] = $"{Where(policy, names[g])} ({quota})";
        }

        // A Stratified record's place in its group's plan: its rank among the group's members in input order.
        int[]? localIndex = null;
        if (policy.Keep == KeepStrategy.Stratified)
        {
            plans ??= QuotaSelector.StratifiedPlans(distances!, groupOf, quotas, policy.Stratified);
            var taken = new int[names.Length];
            localIndex = new int[n];
            for (int i = 0; i < n; i++) localIndex[i] = taken[groupOf[i]]++;
        }

        for (int i = 0; i < n; i++)
        {
            int g = groupOf[i];
            string verdict = keep[i] ? "kept" : "pruned";
            if (quotas[g] == sizes[g]) { reasons[i] = $"kept: nothing is pruned{Where(policy, names[g])} ({AllOf(sizes[g])})"; continue; }
            if (quotas[g] == 0) { reasons[i] = $"pruned: nothing is kept{scope[g]}"; continue; }
            reasons[i] = policy.Keep switch
            {
                KeepStrategy.Hard or KeepStrategy.Easy => AtCut(policy.Keep, keep[i], distances![i], cuts[g]!.Value) + scope[g],
                KeepStrategy.Random => $"{verdict}: {(keep[i] ? "drawn in" : "not drawn in")} the seeded random sample (seed {policy.Seed}){scope[g]}",
                _ => Stratified(keep[i], distances![i], plans![g], localIndex![i], policy.Stratified) + scope[g],
            };
        }
        return reasons;
    }

    private static string Where(SelectionPolicy policy, string name) => policy.BalanceBy switch
    {
        BalanceBy.None => "",
        BalanceBy.Label => $" within label '{name}'",
        _ => $" within cluster {name}",
    };

    private static string AllOf(int size) => size == 1 ? "its only record" : $"all {size} records";

    /// <summary>Hard keeps the far side of the cut, Easy the near side; a record equal to the cut was decided by the tie rule.</summary>
    private static string AtCut(KeepStrategy keep, bool kept, double d, double cut)
    {
        var (a, c) = Distinguish(d, cut);
        string side = (kept == (keep == KeepStrategy.Hard)) ? "Hard" : "Easy";
        if (d == cut)
            return kept ? $"kept: at the cut, Distance {a} = {c}" : $"pruned: tied with the cut, Distance {a} = {c}; {TieRule}";
        string op = d > cut ? ">" : "<";
        return $"{(kept ? "kept" : "pruned")}: {side} side of the cut, Distance {a} {op} {c}";
    }

    private static string Stratified(bool kept, double d, StratifiedPlan plan, int local, StratifiedOptions options)
    {
        int bin = plan.BinOf[local];
        var c = CultureInfo.InvariantCulture;
        if (bin < 0)
            return $"pruned: among the {plan.Cutoff} hardest dropped by CCS's hard cutoff {options.HardCutoff.ToString(c)}, Distance {Format(d)}";
        double width = (plan.High - plan.Low) / options.Bins;
        var (lo, hi) = Distinguish(plan.Low + bin * width, plan.Low + (bin + 1) * width);
        return $"{(kept ? "kept: drawn" : "pruned: not drawn")} from Distance bin {bin + 1} of {options.Bins} [{lo}, {hi}], which gives {plan.Takes[bin]} of its {plan.BinSizes[bin]} (CCS)";
    }

    /// <summary>Both numbers with the fewest significant digits (3 to 9) that tell them apart.</summary>
    public static (string A, string B) Distinguish(double a, double b)
    {
        var c = CultureInfo.InvariantCulture;
        for (int digits = 3; digits <= 9; digits++)
        {
            string fa = a.ToString("G" + digits, c), fb = b.ToString("G" + digits, c);
            if (fa != fb || a == b) return (fa, fb);
        }
        return (a.ToString("R", c), b.ToString("R", c));
    }

    public static string Format(double d) => d.ToString("G4", CultureInfo.InvariantCulture);
}

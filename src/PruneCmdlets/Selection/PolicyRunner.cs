using System.Globalization;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Selection;

/// <summary>
/// Runs a <see cref="SelectionPolicy"/>: groups the records, finds every group's quota (equal
/// fractions, or density shares), picks the records with <see cref="QuotaSelector"/> and says
/// for each one why it was kept or pruned. The only place a policy becomes a decision.
/// </summary>
public static class PolicyRunner
{
    /// <summary>
    /// Runs <paramref name="policy"/> on <paramref name="input"/>. Without <paramref name="explain"/>
    /// the outcome has no reasons (the probe selects hundreds of candidate sets and reads none).
    /// </summary>
    public static SelectionOutcome Run(SelectionPolicy policy, SelectionInput input, bool explain = true)
    {
        policy.Validate();
        int n = input.Count;
        if (input.Ids is not null && input.Ids.Length != n) throw new ArgumentException("One Id per record is needed.", nameof(input));
        if (policy.Keep != KeepStrategy.Random)
        {
            if (input.Distances is null) throw new SelectionInputException("MissingDistance", $"{policy.Keep} selection needs a Distance for every record.");
            if (input.Distances.Length != n) throw new ArgumentException("One distance per record is needed.", nameof(input));
            for (int i = 0; i < n; i++)
                if (!double.IsFinite(input.Distances[i])) throw input.Fault("InvalidDistance", i, $"Record {input.Name(i)} has a Distance of {input.Distances[i]}; every Distance must be a finite number.", SelectionErrorKind.InvalidData);
        }
        int total = policy.TotalFor(n, input.Excluded);
        var (groupOf, names) = Groups(policy.BalanceBy, input);
        var sizes = new int[names.Length];
        foreach (int g in groupOf) sizes[g]++;

        ClusterComplexity[]? complexity = policy.BalanceBy == BalanceBy.Density ? Complexity(input, names) : null;
        var (quotas, shares) = Quotas(policy, sizes, total, complexity);

        var plans = policy.Keep == KeepStrategy.Stratified ? QuotaSelector.StratifiedPlans(input.Distances!, groupOf, quotas, policy.Stratified) : null;
        var keep = QuotaSelector.Select(input.Distances, groupOf, quotas, policy.Keep, policy.Seed, policy.Stratified, input.Ids, plans);
        var cuts = Cuts(policy.Keep, input.Distances, groupOf, keep, sizes, quotas);
        var reasons = !explain ? null : DecisionReasons.For(policy, input.Distances, groupOf, names, sizes, quotas, keep, cuts, shares, plans);
        return new SelectionOutcome(policy, keep, reasons, groupOf, names, sizes, quotas, cuts, complexity, shares, plans);
    }

    /// <summary>
    /// Every group's quota of <paramref name="total"/>: equal fractions (largest remainder), or
    /// with a floor of MinPerGroup, or density shares from <paramref name="complexity"/>. Shared
    /// by single-process runs and the merge of a sharded one, so both split the total alike.
    /// </summary>
    public static (int[] Quotas, double[]? Shares) Quotas(SelectionPolicy policy, int[] sizes, int total, ClusterComplexity[]? complexity)
    {
        int minPerGroup = policy.BalanceBy == BalanceBy.None ? 0 : policy.EffectiveMinPerGroup;
        long floorSum = sizes.Sum(s => (long)Math.Min(s, minPerGroup));
        if (floorSum > total)
            throw new SelectionInputException("MinPerGroupTooLarge",
                $"Keeping at least {minPerGroup} record(s) in each of the {sizes.Length} groups needs {floorSum} records, but only {total} are kept; " +
                "keep more records or lower -MinPerGroup" + (policy.BalanceBy == BalanceBy.Density && policy.MinPerGroup is null ? " (-MinPerGroup 0 lets a cluster empty)." : "."));
        switch (policy.BalanceBy)
        {
            case BalanceBy.None:
                return (new[] { total }, null);
            case BalanceBy.Density:
                var shares = DensityPruning.Softmax(complexity!.Select(c => c.Complexity).ToArray(), policy.Temperature);
                return (QuotaSelector.WeightedQuotas(shares, sizes, total, minPerGroup), shares);
            default:
                return (minPerGroup == 0 ? QuotaSelector.Quotas(sizes, total)
                    : QuotaSelector.WeightedQuotas(sizes.Select(s => (double)s).ToArray(), sizes, total, minPerGroup), null);
        }
    }

    /// <summary>Each record's group and the groups' names: labels in ordinal order, clusters in numeric order.</summary>
    internal static (int[] GroupOf, string[] Names) Groups(BalanceBy balance, SelectionInput input)
    {
        int n = input.Count;
        if (balance == BalanceBy.None) return (new int[n], new[] { "(all)" });
        if (balance == BalanceBy.Label)
        {
            var labels = input.Labels ?? throw new SelectionInputException("MissingLabel", "Balancing by Label needs the records' labels.");
            var keys = labels.Select(l => l ?? "").Distinct(StringComparer.Ordinal).OrderBy(k => k, StringComparer.Ordinal).ToArray();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int g = 0; g < keys.Length; g++) index[keys[g]] = g;
            return (labels.Select(l => index[l ?? ""]).ToArray(), keys.Select(k => k.Length == 0 ? "(none)" : k).ToArray());
        }
        var clusters = input.Clusters ?? throw new SelectionInputException("MissingCluster",
            balance == BalanceBy.Cluster ? "Balancing by Cluster needs every record's Cluster: pipe the records through Invoke-KMeans first, or balance by Label."
                : "Density-based pruning needs every record's Cluster and the clusters' centroids: pipe the records through Invoke-KMeans first.");
        var ids = clusters.Distinct().OrderBy(c => c).ToArray();
        var at = new Dictionary<int, int>();
        for (int g = 0; g < ids.Length; g++) at[ids[g]] = g;
        return (clusters.Select(c => at[c]).ToArray(), ids.Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    private static ClusterComplexity[] Complexity(SelectionInput input, string[] names)
        => DensityPruning.Complexity(input.Model!, IntraParts(input, names));

    /// <summary>The additive part of every group's d_intra, after checking the model fits the records.</summary>
    internal static IntraPart[] IntraParts(SelectionInput input, string[] names)
    {
        var model = input.Model ?? throw new SelectionInputException("NoClusterModel",
            "-BalanceBy Density measures each cluster against its centroid and the other centroids, so it needs the KMeansModel the records were clustered with.");
        var vectors = input.Vectors ?? throw new SelectionInputException("NoClusterModel", "-BalanceBy Density needs the records' vectors.");
        var clusters = input.Clusters!;
        for (int i = 0; i < input.Count; i++)
        {
            if (vectors[i].Length != model.Dimension)
                throw input.Fault("ModelDimensionMismatch", i, $"Record {input.Name(i)} has {vectors[i].Length} dimensions but its KMeansModel has {model.Dimension}.");
            if (clusters[i] < 0 || clusters[i] >= model.K)
                throw input.Fault("ClusterOutOfRange", i, $"Record {input.Name(i)} is in cluster {clusters[i]}, but its KMeansModel has clusters 0 to {model.K - 1}.", SelectionErrorKind.InvalidData);
        }
        var ids = names.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return DensityPruning.IntraSums(model, vectors, clusters, ids);
    }

    /// <summary>Hard keeps distances at or above its group's cut, Easy at or below: the cut is the last kept record's Distance.</summary>
    private static double?[] Cuts(KeepStrategy keep, double[]? distances, int[] groupOf, bool[] kept, int[] sizes, int[] quotas)
    {
        var cuts = new double?[sizes.Length];
        if (keep is not (KeepStrategy.Hard or KeepStrategy.Easy)) return cuts;
        for (int i = 0; i < groupOf.Length; i++)
        {
            int g = groupOf[i];
            if (!kept[i] || quotas[g] == 0 || quotas[g] == sizes[g]) continue;
            double d = distances![i];
            if (cuts[g] is not { } c || (keep == KeepStrategy.Hard ? d < c : d > c)) cuts[g] = d;
        }
        return cuts;
    }
}

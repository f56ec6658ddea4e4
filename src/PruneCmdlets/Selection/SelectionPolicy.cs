using System.Globalization;
using PruneCmdlets.Clustering;

namespace PruneCmdlets.Selection;

/// <summary>
/// A whole pruning policy: what to keep, how much, and how the total is split across groups.
/// Select-PrunedSet, Test-PruningStrategy, the stability measure and the report all run a
/// policy through <see cref="PolicySelector"/>, so each of them keeps exactly the same records.
/// </summary>
public sealed record SelectionPolicy
{
    public KeepStrategy Keep { get; init; } = KeepStrategy.Hard;

    /// <summary>Fraction of the records to keep, in (0, 1]; null when <see cref="KeepCount"/> is given.</summary>
    public double? KeepFraction { get; init; }

    /// <summary>Records to keep; more than the input keeps everything.</summary>
    public int? KeepCount { get; init; }

    public BalanceBy BalanceBy { get; init; } = BalanceBy.None;

    /// <summary>Each group keeps at least min(this, its size); null takes the default: 1 for Density (no cluster is emptied), 0 otherwise.</summary>
    public int? MinPerGroup { get; init; }

    /// <summary>τ of the density softmax (Density only).</summary>
    public double Temperature { get; init; } = DensityPruning.DefaultTemperature;

    /// <summary>CCS's hard cutoff and bins (Stratified only).</summary>
    public StratifiedOptions Stratified { get; init; } = new();

    /// <summary>Seed of the Random and Stratified draws.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Find-DataIssue issues (LabelError, Outlier, Duplicate, Leak) whose records are pruned
    /// before the policy runs (Select-PrunedSet -Exclude). The caller leaves those records out of
    /// the input and counts them in <see cref="SelectionInput.Excluded"/>: the amount to keep is
    /// an amount of every record, the excluded ones included.
    /// </summary>
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    public int EffectiveMinPerGroup => MinPerGroup ?? (BalanceBy == BalanceBy.Density ? 1 : 0);

    /// <summary>
    /// Records kept of <paramref name="n"/> candidates when <paramref name="excluded"/> more were
    /// pruned for their issues first: round(f·(N + excluded)) (at least 1) for a fraction,
    /// the count for a count, never more than the N candidates.
    /// </summary>
    public int TotalFor(int n, long excluded = 0)
        => Math.Min(n, KeepFraction is { } f ? PruneSelector.CountForFraction(f, checked((int)(n + excluded))) : KeepCount ?? n);

    public void Validate()
    {
        if (Keep == KeepStrategy.Auto) throw new ArgumentException("Auto is resolved to a concrete strategy before selection (see AutoRule).", nameof(Keep));
        if (KeepFraction is null == KeepCount is null) throw new ArgumentException("A policy keeps either a fraction or a count.");
        if (KeepFraction is { } f && !(f > 0 && f <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepFraction), f, "KeepFraction must be in (0, 1].");
        if (KeepCount is < 0) throw new ArgumentOutOfRangeException(nameof(KeepCount), KeepCount, "KeepCount cannot be negative.");
        if (MinPerGroup is < 0) throw new ArgumentOutOfRangeException(nameof(MinPerGroup), MinPerGroup, "MinPerGroup cannot be negative.");
        if (!(Temperature > 0) || double.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "The temperature must be a positive number.");
        Stratified.Validate();
    }

    /// <summary>One line a person reads, e.g. "Hard, keep 0.8, balanced by Label, seed 0".</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string amount = KeepFraction is { } f ? "keep " + f.ToString("0.####", c) : "keep " + KeepCount?.ToString(c) + " records";
        return $"{Keep}, {amount}" +
            (BalanceBy == BalanceBy.None ? "" : $", balanced by {BalanceBy}") +
            (BalanceBy == BalanceBy.Density ? $" (temperature {Temperature.ToString(c)})" : "") +
            (EffectiveMinPerGroup > 0 && BalanceBy != BalanceBy.None ? $", at least {EffectiveMinPerGroup} per group" : "") +
            (Keep == KeepStrategy.Stratified ? $" (CCS hard cutoff {Stratified.HardCutoff.ToString(c)}, {Stratified.Bins} bins)" : "") +
            (Keep is KeepStrategy.Random or KeepStrategy.Stratified ? $", seed {Seed}" : "") +
            (Exclude.Count > 0 ? $", after excluding {string.Join(", ", Exclude)}" : "");
    }
}

/// <summary>What a policy selects from: one entry per record, in input order.</summary>
public sealed class SelectionInput
{
    public SelectionInput(int count) => Count = count;

    public int Count { get; }

    /// <summary>Records pruned for their issues before the policy (<see cref="SelectionPolicy.Exclude"/>), not in the input but counted in the amount to keep.</summary>
    public int Excluded { get; init; }


    /// <summary>
    /// Each record's Id: equal distances are kept in Id order (ordinal) and Random draws per Id,
    /// so the selection does not depend on input order. Null: input index breaks ties and its
    /// decimal text is the Id Random draws by.
    /// </summary>
    public string[]? Ids { get; init; }

    /// <summary>Each record's Distance; needed by every strategy except Random.</summary>
    public double[]? Distances { get; init; }

    /// <summary>Each record's label (null or empty for none); needed by BalanceBy Label.</summary>
    public string?[]? Labels { get; init; }

    /// <summary>Each record's k-means cluster; needed by BalanceBy Cluster and Density.</summary>
    public int[]? Clusters { get; init; }

    /// <summary>The model the clusters come from and the raw vectors: BalanceBy Density measures each cluster's complexity with them.</summary>
    public KMeansModel? Model { get; init; }

    public IReadOnlyList<ReadOnlyMemory<float>>? Vectors { get; init; }
}

/// <summary>A record the policy cannot use, or a policy the records cannot satisfy: a stable id, and the record at fault when there is one.</summary>
public sealed class SelectionInputException : ArgumentException
{
    public SelectionInputException(string errorId, string message, int record = -1) : base(message)
    {
        ErrorId = errorId;
        Record = record;
    }

    /// <summary>Stable identifier the cmdlets report as their ErrorId.</summary>
    public string ErrorId { get; }

    /// <summary>Input index of the record at fault, or −1.</summary>
    public int Record { get; }
}

/// <summary>Everything a policy decided, per record and per group.</summary>
public sealed class SelectionOutcome
{
    internal SelectionOutcome(SelectionPolicy policy, bool[] keep, string[]? reasons, int[] groupOf, string[] groupNames, int[] sizes, int[] quotas,
        double?[] cuts, ClusterComplexity[]? complexity, double[]? shares, StratifiedPlan[]? stratifiedPlans = null)
    {
        Policy = policy; Keep = keep; Reasons = reasons; GroupOf = groupOf; GroupNames = groupNames; GroupSizes = sizes; Quotas = quotas;
        Cuts = cuts; Complexity = complexity; Shares = shares; StratifiedPlans = stratifiedPlans;
    }

    public SelectionPolicy Policy { get; }

    /// <summary>The keep flag of every record, in input order.</summary>
    public bool[] Keep { get; }

    /// <summary>Why each record was kept or pruned, in input order; null when the run was asked not to explain.</summary>
    public string[]? Reasons { get; }

    /// <summary>Each record's group, 0 to G−1.</summary>
    public int[] GroupOf { get; }

    /// <summary>Group names: "(all)" without balancing, labels in ordinal order ("(none)" for unlabelled), clusters in numeric order.</summary>
    public string[] GroupNames { get; }

    public int[] GroupSizes { get; }
    public int[] Quotas { get; }

    /// <summary>
    /// Per group, the Distance at the cut for Hard and Easy (the last kept record's); null where
    /// the group keeps everything or nothing, and for Random and Stratified, which have no cut.
    /// </summary>
    public double?[] Cuts { get; }

    /// <summary>BalanceBy Density: each group's complexity and softmax share.</summary>
    public ClusterComplexity[]? Complexity { get; }
    public double[]? Shares { get; }

    /// <summary>Stratified: every group's CCS plan (cutoff, bins, takes), the one the selection drew from.</summary>
    public StratifiedPlan[]? StratifiedPlans { get; }

    public int Kept => Keep.Count(k => k);
}

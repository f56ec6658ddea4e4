using System.Globalization;
using PruneCmdlets.Clustering;

namespace PruneCmdlets.Selection;

/// <summary>
/// A whole pruning policy: what to keep, how much, and how the total is split across groups.
/// Select-PrunedSet, Test-PruningStrategy, the stability measure and the report all run a
/// policy through <see cref="PolicyRunner"/>, so each of them keeps exactly the same records.
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
        => Math.Min(n, KeepFraction is { } f ? QuotaSelector.CountForFraction(f, checked((int)(n + excluded))) : KeepCount ?? n);

    /// <summary>
    /// Checks the whole policy before a selection: a concrete strategy, a fraction or a count,
    /// and every number in its range (<see cref="CheckRanges"/>).
    /// </summary>
    public void Validate()
    {
        if (Keep == KeepStrategy.Auto) throw new ArgumentException("Auto is resolved to a concrete strategy before selection (see AutoRule).", nameof(Keep));
        if (KeepFraction is null == KeepCount is null) throw new ArgumentException("A policy keeps either a fraction or a count.");
        CheckRanges();
    }

    /// <summary>
    /// The ranges of the numbers a caller gives, with the ErrorIds and messages the cmdlets
    /// report: the one place they are checked. Valid before -Keep Auto is resolved and before a
    /// recommendation brings the amount, so a cmdlet checks a call as soon as it binds.
    /// </summary>
    public void CheckRanges()
    {
        if (KeepFraction is { } f && !(f > 0 && f <= 1)) throw KeepFractionOutOfRange(f);
        if (KeepCount is < 0)
            throw new SelectionInputException("InvalidKeepCount", $"-KeepCount cannot be negative; got {KeepCount}.") { Target = KeepCount };
        if (MinPerGroup is < 0)
            throw new SelectionInputException("InvalidMinPerGroup", $"-MinPerGroup cannot be negative; got {MinPerGroup}.") { Target = MinPerGroup };
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new SelectionInputException("InvalidTemperature",
                $"-Temperature must be a positive number; got {Temperature}. Smaller values favour complex clusters more strongly.") { Target = Temperature };
        Stratified.Validate();
    }

    /// <summary>
    /// A keep fraction outside (0, 1], for every caller that takes one (the policy cmdlets and
    /// each of Test-PruningStrategy's list, which has no count to offer): reported as an
    /// ArgumentOutOfRangeException of -KeepFraction.
    /// </summary>
    public static SelectionInputException KeepFractionOutOfRange(double value, bool countAlternative = true)
        => new("InvalidKeepFraction",
            $"-KeepFraction must be greater than 0 and at most 1; got {value.ToString(CultureInfo.InvariantCulture)}." +
            (countAlternative ? " Use -KeepCount for an absolute number." : ""))
        { Target = value, OutOfRangeParameter = "KeepFraction" };

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

    /// <summary>Record <paramref name="i"/> as a message names it: its Id in quotes, or its index when the input has no Ids.</summary>
    internal string Name(int i) => Ids is { } ids ? $"'{ids[i]}'" : i.ToString(CultureInfo.InvariantCulture);

    /// <summary>The error for record <paramref name="i"/>, named by its Id in the message and as the target.</summary>
    internal SelectionInputException Fault(string errorId, int i, string message, SelectionErrorKind kind = SelectionErrorKind.InvalidArgument)
        => new(errorId, message, i, Ids?[i], kind);
}

/// <summary>How a selection error is reported: a call that asks for something impossible, or data that cannot be used.</summary>
public enum SelectionErrorKind
{
    InvalidArgument,
    InvalidData,
}

/// <summary>
/// A record the policy cannot use, a policy the records cannot satisfy, or a number out of its
/// range: everything a cmdlet needs to report it without rewording it (a stable ErrorId, its
/// kind, the record at fault by index and Id, and what to name as the error's target).
/// </summary>
public sealed class SelectionInputException : ArgumentException
{
    public SelectionInputException(string errorId, string message, int record = -1) : base(message)
    {
        ErrorId = errorId;
        Record = record;
    }

    /// <summary>A record at fault, known by its Id; the message already names it.</summary>
    public SelectionInputException(string errorId, string message, int record, string? targetId, SelectionErrorKind kind = SelectionErrorKind.InvalidArgument)
        : this(errorId, message, record)
    {
        TargetId = targetId;
        Kind = kind;
    }

    /// <summary>Stable identifier the cmdlets report as their ErrorId.</summary>
    public string ErrorId { get; }

    /// <summary>Input index of the record at fault, or −1.</summary>
    public int Record { get; }

    /// <summary>The Id of the record at fault, when there is one and it has an Id.</summary>
    public string? TargetId { get; init; }

    public SelectionErrorKind Kind { get; init; } = SelectionErrorKind.InvalidArgument;

    /// <summary>What the error names as its target when it is not a record by index: the record itself, or the value out of range.</summary>
    public object? Target { get; init; }

    /// <summary>Set when the error is a parameter's value out of its range, reported as an ArgumentOutOfRangeException of that parameter.</summary>
    public string? OutOfRangeParameter { get; init; }
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

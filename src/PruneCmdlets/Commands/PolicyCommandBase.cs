using System.Management.Automation;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// The policy parameters (-KeepFraction or -KeepCount, -Keep, -BalanceBy, -MinPerGroup,
/// -Temperature), declared once for every cmdlet that takes a policy (Select-PrunedSet,
/// Measure-SelectionStability, Measure-ShardSummary), with the one check of a call: a word that
/// does not apply (ParameterNotApplicable), then the ranges of the core
/// (<see cref="SelectionPolicy.CheckRanges"/>). PSCompression's CommandWithPathBase is the pattern.
/// -KeepFraction is declared by each cmdlet because its position differs (Measure-ShardSummary
/// takes -Path first); <see cref="StratifiedPolicyCommandBase"/> adds Stratified's words.
/// </summary>
public abstract class PolicyCommandBase : PSCmdlet
{
    protected const string FractionSet = "Fraction";
    protected const string CountSet = "Count";

    public abstract double KeepFraction { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CountSet)]
    [ValidateRange(0, int.MaxValue)]
    public int KeepCount { get; set; }

    [Parameter]
    public KeepStrategy Keep { get; set; } = KeepStrategy.Hard;

    [Parameter]
    public BalanceBy BalanceBy { get; set; } = BalanceBy.None;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinPerGroup { get; set; }

    [Parameter]
    public double Temperature { get; set; } = DensityPruning.DefaultTemperature;

    protected bool Given(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    /// <summary>The fraction the call asks for; null with -KeepCount (and where the amount comes later, as with -Recommendation).</summary>
    protected virtual double? FractionWord => ParameterSetName == CountSet ? null : KeepFraction;

    /// <summary>CCS's options when the cmdlet takes -HardCutoff and -Bins, and which of them the call named.</summary>
    protected virtual (StratifiedOptions Options, string? Given) StratifiedWords => (new StratifiedOptions(), null);

    /// <summary>The seed of the policy's draws, for cmdlets that take one seed.</summary>
    protected virtual long PolicySeed => 0;

    /// <summary>The Find-DataIssue issues pruned first, for cmdlets that take -Exclude.</summary>
    protected virtual IReadOnlyList<string> PolicyExclude => Array.Empty<string>();

    /// <summary>Every policy word this cmdlet takes, for a parameter set that carries the policy in a file (-Cut, -Plan).</summary>
    protected virtual IEnumerable<string> PolicyWords => new[] { nameof(Keep), nameof(BalanceBy), nameof(MinPerGroup), nameof(Temperature) };

    /// <summary>The policy the call's words make (KeepFraction null with -KeepCount, MinPerGroup null when not given).</summary>
    protected SelectionPolicy Policy() => new()
    {
        Keep = Keep,
        KeepFraction = FractionWord,
        KeepCount = ParameterSetName == CountSet ? KeepCount : null,
        BalanceBy = BalanceBy,
        MinPerGroup = Given(nameof(MinPerGroup)) ? MinPerGroup : null,
        Temperature = Temperature,
        Stratified = StratifiedWords.Options,
        Seed = PolicySeed,
        Exclude = PolicyExclude,
    };

    /// <summary>Ends the command when the call's policy words do not apply to each other or a number is out of its range.</summary>
    protected void CheckPolicy()
    {
        var p = Policy();
        if (Given(nameof(Temperature)) && p.BalanceBy != BalanceBy.Density) NotApplicable("-Temperature", "-BalanceBy Density");
        if (StratifiedWords.Given is { } s && p.Keep != KeepStrategy.Stratified) NotApplicable(s, "-Keep Stratified");
        if (p.MinPerGroup is not null && p.BalanceBy == BalanceBy.None) NotApplicable("-MinPerGroup", "-BalanceBy Label, Cluster or Density");
        this.Core(p.CheckRanges);
    }

    /// <summary>Ends the command when a policy word is given beside a file (<paramref name="carrier"/>) that carries the whole policy.</summary>
    protected void RefusePolicyWords(string carrier, string file)
    {
        foreach (var p in PolicyWords)
            if (Given(p))
                ThrowTerminatingError(ErrorHelper.NotApplicable(p, $"{carrier} carries the whole policy the {file} were made with; remove -{p}."));
    }

    /// <summary>
    /// The records of one shard as a selection input, checked the way a sharded run needs
    /// (<see cref="SelectionCandidates.CheckShard"/>), with the records the policy's Exclude prunes first.
    /// </summary>
    protected (SelectionInput Input, string? Model, SelectionCandidates Candidates) ShardInput(List<EmbeddingRecord> records, SelectionPolicy policy)
    {
        var candidates = this.Core(() => SelectionCandidates.Of(records, policy.Exclude));
        var (model, fingerprint) = this.Core(() => candidates.CheckShard(policy));
        if (policy.BalanceBy == BalanceBy.Density) RecordCollector.EnsureSourcesUnchanged(this, candidates.Records);
        return (candidates.Input(policy, model), fingerprint, candidates);
    }

    private void NotApplicable(string parameter, string needs)
        => ThrowTerminatingError(ErrorHelper.NotApplicable(parameter.TrimStart('-'), $"{parameter} only applies with {needs}; remove it or add {needs}."));
}

/// <summary>The policy parameters with CCS's -HardCutoff and -Bins, and -KeepFraction first: Select-PrunedSet and Measure-SelectionStability.</summary>
public abstract class StratifiedPolicyCommandBase : PolicyCommandBase
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FractionSet)]
    public override double KeepFraction { get; set; }

    [Parameter]
    public double HardCutoff { get; set; } = StratifiedOptions.DefaultHardCutoff;

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Bins { get; set; } = StratifiedOptions.DefaultBins;

    protected override (StratifiedOptions Options, string? Given) StratifiedWords
        => (new StratifiedOptions { HardCutoff = HardCutoff, Bins = Bins }, Given(nameof(HardCutoff)) ? "-HardCutoff" : Given(nameof(Bins)) ? "-Bins" : null);

    protected override IEnumerable<string> PolicyWords => base.PolicyWords.Concat(new[] { nameof(HardCutoff), nameof(Bins) });
}

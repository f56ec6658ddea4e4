using System.Globalization;
using System.Management.Automation;
using PruneCmdlets.Clustering;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// Keeps a fraction or a count of the scored records and emits them in input order: the
/// hardest (largest Distance), the easiest, a seeded random sample, or a stratified sample
/// (CCS), optionally split over classes or clusters: the same fraction inside every group, or
/// cluster shares by concept complexity (density-based pruning). -Invert emits the pruned
/// records instead.
/// </summary>
[Cmdlet(VerbsCommon.Select, "PrunedSet", DefaultParameterSetName = FractionSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class SelectPrunedSetCommand : StratifiedPolicyCommandBase
{
    private const string RecommendationSet = "Recommendation";
    private const string CutSet = "Cut";
    private readonly List<EmbeddingRecord> _records = new();
    private IReadOnlySet<EmbeddingRecord>? _excluded;
    private int _seen;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = RecommendationSet)]
    public PruneCmdlets.Probing.PruningRecommendation? Recommendation { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CutSet)]
    public string? Cut { get; set; }

    [Parameter]
    public long Seed { get; set; }

    [Parameter]
    public PruneCmdlets.Issues.DataIssueKind[]? Exclude { get; set; }

    [Parameter]
    public SwitchParameter Invert { get; set; }

    [Parameter]
    public SwitchParameter IncludePruned { get; set; }

    [Parameter]
    public string? Override { get; set; }

    private PruneCmdlets.Review.OverrideSet? _overrides;

    // -Recommendation brings its fraction, which is known once -Keep Auto is resolved.
    protected override double? FractionWord => ParameterSetName == RecommendationSet && Keep == KeepStrategy.Auto ? null : base.FractionWord;

    protected override long PolicySeed => Seed;

    protected override IReadOnlyList<string> PolicyExclude => Exclude?.Select(k => k.ToString()).Distinct().ToArray() ?? Array.Empty<string>();

    protected override IEnumerable<string> PolicyWords => new[] { nameof(Exclude) }.Concat(base.PolicyWords).Append(nameof(Seed));

    protected override void BeginProcessing()
    {
        if (ParameterSetName == CutSet) RefusePolicyWords("-Cut", "shard summaries");
        if (ParameterSetName == RecommendationSet && Keep != KeepStrategy.Auto)
            ThrowTerminatingError(ErrorHelper.Terminating("RecommendationNeedsAuto", ErrorCategory.InvalidArgument,
                $"-Recommendation chooses the strategy; use it with -Keep Auto, not -Keep {Keep}."));
        if (Invert && IncludePruned)
            ThrowTerminatingError(ErrorHelper.NotApplicable("IncludePruned",
                "-Invert emits only the pruned records and -IncludePruned emits every record with its Kept flag; use one of them."));
        if (ParameterSetName != CutSet) CheckPolicy();
        // Read before any record: a file that cannot be applied ends the command before the work.
        if (Override is not null) _overrides = Overrides.Read(this, Override);
    }

    protected override void ProcessRecord() => RecordAdapter.AddTo(_records, InputObject, ref _seen, this);

    protected override void EndProcessing()
    {
        if (ParameterSetName == CutSet) { ApplyCut(); return; } // a shard may hold no records at all
        var outcome = Decide();
        Emit(outcome);
    }

    /// <summary>
    /// The policy's decisions over the records no earlier stage pruned (those keep that decision
    /// and are not counted: the policy selects from the records still in the set), with -Keep
    /// Auto resolved and -Exclude applied first, and what was chosen said with -Verbose.
    /// </summary>
    private SelectionOutcome Decide()
    {
        var undecided = SelectionCandidates.UndecidedOf(_records);
        if (undecided.Count == 0)
        {
            if (_records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Select-PrunedSet"));
            ThrowTerminatingError(ErrorHelper.Terminating("NothingLeftToSelect", ErrorCategory.InvalidData,
                $"All {_records.Count} records arrived already pruned (Kept = false); there is nothing left to select from.", _records[0]));
        }
        var policy = Policy();
        if (policy.Keep == KeepStrategy.Auto)
        {
            var auto = AutoRule.Resolve(policy, undecided, Recommendation, Given(nameof(BalanceBy)), Given(nameof(Exclude)));
            policy = auto.Policy;
            WriteVerbose(auto.Explanation);
            if (auto.Warning is { } warning) WriteWarning(warning);
        }
        // -Exclude: flagged records are pruned first; the policy's amount stays an amount of every
        // candidate (SelectionInput.Excluded), so excluding wrong records does not shrink what is kept.
        var candidates = this.Core(() => SelectionCandidates.Of(_records, policy.Exclude));
        _excluded = candidates.Excluded;
        var records = candidates.Records;
        int n = records.Count;
        if (_excluded.Count > 0 || policy.Exclude.Count > 0)
        {
            int all = candidates.Undecided.Count;
            int wanted = policy.KeepCount ?? QuotaSelector.CountForFraction(policy.KeepFraction!.Value, all);
            WriteVerbose($"-Exclude {string.Join(", ", policy.Exclude)}: {_excluded.Count} of {all} records pruned for their issues first; the policy keeps {Math.Min(wanted, n)} ({wanted} of {all}) from the other {n}.");
            if (wanted > n) WriteWarning($"Only {n} records are left after -Exclude, fewer than the {wanted} to keep; all of them are kept.");
            if (n == 0)
                ThrowTerminatingError(ErrorHelper.Terminating("NothingLeftToSelect", ErrorCategory.InvalidData,
                    $"Every record carries an excluded issue ({string.Join(", ", policy.Exclude)}); there is nothing left to select from.", _records[0]));
        }
        this.Core(() => candidates.CheckFields(policy));
        if (policy.KeepCount is { } count && count > n)
            WriteWarning($"-KeepCount {count} is more than the {n} records received; all are kept.");
        if (policy.BalanceBy == BalanceBy.Label)
        {
            int unlabelled = records.Count(r => string.IsNullOrEmpty(r.Label));
            if (unlabelled > 0) WriteWarning($"{unlabelled} record(s) have no Label; they are balanced as one group of their own.");
        }
        // Density checks this in SharedModel, beside the model it needs.
        if (policy.BalanceBy == BalanceBy.Cluster) RecordCollector.EnsureOneClustering(this, records, "balance each model's records separately.");
        var model = policy.BalanceBy == BalanceBy.Density ? RecordCollector.SharedModel(this, records) : null;
        if (policy.BalanceBy == BalanceBy.Density) RecordCollector.EnsureSourcesUnchanged(this, records);
        var input = candidates.Input(policy, model);
        var outcome = this.Core(() => PolicyRunner.Run(policy, input), records);

        int total = outcome.Kept;
        WriteVerbose($"Keeping {total} of {n} records ({(double)total / n:P1}): {policy}" +
            (n < _records.Count ? $"; {_records.Count - n} record(s) arrived already pruned and pass through" : "") +
            (Invert ? "; emitting the pruned records (-Invert)." : IncludePruned ? "; emitting every record with its decision (-IncludePruned)." : "."));
        if (policy.Keep == KeepStrategy.Stratified) ReportStrata(outcome);
        if (policy.BalanceBy != BalanceBy.None)
            for (int g = 0; g < outcome.GroupNames.Length; g++)
            {
                int kept = 0;
                for (int i = 0; i < n; i++) if (outcome.GroupOf[i] == g && outcome.Keep[i]) kept++;
                string detail = outcome.Complexity is not { } complexity ? "" :
                    string.Format(CultureInfo.InvariantCulture, " (d_intra {0:G4}, d_inter {1:G4}, complexity {2:G4}, share {3:P1})",
                        complexity[g].IntraDistance, complexity[g].InterDistance, complexity[g].Complexity, outcome.Shares![g]);
                WriteVerbose($"  {policy.BalanceBy} {outcome.GroupNames[g]}{detail}: kept {kept}/{outcome.GroupSizes[g]}");
            }
        return outcome;
    }

    /// <summary>
    /// Emits the records in input order with their decisions; those an earlier stage pruned pass
    /// through with -Invert and -IncludePruned. -Override applies the review to every record's
    /// decision (those an earlier stage pruned included) before the records are emitted.
    /// </summary>
    private void Emit(SelectionOutcome outcome)
    {
        var decided = new List<EmbeddingRecord>(_records.Count);
        int c = 0;
        foreach (var r in _records)
        {
            if (r.Kept == false) decided.Add(r);
            else if (_excluded?.Contains(r) == true) decided.Add(r.WithDecision(false, Exclusion.Reason(r, outcome.Policy.Exclude), outcome));
            else
            {
                decided.Add(r.WithDecision(outcome.Keep[c], outcome.Reasons![c], outcome));
                c++;
            }
        }
        if (_overrides is not null)
            foreach (var change in Overrides.Resolve(this, _overrides, decided.Select(r => (r.Id, r.Kept != false)).ToList()))
                decided[change.Index] = decided[change.Index].WithDecision(change.Kept, change.Reason);
        foreach (var d in decided)
            if (IncludePruned || (d.Kept != false) != Invert.IsPresent) WriteObject(d);
    }

    /// <summary>
    /// -Cut: this shard's records kept or pruned by the global cut that Merge-ShardSummary found
    /// from every shard's summaries, with the same reasons one process would give them.
    /// </summary>
    private void ApplyCut()
    {
        string path = GetUnresolvedProviderPathFromPSPath(Cut!);
        PruneCmdlets.Sharding.ShardPlanDocument cut;
        try { cut = PruneCmdlets.Sharding.ShardFiles.ReadPlan(path, PruneCmdlets.Sharding.ShardPlanDocument.CutFormat, out _); }
        catch (PruneCmdlets.Sharding.ShardFileException e) { ThrowTerminatingError(ErrorHelper.ShardFile(e)); return; }
        var policy = cut.Policy.ToPolicy();
        var (input, model, candidates) = ShardInput(_records, policy);
        _excluded = candidates.Excluded;
        SelectionOutcome outcome;
        try { outcome = PruneCmdlets.Sharding.ShardedSelection.Decide(cut, input, model); }
        catch (Exception e) when (e is PruneCmdlets.Sharding.ShardFileException or SelectionInputException)
        {
            ThrowTerminatingError(ErrorHelper.Shard(e, candidates.Records));
            return;
        }
        WriteVerbose($"Keeping {outcome.Kept} of this shard's {input.Count} records by the cut in '{path}' ({cut.Total} of {cut.Records} kept over {cut.ShardCount} shards): {policy}.");
        Emit(outcome);
    }

    private void ReportStrata(SelectionOutcome outcome)
    {
        var options = outcome.Policy.Stratified;
        for (int g = 0; g < outcome.GroupNames.Length; g++)
        {
            var plan = outcome.StratifiedPlans![g];
            int size = outcome.GroupSizes[g];
            int requested = (int)Math.Floor(options.HardCutoff * size);
            string scope = outcome.Policy.BalanceBy == BalanceBy.None ? "" : $"{outcome.Policy.BalanceBy} {outcome.GroupNames[g]}: ";
            WriteVerbose($"  {scope}hard cutoff dropped {plan.Cutoff} of {size}" +
                (plan.Cutoff < requested ? $" (not {requested}: the budget of {outcome.Quotas[g]} needs the rest)" : "") +
                $"; {plan.BinSizes.Count(s => s > 0)} of {options.Bins} bins over Distance {plan.Low:G4}..{plan.High:G4} are non-empty.");
        }
    }
}

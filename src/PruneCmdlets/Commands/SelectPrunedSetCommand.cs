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
public sealed class SelectPrunedSetCommand : PSCmdlet
{
    private const string FractionSet = "Fraction";
    private const string CountSet = "Count";
    private const string RecommendationSet = "Recommendation";
    private const string CutSet = "Cut";
    private readonly List<EmbeddingRecord> _records = new();
    private HashSet<EmbeddingRecord>? _excluded;
    private int _seen;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FractionSet)]
    public double KeepFraction { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CountSet)]
    [ValidateRange(0, int.MaxValue)]
    public int KeepCount { get; set; }

    [Parameter]
    public KeepStrategy Keep { get; set; } = KeepStrategy.Hard;

    [Parameter(Mandatory = true, ParameterSetName = RecommendationSet)]
    public PruneCmdlets.Probing.PruningRecommendation? Recommendation { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CutSet)]
    public string? Cut { get; set; }

    [Parameter]
    public BalanceBy BalanceBy { get; set; } = BalanceBy.None;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinPerGroup { get; set; }

    [Parameter]
    public double Temperature { get; set; } = DensityPruning.DefaultTemperature;

    [Parameter]
    public double HardCutoff { get; set; } = StratifiedOptions.DefaultHardCutoff;

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Bins { get; set; } = StratifiedOptions.DefaultBins;

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

    private bool Given(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    protected override void BeginProcessing()
    {
        if (ParameterSetName == CutSet)
            foreach (var p in new[] { nameof(Exclude), nameof(Keep), nameof(BalanceBy), nameof(MinPerGroup), nameof(Temperature), nameof(HardCutoff), nameof(Bins), nameof(Seed) })
                if (Given(p))
                    ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                        $"-Cut carries the whole policy the shard summaries were made with; remove -{p}.", p));
        if (ParameterSetName == RecommendationSet && Keep != KeepStrategy.Auto)
            ThrowTerminatingError(ErrorHelper.Terminating("RecommendationNeedsAuto", ErrorCategory.InvalidArgument,
                $"-Recommendation chooses the strategy; use it with -Keep Auto, not -Keep {Keep}."));
        if (Invert && IncludePruned)
            ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                "-Invert emits only the pruned records and -IncludePruned emits every record with its Kept flag; use one of them.", "IncludePruned"));
        if (ParameterSetName != CutSet && Arguments().Check() is { } error) ThrowTerminatingError(error);
        // Read before any record: a file that cannot be applied ends the command before the work.
        if (Override is not null) _overrides = Overrides.Read(this, Override);
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        var r = InputObject.BaseObject as EmbeddingRecord ?? RecordAdapter.TryAdapt(InputObject, _seen);
        _seen++;
        if (r is null) { WriteError(ErrorHelper.MissingVector(InputObject)); return; }
        _records.Add(r);
    }

    protected override void EndProcessing()
    {
        // Records an earlier stage pruned (Invoke-SemDeDup -IncludePruned) keep that decision and
        // are not counted: the policy selects from the records still in the set.
        if (ParameterSetName == CutSet) { ApplyCut(); return; } // a shard may hold no records at all
        var candidates = _records.Where(r => r.Kept != false).ToList();
        int n = candidates.Count;
        if (n == 0)
        {
            if (_records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Select-PrunedSet"));
            ThrowTerminatingError(ErrorHelper.Terminating("NothingLeftToSelect", ErrorCategory.InvalidData,
                $"All {_records.Count} records arrived already pruned (Kept = false); there is nothing left to select from.", _records[0]));
        }
        if (Keep == KeepStrategy.Auto) ResolveAuto(candidates);
        // -Exclude: flagged records are pruned first; the policy's amount stays an amount of every
        // candidate (SelectionInput.Excluded), so excluding wrong records does not shrink what is kept.
        var policy = Arguments().Policy;
        int all = n;
        _excluded = Exclusion.Flagged(this, candidates, policy.Exclude);
        if (_excluded.Count > 0 || policy.Exclude.Count > 0)
        {
            candidates = candidates.Where(r => !_excluded.Contains(r)).ToList();
            n = candidates.Count;
            int wanted = ParameterSetName == CountSet ? KeepCount : PruneSelector.CountForFraction(KeepFraction, all);
            WriteVerbose($"-Exclude {string.Join(", ", policy.Exclude)}: {_excluded.Count} of {all} records pruned for their issues first; the policy keeps {Math.Min(wanted, n)} ({wanted} of {all}) from the other {n}.");
            if (wanted > n) WriteWarning($"Only {n} records are left after -Exclude, fewer than the {wanted} to keep; all of them are kept.");
            if (n == 0)
                ThrowTerminatingError(ErrorHelper.Terminating("NothingLeftToSelect", ErrorCategory.InvalidData,
                    $"Every record carries an excluded issue ({string.Join(", ", policy.Exclude)}); there is nothing left to select from.", _records[0]));
        }
        if (Keep != KeepStrategy.Random)
        {
            var missing = candidates.FirstOrDefault(r => r.Distance is null);
            if (missing is not null)
                ThrowTerminatingError(ErrorHelper.Terminating("MissingDistance", ErrorCategory.InvalidArgument,
                    $"Record '{missing.Id}' has no Distance: pipe the records through Measure-Prototypicality first, or use -Keep Random.", missing));
        }
        if (ParameterSetName == CountSet && KeepCount > n)
            WriteWarning($"-KeepCount {KeepCount} is more than the {n} records received; all are kept.");
        if (BalanceBy == BalanceBy.Label)
        {
            int unlabelled = candidates.Count(r => string.IsNullOrEmpty(r.Label));
            if (unlabelled > 0) WriteWarning($"{unlabelled} record(s) have no Label; they are balanced as one group of their own.");
        }
        if (BalanceBy is BalanceBy.Cluster or BalanceBy.Density)
        {
            var missing = candidates.FirstOrDefault(r => r.Cluster is null);
            if (missing is not null)
                ThrowTerminatingError(ErrorHelper.Terminating("MissingCluster", ErrorCategory.InvalidArgument,
                    $"Record '{missing.Id}' has no Cluster: pipe the records through Invoke-KMeans first" +
                    (BalanceBy == BalanceBy.Cluster ? ", or balance by Label." : "; density-based pruning needs the clusters and their centroids."), missing));
            // Density checks this in SharedModel, beside the model it needs.
            if (BalanceBy == BalanceBy.Cluster) RecordCollector.EnsureOneClustering(this, candidates, "balance each model's records separately.");
        }

        var input = new SelectionInput(n)
        {
            Excluded = _excluded.Count,
            Ids = candidates.Select(r => r.Id).ToArray(),
            Distances = Keep == KeepStrategy.Random ? null : candidates.Select(r => r.Distance!.Value).ToArray(),
            Labels = candidates.Select(r => r.Label).ToArray(),
            Clusters = BalanceBy is BalanceBy.Cluster or BalanceBy.Density ? candidates.Select(r => r.Cluster!.Value).ToArray() : null,
            Model = BalanceBy == BalanceBy.Density ? RecordCollector.SharedModel(this, candidates) : null,
            Vectors = BalanceBy == BalanceBy.Density ? candidates.Select(r => r.VectorMemory).ToList() : null,
        };
        if (BalanceBy == BalanceBy.Density) RecordCollector.EnsureSourcesUnchanged(this, candidates);
        SelectionOutcome outcome;
        try { outcome = PolicySelector.Run(policy, input); }
        catch (SelectionInputException e)
        {
            var category = e.ErrorId is "ClusterOutOfRange" or "InvalidDistance" ? ErrorCategory.InvalidData : ErrorCategory.InvalidArgument;
            string message = e.Record >= 0 ? e.Message.Replace($"Record {e.Record} ", $"Record '{candidates[e.Record].Id}' ") : e.Message;
            ThrowTerminatingError(ErrorHelper.Terminating(e.ErrorId, category, message, e.Record >= 0 ? candidates[e.Record] : null, e));
            return;
        }

        int total = outcome.Kept;
        WriteVerbose($"Keeping {total} of {n} records ({(double)total / n:P1}): {policy}" +
            (n < _records.Count ? $"; {_records.Count - n} record(s) arrived already pruned and pass through" : "") +
            (Invert ? "; emitting the pruned records (-Invert)." : IncludePruned ? "; emitting every record with its decision (-IncludePruned)." : "."));
        if (Keep == KeepStrategy.Stratified) ReportStrata(outcome);
        if (BalanceBy != BalanceBy.None)
            for (int g = 0; g < outcome.GroupNames.Length; g++)
            {
                int kept = 0;
                for (int i = 0; i < n; i++) if (outcome.GroupOf[i] == g && outcome.Keep[i]) kept++;
                string detail = outcome.Complexity is not { } complexity ? "" :
                    string.Format(CultureInfo.InvariantCulture, " (d_intra {0:G4}, d_inter {1:G4}, complexity {2:G4}, share {3:P1})",
                        complexity[g].IntraDistance, complexity[g].InterDistance, complexity[g].Complexity, outcome.Shares![g]);
                WriteVerbose($"  {BalanceBy} {outcome.GroupNames[g]}{detail}: kept {kept}/{outcome.GroupSizes[g]}");
            }

        Emit(outcome);
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
        catch (PruneCmdlets.Sharding.ShardFileException e) { ThrowTerminatingError(ShardErrors.Of(e)); return; }
        var policy = cut.Policy.ToPolicy();
        var (input, model) = ShardInput.Build(this, _records, policy, out _excluded);
        SelectionOutcome outcome;
        try { outcome = PruneCmdlets.Sharding.ShardedSelection.Decide(cut, input, model); }
        catch (Exception e) when (e is PruneCmdlets.Sharding.ShardFileException or SelectionInputException)
        {
            ThrowTerminatingError(ShardErrors.Of(e, _records, input));
            return;
        }
        WriteVerbose($"Keeping {outcome.Kept} of this shard's {input.Count} records by the cut in '{path}' ({cut.Total} of {cut.Records} kept over {cut.ShardCount} shards): {policy}.");
        Emit(outcome);
    }

    /// <summary>The cmdlet's policy parameters, checked and turned into a policy in one place for every cmdlet that takes them.</summary>
    private PolicyArguments Arguments() => new(new SelectionPolicy
    {
        Keep = Keep,
        // -Recommendation brings its fraction, which is known once -Keep Auto is resolved.
        KeepFraction = ParameterSetName == CountSet || (ParameterSetName == RecommendationSet && Keep == KeepStrategy.Auto) ? null : KeepFraction,
        KeepCount = ParameterSetName == CountSet ? KeepCount : null,
        BalanceBy = BalanceBy,
        MinPerGroup = Given(nameof(MinPerGroup)) ? MinPerGroup : null,
        Temperature = Temperature,
        Stratified = new StratifiedOptions { HardCutoff = HardCutoff, Bins = Bins },
        Seed = Seed,
        Exclude = Exclude?.Select(k => k.ToString()).Distinct().ToArray() ?? Array.Empty<string>(),
    })
    {
        TemperatureGiven = Given(nameof(Temperature)),
        StratifiedGiven = Given(nameof(HardCutoff)) ? "-HardCutoff" : Given(nameof(Bins)) ? "-Bins" : null,
    };

    private void ReportStrata(SelectionOutcome outcome)
    {
        var options = outcome.Policy.Stratified;
        for (int g = 0; g < outcome.GroupNames.Length; g++)
        {
            var plan = outcome.StratifiedPlans![g];
            int size = outcome.GroupSizes[g];
            int requested = (int)Math.Floor(options.HardCutoff * size);
            string scope = BalanceBy == BalanceBy.None ? "" : $"{BalanceBy} {outcome.GroupNames[g]}: ";
            WriteVerbose($"  {scope}hard cutoff dropped {plan.Cutoff} of {size}" +
                (plan.Cutoff < requested ? $" (not {requested}: the budget of {outcome.Quotas[g]} needs the rest)" : "") +
                $"; {plan.BinSizes.Count(s => s > 0)} of {options.Bins} bins over Distance {plan.Low:G4}..{plan.High:G4} are non-empty.");
        }
    }

    /// <summary>
    /// -Keep Auto: the measured recommendation when given, otherwise the paper's rule (see
    /// <see cref="AutoRule"/>): hard when data stays abundant, easy when it gets scarce,
    /// balanced by label when every record has one. Says what it chose and why.
    /// </summary>
    private void ResolveAuto(List<EmbeddingRecord> records)
    {
        int n = records.Count;
        if (Recommendation is { } r)
        {
            Keep = r.Keep;
            BalanceBy = r.BalanceBy;
            KeepFraction = r.KeepFraction;
            // The probe measured the exclusion it recommends; -Exclude given by hand wins.
            if (r.Exclude.Count > 0 && !Given(nameof(Exclude))) Exclude = r.Exclude.Select(Enum.Parse<PruneCmdlets.Issues.DataIssueKind>).ToArray();
            if (r.Keep == KeepStrategy.Random) Seed = r.Seed;
            WriteVerbose($"-Keep Auto follows the probe's recommendation: keep {r.KeepFraction:0.###} ({r.Keep}, balanced by {r.BalanceBy}{(Exclude is { Length: > 0 } ? ", excluding " + string.Join(", ", Exclude) : "")}); {r.Reason}");
            return;
        }
        bool labelled = records.All(x => !string.IsNullOrEmpty(x.Label));
        if (BalanceBy == BalanceBy.None && !Given(nameof(BalanceBy)) && labelled) BalanceBy = BalanceBy.Label;
        int groups = labelled ? records.Select(x => x.Label).Distinct(StringComparer.Ordinal).Count()
            : Math.Max(1, records.Where(x => x.Cluster is not null).Select(x => x.Cluster).Distinct().Count());
        int kept = ParameterSetName == FractionSet ? PruneSelector.CountForFraction(KeepFraction, n) : Math.Min(KeepCount, n);
        Keep = AutoRule.Direction(kept, groups);
        WriteVerbose($"-Keep Auto without a recommendation: {kept} kept records over {groups} {(labelled ? "classes" : "clusters")} is " +
            $"{kept / (double)groups:0} per group, {(Keep == KeepStrategy.Hard ? "abundant" : "scarce")} by the rule (≥ {AutoRule.AbundantPerGroup} per group keeps the hard samples, " +
            $"fewer the easy ones; Sorscher et al. 2022), so Keep {Keep}" + (BalanceBy != BalanceBy.None ? $", balanced by {BalanceBy}." : ".") +
            " Test-PruningStrategy measures the choice on your own data.");
        if (kept < AutoRule.SmallFraction * n)
            WriteWarning($"Keeping {kept} of {n} records ({kept / (double)n:P0}): Sorscher et al. (2022) found very small keep fractions harmful with an imperfect metric; measure it first with Test-PruningStrategy.");
    }
}

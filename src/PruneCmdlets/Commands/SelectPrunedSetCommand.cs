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
    private readonly List<EmbeddingRecord> _records = new();
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
    public SwitchParameter Invert { get; set; }

    private bool Given(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    protected override void BeginProcessing()
    {
        if (ParameterSetName == RecommendationSet && Keep != KeepStrategy.Auto)
            ThrowTerminatingError(ErrorHelper.Terminating("RecommendationNeedsAuto", ErrorCategory.InvalidArgument,
                $"-Recommendation chooses the strategy; use it with -Keep Auto, not -Keep {Keep}."));
        if (ParameterSetName == FractionSet && !(KeepFraction > 0 && KeepFraction <= 1))
            ThrowTerminatingError(ErrorHelper.Terminating("InvalidKeepFraction", ErrorCategory.InvalidArgument,
                $"-KeepFraction must be greater than 0 and at most 1; got {KeepFraction}. Use -KeepCount for an absolute number.", KeepFraction));
        if (Given(nameof(Temperature)) && BalanceBy != BalanceBy.Density)
            NotApplicable("-Temperature", "-BalanceBy Density");
        if ((Given(nameof(HardCutoff)) || Given(nameof(Bins))) && Keep != KeepStrategy.Stratified)
            NotApplicable(Given(nameof(HardCutoff)) ? "-HardCutoff" : "-Bins", "-Keep Stratified");
        if (Given(nameof(MinPerGroup)) && BalanceBy == BalanceBy.None)
            NotApplicable("-MinPerGroup", "-BalanceBy Label, Cluster or Density");
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            ThrowTerminatingError(ErrorHelper.Terminating("InvalidTemperature", ErrorCategory.InvalidArgument,
                $"-Temperature must be a positive number; got {Temperature}. Smaller values favour complex clusters more strongly.", Temperature));
        if (!(HardCutoff >= 0 && HardCutoff < 1))
            ThrowTerminatingError(ErrorHelper.Terminating("InvalidHardCutoff", ErrorCategory.InvalidArgument,
                $"-HardCutoff is the fraction of the hardest records dropped before sampling: at least 0 and less than 1; got {HardCutoff}.", HardCutoff));
    }

    private void NotApplicable(string parameter, string needs)
        => ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
            $"{parameter} only applies with {needs}; remove it or add {needs}.", parameter));

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
        int n = _records.Count;
        if (n == 0) ThrowTerminatingError(ErrorHelper.NoInput("Select-PrunedSet"));
        if (Keep == KeepStrategy.Auto) ResolveAuto(n);
        double[]? distances = null;
        if (Keep != KeepStrategy.Random)
        {
            var missing = _records.FirstOrDefault(r => r.Distance is null);
            if (missing is not null)
                ThrowTerminatingError(ErrorHelper.Terminating("MissingDistance", ErrorCategory.InvalidArgument,
                    $"Record '{missing.Id}' has no Distance: pipe the records through Measure-Prototypicality first, or use -Keep Random.", missing));
            distances = _records.Select(r => r.Distance!.Value).ToArray();
        }

        int total = ParameterSetName is FractionSet or RecommendationSet ? PruneSelector.CountForFraction(KeepFraction, n) : KeepCount;
        if (total > n)
        {
            WriteWarning($"-KeepCount {KeepCount} is more than the {n} records received; all are kept.");
            total = n;
        }

        var (groupOf, names) = Groups();
        var sizes = new int[names.Length];
        foreach (int g in groupOf) sizes[g]++;
        int minPerGroup = Given(nameof(MinPerGroup)) ? MinPerGroup : (BalanceBy == BalanceBy.Density ? 1 : 0);
        long floorSum = sizes.Sum(s => (long)Math.Min(s, minPerGroup));
        if (floorSum > total)
            ThrowTerminatingError(ErrorHelper.Terminating("MinPerGroupTooLarge", ErrorCategory.InvalidArgument,
                $"Keeping at least {minPerGroup} record(s) in each of the {names.Length} groups needs {floorSum} records, but only {total} are kept; " +
                "keep more records or lower -MinPerGroup" + (BalanceBy == BalanceBy.Density && !Given(nameof(MinPerGroup)) ? " (-MinPerGroup 0 lets a cluster empty)." : "."), minPerGroup));

        ClusterComplexity[]? complexity = null;
        double[]? shares = null;
        int[] quotas;
        switch (BalanceBy)
        {
            case BalanceBy.None:
                quotas = new[] { total };
                break;
            case BalanceBy.Density:
                complexity = Complexity(names);
                shares = DensityPruning.Softmax(complexity.Select(c => c.Complexity).ToArray(), Temperature);
                quotas = PruneSelector.WeightedQuotas(shares, sizes, total, minPerGroup);
                break;
            default:
                quotas = minPerGroup == 0 ? PruneSelector.Quotas(sizes, total)
                    : PruneSelector.WeightedQuotas(sizes.Select(s => (double)s).ToArray(), sizes, total, minPerGroup);
                break;
        }

        var stratified = new StratifiedOptions { HardCutoff = HardCutoff, Bins = Bins };
        var keep = PruneSelector.Select(distances, groupOf, quotas, Keep, Seed, stratified);

        WriteVerbose($"Keeping {total} of {n} records ({(double)total / n:P1}): {Keep}" +
            (Keep == KeepStrategy.Stratified ? $" (CCS: hard cutoff {HardCutoff}, {Bins} bins)" : "") +
            (BalanceBy != BalanceBy.None ? $", balanced by {BalanceBy}" : "") +
            (BalanceBy == BalanceBy.Density ? $" (softmax temperature {Temperature})" : "") +
            (minPerGroup > 0 ? $", at least {minPerGroup} per group" : "") +
            (Keep is KeepStrategy.Random or KeepStrategy.Stratified ? $", seed {Seed}" : "") +
            (Invert ? "; emitting the pruned records (-Invert)." : "."));
        if (Keep == KeepStrategy.Stratified) ReportStrata(distances!, groupOf, names, quotas, stratified);
        if (BalanceBy != BalanceBy.None)
            for (int g = 0; g < names.Length; g++)
            {
                int kept = 0;
                for (int i = 0; i < n; i++) if (groupOf[i] == g && keep[i]) kept++;
                string detail = complexity is null ? "" :
                    string.Format(CultureInfo.InvariantCulture, " (d_intra {0:G4}, d_inter {1:G4}, complexity {2:G4}, share {3:P1})",
                        complexity[g].IntraDistance, complexity[g].InterDistance, complexity[g].Complexity, shares![g]);
                WriteVerbose($"  {BalanceBy} {names[g]}{detail}: kept {kept}/{sizes[g]}");
            }
        for (int i = 0; i < n; i++)
            if (keep[i] != Invert.IsPresent) WriteObject(_records[i]);
    }

    /// <summary>Each record's group index and the groups' display names: labels in ordinal order, clusters in numeric order.</summary>
    private (int[] GroupOf, string[] Names) Groups()
    {
        int n = _records.Count;
        if (BalanceBy == BalanceBy.None) return (new int[n], new[] { "(all)" });
        if (BalanceBy == BalanceBy.Label)
        {
            int unlabelled = _records.Count(r => string.IsNullOrEmpty(r.Label));
            if (unlabelled > 0) WriteWarning($"{unlabelled} record(s) have no Label; they are balanced as one group of their own.");
            var keys = _records.Select(r => r.Label ?? "").Distinct(StringComparer.Ordinal).OrderBy(k => k, StringComparer.Ordinal).ToArray();
            var index = keys.Select((k, g) => (k, g)).ToDictionary(t => t.k, t => t.g, StringComparer.Ordinal);
            return (_records.Select(r => index[r.Label ?? ""]).ToArray(), keys.Select(k => k.Length == 0 ? "(none)" : k).ToArray());
        }
        var missing = _records.FirstOrDefault(r => r.Cluster is null);
        if (missing is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("MissingCluster", ErrorCategory.InvalidArgument,
                $"Record '{missing.Id}' has no Cluster: pipe the records through Invoke-KMeans first" +
                (BalanceBy == BalanceBy.Cluster ? ", or balance by Label." : "; density-based pruning needs the clusters and their centroids."), missing));
        var clusters = _records.Select(r => r.Cluster!.Value).Distinct().OrderBy(c => c).ToArray();
        var at = clusters.Select((c, g) => (c, g)).ToDictionary(t => t.c, t => t.g);
        return (_records.Select(r => at[r.Cluster!.Value]).ToArray(), clusters.Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Density needs the centroids: every record must carry the same KMeansModel.</summary>
    private ClusterComplexity[] Complexity(string[] names)
    {
        KMeansModel? model = null;
        foreach (var r in _records)
        {
            if (r.KMeansModel is null)
                ThrowTerminatingError(ErrorHelper.Terminating("NoClusterModel", ErrorCategory.InvalidArgument,
                    $"Record '{r.Id}' has no KMeansModel: -BalanceBy Density measures each cluster against its centroid and the other centroids, so pipe the records through Invoke-KMeans (and Measure-Prototypicality) in this session.", r));
            else if (model is null) model = r.KMeansModel;
            else if (!ReferenceEquals(model, r.KMeansModel))
                ThrowTerminatingError(ErrorHelper.Terminating("MixedClusterModels", ErrorCategory.InvalidArgument,
                    $"Record '{r.Id}' was clustered by a different Invoke-KMeans run than the records before it; select from each run separately.", r));
        }
        var bad = _records.FirstOrDefault(r => r.Dimension != model!.Dimension);
        if (bad is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelDimensionMismatch", ErrorCategory.InvalidArgument,
                $"Record '{bad.Id}' has {bad.Dimension} dimensions but its KMeansModel has {model!.Dimension}.", bad));
        var outside = _records.FirstOrDefault(r => r.Cluster!.Value < 0 || r.Cluster.Value >= model!.K);
        if (outside is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ClusterOutOfRange", ErrorCategory.InvalidData,
                $"Record '{outside.Id}' is in cluster {outside.Cluster}, but its KMeansModel has clusters 0 to {model!.K - 1}.", outside));
        var clusters = names.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        RecordCollector.EnsureSourcesUnchanged(this, _records);
        return DensityPruning.Complexity(model!, _records.Select(r => r.VectorMemory).ToList(), _records.Select(r => r.Cluster!.Value).ToArray(), clusters);
    }

    private void ReportStrata(double[] distances, int[] groupOf, string[] names, int[] quotas, StratifiedOptions options)
    {
        for (int g = 0; g < names.Length; g++)
        {
            var d = distances.Where((_, i) => groupOf[i] == g).ToArray();
            var plan = StratifiedSampler.Plan(d, quotas[g], options);
            int requested = (int)Math.Floor(options.HardCutoff * d.Length);
            string scope = BalanceBy == BalanceBy.None ? "" : $"{BalanceBy} {names[g]}: ";
            WriteVerbose($"  {scope}hard cutoff dropped {plan.Cutoff} of {d.Length}" +
                (plan.Cutoff < requested ? $" (not {requested}: the budget of {quotas[g]} needs the rest)" : "") +
                $"; {plan.BinSizes.Count(s => s > 0)} of {options.Bins} bins over Distance {plan.Low:G4}..{plan.High:G4} are non-empty.");
        }
    }

    /// <summary>
    /// -Keep Auto: the measured recommendation when given, otherwise the paper's rule (see
    /// <see cref="AutoRule"/>): hard when data stays abundant, easy when it gets scarce,
    /// balanced by label when every record has one. Says what it chose and why.
    /// </summary>
    private void ResolveAuto(int n)
    {
        if (Recommendation is { } r)
        {
            Keep = r.Keep;
            BalanceBy = r.BalanceBy;
            KeepFraction = r.KeepFraction;
            if (r.Keep == KeepStrategy.Random) Seed = r.Seed;
            WriteVerbose($"-Keep Auto follows the probe's recommendation: keep {r.KeepFraction:0.###} ({r.Keep}, balanced by {r.BalanceBy}); {r.Reason}");
            return;
        }
        bool labelled = _records.All(x => !string.IsNullOrEmpty(x.Label));
        if (BalanceBy == BalanceBy.None && !Given(nameof(BalanceBy)) && labelled) BalanceBy = BalanceBy.Label;
        int groups = labelled ? _records.Select(x => x.Label).Distinct(StringComparer.Ordinal).Count()
            : Math.Max(1, _records.Where(x => x.Cluster is not null).Select(x => x.Cluster).Distinct().Count());
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

using System.Management.Automation;
using PruneCmdlets.Selection;
using PruneCmdlets.Sharding;

namespace PruneCmdlets.Commands;

/// <summary>
/// One shard's step of an exact sharded selection: summarises the scored records of this shard
/// into a small JSON file. Round 1 (a policy: -Keep, -KeepFraction or -KeepCount, -BalanceBy, …)
/// writes group sizes and sampled keys; round 2 (-Plan, the merge of round 1) writes the few
/// records near each group's cut. Merge-ShardSummary combines each round; Select-PrunedSet -Cut
/// then keeps this shard's side of the cut. Written atomically; a re-run writes the same bytes.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "ShardSummary", DefaultParameterSetName = FractionSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class MeasureShardSummaryCommand : PSCmdlet
{
    private const string FractionSet = "Fraction";
    private const string CountSet = "Count";
    private const string PlanSet = "Plan";
    private readonly List<EmbeddingRecord> _records = new();
    private int _seen;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = FractionSet)]
    public double KeepFraction { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CountSet)]
    [ValidateRange(0, int.MaxValue)]
    public int KeepCount { get; set; }

    [Parameter(ParameterSetName = FractionSet)]
    [Parameter(ParameterSetName = CountSet)]
    public KeepStrategy Keep { get; set; } = KeepStrategy.Hard;

    [Parameter(ParameterSetName = FractionSet)]
    [Parameter(ParameterSetName = CountSet)]
    public BalanceBy BalanceBy { get; set; } = BalanceBy.None;

    [Parameter(ParameterSetName = FractionSet)]
    [Parameter(ParameterSetName = CountSet)]
    [ValidateRange(0, int.MaxValue)]
    public int MinPerGroup { get; set; }

    [Parameter(ParameterSetName = FractionSet)]
    [Parameter(ParameterSetName = CountSet)]
    public double Temperature { get; set; } = DensityPruning.DefaultTemperature;

    [Parameter(ParameterSetName = FractionSet)]
    [Parameter(ParameterSetName = CountSet)]
    public long Seed { get; set; }

    [Parameter(ParameterSetName = FractionSet)]
    [Parameter(ParameterSetName = CountSet)]
    public PruneCmdlets.Issues.DataIssueKind[]? Exclude { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PlanSet)]
    public string Plan { get; set; } = "";

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Index { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private bool Given(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    protected override void BeginProcessing()
    {
        if (ParameterSetName != PlanSet)
        {
            if (Keep is KeepStrategy.Auto)
                ThrowTerminatingError(ErrorHelper.Terminating("ShardedPolicyNotSupported", ErrorCategory.InvalidArgument,
                    "-Keep Auto is resolved from the records one process sees; a sharded run needs the strategy spelt out: -Keep Hard, Easy or Random."));
            var arguments = Arguments();
            if (arguments.Check() is { } error) ThrowTerminatingError(error);
            try { ShardedSelection.CheckShardable(arguments.Policy); }
            catch (Exception e) when (e is SelectionInputException or ArgumentException)
            {
                ThrowTerminatingError(ErrorHelper.Terminating(e is SelectionInputException s ? s.ErrorId : "InvalidPolicy", ErrorCategory.InvalidArgument, e.Message, null, e));
            }
        }
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
        int index = 0, count = 0;
        try { (index, count) = ShardEnvironment.Resolve(Given(nameof(Index)) ? Index : null, Given(nameof(Count)) ? Count : null); }
        catch (ShardEnvironmentException e) { ThrowTerminatingError(ErrorHelper.Terminating(e.ErrorId, ErrorCategory.InvalidArgument, e.Message)); }
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        ShardPlanDocument? plan = null;
        string? planSha = null;
        if (ParameterSetName == PlanSet)
        {
            string planPath = GetUnresolvedProviderPathFromPSPath(Plan);
            try { plan = ShardFiles.ReadPlan(planPath, ShardPlanDocument.PlanFormat, out planSha); }
            catch (ShardFileException e) { ThrowTerminatingError(ShardErrors.Of(e)); }
        }
        var policy = plan?.Policy.ToPolicy() ?? Arguments().Policy;
        var (input, model) = ShardInput.Build(this, _records, policy);
        ShardSummaryDocument summary;
        try
        {
            summary = plan is null ? ShardedSelection.Summarize(policy, input, model, index, count)
                : ShardedSelection.Summarize(plan, planSha!, input, model, index, count);
        }
        catch (Exception e) when (e is ShardFileException or SelectionInputException)
        {
            ThrowTerminatingError(ShardErrors.Of(e, _records, input));
            return;
        }
        var bytes = ShardFiles.Serialize(summary);
        if (!ShouldProcess(path, $"Write the round-{summary.Round} summary of shard {index} of {count}")) return;
        bool written;
        try { written = PruneCmdlets.IO.AtomicFile.Write(path, bytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("ExportFailed", path, e));
            return;
        }
        WriteVerbose($"Shard {index} of {count}, round {summary.Round}: {input.Count} records in {summary.Groups.Count} group(s)" +
            (input.Excluded > 0 ? $" ({input.Excluded} more pruned for their issues first)" : "") + $", {policy}; " +
            $"{bytes.Length:N0} bytes {(written ? "written to" : "already in")} '{path}'.");
        if (PassThru) WriteObject(new FileInfo(path));
    }

    private PolicyArguments Arguments() => new(new SelectionPolicy
    {
        Keep = Keep,
        KeepFraction = ParameterSetName == CountSet ? null : KeepFraction,
        KeepCount = ParameterSetName == CountSet ? KeepCount : null,
        BalanceBy = BalanceBy,
        MinPerGroup = Given(nameof(MinPerGroup)) ? MinPerGroup : null,
        Temperature = Temperature,
        Seed = Seed,
        Exclude = Exclude?.Select(k => k.ToString()).Distinct().ToArray() ?? Array.Empty<string>(),
    })
    {
        TemperatureGiven = Given(nameof(Temperature)),
    };
}

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
public sealed class MeasureShardSummaryCommand : PolicyCommandBase
{
    private const string PlanSet = "Plan";
    private readonly List<EmbeddingRecord> _records = new();
    private int _seen;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = FractionSet)]
    public override double KeepFraction { get; set; }

    [Parameter]
    public long Seed { get; set; }

    [Parameter]
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

    protected override long PolicySeed => Seed;

    protected override IReadOnlyList<string> PolicyExclude => Exclude?.Select(k => k.ToString()).Distinct().ToArray() ?? Array.Empty<string>();

    protected override IEnumerable<string> PolicyWords => new[] { nameof(Exclude) }.Concat(base.PolicyWords).Append(nameof(Seed));

    protected override void BeginProcessing()
    {
        if (ParameterSetName == PlanSet) { RefusePolicyWords("-Plan", "round-1 summaries"); return; }
        if (Keep is KeepStrategy.Auto)
            ThrowTerminatingError(ErrorHelper.Terminating("ShardedPolicyNotSupported", ErrorCategory.InvalidArgument,
                "-Keep Auto is resolved from the records one process sees; a sharded run needs the strategy spelt out: -Keep Hard, Easy or Random."));
        CheckPolicy();
        var policy = Policy();
        try { ShardedSelection.CheckShardable(policy); }
        catch (SelectionInputException e) { ThrowTerminatingError(ErrorHelper.Selection(e)); }
        catch (ArgumentException e) { ThrowTerminatingError(ErrorHelper.Terminating("InvalidPolicy", ErrorCategory.InvalidArgument, e.Message, null, e)); }
    }

    protected override void ProcessRecord() => RecordAdapter.AddTo(_records, InputObject, ref _seen, this);

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
            catch (ShardFileException e) { ThrowTerminatingError(ErrorHelper.ShardFile(e)); }
        }
        var policy = plan?.Policy.ToPolicy() ?? Policy();
        var (input, model, candidates) = ShardInput(_records, policy);
        ShardSummaryDocument summary;
        try
        {
            summary = plan is null ? ShardedSelection.Summarize(policy, input, model, index, count)
                : ShardedSelection.Summarize(plan, planSha!, input, model, index, count);
        }
        catch (Exception e) when (e is ShardFileException or SelectionInputException)
        {
            ThrowTerminatingError(ErrorHelper.Shard(e, candidates.Records));
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
}

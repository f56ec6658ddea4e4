using System.Management.Automation;
using PruneCmdlets.Clustering;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// Refits k-means with several seeds and K values, runs the same Select-PrunedSet policy after
/// each refit and reports how much the kept sets overlap (Jaccard). Emits one
/// SelectionStability, which Export-PruneReport -Stability shows.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "SelectionStability", DefaultParameterSetName = FractionSet)]
[OutputType(typeof(SelectionStability))]
public sealed class MeasureSelectionStabilityCommand : StratifiedPolicyCommandBase, IDisposable
{
    private const int ProgressId = 0x5353;
    private readonly CancellationTokenSource _stop = new();
    private RecordCollector? _collector;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int[]? K { get; set; }

    [Parameter]
    public long[] Seed { get; set; } = { 0, 1, 2, 3, 4 };

    [Parameter]
    public DistanceMetric? Metric { get; set; }

    [Parameter]
    public PrototypeSource Prototype { get; set; } = PrototypeSource.Cluster;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxThreads { get; set; } = Environment.ProcessorCount;

    protected override void BeginProcessing()
    {
        if (Keep == KeepStrategy.Auto)
            ThrowTerminatingError(ErrorHelper.Terminating("AutoNotMeasurable", ErrorCategory.InvalidArgument,
                "-Keep Auto chooses a strategy from the data; measure the stability of the concrete strategy it chose (Hard, Easy, Random or Stratified)."));
        CheckPolicy();
        if (Seed.Length == 0)
            ThrowTerminatingError(ErrorHelper.Terminating("NoSeed", ErrorCategory.InvalidArgument, "Give at least one -Seed."));
        _collector = new RecordCollector(this);
    }

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var c = _collector!;
        if (c.Records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Measure-SelectionStability"));
        var previous = c.Records.Select(r => r.KMeansModel).FirstOrDefault(m => m is not null);
        var metric = Metric ?? previous?.Metric ?? DistanceMetric.Cosine;
        int[] ks = K ?? new[] { previous?.K ?? Math.Min(10, c.Records.Count) };
        bool byLabel = Prototype == PrototypeSource.Label;
        if (byLabel || BalanceBy == BalanceBy.Label)
        {
            var unlabelled = c.Records.FirstOrDefault(r => string.IsNullOrEmpty(r.Label));
            if (unlabelled is not null && byLabel)
                ThrowTerminatingError(ErrorHelper.Terminating("MissingLabel", ErrorCategory.InvalidData,
                    $"Record '{unlabelled.Id}' has no Label; -Prototype Label scores every record against its class mean.", unlabelled));
        }
        var matrix = c.BuildMatrix(metric);
        int n = matrix.Rows;
        var bad = ks.FirstOrDefault(k => k > n);
        if (bad > 0) ThrowTerminatingError(ErrorHelper.InvalidK(bad, n));
        var policy = Policy();
        WriteVerbose($"Stability of {policy} on {n} records: k-means ({metric}) refitted for K {string.Join(", ", ks)} × seed {string.Join(", ", Seed)}" +
            (byLabel ? ", each record scored against its class mean (only the seed of a seeded policy varies)." : ", each record scored against its nearest centroid."));
        SelectionStability result;
        try
        {
            result = BackgroundWork.Run(this, _stop.Token, report => SelectionStability.Measure(matrix.Data, n, matrix.Dimension,
                c.Records.Select(r => r.VectorMemory).ToList(), c.Records.Select(r => r.Label).ToArray(), policy, ks, Seed, metric, byLabel, MaxThreads,
                (done, total) => report(new ProgressRecord(ProgressId, "Measure-SelectionStability", $"{done} of {total} refits") { PercentComplete = 100 * done / total }),
                _stop.Token, c.Records.Select(r => r.Id).ToArray()));
        }
        catch (SelectionInputException e)
        {
            ThrowTerminatingError(ErrorHelper.Selection(e, c.Records));
            return;
        }
        WriteProgress(new ProgressRecord(ProgressId, "Measure-SelectionStability", "done") { RecordType = ProgressRecordType.Completed });
        foreach (var run in result.Runs) WriteVerbose($"  {run}");
        WriteObject(result);
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}

using System.Management.Automation;
using PruneCmdlets.Clustering;
using PruneCmdlets.Dedup;

namespace PruneCmdlets.Commands;

/// <summary>
/// Semantic deduplication (SemDeDup, Abbas et al. 2023): inside each k-means cluster, records
/// whose embeddings have cosine similarity ≥ 1 − ε are grouped, one member per group is kept and
/// the kept records are emitted in input order. -ShowDuplicates emits the groups instead.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "SemDeDup")]
[OutputType(typeof(EmbeddingRecord), typeof(DuplicateGroup))]
public sealed class InvokeSemDeDupCommand : PSCmdlet, IDisposable
{
    private const int ProgressId = 0x5344;
    private readonly CancellationTokenSource _stop = new();
    private RecordCollector? _collector;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0)]
    [ValidateRange(0.0, 1.0)]
    public double Epsilon { get; set; } = SemDeDupOptions.DefaultEpsilon;

    [Parameter]
    public DuplicateKeepRule KeepRule { get; set; } = DuplicateKeepRule.FarthestFromCentroid;

    [Parameter]
    public SwitchParameter ShowDuplicates { get; set; }

    [Parameter]
    public SwitchParameter IncludePruned { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxThreads { get; set; } = Environment.ProcessorCount;

    protected override void BeginProcessing()
    {
        if (ShowDuplicates && IncludePruned)
            ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                "-ShowDuplicates emits the duplicate groups and -IncludePruned emits every record with its Kept flag; use one of them.", "IncludePruned"));
        _collector = new RecordCollector(this);
    }

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var records = _collector!.Records;
        if (records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Invoke-SemDeDup"));
        RecordCollector.EnsureSourcesUnchanged(this, records);
        var model = CheckClusters(records);

        _collector.DropZeroVectors();
        if (records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Invoke-SemDeDup"));

        int n = records.Count;
        var cluster = records.Select(r => r.Cluster!.Value).ToArray();
        var options = new SemDeDupOptions { Epsilon = Epsilon, KeepRule = KeepRule, MaxThreads = MaxThreads };
        WriteVerbose($"SemDeDup: {n} records in {cluster.Distinct().Count()} clusters; pairs in the same cluster with cosine similarity ≥ {1 - Epsilon:0.######} " +
            $"(epsilon {Epsilon}) are duplicates; each group keeps {Describe(KeepRule)}, measured against " +
            (model is null ? "each cluster's mean direction (the records carry no KMeansModel)" : $"the centroids of {model}") + $"; threads {MaxThreads}.");

        SemDeDupResult result;
        try
        {
            result = BackgroundWork.Run(this, _stop.Token, report => SemanticDeduplicator.Run(records.Select(r => r.VectorMemory).ToList(), cluster, model, options, p =>
            {
                report(new ProgressRecord(ProgressId, "Invoke-SemDeDup", $"{p.PairsDone:N0} of {p.PairsTotal:N0} pairs inside clusters compared")
                {
                    PercentComplete = p.PairsTotal == 0 ? 100 : (int)Math.Min(99, 100 * p.PairsDone / p.PairsTotal),
                    SecondsRemaining = p.PairsDone == 0 ? -1 : (int)Math.Ceiling(p.Seconds * (p.PairsTotal - p.PairsDone) / p.PairsDone),
                });
            }, _stop.Token, records.Select(r => r.Id).ToList()));
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(ErrorHelper.Terminating("SemDeDupFailed", ErrorCategory.InvalidData, e.Message, null, e));
            return;
        }
        WriteProgress(new ProgressRecord(ProgressId, "Invoke-SemDeDup", "done") { RecordType = ProgressRecordType.Completed });

        int removed = result.Removed;
        int covered = result.Groups.Sum(g => g.Members.Length);
        WriteVerbose($"Found {result.Groups.Count} group(s) of semantic duplicates covering {covered} records" +
            (result.Groups.Count > 0 ? $" (largest {result.Groups.Max(g => g.Members.Length)})" : "") +
            $"; removed {removed} of {n} records ({(double)removed / n:P1}), kept {n - removed}. {result.PairsCompared:N0} pairs compared inside {result.Clusters} clusters.");

        if (ShowDuplicates)
        {
            foreach (var g in result.Groups)
                WriteObject(new DuplicateGroup(g.Cluster, records[g.Kept], g.Duplicates.Select(i => records[i]).ToArray(),
                    g.MaxSimilarity, g.MinSimilarity, g.MinSimilarityToKept, g.LinkedPairs, KeepRule.ToString()));
            return;
        }
        var (keeperOf, similarity, reasons) = DuplicateDecisions.Explain(result, records.Select(r => r.VectorMemory).ToList(), options, i => records[i].Id);
        var run = new SemDeDupRun(Epsilon, KeepRule, result.Groups.Count, removed);
        for (int i = 0; i < n; i++)
        {
            if (!result.Keep[i] && !IncludePruned) continue;
            WriteObject(keeperOf[i] < 0 ? records[i].WithDeduplication(result.Keep[i], reasons[i], run)
                : records[i].WithDuplicate(records[keeperOf[i]].Id, similarity[i], result.Keep[i], reasons[i], run));
        }
    }

    /// <summary>Every record needs a Cluster; the centroids come from one shared KMeansModel, or from none.</summary>
    private KMeansModel? CheckClusters(List<EmbeddingRecord> records)
    {
        var missing = records.FirstOrDefault(r => r.Cluster is null);
        if (missing is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("MissingCluster", ErrorCategory.InvalidArgument,
                $"Record '{missing.Id}' has no Cluster: pipe the records through Invoke-KMeans first; SemDeDup only compares records inside one cluster.", missing));
        // All with one model (or all without one): each cluster is searched around one centroid.
        RecordCollector.EnsureOneClustering(this, records, "deduplicate each model's records separately.", missingDiffers: true);
        var model = records[0].KMeansModel;
        if (model is null) return null;
        if (model.Dimension != _collector!.Dimension)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelDimensionMismatch", ErrorCategory.InvalidArgument,
                $"The records' KMeansModel has {model.Dimension} dimensions but the records have {_collector.Dimension}.", model));
        var outside = records.FirstOrDefault(r => r.Cluster!.Value < 0 || r.Cluster.Value >= model.K);
        if (outside is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ClusterOutOfRange", ErrorCategory.InvalidData,
                $"Record '{outside.Id}' is in cluster {outside.Cluster}, but its KMeansModel has clusters 0 to {model.K - 1}.", outside));
        return model;
    }

    private static string Describe(DuplicateKeepRule rule) => rule == DuplicateKeepRule.FarthestFromCentroid
        ? "the member farthest from its cluster centroid (SemDeDup's rule)"
        : "the member closest to its cluster centroid";

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}

using System.Management.Automation;
using PruneCmdlets.Clustering;

namespace PruneCmdlets.Commands;

/// <summary>
/// Clusters embeddings with k-means and emits every record, in input order, annotated with its
/// Cluster and the fitted KMeansModel. With -Model it places records against an existing
/// model's centroids instead of fitting.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "KMeans", DefaultParameterSetName = FitSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class InvokeKMeansCommand : PSCmdlet, IDisposable
{
    private const string FitSet = "Fit";
    private const string ApplySet = "Apply";
    private const int ProgressId = 0x4B4D;
    private readonly CancellationTokenSource _stop = new();
    private RecordCollector? _collector;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FitSet)]
    public int K { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ApplySet)]
    public KMeansModel? Model { get; set; }

    [Parameter(ParameterSetName = FitSet)]
    public DistanceMetric Metric { get; set; } = DistanceMetric.Cosine;

    [Parameter(ParameterSetName = FitSet)]
    public KMeansInit Init { get; set; } = KMeansInit.KMeansPlusPlus;

    [Parameter(ParameterSetName = FitSet)]
    [ValidateRange(1, int.MaxValue)]
    public int MaxIterations { get; set; } = 100;

    [Parameter(ParameterSetName = FitSet)]
    [ValidateRange(0.0, double.MaxValue)]
    public double Tolerance { get; set; } = 1e-4;

    [Parameter(ParameterSetName = FitSet)]
    public long Seed { get; set; }

    [Parameter(ParameterSetName = FitSet)]
    [ValidateRange(1, 1000)]
    public int NInit { get; set; } = 1;

    [Parameter(ParameterSetName = FitSet)]
    [ValidateRange(0, int.MaxValue)]
    public int SampleSize { get; set; }

    [Parameter(ParameterSetName = FitSet)]
    [ValidateRange(0, int.MaxValue)]
    public int MiniBatchSize { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxThreads { get; set; } = Environment.ProcessorCount;

    protected override void BeginProcessing()
    {
        if (ParameterSetName == FitSet && K < 1) ThrowTerminatingError(ErrorHelper.InvalidK(K, 0));
        _collector = new RecordCollector(this);
    }

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var c = _collector!;
        if (c.Records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Invoke-KMeans"));
        var metric = Model?.Metric ?? Metric;
        var matrix = c.BuildMatrix(metric);
        int n = matrix.Rows, d = matrix.Dimension;
        if (n == 0) ThrowTerminatingError(ErrorHelper.NoInput("Invoke-KMeans"));

        KMeansModel model;
        int[]? cluster = null;
        if (Model is not null)
        {
            if (Model.Dimension != d)
                ThrowTerminatingError(ErrorHelper.Terminating("ModelDimensionMismatch", ErrorCategory.InvalidArgument,
                    $"The model's centroids have {Model.Dimension} dimensions but the records have {d}; use a model fitted on embeddings from the same model.", Model));
            model = Model;
            WriteVerbose($"Assigning {n} records to the {model.K} centroids of the given model ({model.Metric}).");
        }
        else
        {
            if (K > n) ThrowTerminatingError(ErrorHelper.InvalidK(K, n));
            var options = new KMeansOptions
            {
                K = K, Metric = Metric, Init = Init, MaxIterations = MaxIterations, Tolerance = Tolerance,
                Seed = Seed, NInit = NInit, MaxThreads = MaxThreads, SampleSize = SampleSize, MiniBatchSize = MiniBatchSize,
            };
            if (SampleSize > 0 && SampleSize < K)
                ThrowTerminatingError(ErrorHelper.Terminating("InvalidSampleSize", ErrorCategory.InvalidArgument,
                    $"-SampleSize {SampleSize} is smaller than -K {K}; a sample needs at least one record per cluster.", SampleSize));
            WriteVerbose($"k-means: {n} records × {d} dimensions, K={K}, metric={Metric}" +
                (Metric == DistanceMetric.Cosine ? " (spherical k-means on L2-normalised vectors)" : "") +
                $", init={Init}" + (Init == KMeansInit.KMeansPlusPlus ? $" on {options.EffectiveInitSampleSize(SampleSize > 0 ? Math.Min(SampleSize, n) : n)} sampled records" : "") +
                $", seed={Seed}, n-init={NInit}, max-iterations={MaxIterations}, tolerance={Tolerance}, threads={MaxThreads}" +
                (SampleSize > 0 && SampleSize < n ? $"; fitting on a seeded sample of {SampleSize} records, then assigning all {n}" : "") +
                (MiniBatchSize > 0 ? $"; mini-batch k-means with batches of {MiniBatchSize} (MaxIterations counts batches)" : "") + ".");
            (model, cluster) = BackgroundWork.Run(this, _stop.Token, report => KMeansTrainer.FitAndAssign(matrix.Data, n, d, options, p =>
            {
                string run = p.Runs > 1 ? $"run {p.Run + 1}/{p.Runs}, " : "";
                int done = p.Run * p.MaxIterations + p.Iteration, total = p.Runs * p.MaxIterations;
                report(new ProgressRecord(ProgressId, "Invoke-KMeans", $"{run}iteration {p.Iteration}: objective {p.Objective:G6}")
                {
                    PercentComplete = Math.Min(99, 100 * done / total),
                    SecondsRemaining = (int)Math.Ceiling((total - done) * p.SecondsPerIteration),
                });
            }, _stop.Token));
            WriteProgress(new ProgressRecord(ProgressId, "Invoke-KMeans", "done") { RecordType = ProgressRecordType.Completed });
            WriteVerbose($"k-means {(model.Converged ? "converged" : "stopped at MaxIterations")} after {model.Iterations} iterations " +
                $"in {model.TrainingSeconds:F2}s ({model.History.Sum(h => h.Seconds):F2}s of them in iterations); inertia {model.Inertia:G6}; best of {NInit} run(s) was run {model.BestRun}.");
        }

        if (cluster is null)
        {
            cluster = new int[n];
            model.Assign(matrix.Data, n, cluster, null, MaxThreads, _stop.Token);
        }
        for (int i = 0; i < n; i++) WriteObject(c.Records[i].WithCluster(cluster[i], model));
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}

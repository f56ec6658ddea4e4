using System.Management.Automation;
using PruneCmdlets.Clustering;

namespace PruneCmdlets.Commands;

/// <summary>What a record's distance is measured against.</summary>
public enum PrototypeSource
{
    /// <summary>The nearest k-means centroid (self-supervised, needs no labels).</summary>
    Cluster,
    /// <summary>The mean embedding of the record's own class (supervised).</summary>
    Label,
}

/// <summary>
/// Scores every record by its distance to its prototype (Sorscher et al. 2022) and emits it, in
/// input order, with Distance (larger = harder) and Percentile (0 = most prototypical).
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "Prototypicality")]
[OutputType(typeof(EmbeddingRecord))]
public sealed class MeasurePrototypicalityCommand : PSCmdlet
{
    private RecordCollector? _collector;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0)]
    public PrototypeSource Prototype { get; set; } = PrototypeSource.Cluster;

    [Parameter]
    public KMeansModel? Model { get; set; }

    [Parameter]
    public DistanceMetric? Metric { get; set; }

    protected override void BeginProcessing()
    {
        if (Prototype == PrototypeSource.Label && Model is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelWithLabelPrototype", ErrorCategory.InvalidArgument,
                "-Model supplies cluster centroids; it cannot be combined with -Prototype Label, which uses each class's mean embedding."));
        if (Prototype == PrototypeSource.Cluster && Model is not null && Metric is not null && Metric != Model.Metric)
            ThrowTerminatingError(ErrorHelper.Terminating("MetricMismatch", ErrorCategory.InvalidArgument,
                $"-Metric {Metric} differs from the model's metric {Model.Metric}; distances must be measured in the metric the centroids were fitted in."));
        _collector = new RecordCollector(this);
    }

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var c = _collector!;
        if (c.Records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Measure-Prototypicality"));
        if (Prototype == PrototypeSource.Cluster) ScoreAgainstClusters(c);
        else ScoreAgainstLabels(c);
    }

    private void ScoreAgainstClusters(RecordCollector c)
    {
        var model = Model ?? ModelFromRecords(c.Records);
        if (Metric is not null && Metric != model.Metric)
            ThrowTerminatingError(ErrorHelper.Terminating("MetricMismatch", ErrorCategory.InvalidArgument,
                $"-Metric {Metric} differs from the k-means metric {model.Metric}; distances must be measured in the metric the centroids were fitted in."));
        if (model.Dimension != c.Dimension)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelDimensionMismatch", ErrorCategory.InvalidArgument,
                $"The model's centroids have {model.Dimension} dimensions but the records have {c.Dimension}.", model));
        var matrix = c.BuildMatrix(model.Metric);
        int n = matrix.Rows;
        var cluster = new int[n];
        var distance = new double[n];
        model.Assign(matrix.Data, n, cluster, distance);
        var percentile = Prototypicality.Percentiles(distance);
        WriteVerbose($"Scored {n} records against the {model.K} centroids of {model} by {Describe(model.Metric)}.");
        for (int i = 0; i < n; i++)
            WriteObject(c.Records[i].WithScore(distance[i], percentile[i], nameof(PrototypeSource.Cluster), cluster[i], model));
    }

    private KMeansModel ModelFromRecords(List<EmbeddingRecord> records)
    {
        KMeansModel? model = null;
        foreach (var r in records)
        {
            if (r.KMeansModel is null)
                ThrowTerminatingError(ErrorHelper.Terminating("NoClusterModel", ErrorCategory.InvalidArgument,
                    $"Record '{r.Id}' has no k-means model: pipe the records through Invoke-KMeans first, pass -Model, or use -Prototype Label.", r));
            else model ??= r.KMeansModel;
        }
        RecordCollector.EnsureOneClustering(this, records, "score each model's records separately or pass -Model.");
        return model!;
    }

    private void ScoreAgainstLabels(RecordCollector c)
    {
        var metric = Metric ?? c.Records.Select(r => r.KMeansModel?.Metric).FirstOrDefault(m => m is not null) ?? DistanceMetric.Cosine;
        var unlabelled = c.Records.Where(r => string.IsNullOrEmpty(r.Label)).ToList();
        foreach (var r in unlabelled)
            WriteError(ErrorHelper.MissingLabel(r, r.Id, "so it has no class prototype; it was left out."));
        c.Records.RemoveAll(r => string.IsNullOrEmpty(r.Label));
        if (c.Records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Measure-Prototypicality -Prototype Label (labelled)"));
        var matrix = c.BuildMatrix(metric);
        int n = matrix.Rows;
        var labels = c.Records.Select(r => r.Label!).ToArray();
        KMeansModel means;
        string[] classes;
        int[] classOf;
        try
        {
            means = Prototypicality.ClassMeans(matrix.Data, n, matrix.Dimension, labels, metric, out classes, out classOf);
        }
        catch (InvalidOperationException e)
        {
            ThrowTerminatingError(ErrorHelper.Terminating("DegenerateClassMean", ErrorCategory.InvalidData, e.Message, null, e));
            return;
        }
        var distance = Prototypicality.ToAssigned(matrix.Data, n, means, classOf);
        var percentile = Prototypicality.Percentiles(distance);
        WriteVerbose($"Scored {n} records against the mean embeddings of {classes.Length} classes by {Describe(metric)}.");
        for (int i = 0; i < n; i++)
        {
            var r = c.Records[i];
            WriteObject(r.WithAnnotations(r.Cluster, r.KMeansModel, distance[i], percentile[i], nameof(PrototypeSource.Label)));
        }
    }

    private static string Describe(DistanceMetric m) => m == DistanceMetric.Cosine ? "cosine distance (1 − cos)" : "Euclidean distance";
}

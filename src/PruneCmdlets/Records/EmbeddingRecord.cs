using PruneCmdlets.Clustering;

namespace PruneCmdlets;

/// <summary>
/// One sample as it travels through the pipeline: where it came from, its label, its embedding,
/// and what each stage learnt about it. Stages never mutate a record they received; they emit a
/// copy (sharing the vector) so a user's earlier variables keep their values.
/// </summary>
public sealed class EmbeddingRecord
{
    public EmbeddingRecord(string id, string? path, string? label, float[] vector, string? model)
    {
        Id = id;
        Path = path;
        Label = label;
        Vector = vector;
        Model = model;
    }

    /// <summary>Stable identity: the full path for files, the row index for imported arrays.</summary>
    public string Id { get; }

    /// <summary>The source file, when there is one.</summary>
    public string? Path { get; }

    /// <summary>Class label, or null when unlabelled.</summary>
    public string? Label { get; }

    /// <summary>The embedding. Shared between copies of a record; treat as read-only.</summary>
    public float[] Vector { get; }

    /// <summary>Name of the model that produced the vector.</summary>
    public string? Model { get; }

    /// <summary>Nearest k-means centroid, set by Invoke-KMeans.</summary>
    public int? Cluster { get; private set; }

    /// <summary>The fitted k-means model this record was assigned with.</summary>
    public KMeansModel? KMeansModel { get; private set; }

    /// <summary>Distance to the record's prototype, set by Measure-Prototypicality: larger is harder.</summary>
    public double? Distance { get; private set; }

    /// <summary>Rank of Distance in [0,1]: 0 is the most prototypical record of the set.</summary>
    public double? Percentile { get; private set; }

    /// <summary>What the distance was measured against: "Cluster" or "Label".</summary>
    public string? Prototype { get; private set; }

    internal EmbeddingRecord WithCluster(int cluster, KMeansModel model)
    {
        var copy = Copy();
        copy.Cluster = cluster;
        copy.KMeansModel = model;
        // Scores measured against other centroids no longer describe this record.
        copy.Distance = null;
        copy.Percentile = null;
        copy.Prototype = null;
        return copy;
    }

    /// <summary>The record scored against a cluster centroid (which also fixes its cluster).</summary>
    internal EmbeddingRecord WithScore(double distance, double percentile, string prototype, int cluster, KMeansModel model)
        => WithAnnotations(cluster, model, distance, percentile, prototype);

    internal EmbeddingRecord WithAnnotations(int? cluster, KMeansModel? model, double? distance, double? percentile, string? prototype)
    {
        var copy = Copy();
        copy.Cluster = cluster;
        copy.KMeansModel = model;
        copy.Distance = distance;
        copy.Percentile = percentile;
        copy.Prototype = prototype;
        return copy;
    }

    private EmbeddingRecord Copy() => (EmbeddingRecord)MemberwiseClone();

    public override string ToString() => Id;
}

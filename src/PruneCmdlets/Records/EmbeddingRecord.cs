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
        _vector = vector ?? throw new ArgumentNullException(nameof(vector));
        _block = vector;
        Dimension = vector.Length;
        Model = model;
    }

    /// <summary>
    /// A record whose vector is row <paramref name="offset"/>/D of a block of rows read together
    /// (Import-Embedding). Hundreds of thousands of records then cost no per-row arrays: the
    /// cmdlets read the row in place, and only a user who asks for <see cref="Vector"/> gets a
    /// copy. The block lives as long as any record of it does. The caller has checked that the
    /// row holds no NaN or infinity.
    /// </summary>
    internal EmbeddingRecord(string id, string? label, float[] block, int offset, int dimension, string? model)
    {
        Id = id;
        Label = label;
        _block = block;
        _offset = offset;
        Dimension = dimension;
        Model = model;
        _checkedFinite = true;
    }

    private readonly float[] _block;
    private readonly int _offset;
    private readonly bool _checkedFinite;
    private float[]? _vector;

    /// <summary>Stable identity: the full path for files, the row index for imported arrays.</summary>
    public string Id { get; }

    /// <summary>The source file, when there is one.</summary>
    public string? Path { get; }

    /// <summary>Class label, or null when unlabelled.</summary>
    public string? Label { get; }

    /// <summary>The embedding. Treat as read-only: copies of a record share it.</summary>
    public float[] Vector
    {
        get
        {
            if (_vector is null) Interlocked.CompareExchange(ref _vector, _block.AsSpan(_offset, Dimension).ToArray(), null);
            return _vector!;
        }
    }

    /// <summary>Length of the embedding.</summary>
    public int Dimension { get; }

    /// <summary>The embedding without a copy, wherever it lives: what the cmdlets read.</summary>
    internal ReadOnlyMemory<float> VectorMemory => _vector ?? new ReadOnlyMemory<float>(_block, _offset, Dimension);

    // A block row whose Vector a user has asked for now lives in that copy, which the user may
    // have changed: from then on the copy, not the block, is the vector.
    private bool ReadsBlock => _vector is null || ReferenceEquals(_vector, _block);

    /// <summary>True when the vector is the row starting at <paramref name="offset"/> of <paramref name="block"/>.</summary>
    internal bool IsRowOf(float[] block, int offset) => ReferenceEquals(_block, block) && _offset == offset && ReadsBlock;

    /// <summary>The vector was checked for NaN and infinity when it was read, so no stage checks again.</summary>
    internal bool KnownFinite => _checkedFinite && ReadsBlock;

    /// <summary>The array the vector lives in (a block of rows, or the vector itself).</summary>
    internal float[] Block => _block;

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

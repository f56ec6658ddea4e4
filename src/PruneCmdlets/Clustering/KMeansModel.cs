using System.Text.Json;
using System.Text.Json.Serialization;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Clustering;

/// <summary>
/// A fitted k-means model: centroids, metric, and how the fit went. Every record that
/// Invoke-KMeans emits points at the same instance (record.KMeansModel), so a user can keep it,
/// Save() it to JSON, Load() it later and hand it to Invoke-KMeans -Model or
/// Measure-Prototypicality -Model to place new data against the same centroids.
/// </summary>
public sealed class KMeansModel
{
    private readonly float[] _centroids; // K×D row-major; unit length for Cosine
    private DistanceKernel.PackedCentroids? _packed;

    public KMeansModel(float[] centroids, int k, int dimension, DistanceMetric metric)
    {
        if (k < 1 || dimension < 1 || centroids.Length != (long)k * dimension)
            throw new ArgumentException($"Centroid data holds {centroids.Length} values, not K ({k}) × D ({dimension}).");
        for (int i = 0; i < centroids.Length; i++)
            if (!float.IsFinite(centroids[i])) throw new ArgumentException($"Centroid {i / dimension} holds a NaN or infinite value.");
        _centroids = centroids;
        K = k;
        Dimension = dimension;
        Metric = metric;
    }

    public int K { get; }
    public int Dimension { get; }
    public DistanceMetric Metric { get; }

    /// <summary>
    /// Sum over records of the distance measure k-means minimises: squared L2 for Euclidean,
    /// 1 − cos for Cosine, with the final centroids and the final assignment.
    /// </summary>
    public double Inertia { get; init; }
    public int Iterations { get; init; }
    public bool Converged { get; init; }
    public long Seed { get; init; }
    public KMeansInit Init { get; init; }
    /// <summary>Which of the NInit restarts won (0-based).</summary>
    public int BestRun { get; init; }
    public int NInit { get; init; } = 1;
    public int TrainingCount { get; init; }
    public double TrainingSeconds { get; init; }
    public int[] ClusterSizes { get; init; } = Array.Empty<int>();
    public IReadOnlyList<KMeansIterationStats> History { get; init; } = Array.Empty<KMeansIterationStats>();

    /// <summary>The centroids as one array per cluster (copies; the model stays immutable).</summary>
    public float[][] Centroids
    {
        get
        {
            var rows = new float[K][];
            for (int c = 0; c < K; c++) rows[c] = _centroids.AsSpan(c * Dimension, Dimension).ToArray();
            return rows;
        }
    }

    internal ReadOnlySpan<float> CentroidSpan(int cluster) => _centroids.AsSpan(cluster * Dimension, Dimension);
    internal float[] CentroidBuffer => _centroids;
    internal DistanceKernel.PackedCentroids Packed => _packed ??= DistanceKernel.Pack(_centroids, K, Dimension);

    /// <summary>
    /// Nearest centroid of each row of a prepared buffer (already unit length for Cosine), and,
    /// when <paramref name="distance"/> is given, the exact distance to it in the metric's own
    /// units (1 − cos, or L2).
    /// </summary>
    public void Assign(ReadOnlyMemory<float> prepared, int n, int[] cluster, double[]? distance, int maxThreads = -1, CancellationToken cancel = default)
    {
        var norms = VectorMath.RowSquaredNorms(prepared, n, Dimension);
        var kernelDist = new float[n];
        DistanceKernel.Nearest(prepared, norms, n, Packed, cluster, kernelDist, maxThreads, cancel);
        if (distance is not null) DistancesTo(prepared, n, cluster, distance, maxThreads, cancel);
    }

    /// <summary>Exact distance of every prepared row to the centroid it is assigned to, in the metric's units.</summary>
    internal void DistancesTo(ReadOnlyMemory<float> prepared, int n, int[] assigned, double[] distance, int maxThreads = -1, CancellationToken cancel = default)
    {
        Parallel.For(0, (n + 1023) / 1024, new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1, CancellationToken = cancel }, b =>
        {
            int end = Math.Min(n, (b + 1) * 1024);
            var rows = prepared.Span;
            for (int i = b * 1024; i < end; i++)
                distance[i] = DistanceOf(rows.Slice(i * Dimension, Dimension), assigned[i]);
        });
    }

    /// <summary>Distance of a prepared vector to one centroid in the metric's units.</summary>
    internal double DistanceOf(ReadOnlySpan<float> prepared, int cluster)
        => MetricDistance(Metric, DistanceKernel.ExactSquaredDistance(prepared, CentroidSpan(cluster)));

    /// <summary>Squared L2 between prepared vectors → the metric's distance. Unit vectors: ‖x−c‖² = 2(1 − cos).</summary>
    internal static double MetricDistance(DistanceMetric metric, double squared)
        => metric == DistanceMetric.Cosine ? squared / 2.0 : Math.Sqrt(squared);

    private string? _fingerprint;

    /// <summary>
    /// SHA-256 (hex) of what decides every assignment and distance: K, D, the metric and the
    /// centroids' float bits. Two models with the same fingerprint place every record the same;
    /// shard summaries carry it so a merge refuses shards scored against different models.
    /// </summary>
    public string Fingerprint => _fingerprint ??= ComputeFingerprint();

    /// <summary>
    /// Whether two models are one clustering: the same object, or the same
    /// <see cref="Fingerprint"/>. Two Import-KMeansModel loads of one file are two objects that
    /// place every record the same, so their cluster numbers mean the same centroids. The one
    /// rule every command that needs one model for all its records applies.
    /// </summary>
    public static bool SameClustering(KMeansModel? a, KMeansModel? b)
        => ReferenceEquals(a, b) || (a is not null && b is not null && a.Fingerprint == b.Fingerprint);

    /// <summary>
    /// The position of the first model that is not the same clustering (<see cref="SameClustering"/>)
    /// as the first model present, or −1 when they all are. Missing models are passed over, unless
    /// <paramref name="missingDiffers"/>: then a missing model beside a present one differs too.
    /// </summary>
    public static int IndexOfOtherClustering(IEnumerable<KMeansModel?> models, bool missingDiffers = false)
    {
        KMeansModel? first = null;
        bool seenMissing = false;
        int i = 0;
        foreach (var m in models)
        {
            if (m is null)
            {
                if (missingDiffers && first is not null) return i;
                seenMissing = true;
            }
            else if (first is null)
            {
                if (missingDiffers && seenMissing) return i;
                first = m;
            }
            else if (!SameClustering(first, m)) return i;
            i++;
        }
        return -1;
    }

    private string ComputeFingerprint()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"PruneCmdlets.KMeansModel;K={K};D={Dimension};Metric={Metric};"));
        var bytes = new byte[_centroids.Length * 4];
        for (int i = 0; i < _centroids.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), BitConverter.SingleToInt32Bits(_centroids[i]));
        sha.AppendData(bytes);
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    public override string ToString() => $"KMeansModel K={K} D={Dimension} {Metric} inertia={Inertia:G6} iterations={Iterations}";

    // ---- persistence -------------------------------------------------------------------------

    /// <summary>File format version written by <see cref="Save"/>; versions 1 (no checksum) and 2 are read.</summary>
    public const int CurrentVersion = 2;

    private sealed class Document
    {
        public string Format { get; set; } = "PruneCmdlets.KMeansModel";
        public int Version { get; set; } = CurrentVersion;
        /// <summary>Version 2 on: the model's <see cref="Fingerprint"/>, checked on load so a damaged file is refused.</summary>
        public string? Sha256 { get; set; }
        public int K { get; set; }
        public int Dimension { get; set; }
        [JsonConverter(typeof(JsonStringEnumConverter))] public DistanceMetric Metric { get; set; }
        [JsonConverter(typeof(JsonStringEnumConverter))] public KMeansInit Init { get; set; }
        public double Inertia { get; set; }
        public int Iterations { get; set; }
        public bool Converged { get; set; }
        public long Seed { get; set; }
        public int TrainingCount { get; set; }
        public int[] ClusterSizes { get; set; } = Array.Empty<int>();
        public float[][] Centroids { get; set; } = Array.Empty<float[]>();
    }

    /// <summary>
    /// Writes the model as JSON (floats round-trip exactly) with its fingerprint, atomically (see
    /// <see cref="PruneCmdlets.IO.AtomicFile"/>). A relative <paramref name="path"/> is relative
    /// to the process directory, not PowerShell's location: from PowerShell use Save-KMeansModel.
    /// </summary>
    public void Save(string path) => PruneCmdlets.IO.AtomicFile.Write(path, ToJson());

    /// <summary>The bytes <see cref="Save"/> writes.</summary>
    public byte[] ToJson()
    {
        var doc = new Document
        {
            K = K, Dimension = Dimension, Metric = Metric, Init = Init, Inertia = Inertia, Iterations = Iterations,
            Converged = Converged, Seed = Seed, TrainingCount = TrainingCount, ClusterSizes = ClusterSizes, Centroids = Centroids,
            Sha256 = Fingerprint,
        };
        return JsonSerializer.SerializeToUtf8Bytes(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a model written by Save().</summary>
    public static KMeansModel Load(string path)
    {
        Document? doc;
        try { doc = JsonSerializer.Deserialize<Document>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a k-means model file: {e.Message}", e); }
        if (doc is null || doc.Format != "PruneCmdlets.KMeansModel")
            throw new InvalidDataException($"'{path}' is not a k-means model file written by KMeansModel.Save().");
        if (doc.Version < 1 || doc.Version > CurrentVersion)
            throw new InvalidDataException($"'{path}' is a k-means model file of version {doc.Version}; this PruneCmdlets reads versions 1 to {CurrentVersion}. Update PruneCmdlets or save the model again.");
        if (doc.K < 1 || doc.Dimension < 1 || doc.Centroids is null || doc.Centroids.Length != doc.K
            || doc.Centroids.Any(r => r is null || r.Length != doc.Dimension))
            throw new InvalidDataException($"'{path}' declares K={doc.K}, D={doc.Dimension} but its centroids do not match.");
        var data = new float[doc.K * doc.Dimension];
        for (int c = 0; c < doc.K; c++) doc.Centroids[c].CopyTo(data, c * doc.Dimension);
        if (data.Any(v => !float.IsFinite(v))) throw new InvalidDataException($"'{path}' holds a NaN or infinite centroid value.");
        var model = new KMeansModel(data, doc.K, doc.Dimension, doc.Metric)
        {
            Init = doc.Init, Inertia = doc.Inertia, Iterations = doc.Iterations, Converged = doc.Converged,
            Seed = doc.Seed, TrainingCount = doc.TrainingCount, ClusterSizes = doc.ClusterSizes,
        };
        if (doc.Version >= 2 && !string.Equals(doc.Sha256, model.Fingerprint, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{path}' is damaged: its centroids hash to {model.Fingerprint}, not the {doc.Sha256 ?? "(missing)"} it was saved with. Save the model again from its source.");
        return model;
    }
}

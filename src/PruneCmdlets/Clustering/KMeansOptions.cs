namespace PruneCmdlets.Clustering;

/// <summary>How distance is measured between embeddings.</summary>
public enum DistanceMetric
{
    /// <summary>1 − cos(x, c) on L2-normalised vectors; k-means becomes spherical k-means.</summary>
    Cosine,
    /// <summary>Plain L2 distance on the raw vectors.</summary>
    Euclidean,
}

/// <summary>How the first centroids are chosen.</summary>
public enum KMeansInit
{
    /// <summary>k-means++ (Arthur and Vassilvitskii 2007): D² sampling, each centroid far from the last.</summary>
    KMeansPlusPlus,
    /// <summary>K distinct records drawn uniformly.</summary>
    Random,
}

/// <summary>Every k-means default in one place, so the cmdlet, the tests and the benchmarks agree.</summary>
public sealed class KMeansOptions
{
    public int K { get; set; } = 8;
    public DistanceMetric Metric { get; set; } = DistanceMetric.Cosine;
    public KMeansInit Init { get; set; } = KMeansInit.KMeansPlusPlus;
    /// <summary>Upper bound on Lloyd iterations per run.</summary>
    public int MaxIterations { get; set; } = 100;
    /// <summary>A run stops when the objective improves by less than this fraction between iterations.</summary>
    public double Tolerance { get; set; } = 1e-4;
    public long Seed { get; set; }
    /// <summary>Independent restarts; the run with the lowest objective wins (earliest on ties).</summary>
    public int NInit { get; set; } = 1;
    /// <summary>Worker threads; -1 uses every core. Never changes the result.</summary>
    public int MaxThreads { get; set; } = -1;
    /// <summary>
    /// k-means++ runs on at most this many seeded-sampled records; -1 (the default) picks
    /// max(8·K, 10 000), 0 uses every record. D² sampling is sequential in K (one pass over the
    /// candidates per centroid), so a cache-sized sample keeps initialisation under the cost of
    /// two Lloyd iterations while Lloyd itself then runs on every record.
    /// </summary>
    public int InitSampleSize { get; set; } = -1;

    /// <summary>The k-means++ sample size for n records: InitSampleSize resolved.</summary>
    public int EffectiveInitSampleSize(int n)
        => InitSampleSize < 0 ? Math.Min(n, Math.Max(8 * K, 10_000)) : InitSampleSize == 0 ? n : Math.Min(n, Math.Max(K, InitSampleSize));

    /// <summary>
    /// Start from these K×D centroids (row-major, prepared for the metric) instead of an
    /// initialisation; a warm start or a benchmark's shared starting point. Needs NInit = 1.
    /// </summary>
    public float[]? InitialCentroids { get; set; }

    /// <summary>
    /// Fit on a seeded sample of this many records (0 = all), then assign every record to the
    /// fitted centroids: for inputs far larger than K, where the centroids settle long before
    /// every record has been seen.
    /// </summary>
    public int SampleSize { get; set; }

    /// <summary>
    /// Mini-batch k-means (Sculley 2010) with batches of this many records (0 = full Lloyd);
    /// MaxIterations then counts batches. Each batch is drawn with the seed, assigned with the
    /// kernel, and folded into the centroids in record order with per-centroid learning rates.
    /// </summary>
    public int MiniBatchSize { get; set; }

    /// <summary>Benchmarks time exactly MaxIterations iterations: no early stop.</summary>
    internal bool RunAllIterations { get; set; }

    /// <summary>
    /// Skip the records whose centroid provably cannot change (<see cref="LloydBounds"/>): null
    /// decides by K·D (below 65 536 the kernel is too cheap for the bookkeeping to pay), true
    /// or false force it. The assignments are the same either way; tests force both to prove it.
    /// </summary>
    internal bool? SkipSettledRecords { get; set; }

    internal bool UsesBounds(int d) => MiniBatchSize == 0 && (SkipSettledRecords ?? (long)K * d >= 1 << 16);

    public void Validate(int n, int d)
    {
        if (n < 1) throw new ArgumentException("k-means needs at least one record.");
        if (d < 1) throw new ArgumentException("Vectors have no dimensions.");
        if (K < 1) throw new ArgumentOutOfRangeException(nameof(K), K, "K must be at least 1.");
        if (K > n) throw new ArgumentOutOfRangeException(nameof(K), K, $"K ({K}) is larger than the number of records ({n}).");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1.");
        if (!(Tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be zero or positive.");
        if (NInit < 1) throw new ArgumentOutOfRangeException(nameof(NInit), NInit, "NInit must be at least 1.");
        if (InitialCentroids is not null && InitialCentroids.Length != (long)K * d)
            throw new ArgumentException($"InitialCentroids holds {InitialCentroids.Length} values, not K ({K}) × D ({d}).");
        if (SampleSize < 0) throw new ArgumentOutOfRangeException(nameof(SampleSize), SampleSize, "SampleSize must be zero (all records) or positive.");
        if (SampleSize > 0 && SampleSize < K) throw new ArgumentOutOfRangeException(nameof(SampleSize), SampleSize, $"SampleSize ({SampleSize}) must be at least K ({K}).");
        if (MiniBatchSize < 0) throw new ArgumentOutOfRangeException(nameof(MiniBatchSize), MiniBatchSize, "MiniBatchSize must be zero (full Lloyd) or positive.");
        if (InitialCentroids is not null && NInit != 1)
            throw new ArgumentException("InitialCentroids fixes the start, so NInit must be 1.");
    }
}

/// <summary>What one Lloyd iteration did; the model keeps the whole history of its best run.</summary>
public sealed class KMeansIterationStats
{
    public int Iteration { get; init; }
    /// <summary>The objective with the centroids this iteration started from (see KMeansModel.Inertia).</summary>
    public double Objective { get; init; }
    public double Seconds { get; init; }
    /// <summary>Of Seconds, the time spent finding each record's nearest centroid.</summary>
    public double AssignSeconds { get; init; }
    /// <summary>K·Σ size² / N²: 1 for perfectly even clusters, larger when a few clusters dominate.</summary>
    public double Imbalance { get; init; }
    /// <summary>Records that changed cluster in this iteration's assignment.</summary>
    public int Changed { get; init; }
    /// <summary>Empty clusters that were re-seeded after the update.</summary>
    public int Reseeded { get; init; }
    /// <summary>
    /// Records compared with every centroid; the rest provably kept their centroid (bounds from
    /// the triangle inequality) and were skipped.
    /// </summary>
    public int Searched { get; init; }
}

/// <summary>Progress reported while fitting; the cmdlet turns it into Write-Progress.</summary>
public readonly record struct KMeansProgress(int Run, int Runs, int Iteration, int MaxIterations, double Objective, double SecondsPerIteration);

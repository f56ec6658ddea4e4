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
    /// k-means++ runs on at most this many seeded-sampled records (0 = all). D² sampling is
    /// sequential in K, so on huge inputs a sample keeps initialisation cheaper than Lloyd.
    /// </summary>
    public int InitSampleSize { get; set; } = 0;

    /// <summary>
    /// Start from these K×D centroids (row-major, prepared for the metric) instead of an
    /// initialisation; a warm start or a benchmark's shared starting point. Needs NInit = 1.
    /// </summary>
    public float[]? InitialCentroids { get; set; }

    /// <summary>Benchmarks time exactly MaxIterations iterations: no early stop.</summary>
    internal bool RunAllIterations { get; set; }

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
}

/// <summary>Progress reported while fitting; the cmdlet turns it into Write-Progress.</summary>
public readonly record struct KMeansProgress(int Run, int Runs, int Iteration, int MaxIterations, double Objective, double SecondsPerIteration);

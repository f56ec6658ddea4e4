using PruneCmdlets.Selection;

namespace PruneCmdlets.Probing;

/// <summary>
/// Labelled vectors for the probe: a contiguous row-major N×D float buffer, one label per row,
/// and for training rows the scores Select-PrunedSet would use (Distance, Cluster).
/// </summary>
public sealed class ProbeData
{
    public ProbeData(float[] vectors, int count, int dimension, IReadOnlyList<string> labels, double[]? distances = null, int[]? clusters = null)
    {
        if (count < 0 || dimension < 1 || vectors.Length != (long)count * dimension)
            throw new ArgumentException($"Vector data holds {vectors.Length} values, not {count} × {dimension}.", nameof(vectors));
        if (labels.Count != count) throw new ArgumentException($"{labels.Count} labels for {count} rows.", nameof(labels));
        for (int i = 0; i < count; i++)
            if (labels[i] is null) throw new ArgumentException($"Row {i} has no label; the probe needs a label on every row.", nameof(labels));
        if (distances is not null && distances.Length != count) throw new ArgumentException($"{distances.Length} distances for {count} rows.", nameof(distances));
        if (clusters is not null && clusters.Length != count) throw new ArgumentException($"{clusters.Length} clusters for {count} rows.", nameof(clusters));
        Vectors = vectors;
        Count = count;
        Dimension = dimension;
        Labels = labels;
        Distances = distances;
        Clusters = clusters;
    }

    public float[] Vectors { get; }
    public int Count { get; }
    public int Dimension { get; }
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Distance to the prototype (larger is harder); needed for Hard and Easy.</summary>
    public double[]? Distances { get; }
    /// <summary>k-means cluster; needed for balancing by Cluster.</summary>
    public int[]? Clusters { get; }

    /// <summary>The k-means model the clusters come from; needed for balancing by Density.</summary>
    public PruneCmdlets.Clustering.KMeansModel? Model { get; init; }

    /// <summary>
    /// Records Find-DataIssue flagged with the issues to exclude (Test-PruningStrategy -Exclude):
    /// with it, every candidate is also measured with those records pruned first, as
    /// Select-PrunedSet -Exclude prunes them.
    /// </summary>
    public bool[]? Excluded { get; init; }

    /// <summary>The issue names <see cref="Excluded"/> stands for, for the results and the recommendation.</summary>
    public IReadOnlyList<string> ExcludedIssues { get; init; } = Array.Empty<string>();
}

/// <summary>Every probe default in one place.</summary>
public sealed class ProbeOptions
{
    /// <summary>The keep fractions tried; results are listed from the largest down.</summary>
    public double[] KeepFractions { get; set; } = { 1.0, 0.8, 0.6, 0.4, 0.2 };

    public KeepStrategy[] Strategies { get; set; } = { KeepStrategy.Hard, KeepStrategy.Easy, KeepStrategy.Random };

    public BalanceBy[] Balances { get; set; } = { BalanceBy.None, BalanceBy.Label };

    /// <summary>Trial t (0-based) of a seeded strategy selects with seed Seed + t, so trial 0 is what Select-PrunedSet -Seed Seed keeps.</summary>
    public long Seed { get; set; }

    /// <summary>Seeded subsets averaged per Random (or other seeded) candidate: one seed is one draw, and a single draw can be lucky.</summary>
    public int RandomTrials { get; set; } = 3;

    /// <summary>
    /// How far below the full-data accuracy a pruned set may score and still count as "as good",
    /// as a fraction of the test set: 0.005 is half a percentage point.
    /// </summary>
    public double Tolerance { get; set; } = 0.005;

    public LogisticRegressionOptions Model { get; set; } = new();

    public void Validate()
    {
        if (KeepFractions is null || KeepFractions.Length == 0) throw new ArgumentException("Give at least one keep fraction.", nameof(KeepFractions));
        foreach (var f in KeepFractions)
            if (!(f > 0 && f <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepFractions), f, "Every keep fraction must be greater than 0 and at most 1.");
        if (Strategies is null || Strategies.Length == 0) throw new ArgumentException("Give at least one strategy.", nameof(Strategies));
        if (Strategies.Contains(KeepStrategy.Auto)) throw new NotSupportedException("Auto is what the probe recommends, not a strategy it can measure.");
        if (Balances is null || Balances.Length == 0) throw new ArgumentException("Give at least one balancing.", nameof(Balances));
        if (RandomTrials < 1) throw new ArgumentOutOfRangeException(nameof(RandomTrials), RandomTrials, "RandomTrials must be at least 1.");
        if (!(Tolerance >= 0 && Tolerance <= 1)) throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance is a fraction of accuracy between 0 and 1 (0.005 = half a point).");
        (Model ?? throw new ArgumentNullException(nameof(Model))).Validate();
    }
}

/// <summary>
/// One candidate pruning measured: which records a strategy keeps at a fraction, and how well a
/// logistic regression trained on only those classifies the held-out test set.
/// </summary>
public sealed class ProbeResult
{
    /// <summary>Which records survive (Select-PrunedSet -Keep).</summary>
    public KeepStrategy Keep { get; init; }
    /// <summary>The groups kept at an equal fraction (Select-PrunedSet -BalanceBy).</summary>
    public BalanceBy BalanceBy { get; init; }
    public double KeepFraction { get; init; }
    /// <summary>Records kept: round(KeepFraction × TotalCount), at least 1, as Select-PrunedSet counts.</summary>
    public int KeptCount { get; init; }
    public int TotalCount { get; init; }
    /// <summary>Fraction of the test set classified correctly (for seeded strategies such as Random, the mean over the trials).</summary>
    public double TestAccuracy { get; init; }
    /// <summary>TestAccuracy minus the accuracy of the model trained on every record.</summary>
    public double AccuracyChange { get; init; }
    /// <summary>Sample standard deviation of the accuracy across the trials; 0 for one trial and for Hard and Easy.</summary>
    public double AccuracyStdDev { get; init; }
    /// <summary>Trainings averaged: RandomTrials for seeded strategies (Random), 1 for Hard and Easy.</summary>
    public int Trials { get; init; }
    /// <summary>The seed of the first trial (Select-PrunedSet -Seed reproduces it); trials t use Seed + t.</summary>
    public long Seed { get; init; }
    /// <summary>Per training label: the fraction of its records kept (mean over the trials).</summary>
    public IReadOnlyDictionary<string, double> ClassKeptFraction { get; init; } = new Dictionary<string, double>();
    /// <summary>Classes with no record left in the kept set (the model can never predict them).</summary>
    public int ClassesDropped { get; init; }
    /// <summary>True when every training of this candidate stopped on a tolerance, not the iteration limit.</summary>
    public bool Converged { get; init; }
    /// <summary>True on the row the recommendation chose.</summary>
    public bool Recommended { get; internal set; }

    /// <summary>The issues pruned before the policy ran (Select-PrunedSet -Exclude); empty when none were.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{Keep}/{BalanceBy}{(Exclude.Count > 0 ? " excluding " + string.Join(",", Exclude) : "")} {KeepFraction:0.###}: {TestAccuracy:P2}";
}

/// <summary>
/// What the probe recommends: the smallest keep fraction that keeps test accuracy within
/// <see cref="Tolerance"/> of the full data, and the strategy that did best there. Its
/// KeepFraction, Keep, BalanceBy and Seed are Select-PrunedSet's parameters.
/// </summary>
public sealed class PruningRecommendation
{
    public double KeepFraction { get; init; }
    public KeepStrategy Keep { get; init; }
    public BalanceBy BalanceBy { get; init; }
    /// <summary>The issues to exclude first (Select-PrunedSet -Exclude); empty when excluding them did not do better.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();
    /// <summary>The seed to pass to Select-PrunedSet when Keep draws with a seed (Random).</summary>
    public long Seed { get; init; }
    public int KeptCount { get; init; }
    public int TotalCount { get; init; }
    /// <summary>Test accuracy of the model trained on every record.</summary>
    public double FullDataAccuracy { get; init; }
    /// <summary>Test accuracy of the recommended candidate.</summary>
    public double Accuracy { get; init; }
    public double Tolerance { get; init; }
    public int TestCount { get; init; }
    /// <summary>Binomial standard error of FullDataAccuracy on this test set: √(a(1−a)/TestCount).</summary>
    public double StandardError { get; init; }
    /// <summary>Why this candidate, in words.</summary>
    public string Reason { get; init; } = "";
    /// <summary>Every measured candidate, in the order the probe emits them.</summary>
    public IReadOnlyList<ProbeResult> Results { get; init; } = Array.Empty<ProbeResult>();

    public override string ToString() => $"Keep {KeepFraction:0.###} ({Keep}, BalanceBy {BalanceBy}{(Exclude.Count > 0 ? ", excluding " + string.Join(", ", Exclude) : "")})";
}

/// <summary>A whole probe: rows, the recommendation, and the baseline.</summary>
public sealed class ProbeReport
{
    public required IReadOnlyList<ProbeResult> Results { get; init; }
    public required PruningRecommendation Recommendation { get; init; }
    public double FullDataAccuracy { get; init; }
    /// <summary>Distinct kept sets trained (identical sets, such as every candidate at 1.0, are trained once).</summary>
    public int Trainings { get; init; }
    /// <summary>Trainings that did not stop on a tolerance (iteration limit, or a line search that found no better point).</summary>
    public int NotConverged { get; init; }
    public double Seconds { get; init; }
}

/// <summary>Progress while probing; the cmdlet turns it into Write-Progress.</summary>
public readonly record struct ProbeProgress(int Training, int Trainings, string Candidate, int Iteration, double Objective,
    double FractionDone, double SecondsRemaining);

/// <summary>The test set holds labels the training records never have: no model can predict them.</summary>
public sealed class UnseenLabelException : ArgumentException
{
    public UnseenLabelException(IReadOnlyList<string> labels, int testRecords)
        : base($"The test set has {testRecords} record(s) labelled {string.Join(", ", labels.Take(10).Select(l => $"'{l}'"))}" +
               (labels.Count > 10 ? $" and {labels.Count - 10} more label(s)" : "") +
               ", which no training record has; a model trained on these records can never predict " +
               (labels.Count == 1 ? "it" : "them") + ". Remove those records from the test set or add training records with that label.")
    {
        Labels = labels;
    }

    public IReadOnlyList<string> Labels { get; }
}

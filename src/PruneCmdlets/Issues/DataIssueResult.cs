namespace PruneCmdlets.Issues;

/// <summary>The stable names of the issues a record can carry (its Issues array), and what Select-PrunedSet -Exclude takes.</summary>
public enum DataIssueKind
{
    /// <summary>The given label is likely wrong (confident learning).</summary>
    LabelError,
    /// <summary>Far from its nearest neighbours, above the outlier threshold.</summary>
    Outlier,
    /// <summary>A near-copy of another record of the set that is kept in its place.</summary>
    Duplicate,
    /// <summary>A near-copy of a record of the reference set (a test split).</summary>
    Leak,
}

/// <summary>A bad call or bad data for the checks: the ErrorId says which, the message what to do.</summary>
public sealed class DataIssueException : Exception
{
    public DataIssueException(string errorId, string message, int record = -1) : base(message) { ErrorId = errorId; Record = record; }
    public string ErrorId { get; }
    /// <summary>Input index of the record at fault, or −1.</summary>
    public int Record { get; }
}

/// <summary>What one record carries away from the checks.</summary>
public sealed class RecordIssues
{
    public static readonly RecordIssues None = new();
    public string[] Issues { get; init; } = Array.Empty<string>();
    /// <summary>One sentence per issue, in the order of <see cref="Issues"/>.</summary>
    public string[] Sentences { get; init; } = Array.Empty<string>();
    /// <summary>The sentences joined by "; ", or null when there is no issue.</summary>
    public string? Reason => Sentences.Length == 0 ? null : string.Join("; ", Sentences);
    public double? LabelQuality { get; init; }
    public string? SuggestedLabel { get; init; }
    public double? OutlierScore { get; init; }
    public string? DuplicateOf { get; init; }
    public double? DuplicateSimilarity { get; init; }
    public string? LeakOf { get; init; }
    public double? LeakSimilarity { get; init; }
    public double? LeakPixelSimilarity { get; init; }
}

/// <summary>One cell of the estimated noise matrix: records labelled Given that confident learning counts under Suggested.</summary>
public sealed record NoiseCell(string Given, string Suggested, long Count);

/// <summary>
/// What a Find-DataIssue run found over the whole set, shared by every record it annotated (its
/// DataIssues property): the checks and thresholds, the counts, and how well the embedding fits
/// the labels at all.
/// </summary>
public sealed class DataIssueSummary
{
    public int Records { get; init; }
    public DataCheck Checks { get; init; }
    public long Seed { get; init; }
    public int Neighbors { get; init; }
    /// <summary>How the nearest neighbours were searched: "exact", or the clustered search's lists and probes.</summary>
    public string? NeighborSearch { get; init; }
    /// <summary>Records per issue name.</summary>
    public IReadOnlyDictionary<string, int> Counts { get; init; } = new Dictionary<string, int>();
    /// <summary>Records per issue name and class (label; "(no label)" for unlabelled records).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> CountsByClass { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, int>>();

    // The label check.
    public LabelClassifier? Classifier { get; init; }
    public int Folds { get; init; }
    public IReadOnlyList<string> Classes { get; init; } = Array.Empty<string>();
    /// <summary>Per class, the mean self-confidence that another class must clear to flag a record.</summary>
    public IReadOnlyList<double> ClassThresholds { get; init; } = Array.Empty<double>();
    /// <summary>The confident joint, given × suggested, every non-zero cell (the diagonal included).</summary>
    public IReadOnlyList<NoiseCell> NoiseMatrix { get; init; } = Array.Empty<NoiseCell>();
    /// <summary>Out-of-sample accuracy of the classifier against the given labels.</summary>
    public double? CrossValidatedAccuracy { get; init; }
    /// <summary>Mean fraction of each record's nearest neighbours that share its label.</summary>
    public double? NeighborAgreement { get; init; }
    /// <summary>The checksum of the label model the label check took its probabilities and thresholds from (-LabelModel); null when it fitted its own.</summary>
    public string? LabelModel { get; init; }
    /// <summary>Records left out of the label check because they have no label.</summary>
    public int Unlabelled { get; init; }

    // The other checks.
    public double? OutlierThreshold { get; init; }
    /// <summary>How the outlier threshold was chosen, in words.</summary>
    public string? OutlierRule { get; init; }
    public double? DuplicateThreshold { get; init; }
    public int DuplicateGroups { get; init; }
    public int ReferenceRecords { get; init; }
    public double? LeakThreshold { get; init; }
    public double? LeakCandidateThreshold { get; init; }
    public double? LeakPixelThreshold { get; init; }
    /// <summary>The pixel similarity two large images close in the embedding need (only when every image pair was compared).</summary>
    public double? LeakPixelAgreement { get; init; }
    /// <summary>Which image pairs the pixels decided: Auto (pairs with a small image), Always (every pair), or null (none: the embedding decided).</summary>
    public PixelComparison? LeakPixelScope { get; init; }
    public int LeakPixelChecks { get; init; }

    /// <summary>Below these the embedding fits the labels poorly and every score built on it deserves doubt.</summary>
    public const double LowAccuracy = 0.6, LowAgreement = 0.5;

    /// <summary>A warning when the embedding does not suit the labels, else null.</summary>
    public string? FitWarning => (CrossValidatedAccuracy is { } a && a < LowAccuracy) || (NeighborAgreement is { } g && g < LowAgreement)
        ? $"The embedding fits these labels poorly (cross-validated probe accuracy {CrossValidatedAccuracy:P1}, neighbour label agreement {NeighborAgreement:P1}): " +
          "a model trained on other kinds of images or text may not suit this data, and distances, clusters and label checks built on it deserve doubt. Try a model of your domain with -ModelPath."
        : null;

    public override string ToString()
        => string.Join(", ", Counts.Select(kv => $"{kv.Key} {kv.Value}")) is { Length: > 0 } s ? $"{Records} records: {s}" : $"{Records} records: no issues";
}

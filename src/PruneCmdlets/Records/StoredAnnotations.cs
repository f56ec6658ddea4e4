namespace PruneCmdlets;

/// <summary>
/// What earlier stages wrote about a record, as a manifest file stores it (Export-Embedding to
/// Parquet): read back, it puts the annotations on the imported record as they were. Object
/// annotations (KMeansModel, Selection) have no column and do not come back; the k-means
/// model's fingerprint does (<see cref="KMeansModel"/>), so a sharded run can check it.
/// </summary>
internal readonly record struct StoredAnnotations(
    string? Path = null,
    int? Cluster = null,
    double? Distance = null,
    double? Percentile = null,
    string? Prototype = null,
    bool? Kept = null,
    string? Reason = null,
    string? DuplicateOf = null,
    double? Similarity = null,
    string? Text = null,
    int? TokenCount = null,
    int? TruncatedTokens = null,
    string[]? Issues = null,
    double? LabelQuality = null,
    string? SuggestedLabel = null,
    double? OutlierScore = null,
    string? LeakOf = null,
    string? KMeansModel = null);

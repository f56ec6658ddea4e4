namespace PruneCmdlets.Apply;

/// <summary>How a kept file reaches the destination. There is deliberately no Move: sources stay as they were.</summary>
public enum ApplyMode
{
    /// <summary>A full copy of the bytes (the default; works across file systems).</summary>
    Copy,
    /// <summary>A hard link: the same file under a second name, on the same file system only.</summary>
    HardLink,
    /// <summary>A symbolic link to the source's full path.</summary>
    SymbolicLink,
}

/// <summary>
/// One record of a pruning decision as the apply step sees it: where the file is, whether it is
/// kept, and the annotations the manifest carries. <see cref="ExpectedSize"/> and
/// <see cref="ExpectedSha256"/> are set when the record comes from a saved manifest; the source
/// must still match them or it is not copied. <see cref="Override"/> is the SHA-256 of the
/// overrides file whose line set this record's decision (Export-PrunedSet -Override), else null.
/// </summary>
internal sealed record ApplyItem(
    string Id,
    string Path,
    bool Kept,
    string? Label = null,
    int? Cluster = null,
    double? Distance = null,
    double? Percentile = null,
    string? DuplicateOf = null,
    double? Similarity = null,
    string? Reason = null,
    long? ExpectedSize = null,
    string? ExpectedSha256 = null,
    string? Model = null,
    string? Issues = null,
    double? LabelQuality = null,
    string? SuggestedLabel = null,
    double? OutlierScore = null,
    string? LeakOf = null,
    string? Override = null);

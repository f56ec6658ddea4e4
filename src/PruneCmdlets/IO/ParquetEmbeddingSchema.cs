namespace PruneCmdlets.IO;

/// <summary>How a Parquet file of embeddings is compressed (Export-Embedding -Compression).</summary>
public enum ParquetCompression
{
    /// <summary>Fast and read by every Parquet tool: the default of pyarrow, Spark and DuckDB.</summary>
    Snappy,
    /// <summary>Smaller files at more CPU per row group; read by every current tool.</summary>
    Zstd,
    /// <summary>gzip: the oldest codec, readable everywhere, the slowest to write.</summary>
    Gzip,
    /// <summary>No compression: the fastest to write and read; float vectors rarely compress much anyway.</summary>
    None,
}

/// <summary>
/// The column names of the module's Parquet manifests, the one place they are spelled: written by
/// <see cref="ParquetEmbeddingWriter"/>, recognised by <see cref="ParquetEmbeddingReader"/>
/// (ignoring case and underscores, so PascalCase files from other tools match too).
/// </summary>
public static class ParquetEmbeddingSchema
{
    public const string Id = "id";
    public const string Path = "path";
    public const string Label = "label";
    public const string Embedding = "embedding";
    public const string Model = "model";
    public const string Cluster = "cluster";
    public const string Distance = "distance";
    public const string Percentile = "percentile";
    public const string Prototype = "prototype";
    public const string Kept = "kept";
    public const string Reason = "reason";
    public const string DuplicateOf = "duplicate_of";
    public const string Similarity = "similarity";
    public const string Text = "text";
    public const string TokenCount = "token_count";
    public const string TruncatedTokens = "truncated_tokens";
    /// <summary>The SHA-256 fingerprint of the k-means model a record's cluster and distance come from (not its centroids).</summary>
    public const string KMeansModel = "kmeans_model";
    /// <summary>Find-DataIssue's issue names, joined by ";" (empty for a checked record without issues).</summary>
    public const string Issues = "issues";
    public const string LabelQuality = "label_quality";
    public const string SuggestedLabel = "suggested_label";
    public const string OutlierScore = "outlier_score";
    public const string LeakOf = "leak_of";

    /// <summary>Rows per row group unless told otherwise: 32 Ki rows, 64 MiB of float32 at 512 dimensions.</summary>
    public const int DefaultRowGroupSize = 32_768;

    /// <summary>True when <paramref name="column"/> is <paramref name="name"/> up to case and underscores (duplicate_of, DuplicateOf).</summary>
    public static bool Matches(string column, string name)
        => column.Equals(name, StringComparison.OrdinalIgnoreCase)
        || column.Replace("_", "").Equals(name.Replace("_", ""), StringComparison.OrdinalIgnoreCase);
}

namespace PruneCmdlets.IO;

/// <summary>What is wrong with a Parquet input; the name is the ErrorId the cmdlets report.</summary>
public enum ParquetProblem
{
    /// <summary>Not a Parquet file, truncated, or a page that does not decode: the rest of the file is skipped.</summary>
    InvalidParquetFile,
    /// <summary>The embedding column (or a column named by a parameter) is not in the file: the file is skipped.</summary>
    MissingColumn,
    /// <summary>A column of a type the property cannot take (a string embedding, a list of int64): the file is skipped.</summary>
    WrongColumnType,
    /// <summary>Most of the file's vectors have a different length than the set's first file's: the file is skipped.</summary>
    DimensionMismatch,
    /// <summary>A row whose vector has a different length than most of the file's first rows (the set's length): the row is skipped.</summary>
    RaggedVector,
    /// <summary>The file's first rows hold vectors of several lengths, none more often than the others: the file is skipped.</summary>
    AmbiguousDimension,
    /// <summary>A row whose vector is null, empty or holds a null element: the row is skipped.</summary>
    NullVector,
    /// <summary>A row whose vector holds NaN or infinity (or a float64 beyond float32's range): the row is skipped.</summary>
    NonFiniteVector,
}

/// <summary>A problem with a whole Parquet file (or what is left of it), naming the file and the column.</summary>
public sealed class ParquetEmbeddingException(ParquetProblem problem, string file, string? column, string message, Exception? inner = null)
    : IOException(message, inner)
{
    public ParquetProblem Problem { get; } = problem;
    public string File { get; } = file;
    public string? Column { get; } = column;
}

/// <summary>One row that was skipped: the file, the column, its 0-based row in the file and why.</summary>
/// <param name="BeforeRecord">How many of the row group's records come before it, so errors go out in row order.</param>
public sealed record ParquetRowProblem(ParquetProblem Problem, string File, string Column, long Row, string Message, int BeforeRecord);

/// <summary>
/// The usable rows of one row group: their vectors side by side in one block (records point
/// into it, no array per row), the scalar columns that were present, and the rows skipped.
/// A file that cannot be read at all comes as a piece with <see cref="FileError"/> and no rows.
/// </summary>
public sealed class ParquetEmbeddingRows
{
    internal ParquetEmbeddingRows(string file) => File = file;

    public string File { get; }
    public ParquetEmbeddingException? FileError { get; internal init; }
    public int Count { get; internal set; }
    public int Dimension { get; internal set; }
    internal float[] Block { get; set; } = Array.Empty<float>();
    /// <summary>0-based row in the set (all files so far) of each record: its Id when the file has no id column.</summary>
    internal int[] SetRows { get; set; } = Array.Empty<int>();
    /// <summary>Row in the row group of each record, to index the column arrays below.</summary>
    internal int[] GroupRows { get; set; } = Array.Empty<int>();
    public IReadOnlyList<ParquetRowProblem> Problems { get; internal set; } = Array.Empty<ParquetRowProblem>();

    internal string?[]? Ids, Labels, Paths, Models, Prototypes, Reasons, DuplicateOfs, Texts, Issues, SuggestedLabels, LeakOfs, KMeansModels;
    internal double?[]? LabelQualities, OutlierScores;
    internal int?[]? Clusters, TokenCounts, TruncatedTokens;
    internal double?[]? Distances, Percentiles, Similarities;
    internal bool?[]? Kept;

    /// <summary>The <paramref name="k"/>th record, with the model name the file stored, else <paramref name="defaultModel"/>.</summary>
    internal EmbeddingRecord Record(int k, string? modelOverride, string? defaultModel)
    {
        int i = GroupRows[k];
        var stored = new StoredAnnotations(
            Path: Paths?[i], Cluster: Clusters?[i], Distance: Distances?[i], Percentile: Percentiles?[i], Prototype: Prototypes?[i],
            Kept: Kept?[i], Reason: Reasons?[i], DuplicateOf: DuplicateOfs?[i], Similarity: Similarities?[i], Text: Texts?[i],
            TokenCount: TokenCounts?[i], TruncatedTokens: TruncatedTokens?[i],
            Issues: Issues?[i] is { } issues ? issues.Split(';', StringSplitOptions.RemoveEmptyEntries) : null,
            LabelQuality: LabelQualities?[i], SuggestedLabel: SuggestedLabels?[i], OutlierScore: OutlierScores?[i], LeakOf: LeakOfs?[i], KMeansModel: KMeansModels?[i]);
        return EmbeddingRecord.Restored(Ids?[i], SetRows[k], Labels?[i], Block, k * Dimension, Dimension,
            modelOverride ?? Models?[i] ?? defaultModel, stored);
    }
}

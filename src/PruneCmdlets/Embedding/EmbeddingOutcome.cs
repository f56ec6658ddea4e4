namespace PruneCmdlets.Embedding;

/// <summary>
/// What became of one item an embedder was given: its record, or the stable ErrorId and the
/// exception that stopped it. A failure stops that item only; the others go on.
/// </summary>
public sealed class EmbeddingOutcome<TItem>
{
    private EmbeddingOutcome(TItem item, EmbeddingRecord? record, string? errorId, Exception? error)
    {
        Item = item;
        Record = record;
        ErrorId = errorId;
        Error = error;
    }

    /// <summary>The item as it was given (an image's path, a text item).</summary>
    public TItem Item { get; }
    /// <summary>The record, or null when the item failed.</summary>
    public EmbeddingRecord? Record { get; }
    /// <summary>Why the item has no record, as a stable name (e.g. ImageDecodeFailed); null on success.</summary>
    public string? ErrorId { get; }
    public Exception? Error { get; }

    public static EmbeddingOutcome<TItem> Embedded(TItem item, EmbeddingRecord record) => new(item, record, null, null);
    public static EmbeddingOutcome<TItem> Failed(TItem item, string errorId, Exception error) => new(item, null, errorId, error);
}

/// <summary>
/// The label rule both embedding cmdlets follow: -NoLabel gives none, -Label gives that one to
/// every record, else each item keeps its own (for a file read whole, the ImageFolder
/// convention: <see cref="FolderOf"/>).
/// </summary>
public sealed class EmbeddingLabel
{
    private readonly string? _fixed;
    private readonly bool _none;

    /// <summary>Each item's own label.</summary>
    public static readonly EmbeddingLabel Own = new(null, none: false);

    public EmbeddingLabel(string? fixedLabel, bool none)
    {
        if (none && fixedLabel is not null) throw new ArgumentException("Give either a fixed label or none, not both.", nameof(fixedLabel));
        _fixed = fixedLabel;
        _none = none;
    }

    public string? For(string? own) => _none ? null : _fixed ?? own;

    /// <summary>The ImageFolder convention: the class is the name of the folder holding the file.</summary>
    public static string FolderOf(string file) => new DirectoryInfo(Path.GetDirectoryName(file) ?? "").Name;
}

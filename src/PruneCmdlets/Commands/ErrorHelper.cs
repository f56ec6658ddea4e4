using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>
/// Every error the module reports, with a stable ErrorId a script can catch on
/// (<c>Should -Throw -ErrorId</c>, <c>$_.FullyQualifiedErrorId</c>) and a real category.
/// </summary>
internal static class ErrorHelper
{
    /// <summary>
    /// An image Get-Embedding skipped, under the ErrorId a script tells them apart by:
    /// FileReadFailed (ReadError) when the file could not be read (retry it), ImageTooLarge
    /// (LimitsExceeded) above the pixel budget, ImageDecodeFailed (InvalidData) for bytes that are
    /// not an image it decodes.
    /// </summary>
    public static ErrorRecord ImageLoadFailed(PruneCmdlets.Embedding.ImageLoadException e)
        => e.ErrorId switch
        {
            "FileReadFailed" => FileReadFailed(e.Path, e),
            "ImageTooLarge" => new(e, e.ErrorId, ErrorCategory.LimitsExceeded, e.Path),
            _ => new(e, e.ErrorId, ErrorCategory.InvalidData, e.Path),
        };

    /// <summary>A file whose bytes could not be read (an I/O error, no permission, gone since it was listed); the TargetObject is its path.</summary>
    public static ErrorRecord FileReadFailed(string path, Exception e)
        => new(e, "FileReadFailed", ErrorCategory.ReadError, path);

    public static ErrorRecord PathNotFound(string path)
        => new(new ItemNotFoundException($"Cannot find path '{path}' because it does not exist."), "PathNotFound", ErrorCategory.ObjectNotFound, path);

    public static ErrorRecord NonFiniteRow(string path, int row)
        => new(new InvalidDataException($"Row {row} of '{path}' holds NaN or infinity; it was skipped."), "NonFiniteVector", ErrorCategory.InvalidData, row);

    public static ErrorRecord MissingLabel(object item, string id, string consequence)
        => new(new ArgumentException($"Record '{id}' has no Label; {consequence}"), "MissingLabel", ErrorCategory.InvalidData, item);

    public static ErrorRecord MissingVector(object item)
        => new(new ArgumentException($"The input '{Describe(item)}' has no numeric Vector property; pipe in records from Get-Embedding or Import-Embedding."), "MissingVector", ErrorCategory.InvalidArgument, item);

    public static ErrorRecord NonFiniteVector(object item, string id)
        => new(new ArgumentException($"The vector of '{id}' holds NaN or infinity; it was left out rather than clustered."), "NonFiniteVector", ErrorCategory.InvalidData, item);

    public static ErrorRecord ZeroVector(object item, string id)
        => new(new ArgumentException($"The vector of '{id}' is all zeros; it has no direction under the Cosine metric and was left out (use -Metric Euclidean to keep it)."), "ZeroVector", ErrorCategory.InvalidData, item);

    public static ErrorRecord DimensionMismatch(object item, string id, int got, int expected)
        => new(new ArgumentException($"The vector of '{id}' has {got} dimensions but the first record had {expected}; all records must come from the same model."), "DimensionMismatch", ErrorCategory.InvalidData, item);

    public static ErrorRecord NoInput(string what)
        => new(new InvalidOperationException($"{what} received no records; pipe in embeddings, e.g. Get-ChildItem ./images -File | Get-Embedding | {what.Split(' ')[0]}."), "NoInput", ErrorCategory.InvalidOperation, null);

    public static ErrorRecord InvalidK(int k, int n)
        => new(new ArgumentOutOfRangeException("K", k, k < 1
                ? $"-K must be at least 1; got {k}."
                : $"-K {k} is larger than the {n} records received; use a K of at most {n}."),
            "InvalidK", ErrorCategory.InvalidArgument, k);

    /// <summary>
    /// -KeepFraction outside (0, 1], for every cmdlet that takes one (Select-PrunedSet and the
    /// policy cmdlets, and each of Test-PruningStrategy's list): one ErrorId, one exception type.
    /// </summary>
    public static ErrorRecord InvalidKeepFraction(double value, bool countAlternative = true)
        => new(new ArgumentOutOfRangeException("KeepFraction", value,
                $"-KeepFraction must be greater than 0 and at most 1; got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}." +
                (countAlternative ? " Use -KeepCount for an absolute number." : "")),
            "InvalidKeepFraction", ErrorCategory.InvalidArgument, value);

    public static ErrorRecord Terminating(string id, ErrorCategory category, string message, object? target = null, Exception? inner = null)
        => new(inner is null ? new InvalidOperationException(message) : new InvalidOperationException(message, inner), id, category, target);

    /// <summary>Records scored or clustered against two different k-means models (see KMeansModel.SameClustering).</summary>
    public static ErrorRecord MixedClusterModels(object item, string id, string advice) =>
        Terminating("MixedClusterModels", ErrorCategory.InvalidArgument,
            $"Record '{id}' was clustered against a different k-means model (another fingerprint) than the records before it: cluster numbers of different models do not match, so {advice}", item);

    public static ErrorRecord SourceFileChanged(string path)
        => Terminating("SourceFileChanged", ErrorCategory.InvalidData, PruneCmdlets.IO.MappedFloats.ChangedMessage(path), path);

    public static ErrorRecord FileError(string id, string path, Exception e)
        => new(e, id, e switch
        {
            FileNotFoundException or DirectoryNotFoundException => ErrorCategory.ObjectNotFound,
            UnauthorizedAccessException => ErrorCategory.PermissionDenied,
            IOException => ErrorCategory.WriteError,
            _ => ErrorCategory.InvalidData,
        }, path);

    /// <summary>A file Export-PrunedSet could not place, under the category its ErrorId calls for.</summary>
    public static ErrorRecord ApplyFailed(string id, string path, Exception e)
        => new(e, id, id switch
        {
            "SourceChanged" => ErrorCategory.InvalidData,
            "SourceNotFound" => ErrorCategory.ObjectNotFound,
            "TargetExists" => ErrorCategory.ResourceExists,
            "PathOutsideRoot" => ErrorCategory.InvalidArgument,
            "HardLinkCrossDevice" => ErrorCategory.InvalidOperation,
            "DiskFull" => ErrorCategory.LimitsExceeded,
            "DestinationLocked" => ErrorCategory.ResourceBusy,
            "DestinationNotWritable" => ErrorCategory.PermissionDenied,
            "NoJournal" or "DestinationNotFound" => ErrorCategory.ObjectNotFound,
            "JournalChanged" => ErrorCategory.ResourceBusy,
            _ => FileError(id, path, e).CategoryInfo.Category,
        }, path);

    public static ErrorRecord NullInput(long index)
        => new(new ArgumentNullException("InputObject", $"Pipeline input {index} is null; it was skipped."), "NullInput", ErrorCategory.InvalidArgument, index);

    public static ErrorRecord EmptyText(string where, bool missing, object target)
        => new(new ArgumentException($"The text of {where} is {(missing ? "missing" : "empty or whitespace")}; it was skipped."), "EmptyText", ErrorCategory.InvalidData, target);

    public static ErrorRecord MissingTextProperty(PSObject item, long index, string property)
        => new(new ArgumentException($"Pipeline input {index} ({item.BaseObject.GetType().Name}) has no '{property}' property (it has: {string.Join(", ", item.Properties.Select(p => p.Name).Take(20))}); it was skipped. Name the property with -TextProperty."),
            "MissingTextProperty", ErrorCategory.InvalidArgument, item);

    /// <summary>A document or file the text reader could not use; the ErrorId is the problem's name (InvalidUtf8, MissingColumn, …).</summary>
    public static ErrorRecord TextReadProblem(PruneCmdlets.IO.TextReadProblem problem, string message, string location)
        => new(new InvalidDataException(message), problem.ToString(), problem switch
        {
            PruneCmdlets.IO.TextReadProblem.ReadFailed or PruneCmdlets.IO.TextReadProblem.FileReadFailed => ErrorCategory.ReadError,
            PruneCmdlets.IO.TextReadProblem.UnsupportedFormat => ErrorCategory.NotImplemented,
            PruneCmdlets.IO.TextReadProblem.MissingColumn or PruneCmdlets.IO.TextReadProblem.MissingTextField => ErrorCategory.ObjectNotFound,
            _ => ErrorCategory.InvalidData,
        }, location);

    /// <summary>A Parquet row that was skipped (null, ragged or non-finite vector); the ErrorId is the problem's name, the target the file:row.</summary>
    public static ErrorRecord ParquetRowProblem(PruneCmdlets.IO.ParquetRowProblem problem)
        => new(new InvalidDataException(problem.Message), problem.Problem.ToString(), ErrorCategory.InvalidData, $"{problem.File}:{problem.Row}");

    /// <summary>A Parquet file (or its rest) that was skipped: unreadable, truncated, a missing or mistyped column, another vector length.</summary>
    public static ErrorRecord ParquetFileProblem(PruneCmdlets.IO.ParquetEmbeddingException e)
        => new(e, e.Problem.ToString(), e.Problem switch
        {
            PruneCmdlets.IO.ParquetProblem.MissingColumn => ErrorCategory.ObjectNotFound,
            PruneCmdlets.IO.ParquetProblem.InvalidParquetFile => ErrorCategory.ReadError,
            _ => ErrorCategory.InvalidData,
        }, e.File);

    private static string Describe(object item)
    {
        var s = item is PSObject p ? p.BaseObject?.ToString() : item?.ToString();
        return string.IsNullOrEmpty(s) ? "(null)" : (s!.Length > 80 ? s[..80] + "…" : s);
    }
}

using System.Management.Automation;
using PruneCmdlets.Selection;
using PruneCmdlets.Sharding;

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
        => new(new ArgumentException($"The vector of '{id}' holds NaN or infinity, so no distance to it means anything; it was left out."), "NonFiniteVector", ErrorCategory.InvalidData, item);

    /// <param name="metricChoice">Whether the command has -Metric: only then is Euclidean a way to keep the record.</param>
    public static ErrorRecord ZeroVector(object item, string id, bool metricChoice = true)
        => new(new ArgumentException(metricChoice
            ? $"The vector of '{id}' is all zeros; it has no direction under the Cosine metric and was left out (use -Metric Euclidean to keep it)."
            : $"The vector of '{id}' is all zeros; it has no direction, and this command compares records by cosine similarity, so it was left out."), "ZeroVector", ErrorCategory.InvalidData, item);

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
    /// policy cmdlets, and each of Test-PruningStrategy's list): one ErrorId, one exception type,
    /// the message of the core's range check.
    /// </summary>
    public static ErrorRecord InvalidKeepFraction(double value, bool countAlternative = true)
        => Selection(SelectionPolicy.KeepFractionOutOfRange(value, countAlternative));

    /// <summary>
    /// A selection error of the core as the command reports it: the core's ErrorId, kind and
    /// message unchanged, and as the target the record at fault (from <paramref name="records"/>
    /// by its index, or the one the error carries), the value out of range, or the record's Id.
    /// </summary>
    public static ErrorRecord Selection(SelectionInputException e, IReadOnlyList<object>? records = null)
    {
        object? target = e.Target ?? (e.Record >= 0 && records is not null && e.Record < records.Count ? records[e.Record] : null) ?? e.TargetId;
        var category = e.Kind == SelectionErrorKind.InvalidData ? ErrorCategory.InvalidData : ErrorCategory.InvalidArgument;
        return e.OutOfRangeParameter is { } parameter
            ? new(new ArgumentOutOfRangeException(parameter, e.Target, e.Message), e.ErrorId, category, target)
            : Terminating(e.ErrorId, category, e.Message, target, e);
    }

    /// <summary>Runs a step of the core; a <see cref="SelectionInputException"/> it throws ends the command as <see cref="Selection"/> reports it.</summary>
    public static T Core<T>(this Cmdlet cmdlet, Func<T> step, IReadOnlyList<object>? records = null)
    {
        try { return step(); }
        catch (SelectionInputException e)
        {
            cmdlet.ThrowTerminatingError(Selection(e, records));
            throw;   // not reached: ThrowTerminatingError throws
        }
    }

    /// <inheritdoc cref="Core{T}(Cmdlet, Func{T}, IReadOnlyList{object}?)"/>
    public static void Core(this Cmdlet cmdlet, Action step) => cmdlet.Core(() => { step(); return true; });

    /// <summary>A shard file problem (missing, damaged, of another run) under its ErrorId, naming the file.</summary>
    public static ErrorRecord ShardFile(ShardFileException f)
        => Terminating(f.ErrorId, f.ErrorId switch
        {
            "ShardFileNotFound" or "ShardSummaryMissing" => ErrorCategory.ObjectNotFound,
            "ShardSummaryDuplicate" => ErrorCategory.ResourceExists,
            "ShardFileUnreadable" => ErrorCategory.ReadError,
            "NoInput" => ErrorCategory.InvalidOperation,
            _ => ErrorCategory.InvalidData,
        }, f.Message, f.Path, f);

    /// <summary>A shard step's failure: a shard file problem, a selection error, or anything else as ShardStepFailed.</summary>
    public static ErrorRecord Shard(Exception e, IReadOnlyList<object>? records = null) => e switch
    {
        ShardFileException f => ShardFile(f),
        SelectionInputException s => Selection(s, records),
        _ => Terminating("ShardStepFailed", ErrorCategory.InvalidOperation, e.Message, null, e),
    };

    /// <summary>A policy word the call names but that does not apply to it (ParameterNotApplicable), naming the parameter.</summary>
    public static ErrorRecord NotApplicable(string parameter, string message)
        => Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument, message, parameter);

    public static ErrorRecord Terminating(string id, ErrorCategory category, string message, object? target = null, Exception? inner = null)
        => new(inner is null ? new InvalidOperationException(message) : new InvalidOperationException(message, inner), id, category, target);

    /// <summary>Records scored or clustered against two different k-means models (see KMeansModel.SameClustering).</summary>
    public static ErrorRecord MixedClusterModels(object item, string id, string advice) =>
        Terminating("MixedClusterModels", ErrorCategory.InvalidArgument,
            $"Record '{id}' was clustered against a different k-means model (another fingerprint) than the records before it: cluster numbers of different models do not match, so {advice}", item);

    /// <summary>An overrides file (-Override) that cannot be applied, under its own ErrorId, with the file as TargetObject.</summary>
    public static ErrorRecord OverrideRefused(PruneCmdlets.Review.OverrideException e)
        => new(e, e.ErrorId, e.ErrorId switch
        {
            "OverrideIdNotFound" => ErrorCategory.ObjectNotFound,
            "OverrideRunMismatch" => ErrorCategory.InvalidArgument,
            _ => ErrorCategory.InvalidData,
        }, e.FilePath);

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

    // Test-PruningStrategy's own errors.
    public static ErrorRecord UnseenTestLabel(PruneCmdlets.Probing.UnseenLabelException e)
        => new(e, "UnseenTestLabel", ErrorCategory.InvalidData, e.Labels.ToArray());

    public static ErrorRecord InvalidTestRecord(object item, int index)
        => new(new ArgumentException($"Test set item {index} has no numeric Vector property; -TestSet takes records with Vector and Label, e.g. from Get-Embedding or Import-Embedding. It was left out."),
            "InvalidTestRecord", ErrorCategory.InvalidArgument, item);

    public static ErrorRecord UnlabelledTestRecord(object item, string id)
        => new(new ArgumentException($"Test record '{id}' has no Label, so its prediction cannot be scored; it was left out."),
            "MissingTestLabel", ErrorCategory.InvalidData, item);

    public static ErrorRecord NonFiniteTestVector(object item, string id)
        => new(new ArgumentException($"The vector of test record '{id}' holds NaN or infinity; it was left out."),
            "NonFiniteVector", ErrorCategory.InvalidData, item);

    public static ErrorRecord EmptyTestSet()
        => new(new ArgumentException("-TestSet holds no usable record (each needs a numeric Vector and a Label); pass held-out records that were not piped in as training data."),
            "EmptyTestSet", ErrorCategory.InvalidArgument, null);

    public static ErrorRecord TestSetDimensionMismatch(object item, string id, int got, int expected)
        => new(new ArgumentException($"Test record '{id}' has {got} dimensions but the training records have {expected}; embed the test set with the same model."),
            "TestSetDimensionMismatch", ErrorCategory.InvalidArgument, item);

    public static ErrorRecord TooFewClasses(int classes)
        => new(new ArgumentException($"The training records have {classes} distinct label(s); a classifier needs at least 2. Pipe in labelled records from more than one class."),
            "TooFewClasses", ErrorCategory.InvalidData, null);

    public static ErrorRecord InvalidC(double value)
        => new(new ArgumentOutOfRangeException("C", value, $"-C must be a positive, finite number (the inverse regularisation strength; 1 is the default); got {value}."),
            "InvalidC", ErrorCategory.InvalidArgument, value);

    // Errors of single commands, here so that every ErrorId and category is in one file.

    /// <summary>Export-PrunedSet: an input whose Path cannot be found or resolved; it is skipped.</summary>
    public static ErrorRecord MissingPath(object item, string? problem)
        => new(new ArgumentException(problem), "MissingPath", ErrorCategory.InvalidArgument, item);

    /// <summary>Export-PruneReport: an input without the decision (Kept) the report shows; it is skipped.</summary>
    public static ErrorRecord MissingDecision(object item, string? problem)
        => new(new ArgumentException(problem), "MissingDecision", ErrorCategory.InvalidData, item);

    /// <summary>Save-KMeansModel: an input that neither is nor carries a KMeansModel.</summary>
    public static ErrorRecord NotAModel(object item)
        => new(new ArgumentException($"The input '{item}' is neither a KMeansModel nor a record that carries one; pipe in the output of Invoke-KMeans."),
            "NoClusterModel", ErrorCategory.InvalidArgument, item);

    /// <summary>Undo-PrunedSet: a journal that cannot be trusted, naming its file.</summary>
    public static ErrorRecord JournalCorrupt(PruneCmdlets.Apply.JournalCorruptException e)
        => new(e, "JournalCorrupt", ErrorCategory.InvalidData, e.File);

    /// <summary>Select-Shard: an input with no key to place it by; it is skipped.</summary>
    public static ErrorRecord NoShardKey(PSObject item, long index, string why)
        => new(new ArgumentException($"Pipeline input {index} ({item.BaseObject.GetType().Name}) {why}; it was skipped."), "NoShardKey", ErrorCategory.InvalidArgument, item);

    private static string Describe(object item)
    {
        var s = item is PSObject p ? p.BaseObject?.ToString() : item?.ToString();
        return string.IsNullOrEmpty(s) ? "(null)" : (s!.Length > 80 ? s[..80] + "…" : s);
    }
}

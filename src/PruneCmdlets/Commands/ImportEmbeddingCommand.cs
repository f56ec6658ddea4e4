using System.Management.Automation;
using PruneCmdlets.IO;

namespace PruneCmdlets.Commands;

/// <summary>
/// Streams the rows of a NumPy .npy matrix as embedding records, with labels and ids from
/// optional side files, or the rows of Parquet files (one file, several, or a folder of part
/// files, read as one set) with their columns. A row holding NaN or infinity is reported by
/// number and skipped.
/// </summary>
[Cmdlet(VerbsData.Import, "Embedding")]
[OutputType(typeof(EmbeddingRecord))]
public sealed class ImportEmbeddingCommand : PSCmdlet, IDisposable
{
    private const int ProgressId = 0x1E0B;
    private readonly CancellationTokenSource _stop = new();
    private ParquetEmbeddingSet? _parquetSet;
    private long _parquetRecords;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Npy or Parquet; Auto decides by extension (.parquet, .parq, .pq and folders are Parquet).</summary>
    [Parameter]
    public EmbeddingFileFormat Format { get; set; } = EmbeddingFileFormat.Auto;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? VectorColumn { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdColumn { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LabelColumn { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PathColumn { get; set; }

    [Parameter(Position = 1)]
    public string? LabelPath { get; set; }

    [Parameter]
    public string? IdPath { get; set; }

    [Parameter]
    public string? Model { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var given in Path)
            foreach (var path in Resolve(given))
            {
                if (IsParquet(path)) ImportParquet(path);
                else
                {
                    if ((VectorColumn ?? IdColumn ?? LabelColumn ?? PathColumn) is not null)
                        ThrowTerminatingError(ErrorHelper.Terminating("ColumnOnNpy", ErrorCategory.InvalidArgument,
                            $"'{path}' is read as .npy, which has no columns; -VectorColumn, -IdColumn, -LabelColumn and -PathColumn name Parquet columns. Use -LabelPath and -IdPath for .npy side files, or -Format Parquet for a Parquet file with another extension.", path));
                    ImportNpy(path);
                }
            }
    }

    protected override void EndProcessing()
    {
        if (_parquetSet is not null) WriteProgress(new ProgressRecord(ProgressId, "Import-Embedding", "done") { RecordType = ProgressRecordType.Completed });
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    /// <summary>Wildcards expand to the matching paths (in name order); anything else is taken literally and must exist.</summary>
    private IEnumerable<string> Resolve(string given)
    {
        if (WildcardPattern.ContainsWildcardCharacters(given) && !File.Exists(given) && !Directory.Exists(given))
        {
            var matches = new List<string>();
            try { matches.AddRange(GetResolvedProviderPathFromPSPath(given, out _)); }
            catch (ItemNotFoundException) { }
            if (matches.Count == 0) ThrowTerminatingError(ErrorHelper.PathNotFound(given));
            matches.Sort(StringComparer.Ordinal);
            return matches;
        }
        string path = GetUnresolvedProviderPathFromPSPath(given);
        if (!File.Exists(path) && !Directory.Exists(path)) ThrowTerminatingError(ErrorHelper.PathNotFound(path));
        return new[] { path };
    }

    private bool IsParquet(string path) => Format switch
    {
        EmbeddingFileFormat.Parquet => true,
        EmbeddingFileFormat.Npy => false,
        _ => Directory.Exists(path) || ParquetEmbeddingSet.IsParquetFile(path),
    };

    /// <summary>
    /// One Parquet file, or every Parquet file of a folder, as part of the one set this command
    /// reads: row numbers (Ids of rows without an id column) and the vector length carry on from
    /// file to file. A file that cannot be read is reported and skipped; its rows before the
    /// problem stand.
    /// </summary>
    private void ImportParquet(string path)
    {
        if (LabelPath is not null || IdPath is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("SideFileOnParquet", ErrorCategory.InvalidArgument,
                $"'{path}' is Parquet, whose labels and ids are columns: use -LabelColumn and -IdColumn instead of -LabelPath and -IdPath.", path));
        _parquetSet ??= new ParquetEmbeddingSet(new ParquetColumnNames(VectorColumn, IdColumn, LabelColumn, PathColumn));
        IReadOnlyList<string> files = Directory.Exists(path) ? ParquetEmbeddingSet.FilesOf(path) : new[] { path };
        if (files.Count == 0)
            WriteError(ErrorHelper.Terminating("NoParquetFiles", ErrorCategory.ObjectNotFound, $"The folder '{path}' holds no .parquet files; nothing was read from it.", path));
        for (int f = 0; f < files.Count; f++)
        {
            string file = files[f];
            WriteVerbose($"Reading Parquet '{file}' (file {f + 1} of {files.Count}{(files.Count > 1 ? $" in '{path}'" : "")}).");
            var defaultModel = System.IO.Path.GetFileNameWithoutExtension(Directory.Exists(path) ? path.TrimEnd('/', '\\') : file);
            int pieces = 0;
            foreach (var piece in _parquetSet.Read(file, _stop.Token))
            {
                int next = 0;
                foreach (var problem in piece.Problems)
                {
                    for (; next < problem.BeforeRecord; next++) WriteObject(piece.Record(next, Model, defaultModel));
                    WriteError(ErrorHelper.ParquetRowProblem(problem));
                }
                for (; next < piece.Count; next++) WriteObject(piece.Record(next, Model, defaultModel));
                if (piece.FileError is not null) WriteError(ErrorHelper.ParquetFileProblem(piece.FileError));
                _parquetRecords += piece.Count;
                WriteProgress(new ProgressRecord(ProgressId, "Import-Embedding", $"{System.IO.Path.GetFileName(file)} (file {f + 1} of {files.Count}): row group {++pieces}; {_parquetRecords} records so far"));
            }
        }
    }

    private void ImportNpy(string path)
    {
        // A set Export-Embedding wrote carries a record of its files: a matrix that is not the
        // one written with these labels and Ids is refused before a row goes out.
        try
        {
            if (EmbeddingFileSet.Check(path, LabelPath is null ? null : GetUnresolvedProviderPathFromPSPath(LabelPath),
                    IdPath is null ? null : GetUnresolvedProviderPathFromPSPath(IdPath)) is { } checkedSet)
                WriteVerbose(checkedSet);
        }
        catch (EmbeddingSetException e)
        {
            ThrowTerminatingError(ErrorHelper.Terminating(e.ErrorId, ErrorCategory.InvalidData, e.Message, e.Path, e));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("InvalidNpyFile", path, e));
        }
        NpyMatrix matrix;
        try { matrix = NpyReader.OpenMatrix(path); }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("InvalidNpyFile", path, e));
            return;
        }
        using (matrix)
        {
            var labels = LabelPath is null ? null : ReadSideFile(LabelPath, matrix.Rows, "labels", "InvalidLabelFile", allowNpy: true);
            var ids = IdPath is null ? null : ReadSideFile(IdPath, matrix.Rows, "ids", "InvalidIdFile", allowNpy: false);
            WriteVerbose($"Reading {matrix.Rows}×{matrix.Columns} {matrix.Header.Descr} from '{path}'" +
                (matrix.Header.FortranOrder ? " (Fortran order, transposed on read)" : "") + ".");
            int row = 0, d = matrix.Columns;
            var modelName = Model ?? System.IO.Path.GetFileNameWithoutExtension(path);
            // The file becomes one block (several only beyond .NET's array limit) and each record
            // points into it: no array per row for the garbage collector to move, and
            // Invoke-KMeans clusters the block in place without copying it. A large float32 file
            // is not even copied: the block maps it from the file cache. Records go out as soon
            // as their piece of the block is ready (read, or faulted in, and checked for NaN and
            // infinity by background workers) while the rest is still being prepared.
            using var pieces = matrix.ReadPieces(Array.MaxLength, NpyMatrix.MapFromBytes).GetEnumerator();
            while (true)
            {
                try { if (!pieces.MoveNext()) break; }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    ThrowTerminatingError(ErrorHelper.FileError("InvalidNpyFile", path, e));
                }
                var piece = pieces.Current;
                for (int r = piece.FirstRow; r < piece.FirstRow + piece.Rows; r++, row++)
                {
                    // Rows are checked one by one only in a piece that holds a bad value.
                    if (!piece.Finite && !PruneCmdlets.Numerics.VectorMath.AllFinite(piece.Block.Span.Slice(r * d, d)))
                        WriteError(ErrorHelper.NonFiniteRow(path, row));
                    else
                        WriteObject(new EmbeddingRecord(ids?[row], row, labels?[row], piece.Block, r * d, d, modelName));
                }
            }
        }
    }

    private string[] ReadSideFile(string given, int rows, string what, string errorId, bool allowNpy)
    {
        string path = GetUnresolvedProviderPathFromPSPath(given);
        if (!File.Exists(path)) ThrowTerminatingError(ErrorHelper.PathNotFound(path));
        string[] values = null!;
        try
        {
            values = allowNpy && path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)
                ? NpyReader.ReadLabels(path)
                : TextLines.ReadAll(path).Where((l, i) => !(l.Length == 0 && i == rows)).ToArray();   // UTF-8, or UTF-16/32 by their mark; invalid text stops the import
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError(errorId, path, e));
        }
        if (values.Length != rows)
            ThrowTerminatingError(ErrorHelper.Terminating(errorId, ErrorCategory.InvalidData,
                $"'{path}' holds {values.Length} {what} but the embeddings have {rows} rows; they must match one to one.", path));
        return values;
    }
}

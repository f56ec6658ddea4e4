using System.Management.Automation;
using PruneCmdlets.IO;

namespace PruneCmdlets.Commands;

/// <summary>
/// Streams the rows of a NumPy .npy matrix as embedding records, with labels and ids from
/// optional side files. A row holding NaN or infinity is reported by number and skipped.
/// </summary>
[Cmdlet(VerbsData.Import, "Embedding")]
[OutputType(typeof(EmbeddingRecord))]
public sealed class ImportEmbeddingCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string Path { get; set; } = "";

    [Parameter(Position = 1)]
    public string? LabelPath { get; set; }

    [Parameter]
    public string? IdPath { get; set; }

    [Parameter]
    public string? Model { get; set; }

    protected override void ProcessRecord()
    {
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        if (!File.Exists(path)) ThrowTerminatingError(ErrorHelper.PathNotFound(path));
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
                : File.ReadAllLines(path).Where((l, i) => !(l.Length == 0 && i == rows)).ToArray();
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

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
            int row = 0;
            var modelName = Model ?? System.IO.Path.GetFileNameWithoutExtension(path);
            IEnumerator<float[]> rows = matrix.ReadRows().GetEnumerator();
            while (true)
            {
                try { if (!rows.MoveNext()) break; }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    ThrowTerminatingError(ErrorHelper.FileError("InvalidNpyFile", path, e));
                }
                var vector = rows.Current;
                string id = ids?[row] ?? row.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!PruneCmdlets.Numerics.VectorMath.AllFinite(vector))
                {
                    WriteError(ErrorHelper.NonFiniteRow(path, row));
                }
                else
                {
                    WriteObject(new EmbeddingRecord(id, null, labels?[row], vector, modelName));
                }
                row++;
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

using System.Management.Automation;
using PruneCmdlets.IO;

namespace PruneCmdlets.Commands;

/// <summary>
/// Writes the vectors of the piped records to a NumPy .npy file (float32, N×D) that
/// numpy.load reads back, plus optional label and id side files, or the records with their
/// annotations to one Parquet file (see <see cref="ParquetEmbeddingWriter"/> for the schema).
/// </summary>
[Cmdlet(VerbsData.Export, "Embedding", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportEmbeddingCommand : PSCmdlet, IDisposable
{
    private const int ProgressId = 0x1E0C;
    private RecordCollector? _collector;
    private readonly CancellationTokenSource _stop = new();

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    [Parameter(Position = 1)]
    public string? LabelPath { get; set; }

    [Parameter]
    public string? IdPath { get; set; }

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Npy or Parquet; Auto decides by extension (.parquet, .parq and .pq are Parquet).</summary>
    [Parameter]
    public EmbeddingFileFormat Format { get; set; } = EmbeddingFileFormat.Auto;

    [Parameter]
    [ValidateRange(1, 10_000_000)]
    public int RowGroupSize { get; set; } = ParquetEmbeddingSchema.DefaultRowGroupSize;

    [Parameter]
    public ParquetCompression Compression { get; set; } = ParquetCompression.Snappy;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => _collector = new RecordCollector(this);

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var records = _collector!.Records;
        if (records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Export-Embedding"));
        RecordCollector.EnsureSourcesUnchanged(this, records);
        string target = Resolve(Path);
        bool parquet = Format == EmbeddingFileFormat.Parquet || (Format == EmbeddingFileFormat.Auto && ParquetEmbeddingSet.IsParquetFile(target));
        var members = new List<(EmbeddingSetRole Role, string Path, Action<Stream> Write)>
        {
            parquet
                ? (EmbeddingSetRole.Embeddings, target, s => WriteParquet(s, target, records))
                : (EmbeddingSetRole.Embeddings, target, s => NpyWriter.WriteMatrix(s, records.Select(r => r.VectorMemory).ToList(), _collector.Dimension)),
        };
        if (LabelPath is not null)
        {
            var missing = records.FirstOrDefault(r => string.IsNullOrEmpty(r.Label));
            if (missing is not null)
                ThrowTerminatingError(ErrorHelper.MissingLabel(missing, missing.Id, "every record needs one to write -LabelPath."));
            var labels = records.Select(r => r.Label!).ToList();
            string labelPath = Resolve(LabelPath);
            members.Add((EmbeddingSetRole.Labels, labelPath, s =>
            {
                if (labelPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) NpyWriter.WriteLabels(s, labels);
                else WriteLines(s, labels);
            }));
        }
        if (IdPath is not null) members.Add((EmbeddingSetRole.Ids, Resolve(IdPath), s => WriteLines(s, records.Select(r => r.Id))));

        var paths = members.Select(m => m.Path).ToList();
        if (paths.Distinct(AtomicFile.PathComparer).Count() != paths.Count)
            ThrowTerminatingError(ErrorHelper.Terminating("SamePath", ErrorCategory.InvalidArgument,
                $"-Path, -LabelPath and -IdPath must name different files; given: {string.Join(", ", paths.Select(p => $"'{p}'"))}.", paths));
        // Refuse before writing anything, so -NoClobber never leaves a half-written set.
        foreach (var path in paths)
            if (NoClobber && File.Exists(path))
                ThrowTerminatingError(ErrorHelper.Terminating("FileExists", ErrorCategory.ResourceExists,
                    $"'{path}' already exists and -NoClobber was given.", path));
        // One question for the whole set: answering no to one member would leave a mixed set.
        if (!ShouldProcess(string.Join(", ", paths), $"Write {records.Count} records")) return;
        // A .npy matrix with side files gets a record naming them (Import-Embedding checks it);
        // Parquet holds its labels and Ids as columns and its reader takes no side files.
        bool recorded = !parquet && members.Count > 1;
        try { EmbeddingFileSet.Write(members, records.Count, recorded); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing was renamed unless every member was written; the message names the file at fault.
            ThrowTerminatingError(ErrorHelper.FileError("ExportFailed", target, e));
        }
        if (recorded) WriteVerbose($"Wrote {records.Count} rows as a set of {members.Count} files, named with their sizes and SHA-256 in '{EmbeddingFileSet.RecordFor(target)}'.");
        if (PassThru) foreach (var path in paths) WriteObject(new FileInfo(path));
    }

    /// <summary>Text side files: one value per line, UTF-8 without a BOM and the platform's line end, as File.WriteAllLines writes them.</summary>
    private static void WriteLines(Stream stream, IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        foreach (var line in lines) writer.WriteLine(line);
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    /// <summary>Row group by row group on a worker, with progress here; Ctrl+C leaves any old file as it was.</summary>
    private void WriteParquet(Stream stream, string path, IReadOnlyList<EmbeddingRecord> records)
    {
        WriteVerbose($"Writing {records.Count} records of {_collector!.Dimension} dimensions to Parquet '{path}': row groups of {RowGroupSize} rows, {Compression} compression.");
        var started = System.Diagnostics.Stopwatch.StartNew();
        BackgroundWork.Run<object?>(this, _stop.Token, report =>
        {
            ParquetEmbeddingWriter.Write(stream, records, _collector.Dimension, RowGroupSize, Compression, done =>
            {
                double seconds = started.Elapsed.TotalSeconds;
                report(new ProgressRecord(ProgressId, "Export-Embedding", $"{done} of {records.Count} rows written")
                {
                    PercentComplete = (int)(100L * done / records.Count),
                    SecondsRemaining = done > 0 ? (int)(seconds * (records.Count - done) / done) : -1,
                });
            }, _stop.Token);
            return null;
        });
        WriteProgress(new ProgressRecord(ProgressId, "Export-Embedding", "done") { RecordType = ProgressRecordType.Completed });
    }

    private string Resolve(string p) => GetUnresolvedProviderPathFromPSPath(p);
}

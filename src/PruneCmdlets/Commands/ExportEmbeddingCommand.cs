using System.Management.Automation;
using PruneCmdlets.IO;

namespace PruneCmdlets.Commands;

/// <summary>
/// Writes the vectors of the piped records to a NumPy .npy file (float32, N×D) that
/// numpy.load reads back, plus optional label and id side files.
/// </summary>
[Cmdlet(VerbsData.Export, "Embedding", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportEmbeddingCommand : PSCmdlet
{
    private RecordCollector? _collector;

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

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => _collector = new RecordCollector(this);

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var records = _collector!.Records;
        if (records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Export-Embedding"));
        RecordCollector.EnsureSourcesUnchanged(this, records);
        var targets = new List<(string Path, Action<string> Write)>
        {
            (Resolve(Path), p => NpyWriter.WriteMatrix(p, records.Select(r => r.VectorMemory).ToList(), _collector.Dimension)),
        };
        if (LabelPath is not null)
        {
            var missing = records.FirstOrDefault(r => string.IsNullOrEmpty(r.Label));
            if (missing is not null)
                ThrowTerminatingError(ErrorHelper.MissingLabel(missing, missing.Id, "every record needs one to write -LabelPath."));
            var labels = records.Select(r => r.Label!).ToList();
            targets.Add((Resolve(LabelPath), p =>
            {
                if (p.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) NpyWriter.WriteLabels(p, labels);
                else File.WriteAllLines(p, labels);
            }));
        }
        if (IdPath is not null) targets.Add((Resolve(IdPath), p => File.WriteAllLines(p, records.Select(r => r.Id))));

        // Refuse before writing anything, so -NoClobber never leaves a half-written set.
        foreach (var (path, _) in targets)
            if (NoClobber && File.Exists(path))
                ThrowTerminatingError(ErrorHelper.Terminating("FileExists", ErrorCategory.ResourceExists,
                    $"'{path}' already exists and -NoClobber was given.", path));
        foreach (var (path, write) in targets)
        {
            if (!ShouldProcess(path, $"Write {records.Count} records")) continue;
            try { write(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ThrowTerminatingError(ErrorHelper.FileError("ExportFailed", path, e));
            }
            if (PassThru) WriteObject(new FileInfo(path));
        }
    }

    private string Resolve(string p) => GetUnresolvedProviderPathFromPSPath(p);
}

using System.Globalization;
using System.Management.Automation;
using PruneCmdlets.Clustering;
using PruneCmdlets.Probing;
using PruneCmdlets.Report;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// Writes the pruning report: one self-contained HTML file showing every decision of the
/// records it receives (kept and pruned, with their reasons), optionally with a probe's
/// accuracies and a stability measure. Emits the written file.
/// </summary>
[Cmdlet(VerbsData.Export, "PruneReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportPruneReportCommand : PSCmdlet, IDisposable
{
    private const int ProgressId = 0x5250;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ReportRecord> _records = new();
    private KMeansModel? _kmeans;
    private SelectionOutcome? _selection;
    private PruneCmdlets.Issues.DataIssueSummary? _issues;
    private PruneCmdlets.Dedup.SemDeDupRun? _semDeDup;
    private string? _model;
    private int _seen;
    private int _undecided;          // records without a Kept decision, shown as kept
    private string? _firstUndecided;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    [Alias("FilePath")]
    public string Path { get; set; } = "";

    [Parameter]
    public object[]? ProbeResult { get; set; }

    [Parameter]
    public SelectionStability? Stability { get; set; }

    [Parameter]
    public string Title { get; set; } = "Pruning report";

    [Parameter]
    [ValidateRange(0, 100)]
    public int ThumbnailsPerSection { get; set; } = new ReportOptions().ThumbnailsPerSection;

    [Parameter]
    [ValidateRange(0, 10_000)]
    public int MaxGalleries { get; set; } = new ReportOptions().MaxGalleries;

    [Parameter]
    [ValidateRange(0, 10_000)]
    public int MaxDuplicateGroups { get; set; } = new ReportOptions().MaxDuplicateGroups;

    [Parameter]
    [ValidateRange(0, 100_000)]
    public int MapPoints { get; set; } = new ReportOptions().MapPoints;

    [Parameter]
    [ValidateRange(1, 100_000)]
    public int MaxClasses { get; set; } = new ReportOptions().MaxClasses;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Floor { get; set; }

    [Parameter]
    public string? Pipeline { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        int index = _seen++;
        var r = ToReportRecord(InputObject, index, out string? problem);
        if (r is null)
        {
            WriteError(ErrorHelper.MissingDecision(InputObject, problem));
            return;
        }
        _records.Add(r);
    }

    private ReportRecord? ToReportRecord(PSObject input, int index, out string? problem)
    {
        problem = null;
        if (input.BaseObject is EmbeddingRecord e)
        {
            if (e.Kept is null) Undecided(e.Id);
            _kmeans ??= e.KMeansModel;
            _selection ??= e.Selection;
            _model ??= e.Model;
            _issues ??= e.DataIssues;
            _semDeDup ??= e.SemDeDup;
            return new ReportRecord
            {
                Id = e.Id, Path = e.Path, Label = e.Label, Cluster = e.Cluster, Distance = e.Distance, Kept = PipelineRecordReader.IsKept(e.Kept), Reason = e.Reason,
                DuplicateOf = e.DuplicateOf, Similarity = e.Similarity, Text = e.Text, Vector = e.VectorMemory,
                Issues = e.Issues, IssueReason = e.IssueReason, LabelQuality = e.LabelQuality, SuggestedLabel = e.SuggestedLabel,
                OutlierScore = e.OutlierScore, LeakOf = e.LeakOf, LeakSimilarity = e.LeakSimilarity,
            };
        }
        // Any object with the manifest's columns, e.g. Import-Csv manifest.csv, read as Export-PrunedSet reads it.
        var read = new PipelineRecordReader(input);
        string? path = read.Path;
        string id = read.Text("Id") ?? path ?? index.ToString(CultureInfo.InvariantCulture);
        bool? kept = read.Kept(out string? notADecision);
        if (notADecision is not null)
        {
            problem = PipelineRecordReader.NotADecision(notADecision, id) + " Pipe in records from Select-PrunedSet -IncludePruned, or rows of a manifest with a Kept column.";
            return null;
        }
        if (kept is null) Undecided(id);
        _model ??= read.Text("Model");
        return new ReportRecord
        {
            Id = id, Path = path, Label = read.Text("Label"), Cluster = read.Whole("Cluster"), Distance = read.Number("Distance"),
            Kept = PipelineRecordReader.IsKept(kept), Reason = read.Text("Reason"), DuplicateOf = read.Text("DuplicateOf"), Similarity = read.Number("Similarity"), Text = read.Text("Text"),
            Issues = read.Names("Issues"), LabelQuality = read.Number("LabelQuality"),
            SuggestedLabel = read.Text("SuggestedLabel"), OutlierScore = read.Number("OutlierScore"), LeakOf = read.Text("LeakOf"),
        };
    }

    private void Undecided(string id)
    {
        _undecided++;
        _firstUndecided ??= id;
    }

    protected override void EndProcessing()
    {
        if (_records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Export-PruneReport"));
        if (_undecided > 0)
            WriteWarning($"{_undecided} of {_records.Count} records carry no Kept decision and are shown as kept (the first: '{_firstUndecided}'); decide them with Select-PrunedSet -IncludePruned first.");
        if (_records.All(r => r.Kept))
            WriteWarning("Every record is kept: the report shows no pruned record. Use Select-PrunedSet -IncludePruned to pass the pruned records on too.");
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (dir is not null && !Directory.Exists(dir))
            ThrowTerminatingError(ErrorHelper.Terminating("DirectoryNotFound", ErrorCategory.ObjectNotFound, $"The folder '{dir}' does not exist; create it first or choose another -Path.", dir));
        if (!ShouldProcess(path, $"Write a pruning report of {_records.Count} records")) return;

        var probe = new List<ProbeResult>();
        PruningRecommendation? recommendation = null;
        foreach (var item in ProbeResult ?? Array.Empty<object>())
        {
            var value = item is PSObject p ? p.BaseObject : item;
            if (value is ProbeResult row) probe.Add(row);
            else if (value is PruningRecommendation rec) recommendation = rec;
            else ThrowTerminatingError(ErrorHelper.Terminating("InvalidProbeResult", ErrorCategory.InvalidArgument,
                $"-ProbeResult takes the output of Test-PruningStrategy (ProbeResult and PruningRecommendation objects); got {value?.GetType().Name ?? "null"}.", item));
        }
        if (probe.Count == 0 && recommendation is not null) probe.AddRange(recommendation.Results);

        var options = new ReportOptions
        {
            Title = Title,
            ThumbnailsPerSection = ThumbnailsPerSection,
            MaxGalleries = MaxGalleries,
            MaxDuplicateGroups = MaxDuplicateGroups,
            MapPoints = MapPoints,
            MaxClasses = MaxClasses,
            Floor = MyInvocation.BoundParameters.ContainsKey(nameof(Floor)) ? Floor : null,
            Pipeline = Pipeline,
            ModuleVersion = typeof(ExportPruneReportCommand).Assembly.GetName().Version?.ToString(3) ?? "",
            Model = _model,
            ModelHash = PruneCmdlets.Embedding.ModelFileHash.Describe(_model),
        };
        var input = new ReportInput
        {
            Records = _records, KMeans = _kmeans, Selection = _selection, Probe = probe.Count > 0 ? probe : null,
            Recommendation = recommendation, Stability = Stability, DataIssues = _issues, SemDeDup = _semDeDup,
        };
        WriteVerbose($"Report of {_records.Count} records ({_records.Count(r => r.Kept)} kept) to {path}: up to {options.MaxGalleries} galleries of {options.ThumbnailsPerSection} thumbnails per row, " +
            $"{options.MaxDuplicateGroups} duplicate groups, {options.MaxClasses} rows of the class table, {options.MapPoints} map points" + (probe.Count > 0 ? $", {probe.Count} probe rows" : "") + (Stability is not null ? ", stability" : "") + ".");
        try
        {
            BackgroundWork.Run(this, _stop.Token, report =>
            {
                PruneReportWriter.Write(path, input, options, p => report(new ProgressRecord(ProgressId, "Export-PruneReport", $"{p.Step}: {p.Done} of {p.Total}")
                {
                    PercentComplete = p.Total == 0 ? 0 : Math.Min(99, 100 * p.Done / p.Total),
                }), _stop.Token);
                return 0;
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("ReportWriteFailed", path, e));
        }
        WriteProgress(new ProgressRecord(ProgressId, "Export-PruneReport", "done") { RecordType = ProgressRecordType.Completed });
        WriteObject(new FileInfo(path));
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}

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
            if (e.Kept is null)
            {
                problem = $"Record '{e.Id}' has no Kept decision; pipe the records through Select-PrunedSet -IncludePruned (or Invoke-SemDeDup -IncludePruned) first.";
                return null;
            }
            _kmeans ??= e.KMeansModel;
            _selection ??= e.Selection;
            _model ??= e.Model;
            _issues ??= e.DataIssues;
            _semDeDup ??= e.SemDeDup;
            return new ReportRecord
            {
                Id = e.Id, Path = e.Path, Label = e.Label, Cluster = e.Cluster, Distance = e.Distance, Kept = e.Kept.Value, Reason = e.Reason,
                DuplicateOf = e.DuplicateOf, Similarity = e.Similarity, Text = e.Text, Vector = e.VectorMemory,
                Issues = e.Issues, IssueReason = e.IssueReason, LabelQuality = e.LabelQuality, SuggestedLabel = e.SuggestedLabel,
                OutlierScore = e.OutlierScore, LeakOf = e.LeakOf, LeakSimilarity = e.LeakSimilarity,
            };
        }
        // Any object with the manifest's columns, e.g. Import-Csv manifest.csv.
        string? Str(string name) => input.Properties[name]?.Value?.ToString() is { Length: > 0 } s ? s : null;
        double? Num(string name) => Str(name) is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
        var keptText = Str("Kept");
        bool? kept = input.Properties["Kept"]?.Value switch
        {
            bool b => b,
            PSObject { BaseObject: bool pb } => pb,
            _ => keptText is null ? null : bool.TryParse(keptText, out var parsed) ? parsed : null,
        };
        string id = Str("Id") ?? Str("Path") ?? index.ToString(CultureInfo.InvariantCulture);
        if (kept is null)
        {
            problem = $"The input '{id}' has no Kept decision (true or false); pipe in records from Select-PrunedSet -IncludePruned, or rows of a manifest with a Kept column.";
            return null;
        }
        _model ??= Str("Model");
        return new ReportRecord
        {
            Id = id, Path = Str("Path"), Label = Str("Label"), Cluster = Num("Cluster") is { } c ? (int)c : null, Distance = Num("Distance"),
            Kept = kept.Value, Reason = Str("Reason"), DuplicateOf = Str("DuplicateOf"), Similarity = Num("Similarity"), Text = Str("Text"),
            Issues = Str("Issues")?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), LabelQuality = Num("LabelQuality"),
            SuggestedLabel = Str("SuggestedLabel"), OutlierScore = Num("OutlierScore"), LeakOf = Str("LeakOf"),
        };
    }

    protected override void EndProcessing()
    {
        if (_records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Export-PruneReport"));
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

using System.Diagnostics;
using System.Management.Automation;
using PruneCmdlets.Apply;

namespace PruneCmdlets.Commands;

/// <summary>
/// Applies a pruning decision: the kept files laid out under -Destination at their path relative
/// to -RelativeTo (copied, hard-linked or symlinked, each atomically), every record in
/// manifest.csv, the run in prune.json. Writes one PrunedSetSummary. The work is in
/// Apply/PrunedSetExporter; this is binding, the pipeline contract and error reporting.
/// </summary>
[Cmdlet(VerbsData.Export, "PrunedSet", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PrunedSetSummary))]
public sealed class ExportPrunedSetCommand : PSCmdlet, IApplyHost, IDisposable
{
    private const int ProgressId = 0x4150;
    private readonly List<ApplyItem> _items = new();
    private readonly HashSet<string> _models = new();
    private PruneCmdlets.Clustering.KMeansModel? _kmeans;
    private PruneCmdlets.Selection.SelectionOutcome? _selection;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _progressClock = Stopwatch.StartNew();
    private DateTimeOffset _started;
    private int _inputFailures;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public string Destination { get; set; } = "";

    [Parameter]
    public string? RelativeTo { get; set; }

    [Parameter]
    public ApplyMode Mode { get; set; } = ApplyMode.Copy;

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter ManifestOnly { get; set; }

    [Parameter]
    public string? Override { get; set; }

    [Parameter]
    public SwitchParameter Increment { get; set; }

    private PruneCmdlets.Review.OverrideSet? _overrides;
    private ApplyOverrides? _applied;

    protected override void BeginProcessing()
    {
        _started = DateTimeOffset.UtcNow;
        if (Increment && Force)
            ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                "-Increment never replaces a file an earlier apply placed, so it takes no -Force: a target with other bytes is a TargetExists error. Remove -Force.", "Force"));
        // Read before any record: a file that cannot be applied ends the command before the work.
        if (Override is not null) _overrides = Overrides.Read(this, Override);
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        ApplyItem? item;
        string? problem;
        try { item = ApplyItemAdapter.TryAdapt(InputObject, GetUnresolvedProviderPathFromPSPath, out problem); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PSInvalidOperationException or ItemNotFoundException)
        {
            item = null;
            problem = $"Cannot resolve the Path of '{InputObject}': {e.Message}";
        }
        if (item is null)
        {
            _inputFailures++;
            WriteError(ErrorHelper.MissingPath(InputObject, problem));
            return;
        }
        if (InputObject.BaseObject is EmbeddingRecord r)
        {
            _kmeans ??= r.KMeansModel;
            _selection ??= r.Selection;
        }
        if (item.Model is { } model) _models.Add(model);
        _items.Add(item);
    }

    protected override void EndProcessing()
    {
        if (_items.Count == 0)
            ThrowTerminatingError(ErrorHelper.Terminating("NoInput", ErrorCategory.InvalidOperation,
                "Export-PrunedSet received no records with a Path; pipe in the decision, e.g. ... | Select-PrunedSet -IncludePruned | Export-PrunedSet ./pruned, or Import-Csv ./pruned/manifest.csv | Export-PrunedSet ./pruned."));
        if (_overrides is not null) ApplyOverrides();
        string destination = GetUnresolvedProviderPathFromPSPath(Destination);
        string root;
        try { root = RelativeTo is null ? PrunedSetLayout.CommonFolder(_items.Select(i => i.Path)) : GetUnresolvedProviderPathFromPSPath(RelativeTo); }
        catch (InvalidOperationException e) { ThrowTerminatingError(ErrorHelper.Terminating("NoCommonFolder", ErrorCategory.InvalidArgument, e.Message)); return; }
        var layout = new PrunedSetLayout(destination, root);
        if (layout.Refusal(_items.Select(i => i.Path)) is string refusal)
            ThrowTerminatingError(ErrorHelper.Terminating("DestinationInsideInput", ErrorCategory.InvalidArgument, refusal, destination));
        if (File.Exists(destination))
            ThrowTerminatingError(ErrorHelper.Terminating("DestinationIsFile", ErrorCategory.InvalidArgument, $"The destination '{destination}' is a file; give a folder (it is created when missing).", destination));
        WriteVerbose($"Export-PrunedSet: {_items.Count} records, mode {Mode}, layout relative to '{layout.Root}'{(RelativeTo is null ? " (the inputs' common folder)" : "")}, into '{layout.Destination}'.");

        var exporter = new PrunedSetExporter { Mode = Mode, Force = Force, ManifestOnly = ManifestOnly, Increment = Increment, RejectedInputs = _inputFailures };
        var models = _models.OrderBy(m => m, StringComparer.Ordinal).ToList();
        var info = new ApplyRunInfo(
            typeof(ExportPrunedSetCommand).Assembly.GetName().Version?.ToString(3) ?? "",
            models,
            new KeyValuePair<string, string?>[]
            {
                new("destination", layout.Destination), new("relativeTo", layout.Root), new("mode", Mode.ToString()),
                new("force", Force.IsPresent ? "true" : "false"), new("manifestOnly", ManifestOnly.IsPresent ? "true" : "false"),
                new("increment", Increment.IsPresent ? "true" : "false"),
            },
            _started)
        {
            Overrides = _applied,
            DecisionRun = PruneCmdlets.Review.DecisionRun.Id(_items.Select(i => (i.Id, i.Kept))),
            ModelHashes = models.Select(m => new KeyValuePair<string, string?>(m, PruneCmdlets.Embedding.ModelFileHash.Describe(m))).ToList(),
            Decision = Decision(),
            Versions = new KeyValuePair<string, string?>[]
            {
                new("powershell", (SessionState.PSVariable.GetValue("PSVersionTable") as System.Collections.IDictionary)?["PSVersion"]?.ToString()),
                new("dotnet", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription),
                new("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription),
            },
        };
        PrunedSetSummary summary;
        try { summary = exporter.Run(_items, layout, info, this, _stop.Token); }
        catch (OperationCanceledException) { throw new PipelineStoppedException(); }
        catch (ApplyException e)
        {
            ThrowTerminatingError(ErrorHelper.ApplyFailed(e.ErrorId, e.FilePath, e));
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("ExportFailed", layout.Destination, e));
            return;
        }
        finally { WriteProgress(new ProgressRecord(ProgressId, "Export-PrunedSet", "done") { RecordType = ProgressRecordType.Completed }); }
        WriteVerbose($"Export-PrunedSet: {summary} in {summary.Elapsed.TotalSeconds:F1}s ({summary.BytesCopied:N0} bytes copied).");
        WriteObject(summary);
        if (summary.Stopped)
            ThrowTerminatingError(ErrorHelper.Terminating("RunStopped", ErrorCategory.WriteError,
                $"Export-PrunedSet stopped early ({summary}); the manifest was not rewritten. Fix what the error above names, then run again: files already placed are skipped.", layout.Destination));
    }

    /// <summary>
    /// -Override: the records given are the decisions the reviewer saw (their run id must be the
    /// file's); each override sets its record's Kept and Reason and marks the row with the file's
    /// SHA-256, before anything is placed. -WhatIf names every flip.
    /// </summary>
    private void ApplyOverrides()
    {
        var set = _overrides!;
        var changes = Overrides.Resolve(this, set, _items.Select(i => (i.Id, i.Kept)).ToList());
        foreach (var c in changes)
        {
            var item = _items[c.Index];
            if (c.Flipped && WhatIf)
                ShouldProcess(item.Path, $"{(c.Kept ? "Keep" : "Prune")} '{item.Id}' by review (the decision {(c.Kept ? "pruned" : "kept")} it): {c.Reason}");
            _items[c.Index] = item with { Kept = c.Kept, Reason = c.Reason, Override = set.Sha256 };
        }
        var (kept, pruned, confirmed) = Overrides.Count(changes);
        _applied = new ApplyOverrides(set.Path, set.Sha256, set.Entries.Count, kept, pruned, confirmed);
    }

    private bool WhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
        ? LanguagePrimitives.IsTrue(w)
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    /// <summary>What the records say about how they were decided: the k-means fit and the selection policy.</summary>
    private List<KeyValuePair<string, string?>> Decision()
    {
        var d = new List<KeyValuePair<string, string?>>();
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (_kmeans is { } m)
        {
            d.Add(new("k", m.K.ToString(c)));
            d.Add(new("metric", m.Metric.ToString()));
            d.Add(new("init", m.Init.ToString()));
            d.Add(new("kmeansSeed", m.Seed.ToString(c)));
        }
        if (_selection?.Policy is { } p)
        {
            d.Add(new("policy", p.ToString()));
            d.Add(new("keep", p.Keep.ToString()));
            d.Add(new("keepFraction", p.KeepFraction?.ToString("R", c)));
            d.Add(new("keepCount", p.KeepCount?.ToString(c)));
            if (p.Exclude.Count > 0) d.Add(new("exclude", string.Join(",", p.Exclude)));
            d.Add(new("balanceBy", p.BalanceBy.ToString()));
            d.Add(new("selectionSeed", p.Seed.ToString(c)));
        }
        return d;
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    bool IApplyHost.ShouldProcess(string target, string action) => ShouldProcess(target, action);

    void IApplyHost.Failed(ApplyItem item, Exception error)
        => WriteError(ErrorHelper.ApplyFailed(error is ApplyException a ? a.ErrorId : "ExportFailed", item.Path, error));

    void IApplyHost.Verbose(string message) => WriteVerbose(message);

    void IApplyHost.Warning(string message) => WriteWarning(message);

    void IApplyHost.Progress(ApplyProgress p)
    {
        // A few updates a second: WriteProgress per file would cost more than a small file's copy.
        if (p.FilesDone < p.FilesTotal && _progressClock.ElapsedMilliseconds < 200) return;
        _progressClock.Restart();
        double seconds = Math.Max(p.Elapsed.TotalSeconds, 1e-3);
        double bytesPerSecond = p.BytesDone / seconds;
        int remaining = bytesPerSecond > 0 ? (int)Math.Ceiling((p.BytesTotal - p.BytesDone) / bytesPerSecond) : -1;
        WriteProgress(new ProgressRecord(ProgressId, "Export-PrunedSet",
            $"{p.FilesDone:N0} of {p.FilesTotal:N0} files, {p.BytesDone / 1048576.0:N1} of {p.BytesTotal / 1048576.0:N1} MiB; {p.FilesDone / seconds:N1} files/s, {bytesPerSecond / 1048576.0:N1} MiB/s")
        {
            PercentComplete = p.BytesTotal > 0 ? (int)Math.Min(100, 100 * p.BytesDone / p.BytesTotal) : (int)(100L * p.FilesDone / Math.Max(1, p.FilesTotal)),
            SecondsRemaining = remaining,
            CurrentOperation = p.Current,
        });
    }
}

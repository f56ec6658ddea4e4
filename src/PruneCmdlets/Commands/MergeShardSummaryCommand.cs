using System.Collections.ObjectModel;
using System.Management.Automation;
using PruneCmdlets.Sharding;

namespace PruneCmdlets.Commands;

/// <summary>
/// Merges the summaries of one round of a sharded selection, in any number and any order:
/// round-1 summaries into a plan (each group's quota and the interval its cut lies in), round-2
/// summaries into the cut file that Select-PrunedSet -Cut applies in every shard. Refuses a
/// missing or duplicate shard, and summaries of another policy, model or plan.
/// </summary>
[Cmdlet(VerbsData.Merge, "ShardSummary", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class MergeShardSummaryCommand : PSCmdlet
{
    private readonly List<string> _files = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, Position = 1)]
    public string OutFile { get; set; } = "";

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int ShardCount { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            if (WildcardPattern.ContainsWildcardCharacters(p))
            {
                Collection<string> found;
                try { found = GetResolvedProviderPathFromPSPath(p, out _); }
                catch (ItemNotFoundException) { found = new Collection<string>(); }
                _files.AddRange(found.OrderBy(f => f, StringComparer.Ordinal));
            }
            else _files.Add(GetUnresolvedProviderPathFromPSPath(p));
        }
    }

    protected override void EndProcessing()
    {
        if (_files.Count == 0)
            ThrowTerminatingError(ErrorHelper.Terminating("ShardSummaryMissing", ErrorCategory.ObjectNotFound,
                $"No shard summary matches {string.Join(", ", Path)}; run Measure-ShardSummary in every shard first."));
        string outPath = GetUnresolvedProviderPathFromPSPath(OutFile);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ShardPlanDocument merged;
        int empty;
        try
        {
            var docs = _files.Distinct(StringComparer.Ordinal).Select(f => (f, ShardFiles.ReadSummary(f))).ToList();
            int? count = MyInvocation.BoundParameters.ContainsKey(nameof(ShardCount)) ? ShardCount : null;
            merged = docs[0].Item2.Round == 1 ? ShardedSelection.Plan(docs, count) : ShardedSelection.Cut(docs, count);
            empty = docs.Count(d => d.Item2.Records == 0);
        }
        catch (Exception e) when (e is ShardFileException or PruneCmdlets.Selection.SelectionInputException)
        {
            ThrowTerminatingError(ErrorHelper.Shard(e));
            return;
        }
        var bytes = ShardFiles.Serialize(merged);
        bool cut = merged.Format == ShardPlanDocument.CutFormat;
        if (!ShouldProcess(outPath, $"Write the {(cut ? "cut" : "plan")} merged from {_files.Count} summaries")) return;
        try { PruneCmdlets.IO.AtomicFile.Write(outPath, bytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("ExportFailed", outPath, e));
            return;
        }
        WriteVerbose($"Merged {_files.Count} round-{(cut ? 2 : 1)} summaries of {merged.Records} records in {clock.Elapsed.TotalSeconds:F2}s" +
            (empty > 0 ? $" ({empty} of them from shards that held no records)" : "") +
            $": {merged.Total} kept over {merged.Groups.Count} group(s); {(cut ? "cut" : "plan")} written to '{outPath}' ({bytes.Length:N0} bytes).");
        foreach (var g in merged.Groups.Take(50))
            WriteVerbose($"  {g.Name}: keep {g.Quota} of {g.Size}" + (cut && g.CutId is not null ? $", cut at '{g.CutId}'" + (g.CutDistance is { } d ? $" (Distance {d:G6})" : "") : ""));
        if (PassThru) WriteObject(new FileInfo(outPath));
    }
}

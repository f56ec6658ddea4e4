using System.Management.Automation;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// Keeps a fraction or a count of the scored records and emits them in input order: the
/// hardest (largest Distance), the easiest, or a seeded random sample, optionally with the same
/// fraction kept inside every class or cluster. -Invert emits the pruned records instead.
/// </summary>
[Cmdlet(VerbsCommon.Select, "PrunedSet", DefaultParameterSetName = FractionSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class SelectPrunedSetCommand : PSCmdlet
{
    private const string FractionSet = "Fraction";
    private const string CountSet = "Count";
    private readonly List<EmbeddingRecord> _records = new();
    private int _seen;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FractionSet)]
    public double KeepFraction { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CountSet)]
    [ValidateRange(0, int.MaxValue)]
    public int KeepCount { get; set; }

    [Parameter]
    public KeepStrategy Keep { get; set; } = KeepStrategy.Hard;

    [Parameter]
    public BalanceBy BalanceBy { get; set; } = BalanceBy.None;

    [Parameter]
    public long Seed { get; set; }

    [Parameter]
    public SwitchParameter Invert { get; set; }

    protected override void BeginProcessing()
    {
        if (ParameterSetName == FractionSet && !(KeepFraction > 0 && KeepFraction <= 1))
            ThrowTerminatingError(ErrorHelper.Terminating("InvalidKeepFraction", ErrorCategory.InvalidArgument,
                $"-KeepFraction must be greater than 0 and at most 1; got {KeepFraction}. Use -KeepCount for an absolute number.", KeepFraction));
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        var r = InputObject.BaseObject as EmbeddingRecord ?? RecordAdapter.TryAdapt(InputObject, _seen);
        _seen++;
        if (r is null) { WriteError(ErrorHelper.MissingVector(InputObject)); return; }
        _records.Add(r);
    }

    protected override void EndProcessing()
    {
        int n = _records.Count;
        if (n == 0) ThrowTerminatingError(ErrorHelper.NoInput("Select-PrunedSet"));
        double[]? distances = null;
        if (Keep != KeepStrategy.Random)
        {
            var missing = _records.FirstOrDefault(r => r.Distance is null);
            if (missing is not null)
                ThrowTerminatingError(ErrorHelper.Terminating("MissingDistance", ErrorCategory.InvalidArgument,
                    $"Record '{missing.Id}' has no Distance: pipe the records through Measure-Prototypicality first, or use -Keep Random.", missing));
            distances = _records.Select(r => r.Distance!.Value).ToArray();
        }
        string?[]? groups = null;
        if (BalanceBy == BalanceBy.Cluster)
        {
            var missing = _records.FirstOrDefault(r => r.Cluster is null);
            if (missing is not null)
                ThrowTerminatingError(ErrorHelper.Terminating("MissingCluster", ErrorCategory.InvalidArgument,
                    $"Record '{missing.Id}' has no Cluster: pipe the records through Invoke-KMeans first, or balance by Label.", missing));
            groups = _records.Select(r => r.Cluster!.Value.ToString("D6")).ToArray(); // zero-padded: ordinal order = numeric order
        }
        else if (BalanceBy == BalanceBy.Label)
        {
            int unlabelled = _records.Count(r => string.IsNullOrEmpty(r.Label));
            if (unlabelled > 0) WriteWarning($"{unlabelled} record(s) have no Label; they are balanced as one group of their own.");
            groups = _records.Select(r => r.Label).ToArray();
        }

        int total = ParameterSetName == FractionSet ? PruneSelector.CountForFraction(KeepFraction, n) : KeepCount;
        if (total > n)
        {
            WriteWarning($"-KeepCount {KeepCount} is more than the {n} records received; all are kept.");
            total = n;
        }
        var keep = PruneSelector.Select(distances, groups, n, total, Keep, Seed);
        WriteVerbose($"Keeping {total} of {n} records ({(double)total / n:P1}): {Keep}" +
            (BalanceBy != BalanceBy.None ? $", balanced by {BalanceBy}" : "") + (Keep == KeepStrategy.Random ? $", seed {Seed}" : "") +
            (Invert ? "; emitting the pruned records (-Invert)." : "."));
        if (groups is not null)
            foreach (var g in Enumerable.Range(0, n).GroupBy(i => groups[i] ?? "").OrderBy(g => g.Key, StringComparer.Ordinal))
                WriteVerbose($"  {BalanceBy} {(BalanceBy == BalanceBy.Cluster ? int.Parse(g.Key).ToString() : (g.Key.Length == 0 ? "(none)" : g.Key))}: kept {g.Count(i => keep[i])}/{g.Count()}");
        for (int i = 0; i < n; i++)
            if (keep[i] != Invert.IsPresent) WriteObject(_records[i]);
    }
}

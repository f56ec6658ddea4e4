using System.Globalization;
using System.Management.Automation;
using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;
using PruneCmdlets.Probing;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// Measures candidate prunings on the user's own labelled data: for every keep fraction ×
/// strategy × balancing, the records Select-PrunedSet would keep train a logistic-regression
/// probe that is scored on -TestSet. Emits one ProbeResult per candidate, then one
/// PruningRecommendation (the smallest fraction within -Tolerance of the full data).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PruningStrategy")]
[OutputType(typeof(ProbeResult), typeof(PruningRecommendation))]
public sealed class TestPruningStrategyCommand : PSCmdlet, IDisposable
{
    private const int ProgressId = 0x5450;
    private readonly CancellationTokenSource _stop = new();
    private RecordCollector? _collector;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public object[]? TestSet { get; set; }

    [Parameter]
    public double[] KeepFraction { get; set; } = { 1.0, 0.8, 0.6, 0.4, 0.2 };

    [Parameter]
    public KeepStrategy[] Keep { get; set; } = { KeepStrategy.Hard, KeepStrategy.Easy, KeepStrategy.Random };

    [Parameter]
    public BalanceBy[] BalanceBy { get; set; } = { Selection.BalanceBy.None, Selection.BalanceBy.Label };

    [Parameter]
    public PruneCmdlets.Issues.DataIssueKind[]? Exclude { get; set; }

    [Parameter]
    public long Seed { get; set; }

    [Parameter]
    [ValidateRange(1, 1000)]
    public int RandomTrials { get; set; } = 3;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Tolerance { get; set; } = 0.005;

    [Parameter]
    public double C { get; set; } = 1.0;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxIterations { get; set; } = 1000;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxThreads { get; set; } = Environment.ProcessorCount;

    protected override void BeginProcessing()
    {
        foreach (var f in KeepFraction)
            if (!(f > 0 && f <= 1)) ThrowTerminatingError(ErrorHelper.InvalidKeepFraction(f, countAlternative: false));   // the probe takes fractions only
        if (Keep.Contains(KeepStrategy.Auto))
            ThrowTerminatingError(ErrorHelper.Terminating("AutoNotMeasurable", ErrorCategory.InvalidArgument,
                "-Keep Auto is what the probe recommends, not a strategy it can measure; list the strategies to compare (Hard, Easy, Random, Stratified)."));
        if (!(C > 0) || double.IsInfinity(C)) ThrowTerminatingError(ErrorHelper.InvalidC(C));
        _collector = new RecordCollector(this);
    }

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var c = _collector!;
        if (c.Records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Test-PruningStrategy"));
        foreach (var r in c.Records.Where(r => string.IsNullOrEmpty(r.Label)))
            WriteError(ErrorHelper.MissingLabel(r, r.Id, "the probe trains a classifier on labels, so it was left out."));
        var records = c.Records.Where(r => !string.IsNullOrEmpty(r.Label)).ToList();
        if (records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Test-PruningStrategy (labelled)"));
        int n = records.Count, d = c.Dimension;
        int classes = records.Select(r => r.Label).Distinct(StringComparer.Ordinal).Count();
        if (classes < 2) ThrowTerminatingError(ErrorHelper.TooFewClasses(classes));

        double[]? distances = null;
        if (records.All(r => r.Distance is not null)) distances = records.Select(r => r.Distance!.Value).ToArray();
        else if (Keep.Any(k => k != KeepStrategy.Random))
        {
            var missing = records.First(r => r.Distance is null);
            ThrowTerminatingError(ErrorHelper.Terminating("MissingDistance", ErrorCategory.InvalidArgument,
                $"Record '{missing.Id}' has no Distance: pipe the records through Measure-Prototypicality first, or use -Keep Random.", missing));
        }
        int[]? clusters = null;
        if (records.All(r => r.Cluster is not null)) clusters = records.Select(r => r.Cluster!.Value).ToArray();
        else if (BalanceBy.Any(b => b is Selection.BalanceBy.Cluster or Selection.BalanceBy.Density))
        {
            var missing = records.First(r => r.Cluster is null);
            ThrowTerminatingError(ErrorHelper.Terminating("MissingCluster", ErrorCategory.InvalidArgument,
                $"Record '{missing.Id}' has no Cluster: pipe the records through Invoke-KMeans first, or balance by Label.", missing));
        }

        // The same records Select-PrunedSet -Exclude would prune (MissingIssues for an unchecked record).
        bool[]? excluded = null;
        if (Exclude is { Length: > 0 })
        {
            var flagged = this.Core(() => Exclusion.Flagged(records, Exclude.Select(k => k.ToString()).ToArray()));
            excluded = records.Select(flagged.Contains).ToArray();
        }
        var x = ContiguousVectors(records);
        var train = new ProbeData(x, n, d, records.Select(r => r.Label!).ToArray(), distances, clusters)
        {
            Model = BalanceBy.Contains(Selection.BalanceBy.Density) ? RecordCollector.SharedModel(this, records) : null,
            Excluded = excluded,
            ExcludedIssues = Exclude?.Select(k => k.ToString()).ToArray() ?? Array.Empty<string>(),
        };
        if (excluded is not null)
            WriteVerbose($"-Exclude {string.Join(", ", Exclude!)}: {excluded.Count(e => e)} of {n} records are flagged; every candidate is also measured with them pruned first.");
        var test = CollectTestSet(d);

        var unseen = PruningProbe.UnseenLabels(train.Labels, test.Labels, out int unseenRecords);
        if (unseen.Count > 0) ThrowTerminatingError(ErrorHelper.UnseenTestLabel(new UnseenLabelException(unseen, unseenRecords)));

        var options = new ProbeOptions
        {
            KeepFractions = KeepFraction,
            Strategies = Keep,
            Balances = BalanceBy,
            Seed = Seed,
            RandomTrials = RandomTrials,
            Tolerance = Tolerance,
            Model = new LogisticRegressionOptions { C = C, MaxIterations = MaxIterations, MaxThreads = MaxThreads },
        };
        string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        WriteVerbose($"Probe: {n} training records × {d} dimensions in {classes} classes; {test.Count} test records. " +
            $"Candidates: keep fractions {string.Join(", ", KeepFraction.Distinct().OrderByDescending(f => f).Select(Num))} × " +
            $"{string.Join(", ", Keep.Distinct())} × balance {string.Join(", ", BalanceBy.Distinct())}" +
            (Keep.Any(PruningProbe.IsSeeded) ? $"; {string.Join(", ", Keep.Distinct().Where(PruningProbe.IsSeeded))} averaged over {RandomTrials} seed(s), {Seed}..{Seed + RandomTrials - 1}" : "") + ". " +
            $"Classifier: multinomial logistic regression on standardised features, C={Num(C)}, L-BFGS up to {MaxIterations} iterations, {MaxThreads} thread(s). " +
            $"Tolerance: {Num(100 * Tolerance)} accuracy points below the full data.");

        var report = BackgroundWork.Run(this, _stop.Token, progress => PruningProbe.Run(train, test, options, p =>
        {
            string status = $"training {p.Training}/{p.Trainings}: {p.Candidate}" +
                (p.Iteration > 0 ? $", L-BFGS iteration {p.Iteration}, loss {p.Objective:G4}" : "");
            progress(new ProgressRecord(ProgressId, "Test-PruningStrategy", status)
            {
                PercentComplete = Math.Clamp((int)(100 * p.FractionDone), 0, 99),
                SecondsRemaining = p.SecondsRemaining >= 0 ? (int)Math.Ceiling(p.SecondsRemaining) : -1,
            });
        }, _stop.Token));
        WriteProgress(new ProgressRecord(ProgressId, "Test-PruningStrategy", "done") { RecordType = ProgressRecordType.Completed });

        var rec = report.Recommendation;
        WriteVerbose($"Full-data test accuracy {rec.FullDataAccuracy:P2} (standard error {100 * rec.StandardError:0.##} points on {test.Count} test records); " +
            $"{report.Trainings} distinct kept sets trained in {report.Seconds:F1}s.");
        foreach (var r in report.Results)
            WriteVerbose($"  {r.Keep,-6} {(r.BalanceBy == Selection.BalanceBy.None ? "" : "by " + r.BalanceBy),-9} keep {Num(r.KeepFraction),-5} ({r.KeptCount,7}): " +
                $"{r.TestAccuracy:P2} ({(r.AccuracyChange >= 0 ? "+" : "")}{100 * r.AccuracyChange:0.00} points)" +
                (r.Trials > 1 ? $" ± {100 * r.AccuracyStdDev:0.00} over {r.Trials} seeds" : "") +
                (r.ClassesDropped > 0 ? $"; {r.ClassesDropped} class(es) dropped" : ""));
        WriteVerbose($"Recommendation: keep {Num(rec.KeepFraction)} with -Keep {rec.Keep} -BalanceBy {rec.BalanceBy}" +
            (PruningProbe.IsSeeded(rec.Keep) ? $" -Seed {rec.Seed}" : "") + $". {rec.Reason}");
        if (report.NotConverged > 0)
            WriteWarning($"Logistic regression did not reach its tolerance in {report.NotConverged} of {report.Trainings} trainings (it stopped at -MaxIterations {MaxIterations}, " +
                "or its line search could not improve further); their accuracies may be slightly off. Raise -MaxIterations, or lower -C to regularise more.");

        foreach (var r in report.Results) WriteObject(r);
        WriteObject(rec);
    }

    private ProbeData CollectTestSet(int dimension)
    {
        var vectors = new List<EmbeddingRecord>();
        var labels = new List<string>();
        for (int i = 0; i < TestSet!.Length; i++)
        {
            var item = TestSet[i];
            var record = item is null ? null : RecordAdapter.TryAdapt(PSObject.AsPSObject(item), i);
            if (record is null) { WriteError(ErrorHelper.InvalidTestRecord(item!, i)); continue; }
            if (record.Dimension != dimension)
                ThrowTerminatingError(ErrorHelper.TestSetDimensionMismatch(item!, record.Id, record.Dimension, dimension));
            if (!record.KnownFinite && !PruneCmdlets.Numerics.VectorMath.AllFinite(record.VectorMemory.Span)) { WriteError(ErrorHelper.NonFiniteTestVector(item!, record.Id)); continue; }
            if (string.IsNullOrEmpty(record.Label)) { WriteError(ErrorHelper.UnlabelledTestRecord(item!, record.Id)); continue; }
            vectors.Add(record);
            labels.Add(record.Label!);
        }
        if (vectors.Count == 0) ThrowTerminatingError(ErrorHelper.EmptyTestSet());
        return new ProbeData(ContiguousVectors(vectors), vectors.Count, dimension, labels);
    }

    /// <summary>The records' vectors as one row-major buffer, as every other cmdlet builds it.</summary>
    private float[] ContiguousVectors(IReadOnlyList<EmbeddingRecord> records)
    {
        RecordCollector.EnsureSourcesUnchanged(this, records);
        return EmbeddingMatrix.CopyRows(records.Select(r => r.VectorMemory).ToList(), DistanceMetric.Euclidean, out _);
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}

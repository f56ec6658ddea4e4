using System.Management.Automation;
using PruneCmdlets.Clustering;
using PruneCmdlets.Dedup;
using PruneCmdlets.Issues;

namespace PruneCmdlets.Commands;

/// <summary>
/// Tells hard from wrong: annotates every record, in input order, with what is wrong with it
/// (Issues: LabelError, Outlier, Duplicate, Leak), a sentence saying why (IssueReason) and the
/// scores behind each flag (LabelQuality, SuggestedLabel, OutlierScore, DuplicateOf, LeakOf).
/// The run's findings over the whole set (noise matrix, thresholds, how well the embedding fits
/// the labels) ride on every record as DataIssues.
/// </summary>
[Cmdlet(VerbsCommon.Find, "DataIssue", SupportsShouldProcess = true)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class FindDataIssueCommand : PSCmdlet, IDisposable
{
    private const int ProgressId = 0x4449;
    private readonly CancellationTokenSource _stop = new();
    private RecordCollector? _collector;
    private LabelModel? _labelModel;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0)]
    public DataCheck[]? Check { get; set; }

    [Parameter]
    public PSObject[]? Reference { get; set; }

    [Parameter]
    public LabelClassifier Classifier { get; set; } = LabelClassifier.Neighbors;

    [Parameter]
    [ValidateRange(2, 100)]
    public int Folds { get; set; } = DataIssueOptions.DefaultFolds;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Neighbors { get; set; } = DataIssueOptions.DefaultNeighbors;

    [Parameter]
    [ValidateRange(0.0, 2.0)]
    public double OutlierThreshold { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double DuplicateEpsilon { get; set; } = DataIssueOptions.DefaultDuplicateEpsilon;

    [Parameter]
    public DuplicateKeepRule KeepRule { get; set; } = DuplicateKeepRule.FarthestFromCentroid;

    [Parameter]
    [ValidateRange(-1.0, 1.0)]
    public double LeakThreshold { get; set; } = LeakOptions.DefaultThreshold;

    [Parameter]
    [ValidateRange(-1.0, 1.0)]
    public double PixelThreshold { get; set; } = LeakOptions.DefaultPixelThreshold;

    [Parameter]
    public SwitchParameter PixelCheck { get; set; }

    [Parameter]
    [ValidateRange(-1.0, 1.0)]
    public double PixelAgreement { get; set; } = LeakOptions.DefaultPixelAgreement;

    [Parameter]
    public NeighborSearch Search { get; set; } = NeighborSearch.Auto;

    [Parameter]
    [ValidateRange(1, 65536)]
    public int Probes { get; set; } = DataIssueOptions.DefaultProbes;

    [Parameter]
    public long Seed { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SaveLabelModel { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LabelModel { get; set; }

    [Parameter]
    public SwitchParameter PerShard { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxThreads { get; set; } = Environment.ProcessorCount;

    private bool Given(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    protected override void BeginProcessing()
    {
        var checks = Requested();
        if (checks.HasFlag(DataCheck.Leak) && Reference is null)
            ThrowTerminatingError(ErrorHelper.Terminating("ReferenceRequired", ErrorCategory.InvalidArgument,
                "-Check Leak compares the records with a reference set: give one with -Reference (for example the test split's records).", "Reference"));
        foreach (var (name, needs) in new[] { (nameof(Folds), DataCheck.Label), (nameof(Classifier), DataCheck.Label), (nameof(OutlierThreshold), DataCheck.Outlier),
                     (nameof(DuplicateEpsilon), DataCheck.Duplicate), (nameof(KeepRule), DataCheck.Duplicate), (nameof(LeakThreshold), DataCheck.Leak),
                     (nameof(PixelThreshold), DataCheck.Leak), (nameof(PixelCheck), DataCheck.Leak), (nameof(PixelAgreement), DataCheck.Leak) })
            if (Given(name) && Check is not null && !checks.HasFlag(needs))
                ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                    $"-{name} belongs to the {needs} check, which -Check does not include; add {needs} to -Check or remove -{name}.", name));
        // The agreement bar only judges pairs of large images, which only -PixelCheck compares by their pixels.
        if (Given(nameof(PixelAgreement)) && !(Given(nameof(PixelCheck)) && PixelCheck))
            ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                "-PixelAgreement is the pixel bar for pairs of large images, which only -PixelCheck compares by their pixels; add -PixelCheck or remove -PixelAgreement.", nameof(PixelAgreement)));
        if (LabelModel is not null)
        {
            if (SaveLabelModel is not null)
                ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                    "-SaveLabelModel fits a label model and -LabelModel uses one: fit it once on the sample (-SaveLabelModel), then give -LabelModel in each shard.", "SaveLabelModel"));
            if (Check is not null && !checks.HasFlag(DataCheck.Label))
                ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                    "-LabelModel belongs to the Label check, which -Check does not include; add Label to -Check or remove -LabelModel.", "LabelModel"));
            foreach (var name in new[] { nameof(Classifier), nameof(Folds) })
                if (Given(name))
                    ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                        $"-{name} sets how the label check is fitted, and -LabelModel gives a fitted one (the probe, with the folds it was fitted with); remove -{name}.", name));
            _labelModel = ReadLabelModel(GetUnresolvedProviderPathFromPSPath(LabelModel));
        }
        if (SaveLabelModel is not null)
        {
            if (Check is not null && !checks.HasFlag(DataCheck.Label))
                ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                    "-SaveLabelModel saves what the Label check fits, and -Check does not include Label; add Label to -Check.", "SaveLabelModel"));
            if (Classifier != LabelClassifier.Probe)
                ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                    "-SaveLabelModel saves the logistic-regression probe, which gives records outside the sample out-of-sample probabilities; add -Classifier Probe.", "SaveLabelModel"));
        }
        if (Given(nameof(Folds)) && Classifier == LabelClassifier.Neighbors)
            ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                "-Folds sets the probe's cross-validation: add -Classifier Probe or Both. The neighbour classifier (the default) needs no folds: each record is left out of its own vote.", "Folds"));
        _collector = new RecordCollector(this);
    }

    /// <summary>The checks -Check names, or null-check defaults (decided once the input is known).</summary>
    private DataCheck Requested() => Check is null ? DataCheck.None : Check.Aggregate(DataCheck.None, (a, b) => a | b);

    protected override void ProcessRecord() => _collector!.Add(InputObject);

    protected override void EndProcessing()
    {
        var records = _collector!.Records;
        if (records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Find-DataIssue"));
        RecordCollector.EnsureSourcesUnchanged(this, records);
        _collector.DropZeroVectors();
        if (records.Count == 0) ThrowTerminatingError(ErrorHelper.NoInput("Find-DataIssue"));

        var reference = Reference is null ? null : CollectReference(records);
        // With a label model the default is the checks that are exact record by record: Label (and Leak).
        var checks = Check is not null ? Requested()
            : _labelModel is not null ? DataCheck.Label | (reference is not null ? DataCheck.Leak : DataCheck.None)
            : DefaultChecks(records, reference is not null);
        RefuseInexactInShard(records, checks);
        if (SaveLabelModel is not null && !checks.HasFlag(DataCheck.Label))
            ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
                "-SaveLabelModel saves what the Label check fits, and the records carry fewer than two distinct labels, so it does not run; label the records, or remove -SaveLabelModel.", "SaveLabelModel"));
        bool labelled = records.Any(r => !string.IsNullOrEmpty(r.Label));
        if (checks.HasFlag(DataCheck.Label) && !labelled)
            ThrowTerminatingError(ErrorHelper.Terminating("NoLabels", ErrorCategory.InvalidArgument,
                "-Check Label needs labels, and no record has one: label the records (Get-Embedding sets Label from the folder, Import-Embedding from -LabelPath), or run -Check Outlier, Duplicate.", records[0]));
        int unlabelled = records.Count(r => string.IsNullOrEmpty(r.Label));
        if (checks.HasFlag(DataCheck.Label) && unlabelled > 0)
            WriteWarning($"{unlabelled} of {records.Count} record(s) have no Label; the label check leaves them out.");

        var (clusters, model) = Clusters(records);
        var options = new DataIssueOptions
        {
            Checks = checks, Classifier = Classifier, Folds = Folds, Neighbors = Neighbors,
            OutlierThreshold = Given(nameof(OutlierThreshold)) ? OutlierThreshold : null,
            DuplicateEpsilon = DuplicateEpsilon, DuplicateKeepRule = KeepRule, Seed = Seed, MaxThreads = MaxThreads, Search = Search, Probes = Probes,
            // -PixelCheck compares every image pair; -PixelCheck:$false none; without it, small images only.
            Leak = new LeakOptions
            {
                Threshold = LeakThreshold, PixelThreshold = PixelThreshold, PixelAgreement = PixelAgreement,
                Pixels = !Given(nameof(PixelCheck)) ? PixelComparison.Auto : PixelCheck ? PixelComparison.Always : PixelComparison.Never,
            },
            LabelModel = _labelModel, FitLabelModel = SaveLabelModel is not null,
        };
        var input = new DataIssueInput
        {
            Vectors = records.Select(r => r.VectorMemory).ToList(), Ids = records.Select(r => r.Id).ToList(),
            Labels = records.Select(r => r.Label).ToList(), Paths = records.Select(r => r.Path).ToList(),
            Clusters = clusters, Model = model, Reference = reference, EmbeddingModel = records[0].Model,
        };
        WriteVerbose($"Find-DataIssue: {records.Count} records, {records[0].Dimension} dimensions; checks {checks}; " +
            (checks.HasFlag(DataCheck.Label) && _labelModel is not null ? $"label check by the label model '{LabelModel}' ({_labelModel.Classes.Count} classes, fitted on {_labelModel.SampleRecords} sample records, checksum {_labelModel.Checksum[..12]}); " : "") +
            (checks.HasFlag(DataCheck.Label) && _labelModel is null ? (Classifier switch
            {
                LabelClassifier.Probe => $"label check by the logistic-regression probe over {Folds} stratified folds (seed {Seed}); ",
                LabelClassifier.Both => $"label check by the mean of the probe over {Folds} stratified folds (seed {Seed}) and the labels of {Neighbors} nearest neighbours; ",
                _ => $"label check by the labels of {Neighbors} nearest neighbours; ",
            }) : "") +
            $"{Neighbors} nearest neighbours by cosine, " +
            (new DataIssueOptions { Search = Search }.Clustered(records.Count) ? $"searched inside k-means lists ({Probes} probed per record; beyond {DataIssueOptions.ExactLimit:N0} records, or -Search Clustered)" : "exact") + $"; threads {MaxThreads}.");

        (RecordIssues[] Records, DataIssueSummary Summary) result;
        LabelModel? fitted = null;
        try
        {
            int lastPercent = -1;
            string lastStage = "";
            result = BackgroundWork.Run(this, _stop.Token, report =>
            {
                var r = DataIssueFinder.Run(input, options, out var f, p =>
                {
                    int percent = (int)Math.Min(99, 100 * p.Fraction);
                    if (percent == lastPercent && p.Stage == lastStage) return;
                    lastPercent = percent;
                    lastStage = p.Stage;
                    report(new ProgressRecord(ProgressId, "Find-DataIssue", p.Stage) { PercentComplete = percent });
                }, _stop.Token);
                fitted = f;
                return r;
            });
        }
        catch (DataIssueException e)
        {
            // The core names the record by its Id; the error's target is the record itself.
            ThrowTerminatingError(ErrorHelper.Terminating(e.ErrorId, ErrorCategory.InvalidData, e.Message, e.Record >= 0 ? records[e.Record] : null, e));
            return;
        }
        WriteProgress(new ProgressRecord(ProgressId, "Find-DataIssue", "done") { RecordType = ProgressRecordType.Completed });

        var summary = result.Summary;
        WriteVerbose($"Found: {string.Join(", ", summary.Counts.Select(kv => $"{kv.Key} {kv.Value}"))} of {summary.Records} records." +
            (summary.CrossValidatedAccuracy is { } a ? $" Cross-validated accuracy of the labels {a:P1}; neighbour label agreement {summary.NeighborAgreement:P1}." : "") +
            (summary.OutlierThreshold is { } t ? $" Outlier threshold {t:0.0000} ({summary.OutlierRule})." : "") +
            (summary.LeakThreshold is not null ? $" {summary.LeakPixelChecks} pixel comparisons against {summary.ReferenceRecords} reference records" +
                (summary.LeakPixelScope switch { PixelComparison.Auto => " (small images: the pixels decide).", PixelComparison.Always => " (every image pair).", _ => " (the embedding decided)." }) : ""));
        if (summary.FitWarning is { } warning) WriteWarning(warning);
        if (fitted is not null) WriteLabelModel(fitted);
        for (int i = 0; i < records.Count; i++) WriteObject(records[i].WithIssues(result.Records[i], summary));
    }

    /// <summary>
    /// In a shard, only what is exact record by record may run: Leak (each record against every
    /// reference record) and Label with -LabelModel. The neighbour checks, duplicates and a label
    /// check fitted on these records would compare each record with its shard's records only, a
    /// different check from the whole set's, so they are refused unless -PerShard says that is meant.
    /// </summary>
    private void RefuseInexactInShard(List<EmbeddingRecord> records, DataCheck checks)
    {
        if (PerShard) return;
        var inexact = checks & (DataCheck.Outlier | DataCheck.Duplicate | (_labelModel is null ? DataCheck.Label : DataCheck.None));
        if (inexact == DataCheck.None || ShardContext(records) is not { } where) return;
        var names = Enum.GetValues<DataCheck>().Where(c => c != DataCheck.None && inexact.HasFlag(c)).Select(c => c.ToString()).ToList();
        string advice = (inexact.HasFlag(DataCheck.Label)
                ? "For label errors, fit a label model once on the Id-hash sample (... | Select-Shard -SampleFraction 0.1 | Find-DataIssue -Check Label -Classifier Probe -SaveLabelModel labels.json) and run -Check Label -LabelModel labels.json in each shard: every record's result then depends on itself and the model only. "
                : "") +
            (inexact.HasFlag(DataCheck.Outlier) || inexact.HasFlag(DataCheck.Duplicate)
                ? "Run Outlier and Duplicate where every record is (one process over all the embeddings), save the annotated records (Export-Embedding to Parquet), and give the shards' Measure-ShardSummary the same -Exclude. "
                : "") +
            "Leak with -Reference is exact in a shard. To check this shard's records among themselves anyway (or when this input is a whole set of its own), add -PerShard.";
        ThrowTerminatingError(ErrorHelper.Terminating("NotExactInShard", ErrorCategory.InvalidOperation,
            $"Find-DataIssue is running on one shard ({where}), and the {string.Join(", ", names)} check{(names.Count > 1 ? "s compare" : " compares")} each record with the other records, so over this shard's records alone {(names.Count > 1 ? "they are" : "it is")} not the check of the whole set. {advice}",
            string.Join(", ", names)));
    }

    /// <summary>Why these records look like one shard of a larger set, or null.</summary>
    private static string? ShardContext(List<EmbeddingRecord> records)
    {
        // Marked by Select-Shard -Index/-Count, all of one count, and not every shard of it present.
        if (records.All(r => r.Shard is not null) && records.Select(r => r.Shard!.Value.Count).Distinct().Count() == 1)
        {
            var (index, count) = records[0].Shard!.Value;
            var present = records.Select(r => r.Shard!.Value.Index).Distinct().Count();
            if (present < count) return present == 1 ? $"the records came through Select-Shard -Index {index} -Count {count}" : $"the records came through Select-Shard, {present} of {count} shards";
        }
        if (Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID") is { Length: > 0 } slurm) return $"a task of a Slurm job array: SLURM_ARRAY_TASK_ID is {slurm}";
        if (Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX") is { Length: > 0 } k8s) return $"a pod of a Kubernetes Indexed Job: JOB_COMPLETION_INDEX is {k8s}";
        return null;
    }

    private LabelModel ReadLabelModel(string path)
    {
        try { return PruneCmdlets.Issues.LabelModel.Read(path); }
        catch (DataIssueException e)
        {
            ThrowTerminatingError(ErrorHelper.Terminating(e.ErrorId, e.ErrorId switch
            {
                "LabelModelNotFound" => ErrorCategory.ObjectNotFound,
                "LabelModelUnreadable" => ErrorCategory.ReadError,
                _ => ErrorCategory.InvalidData,
            }, e.Message, path, e));
            throw; // not reached
        }
    }

    private void WriteLabelModel(LabelModel model)
    {
        string path = GetUnresolvedProviderPathFromPSPath(SaveLabelModel);
        if (!ShouldProcess(path, $"Save the label model ({model.Classes.Count} classes, {model.SampleRecords} records)")) return;
        bool written;
        try { written = PruneCmdlets.IO.AtomicFile.Write(path, model.ToJson()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("ExportFailed", path, e));
            return;
        }
        WriteVerbose(written ? $"Saved the label model (checksum {model.Checksum}) to '{path}'." : $"'{path}' already holds this label model; left as it is.");
    }

    /// <summary>Every check the input allows: Label when records are labelled, Leak when there is a reference.</summary>
    private static DataCheck DefaultChecks(List<EmbeddingRecord> records, bool reference)
    {
        var checks = DataCheck.Outlier | DataCheck.Duplicate;
        if (records.Select(r => r.Label).Where(l => !string.IsNullOrEmpty(l)).Distinct(StringComparer.Ordinal).Skip(1).Any()) checks |= DataCheck.Label;
        if (reference) checks |= DataCheck.Leak;
        return checks;
    }

    /// <summary>
    /// The reference records, collected as the records are (a bad one is reported by name and the
    /// rest go on; zero vectors have no direction to compare), then held to the records: the same
    /// dimension and the same model, or the whole comparison means nothing and the command stops.
    /// </summary>
    private DataIssueReference CollectReference(List<EmbeddingRecord> records)
    {
        var collector = new RecordCollector(this);
        foreach (var item in Reference!) collector.Add(item);
        collector.DropZeroVectors();
        var list = collector.Records;
        if (list.Count == 0)
            ThrowTerminatingError(ErrorHelper.Terminating("EmptyReference", ErrorCategory.InvalidArgument, "-Reference holds no usable records: pass the reference set's embeddings (for example Import-Embedding test.npy).", "Reference"));
        if (collector.Dimension != records[0].Dimension)
            ThrowTerminatingError(ErrorHelper.Terminating("ReferenceDimensionMismatch", ErrorCategory.InvalidArgument,
                $"Reference record '{list[0].Id}' has {collector.Dimension} dimensions but the records have {records[0].Dimension}: embed the reference with the same model as the records.", list[0]));
        if (records[0].Model is { } model && list.FirstOrDefault(r => r.Model is not null && !string.Equals(r.Model, model, StringComparison.Ordinal)) is { } other)
            ThrowTerminatingError(ErrorHelper.Terminating("ReferenceModelMismatch", ErrorCategory.InvalidArgument,
                $"Reference record '{other.Id}' was embedded by '{other.Model}' but the records by '{model}': similarities between two models' embeddings mean nothing; embed both with one model.", other));
        RecordCollector.EnsureSourcesUnchanged(this, list);
        return new DataIssueReference { Vectors = list.Select(r => r.VectorMemory).ToList(), Ids = list.Select(r => r.Id).ToList(), Paths = list.Select(r => r.Path).ToList() };
    }

    /// <summary>The clusters for the duplicate keep rule, when every record has one from the same k-means model.</summary>
    private static (int[]? Clusters, KMeansModel? Model) Clusters(List<EmbeddingRecord> records)
    {
        if (records.Any(r => r.Cluster is null)) return (null, null);
        var model = records[0].KMeansModel;
        if (KMeansModel.IndexOfOtherClustering(records.Select(r => r.KMeansModel), missingDiffers: true) >= 0) return (null, null);
        if (model is not null && records.Any(r => r.Cluster!.Value >= model.K)) return (null, null);
        return (records.Select(r => r.Cluster!.Value).ToArray(), model);
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}

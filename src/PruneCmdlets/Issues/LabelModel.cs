using System.Text.Json;
using System.Text.Json.Serialization;
using PruneCmdlets.Probing;
using PruneCmdlets.Sharding;

namespace PruneCmdlets.Issues;

/// <summary>
/// The label check fitted once, on a sample, and applied record by record anywhere: what
/// <c>Find-DataIssue -SaveLabelModel</c> writes and <c>-LabelModel</c> reads, so label errors
/// shard exactly. It holds the probe fitted on the whole sample, the confident-learning
/// thresholds of the sample's cross-validated probabilities, and each sample record's own
/// cross-validated probabilities. Every record then gets an out-of-sample probability that
/// depends only on itself and this model: a sample record its stored cross-validated one (the
/// probe saw it), any other record the probe's (the probe never saw it). So the records of
/// every shard together get exactly what one process gets from the same model.
/// </summary>
public sealed class LabelModel
{
    private readonly Dictionary<string, int> _sampleIndex;

    private LabelModel(LabelModelDocument doc, LogisticRegressionModel probe, string checksum)
    {
        Document = doc;
        Probe = probe;
        Checksum = checksum;
        _sampleIndex = new Dictionary<string, int>(doc.Sample.Count, StringComparer.Ordinal);
        for (int i = 0; i < doc.Sample.Count; i++) _sampleIndex[doc.Sample[i].Id] = i;
    }

    internal LabelModelDocument Document { get; }
    internal LogisticRegressionModel Probe { get; }
    public IReadOnlyList<string> Classes => Document.Classes;
    public int Dimension => Document.Dimension;
    /// <summary>The embedding model of the sample's records (their Model), or null when they named none.</summary>
    public string? EmbeddingModel => Document.Model;
    public int Folds => Document.Folds;
    public long Seed => Document.Seed;
    /// <summary>Per class, the mean cross-validated self-confidence of the sample's records of that class.</summary>
    public IReadOnlyList<double> Thresholds => Document.Thresholds;
    /// <summary>The sample's cross-validated accuracy against its labels (the fit step's figure).</summary>
    public double SampleAccuracy => Document.CrossValidatedAccuracy;
    public int SampleRecords => Document.Sample.Count;
    /// <summary>SHA-256 of the model's content: two shards that report the same used the same model.</summary>
    public string Checksum { get; }

    /// <summary>The model of a label check just run on a sample: its classes, cross-validated probabilities and thresholds, plus the probe fitted on every labelled record.</summary>
    internal static LabelModel Fit(float[] x, int n, int d, int[] given, string[] ids, LabelCheckResult check, string? embeddingModel, long seed,
        LogisticRegressionOptions options, CancellationToken cancel)
    {
        var classes = check.Classes;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
            if (!seen.Add(ids[i]))
                throw new DataIssueException("DuplicateId", $"Id '{ids[i]}' occurs more than once among the labelled records: a label model recognises its sample records by Id, so every Id must be unique. Import-Embedding -IdPath gives each row its own Id.");
        var probe = LogisticRegression.Fit(x, n, d, given.Select(g => classes[g]).ToArray(), options, cancel: cancel);
        if (!probe.Classes.SequenceEqual(classes, StringComparer.Ordinal))
            throw new InvalidOperationException("The probe's classes differ from the label check's."); // both sort the same labels ordinally
        int k = classes.Length;
        var doc = new LabelModelDocument
        {
            Classes = classes, Dimension = d, Model = embeddingModel, Folds = check.Folds, Seed = seed,
            C = probe.C, Mean = probe.Mean, Scale = probe.Scale, Weights = probe.Weights, Intercepts = probe.Intercepts,
            Thresholds = check.Thresholds, CrossValidatedAccuracy = check.CrossValidatedAccuracy,
            Sample = Enumerable.Range(0, n).Select(i => new LabelModelRecord
            {
                Id = ids[i], Label = classes[given[i]], Probabilities = check.Probabilities.AsSpan(i * k, k).ToArray(),
            }).ToList(),
        };
        return new LabelModel(doc, probe, ShardFiles.ContentChecksum(doc));
    }

    /// <summary>
    /// Out-of-sample probabilities (N×K, in the order of <see cref="Classes"/>) of labelled
    /// records: a sample record's stored cross-validated ones, the probe's for every other.
    /// <paramref name="x"/> holds the raw rows; <paramref name="given"/> the class index of each label.
    /// </summary>
    internal double[] Probabilities(float[] x, int n, IReadOnlyList<string> ids, int[] given, int maxThreads, CancellationToken cancel, out int fromSample)
    {
        int k = Classes.Count, d = Dimension;
        var result = new double[(long)n * k];
        var outside = new List<int>();
        fromSample = 0;
        for (int i = 0; i < n; i++)
        {
            if (!_sampleIndex.TryGetValue(ids[i], out int s)) { outside.Add(i); continue; }
            var stored = Document.Sample[s];
            if (!string.Equals(stored.Label, Classes[given[i]], StringComparison.Ordinal))
                throw new DataIssueException("LabelModelRecordChanged",
                    $"Record {i} was labelled '{stored.Label}' in the sample the label model was fitted on, and is labelled '{Classes[given[i]]}' now: its stored out-of-sample probabilities judge the old label. Fit the label model again on the current labels (Find-DataIssue -Classifier Probe -SaveLabelModel).", i);
            stored.Probabilities.CopyTo(result, (long)i * k);
            fromSample++;
        }
        if (outside.Count > 0)
        {
            var rows = PruneCmdlets.Numerics.LargeArray.Allocate((long)outside.Count * d);
            for (int t = 0; t < outside.Count; t++) Array.Copy(x, (long)outside[t] * d, rows, (long)t * d, d);
            // Each row's probabilities depend on that row alone (see PredictProbabilities), so a shard gets what one process gets.
            var p = Probe.PredictProbabilities(rows, outside.Count, maxThreads, cancel);
            for (int t = 0; t < outside.Count; t++) Array.Copy(p, (long)t * k, result, (long)outside[t] * k, k);
        }
        return result;
    }

    // ---- the file ---------------------------------------------------------------------------

    private static readonly JsonSerializerOptions Compact = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The file's bytes: compact JSON with the checksum of its own content, as shard files carry.</summary>
    public byte[] ToJson()
    {
        Document.Checksum = Checksum;
        return JsonSerializer.SerializeToUtf8Bytes(Document, Compact);
    }

    /// <summary>
    /// Reads and checks a label model file: a missing, damaged or edited file, or one of another
    /// version, is a <see cref="DataIssueException"/> (LabelModelNotFound, CorruptLabelModel) naming
    /// the file, never a .NET exception.
    /// </summary>
    public static LabelModel Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataIssueException(e is FileNotFoundException or DirectoryNotFoundException ? "LabelModelNotFound" : "LabelModelUnreadable", $"Cannot read the label model '{path}': {e.Message}");
        }
        LabelModelDocument doc;
        try { doc = JsonSerializer.Deserialize<LabelModelDocument>(bytes, Compact) ?? throw new JsonException("the document is null"); }
        catch (JsonException e) { throw Corrupt(path, $"is not a label model written by Find-DataIssue -SaveLabelModel (or it is damaged): {e.Message}"); }
        if (doc.Format != LabelModelDocument.FormatName) throw Corrupt(path, $"is not a label model written by Find-DataIssue -SaveLabelModel (its Format is '{doc.Format}')");
        if (doc.Version != LabelModelDocument.CurrentVersion)
            throw Corrupt(path, $"is label model version {doc.Version}; this PruneCmdlets reads version {LabelModelDocument.CurrentVersion}. Fit it again with this PruneCmdlets");
        if (doc.Checksum is null) throw Corrupt(path, "has no Checksum (the field is null or missing), so an edit could not be told from the original");
        string actual = ShardFiles.ContentChecksum(doc);
        if (!string.Equals(actual, doc.Checksum, StringComparison.OrdinalIgnoreCase))
            throw Corrupt(path, $"was edited or damaged after it was written: its content hashes to {actual}, not to the checksum {doc.Checksum} it was written with. Fit it again (Find-DataIssue -Classifier Probe -SaveLabelModel)");

        int k = Require(doc.Classes, path, "Classes").Length, d = doc.Dimension;
        if (k < 2) throw Corrupt(path, $"holds {k} classes; a label model needs at least two");
        if (d < 1) throw Corrupt(path, $"claims {d} dimensions");
        for (int c = 0; c < k; c++) Require(doc.Classes[c], path, $"Classes[{c}]");
        if (doc.Classes.Distinct(StringComparer.Ordinal).Count() != k) throw Corrupt(path, "names a class twice");
        Length(doc.Mean, d, path, "Mean");
        Length(doc.Scale, d, path, "Scale");
        Length(doc.Weights, k * d, path, "Weights");
        Length(doc.Intercepts, k, path, "Intercepts");
        Length(doc.Thresholds, k, path, "Thresholds");
        var sample = Require(doc.Sample, path, "Sample");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < sample.Count; i++)
        {
            var r = Require(sample[i], path, $"Sample[{i}]");
            if (!ids.Add(Require(r.Id, path, $"Sample[{i}].Id"))) throw Corrupt(path, $"holds the sample record '{r.Id}' twice");
            if (Array.IndexOf(doc.Classes, Require(r.Label, path, $"Sample[{i}].Label")) < 0) throw Corrupt(path, $"gives sample record '{r.Id}' the label '{r.Label}', which is not one of its classes");
            Length(r.Probabilities, k, path, $"Sample[{i}].Probabilities");
        }
        var probe = new LogisticRegressionModel(doc.Classes, d, doc.Mean, doc.Scale, doc.Weights, doc.Intercepts) { C = doc.C, TrainingCount = sample.Count, Converged = true };
        return new LabelModel(doc, probe, doc.Checksum);
    }

    private static T Require<T>(T? value, string path, string field) where T : class
        => value ?? throw Corrupt(path, $"has no {field} (the field is null or missing)");

    private static void Length(double[]? values, int length, string path, string field)
    {
        var present = Require(values, path, field);
        if (present.Length != length) throw Corrupt(path, $"has {present.Length} values in {field}, not {length}");
        foreach (double v in present) if (!double.IsFinite(v)) throw Corrupt(path, $"has a value that is not a finite number in {field}");
    }

    private static DataIssueException Corrupt(string path, string why) => new("CorruptLabelModel", $"The label model '{path}' {why}.");
}

/// <summary>The label model as its file holds it (see <see cref="LabelModel"/>).</summary>
public sealed class LabelModelDocument : IShardFile
{
    public const string FormatName = "PruneCmdlets.LabelModel";
    public const int CurrentVersion = 1;
    [JsonRequired] public string Format { get; set; } = FormatName;
    [JsonRequired] public int Version { get; set; } = CurrentVersion;
    /// <inheritdoc/>
    public string? Checksum { get; set; }
    [JsonRequired] public string[] Classes { get; set; } = Array.Empty<string>();
    [JsonRequired] public int Dimension { get; set; }
    /// <summary>The embedding model of the sample's records, when they named one.</summary>
    public string? Model { get; set; }
    [JsonRequired] public int Folds { get; set; }
    [JsonRequired] public long Seed { get; set; }
    [JsonRequired] public double C { get; set; }
    [JsonRequired] public double[] Mean { get; set; } = Array.Empty<double>();
    [JsonRequired] public double[] Scale { get; set; } = Array.Empty<double>();
    /// <summary>K×D row-major, over standardised features.</summary>
    [JsonRequired] public double[] Weights { get; set; } = Array.Empty<double>();
    [JsonRequired] public double[] Intercepts { get; set; } = Array.Empty<double>();
    [JsonRequired] public double[] Thresholds { get; set; } = Array.Empty<double>();
    [JsonRequired] public double CrossValidatedAccuracy { get; set; }
    [JsonRequired] public List<LabelModelRecord> Sample { get; set; } = new();
}

/// <summary>One record of the sample: its Id, its label at fit time and its cross-validated probabilities.</summary>
public sealed class LabelModelRecord
{
    [JsonRequired] public string Id { get; set; } = "";
    [JsonRequired] public string Label { get; set; } = "";
    [JsonRequired] public double[] Probabilities { get; set; } = Array.Empty<double>();
}

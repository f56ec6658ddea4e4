using System.Management.Automation;
using PruneCmdlets.Embedding;
using PruneCmdlets.IO;

namespace PruneCmdlets.Commands;

/// <summary>
/// Embeds texts with an ONNX BERT-family sentence model and streams one record per text, in
/// input order. The cmdlet reads inputs (strings, objects, files), checks each text, and writes
/// records, errors and progress on the pipeline thread; <see cref="TextEmbedder"/> plans the
/// chunks, tokenises and runs the model on worker threads.
/// </summary>
[Cmdlet(VerbsCommon.Get, "TextEmbedding", DefaultParameterSetName = InputSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class GetTextEmbeddingCommand : EmbeddingCommandBase
{
    private const string InputSet = "InputObject";
    private const int LongTextWarning = 100_000;

    private TextEmbedder? _embedder;
    private TextEmbeddingModel? _model;
    private long _inputIndex, _failed;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = InputSet, ValueFromPipeline = true)]
    [AllowNull, AllowEmptyString]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string TextProperty { get; set; } = "Text";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string IdProperty { get; set; } = "Id";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string LabelProperty { get; set; } = "Label";

    [Parameter]
    public SwitchParameter DocumentPerFile { get; set; }

    [Parameter]
    public string? Label { get; set; }

    [Parameter]
    public SwitchParameter NoLabel { get; set; }

    [Parameter]
    public SwitchParameter IncludeText { get; set; }

    [Parameter]
    [ValidateSet(TextEmbeddingModel.DefaultModelName)]
    public string Model { get; set; } = TextEmbeddingModel.DefaultModelName;

    [Parameter]
    public string? ModelPath { get; set; }

    [Parameter]
    public string? VocabPath { get; set; }

    [Parameter]
    public SwitchParameter Cased { get; set; }

    [Parameter]
    [ValidateRange(3, 8192)]
    public int MaxLength { get; set; } = 256;

    [Parameter]
    public TextPooling Pooling { get; set; } = TextPooling.Mean;

    [Parameter]
    public string? OutputName { get; set; }

    [Parameter]
    public SwitchParameter NoNormalize { get; set; }

    [Parameter]
    public string? CacheDirectory { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int BatchSize { get; set; } = 32;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    protected override string Activity => "Get-TextEmbedding";
    protected override int ProgressId => 0x5445;

    protected override void BeginProcessing()
    {
        RefuseLabelConflict(Label, NoLabel);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Model)) && ModelPath is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelConflict", ErrorCategory.InvalidArgument, "Use either -Model (the embedded model) or -ModelPath (an ONNX file), not both."));
        var modelOnly = new[] { nameof(VocabPath), nameof(Cased), nameof(Pooling), nameof(OutputName), nameof(NoNormalize) }
            .Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
        if (ModelPath is null && modelOnly.Length > 0)
            ThrowTerminatingError(ErrorHelper.Terminating("OptionWithoutModelPath", ErrorCategory.InvalidArgument,
                $"-{string.Join(", -", modelOnly)} describe a model given with -ModelPath; the embedded {TextEmbeddingModel.DefaultModelName} has its own (uncased, mean pooling, normalised)."));
        OpenModel();
        _embedder = new TextEmbedder(_model!, Cache, new TextEmbedderOptions
        {
            BatchSize = BatchSize, Threads = ThrottleLimit, IncludeText = IncludeText, Label = new EmbeddingLabel(Label, NoLabel),
        }, Stop.Token);
        Clock.Start();
    }

    private void OpenModel()
    {
        string source = ModelPath is null ? $"embedded {Model}" : GetUnresolvedProviderPathFromPSPath(ModelPath);
        _model = LoadModel(() =>
        {
            if (ModelPath is null)
            {
                var embedded = TextEmbeddingModel.LoadDefault(cancel: Stop.Token);
                return MaxLength != 256 ? WithMaxLength(embedded) : embedded;
            }
            string vocab = VocabPath is not null ? GetUnresolvedProviderPathFromPSPath(VocabPath) : FindVocab(source);
            return TextEmbeddingModel.Load(source, vocab, new TextTokenization { LowerCase = !Cased, MaxLength = MaxLength }, Pooling, OutputName, !NoNormalize);
        }, source);
        var m = _model;
        WriteVerbose($"Model {m.Name} ({m.ModelPath}, vocabulary {m.VocabPath}): {(m.Tokenizer.Options.LowerCase ? "uncased (lower-cased, accents stripped)" : "cased")}, " +
            $"at most {m.Tokenizer.Options.MaxLength} word pieces, output {m.OutputName}, {(m.PooledOutput ? "already pooled" : $"{m.Pooling} pooling")}{(m.Normalize ? ", L2-normalised" : "")}; " +
            $"batches of {BatchSize} grouped by length; {ThrottleLimit} concurrent runs of one thread each.");
        if (CacheDirectory is not null) OpenCache(CacheDirectory, m.Hash, $"{m.Name} {m.ModelPath}");
    }

    /// <summary>The default model with another maximum length (its files, its recipe otherwise).</summary>
    private TextEmbeddingModel WithMaxLength(TextEmbeddingModel m)
    {
        try { return TextEmbeddingModel.Load(m.ModelPath, m.VocabPath, m.Tokenizer.Options with { MaxLength = MaxLength }, m.Pooling, m.OutputName, m.Normalize, m.Name); }
        finally { m.Dispose(); }
    }

    /// <summary>A vocabulary beside the model: model.vocab.txt, else vocab.txt.</summary>
    private static string FindVocab(string modelPath)
    {
        string dir = System.IO.Path.GetDirectoryName(modelPath) ?? ".";
        foreach (var candidate in new[] { System.IO.Path.ChangeExtension(modelPath, ".vocab.txt"), System.IO.Path.Combine(dir, "vocab.txt") })
            if (File.Exists(candidate)) return candidate;
        throw new ModelLoadException($"No vocabulary for '{modelPath}': pass -VocabPath, or put '{System.IO.Path.GetFileName(System.IO.Path.ChangeExtension(modelPath, ".vocab.txt"))}' or 'vocab.txt' beside the model.");
    }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case InputSet: TakeInput(InputObject); break;
            case PathSet: foreach (var p in Path) foreach (var f in Resolve(p, literal: false, ExpandDirectory)) TakeFile(f); break;
            default: foreach (var p in LiteralPath) foreach (var f in Resolve(p, literal: true, ExpandDirectory)) TakeFile(f); break;
        }
    }

    protected override void EndProcessing()
    {
        var e = _embedder!;
        Emit(e.Finish());
        CompleteProgress();
        if (e.Embedded + _failed > 0)
        {
            double s = Math.Max(1e-3, Clock.Elapsed.TotalSeconds);
            WriteVerbose($"Embedded {e.Embedded} text(s) ({e.Cached} from the cache) with {_model!.Name} in {s:F1}s ({e.Embedded / s:F1} texts/s, {e.Tokens / s:F0} tokens/s); " +
                $"{e.Truncated} truncated to {_model.Tokenizer.Options.MaxLength} word pieces; {_failed} could not be used.");
        }
    }

    /// <summary>A pipeline object: a string, a file, or an object with the text, id and label properties.</summary>
    private void TakeInput(PSObject? input)
    {
        long index = _inputIndex++;
        string fallbackId = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (input is null || input.BaseObject is null)
        {
            Fail(ErrorHelper.NullInput(index));
            return;
        }
        switch (input.BaseObject)
        {
            case string s: Take(fallbackId, null, null, s, $"pipeline input {index}", input); return;
            case FileInfo f: TakeFile(f.FullName); return;
            case DirectoryInfo d: foreach (var f in ExpandDirectory(d.FullName)) TakeFile(f); return;
        }
        var textProp = input.Properties[TextProperty];
        if (textProp is null)
        {
            Fail(ErrorHelper.MissingTextProperty(input, index, TextProperty));
            return;
        }
        string id = Unwrap(input.Properties[IdProperty]?.Value) is { Length: > 0 } given ? given : fallbackId;
        Take(id, Unwrap(input.Properties["Path"]?.Value), Unwrap(input.Properties[LabelProperty]?.Value), Unwrap(textProp.Value), $"pipeline input {index} (Id '{id}')", input);
    }

    private static string? Unwrap(object? value) => (value is PSObject p ? p.BaseObject : value)?.ToString();

    private void TakeFile(string file)
    {
        var fields = new TextFields(TextProperty, IdProperty, LabelProperty);
        foreach (var doc in TextDocumentReader.Read(file, fields, DocumentPerFile))
        {
            if (doc.Problem != TextReadProblem.None)
            {
                Fail(ErrorHelper.TextReadProblem(doc.Problem, doc.Message ?? doc.Problem.ToString(), doc.Location));
                continue;
            }
            string? label = DocumentPerFile ? EmbeddingLabel.FolderOf(file) : doc.Label;
            Take(doc.GivenId ?? doc.Location, file, label, doc.Text, doc.Location, doc.Location);
        }
    }

    /// <summary>Checks one text and queues it; <paramref name="where"/> names it in messages.</summary>
    private void Take(string id, string? path, string? label, string? text, string where, object target)
    {
        // Reading a large file happens here, on the pipeline thread: a stop ends it at the next text.
        if (Stop.IsCancellationRequested) throw new PipelineStoppedException();
        if (string.IsNullOrWhiteSpace(text))
        {
            Fail(ErrorHelper.EmptyText(where, text is null, target));
            return;
        }
        if (text.Length > LongTextWarning)
            WriteWarning($"The text of {where} is {text.Length:N0} characters long; only its first {_model!.Tokenizer.Options.MaxLength - 2} word pieces are embedded (the record's TruncatedTokens says how many were cut). Split long documents into passages to embed all of them.");
        _embedder!.Add(new TextItem(id, path, label, text));
        Emit(_embedder.Ready());
    }

    private void Fail(ErrorRecord error)
    {
        WriteError(error);
        _failed++;
    }

    /// <summary>A directory's files, recursively in ordinal order: every file with -DocumentPerFile, else the text formats.</summary>
    private IEnumerable<string> ExpandDirectory(string dir)
        => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => DocumentPerFile || TextDocumentReader.KnownExtensions.Contains(System.IO.Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal);

    protected override void ReportProgress()
    {
        var e = _embedder!;
        WriteProgress(e.Embedded, e.Queued, rate => $"{e.Embedded} embedded ({e.Cached} cached), {_failed} unusable, {e.Queued} texts read so far; {rate:F1} texts/s");
    }

    protected override void DisposeEmbedder() => _embedder?.Dispose();
    protected override void DisposeModel() => _model?.Dispose();
}

using System.Management.Automation;
using System.Management.Automation.Language;
using PruneCmdlets.Embedding;

namespace PruneCmdlets.Commands;

/// <summary>
/// Embeds image files with an ONNX model and streams one record per image, in input order.
/// The cmdlet resolves paths, loads the model and maps outcomes to records and errors on the
/// pipeline thread; <see cref="ImageEmbedder"/> reads, decodes, preprocesses and runs the model
/// on worker threads.
/// </summary>
[Cmdlet(VerbsCommon.Get, "Embedding", DefaultParameterSetName = PathSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class GetEmbeddingCommand : EmbeddingCommandBase
{
    private ImageEmbedder? _embedder;
    private ImageEmbeddingModel? _model;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter]
    [ArgumentCompleter(typeof(ModelNameCompleter))]
    [ValidateSet(ImageEmbeddingModel.DefaultModelName)]
    public string Model { get; set; } = ImageEmbeddingModel.DefaultModelName;

    [Parameter]
    public string? ModelPath { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(PreprocessCompleter))]
    public string? Preprocess { get; set; }

    [Parameter]
    public string? OutputName { get; set; }

    [Parameter]
    public SwitchParameter Normalize { get; set; }

    [Parameter]
    public string? CacheDirectory { get; set; }

    [Parameter]
    public EmbeddingDevice Device { get; set; } = EmbeddingDevice.Cpu;

    [Parameter]
    [ValidateRange(1, 1024)]
    public int BatchSize { get; set; } = 8;

    [Parameter]
    public string? Label { get; set; }

    [Parameter]
    public SwitchParameter NoLabel { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 100_000_000;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    protected override string Activity => "Get-Embedding";
    protected override int ProgressId => 0x454D;

    protected override void BeginProcessing()
    {
        RefuseLabelConflict(Label, NoLabel);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Model)) && ModelPath is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelConflict", ErrorCategory.InvalidArgument, "Use either -Model (an embedded model) or -ModelPath (an ONNX file), not both."));
        if (ModelPath is null && (Preprocess is not null || OutputName is not null))
            ThrowTerminatingError(ErrorHelper.Terminating("PreprocessWithoutModelPath", ErrorCategory.InvalidArgument,
                "-Preprocess and -OutputName describe a model given with -ModelPath; the embedded ResNet18 has its own."));
        OpenModel();
        _embedder = new ImageEmbedder(_model!, Cache, new ImageEmbedderOptions
        {
            BatchSize = BatchSize, MaxPixels = MaxPixels, Threads = ThrottleLimit, Normalize = Normalize,
            Label = new EmbeddingLabel(Label, NoLabel),
        }, Stop.Token);
        Clock.Start();
    }

    private void OpenModel()
    {
        string source = ModelPath is null ? $"embedded {Model}" : GetUnresolvedProviderPathFromPSPath(ModelPath);
        _model = LoadModel(() =>
        {
            ImagePreprocessing? pre = null;
            if (Preprocess is not null)
                pre = ImagePreprocessing.Presets.TryGetValue(Preprocess, out var preset) ? preset : ImagePreprocessing.Load(GetUnresolvedProviderPathFromPSPath(Preprocess));
            return ModelPath is null ? ImageEmbeddingModel.LoadDefault(Device, cancel: Stop.Token) : ImageEmbeddingModel.Load(source, pre, OutputName, Device);
        }, source, Device);
        var p = _model.Preprocessing;
        WriteVerbose($"Model {_model.Name} ({_model.ModelPath}), device {Device}: input {p.CropSize}×{p.CropSize} {p.Layout} " +
            $"(resize {(p.Resize == ResizeKind.ShorterSide ? "shorter side" : "both sides")} to {p.ResizeTo} {p.Interpolation}, centre crop {p.CropSize}; " +
            $"scale {p.Scale}/255, mean [{string.Join(", ", p.Mean)}], std [{string.Join(", ", p.Std)}], {p.ChannelOrder}" +
            $"{(p.MeanImage is null ? "" : ", minus the mean image of ResNetPreprocess.onnx, folded into the tensor build")}); " +
            $"{(_model.FixedBatch > 0 ? $"fixed batch {_model.FixedBatch}" : $"batches of {BatchSize}")}; {ThrottleLimit} concurrent runs of one thread each; {_model.SessionNote}.");
        if (CacheDirectory is not null) OpenCache(CacheDirectory, _model.Hash, $"{_model.Name} {_model.ModelPath}");
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in literal ? LiteralPath : Path)
        {
            foreach (var file in Resolve(input, literal, ImageEmbedder.ImagesIn))
            {
                _embedder!.Add(file);
                Emit(_embedder.Ready(), Error);
            }
        }
    }

    protected override void EndProcessing()
    {
        var e = _embedder!;
        Emit(e.Finish(), Error);
        CompleteProgress();
        if (e.Embedded + e.Failed > 0)
            WriteVerbose($"Embedded {e.Embedded} image(s) ({e.Cached} from the cache) with {_model!.Name} in {Clock.Elapsed.TotalSeconds:F1}s " +
                $"({e.Embedded / Clock.Elapsed.TotalSeconds:F1} images/s); {e.Failed} could not be read.");
    }

    private static ErrorRecord Error(EmbeddingOutcome<string> o) => ErrorHelper.ImageLoadFailed((ImageLoadException)o.Error!);

    protected override void ReportProgress()
    {
        var e = _embedder!;
        WriteProgress(e.Embedded + e.Failed, e.Queued,
            rate => $"{e.Embedded} embedded ({e.Cached} cached), {e.Failed} unreadable, {e.Queued} files found so far; {rate:F1} images/s");
    }

    protected override void DisposeEmbedder() => _embedder?.Dispose();
    protected override void DisposeModel() => _model?.Dispose();
}

/// <summary>Tab completion for -Model.</summary>
public sealed class ModelNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
    {
        foreach (var name in new[] { ImageEmbeddingModel.DefaultModelName })
            if (name.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, "ResNet18 (512-d, embedded default)");
    }
}

/// <summary>Tab completion for -Preprocess: the preset names.</summary>
public sealed class PreprocessCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
    {
        foreach (var name in ImagePreprocessing.Presets.Keys.OrderBy(k => k))
            if (name.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, $"{name} preprocessing preset");
    }
}

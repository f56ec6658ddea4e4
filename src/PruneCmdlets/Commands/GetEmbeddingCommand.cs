using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Language;
using Microsoft.ML.OnnxRuntime;
using PruneCmdlets.Embedding;

namespace PruneCmdlets.Commands;

/// <summary>
/// Embeds image files with an ONNX model and streams one record per image. Files decode on
/// worker threads a few images ahead of inference, so decoding overlaps the model; records
/// still come out in input order.
/// </summary>
[Cmdlet(VerbsCommon.Get, "Embedding", DefaultParameterSetName = PathSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class GetEmbeddingCommand : PSCmdlet, IDisposable
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const int ProgressId = 0x454D;

    private readonly Queue<(string Path, Task<float[]> Decode)> _pending = new();
    private readonly RunOptions _run = new();
    private readonly Stopwatch _clock = new();
    private OnnxImageEmbedder? _embedder;
    private int _queued, _done, _failed;
    private long _lastProgressMs = -1000;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter]
    [ArgumentCompleter(typeof(ModelNameCompleter))]
    [ValidateSet(OnnxImageEmbedder.DefaultModelName)]
    public string Model { get; set; } = OnnxImageEmbedder.DefaultModelName;

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

    protected override void BeginProcessing()
    {
        if (NoLabel && Label is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("LabelConflict", ErrorCategory.InvalidArgument, "Use either -Label or -NoLabel, not both."));
        _clock.Start();
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in literal ? LiteralPath : Path)
        {
            foreach (var file in Resolve(input, literal))
            {
                Enqueue(file);
                while (_pending.Count > 2 * ThrottleLimit) EmbedNext();
            }
        }
    }

    protected override void EndProcessing()
    {
        while (_pending.Count > 0) EmbedNext();
        WriteProgress(new ProgressRecord(ProgressId, "Get-Embedding", "done") { RecordType = ProgressRecordType.Completed });
        if (_done + _failed > 0)
            WriteVerbose($"Embedded {_done} image(s) with {Model} in {_clock.Elapsed.TotalSeconds:F1}s ({_done / _clock.Elapsed.TotalSeconds:F1} images/s); {_failed} could not be read.");
    }

    protected override void StopProcessing() => _run.Terminate = true;

    /// <summary>Files for one -Path/-LiteralPath entry; a directory expands recursively to its image files, sorted.</summary>
    private IEnumerable<string> Resolve(string input, bool literal)
    {
        List<string> paths;
        try
        {
            if (literal) paths = new List<string> { GetUnresolvedProviderPathFromPSPath(input) };
            else paths = GetResolvedProviderPathFromPSPath(input, out _).ToList();
        }
        catch (ItemNotFoundException)
        {
            WriteError(ErrorHelper.PathNotFound(input));
            yield break;
        }
        catch (Exception e) when (e is ProviderInvocationException or NotSupportedException or ArgumentException)
        {
            WriteError(ErrorHelper.FileError("PathNotFound", input, e));
            yield break;
        }
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                var files = Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories)
                    .Where(f => ImageTensorLoader.ImageExtensions.Contains(System.IO.Path.GetExtension(f)))
                    .OrderBy(f => f, StringComparer.Ordinal);
                foreach (var f in files) yield return f;
            }
            else if (File.Exists(p)) yield return p;
            else WriteError(ErrorHelper.PathNotFound(p));
        }
    }

    private void Enqueue(string file)
    {
        long budget = MaxPixels;
        int size = OnnxImageEmbedder.InputSize;
        _pending.Enqueue((file, Task.Run(() => ImageTensorLoader.LoadChw(file, size, size, budget))));
        _queued++;
    }

    private void EmbedNext()
    {
        var (file, decode) = _pending.Dequeue();
        float[] chw;
        try
        {
            chw = decode.GetAwaiter().GetResult();
        }
        catch (ImageLoadException e)
        {
            WriteError(e.TooLarge ? ErrorHelper.ImageTooLarge(file, e) : ErrorHelper.ImageDecodeFailed(file, e));
            _failed++;
            return;
        }
        if (_embedder is null)
        {
            string dir = DefaultModelDirectory();
            WriteVerbose($"Model {Model}: {dir}; input {OnnxImageEmbedder.InputSize}×{OnnxImageEmbedder.InputSize} " +
                $"(shorter side scaled to {OnnxImageEmbedder.InputSize}, centre crop), intra-op threads {ThrottleLimit}.");
            try { _embedder = new OnnxImageEmbedder(dir, ThrottleLimit); }
            catch (Exception e) when (e is FileNotFoundException or OnnxRuntimeException)
            {
                ThrowTerminatingError(ErrorHelper.Terminating("ModelLoadFailed", ErrorCategory.ResourceUnavailable, e.Message, dir, e));
            }
        }
        float[] vector;
        try
        {
            vector = _embedder!.Embed(chw, _run);
        }
        catch (OnnxRuntimeException) when (_run.Terminate)
        {
            throw new PipelineStoppedException();
        }
        _done++;
        WriteObject(new EmbeddingRecord(file, file, LabelFor(file), vector, _embedder.ModelName));
        ReportProgress();
    }

    private string? LabelFor(string file)
    {
        if (NoLabel) return null;
        if (Label is not null) return Label;
        // ImageFolder convention: the class is the name of the folder holding the file.
        return new DirectoryInfo(System.IO.Path.GetDirectoryName(file) ?? "").Name;
    }

    private void ReportProgress()
    {
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastProgressMs < 500) return;
        _lastProgressMs = now;
        int handled = _done + _failed;
        double rate = handled / Math.Max(1e-3, _clock.Elapsed.TotalSeconds);
        int left = _queued - handled;
        WriteProgress(new ProgressRecord(ProgressId, "Get-Embedding", $"{_done} embedded, {_failed} unreadable, {_queued} files found so far; {rate:F1} images/s")
        {
            PercentComplete = Math.Min(99, 100 * handled / Math.Max(1, _queued)),
            SecondsRemaining = (int)Math.Ceiling(left / Math.Max(rate, 1e-3)),
        });
    }

    internal static string DefaultModelDirectory()
        => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(GetEmbeddingCommand).Assembly.Location) ?? ".", "models");

    public void Dispose()
    {
        // Let decodes still in flight finish so no worker outlives the command.
        foreach (var (_, task) in _pending)
            try { task.Wait(); } catch (AggregateException) { }
        _pending.Clear();
        _embedder?.Dispose();
        _run.Dispose();
    }
}

/// <summary>Tab completion for -Model.</summary>
public sealed class ModelNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
    {
        foreach (var name in new[] { OnnxImageEmbedder.DefaultModelName })
            if (name.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, "ResNet18 (512-d, embedded default)");
    }
}

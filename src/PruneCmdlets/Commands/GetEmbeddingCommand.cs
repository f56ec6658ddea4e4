using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Language;
using Microsoft.ML.OnnxRuntime;
using PruneCmdlets.Embedding;

namespace PruneCmdlets.Commands;

/// <summary>
/// Embeds image files with an ONNX model and streams one record per image, in input order.
/// Worker threads read, decode, preprocess and run the model concurrently (one intra-op thread
/// each, one shared session); the pipeline thread only writes records, caches and reports.
/// </summary>
[Cmdlet(VerbsCommon.Get, "Embedding", DefaultParameterSetName = PathSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class GetEmbeddingCommand : PSCmdlet, IDisposable
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const int ProgressId = 0x454D;

    /// <summary>One file's fate: a vector (fresh or cached) or the error that stopped it.</summary>
    private sealed record Outcome(string Path, float[]? Vector, string? ContentHash, bool FromCache, ImageLoadException? Error);

    private readonly Queue<Task<Outcome[]>> _pending = new();
    private readonly List<string> _batch = new();
    private readonly RunOptions _run = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = new();
    private WorkerThreads? _workers;
    private ImageEmbeddingModel? _model;
    private EmbeddingCache? _cache;
    private int _queued, _done, _failed, _cached;
    private long _lastProgressMs = -1000;

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

    protected override void BeginProcessing()
    {
        if (NoLabel && Label is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("LabelConflict", ErrorCategory.InvalidArgument, "Use either -Label or -NoLabel, not both."));
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Model)) && ModelPath is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelConflict", ErrorCategory.InvalidArgument, "Use either -Model (an embedded model) or -ModelPath (an ONNX file), not both."));
        if (ModelPath is null && (Preprocess is not null || OutputName is not null))
            ThrowTerminatingError(ErrorHelper.Terminating("PreprocessWithoutModelPath", ErrorCategory.InvalidArgument,
                "-Preprocess and -OutputName describe a model given with -ModelPath; the embedded ResNet18 has its own."));
        LoadModel();
        _workers = new WorkerThreads(ThrottleLimit, "Get-Embedding worker");
        _clock.Start();
    }

    private void LoadModel()
    {
        string source = ModelPath is null ? $"embedded {Model}" : GetUnresolvedProviderPathFromPSPath(ModelPath);
        try
        {
            ImagePreprocessing? pre = null;
            if (Preprocess is not null)
                pre = ImagePreprocessing.Presets.TryGetValue(Preprocess, out var preset) ? preset : ImagePreprocessing.Load(GetUnresolvedProviderPathFromPSPath(Preprocess));
            _model = ModelPath is null ? ImageEmbeddingModel.LoadDefault(Device, cancel: _stop.Token) : ImageEmbeddingModel.Load(source, pre, OutputName, Device);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { throw new PipelineStoppedException(); }   // Ctrl+C during a first-use restore
        catch (ModelLoadException e) when (e.DeviceUnavailable)
        {
            ThrowTerminatingError(ErrorHelper.Terminating("DeviceUnavailable", ErrorCategory.ResourceUnavailable, e.Message, Device, e));
        }
        catch (Exception e) when (e is ModelLoadException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.Terminating("ModelLoadFailed", ErrorCategory.InvalidArgument, e.Message, source, e));
        }
        var p = _model!.Preprocessing;
        WriteVerbose($"Model {_model.Name} ({_model.ModelPath}), device {Device}: input {p.CropSize}×{p.CropSize} {p.Layout} " +
            $"(resize {(p.Resize == ResizeKind.ShorterSide ? "shorter side" : "both sides")} to {p.ResizeTo} {p.Interpolation}, centre crop {p.CropSize}; " +
            $"scale {p.Scale}/255, mean [{string.Join(", ", p.Mean)}], std [{string.Join(", ", p.Std)}], {p.ChannelOrder}" +
            $"{(p.MeanImage is null ? "" : ", minus the mean image of ResNetPreprocess.onnx, folded into the tensor build")}); " +
            $"{(_model.FixedBatch > 0 ? $"fixed batch {_model.FixedBatch}" : $"batches of {BatchSize}")}; {ThrottleLimit} concurrent runs of one thread each; {_model.SessionNote}.");
        if (CacheDirectory is not null)
        {
            string dir = GetUnresolvedProviderPathFromPSPath(CacheDirectory);
            try { _cache = new EmbeddingCache(dir, _model.Hash, $"{_model.Name} {_model.ModelPath}"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ThrowTerminatingError(ErrorHelper.FileError("CacheUnavailable", dir, e));
            }
            WriteVerbose($"Cache {_cache!.ModelDirectory}: {_cache.Count} embeddings" + (_cache.TornRecords > 0 ? $", {_cache.TornRecords} interrupted segment tail(s) ignored." : "."));
        }
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in literal ? LiteralPath : Path)
        {
            foreach (var file in Resolve(input, literal))
            {
                _batch.Add(file);
                _queued++;
                if (_batch.Count >= Math.Min(BatchSize, _model!.MaxBatch)) Submit();
                while (_pending.Count > 2 * ThrottleLimit) EmitNext();
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_batch.Count > 0) Submit();
        while (_pending.Count > 0) EmitNext();
        WriteProgress(new ProgressRecord(ProgressId, "Get-Embedding", "done") { RecordType = ProgressRecordType.Completed });
        if (_done + _failed > 0)
            WriteVerbose($"Embedded {_done} image(s) ({_cached} from the cache) with {_model!.Name} in {_clock.Elapsed.TotalSeconds:F1}s " +
                $"({_done / _clock.Elapsed.TotalSeconds:F1} images/s); {_failed} could not be read.");
    }

    protected override void StopProcessing()
    {
        _stop.Cancel();
        _run.Terminate = true;
    }

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

    /// <summary>Hands the current batch to the workers; ThrottleLimit batches run at once.</summary>
    private void Submit()
    {
        var files = _batch.ToArray();
        _batch.Clear();
        var model = _model!;
        var cache = _cache;
        long budget = MaxPixels;
        var token = _stop.Token;
        _pending.Enqueue(_workers!.Run(() => EmbedBatch(files, model, cache, budget, token)));
    }

    private Outcome[] EmbedBatch(string[] files, ImageEmbeddingModel model, EmbeddingCache? cache, long budget, CancellationToken token)
    {
        var outcomes = new Outcome[files.Length];
        var tensors = new List<float[]>(files.Length);
        var slots = new List<int>(files.Length);
        // File bytes and tensors come from the shared pools: both are large enough to land on
        // the large object heap, and a fresh pair per image made the garbage collector run a
        // full collection every ten images (a quarter of the CPU went to the collector and
        // the pools' trimming).
        var pool = System.Buffers.ArrayPool<byte>.Shared;
        try
        {
            for (int i = 0; i < files.Length; i++)
            {
                token.ThrowIfCancellationRequested();
                string file = files[i];
                byte[]? bytes = null;
                try
                {
                    int length;
                    try
                    {
                        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                        if (stream.Length > int.MaxValue) throw new IOException("The file is larger than 2 GB.");
                        bytes = pool.Rent((int)stream.Length);
                        length = stream.ReadAtLeast(bytes.AsSpan(0, (int)stream.Length), (int)stream.Length, throwOnEndOfStream: false);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new ImageLoadException(file, $"Cannot read '{file}': {e.Message}", false, e) { ReadFailed = true };
                    }
                    string? hash = cache is null ? null : EmbeddingCache.ContentHash(bytes.AsSpan(0, length));
                    if (hash is not null && cache!.TryGet(hash, out var hit)) { outcomes[i] = new Outcome(file, hit, hash, true, null); continue; }
                    var tensor = System.Buffers.ArrayPool<float>.Shared.Rent(model.Preprocessing.TensorLength);
                    tensors.Add(tensor);
                    ImageTensorLoader.LoadTensor(file, bytes, length, model.Preprocessing, budget, tensor);
                    slots.Add(i);
                    outcomes[i] = new Outcome(file, null, hash, false, null);
                }
                catch (ImageLoadException e)
                {
                    if (tensors.Count > slots.Count) { System.Buffers.ArrayPool<float>.Shared.Return(tensors[^1]); tensors.RemoveAt(tensors.Count - 1); }
                    outcomes[i] = new Outcome(file, null, null, false, e);
                }
                finally { if (bytes is not null) pool.Return(bytes); }
            }
            for (int start = 0; start < tensors.Count; start += model.MaxBatch)
            {
                int count = Math.Min(model.MaxBatch, tensors.Count - start);
                var vectors = model.Embed(tensors.GetRange(start, count), _run);
                for (int j = 0; j < count; j++)
                {
                    int slot = slots[start + j];
                    outcomes[slot] = outcomes[slot] with { Vector = vectors[j] };
                }
            }
            return outcomes;
        }
        finally
        {
            foreach (var t in tensors) System.Buffers.ArrayPool<float>.Shared.Return(t);
        }
    }

    private void EmitNext()
    {
        var task = _pending.Dequeue();
        Outcome[] outcomes;
        try
        {
            outcomes = task.GetAwaiter().GetResult();
        }
        catch (Exception e) when (_stop.IsCancellationRequested && (e is OperationCanceledException or OnnxRuntimeException))
        {
            throw new PipelineStoppedException();
        }
        foreach (var o in outcomes)
        {
            if (o.Error is not null)
            {
                WriteError(ErrorHelper.ImageLoadFailed(o.Error));
                _failed++;
                continue;
            }
            if (o.ContentHash is not null && !o.FromCache) _cache!.Add(o.ContentHash, o.Vector!);
            if (o.FromCache) _cached++;
            _done++;
            var vector = Normalize ? Normalized(o.Vector!) : o.Vector!;
            WriteObject(new EmbeddingRecord(o.Path, o.Path, LabelFor(o.Path), vector, _model!.Name));
        }
        _cache?.Flush();
        ReportProgress();
    }

    /// <summary>A unit-length copy (the cached vector stays unnormalised); an all-zero vector as it is.</summary>
    private static float[] Normalized(float[] v)
    {
        var r = (float[])v.Clone();
        return PruneCmdlets.Numerics.VectorMath.NormalizeRow(r) ? r : v;
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
        WriteProgress(new ProgressRecord(ProgressId, "Get-Embedding", $"{_done} embedded ({_cached} cached), {_failed} unreadable, {_queued} files found so far; {rate:F1} images/s")
        {
            PercentComplete = Math.Min(99, 100 * handled / Math.Max(1, _queued)),
            SecondsRemaining = (int)Math.Ceiling(left / Math.Max(rate, 1e-3)),
        });
    }

    public void Dispose()
    {
        // Stop and wait for every worker, so no thread outlives the command.
        _stop.Cancel();
        _run.Terminate = true;
        foreach (var task in _pending)
            try { task.Wait(); } catch (AggregateException) { }
        _pending.Clear();
        _workers?.Dispose();
        _cache?.Dispose();
        _model?.Dispose();
        _run.Dispose();
        _stop.Dispose();
    }
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

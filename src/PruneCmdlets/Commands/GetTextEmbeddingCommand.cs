using System.Diagnostics;
using System.Management.Automation;
using Microsoft.ML.OnnxRuntime;
using PruneCmdlets.Embedding;
using PruneCmdlets.IO;

namespace PruneCmdlets.Commands;

/// <summary>
/// Embeds texts with an ONNX BERT-family sentence model and streams one record per text, in
/// input order. Texts are gathered into chunks; each chunk goes to a worker thread, which
/// tokenises it, looks its texts up in the cache, and runs the rest through the model in
/// batches of similar length. The pipeline thread reads inputs, writes records and reports.
/// </summary>
[Cmdlet(VerbsCommon.Get, "TextEmbedding", DefaultParameterSetName = InputSet)]
[OutputType(typeof(EmbeddingRecord))]
public sealed class GetTextEmbeddingCommand : PSCmdlet, IDisposable
{
    private const string InputSet = "InputObject";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const int ProgressId = 0x5445;
    private const int PreviewLength = 100;
    private const int LongTextWarning = 100_000;

    /// <summary>A text waiting for the model, with what its record will carry.</summary>
    private sealed record Item(string Id, string? Path, string? Label, string Text);

    /// <summary>One text's fate: its tokens and vector (fresh or cached).</summary>
    private sealed record Outcome(Item Item, TokenizedText Tokens, float[] Vector, string? ContentHash, bool FromCache);

    private readonly Queue<Task<Outcome[]>> _pending = new();
    private readonly List<Item> _chunk = new();
    private readonly RunOptions _run = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = new();
    private WorkerThreads? _workers;
    private TextEmbeddingModel? _model;
    private EmbeddingCache? _cache;
    private long _inputIndex, _queued, _done, _failed, _cached, _truncated, _tokens;
    private long _lastProgressMs = -1000;

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

    /// <summary>Texts per work item: several batches, so grouping by length has texts to group.</summary>
    private int ChunkSize => BatchSize * 4;

    protected override void BeginProcessing()
    {
        if (NoLabel && Label is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("LabelConflict", ErrorCategory.InvalidArgument, "Use either -Label or -NoLabel, not both."));
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Model)) && ModelPath is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ModelConflict", ErrorCategory.InvalidArgument, "Use either -Model (the embedded model) or -ModelPath (an ONNX file), not both."));
        var modelOnly = new[] { nameof(VocabPath), nameof(Cased), nameof(Pooling), nameof(OutputName), nameof(NoNormalize) }
            .Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
        if (ModelPath is null && modelOnly.Length > 0)
            ThrowTerminatingError(ErrorHelper.Terminating("OptionWithoutModelPath", ErrorCategory.InvalidArgument,
                $"-{string.Join(", -", modelOnly)} describe a model given with -ModelPath; the embedded {TextEmbeddingModel.DefaultModelName} has its own (uncased, mean pooling, normalised)."));
        LoadModel();
        _workers = new WorkerThreads(ThrottleLimit, "Get-TextEmbedding worker");
        _clock.Start();
    }

    private void LoadModel()
    {
        string source = ModelPath is null ? $"embedded {Model}" : GetUnresolvedProviderPathFromPSPath(ModelPath);
        try
        {
            if (ModelPath is null)
            {
                _model = TextEmbeddingModel.LoadDefault(cancel: _stop.Token);
                if (MaxLength != 256) _model = WithMaxLength(_model);
            }
            else
            {
                string vocab = VocabPath is not null ? GetUnresolvedProviderPathFromPSPath(VocabPath) : FindVocab(source);
                _model = TextEmbeddingModel.Load(source, vocab, new TextTokenization { LowerCase = !Cased, MaxLength = MaxLength }, Pooling, OutputName, !NoNormalize);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { throw new PipelineStoppedException(); }   // Ctrl+C during a first-use restore
        catch (Exception e) when (e is ModelLoadException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.Terminating("ModelLoadFailed", ErrorCategory.InvalidArgument, e.Message, source, e));
        }
        var m = _model!;
        WriteVerbose($"Model {m.Name} ({m.ModelPath}, vocabulary {m.VocabPath}): {(m.Tokenizer.Options.LowerCase ? "uncased (lower-cased, accents stripped)" : "cased")}, " +
            $"at most {m.Tokenizer.Options.MaxLength} word pieces, output {m.OutputName}, {(m.PooledOutput ? "already pooled" : $"{m.Pooling} pooling")}{(m.Normalize ? ", L2-normalised" : "")}; " +
            $"batches of {BatchSize} grouped by length; {ThrottleLimit} concurrent runs of one thread each.");
        if (CacheDirectory is not null)
        {
            string dir = GetUnresolvedProviderPathFromPSPath(CacheDirectory);
            try { _cache = new EmbeddingCache(dir, m.Hash, $"{m.Name} {m.ModelPath}"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ThrowTerminatingError(ErrorHelper.FileError("CacheUnavailable", dir, e));
            }
            WriteVerbose($"Cache {_cache!.ModelDirectory}: {_cache.Count} embeddings" + (_cache.TornRecords > 0 ? $", {_cache.TornRecords} interrupted segment tail(s) ignored." : "."));
        }
    }

    /// <summary>The default model with another maximum length (its files, its recipe otherwise).</summary>
    private TextEmbeddingModel WithMaxLength(TextEmbeddingModel m)
    {
        var reloaded = TextEmbeddingModel.Load(m.ModelPath, m.VocabPath, m.Tokenizer.Options with { MaxLength = MaxLength }, m.Pooling, m.OutputName, m.Normalize, m.Name);
        m.Dispose();
        return reloaded;
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
            case PathSet: foreach (var p in Path) foreach (var f in Resolve(p, literal: false)) TakeFile(f); break;
            default: foreach (var p in LiteralPath) foreach (var f in Resolve(p, literal: true)) TakeFile(f); break;
        }
    }

    protected override void EndProcessing()
    {
        // Share what is left among the workers rather than giving it all to one: sorted by
        // character length (a stand-in for token length) and cut into batch-sized chunks. The
        // cut depends on the texts only, never on -ThrottleLimit: which texts share a batch
        // changes the last bits of a vector, and results must not depend on the thread count.
        if (_chunk.Count > 0)
        {
            var order = Enumerable.Range(0, _chunk.Count).OrderBy(i => _chunk[i].Text.Length).ThenBy(i => i).ToArray();
            var sorted = order.Select(i => _chunk[i]).ToArray();
            _chunk.Clear();
            var parts = new List<Task<Outcome[]>>();
            for (int i = 0; i < sorted.Length; i += BatchSize) parts.Add(Submit(sorted[i..Math.Min(sorted.Length, i + BatchSize)]));
            _pending.Enqueue(InInputOrder(parts.ToArray(), order));
        }
        while (_pending.Count > 0) EmitNext();
        WriteProgress(new ProgressRecord(ProgressId, "Get-TextEmbedding", "done") { RecordType = ProgressRecordType.Completed });
        if (_done + _failed > 0)
        {
            double s = Math.Max(1e-3, _clock.Elapsed.TotalSeconds);
            WriteVerbose($"Embedded {_done} text(s) ({_cached} from the cache) with {_model!.Name} in {s:F1}s ({_done / s:F1} texts/s, {_tokens / s:F0} tokens/s); " +
                $"{_truncated} truncated to {_model.Tokenizer.Options.MaxLength} word pieces; {_failed} could not be used.");
        }
    }

    protected override void StopProcessing()
    {
        _stop.Cancel();
        _run.Terminate = true;
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
            string? label = DocumentPerFile ? new DirectoryInfo(System.IO.Path.GetDirectoryName(file) ?? "").Name : doc.Label;
            Take(doc.GivenId ?? doc.Location, file, label, doc.Text, doc.Location, doc.Location);
        }
    }

    /// <summary>Checks one text and queues it; <paramref name="where"/> names it in messages.</summary>
    private void Take(string id, string? path, string? label, string? text, string where, object target)
    {
        // Reading a large file happens here, on the pipeline thread: a stop ends it at the next text.
        if (_stop.IsCancellationRequested) throw new PipelineStoppedException();
        if (string.IsNullOrWhiteSpace(text))
        {
            Fail(ErrorHelper.EmptyText(where, text is null, target));
            return;
        }
        if (text.Length > LongTextWarning)
            WriteWarning($"The text of {where} is {text.Length:N0} characters long; only its first {_model!.Tokenizer.Options.MaxLength - 2} word pieces are embedded (the record's TruncatedTokens says how many were cut). Split long documents into passages to embed all of them.");
        _chunk.Add(new Item(id, path, NoLabel ? null : Label ?? label, text));
        _queued++;
        if (_chunk.Count >= ChunkSize)
        {
            _pending.Enqueue(Submit(_chunk.ToArray()));
            _chunk.Clear();
        }
        while (_pending.Count > 2 * ThrottleLimit) EmitNext();
    }

    private void Fail(ErrorRecord error)
    {
        WriteError(error);
        _failed++;
    }

    private IEnumerable<string> Resolve(string input, bool literal)
    {
        List<string> paths;
        try
        {
            paths = literal ? new List<string> { GetUnresolvedProviderPathFromPSPath(input) } : GetResolvedProviderPathFromPSPath(input, out _).ToList();
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
            if (Directory.Exists(p)) foreach (var f in ExpandDirectory(p)) yield return f;
            else if (File.Exists(p)) yield return p;
            else WriteError(ErrorHelper.PathNotFound(p));
        }
    }

    /// <summary>A directory's files, recursively in ordinal order: every file with -DocumentPerFile, else the text formats.</summary>
    private IEnumerable<string> ExpandDirectory(string dir)
        => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => DocumentPerFile || TextDocumentReader.KnownExtensions.Contains(System.IO.Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal);

    private Task<Outcome[]> Submit(Item[] items)
    {
        var model = _model!;
        var cache = _cache;
        var token = _stop.Token;
        int batch = BatchSize;
        return _workers!.Run(() => EmbedChunk(items, model, cache, batch, token));
    }

    /// <summary>The outcomes of chunks cut from a reordered list, put back in input order: <paramref name="order"/>[k] is the input position of the k-th text.</summary>
    private static async Task<Outcome[]> InInputOrder(Task<Outcome[]>[] parts, int[] order)
    {
        var all = (await Task.WhenAll(parts).ConfigureAwait(false)).SelectMany(x => x).ToArray();
        var result = new Outcome[all.Length];
        for (int k = 0; k < all.Length; k++) result[order[k]] = all[k];
        return result;
    }

    private Outcome[] EmbedChunk(Item[] items, TextEmbeddingModel model, EmbeddingCache? cache, int batchSize, CancellationToken token)
    {
        var tokens = new TokenizedText[items.Length];
        var hashes = new string?[items.Length];
        var vectors = new float[]?[items.Length];
        var fromCache = new bool[items.Length];
        var misses = new List<int>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            token.ThrowIfCancellationRequested();
            tokens[i] = model.Tokenizer.Encode(items[i].Text);
            if (cache is not null)
            {
                hashes[i] = EmbeddingCache.ContentHash(System.Text.Encoding.UTF8.GetBytes(items[i].Text));
                if (cache.TryGet(hashes[i]!, out var hit)) { vectors[i] = hit; fromCache[i] = true; continue; }
            }
            misses.Add(i);
        }
        var fresh = model.EmbedAll(misses.Select(i => tokens[i]).ToArray(), batchSize, _run, token);
        for (int j = 0; j < misses.Count; j++) vectors[misses[j]] = fresh[j];
        return items.Select((item, i) => new Outcome(item, tokens[i], vectors[i]!, hashes[i], fromCache[i])).ToArray();
    }

    private void EmitNext()
    {
        var task = _pending.Dequeue();
        Outcome[] outcomes;
        try { outcomes = task.GetAwaiter().GetResult(); }
        catch (Exception e) when (_stop.IsCancellationRequested && (e is OperationCanceledException or OnnxRuntimeException))
        {
            throw new PipelineStoppedException();
        }
        foreach (var o in outcomes)
        {
            if (o.ContentHash is not null && !o.FromCache) _cache!.Add(o.ContentHash, o.Vector);
            if (o.FromCache) _cached++;
            if (o.Tokens.Truncated > 0) _truncated++;
            _tokens += o.Tokens.Length;
            _done++;
            var text = o.Item.Text;
            WriteObject(new EmbeddingRecord(o.Item.Id, o.Item.Path, o.Item.Label, o.Vector, _model!.Name)
            {
                Text = IncludeText || text.Length <= PreviewLength ? text : Preview(text),
                TokenCount = o.Tokens.Length,
                TruncatedTokens = o.Tokens.Truncated,
            });
        }
        _cache?.Flush();
        ReportProgress();
    }

    /// <summary>The first PreviewLength characters and an ellipsis, never cutting a surrogate pair in two.</summary>
    private static string Preview(string text)
    {
        int n = char.IsHighSurrogate(text[PreviewLength - 1]) ? PreviewLength - 1 : PreviewLength;
        return text[..n] + "…";
    }

    private void ReportProgress()
    {
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastProgressMs < 500) return;
        _lastProgressMs = now;
        double rate = _done / Math.Max(1e-3, _clock.Elapsed.TotalSeconds);
        long left = _queued - _done;
        WriteProgress(new ProgressRecord(ProgressId, "Get-TextEmbedding", $"{_done} embedded ({_cached} cached), {_failed} unusable, {_queued} texts read so far; {rate:F1} texts/s")
        {
            PercentComplete = (int)Math.Min(99, 100 * _done / Math.Max(1, _queued)),
            SecondsRemaining = (int)Math.Ceiling(left / Math.Max(rate, 1e-3)),
        });
    }

    public void Dispose()
    {
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

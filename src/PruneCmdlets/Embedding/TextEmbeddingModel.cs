using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace PruneCmdlets.Embedding;

/// <summary>How token vectors become one sentence vector.</summary>
public enum TextPooling
{
    /// <summary>Average of the token vectors where the attention mask is 1 ([CLS] and [SEP] included): sentence-transformers' mean pooling.</summary>
    Mean,
    /// <summary>The vector of the first token, [CLS].</summary>
    Cls,
}

/// <summary>
/// An ONNX BERT-family encoder ready to embed text: its tokeniser, its inputs (input_ids,
/// attention_mask and, when the model has it, token_type_ids, all int64 [batch, sequence]),
/// the output holding the token vectors [batch, sequence, hidden] (or an already pooled
/// [batch, hidden]), the pooling and the L2 normalisation.
///
/// Batches are padded to their longest text only, never to MaxLength: attention cost grows
/// with the square of the padded length. One session serves every worker thread (Run is
/// thread-safe), one intra-op thread per run, as for the image models.
/// </summary>
public sealed class TextEmbeddingModel : IDisposable
{
    public const string DefaultModelName = "all-MiniLM-L6-v2";
    /// <summary>Bumped whenever the code that turns text into vectors changes, so a cache never serves vectors made the old way.</summary>
    public const string PipelineVersion = "text-1 Microsoft.ML.Tokenizers 3.0.0";

    private readonly InferenceSession _session;
    private readonly bool _hasTokenTypes;
    private readonly bool _pooledOutput;
    private readonly Lazy<string> _hash;

    private TextEmbeddingModel(string name, string modelPath, string vocabPath, InferenceSession session, WordPieceTokenizer tokenizer,
        TextPooling pooling, string? outputName, bool normalize)
    {
        Name = name;
        ModelPath = modelPath;
        VocabPath = vocabPath;
        _session = session;
        Tokenizer = tokenizer;
        Pooling = pooling;
        Normalize = normalize;

        var inputs = session.InputMetadata;
        var known = new[] { "input_ids", "attention_mask", "token_type_ids" };
        var described = string.Join(", ", inputs.Select(kv => $"{kv.Key} {kv.Value.ElementType.Name}[{string.Join(",", kv.Value.Dimensions)}]"));
        if (!inputs.ContainsKey("input_ids") || !inputs.ContainsKey("attention_mask") || inputs.Keys.Any(k => !known.Contains(k)))
            throw new ModelLoadException($"'{modelPath}' takes {described}; a BERT-family text model takes input_ids and attention_mask (and optionally token_type_ids), int64 [batch, sequence]. Export it with those input names (e.g. optimum's ONNX export of a sentence-transformers model).");
        foreach (var (k, meta) in inputs)
            if (meta.ElementType != typeof(long) || meta.Dimensions.Length != 2)
                throw new ModelLoadException($"The input '{k}' of '{modelPath}' is {meta.ElementType.Name}[{string.Join(",", meta.Dimensions)}]; Get-TextEmbedding feeds int64 [batch, sequence].");
        _hasTokenTypes = inputs.ContainsKey("token_type_ids");

        var outputs = session.OutputMetadata;
        if (outputName is not null && !outputs.ContainsKey(outputName))
            throw new ModelLoadException($"'{modelPath}' has no output named '{outputName}'; its outputs are: {string.Join(", ", outputs.Keys)}.");
        OutputName = outputName ?? (outputs.ContainsKey("last_hidden_state") ? "last_hidden_state" : outputs.Keys.First());
        var outMeta = outputs[OutputName];
        if (outMeta.ElementType != typeof(float) || outMeta.Dimensions.Length is not (2 or 3))
            throw new ModelLoadException($"The output '{OutputName}' of '{modelPath}' is {outMeta.ElementType.Name}[{string.Join(",", outMeta.Dimensions)}]; expected float token vectors [batch, sequence, hidden] or a pooled [batch, hidden]. Pick another with -OutputName ({string.Join(", ", outputs.Keys)}).");
        _pooledOutput = outMeta.Dimensions.Length == 2;
        Dimension = outMeta.Dimensions[^1];
        _hash = new Lazy<string>(ComputeHash);
    }

    public string Name { get; }
    public string ModelPath { get; }
    public string VocabPath { get; }
    public string OutputName { get; }
    public WordPieceTokenizer Tokenizer { get; }
    public TextPooling Pooling { get; }
    public bool Normalize { get; }
    /// <summary>True when the output is already one vector per text, so <see cref="Pooling"/> does not apply.</summary>
    public bool PooledOutput => _pooledOutput;
    /// <summary>Embedding length, or -1 until the first run when the model's output shape is dynamic.</summary>
    public int Dimension { get; private set; }
    /// <summary>SHA-256 over the model, vocabulary, tokenisation, pooling and output: the cache key. Computed on first use.</summary>
    public string Hash => _hash.Value;

    /// <summary>The embedded all-MiniLM-L6-v2 from the module's models folder, or the per-user cache it is restored into on first use.</summary>
    public static TextEmbeddingModel LoadDefault(string? modelDirectory = null, CancellationToken cancel = default)
    {
        string dir = modelDirectory ?? DefaultModelStore.Locate(ModelPackage.MiniLM, cancel);
        string model = Path.Combine(dir, DefaultModelName + ".onnx"), vocab = Path.Combine(dir, DefaultModelName + ".vocab.txt");
        foreach (var p in new[] { model, vocab })
            if (!File.Exists(p)) throw new ModelLoadException($"The default text model file '{p}' is missing; run './build.ps1 -Task Build' to restore it from NuGet.");
        return Load(model, vocab, new TextTokenization { LowerCase = true, MaxLength = 256 }, TextPooling.Mean, "last_hidden_state", normalize: true, DefaultModelName);
    }

    /// <summary>Any ONNX BERT-family encoder with its word-piece vocabulary.</summary>
    public static TextEmbeddingModel Load(string modelPath, string vocabPath, TextTokenization tokenization, TextPooling pooling,
        string? outputName, bool normalize, string? name = null)
    {
        if (!File.Exists(modelPath)) throw new ModelLoadException($"Model file '{modelPath}' does not exist.");
        if (!File.Exists(vocabPath)) throw new ModelLoadException($"Vocabulary file '{vocabPath}' does not exist.");
        WordPieceTokenizer tokenizer;
        try { tokenizer = new WordPieceTokenizer(vocabPath, tokenization); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FormatException)
        {
            throw new ModelLoadException($"Cannot read the vocabulary '{vocabPath}': {e.Message}", e);
        }
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,   // parallelism comes from concurrent runs, one per worker
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        InferenceSession session;
        try { session = new InferenceSession(modelPath, options); }
        catch (OnnxRuntimeException e) { throw new ModelLoadException($"'{modelPath}' is not a model ONNX Runtime can load: {e.Message}", e); }
        finally { options.Dispose(); }
        try { return new TextEmbeddingModel(name ?? Path.GetFileNameWithoutExtension(modelPath), modelPath, vocabPath, session, tokenizer, pooling, outputName, normalize); }
        catch { session.Dispose(); throw; }
    }

    private string ComputeHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var f in new[] { ModelPath, VocabPath })
        {
            using var s = File.OpenRead(f);
            int r;
            while ((r = s.Read(buffer)) > 0) sha.AppendData(buffer, 0, r);
        }
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(new
        {
            Tokenizer.Options.LowerCase, Tokenizer.Options.MaxLength, Pooling = _pooledOutput ? "output" : Pooling.ToString(),
            OutputName, Normalize, PipelineVersion,
        }));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>
    /// Groups texts into batches of similar length: indices sorted by token count, cut into runs
    /// of <paramref name="batchSize"/> (<see cref="TextChunkPlan.ByLength"/>). Each batch then
    /// pads only to its own longest text.
    /// </summary>
    public static int[][] PlanBatches(IReadOnlyList<TokenizedText> texts, int batchSize)
        => TextChunkPlan.ByLength(texts.Select(t => t.Length).ToArray(), batchSize);

    /// <summary>Embeds texts in length-grouped batches; vectors come back in input order. Thread-safe.</summary>
    public float[][] EmbedAll(IReadOnlyList<TokenizedText> texts, int batchSize, RunOptions run, CancellationToken cancel)
    {
        var result = new float[texts.Count][];
        foreach (var batch in PlanBatches(texts, batchSize))
        {
            cancel.ThrowIfCancellationRequested();
            var vectors = Embed(batch.Select(i => texts[i]).ToArray(), run);
            for (int j = 0; j < batch.Length; j++) result[batch[j]] = vectors[j];
        }
        return result;
    }

    /// <summary>The three model inputs for one batch, padded to its longest text: what <see cref="Embed"/> feeds the session.</summary>
    public (long[] Ids, long[] Mask, long[] Types, int Length) PadBatch(IReadOnlyList<TokenizedText> texts)
    {
        int n = texts.Count, length = texts.Max(t => t.Length);
        var ids = new long[n * length];
        var mask = new long[n * length];
        for (int i = 0; i < n; i++)
        {
            var t = texts[i].Ids;
            t.CopyTo(ids, i * length);
            ids.AsSpan(i * length + t.Length, length - t.Length).Fill(Tokenizer.PadId);
            mask.AsSpan(i * length, t.Length).Fill(1);
        }
        return (ids, mask, new long[n * length], length);
    }

    /// <summary>
    /// Runs the session on one padded batch and sums its raw output: the benchmark's reference,
    /// the model alone on the token batches <see cref="Embed"/> would feed it.
    /// </summary>
    internal double RunReference(IReadOnlyList<TokenizedText> texts, RunOptions run)
    {
        var (ids, mask, types, length) = PadBatch(texts);
        using var output = RunSession(ids, mask, types, texts.Count, length, run);
        double s = 0;
        foreach (var x in output[0].GetTensorDataAsSpan<float>()) s += x;
        return s;
    }

    private IDisposableReadOnlyCollection<OrtValue> RunSession(long[] ids, long[] mask, long[] types, int n, int length, RunOptions run)
    {
        var shape = new long[] { n, length };
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        var names = _hasTokenTypes ? new[] { "input_ids", "attention_mask", "token_type_ids" } : new[] { "input_ids", "attention_mask" };
        var values = _hasTokenTypes ? new[] { idValue, maskValue, typeValue } : new[] { idValue, maskValue };
        return _session.Run(run, names, values, new[] { OutputName });
    }

    /// <summary>Embeds one batch (padded to its longest text), pooled and normalised. Thread-safe.</summary>
    public float[][] Embed(IReadOnlyList<TokenizedText> texts, RunOptions run)
    {
        int n = texts.Count;
        if (n == 0) return Array.Empty<float[]>();
        var (ids, mask, types, length) = PadBatch(texts);
        using var output = RunSession(ids, mask, types, n, length, run);
        var data = output[0].GetTensorDataAsSpan<float>();
        var result = new float[n][];
        if (_pooledOutput)
        {
            int dim = data.Length / n;
            for (int i = 0; i < n; i++) result[i] = data.Slice(i * dim, dim).ToArray();
        }
        else
        {
            int hidden = data.Length / (n * length);
            for (int i = 0; i < n; i++)
                result[i] = Pool(data.Slice(i * length * hidden, length * hidden), texts[i].Length, hidden);
        }
        if (Dimension < 0) Dimension = result[0].Length;
        if (Normalize) foreach (var v in result) PruneCmdlets.Numerics.VectorMath.NormalizeRow(v);
        return result;
    }

    /// <summary>
    /// One text's token vectors [length, hidden] of which the first <paramref name="tokens"/>
    /// are real (the attention mask is 1 exactly there): their mean, summed in double, or the
    /// first. Padding positions are never read, so a batch's longest text cannot change the result.
    /// </summary>
    private float[] Pool(ReadOnlySpan<float> tokenVectors, int tokens, int hidden)
    {
        var v = new float[hidden];
        if (Pooling == TextPooling.Cls) { tokenVectors[..hidden].CopyTo(v); return v; }
        var sum = new double[hidden];
        for (int t = 0; t < tokens; t++)
        {
            var row = tokenVectors.Slice(t * hidden, hidden);
            for (int d = 0; d < hidden; d++) sum[d] += row[d];
        }
        for (int d = 0; d < hidden; d++) v[d] = (float)(sum[d] / tokens);
        return v;
    }

    public void Dispose() => _session.Dispose();
}

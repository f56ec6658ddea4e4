using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PruneCmdlets.Embedding;

/// <summary>Where the model runs.</summary>
public enum EmbeddingDevice { Cpu, Cuda }

/// <summary>A model that cannot serve as an image embedder; the message says what to fix.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string message, Exception? inner = null, bool deviceUnavailable = false) : base(message, inner)
        => DeviceUnavailable = deviceUnavailable;

    /// <summary>The model is fine; the requested device cannot run it here.</summary>
    public bool DeviceUnavailable { get; }
}

/// <summary>
/// An ONNX image model ready to embed: its preprocessing, its image input (found from the
/// model's metadata: one float tensor [N,3,H,W] or [N,H,W,3]), the output that holds the
/// embedding (flattened, any rank), and whether it takes a batch. The embedded default,
/// ResNet18, is two graphs run in a row (ResNetPreprocess.onnx, then ResNet18.onnx).
///
/// One session serves every worker thread: InferenceSession.Run is thread-safe, and with one
/// intra-op thread per run, N concurrent runs use N cores with one copy of the weights.
/// </summary>
public sealed class ImageEmbeddingModel : IDisposable
{
    public const string DefaultModelName = "ResNet18";

    private readonly InferenceSession? _prepGraph;
    private readonly InferenceSession _session;
    private readonly string _inputName, _outputName;
    private readonly long[] _inputShape;   // batch dimension first; patched per run
    private readonly string? _prepInput, _prepOutput;
    private readonly long[]? _prepShape;

    private ImageEmbeddingModel(string name, string modelPath, InferenceSession session, InferenceSession? prepGraph,
        ImagePreprocessing preprocessing, string? outputName, Lazy<string> hash)
    {
        Name = name;
        ModelPath = modelPath;
        _session = session;
        _prepGraph = prepGraph;
        _hash = hash;

        if (session.InputMetadata.Count != 1)
            throw new ModelLoadException($"'{modelPath}' has {session.InputMetadata.Count} inputs ({string.Join(", ", session.InputMetadata.Keys)}); an image embedding model takes exactly one image tensor.");
        var (inputName, meta) = session.InputMetadata.First();
        var dims = meta.Dimensions;
        if (meta.ElementType != typeof(float) || dims.Length != 4 || !(dims[1] == 3 || dims[3] == 3))
            throw new ModelLoadException($"The input '{inputName}' of '{modelPath}' is a {meta.ElementType.Name} tensor of shape [{string.Join(",", dims)}], not an image tensor: expected float [N,3,H,W] or [N,H,W,3].");
        string layout = dims[1] == 3 ? "NCHW" : "NHWC";
        int h = layout == "NCHW" ? dims[2] : dims[1], w = layout == "NCHW" ? dims[3] : dims[2];
        if ((h > 0 && h != preprocessing.CropSize) || (w > 0 && w != preprocessing.CropSize))
            throw new ModelLoadException($"'{modelPath}' takes {w}×{h} images but the preprocessing crops to {preprocessing.CropSize}×{preprocessing.CropSize}; set cropSize to {Math.Max(h, w)} in its preprocessing file.");
        Preprocessing = preprocessing with { Layout = layout };
        _inputName = inputName;
        _inputShape = layout == "NCHW"
            ? new long[] { 1, 3, preprocessing.CropSize, preprocessing.CropSize }
            : new long[] { 1, preprocessing.CropSize, preprocessing.CropSize, 3 };
        FixedBatch = dims[0] > 0 ? dims[0] : 0;

        if (outputName is not null && !session.OutputMetadata.ContainsKey(outputName))
            throw new ModelLoadException($"'{modelPath}' has no output named '{outputName}'; its outputs are: {string.Join(", ", session.OutputMetadata.Keys)}.");
        _outputName = outputName ?? session.OutputMetadata.Keys.First();
        var outMeta = session.OutputMetadata[_outputName];
        if (outMeta.ElementType != typeof(float))
            throw new ModelLoadException($"The output '{_outputName}' of '{modelPath}' holds {outMeta.ElementType.Name}, not float embeddings; pick another with -OutputName ({string.Join(", ", session.OutputMetadata.Keys)}).");
        var outDims = outMeta.Dimensions;
        Dimension = outDims.Skip(1).All(x => x > 0) ? outDims.Skip(1).Aggregate(1, (a, b) => a * b) : -1;

        if (prepGraph is not null)
        {
            var (pn, pm) = prepGraph.InputMetadata.First();
            _prepInput = pn;
            _prepShape = pm.Dimensions.Select(x => x <= 0 ? 1L : x).ToArray();
            _prepOutput = prepGraph.OutputMetadata.Keys.First();
        }
    }


    public string Name { get; }
    public string ModelPath { get; }
    /// <summary>
    /// SHA-256 over the model graph(s), preprocessing and output name: the embedding cache's
    /// key. Computed on first use, since hashing ResNet18's 64 MB costs 0.2 s and only
    /// -CacheDirectory needs it.
    /// </summary>
    public string Hash => _hash.Value;
    private readonly Lazy<string> _hash;
    public ImagePreprocessing Preprocessing { get; }
    /// <summary>Where the session's optimised graph came from (the cache or the source), for -Verbose.</summary>
    public string SessionNote { get; private init; } = "";
    /// <summary>Embedding length, or -1 until the first run when the model's output shape is dynamic.</summary>
    public int Dimension { get; private set; }
    /// <summary>The batch size the model insists on, or 0 when its batch dimension is dynamic.</summary>
    public int FixedBatch { get; }
    /// <summary>Largest batch one run takes.</summary>
    public int MaxBatch => FixedBatch > 0 ? FixedBatch : int.MaxValue;

    /// <summary>
    /// The embedded ResNet18 from the module's models folder, or the per-user cache it is restored
    /// into on first use (<see cref="DefaultModelStore"/>), or another folder holding the same two files.
    /// </summary>
    public static ImageEmbeddingModel LoadDefault(EmbeddingDevice device, string? modelDirectory = null, CancellationToken cancel = default)
    {
        string dir = modelDirectory ?? DefaultModelStore.Locate(ModelPackage.ResNet18, cancel);
        string prepPath = Path.Combine(dir, "ResNetPreprocess.onnx"), modelPath = Path.Combine(dir, "ResNet18.onnx");
        foreach (var p in new[] { prepPath, modelPath })
            if (!File.Exists(p)) throw new ModelLoadException($"The default model file '{p}' is missing; run './build.ps1 -Task Build' to restore it from NuGet.");
        var pre = ImagePreprocessing.Presets[DefaultModelName];
        // The key names the preset as given, not its folded form, so caches written before the fold stay valid.
        var given = pre;
        var hash = new Lazy<string>(() => HashOf(new[] { prepPath, modelPath }, given, "Pooling395_Output_0"));
        InferenceSession? prep = CreateSession(prepPath, device, cacheOptimized: false);
        try
        {
            // The graph is a channel swap and a mean image: folded into the tensor build it
            // costs nothing, where running it took a second session run and two copies per image.
            if (FoldPreprocessGraph(prep, pre) is { } folded) { prep.Dispose(); prep = null; pre = folded; }
            var session = CreateSession(modelPath, device, true, out var note);
            try { return new ImageEmbeddingModel(DefaultModelName, modelPath, session, prep, pre, "Pooling395_Output_0", hash) { SessionNote = note }; }
            catch { session.Dispose(); throw; }
        }
        catch { prep?.Dispose(); throw; }
    }

    /// <summary>
    /// The preprocessing that gives, bit for bit, what <paramref name="pre"/> followed by the
    /// graph gives, when the graph is what ResNetPreprocess.onnx is (RGB → BGR on the channel
    /// axis of an NCHW tensor, then minus a constant image); null when it is not. The constant
    /// is read by running the graph on zeros (0 − m = −m exactly), and the claim is checked on
    /// a tensor of random 0–255 values before it is used, so another graph never gets folded.
    /// </summary>
    internal static ImagePreprocessing? FoldPreprocessGraph(InferenceSession graph, ImagePreprocessing pre)
    {
        if (graph.InputMetadata.Count != 1 || graph.OutputMetadata.Count != 1 || pre.ChannelOrder != "RGB" || pre.MeanImage is not null) return null;
        var (inputName, meta) = graph.InputMetadata.First();
        string outputName = graph.OutputMetadata.Keys.First();
        var shape = meta.Dimensions.Select(x => x <= 0 ? 1L : x).ToArray();
        int crop = pre.CropSize, plane = crop * crop, length = pre.TensorLength;
        if (meta.ElementType != typeof(float) || shape.Length != 4 || shape[0] != 1 || shape[1] != 3 || shape[2] != crop || shape[3] != crop) return null;
        float[] Run(float[] input)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
            using var run = new RunOptions();
            using var output = graph.Run(run, new[] { inputName }, new[] { value }, new[] { outputName });
            return output[0].GetTensorDataAsSpan<float>().ToArray();
        }
        var negated = Run(new float[length]);
        if (negated.Length != length) return null;
        var mean = negated.Select(v => -v).ToArray();
        var probe = new float[length];
        var rng = new Random(224);
        for (int i = 0; i < length; i++) probe[i] = (float)(rng.NextDouble() * 255);
        var expected = Run(probe);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < plane; i++)
            {
                int at = c * plane + i;
                if (BitConverter.SingleToInt32Bits(probe[(2 - c) * plane + i] - mean[at]) != BitConverter.SingleToInt32Bits(expected[at])) return null;
            }
        return pre with { ChannelOrder = "BGR", MeanImage = mean };
    }

    /// <summary>Any ONNX image model; preprocessing from the caller or a JSON file beside the model.</summary>
    public static ImageEmbeddingModel Load(string modelPath, ImagePreprocessing? preprocessing, string? outputName, EmbeddingDevice device)
    {
        if (!File.Exists(modelPath)) throw new ModelLoadException($"Model file '{modelPath}' does not exist.");
        if (preprocessing is null)
        {
            string beside = Path.ChangeExtension(modelPath, ".preprocess.json");
            if (!File.Exists(beside))
                throw new ModelLoadException($"No preprocessing for '{modelPath}': put a '{Path.GetFileName(beside)}' beside it, or pass -Preprocess with a preset ({string.Join(", ", ImagePreprocessing.Presets.Keys)}) or a JSON file.");
            preprocessing = ImagePreprocessing.Load(beside);
        }
        var hash = new Lazy<string>(() => HashOf(new[] { modelPath }, preprocessing, outputName));
        var session = CreateSession(modelPath, device, true, out var note);
        try { return new ImageEmbeddingModel(Path.GetFileNameWithoutExtension(modelPath), modelPath, session, null, preprocessing, outputName, hash) { SessionNote = note }; }
        catch { session.Dispose(); throw; }
    }

    /// <summary>
    /// A session for the model file. On the CPU the optimised graph comes from
    /// <see cref="OptimizedModelCache"/> when an earlier process saved it (set
    /// <paramref name="cacheOptimized"/> false for graphs too small to be worth a file).
    /// </summary>
    private static InferenceSession CreateSession(string path, EmbeddingDevice device, bool cacheOptimized = true) => CreateSession(path, device, cacheOptimized, out _);

    private static InferenceSession CreateSession(string path, EmbeddingDevice device, bool cacheOptimized, out string note)
    {
        note = "optimised from the source";
        try
        {
            if (device == EmbeddingDevice.Cpu && cacheOptimized)
                return OptimizedModelCache.Create(path, device, (level, save) => Options(device, level, save), out note);
            using var options = Options(device, GraphOptimizationLevel.ORT_ENABLE_ALL, null);
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"'{path}' is not a model ONNX Runtime can load: {e.Message}", e);
        }
    }

    private static SessionOptions Options(EmbeddingDevice device, GraphOptimizationLevel level, string? saveOptimizedTo)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,   // parallelism comes from concurrent runs, one per worker
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = level,
        };
        if (saveOptimizedTo is not null)
        {
            options.OptimizedModelFilePath = saveOptimizedTo;
            // ORT warns on every save that the graph holds this CPU's layouts; the cache key
            // already names the CPU, so the warning would only alarm users.
            options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        }
        if (device == EmbeddingDevice.Cuda)
        {
            try { options.AppendExecutionProvider_CUDA(0); }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                options.Dispose();
                throw new ModelLoadException("-Device Cuda needs ONNX Runtime's CUDA provider, which this installation lacks " +
                    $"(the module ships the CPU build of Microsoft.ML.OnnxRuntime; the CUDA build is Microsoft.ML.OnnxRuntime.Gpu with CUDA 12 and cuDNN 9 installed). Use -Device Cpu. Detail: {e.Message}", e, deviceUnavailable: true);
            }
        }
        return options;
    }

    private static string HashOf(IEnumerable<string> files, ImagePreprocessing pre, string? output)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var f in files)
        {
            using var s = File.OpenRead(f);
            int r;
            while ((r = s.Read(buffer)) > 0) sha.AppendData(buffer, 0, r);
        }
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(pre with { Layout = "" }));
        // The code that turns pixels into tensors: a change to it must not reuse old vectors.
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(ImageResampler.Version));
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(output ?? ""));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>
    /// Embeds a batch of preprocessed tensors (at most MaxBatch); each holds its image in its
    /// first <see cref="ImagePreprocessing.TensorLength"/> values and may be longer (pooled
    /// buffers). Thread-safe.
    /// </summary>
    public float[][] Embed(IReadOnlyList<float[]> tensors, RunOptions run)
    {
        int n = tensors.Count;
        if (n == 0) return Array.Empty<float[]>();
        if (n > MaxBatch) throw new ArgumentException($"At most {MaxBatch} images per run.");
        int batch = FixedBatch > 0 ? FixedBatch : n;
        int per = Preprocessing.TensorLength;
        foreach (var t in tensors)
            if (t.Length < per) throw new ArgumentException($"Every tensor needs {per} floats.", nameof(tensors));
        var shape = (long[])_inputShape.Clone();
        shape[0] = batch;
        // The batch buffer is pooled: at 600 KB an image it would land on the large object heap
        // and make the garbage collector run full collections every few images.
        var data = System.Buffers.ArrayPool<float>.Shared.Rent(batch * per);
        try
        {
            var batchData = data.AsSpan(0, batch * per);
            if (n < batch) batchData[(n * per)..].Clear();
            for (int i = 0; i < n; i++)
            {
                var target = batchData.Slice(i * per, per);
                if (_prepGraph is null) { tensors[i].AsSpan(0, per).CopyTo(target); continue; }
                // The default model's own preprocessing graph takes one image at a time.
                using var pin = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(tensors[i], 0, per), _prepShape!);
                using var pout = _prepGraph.Run(run, new[] { _prepInput! }, new[] { pin }, new[] { _prepOutput! });
                pout[0].GetTensorDataAsSpan<float>().CopyTo(target);
            }
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(data, 0, batch * per), shape);
            using var output = _session.Run(run, new[] { _inputName }, new[] { input }, new[] { _outputName });
            var values = output[0].GetTensorDataAsSpan<float>();
            int dim = values.Length / batch;
            if (Dimension < 0) Dimension = dim;
            var result = new float[n][];
            for (int i = 0; i < n; i++) result[i] = values.Slice(i * dim, dim).ToArray();
            return result;
        }
        finally { System.Buffers.ArrayPool<float>.Shared.Return(data); }
    }

    public void Dispose()
    {
        _session.Dispose();
        _prepGraph?.Dispose();
    }
}

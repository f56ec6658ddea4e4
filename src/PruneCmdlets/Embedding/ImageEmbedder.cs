using System.Buffers;

namespace PruneCmdlets.Embedding;

/// <summary>How an <see cref="ImageEmbedder"/> runs; the defaults are Get-Embedding's.</summary>
public sealed class ImageEmbedderOptions
{
    /// <summary>Images per work item and per model run (at most the model's fixed batch).</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Images above this many pixels are refused before decoding (ImageTooLarge).</summary>
    public long MaxPixels { get; init; } = 100_000_000;
    /// <summary>Worker threads, each running the model with one intra-op thread.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Emit unit-length vectors (the cache keeps them as the model made them).</summary>
    public bool Normalize { get; init; }
    /// <summary>Each file's own label is the name of its folder.</summary>
    public EmbeddingLabel Label { get; init; } = EmbeddingLabel.Own;
}

/// <summary>
/// Embeds image files: paths in, one outcome per path out, in input order. Worker threads read,
/// hash, look up the cache, decode, preprocess and run the model concurrently (one intra-op
/// thread each, one shared session); the caller's thread adds paths, takes outcomes and is the
/// only one that writes the cache. A file that cannot be read or decoded is a failed outcome
/// naming it; the others embed.
/// </summary>
internal sealed class ImageEmbedder : Embedder<string, ImageEmbedder.Pending>
{
    /// <summary>One file's fate on the worker: a vector (fresh or cached) or the error that stopped it.</summary>
    internal sealed record Pending(string Path, float[]? Vector, string? ContentHash, bool FromCache, ImageLoadException? Error);

    private readonly ImageEmbeddingModel _model;
    private readonly ImageEmbedderOptions _options;
    private readonly List<string> _batch = new();

    public ImageEmbedder(ImageEmbeddingModel model, EmbeddingCache? cache, ImageEmbedderOptions options, CancellationToken cancel = default)
        : base(cache, options.Threads, "Get-Embedding worker", cancel)
    {
        _model = model;
        _options = options;
    }

    /// <summary>Outcomes taken that failed.</summary>
    public long Failed { get; private set; }

    /// <summary>A directory's image files (by extension), recursively, in ordinal order.</summary>
    public static IEnumerable<string> ImagesIn(string directory)
        => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => ImageTensorLoader.ImageExtensions.Contains(Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal);

    public override void Add(string path)
    {
        _batch.Add(path);
        Queued++;
        if (_batch.Count >= Math.Min(_options.BatchSize, _model.MaxBatch)) Submit();
    }

    protected override void SendRest()
    {
        if (_batch.Count > 0) Submit();
    }

    private void Submit()
    {
        var files = _batch.ToArray();
        _batch.Clear();
        var model = _model;
        var cache = Cache;
        long budget = _options.MaxPixels;
        var work = Work;
        Work.Enqueue(() => EmbedBatch(files, model, cache, budget, work));
    }

    protected override EmbeddingOutcome<string> Outcome(Pending p)
    {
        if (p.Error is not null)
        {
            Failed++;
            return EmbeddingOutcome<string>.Failed(p.Path, p.Error.ErrorId, p.Error);
        }
        Embedding(p.ContentHash, p.Vector!, p.FromCache);
        var vector = _options.Normalize ? Normalized(p.Vector!) : p.Vector!;
        return EmbeddingOutcome<string>.Embedded(p.Path,
            new EmbeddingRecord(p.Path, p.Path, _options.Label.For(EmbeddingLabel.FolderOf(p.Path)), vector, _model.Name));
    }

    /// <summary>A unit-length copy (the cached vector stays unnormalised); an all-zero vector as it is.</summary>
    private static float[] Normalized(float[] v)
    {
        var r = (float[])v.Clone();
        return PruneCmdlets.Numerics.VectorMath.NormalizeRow(r) ? r : v;
    }

    private static Pending[] EmbedBatch(string[] files, ImageEmbeddingModel model, EmbeddingCache? cache, long budget, OrderedWork<Pending[]> work)
    {
        var token = work.Token;
        var outcomes = new Pending[files.Length];
        var tensors = new List<float[]>(files.Length);
        var slots = new List<int>(files.Length);
        // File bytes and tensors come from the shared pools: both are large enough to land on
        // the large object heap, and a fresh pair per image made the garbage collector run a
        // full collection every ten images (a quarter of the CPU went to the collector and
        // the pools' trimming).
        var pool = ArrayPool<byte>.Shared;
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
                    if (hash is not null && cache!.TryGet(hash, out var hit)) { outcomes[i] = new Pending(file, hit, hash, true, null); continue; }
                    var tensor = ArrayPool<float>.Shared.Rent(model.Preprocessing.TensorLength);
                    tensors.Add(tensor);
                    ImageTensorLoader.LoadTensor(file, bytes, length, model.Preprocessing, budget, tensor);
                    slots.Add(i);
                    outcomes[i] = new Pending(file, null, hash, false, null);
                }
                catch (ImageLoadException e)
                {
                    if (tensors.Count > slots.Count) { ArrayPool<float>.Shared.Return(tensors[^1]); tensors.RemoveAt(tensors.Count - 1); }
                    outcomes[i] = new Pending(file, null, null, false, e);
                }
                finally { if (bytes is not null) pool.Return(bytes); }
            }
            for (int start = 0; start < tensors.Count; start += model.MaxBatch)
            {
                int count = Math.Min(model.MaxBatch, tensors.Count - start);
                var vectors = model.Embed(tensors.GetRange(start, count), work.Run);
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
            foreach (var t in tensors) ArrayPool<float>.Shared.Return(t);
        }
    }
}

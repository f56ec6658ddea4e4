namespace PruneCmdlets.Embedding;

/// <summary>A text waiting for the model, with what its record will carry; <see cref="Label"/> is its own label, before the label rule.</summary>
public sealed record TextItem(string Id, string? Path, string? Label, string Text);

/// <summary>How a <see cref="TextEmbedder"/> runs; the defaults are Get-TextEmbedding's.</summary>
public sealed class TextEmbedderOptions
{
    /// <summary>Texts per model run; a chunk (one work item) is <see cref="TextChunkPlan.ChunkSize"/> of them.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Worker threads, each running the model with one intra-op thread.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Records carry the whole text rather than a preview of its first characters.</summary>
    public bool IncludeText { get; init; }
    public EmbeddingLabel Label { get; init; } = EmbeddingLabel.Own;
}

/// <summary>
/// Which texts go to the model together. Which texts share a batch changes the last bits of a
/// vector (the model's kernels block by batch), so the plan depends on the texts alone, never
/// on the thread count: results are then the same on every machine and for any -ThrottleLimit.
/// </summary>
public static class TextChunkPlan
{
    /// <summary>Texts per work item: several batches, so grouping by length has texts to group.</summary>
    public static int ChunkSize(int batchSize) => batchSize * 4;

    /// <summary>
    /// What is left when the input ends (fewer than a chunk): shared among the workers rather than
    /// given to one, sorted by character length (a stand-in for token length) and cut into
    /// batch-sized pieces (<see cref="ByLength"/>). Each piece holds indices into <paramref name="texts"/>.
    /// </summary>
    public static int[][] SplitRemainder(IReadOnlyList<string> texts, int batchSize)
        => ByLength(texts.Select(t => t.Length).ToArray(), batchSize);

    /// <summary>
    /// Indices sorted by length (stable, so ties keep input order and the result depends only on
    /// the lengths), cut into runs of <paramref name="batchSize"/>: similar lengths together, so
    /// a batch pads little.
    /// </summary>
    public static int[][] ByLength(IReadOnlyList<int> lengths, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        var order = Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ThenBy(i => i).ToArray();
        var runs = new int[(order.Length + batchSize - 1) / batchSize][];
        for (int r = 0; r < runs.Length; r++)
            runs[r] = order.AsSpan(r * batchSize, Math.Min(batchSize, order.Length - r * batchSize)).ToArray();
        return runs;
    }

    /// <summary>
    /// The whole plan for texts read in this order, as <see cref="TextEmbedder"/> makes it while
    /// they stream in: full chunks of <see cref="ChunkSize"/> texts in input order, then the
    /// remainder's pieces (<see cref="SplitRemainder"/>). Indices into <paramref name="texts"/>.
    /// </summary>
    public static int[][] Plan(IReadOnlyList<string> texts, int batchSize)
    {
        int chunk = ChunkSize(batchSize), full = texts.Count / chunk * chunk;
        var plan = new List<int[]>();
        for (int i = 0; i < full; i += chunk) plan.Add(Enumerable.Range(i, chunk).ToArray());
        var rest = Enumerable.Range(full, texts.Count - full).ToArray();
        foreach (var piece in SplitRemainder(rest.Select(i => texts[i]).ToArray(), batchSize))
            plan.Add(piece.Select(j => rest[j]).ToArray());
        return plan.ToArray();
    }

    /// <summary>Results of pieces put back in input order: <paramref name="results"/>[p][j] belongs at <paramref name="pieces"/>[p][j].</summary>
    public static T[] Restore<T>(IReadOnlyList<int[]> pieces, IReadOnlyList<T[]> results)
    {
        var restored = new T[pieces.Sum(p => p.Length)];
        for (int p = 0; p < pieces.Count; p++)
        {
            if (results[p].Length != pieces[p].Length) throw new ArgumentException($"Piece {p} has {pieces[p].Length} texts but {results[p].Length} results.", nameof(results));
            for (int j = 0; j < pieces[p].Length; j++) restored[pieces[p][j]] = results[p][j];
        }
        return restored;
    }
}

/// <summary>
/// Embeds texts with a BERT-family sentence model: items in, one outcome per item out, in input
/// order. Texts are gathered into chunks (<see cref="TextChunkPlan"/>); each chunk goes to a
/// worker thread, which tokenises it, looks its texts up in the cache, and runs the rest through
/// the model in batches of similar length. The caller's thread adds items, takes outcomes and is
/// the only one that writes the cache.
/// </summary>
internal sealed class TextEmbedder : Embedder<TextItem, TextEmbedder.Pending>
{
    /// <summary>Characters of the text a record carries without <see cref="TextEmbedderOptions.IncludeText"/>.</summary>
    public const int PreviewLength = 100;

    /// <summary>One text's fate on the worker: its tokens and vector (fresh or cached).</summary>
    internal sealed record Pending(TextItem Item, TokenizedText Tokens, float[] Vector, string? ContentHash, bool FromCache);

    private readonly TextEmbeddingModel _model;
    private readonly TextEmbedderOptions _options;
    private readonly List<TextItem> _chunk = new();

    public TextEmbedder(TextEmbeddingModel model, EmbeddingCache? cache, TextEmbedderOptions options, CancellationToken cancel = default)
        : base(cache, options.Threads, "Get-TextEmbedding worker", cancel)
    {
        _model = model;
        _options = options;
    }

    /// <summary>Texts cut to the model's maximum length.</summary>
    public long Truncated { get; private set; }
    /// <summary>Tokens of the texts embedded ([CLS] and [SEP] included).</summary>
    public long Tokens { get; private set; }

    public override void Add(TextItem item)
    {
        _chunk.Add(item);
        Queued++;
        if (_chunk.Count >= TextChunkPlan.ChunkSize(_options.BatchSize))
        {
            var items = _chunk.ToArray();
            _chunk.Clear();
            Send(items);
        }
    }

    /// <summary>Each chunk as it goes to the workers, on the caller's thread: for tests that check the plan is followed.</summary>
    internal event Action<TextItem[]>? ChunkSent;

    private void Send(TextItem[] items)
    {
        ChunkSent?.Invoke(items);
        Work.Enqueue(Chunk(items));
    }

    /// <summary>The remainder, planned by <see cref="TextChunkPlan.SplitRemainder"/>: its pieces run on any workers and come back as one item, in input order.</summary>
    protected override void SendRest()
    {
        if (_chunk.Count == 0) return;
        var rest = _chunk.ToArray();
        _chunk.Clear();
        var pieces = TextChunkPlan.SplitRemainder(rest.Select(i => i.Text).ToArray(), _options.BatchSize);
        var parts = pieces.Select(p => p.Select(j => rest[j]).ToArray()).Select(items =>
        {
            ChunkSent?.Invoke(items);
            return Work.Start(Chunk(items));
        }).ToArray();
        Work.Enqueue(InInputOrder(parts, pieces));
    }

    private static async Task<Pending[]> InInputOrder(Task<Pending[]>[] parts, int[][] pieces)
        => TextChunkPlan.Restore(pieces, await Task.WhenAll(parts).ConfigureAwait(false));

    private Func<Pending[]> Chunk(TextItem[] items)
    {
        var model = _model;
        var cache = Cache;
        var work = Work;
        int batch = _options.BatchSize;
        return () => EmbedChunk(items, model, cache, batch, work);
    }

    private static Pending[] EmbedChunk(TextItem[] items, TextEmbeddingModel model, EmbeddingCache? cache, int batchSize, OrderedWork<Pending[]> work)
    {
        var token = work.Token;
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
        var fresh = model.EmbedAll(misses.Select(i => tokens[i]).ToArray(), batchSize, work.Run, token);
        for (int j = 0; j < misses.Count; j++) vectors[misses[j]] = fresh[j];
        return items.Select((item, i) => new Pending(item, tokens[i], vectors[i]!, hashes[i], fromCache[i])).ToArray();
    }

    protected override EmbeddingOutcome<TextItem> Outcome(Pending p)
    {
        Embedding(p.ContentHash, p.Vector, p.FromCache);
        if (p.Tokens.Truncated > 0) Truncated++;
        Tokens += p.Tokens.Length;
        var text = p.Item.Text;
        return EmbeddingOutcome<TextItem>.Embedded(p.Item, new EmbeddingRecord(p.Item.Id, p.Item.Path, _options.Label.For(p.Item.Label), p.Vector, _model.Name)
        {
            Text = _options.IncludeText || text.Length <= PreviewLength ? text : Preview(text),
            TokenCount = p.Tokens.Length,
            TruncatedTokens = p.Tokens.Truncated,
        });
    }

    /// <summary>The first PreviewLength characters and an ellipsis, never cutting a surrogate pair in two.</summary>
    private static string Preview(string text)
    {
        int n = char.IsHighSurrogate(text[PreviewLength - 1]) ? PreviewLength - 1 : PreviewLength;
        return text[..n] + "…";
    }
}

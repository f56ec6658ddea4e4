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
    /// given to one, sorted by character length (a stand-in for token length; stable, so ties keep
    /// input order) and cut into batch-sized pieces. Each piece holds indices into <paramref name="texts"/>.
    /// </summary>
    public static int[][] SplitRemainder(IReadOnlyList<string> texts, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length).ThenBy(i => i).ToArray();
        var pieces = new int[(order.Length + batchSize - 1) / batchSize][];
        for (int p = 0; p < pieces.Length; p++)
            pieces[p] = order.AsSpan(p * batchSize, Math.Min(batchSize, order.Length - p * batchSize)).ToArray();
        return pieces;
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
public sealed class TextEmbedder : IDisposable
{
    /// <summary>Characters of the text a record carries without <see cref="TextEmbedderOptions.IncludeText"/>.</summary>
    public const int PreviewLength = 100;

    /// <summary>One text's fate on the worker: its tokens and vector (fresh or cached).</summary>
    private sealed record Pending(TextItem Item, TokenizedText Tokens, float[] Vector, string? ContentHash, bool FromCache);

    private readonly TextEmbeddingModel _model;
    private readonly EmbeddingCache? _cache;
    private readonly TextEmbedderOptions _options;
    private readonly OrderedWork<Pending[]> _work;
    private readonly List<TextItem> _chunk = new();

    public TextEmbedder(TextEmbeddingModel model, EmbeddingCache? cache, TextEmbedderOptions options, CancellationToken cancel = default)
    {
        _model = model;
        _cache = cache;
        _options = options;
        _work = new OrderedWork<Pending[]>(options.Threads, "Get-TextEmbedding worker", cancel);
    }

    public long Queued { get; private set; }
    public long Embedded { get; private set; }
    public long Cached { get; private set; }
    /// <summary>Texts cut to the model's maximum length.</summary>
    public long Truncated { get; private set; }
    /// <summary>Tokens of the texts embedded ([CLS] and [SEP] included).</summary>
    public long Tokens { get; private set; }

    /// <summary>Queues one text; a full chunk goes to the workers.</summary>
    public void Add(TextItem item)
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
        _work.Enqueue(Embedding(items));
    }

    /// <summary>Chunks of outcomes the caller must take now, oldest first, so no more than twice the threads wait.</summary>
    public IEnumerable<EmbeddingOutcome<TextItem>[]> Ready()
    {
        while (_work.Full) yield return Take();
    }

    /// <summary>Plans and sends the remainder, then yields every remaining chunk of outcomes in order.</summary>
    public IEnumerable<EmbeddingOutcome<TextItem>[]> Finish()
    {
        if (_chunk.Count > 0)
        {
            var rest = _chunk.ToArray();
            _chunk.Clear();
            var pieces = TextChunkPlan.SplitRemainder(rest.Select(i => i.Text).ToArray(), _options.BatchSize);
            var parts = pieces.Select(p => p.Select(j => rest[j]).ToArray()).Select(items =>
            {
                ChunkSent?.Invoke(items);
                return _work.Start(Embedding(items));
            }).ToArray();
            _work.Enqueue(InInputOrder(parts, pieces));
        }
        while (_work.Any) yield return Take();
    }

    /// <summary>Every item's outcome, in order: <see cref="Add"/>, <see cref="Ready"/> and <see cref="Finish"/> in one.</summary>
    public IEnumerable<EmbeddingOutcome<TextItem>> EmbedAll(IEnumerable<TextItem> items)
    {
        foreach (var item in items)
        {
            Add(item);
            foreach (var chunk in Ready()) foreach (var o in chunk) yield return o;
        }
        foreach (var chunk in Finish()) foreach (var o in chunk) yield return o;
    }

    private static async Task<Pending[]> InInputOrder(Task<Pending[]>[] parts, int[][] pieces)
        => TextChunkPlan.Restore(pieces, await Task.WhenAll(parts).ConfigureAwait(false));

    private Func<Pending[]> Embedding(TextItem[] items)
    {
        var model = _model;
        var cache = _cache;
        var work = _work;
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

    /// <summary>The oldest chunk, with its new vectors cached and its records made (on the caller's thread).</summary>
    private EmbeddingOutcome<TextItem>[] Take()
    {
        var pending = _work.Next();
        var outcomes = new EmbeddingOutcome<TextItem>[pending.Length];
        for (int i = 0; i < pending.Length; i++)
        {
            var p = pending[i];
            if (p.ContentHash is not null && !p.FromCache) _cache!.Add(p.ContentHash, p.Vector);
            if (p.FromCache) Cached++;
            if (p.Tokens.Truncated > 0) Truncated++;
            Tokens += p.Tokens.Length;
            Embedded++;
            var text = p.Item.Text;
            outcomes[i] = EmbeddingOutcome<TextItem>.Embedded(p.Item, new EmbeddingRecord(p.Item.Id, p.Item.Path, _options.Label.For(p.Item.Label), p.Vector, _model.Name)
            {
                Text = _options.IncludeText || text.Length <= PreviewLength ? text : Preview(text),
                TokenCount = p.Tokens.Length,
                TruncatedTokens = p.Tokens.Truncated,
            });
        }
        _cache?.Flush();
        return outcomes;
    }

    /// <summary>The first PreviewLength characters and an ellipsis, never cutting a surrogate pair in two.</summary>
    private static string Preview(string text)
    {
        int n = char.IsHighSurrogate(text[PreviewLength - 1]) ? PreviewLength - 1 : PreviewLength;
        return text[..n] + "…";
    }

    /// <summary>Stops the workers and waits for them; the model and the cache stay the caller's.</summary>
    public void Dispose() => _work.Dispose();
}

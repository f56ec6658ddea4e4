namespace PruneCmdlets.Embedding;

/// <summary>
/// The streaming half both embedders share: items are added on the caller's thread, batches run
/// on worker threads (<see cref="OrderedWork{T}"/>), and outcomes are taken back in input order on
/// the caller's thread, which alone writes the cache. A cmdlet calls <see cref="Add"/> per item and
/// takes <see cref="Ready"/> after it (so at most twice the threads' batches wait), then
/// <see cref="Finish"/>; a test or a benchmark calls <see cref="EmbedAll"/>.
/// </summary>
internal abstract class Embedder<TItem, TPending> : IDisposable
{
    private protected Embedder(EmbeddingCache? cache, int threads, string workerName, CancellationToken cancel)
    {
        Cache = cache;
        Work = new OrderedWork<TPending[]>(threads, workerName, cancel);
    }

    protected EmbeddingCache? Cache { get; }
    private protected OrderedWork<TPending[]> Work { get; }

    /// <summary>Items added so far.</summary>
    public long Queued { get; protected set; }
    /// <summary>Outcomes taken with a record (cached ones included).</summary>
    public long Embedded { get; private set; }
    /// <summary>Records that came from the cache.</summary>
    public long Cached { get; private set; }

    /// <summary>Queues one item; a full batch goes to the workers.</summary>
    public abstract void Add(TItem item);

    /// <summary>Sends what <see cref="Add"/> has not sent yet, at the end of the input.</summary>
    protected abstract void SendRest();

    /// <summary>One worker result as the caller sees it (on the caller's thread, after the worker is done).</summary>
    protected abstract EmbeddingOutcome<TItem> Outcome(TPending pending);

    /// <summary>Batches of outcomes the caller must take now, oldest first, so no more than twice the threads wait.</summary>
    public IEnumerable<EmbeddingOutcome<TItem>[]> Ready()
    {
        while (Work.Full) yield return Take();
    }

    /// <summary>Sends the rest and yields every remaining batch of outcomes in order.</summary>
    public IEnumerable<EmbeddingOutcome<TItem>[]> Finish()
    {
        SendRest();
        while (Work.Any) yield return Take();
    }

    /// <summary>Every item's outcome, in order: <see cref="Add"/>, <see cref="Ready"/> and <see cref="Finish"/> in one.</summary>
    public IEnumerable<EmbeddingOutcome<TItem>> EmbedAll(IEnumerable<TItem> items)
    {
        foreach (var item in items)
        {
            Add(item);
            foreach (var batch in Ready()) foreach (var o in batch) yield return o;
        }
        foreach (var batch in Finish()) foreach (var o in batch) yield return o;
    }

    /// <summary>Counts an embedded item and caches its vector when it is fresh.</summary>
    protected void Embedding(string? contentHash, float[] vector, bool fromCache)
    {
        if (contentHash is not null && !fromCache) Cache!.Add(contentHash, vector);
        if (fromCache) Cached++;
        Embedded++;
    }

    /// <summary>The oldest batch's outcomes; the cache is flushed once per batch.</summary>
    private EmbeddingOutcome<TItem>[] Take()
    {
        var pending = Work.Next();
        var outcomes = new EmbeddingOutcome<TItem>[pending.Length];
        for (int i = 0; i < pending.Length; i++) outcomes[i] = Outcome(pending[i]);
        Cache?.Flush();
        return outcomes;
    }

    /// <summary>Stops the workers and waits for them; the model and the cache stay the caller's.</summary>
    public void Dispose() => Work.Dispose();
}

using Microsoft.ML.OnnxRuntime;

namespace PruneCmdlets.Embedding;

/// <summary>
/// Work items run on dedicated worker threads and taken back in the order they were queued, so
/// records stream in input order while up to <c>threads</c> items run at once. The caller's
/// thread does every take; a queue longer than twice the threads is <see cref="Full"/>, which
/// bounds the memory held by finished work nobody has taken yet. Cancelling the token ends
/// waiting items and aborts model runs in flight (<see cref="RunOptions.Terminate"/>).
/// </summary>
internal sealed class OrderedWork<T> : IDisposable
{
    private readonly Queue<Task<T>> _pending = new();
    private readonly WorkerThreads _workers;
    private readonly int _inFlight;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenRegistration _terminate;

    public OrderedWork(int threads, string name, CancellationToken cancel)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _terminate = _stop.Token.Register(() => Run.Terminate = true);
        _workers = new WorkerThreads(threads, name);
        _inFlight = 2 * threads;
    }

    /// <summary>Shared by every model run of this work, so one cancel aborts them all.</summary>
    public RunOptions Run { get; } = new();
    public CancellationToken Token => _stop.Token;
    public bool Full => _pending.Count > _inFlight;
    public bool Any => _pending.Count > 0;

    /// <summary>Starts <paramref name="work"/> on a worker without queueing its result (for parts that are joined first).</summary>
    public Task<T> Start(Func<T> work) => _workers.Run(work);

    public void Enqueue(Task<T> task) => _pending.Enqueue(task);

    public void Enqueue(Func<T> work) => _pending.Enqueue(_workers.Run(work));

    /// <summary>
    /// The oldest item's result, waiting for it. After a cancel, a run the cancel aborted
    /// (ONNX Runtime reports it as its own exception) surfaces as <see cref="OperationCanceledException"/>.
    /// </summary>
    public T Next()
    {
        var task = _pending.Dequeue();
        try { return task.GetAwaiter().GetResult(); }
        catch (Exception e) when (_stop.IsCancellationRequested && (e is OperationCanceledException or OnnxRuntimeException))
        {
            throw new OperationCanceledException("The embedding was stopped.", e, _stop.Token);
        }
    }

    /// <summary>Cancels, then waits for every worker, so no thread outlives the work.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        foreach (var task in _pending)
            try { task.Wait(); } catch (AggregateException) { }
        _pending.Clear();
        _workers.Dispose();
        _terminate.Dispose();
        Run.Dispose();
        _stop.Dispose();
    }
}

using System.Diagnostics;
using System.Management.Automation;
using PruneCmdlets.Embedding;

namespace PruneCmdlets.Commands;

/// <summary>
/// What Get-Embedding and Get-TextEmbedding share around their embedder (the pipeline work is in
/// <see cref="ImageEmbedder"/> and <see cref="TextEmbedder"/>): path resolution, model and cache
/// opening with their errors, taking outcomes on the pipeline thread (every Write* happens
/// there), progress, stopping and disposal. Parameters stay on each cmdlet, where their
/// attributes differ.
/// </summary>
public abstract class EmbeddingCommandBase : PSCmdlet, IDisposable
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    private long _lastProgressMs = -1000;

    /// <summary>Cancelled by Ctrl+C (<see cref="StopProcessing"/>) and by disposal; the embedder and a first-use model restore watch it.</summary>
    protected CancellationTokenSource Stop { get; } = new();
    protected Stopwatch Clock { get; } = new();
    protected EmbeddingCache? Cache { get; private set; }

    /// <summary>The progress activity's name and stable id.</summary>
    protected abstract string Activity { get; }
    protected abstract int ProgressId { get; }

    /// <summary>Writes the progress record for the counts so far (through <see cref="WriteProgress(long, long, Func{double, string})"/>).</summary>
    protected abstract void ReportProgress();

    /// <summary>Disposal in order: the embedder (waiting for its workers, after <see cref="Stop"/> is cancelled), then the cache, then the model.</summary>
    protected abstract void DisposeEmbedder();
    protected abstract void DisposeModel();

    protected void RefuseLabelConflict(string? label, bool noLabel)
    {
        if (noLabel && label is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("LabelConflict", ErrorCategory.InvalidArgument, "Use either -Label or -NoLabel, not both."));
    }

    /// <summary>Runs <paramref name="load"/>; a model that cannot load is ModelLoadFailed (or DeviceUnavailable, naming <paramref name="device"/>), a Ctrl+C during a first-use restore stops the pipeline.</summary>
    protected T LoadModel<T>(Func<T> load, string source, object? device = null)
    {
        try { return load(); }
        catch (OperationCanceledException) when (Stop.IsCancellationRequested) { throw new PipelineStoppedException(); }
        catch (ModelLoadException e) when (e.DeviceUnavailable)
        {
            ThrowTerminatingError(ErrorHelper.Terminating("DeviceUnavailable", ErrorCategory.ResourceUnavailable, e.Message, device, e));
            throw;
        }
        catch (Exception e) when (e is ModelLoadException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.Terminating("ModelLoadFailed", ErrorCategory.InvalidArgument, e.Message, source, e));
            throw;
        }
    }

    /// <summary>Opens -CacheDirectory for the model (CacheUnavailable when it cannot) and says what it holds.</summary>
    protected void OpenCache(string? directory, string modelHash, string modelDescription)
    {
        if (directory is null) return;
        string dir = GetUnresolvedProviderPathFromPSPath(directory);
        try { Cache = new EmbeddingCache(dir, modelHash, modelDescription); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("CacheUnavailable", dir, e));
        }
        WriteVerbose($"Cache {Cache!.ModelDirectory}: {Cache.Count} embeddings" + (Cache.TornRecords > 0 ? $", {Cache.TornRecords} interrupted segment tail(s) ignored." : "."));
    }

    /// <summary>Files for one -Path/-LiteralPath entry; a directory becomes <paramref name="expandDirectory"/>'s files. A path that is not there is PathNotFound, and the pipeline goes on.</summary>
    protected IEnumerable<string> Resolve(string input, bool literal, Func<string, IEnumerable<string>> expandDirectory)
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
            if (Directory.Exists(p)) foreach (var f in expandDirectory(p)) yield return f;
            else if (File.Exists(p)) yield return p;
            else WriteError(ErrorHelper.PathNotFound(p));
        }
    }

    /// <summary>
    /// Writes each batch of outcomes as it is taken (records, or <paramref name="error"/>'s
    /// ErrorRecord for a failed item: by default the outcome's ErrorId with the item as its
    /// target), with progress after each batch; a stop while waiting ends the pipeline.
    /// </summary>
    protected void Emit<TItem>(IEnumerable<EmbeddingOutcome<TItem>[]> batches, Func<EmbeddingOutcome<TItem>, ErrorRecord>? error = null)
    {
        try
        {
            foreach (var batch in batches)
            {
                foreach (var o in batch)
                {
                    if (o.Record is not null) WriteObject(o.Record);
                    else WriteError(error?.Invoke(o) ?? new ErrorRecord(o.Error, o.ErrorId, ErrorCategory.NotSpecified, o.Item));
                }
                ReportProgress();
            }
        }
        catch (OperationCanceledException) when (Stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>At most two progress records a second: <paramref name="handled"/> of <paramref name="queued"/> items, and the time left at the rate so far.</summary>
    protected void WriteProgress(long handled, long queued, Func<double, string> status)
    {
        long now = Clock.ElapsedMilliseconds;
        if (now - _lastProgressMs < 500) return;
        _lastProgressMs = now;
        double rate = handled / Math.Max(1e-3, Clock.Elapsed.TotalSeconds);
        WriteProgress(new ProgressRecord(ProgressId, Activity, status(rate))
        {
            PercentComplete = (int)Math.Min(99, 100 * handled / Math.Max(1, queued)),
            SecondsRemaining = (int)Math.Ceiling((queued - handled) / Math.Max(rate, 1e-3)),
        });
    }

    protected void CompleteProgress()
        => WriteProgress(new ProgressRecord(ProgressId, Activity, "done") { RecordType = ProgressRecordType.Completed });

    protected override void StopProcessing() => Stop.Cancel();

    public void Dispose()
    {
        // Stop and wait for every worker, so no thread outlives the command.
        Stop.Cancel();
        DisposeEmbedder();
        Cache?.Dispose();
        DisposeModel();
        Stop.Dispose();
        GC.SuppressFinalize(this);
    }
}

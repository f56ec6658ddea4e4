using System.Collections.Concurrent;
using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>
/// Runs long core work off the pipeline thread and pumps its progress back onto it:
/// PowerShell only accepts Write* calls from the pipeline thread, and keeping that thread free
/// is what lets Ctrl+C (StopProcessing) cancel the work within a moment.
/// </summary>
internal static class BackgroundWork
{
    public static T Run<T>(Cmdlet cmdlet, CancellationToken cancel, Func<Action<ProgressRecord>, T> work)
    {
        using var messages = new BlockingCollection<ProgressRecord>();
        var task = Task.Run(() =>
        {
            try { return work(p => { if (!messages.IsAddingCompleted) messages.TryAdd(p); }); }
            finally { messages.CompleteAdding(); }
        });
        try
        {
            foreach (var p in messages.GetConsumingEnumerable(cancel)) cmdlet.WriteProgress(p);
        }
        catch (OperationCanceledException) { }
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }
}

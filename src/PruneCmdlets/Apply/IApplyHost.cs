namespace PruneCmdlets.Apply;

/// <summary>What the apply step asks of its caller (the cmdlet: ShouldProcess, WriteError, WriteProgress, WriteVerbose), so the core stays free of PowerShell.</summary>
internal interface IApplyHost
{
    /// <summary>Asked before every change on disk; false (-WhatIf, a declined -Confirm) means leave it undone.</summary>
    bool ShouldProcess(string target, string action);

    /// <summary>One record could not be applied; the run goes on with the next unless the error says it stops the run.</summary>
    void Failed(ApplyItem item, Exception error);

    void Progress(ApplyProgress progress);

    void Verbose(string message);

    /// <summary>Something the user should know that is not an error (files in the destination the decision does not list).</summary>
    void Warning(string message);
}

/// <summary>How far a run is: kept files handled and source bytes handled, of the totals.</summary>
internal readonly record struct ApplyProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal, TimeSpan Elapsed, string Current);

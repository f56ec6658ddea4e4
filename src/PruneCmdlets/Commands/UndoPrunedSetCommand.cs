using System.Management.Automation;
using PruneCmdlets.Apply;

namespace PruneCmdlets.Commands;

/// <summary>
/// Takes back what Export-PrunedSet made in a destination, as its journal lists it: files that
/// still match are removed, changed or added ones are kept and named, created folders go once
/// empty. Writes one PrunedSetUndoSummary. The work is in Apply/PrunedSetUndo.
/// </summary>
[Cmdlet(VerbsCommon.Undo, "PrunedSet", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PrunedSetUndoSummary))]
public sealed class UndoPrunedSetCommand : PSCmdlet, IUndoHost, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    public string Destination { get; set; } = "";

    [Parameter]
    public SwitchParameter Last { get; set; }

    protected override void ProcessRecord()
    {
        string destination = GetUnresolvedProviderPathFromPSPath(Destination);
        PrunedSetUndoSummary summary;
        try { summary = new PrunedSetUndo { LastOnly = Last }.Run(destination, this, _stop.Token); }
        catch (OperationCanceledException) { throw new PipelineStoppedException(); }
        catch (JournalCorruptException e)
        {
            ThrowTerminatingError(ErrorHelper.JournalCorrupt(e));
            return;
        }
        catch (ApplyException e)
        {
            ThrowTerminatingError(ErrorHelper.ApplyFailed(e.ErrorId, e.FilePath, e));
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("UndoFailed", destination, e));
            return;
        }
        WriteVerbose($"Undo-PrunedSet: {summary}.");
        WriteObject(summary);
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    bool IUndoHost.ShouldProcess(string target, string action) => ShouldProcess(target, action);

    bool IUndoHost.WhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
        ? LanguagePrimitives.IsTrue(w)
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    void IUndoHost.Failed(string path, Exception error) => WriteError(ErrorHelper.FileError("UndoFailed", path, error));

    void IUndoHost.Verbose(string message) => WriteVerbose(message);

    void IUndoHost.Warning(string message) => WriteWarning(message);
}

using System.Management.Automation;
using PruneCmdlets.Review;

namespace PruneCmdlets.Commands;

/// <summary>
/// -Override for Select-PrunedSet and Export-PrunedSet: reads the reviewer's overrides.csv
/// (<see cref="OverrideSet"/>) and resolves it against the decisions as given, reporting every
/// refusal as a terminating error with the file as TargetObject, and saying what it changed.
/// </summary>
internal static class Overrides
{
    public static OverrideSet Read(PSCmdlet cmdlet, string given)
    {
        string path = cmdlet.GetUnresolvedProviderPathFromPSPath(given);
        try { return OverrideSet.Read(path); }
        catch (OverrideException e) { cmdlet.ThrowTerminatingError(ErrorHelper.OverrideRefused(e)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cmdlet.ThrowTerminatingError(ErrorHelper.FileError(e is FileNotFoundException or DirectoryNotFoundException ? "OverrideFileNotFound" : "OverrideFileUnreadable", path, e));
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// The changes the overrides make to <paramref name="decisions"/> (the run id is theirs, before
    /// any override), or a terminating error. Says under -Verbose how many flipped each way.
    /// </summary>
    public static IReadOnlyList<OverrideChange> Resolve(PSCmdlet cmdlet, OverrideSet set, IReadOnlyList<(string Id, bool Kept)> decisions)
    {
        string runId = DecisionRun.Id(decisions);
        IReadOnlyList<OverrideChange> changes;
        try { changes = set.Resolve(decisions, runId); }
        catch (OverrideException e) { cmdlet.ThrowTerminatingError(ErrorHelper.OverrideRefused(e)); throw; }
        var (kept, pruned, confirmed) = Count(changes);
        cmdlet.WriteVerbose($"-Override '{set.Path}' (SHA-256 {set.Sha256}, run {runId}): {set.Entries.Count} override(s); " +
                            $"{kept} pruned record(s) kept by review, {pruned} kept record(s) pruned by review, {confirmed} confirmed as decided.");
        return changes;
    }

    public static (int KeptByReview, int PrunedByReview, int Confirmed) Count(IReadOnlyList<OverrideChange> changes)
        => (changes.Count(c => c.Flipped && c.Kept), changes.Count(c => c.Flipped && !c.Kept), changes.Count(c => !c.Flipped));
}

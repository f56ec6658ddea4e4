using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>
/// Select-PrunedSet -Exclude and the shard steps: which records a policy's Exclude prunes before
/// it runs, and the sentence each gets as its Reason. Every record must have been checked by
/// Find-DataIssue, or whether it is flagged cannot be told.
/// </summary>
internal static class Exclusion
{
    public static HashSet<EmbeddingRecord> Flagged(PSCmdlet cmdlet, IReadOnlyList<EmbeddingRecord> candidates, IReadOnlyList<string> issues)
    {
        var flagged = new HashSet<EmbeddingRecord>();
        if (issues.Count == 0) return flagged;
        var unchecked_ = candidates.FirstOrDefault(r => r.Issues is null);
        if (unchecked_ is not null)
            cmdlet.ThrowTerminatingError(ErrorHelper.Terminating("MissingIssues", ErrorCategory.InvalidArgument,
                $"Record '{unchecked_.Id}' has not been through Find-DataIssue, so -Exclude {string.Join(", ", issues)} cannot tell whether it is flagged; check every record in one Find-DataIssue run (before sharding, in a sharded run).", unchecked_));
        foreach (var r in candidates)
            if (issues.Any(r.HasIssue)) flagged.Add(r);
        return flagged;
    }

    /// <summary>"pruned: " and the sentence of every excluded issue the record has.</summary>
    public static string Reason(EmbeddingRecord r, IReadOnlyList<string> issues)
        => "pruned: " + string.Join("; ", issues.Where(r.HasIssue).Select(r.IssueSentence));
}

namespace PruneCmdlets.Selection;

/// <summary>
/// A policy's Exclude (Select-PrunedSet -Exclude, the shard steps, Test-PruningStrategy):
/// which records are pruned before the policy runs, and the sentence each gets as its Reason.
/// Every record must have been checked by Find-DataIssue, or whether it is flagged cannot be told.
/// </summary>
public static class Exclusion
{
    /// <summary>The candidates that carry one of <paramref name="issues"/>; MissingIssues when one was never checked.</summary>
    public static HashSet<EmbeddingRecord> Flagged(IReadOnlyList<EmbeddingRecord> candidates, IReadOnlyList<string> issues)
    {
        var flagged = new HashSet<EmbeddingRecord>();
        if (issues.Count == 0) return flagged;
        var unchecked_ = candidates.FirstOrDefault(r => r.Issues is null);
        if (unchecked_ is not null)
            throw new SelectionInputException("MissingIssues",
                $"Record '{unchecked_.Id}' has not been through Find-DataIssue, so -Exclude {string.Join(", ", issues)} cannot tell whether it is flagged; check every record in one Find-DataIssue run (before sharding, in a sharded run).")
            { TargetId = unchecked_.Id, Target = unchecked_ };
        foreach (var r in candidates)
            if (issues.Any(r.HasIssue)) flagged.Add(r);
        return flagged;
    }

    /// <summary>"pruned: " and the sentence of every excluded issue the record has.</summary>
    public static string Reason(EmbeddingRecord r, IReadOnlyList<string> issues)
        => "pruned: " + string.Join("; ", issues.Where(r.HasIssue).Select(r.IssueSentence));
}

namespace PruneCmdlets.Dedup;

/// <summary>
/// The Invoke-SemDeDup run that decided a record, shared by every record of the run (as
/// <see cref="Selection.SelectionOutcome"/> is for Select-PrunedSet). It marks that SemDeDup
/// ran even where it removed nothing, when no record carries a DuplicateOf and the next stage has
/// replaced every Reason, so the report's "Reproduce" line still names it with its settings.
/// </summary>
public sealed record SemDeDupRun(double Epsilon, DuplicateKeepRule KeepRule, int Groups, int Removed);

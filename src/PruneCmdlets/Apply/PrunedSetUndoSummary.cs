namespace PruneCmdlets.Apply;

/// <summary>What one Undo-PrunedSet run did: the single object it writes to the pipeline.</summary>
public sealed class PrunedSetUndoSummary
{
    /// <summary>The destination folder an Export-PrunedSet run wrote into.</summary>
    public string Destination { get; init; } = "";
    /// <summary>Files the journal lists that still matched it and were removed.</summary>
    public int Removed { get; set; }
    /// <summary>Files the journal lists that were changed since (other bytes, another link target, a folder now): left in place and named in a warning.</summary>
    public int KeptChanged { get; set; }
    /// <summary>Files found in folders the apply created that the journal does not list (added since): left in place and named in a warning.</summary>
    public int KeptAdded { get; set; }
    /// <summary>Folders the apply created, removed once empty (the destination itself included).</summary>
    public int FoldersRemoved { get; set; }
    /// <summary>Files the journal lists that were already gone (removed by an earlier, interrupted undo, by hand, or never made by a killed run).</summary>
    public int AlreadyGone { get; set; }
    /// <summary>Leftover temporary files of a killed Export-PrunedSet run, removed.</summary>
    public int TemporaryFilesRemoved { get; set; }
    /// <summary>Steps not taken because of -WhatIf or a declined -Confirm.</summary>
    public int NotRemoved { get; set; }
    /// <summary>Files or folders that could not be removed (each reported as an error).</summary>
    public int Failed { get; set; }
    /// <summary>True when the undo is complete: everything listed is gone and so is the journal.</summary>
    public bool JournalRemoved { get; set; }
    /// <summary>-Last: files the last apply replaced that an earlier apply made too, left in place and named in a warning.</summary>
    public int KeptEarlier { get; set; }
    /// <summary>-Last: true when the last apply is taken back completely and cut off the journal, which still lists the earlier applies.</summary>
    public bool JournalCut { get; set; }

    public override string ToString()
        => $"{Removed} removed, {KeptChanged} kept (changed), {KeptAdded} kept (added), {FoldersRemoved} folders removed"
           + (AlreadyGone > 0 ? $", {AlreadyGone} already gone" : "") + (NotRemoved > 0 ? $", {NotRemoved} not removed" : "") + (Failed > 0 ? $", {Failed} failed" : "")
           + (KeptEarlier > 0 ? $", {KeptEarlier} kept (made by an earlier apply too)" : "");
}

namespace PruneCmdlets.Apply;

/// <summary>
/// What one Export-PrunedSet run did: the single object it writes to the pipeline. Counts are of
/// records; a file is counted once, under what happened to it.
/// </summary>
public sealed class PrunedSetSummary
{
    /// <summary>The destination folder.</summary>
    public string Destination { get; init; } = "";
    /// <summary>The folder the kept files' relative paths were taken from.</summary>
    public string RelativeTo { get; init; } = "";
    /// <summary>Copy, HardLink or SymbolicLink.</summary>
    public ApplyMode Mode { get; init; }
    /// <summary>The manifest written, or null when none was (-WhatIf, a run that stopped).</summary>
    public string? Manifest { get; set; }
    /// <summary>Which apply into the destination this run's manifest records: 1 for manifest.csv, n for manifest.n.csv (Export-PrunedSet -Increment).</summary>
    public int Increment { get; set; } = 1;
    /// <summary>Records received with a Path.</summary>
    public int Records { get; set; }
    /// <summary>Records kept by the decision.</summary>
    public int Kept { get; set; }
    /// <summary>Records pruned by the decision: listed in the manifest, not written.</summary>
    public int Pruned { get; set; }
    /// <summary>Kept files copied this run.</summary>
    public int Copied { get; set; }
    /// <summary>Kept files hard- or symbolically linked this run.</summary>
    public int Linked { get; set; }
    /// <summary>Kept files already identical at their target, left as they were.</summary>
    public int Skipped { get; set; }
    /// <summary>Kept files that could not be written (each reported as an error), plus inputs without a Path.</summary>
    public int Failed { get; set; }
    /// <summary>Kept files not written because of -WhatIf, a declined -Confirm, -ManifestOnly or a run that stopped early.</summary>
    public int NotWritten { get; set; }
    /// <summary>Leftover temporary files of an interrupted run removed before starting.</summary>
    public int TemporaryFilesRemoved { get; set; }
    /// <summary>Files under the destination that this decision does not place (left by an earlier, different decision): warned about, never deleted.</summary>
    public int Unlisted { get; set; }
    /// <summary>Bytes copied this run (links copy none).</summary>
    public long BytesCopied { get; set; }
    /// <summary>True when the run ended before every file was handled (a full disk).</summary>
    public bool Stopped { get; set; }
    /// <summary>Wall-clock time of the run.</summary>
    public TimeSpan Elapsed { get; set; }

    public override string ToString()
        => $"{Copied} copied, {Linked} linked, {Skipped} skipped, {Failed} failed, {Pruned} pruned" + (NotWritten > 0 ? $", {NotWritten} not written" : "") + (Unlisted > 0 ? $", {Unlisted} unlisted" : "");
}

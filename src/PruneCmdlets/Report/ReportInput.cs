using PruneCmdlets.Clustering;
using PruneCmdlets.Probing;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Report;

/// <summary>One decided record as the report sees it: only what it shows.</summary>
public sealed class ReportRecord
{
    public required string Id { get; init; }
    public string? Path { get; init; }
    public string? Label { get; init; }
    public int? Cluster { get; init; }
    public double? Distance { get; init; }
    public bool Kept { get; init; }
    public string? Reason { get; init; }
    public string? DuplicateOf { get; init; }
    public double? Similarity { get; init; }
    /// <summary>Get-TextEmbedding's preview, shown in place of a thumbnail for a text record.</summary>
    public string? Text { get; init; }
    /// <summary>The embedding, for the 2-D map; empty when the record has none (a manifest row).</summary>
    public ReadOnlyMemory<float> Vector { get; init; }
    /// <summary>Find-DataIssue's findings (null when the record was never checked).</summary>
    public string[]? Issues { get; init; }
    public string? IssueReason { get; init; }
    public double? LabelQuality { get; init; }
    public string? SuggestedLabel { get; init; }
    public double? OutlierScore { get; init; }
    public string? LeakOf { get; init; }
    public double? LeakSimilarity { get; init; }

    internal bool Has(string issue) => Issues is { } i && Array.IndexOf(i, issue) >= 0;
}

/// <summary>Every knob of the report in one place, with the defaults the help documents.</summary>
public sealed class ReportOptions
{
    public string Title { get; set; } = "Pruning report";
    /// <summary>Thumbnails per gallery row (most prototypical, each side of the cut, hardest).</summary>
    public int ThumbnailsPerSection { get; set; } = 6;
    /// <summary>Clusters (or classes) that get galleries, the largest first.</summary>
    public int MaxGalleries { get; set; } = 12;
    public int MaxDuplicateGroups { get; set; } = 20;
    /// <summary>Members shown per duplicate group, the keeper included.</summary>
    public int MaxDuplicateMembers { get; set; } = 6;
    /// <summary>Records drawn on the 2-D map (an even sample of the input when there are more).</summary>
    public int MapPoints { get; set; } = 2000;
    /// <summary>Rows of the kept-share table: the classes (or clusters) below the floor, then the largest.</summary>
    public int MaxClasses { get; set; } = 100;
    /// <summary>Per-class distance histograms (the largest classes).</summary>
    public int MaxClassPlots { get; set; } = 24;
    /// <summary>Rows of the issues-per-class table and classes of the noise matrix, at most.</summary>
    public int MaxIssueClasses { get; set; } = 30;
    public int ThumbnailSize { get; set; } = 112;
    /// <summary>A class whose kept share falls below this is flagged; null: half the overall kept share.</summary>
    public double? Floor { get; set; }
    public int MaxThreads { get; set; } = Environment.ProcessorCount;

    public string ModuleVersion { get; set; } = "";
    public DateTimeOffset Generated { get; set; } = DateTimeOffset.Now;
    /// <summary>The one-line pipeline that reproduces the decision; built from the records when null.</summary>
    public string? Pipeline { get; set; }
    /// <summary>The model that made the embeddings and its SHA-256, when known.</summary>
    public string? Model { get; set; }
    public string? ModelHash { get; set; }

    public void Validate()
    {
        if (ThumbnailsPerSection < 0 || ThumbnailsPerSection > 100) throw new ArgumentOutOfRangeException(nameof(ThumbnailsPerSection), ThumbnailsPerSection, "ThumbnailsPerSection must be 0 to 100.");
        if (MaxGalleries < 0 || MaxDuplicateGroups < 0 || MapPoints < 0 || MaxClassPlots < 0) throw new ArgumentOutOfRangeException(nameof(MaxGalleries), "Section limits cannot be negative.");
        if (MaxClasses < 1) throw new ArgumentOutOfRangeException(nameof(MaxClasses), MaxClasses, "MaxClasses must be at least 1.");
        if (Floor is { } f && !(f >= 0 && f <= 1)) throw new ArgumentOutOfRangeException(nameof(Floor), f, "Floor is a kept share between 0 and 1.");
    }
}

/// <summary>Everything one report is drawn from.</summary>
public sealed class ReportInput
{
    public required IReadOnlyList<ReportRecord> Records { get; init; }
    /// <summary>The k-means model the records were clustered with, for the diagnostics section.</summary>
    public KMeansModel? KMeans { get; init; }
    /// <summary>The Select-PrunedSet run that decided them: policy, groups and cuts.</summary>
    public SelectionOutcome? Selection { get; init; }
    public IReadOnlyList<ProbeResult>? Probe { get; init; }
    public PruningRecommendation? Recommendation { get; init; }
    public SelectionStability? Stability { get; init; }
    /// <summary>The Invoke-SemDeDup run the records went through (null when none did, or rows that do not say).</summary>
    public PruneCmdlets.Dedup.SemDeDupRun? SemDeDup { get; init; }
    /// <summary>The Find-DataIssue run the records were checked by, for the data-issues section.</summary>
    public PruneCmdlets.Issues.DataIssueSummary? DataIssues { get; init; }
}

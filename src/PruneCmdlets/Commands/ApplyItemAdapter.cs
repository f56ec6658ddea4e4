using System.Globalization;
using System.Management.Automation;
using PruneCmdlets.Apply;

namespace PruneCmdlets.Commands;

/// <summary>
/// Reads a pruning decision from whatever is piped in: EmbeddingRecords as they are, and any other
/// object by property name (Import-Csv rows of a saved manifest, PSCustomObjects, FileInfo from
/// Get-ChildItem through its FullName), so a saved decision can be re-applied. Every field is read
/// by the rules of <see cref="PipelineRecordReader"/>: a missing Kept is kept, one that is neither
/// True nor False is refused.
/// </summary>
internal static class ApplyItemAdapter
{
    /// <summary>The item, or null with <paramref name="problem"/> set when the input cannot be applied.</summary>
    public static ApplyItem? TryAdapt(PSObject input, Func<string, string> resolvePath, out string? problem)
    {
        problem = null;
        if (input.BaseObject is EmbeddingRecord r)
        {
            if (string.IsNullOrEmpty(r.Path)) { problem = $"Record '{r.Id}' has no Path, so there is no file to place; records imported from an array have none."; return null; }
            return new ApplyItem(r.Id, resolvePath(r.Path), PipelineRecordReader.IsKept(r.Kept), r.Label, r.Cluster, r.Distance, r.Percentile, r.DuplicateOf, r.Similarity, r.Reason, Model: r.Model,
                Issues: r.Issues is null ? null : string.Join(";", r.Issues), LabelQuality: r.LabelQuality, SuggestedLabel: r.SuggestedLabel, OutlierScore: r.OutlierScore, LeakOf: r.LeakOf);
        }
        var read = new PipelineRecordReader(input);
        string? path = read.Path;
        string? id = read.Text("Id");
        if (path is null) { problem = $"The input '{id ?? Describe(input)}' has no Path (or FullName) property, so there is no file to place."; return null; }
        bool? decided = read.Kept(out string? notADecision);
        if (notADecision is not null)
        {
            problem = PipelineRecordReader.NotADecision(notADecision, id ?? path);
            return null;
        }
        long? size = null;
        if (read.Text("Size") is string s)
        {
            if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) { problem = $"The Size value '{s}' of '{id ?? path}' is not a whole number of bytes."; return null; }
            size = v;
        }
        var sha = read.Text("Sha256");
        if (sha is not null && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
        {
            problem = $"The Sha256 value '{sha}' of '{id ?? path}' is not 64 hexadecimal digits.";
            return null;
        }
        var full = resolvePath(path);
        return new ApplyItem(id ?? full, full, PipelineRecordReader.IsKept(decided), read.Text("Label"), read.Whole("Cluster"), read.Number("Distance"),
            read.Number("Percentile"), read.Text("DuplicateOf"), read.Number("Similarity"), read.Text("Reason"), size, sha, read.Text("Model"),
            read.Names("Issues") is { } issues ? string.Join(";", issues) : null, read.Number("LabelQuality"), read.Text("SuggestedLabel"), read.Number("OutlierScore"), read.Text("LeakOf"),
            read.Text("Override"));
    }

    private static string Describe(PSObject o)
    {
        var s = o.BaseObject?.ToString();
        return string.IsNullOrEmpty(s) ? "(null)" : (s.Length > 80 ? s[..80] + "…" : s);
    }
}

using System.Globalization;
using System.Management.Automation;
using PruneCmdlets.Apply;

namespace PruneCmdlets.Commands;

/// <summary>
/// Reads a pruning decision from whatever is piped in: EmbeddingRecords as they are, and any other
/// object by property name (Import-Csv rows of a saved manifest, PSCustomObjects, FileInfo from
/// Get-ChildItem through its FullName), so a saved decision can be re-applied. Import-Csv gives
/// every value as a string: empty means absent, and Kept is read as True/False.
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
            return new ApplyItem(r.Id, resolvePath(r.Path), r.Kept ?? true, r.Label, r.Cluster, r.Distance, r.Percentile, r.DuplicateOf, r.Similarity, r.Reason, Model: r.Model,
                Issues: r.Issues is null ? null : string.Join(";", r.Issues), LabelQuality: r.LabelQuality, SuggestedLabel: r.SuggestedLabel, OutlierScore: r.OutlierScore, LeakOf: r.LeakOf);
        }
        string? path = Text(input, "Path") ?? Text(input, "FullName");
        string? id = Text(input, "Id");
        if (path is null) { problem = $"The input '{id ?? Describe(input)}' has no Path (or FullName) property, so there is no file to place."; return null; }
        bool kept = true;
        var keptText = Text(input, "Kept");
        if (keptText is not null && !bool.TryParse(keptText, out kept))
        {
            problem = $"The Kept value '{keptText}' of '{id ?? path}' is neither True nor False.";
            return null;
        }
        long? size = null;
        if (Text(input, "Size") is string s)
        {
            if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) { problem = $"The Size value '{s}' of '{id ?? path}' is not a whole number of bytes."; return null; }
            size = v;
        }
        var sha = Text(input, "Sha256");
        if (sha is not null && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
        {
            problem = $"The Sha256 value '{sha}' of '{id ?? path}' is not 64 hexadecimal digits.";
            return null;
        }
        var full = resolvePath(path);
        return new ApplyItem(id ?? full, full, kept, Text(input, "Label"), (int?)Number(input, "Cluster"), Number(input, "Distance"),
            Number(input, "Percentile"), Text(input, "DuplicateOf"), Number(input, "Similarity"), Text(input, "Reason"), size, sha, Text(input, "Model"),
            Text(input, "Issues"), Number(input, "LabelQuality"), Text(input, "SuggestedLabel"), Number(input, "OutlierScore"), Text(input, "LeakOf"),
            Text(input, "Override"));
    }

    private static string? Text(PSObject o, string name)
    {
        var v = o.Properties[name]?.Value;
        if (v is PSObject p) v = p.BaseObject;
        var s = v switch { null => null, bool b => b ? "True" : "False", IFormattable f => f.ToString(null, CultureInfo.InvariantCulture), _ => v.ToString() };
        return string.IsNullOrEmpty(s) ? null : s;
    }

    private static double? Number(PSObject o, string name)
        => Text(o, name) is string s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static string Describe(PSObject o)
    {
        var s = o.BaseObject?.ToString();
        return string.IsNullOrEmpty(s) ? "(null)" : (s.Length > 80 ? s[..80] + "…" : s);
    }
}

using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>
/// Accepts anything with a numeric <c>Vector</c> property: our own records pass straight
/// through; other objects (Import-Csv rows turned into arrays, PSCustomObjects from user code,
/// <c>Select-Object</c> copies of records) become records that keep every annotation the object
/// carries under the record's own property names: Id, Path, Label, Model, Cluster, Distance,
/// Percentile, Prototype, Kept, Reason, DuplicateOf, Similarity, Text, TokenCount,
/// TruncatedTokens, Issues, LabelQuality, SuggestedLabel, OutlierScore, LeakOf and
/// KMeansModelFingerprint, as a manifest file's columns come back (StoredAnnotations). So an
/// earlier stage's decision survives a round trip through a file or a script: Select-PrunedSet
/// passes a row with Kept False on as pruned, with its Reason. Import-Csv gives every value as a
/// string: empty means absent, numbers are read in the invariant culture, Kept as True or False
/// (anything else is absent), and Issues as names separated by ";".
/// </summary>
internal static class RecordAdapter
{
    public static EmbeddingRecord? TryAdapt(PSObject? input, int fallbackIndex)
    {
        if (input is null) return null;
        if (input.BaseObject is EmbeddingRecord r) return r;
        var vector = ToFloatArray(input.Properties["Vector"]?.Value);
        if (vector is null) return null;
        string? Text(string name) => Unwrap(input.Properties[name]?.Value) switch
        {
            null => null,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var v => v.ToString() is { Length: > 0 } s ? s : null,
        };
        double? Number(string name) => ToNumber(input.Properties[name]?.Value);
        int? Whole(string name) => Number(name) is double d ? (int)d : null;
        var stored = new StoredAnnotations(
            Path: Text("Path"), Cluster: Whole("Cluster"), Distance: Number("Distance"), Percentile: Number("Percentile"), Prototype: Text("Prototype"),
            Kept: ToBool(input.Properties["Kept"]?.Value), Reason: Text("Reason"), DuplicateOf: Text("DuplicateOf"), Similarity: Number("Similarity"),
            Text: Text("Text"), TokenCount: Whole("TokenCount"), TruncatedTokens: Whole("TruncatedTokens"),
            Issues: ToNames(input.Properties["Issues"]?.Value), LabelQuality: Number("LabelQuality"), SuggestedLabel: Text("SuggestedLabel"),
            OutlierScore: Number("OutlierScore"), LeakOf: Text("LeakOf"), KMeansModel: Text("KMeansModelFingerprint"));
        return EmbeddingRecord.Restored(Text("Id") ?? fallbackIndex.ToString(CultureInfo.InvariantCulture), Text("Label"), vector, Text("Model"), stored);
    }

    private static object? Unwrap(object? value) => value is PSObject p ? p.BaseObject : value;

    private static bool? ToBool(object? value) => Unwrap(value) switch
    {
        bool b => b,
        string s when bool.TryParse(s, out var parsed) => parsed,
        _ => null,
    };

    /// <summary>Issue names: an array as it is, or a string of names separated by ";" (a manifest's column); empty is absent.</summary>
    private static string[]? ToNames(object? value) => Unwrap(value) switch
    {
        string { Length: 0 } => null,
        string s => s.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        IEnumerable e => e.Cast<object?>().Select(x => Unwrap(x)?.ToString()).Where(x => !string.IsNullOrEmpty(x)).ToArray()!,
        _ => null,
    };

    private static double? ToNumber(object? value)
    {
        if (value is PSObject p) value = p.BaseObject;
        if (value is null || value is string { Length: 0 }) return null;
        try { return Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException) { return null; }
    }

    private static float[]? ToFloatArray(object? value)
    {
        if (value is PSObject p) value = p.BaseObject;
        switch (value)
        {
            case float[] f: return f;
            case double[] d: return Array.ConvertAll(d, x => (float)x);
            case string: return null;
            case IEnumerable e:
                var list = new List<float>();
                foreach (var item in e)
                {
                    var v = item is PSObject ip ? ip.BaseObject : item;
                    try { list.Add(Convert.ToSingle(v, System.Globalization.CultureInfo.InvariantCulture)); }
                    catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException) { return null; }
                }
                return list.Count == 0 ? null : list.ToArray();
            default: return null;
        }
    }
}

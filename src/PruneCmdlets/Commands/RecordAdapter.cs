using System.Collections;
using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>
/// Accepts anything with a numeric <c>Vector</c> property: our own records pass straight
/// through; other objects (Import-Csv rows turned into arrays, PSCustomObjects from user code)
/// become records, keeping their Id, Path and Label properties where they have them.
/// </summary>
internal static class RecordAdapter
{
    public static EmbeddingRecord? TryAdapt(PSObject? input, int fallbackIndex)
    {
        if (input is null) return null;
        if (input.BaseObject is EmbeddingRecord r) return r;
        var vectorValue = input.Properties["Vector"]?.Value;
        var vector = ToFloatArray(vectorValue);
        if (vector is null) return null;
        string id = input.Properties["Id"]?.Value?.ToString() ?? fallbackIndex.ToString();
        var record = new EmbeddingRecord(id, input.Properties["Path"]?.Value?.ToString(), input.Properties["Label"]?.Value?.ToString(),
            vector, input.Properties["Model"]?.Value?.ToString());
        // Scores survive a round trip through PSCustomObject or Import-Csv-style objects.
        int? cluster = ToNumber(input.Properties["Cluster"]?.Value) is double c ? (int)c : null;
        double? distance = ToNumber(input.Properties["Distance"]?.Value);
        if (cluster is null && distance is null) return record;
        return record.WithAnnotations(cluster, null, distance, ToNumber(input.Properties["Percentile"]?.Value),
            input.Properties["Prototype"]?.Value?.ToString());
    }

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

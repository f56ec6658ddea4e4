using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>
/// The one reader of a record's fields from any piped object (Import-Csv rows of a manifest,
/// PSCustomObjects, Select-Object copies, FileInfo): RecordAdapter, ApplyItemAdapter and
/// Export-PruneReport read through it, so each field has one rule whatever cmdlet reads it.
/// Import-Csv gives every value as a string, so text is the common shape:
/// <list type="bullet">
/// <item>Text: empty or missing is absent; numbers are written in the invariant culture, a bool as True/False.</item>
/// <item>Numbers: numeric values as they are; text parsed in the invariant culture; anything else is absent.</item>
/// <item>Path: the Path property, else FullName (Get-ChildItem output).</item>
/// <item>Issues: an array of names, or one string of names separated by ";".</item>
/// <item>Kept: a bool, or the text True or False in any case; missing or empty means the object
/// carries no decision, which Export-PrunedSet and Export-PruneReport both read as kept
/// (<see cref="IsKept"/>); any other value is not a decision, and those two refuse the object.</item>
/// </list>
/// </summary>
internal readonly struct PipelineRecordReader(PSObject input)
{
    /// <summary>
    /// The rule for a record without a decision, for both cmdlets that act on decisions: kept. A
    /// piped object is one the user passed on (a file list, Select-PrunedSet's kept records), and
    /// keeping is the reading that never loses a file; the report warns when it shows such records.
    /// </summary>
    public static bool IsKept(bool? kept) => kept ?? true;

    public static string NotADecision(string value, string who) => $"The Kept value '{value}' of '{who}' is neither True nor False.";

    public object? Value(string name) => Unwrap(input.Properties[name]?.Value);

    public string? Text(string name) => Value(name) switch
    {
        null => null,
        bool b => b ? "True" : "False",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var v => v.ToString(),
    } is { Length: > 0 } s ? s : null;

    public double? Number(string name)
    {
        switch (Value(name))
        {
            case null or bool or char: return null;
            case string s: return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
            case IConvertible c:
                try { return c.ToDouble(CultureInfo.InvariantCulture); }
                catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException) { return null; }
            default: return null;
        }
    }

    public int? Whole(string name) => Number(name) is double d ? (int)d : null;

    public string? Path => Text("Path") ?? Text("FullName");

    /// <summary>Names: an array as it is, or a string of names separated by ";" (a manifest's column); empty is absent.</summary>
    public string[]? Names(string name) => Value(name) switch
    {
        string s => s.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } names ? names : null,
        IEnumerable e => e.Cast<object?>().Select(x => Unwrap(x)?.ToString()).Where(x => !string.IsNullOrEmpty(x)).ToArray()! is { Length: > 0 } names ? names : null,
        _ => null,
    };

    /// <summary>True or False; null when there is no decision, and then <paramref name="invalid"/> holds a value that is not one.</summary>
    public bool? Kept(out string? invalid)
    {
        invalid = null;
        var value = Value("Kept");
        if (value is bool b) return b;
        var text = Text("Kept");
        if (text is null) return null;
        if (bool.TryParse(text, out var parsed)) return parsed;
        invalid = text;
        return null;
    }

    /// <summary>The Vector property as floats: a float or double array, or any list of numbers; null when absent or not numeric.</summary>
    public float[]? Vector()
    {
        switch (Value("Vector"))
        {
            case float[] f: return f;
            case double[] d: return Array.ConvertAll(d, x => (float)x);
            case string: return null;
            case IEnumerable e:
                var list = new List<float>();
                foreach (var item in e)
                {
                    try { list.Add(Convert.ToSingle(Unwrap(item), CultureInfo.InvariantCulture)); }
                    catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException) { return null; }
                }
                return list.Count == 0 ? null : list.ToArray();
            default: return null;
        }
    }

    private static object? Unwrap(object? value) => value is PSObject p ? p.BaseObject : value;
}

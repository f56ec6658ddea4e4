using System.Globalization;
using System.Text;

namespace PruneCmdlets.Apply;

/// <summary>One line of manifest.csv: a record's decision and, for kept files, where it now is.</summary>
internal sealed record ManifestRow(ApplyItem Item, string? Destination, long? Size, string? Sha256);

/// <summary>
/// Writes manifest.csv: RFC 4180 (every field quoted, quotes doubled, CRLF line ends, UTF-8 without
/// a byte-order mark), so names with commas, quotes, line breaks, accents or emoji survive and
/// Import-Csv reads every record back with the same property names EmbeddingRecord has, which is
/// what lets <c>Import-Csv manifest.csv | Export-PrunedSet</c> re-apply a saved decision (Model
/// last, so the re-applied run's prune.json still names the model and its hash).
/// Values are written verbatim, never prefixed against spreadsheet formula injection: the file is
/// data for programs, and a changed Id, Path or Label would no longer match its record.
/// </summary>
internal static class ManifestCsv
{
    public const string FileName = "manifest.csv";

    public static readonly string[] Columns =
        { "Id", "Path", "Destination", "Size", "Sha256", "Label", "Cluster", "Distance", "Percentile", "DuplicateOf", "Similarity", "Kept", "Reason", "Model",
          "Issues", "LabelQuality", "SuggestedLabel", "OutlierScore", "LeakOf",
          // Last, so the columns before keep their places: the SHA-256 of the overrides file that set this row's decision.
          "Override" };

    public static void Write(Stream stream, IEnumerable<ManifestRow> rows)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        WriteLine(writer, Columns);
        foreach (var r in rows)
        {
            var i = r.Item;
            WriteLine(writer, new[]
            {
                i.Id, i.Path, r.Destination, Number(r.Size), r.Sha256, i.Label, Number(i.Cluster), Number(i.Distance),
                Number(i.Percentile), i.DuplicateOf, Number(i.Similarity), i.Kept ? "True" : "False", i.Reason, i.Model,
                i.Issues, Number(i.LabelQuality), i.SuggestedLabel, Number(i.OutlierScore), i.LeakOf, i.Override,
            });
        }
    }

    private static void WriteLine(TextWriter writer, IReadOnlyList<string?> fields)
    {
        for (int f = 0; f < fields.Count; f++)
        {
            if (f > 0) writer.Write(',');
            writer.Write('"');
            writer.Write((fields[f] ?? "").Replace("\"", "\"\""));
            writer.Write('"');
        }
        writer.Write("\r\n");
    }

    private static string? Number(long? v) => v?.ToString(CultureInfo.InvariantCulture);
    private static string? Number(int? v) => v?.ToString(CultureInfo.InvariantCulture);
    // "R" round-trips: re-applying a manifest gives back the very same doubles.
    private static string? Number(double? v) => v?.ToString("R", CultureInfo.InvariantCulture);
}

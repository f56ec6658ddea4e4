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
/// string; every field is read by the rules of <see cref="PipelineRecordReader"/> (a Kept that is
/// neither True nor False is read as no decision here).
/// </summary>
internal static class RecordAdapter
{
    /// <summary>
    /// Adds one pipeline input to a cmdlet's records as it arrives; an input that is not a record
    /// is reported (MissingVector) and the pipeline goes on. <paramref name="seen"/> counts the
    /// inputs, so a row without an Id is named by its place in the input.
    /// </summary>
    public static void AddTo(List<EmbeddingRecord> records, PSObject? input, ref int seen, PSCmdlet cmdlet)
    {
        if (input is null) return;
        var r = TryAdapt(input, seen++);
        if (r is null) { cmdlet.WriteError(ErrorHelper.MissingVector(input)); return; }
        records.Add(r);
    }

    public static EmbeddingRecord? TryAdapt(PSObject? input, int fallbackIndex)
    {
        if (input is null) return null;
        if (input.BaseObject is EmbeddingRecord r) return r;
        var read = new PipelineRecordReader(input);
        var vector = read.Vector();
        if (vector is null) return null;
        // A Kept that is not a decision counts as none here: the aggregating cmdlets decide again.
        var stored = new StoredAnnotations(
            Path: read.Path, Cluster: read.Whole("Cluster"), Distance: read.Number("Distance"), Percentile: read.Number("Percentile"), Prototype: read.Text("Prototype"),
            Kept: read.Kept(out _), Reason: read.Text("Reason"), DuplicateOf: read.Text("DuplicateOf"), Similarity: read.Number("Similarity"),
            Text: read.Text("Text"), TokenCount: read.Whole("TokenCount"), TruncatedTokens: read.Whole("TruncatedTokens"),
            Issues: read.Names("Issues"), LabelQuality: read.Number("LabelQuality"), SuggestedLabel: read.Text("SuggestedLabel"),
            OutlierScore: read.Number("OutlierScore"), LeakOf: read.Text("LeakOf"), KMeansModel: read.Text("KMeansModelFingerprint"));
        return EmbeddingRecord.Restored(read.Text("Id") ?? fallbackIndex.ToString(CultureInfo.InvariantCulture), read.Text("Label"), vector, read.Text("Model"), stored);
    }
}

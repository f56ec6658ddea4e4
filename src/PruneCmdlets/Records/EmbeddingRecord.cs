using PruneCmdlets.Clustering;

namespace PruneCmdlets;

/// <summary>
/// One sample as it travels through the pipeline: where it came from, its label, its embedding,
/// and what each stage learnt about it. Stages never mutate a record they received; they emit a
/// copy (sharing the vector) so a user's earlier variables keep their values.
/// </summary>
public sealed class EmbeddingRecord
{
    public EmbeddingRecord(string id, string? path, string? label, float[] vector, string? model)
    {
        _id = id ?? throw new ArgumentNullException(nameof(id));
        Path = path;
        Label = label;
        _vector = vector ?? throw new ArgumentNullException(nameof(vector));
        _block = vector;
        Dimension = vector.Length;
        Model = model;
    }

    /// <summary>
    /// A record whose vector is row <paramref name="offset"/>/D of a block of rows read together
    /// (Import-Embedding; the block may be a mapping of the file). Hundreds of thousands of
    /// records then cost no per-row arrays: the cmdlets read the row in place, and only a user
    /// who asks for <see cref="Vector"/> gets a copy. The block lives as long as any record of
    /// it does. The caller has checked that the row holds no NaN or infinity. Without an
    /// <paramref name="id"/> the Id is the <paramref name="row"/> number, written out only when
    /// asked for: most records of a large file are never shown.
    /// </summary>
    internal EmbeddingRecord(string? id, int row, string? label, ReadOnlyMemory<float> block, int offset, int dimension, string? model)
    {
        _id = id;
        _row = row;
        Label = label;
        _block = block;
        _offset = offset;
        Dimension = dimension;
        Model = model;
        _blockRow = true;
    }

    /// <summary>A block row (as above) with the annotations a manifest file stored for it.</summary>
    internal static EmbeddingRecord Restored(string? id, int row, string? label, ReadOnlyMemory<float> block, int offset, int dimension, string? model, in StoredAnnotations stored)
        => new EmbeddingRecord(id, row, label, block, offset, dimension, model)
            { Text = stored.Text, TokenCount = stored.TokenCount, TruncatedTokens = stored.TruncatedTokens }.Annotated(stored);

    /// <summary>A record of its own vector (a PSCustomObject or Import-Csv row, see RecordAdapter) with the annotations it carried.</summary>
    internal static EmbeddingRecord Restored(string id, string? label, float[] vector, string? model, in StoredAnnotations stored)
        => new EmbeddingRecord(id, null, label, vector, model)
            { Text = stored.Text, TokenCount = stored.TokenCount, TruncatedTokens = stored.TruncatedTokens }.Annotated(stored);

    // Part of making a record (only the factories above call it): every other annotation a file or row stored.
    private EmbeddingRecord Annotated(in StoredAnnotations stored)
    {
        Path = stored.Path;
        Cluster = stored.Cluster;
        Distance = stored.Distance;
        Percentile = stored.Percentile;
        Prototype = stored.Prototype;
        Kept = stored.Kept;
        Reason = stored.Reason;
        DuplicateOf = stored.DuplicateOf;
        Similarity = stored.Similarity;
        Issues = stored.Issues;
        LabelQuality = stored.LabelQuality;
        SuggestedLabel = stored.SuggestedLabel;
        OutlierScore = stored.OutlierScore;
        LeakOf = stored.LeakOf;
        _storedKMeansFingerprint = stored.KMeansModel;
        return this;
    }

    private readonly ReadOnlyMemory<float> _block;
    private readonly int _offset, _row;
    private string? _id;
    private readonly bool _blockRow;
    private float[]? _vector;

    /// <summary>Stable identity: the full path for files, the row index for imported arrays.</summary>
    public string Id => _id ??= _row.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The source file, when there is one.</summary>
    public string? Path { get; private set; }

    /// <summary>Class label, or null when unlabelled.</summary>
    public string? Label { get; }

    /// <summary>The embedding. Treat as read-only: copies of a record share it.</summary>
    public float[] Vector
    {
        get
        {
            if (_vector is null)
            {
                PruneCmdlets.IO.MappedFloats.EnsureUnchanged(_block); // a rewritten file no longer holds this row
                Interlocked.CompareExchange(ref _vector, _block.Span.Slice(_offset, Dimension).ToArray(), null);
            }
            return _vector!;
        }
    }

    /// <summary>Length of the embedding.</summary>
    public int Dimension { get; }

    /// <summary>The embedding without a copy, wherever it lives: what the cmdlets read.</summary>
    internal ReadOnlyMemory<float> VectorMemory => ReadsBlock ? _block.Slice(_offset, Dimension) : _vector;

    // A block row whose Vector a user has asked for now lives in that copy, which the user may
    // have changed: from then on the copy, not the block, is the vector. (A record made from
    // an array has that array as its block.)
    private bool ReadsBlock => !_blockRow || _vector is null;

    /// <summary>True when the vector is the row starting at <paramref name="offset"/> of <paramref name="block"/>.</summary>
    internal bool IsRowOf(ReadOnlyMemory<float> block, int offset) => _block.Equals(block) && _offset == offset && ReadsBlock;

    /// <summary>The vector was checked for NaN and infinity when it was read, so no stage checks again.</summary>
    internal bool KnownFinite => _blockRow && _vector is null;

    /// <summary>The memory the vector lives in (a block of rows, or the vector itself).</summary>
    internal ReadOnlyMemory<float> Block => _block;

    /// <summary>Name of the model that produced the vector.</summary>
    public string? Model { get; }

    /// <summary>Get-TextEmbedding: the start of the text (the whole text with -IncludeText); null for other sources.</summary>
    public string? Text { get; internal init; }

    /// <summary>Get-TextEmbedding: word pieces the model saw, [CLS] and [SEP] included.</summary>
    public int? TokenCount { get; internal init; }

    /// <summary>Get-TextEmbedding: word pieces cut off the end of the text by the model's maximum length (0 when it all fitted).</summary>
    public int? TruncatedTokens { get; internal init; }

    /// <summary>Nearest k-means centroid, set by Invoke-KMeans.</summary>
    public int? Cluster { get; private set; }

    /// <summary>The fitted k-means model this record was assigned with.</summary>
    public KMeansModel? KMeansModel { get; private set; }

    // A record read back from a manifest (Parquet) has no centroids, only the fingerprint of
    // the model it was scored with: kept so that its shard's summary still names that model.
    private string? _storedKMeansFingerprint;

    /// <summary>
    /// The <see cref="Clustering.KMeansModel.Fingerprint"/> of the model this record's Cluster and
    /// Distance come from: its <see cref="KMeansModel"/>'s, or, for a record imported from
    /// Parquet, the one stored with it. Null when the record was not assigned against a model.
    /// </summary>
    public string? KMeansModelFingerprint => KMeansModel?.Fingerprint ?? _storedKMeansFingerprint;

    /// <summary>Distance to the record's prototype, set by Measure-Prototypicality: larger is harder.</summary>
    public double? Distance { get; private set; }

    /// <summary>Rank of Distance in [0,1]: 0 is the most prototypical record of the set.</summary>
    public double? Percentile { get; private set; }

    /// <summary>What the distance was measured against: "Cluster" or "Label".</summary>
    public string? Prototype { get; private set; }

    /// <summary>The pruning decision, set by Select-PrunedSet and Invoke-SemDeDup: true when the record stays in the data set.</summary>
    public bool? Kept { get; private set; }

    /// <summary>Why the record was kept or pruned, a sentence a person reads (e.g. "pruned: Easy side of the cut, …").</summary>
    public string? Reason { get; private set; }

    /// <summary>Set by Invoke-SemDeDup on every member of a duplicate group: the Id of the member the group keeps (its own Id for the keeper).</summary>
    public string? DuplicateOf { get; private set; }

    /// <summary>Cosine similarity to the group's kept member (1 for the keeper itself), with <see cref="DuplicateOf"/>.</summary>
    public double? Similarity { get; private set; }

    /// <summary>
    /// Set by Find-DataIssue: the stable names of what is wrong with the record (LabelError,
    /// Outlier, Duplicate, Leak); empty when the checks found nothing, null before any check ran.
    /// </summary>
    public string[]? Issues { get; private set; }

    /// <summary>Set by Find-DataIssue with <see cref="Issues"/>: one sentence per issue saying why, joined by "; ".</summary>
    public string? IssueReason { get; private set; }

    /// <summary>Find-DataIssue: the out-of-sample probability of the record's own label (low is suspect; ranks label errors).</summary>
    public double? LabelQuality { get; private set; }

    /// <summary>Find-DataIssue: the label the rest of the data suggests for this record.</summary>
    public string? SuggestedLabel { get; private set; }

    /// <summary>Find-DataIssue: mean cosine distance to the record's nearest neighbours (high is isolated).</summary>
    public double? OutlierScore { get; private set; }

    /// <summary>Find-DataIssue -Reference: the Id of the reference record this one is a copy of.</summary>
    public string? LeakOf { get; private set; }

    /// <summary>Find-DataIssue -Reference: embedding cosine similarity to <see cref="LeakOf"/>.</summary>
    public double? LeakSimilarity { get; private set; }

    /// <summary>Find-DataIssue -Reference: pixel similarity to <see cref="LeakOf"/> where both are image files.</summary>
    public double? LeakPixelSimilarity { get; private set; }

    /// <summary>The Find-DataIssue run that checked this record: its checks, thresholds and findings (shared by every record of the run).</summary>
    public PruneCmdlets.Issues.DataIssueSummary? DataIssues { get; private set; }

    /// <summary>The Invoke-SemDeDup run that checked this record for near-duplicates: its epsilon, keep rule and what it removed (shared by every record of the run).</summary>
    public PruneCmdlets.Dedup.SemDeDupRun? SemDeDup { get; private set; }

    /// <summary>The Select-PrunedSet run that decided this record: its policy, groups, quotas and cuts (shared by every record of the run).</summary>
    public PruneCmdlets.Selection.SelectionOutcome? Selection { get; private set; }

    internal EmbeddingRecord WithCluster(int cluster, KMeansModel model)
    {
        var copy = Copy();
        copy.Cluster = cluster;
        copy.KMeansModel = model;
        copy._storedKMeansFingerprint = null;
        // Scores measured against other centroids no longer describe this record.
        copy.Distance = null;
        copy.Percentile = null;
        copy.Prototype = null;
        return copy;
    }

    /// <summary>The record scored against a cluster centroid (which also fixes its cluster).</summary>
    internal EmbeddingRecord WithScore(double distance, double percentile, string prototype, int cluster, KMeansModel model)
        => WithAnnotations(cluster, model, distance, percentile, prototype);

    internal EmbeddingRecord WithAnnotations(int? cluster, KMeansModel? model, double? distance, double? percentile, string? prototype)
    {
        var copy = Copy();
        copy.Cluster = cluster;
        copy.KMeansModel = model;
        copy._storedKMeansFingerprint = null;
        copy.Distance = distance;
        copy.Percentile = percentile;
        copy.Prototype = prototype;
        return copy;
    }

    /// <summary>The record with a pruning decision; earlier stages' annotations stay.</summary>
    internal EmbeddingRecord WithDecision(bool kept, string reason, PruneCmdlets.Selection.SelectionOutcome? selection = null)
    {
        var copy = Copy();
        copy.Kept = kept;
        copy.Reason = reason;
        if (selection is not null) copy.Selection = selection;
        return copy;
    }

    /// <summary>The record as Invoke-SemDeDup decided it, outside any duplicate group (or, through <see cref="WithDuplicate"/>, in one).</summary>
    internal EmbeddingRecord WithDeduplication(bool kept, string reason, PruneCmdlets.Dedup.SemDeDupRun? run = null)
    {
        var copy = WithDecision(kept, reason);
        if (run is not null) copy.SemDeDup = run;
        return copy;
    }

    /// <summary>The record as a member of a duplicate group kept as <paramref name="keeperId"/>, with its decision.</summary>
    internal EmbeddingRecord WithDuplicate(string keeperId, double similarity, bool kept, string reason, PruneCmdlets.Dedup.SemDeDupRun? run = null)
    {
        var copy = WithDeduplication(kept, reason, run);
        copy.DuplicateOf = keeperId;
        copy.Similarity = similarity;
        return copy;
    }

    /// <summary>The record with what Find-DataIssue found; a duplicate group's keeper and members get DuplicateOf and Similarity as Invoke-SemDeDup sets them.</summary>
    internal EmbeddingRecord WithIssues(PruneCmdlets.Issues.RecordIssues found, PruneCmdlets.Issues.DataIssueSummary summary)
    {
        var copy = Copy();
        copy.Issues = found.Issues;
        copy.IssueReason = found.Reason;
        copy._issueSentences = found.Sentences;
        copy.LabelQuality = found.LabelQuality;
        copy.SuggestedLabel = found.SuggestedLabel;
        copy.OutlierScore = found.OutlierScore;
        copy.LeakOf = found.LeakOf;
        copy.LeakSimilarity = found.LeakSimilarity;
        copy.LeakPixelSimilarity = found.LeakPixelSimilarity;
        if (found.DuplicateOf is not null) { copy.DuplicateOf = found.DuplicateOf; copy.Similarity = found.DuplicateSimilarity; }
        copy.DataIssues = summary;
        return copy;
    }

    private string[]? _issueSentences;

    /// <summary>
    /// The shard Select-Shard -Index/-Count passed this record in (index, count), or null. Not
    /// shown and not saved: it lets Find-DataIssue tell that it holds one shard's records and
    /// refuse the checks that are not exact there. Copies keep it.
    /// </summary>
    internal (int Index, int Count)? Shard { get; private set; }

    /// <summary>The record as one shard's (see <see cref="Shard"/>); the record itself is not changed, so the caller's variables still hold unmarked records.</summary>
    internal EmbeddingRecord InShard(int index, int count)
    {
        if (Shard == (index, count)) return this;
        var copy = Copy();
        copy.Shard = (index, count);
        return copy;
    }

    /// <summary>True when the record carries the issue <paramref name="name"/>.</summary>
    internal bool HasIssue(string name) => Issues is { } issues && Array.IndexOf(issues, name) >= 0;

    /// <summary>The sentence that explains issue <paramref name="name"/>, or the name itself when the record came back from a file without sentences.</summary>
    internal string IssueSentence(string name)
    {
        int i = Issues is { } issues ? Array.IndexOf(issues, name) : -1;
        return i >= 0 && _issueSentences is { } s && i < s.Length ? s[i] : name;
    }

    private EmbeddingRecord Copy() => (EmbeddingRecord)MemberwiseClone();

    public override string ToString() => Id;
}

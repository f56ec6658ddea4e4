using System.Management.Automation;
using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Commands;

/// <summary>
/// What every aggregating cmdlet does in ProcessRecord: adapt the input, refuse a bad record
/// with a non-terminating error naming it (the rest go on), and keep the good ones in input order.
/// </summary>
internal sealed class RecordCollector
{
    private readonly PSCmdlet _cmdlet;
    private int _seen;

    public RecordCollector(PSCmdlet cmdlet) => _cmdlet = cmdlet;

    public List<EmbeddingRecord> Records { get; } = new();
    public int Dimension { get; private set; } = -1;

    public void Add(PSObject? input)
    {
        if (input is null) return;
        var record = RecordAdapter.TryAdapt(input, _seen++);
        if (record is null) { _cmdlet.WriteError(ErrorHelper.MissingVector(input)); return; }
        if (Dimension >= 0 && record.Dimension != Dimension)
        {
            _cmdlet.WriteError(ErrorHelper.DimensionMismatch(record, record.Id, record.Dimension, Dimension));
            return;
        }
        if (!record.KnownFinite && !PruneCmdlets.Numerics.VectorMath.AllFinite(record.VectorMemory.Span)) { _cmdlet.WriteError(ErrorHelper.NonFiniteVector(record, record.Id)); return; }
        Dimension = record.Dimension;
        Records.Add(record);
    }

    /// <summary>
    /// Cosine similarity needs a direction: reports every all-zero vector (ZeroVector, naming the
    /// record) and drops it from <see cref="Records"/>, the others staying in input order. For
    /// the commands that compare by cosine only (no -Metric to choose another).
    /// </summary>
    public void DropZeroVectors()
    {
        for (int i = Records.Count - 1; i >= 0; i--)
            if (VectorMath.SquaredNorm(Records[i].VectorMemory.Span) == 0)
            {
                _cmdlet.WriteError(ErrorHelper.ZeroVector(Records[i], Records[i].Id, metricChoice: false));
                Records.RemoveAt(i);
            }
    }

    /// <summary>
    /// The contiguous matrix for <paramref name="metric"/>; records that cannot take part (zero
    /// vectors under Cosine) are reported and dropped from <see cref="Records"/>.
    /// </summary>
    public EmbeddingMatrix BuildMatrix(DistanceMetric metric)
    {
        EnsureSourcesUnchanged(_cmdlet, Records);
        // Import-Embedding of a whole file with nothing dropped: the records are rows 0…N−1 of
        // one block (an array, or the file mapped from the cache), which already is the
        // Euclidean matrix, so no copy of the data is made.
        if (metric == DistanceMetric.Euclidean && Records.Count > 0 && IsWholeBlockPrefix(Records[0].Block))
            return EmbeddingMatrix.Over(Records[0].Block, Records.Count, Dimension);
        var matrix = EmbeddingMatrix.Build(Records.Select(r => r.VectorMemory).ToList(), metric, out var zeroRows);
        foreach (int i in zeroRows) _cmdlet.WriteError(ErrorHelper.ZeroVector(Records[i], Records[i].Id));
        for (int i = zeroRows.Count - 1; i >= 0; i--) Records.RemoveAt(zeroRows[i]);
        return matrix;
    }

    /// <summary>Density-based pruning needs the centroids: every record must carry the same KMeansModel.</summary>
    public static PruneCmdlets.Clustering.KMeansModel SharedModel(PSCmdlet cmdlet, IReadOnlyList<EmbeddingRecord> records)
    {
        PruneCmdlets.Clustering.KMeansModel? model = null;
        foreach (var r in records)
        {
            if (r.KMeansModel is null)
                cmdlet.ThrowTerminatingError(ErrorHelper.Terminating("NoClusterModel", ErrorCategory.InvalidArgument,
                    $"Record '{r.Id}' has no KMeansModel: -BalanceBy Density measures each cluster against its centroid and the other centroids, so pipe the records through Invoke-KMeans (and Measure-Prototypicality) in this session.", r));
            else model ??= r.KMeansModel;
        }
        EnsureOneClustering(cmdlet, records, "select from each model's records separately.");
        return model!;
    }

    /// <summary>
    /// Stops the command with MixedClusterModels unless every record that carries a KMeansModel
    /// carries the same clustering (KMeansModel.SameClustering: two loads of one saved model are
    /// one). With <paramref name="missingDiffers"/>, a record without a model beside records with
    /// one stops it too.
    /// </summary>
    public static void EnsureOneClustering(PSCmdlet cmdlet, IReadOnlyList<EmbeddingRecord> records, string advice, bool missingDiffers = false)
    {
        int i = PruneCmdlets.Clustering.KMeansModel.IndexOfOtherClustering(records.Select(r => r.KMeansModel), missingDiffers);
        if (i >= 0) cmdlet.ThrowTerminatingError(ErrorHelper.MixedClusterModels(records[i], records[i].Id, advice));
    }

    /// <summary>
    /// Stops the command with SourceFileChanged when a file that records were mapped from has
    /// been written to since (see <see cref="PruneCmdlets.IO.MappedFloats"/>): its rows would no
    /// longer be the imported ones, or no longer be there at all. One check per file.
    /// </summary>
    public static void EnsureSourcesUnchanged(PSCmdlet cmdlet, IReadOnlyList<EmbeddingRecord> records)
    {
        ReadOnlyMemory<float> checkedBlock = default;
        foreach (var r in records)
        {
            if (r.Block.Equals(checkedBlock)) continue;
            checkedBlock = r.Block;
            if (PruneCmdlets.IO.MappedFloats.Of(checkedBlock) is { FileChanged: true } mapped)
                cmdlet.ThrowTerminatingError(ErrorHelper.SourceFileChanged(mapped.Path));
        }
    }

    private bool IsWholeBlockPrefix(ReadOnlyMemory<float> block)
    {
        for (int i = 0; i < Records.Count; i++)
            if (!Records[i].IsRowOf(block, i * Dimension)) return false;
        return true;
    }
}

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
        if (Dimension >= 0 && record.Vector.Length != Dimension)
        {
            _cmdlet.WriteError(ErrorHelper.DimensionMismatch(record, record.Id, record.Vector.Length, Dimension));
            return;
        }
        if (!PruneCmdlets.Numerics.VectorMath.AllFinite(record.Vector)) { _cmdlet.WriteError(ErrorHelper.NonFiniteVector(record, record.Id)); return; }
        Dimension = record.Vector.Length;
        Records.Add(record);
    }

    /// <summary>
    /// The contiguous matrix for <paramref name="metric"/>; records that cannot take part (zero
    /// vectors under Cosine) are reported and dropped from <see cref="Records"/>.
    /// </summary>
    public EmbeddingMatrix BuildMatrix(DistanceMetric metric)
    {
        var matrix = EmbeddingMatrix.Build(Records.Select(r => r.Vector).ToList(), metric, out var zeroRows);
        foreach (int i in zeroRows) _cmdlet.WriteError(ErrorHelper.ZeroVector(Records[i], Records[i].Id));
        for (int i = zeroRows.Count - 1; i >= 0; i--) Records.RemoveAt(zeroRows[i]);
        return matrix;
    }
}

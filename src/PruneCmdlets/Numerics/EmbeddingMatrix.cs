using PruneCmdlets.Clustering;

namespace PruneCmdlets.Numerics;

/// <summary>
/// Vectors copied once into one contiguous row-major N×D float buffer, the layout every
/// kernel works on; for Cosine each row is scaled to unit length.
/// </summary>
public sealed class EmbeddingMatrix
{
    private EmbeddingMatrix(float[] data, int n, int d) { Data = data; Rows = n; Dimension = d; }

    public float[] Data { get; }
    public int Rows { get; }
    public int Dimension { get; }

    /// <summary>
    /// Copies the vectors and prepares them for <paramref name="metric"/>. Rows that are all
    /// zero cannot be placed on the unit sphere; for Cosine their indices are returned in
    /// <paramref name="zeroRows"/> and they are left out of the matrix.
    /// </summary>
    public static EmbeddingMatrix Build(IReadOnlyList<float[]> vectors, DistanceMetric metric, out List<int> zeroRows)
    {
        zeroRows = new List<int>();
        int d = vectors.Count == 0 ? 0 : vectors[0].Length;
        if (metric == DistanceMetric.Cosine)
            for (int i = 0; i < vectors.Count; i++)
                if (VectorMath.SquaredNorm(vectors[i]) == 0) zeroRows.Add(i);
        int n = vectors.Count - zeroRows.Count;
        var data = new float[(long)n * d];
        int row = 0, z = 0;
        for (int i = 0; i < vectors.Count; i++)
        {
            if (z < zeroRows.Count && zeroRows[z] == i) { z++; continue; }
            if (vectors[i].Length != d) throw new ArgumentException($"Row {i} has {vectors[i].Length} dimensions, not {d}.");
            vectors[i].CopyTo(data, (long)row * d);
            row++;
        }
        if (metric == DistanceMetric.Cosine) VectorMath.NormalizeRows(data, n, d);
        return new EmbeddingMatrix(data, n, d);
    }
}

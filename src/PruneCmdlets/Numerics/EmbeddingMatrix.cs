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
    /// <summary>
    /// The first <paramref name="n"/> rows of <paramref name="data"/> as the matrix, without a
    /// copy. Every kernel only reads the matrix, so the caller's array stays as it was.
    /// </summary>
    public static EmbeddingMatrix Over(float[] data, int n, int d)
    {
        if ((long)n * d > data.Length) throw new ArgumentException($"{n}×{d} values do not fit in an array of {data.Length}.", nameof(data));
        return new EmbeddingMatrix(data, n, d);
    }

    public static EmbeddingMatrix Build(IReadOnlyList<float[]> vectors, DistanceMetric metric, out List<int> zeroRows)
        => Build(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), metric, out zeroRows);

    /// <inheritdoc cref="Build(IReadOnlyList{float[]}, DistanceMetric, out List{int})"/>
    public static EmbeddingMatrix Build(IReadOnlyList<ReadOnlyMemory<float>> vectors, DistanceMetric metric, out List<int> zeroRows)
    {
        zeroRows = new List<int>();
        int d = vectors.Count == 0 ? 0 : vectors[0].Length;
        for (int i = 0; i < vectors.Count; i++)
            if (vectors[i].Length != d) throw new ArgumentException($"Row {i} has {vectors[i].Length} dimensions, not {d}.");
        if (metric == DistanceMetric.Cosine)
            for (int i = 0; i < vectors.Count; i++)
                if (VectorMath.SquaredNorm(vectors[i].Span) == 0) zeroRows.Add(i);
        int n = vectors.Count - zeroRows.Count;
        // Where each input row lands, so the copy can run in parallel blocks.
        var source = new int[n];
        for (int i = 0, row = 0, z = 0; i < vectors.Count; i++)
        {
            if (z < zeroRows.Count && zeroRows[z] == i) { z++; continue; }
            source[row++] = i;
        }
        var data = LargeArray.Allocate((long)n * d); // every row is copied in
        var rows = vectors;
        Parallel.For(0, (n + 4095) / 4096, b =>
        {
            int end = Math.Min(n, (b + 1) * 4096);
            for (int r = b * 4096; r < end; r++) rows[source[r]].Span.CopyTo(data.AsSpan(r * d, d));
        });
        if (metric == DistanceMetric.Cosine) VectorMath.NormalizeRows(data, n, d);
        return new EmbeddingMatrix(data, n, d);
    }
}

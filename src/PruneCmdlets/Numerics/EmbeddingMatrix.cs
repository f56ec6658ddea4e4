using PruneCmdlets.Clustering;

namespace PruneCmdlets.Numerics;

/// <summary>
/// Vectors as one contiguous row-major N×D float buffer, the layout every kernel works on:
/// copied once (for Cosine each row scaled to unit length), or the rows of a block that already
/// is that buffer (an imported file, possibly mapped from the page cache) without a copy.
/// </summary>
public sealed class EmbeddingMatrix
{
    private EmbeddingMatrix(ReadOnlyMemory<float> data, int n, int d) { Data = data; Rows = n; Dimension = d; }

    /// <summary>The N×D values, read-only: kernels never write to the matrix.</summary>
    public ReadOnlyMemory<float> Data { get; }
    public int Rows { get; }
    public int Dimension { get; }

    /// <summary>
    /// The first <paramref name="n"/> rows of <paramref name="data"/> as the matrix, without a
    /// copy. Every kernel only reads the matrix, so the caller's rows stay as they were.
    /// </summary>
    public static EmbeddingMatrix Over(ReadOnlyMemory<float> data, int n, int d)
    {
        if ((long)n * d > data.Length) throw new ArgumentException($"{n}×{d} values do not fit in an array of {data.Length}.", nameof(data));
        return new EmbeddingMatrix(data, n, d);
    }

    /// <summary>
    /// Copies the vectors and prepares them for <paramref name="metric"/>. Rows that are all
    /// zero cannot be placed on the unit sphere; for Cosine their indices are returned in
    /// <paramref name="zeroRows"/> and they are left out of the matrix.
    /// </summary>
    public static EmbeddingMatrix Build(IReadOnlyList<float[]> vectors, DistanceMetric metric, out List<int> zeroRows)
        => Build(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), metric, out zeroRows);

    /// <inheritdoc cref="Build(IReadOnlyList{float[]}, DistanceMetric, out List{int})"/>
    public static EmbeddingMatrix Build(IReadOnlyList<ReadOnlyMemory<float>> vectors, DistanceMetric metric, out List<int> zeroRows)
    {
        var data = CopyRows(vectors, metric, out zeroRows);
        return new EmbeddingMatrix(data, vectors.Count - zeroRows.Count, vectors.Count == 0 ? 0 : vectors[0].Length);
    }

    /// <summary>
    /// The copy <see cref="Build(IReadOnlyList{ReadOnlyMemory{float}}, DistanceMetric, out List{int})"/>
    /// makes, as the array itself, for code that indexes it (the probe's solver).
    /// </summary>
    public static float[] CopyRows(IReadOnlyList<ReadOnlyMemory<float>> vectors, DistanceMetric metric, out List<int> zeroRows)
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
        return data;
    }
}

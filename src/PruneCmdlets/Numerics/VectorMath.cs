namespace PruneCmdlets.Numerics;

/// <summary>Row-wise helpers over contiguous row-major N×D float buffers.</summary>
public static class VectorMath
{
    /// <summary>
    /// Squared L2 norm of a row, accumulated in double (each square is exact) in the fixed
    /// 16-lane grouping of <see cref="FixedLanes"/>, so every machine gets the same bits.
    /// </summary>
    public static double SquaredNorm(ReadOnlySpan<float> row) => FixedLanes.SumSquares(row);

    /// <summary>
    /// ‖a − b‖² summed in float lanes (grouped as in <see cref="FixedLanes"/>): within
    /// (D + 2)·2⁻²⁴ of the exact figure, relatively, as every term is non-negative. For bounds
    /// that allow for that error.
    /// </summary>
    public static double SquaredDistanceFloat(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => FixedLanes.SumSquaredDifferencesFloat(a, b);

    /// <summary>Squared norms of every row, as floats for the distance kernel.</summary>
    public static float[] RowSquaredNorms(ReadOnlyMemory<float> data, int n, int d) => RowSquaredNorms(data, n, d, out _);

    /// <summary>
    /// Squared norms of every row, and <paramref name="total"/> = Σ‖x‖² in double, summed in
    /// fixed blocks so the thread count never changes it.
    /// </summary>
    public static float[] RowSquaredNorms(ReadOnlyMemory<float> data, int n, int d, out double total)
    {
        var norms = new float[n];
        var blocks = new double[(n + 4095) / 4096];
        Parallel.For(0, blocks.Length, b =>
        {
            int end = Math.Min(n, (b + 1) * 4096);
            double s = 0;
            var rows = data.Span;
            for (int i = b * 4096; i < end; i++)
            {
                double norm = SquaredNorm(rows.Slice(i * d, d));
                norms[i] = (float)norm;
                s += norm;
            }
            blocks[b] = s;
        });
        total = 0;
        foreach (double s in blocks) total += s;
        return norms;
    }

    /// <summary>
    /// Scales every row to unit length in place. Returns the index of the first zero row, or -1:
    /// a zero vector has no direction, so cosine geometry cannot place it.
    /// </summary>
    public static int NormalizeRows(float[] data, int n, int d)
    {
        int firstZero = int.MaxValue;
        Parallel.For(0, (n + 1023) / 1024, b =>
        {
            int end = Math.Min(n, (b + 1) * 1024);
            for (int i = b * 1024; i < end; i++)
                if (!NormalizeRow(data.AsSpan(i * d, d))) InterlockedMin(ref firstZero, i);
        });
        return firstZero == int.MaxValue ? -1 : firstZero;
    }

    /// <summary>Scales one row to unit length in place; false (row untouched) when it is all zero.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static bool NormalizeRow(Span<float> row)
    {
        double norm = Math.Sqrt(SquaredNorm(row));
        if (norm == 0) return false;
        // Divide in double: 1/norm overflows float for rows below ~1e-38.
        for (int j = 0; j < row.Length; j++) row[j] = (float)(row[j] / norm);
        return true;
    }

    /// <summary>
    /// True when no value is NaN or infinite. x − x is 0 for every finite x and NaN otherwise,
    /// so one SIMD subtract-and-compare checks a whole vector of values.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int w = System.Numerics.Vector<float>.Count;
            for (; i <= values.Length - w; i += w)
            {
                var v = new System.Numerics.Vector<float>(values.Slice(i, w));
                if (!System.Numerics.Vector.EqualsAll(v - v, System.Numerics.Vector<float>.Zero)) return false;
            }
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return false;
        return true;
    }

    private static void InterlockedMin(ref int target, int value)
    {
        int current;
        while (value < (current = Volatile.Read(ref target)))
            if (Interlocked.CompareExchange(ref target, value, current) == current) return;
    }
}

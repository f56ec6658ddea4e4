namespace PruneCmdlets.Numerics;

/// <summary>
/// The k largest dot products of every query row among the rows of a base matrix: the nearest
/// neighbours by cosine similarity when both are unit vectors. Same register tiles and packed
/// panels as <see cref="Nearest"/>; the base is packed a batch of columns at a time, so the
/// extra memory is one batch, never the whole base twice or a similarity matrix.
/// </summary>
public static unsafe partial class DistanceKernel
{
    /// <summary>Columns packed per batch: 8192 rows of the base (8192·D floats, 16 MB at D = 512).</summary>
    internal const int NeighborBatchColumns = 8192;

    /// <summary>
    /// For each of the <paramref name="m"/> rows of <paramref name="queries"/> (m×d, row-major),
    /// the indices (into <paramref name="baseRows"/>, n×d) and kernel dots of its
    /// <paramref name="k"/> largest dot products, best first; ties go to the lower base index.
    /// With <paramref name="selfOffset"/> ≥ 0 the queries are rows selfOffset… of the base
    /// itself and a row is never its own neighbour. Fewer than k candidates leave index −1 and
    /// dot −∞ in the last places. Columns reach every row in increasing index order and each row
    /// is owned by one worker, so neither the thread count nor the instruction set changes the
    /// result (the dots themselves are the same FMA chains on every instruction set).
    /// </summary>
    public static (int[] Index, float[] Dot) TopDots(ReadOnlyMemory<float> queries, int m, ReadOnlyMemory<float> baseRows, int n, int d, int k,
        int selfOffset = -1, int maxThreads = -1, CancellationToken cancel = default, Action<long, long>? progress = null, Isa isa = Isa.Auto)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        if (queries.Length < (long)m * d) throw new ArgumentException("Query buffer is shorter than M×D.", nameof(queries));
        if (baseRows.Length < (long)n * d) throw new ArgumentException("Base buffer is shorter than N×D.", nameof(baseRows));
        if (isa == Isa.Auto) isa = Detect();
        var index = new int[(long)m * k];
        var dot = new float[(long)m * k];
        Array.Fill(index, -1);
        Array.Fill(dot, float.NegativeInfinity);
        int blocks = (m + BlockRows - 1) / BlockRows;
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        long total = (long)m * n, done = 0;
        for (int c0 = 0; c0 < n; c0 += NeighborBatchColumns)
        {
            cancel.ThrowIfCancellationRequested();
            int columns = Math.Min(NeighborBatchColumns, n - c0);
            var packed = Pack(baseRows.Span.Slice(c0 * d, columns * d), columns, d);
            Parallel.For(0, blocks, options, () => new float[TileRows * d], (block, _, scratch) =>
            {
                int start = block * BlockRows, rows = Math.Min(BlockRows, m - start);
                Span<float> acc = stackalloc float[BlockRows * PanelWidth];
                fixed (float* qp = queries.Span, sp = scratch, ap = acc)
                {
                    float* rowBlock = PrepareBlock(qp, start, rows, d, sp);
                    for (int panel = 0; panel < packed.PanelCount; panel++)
                    {
                        AccumulatePanel(rowBlock, rows, packed, panel, sp, ap, isa);
                        int lanes = Math.Min(PanelWidth, columns - panel * PanelWidth);
                        for (int r = 0; r < rows; r++)
                        {
                            int q = start + r;
                            long at = (long)q * k;
                            float* row = ap + r * PanelWidth;
                            for (int j = 0; j < lanes; j++)
                            {
                                int column = c0 + panel * PanelWidth + j;
                                if (column == q + selfOffset && selfOffset >= 0) continue;
                                float v = row[j];
                                // Columns arrive in increasing order: a strict > keeps the lower index of equal dots.
                                if (!(v > dot[at + k - 1])) continue;
                                int p = k - 1;
                                while (p > 0 && v > dot[at + p - 1]) { dot[at + p] = dot[at + p - 1]; index[at + p] = index[at + p - 1]; p--; }
                                dot[at + p] = v;
                                index[at + p] = column;
                            }
                        }
                    }
                }
                return scratch;
            }, _ => { });
            done += (long)m * columns;
            progress?.Invoke(done, total);
        }
        return (index, dot);
    }
}

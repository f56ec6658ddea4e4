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
    /// dot −∞ in the last places. Each row is owned by one worker and its candidates are ranked
    /// by (dot, index), so neither the thread count nor the instruction set changes the result
    /// (the dots themselves are the same FMA chains on every instruction set).
    /// </summary>
    public static (int[] Index, float[] Dot) TopDots(ReadOnlyMemory<float> queries, int m, ReadOnlyMemory<float> baseRows, int n, int d, int k,
        int selfOffset = -1, int maxThreads = -1, CancellationToken cancel = default, Action<long, long>? progress = null, Isa isa = Isa.Auto)
    {
        if (queries.Length < (long)m * d) throw new ArgumentException("Query buffer is shorter than M×D.", nameof(queries));
        if (baseRows.Length < (long)n * d) throw new ArgumentException("Base buffer is shorter than N×D.", nameof(baseRows));
        var (index, dot) = NewTopDots(m, k);
        long total = (long)m * n, done = 0;
        for (int c0 = 0; c0 < n; c0 += NeighborBatchColumns)
        {
            cancel.ThrowIfCancellationRequested();
            int columns = Math.Min(NeighborBatchColumns, n - c0);
            var packed = Pack(baseRows.Span.Slice(c0 * d, columns * d), columns, d);
            FoldTopDots(queries, m, null, packed, c0, null, selfOffset, k, index, dot, maxThreads, cancel, isa);
            done += (long)m * columns;
            progress?.Invoke(done, total);
        }
        return (index, dot);
    }

    /// <summary>Empty top-k state for <paramref name="m"/> rows: index −1, dot −∞.</summary>
    internal static (int[] Index, float[] Dot) NewTopDots(int m, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        var index = new int[(long)m * k];
        var dot = new float[(long)m * k];
        Array.Fill(index, -1);
        Array.Fill(dot, float.NegativeInfinity);
        return (index, dot);
    }

    /// <summary>
    /// Folds the dots of <paramref name="m"/> query rows with one packed batch of columns into
    /// the queries' top-k state. Query r's state row is <paramref name="queryIds"/>[r] (or r),
    /// column j's id is <paramref name="columnIds"/>[j] (or <paramref name="columnBase"/> + j);
    /// a column whose id equals the query's id + <paramref name="selfOffset"/> (when ≥ 0) is
    /// skipped. Candidates rank by dot, then by lower id, whatever order the batches come in.
    /// Every query id must occur once per call, so each state row has one writer.
    /// </summary>
    internal static void FoldTopDots(ReadOnlyMemory<float> queries, int m, int[]? queryIds, PackedCentroids packed, int columnBase, int[]? columnIds,
        int selfOffset, int k, int[] index, float[] dot, int maxThreads, CancellationToken cancel, Isa isa = Isa.Auto)
    {
        int d = packed.D, columns = packed.K;
        if (isa == Isa.Auto) isa = Detect();
        int blocks = (m + BlockRows - 1) / BlockRows;
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
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
                        int q = queryIds is null ? start + r : queryIds[start + r];
                        long at = (long)q * k;
                        float* row = ap + r * PanelWidth;
                        for (int j = 0; j < lanes; j++)
                        {
                            int local = panel * PanelWidth + j;
                            int id = columnIds is null ? columnBase + local : columnIds[local];
                            if (selfOffset >= 0 && id == q + selfOffset) continue;
                            float v = row[j];
                            if (!Better(v, id, dot[at + k - 1], index[at + k - 1])) continue;
                            int p = k - 1;
                            while (p > 0 && Better(v, id, dot[at + p - 1], index[at + p - 1])) { dot[at + p] = dot[at + p - 1]; index[at + p] = index[at + p - 1]; p--; }
                            dot[at + p] = v;
                            index[at + p] = id;
                        }
                    }
                }
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>(v, id) ranks before (w, other): a larger dot, or an equal dot and a lower id (an empty place, id −1, ranks last).</summary>
    private static bool Better(float v, int id, float w, int other) => v > w || (v == w && (other < 0 || id < other));
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace PruneCmdlets.Numerics;

/// <summary>
/// The module's one distance kernel. Every nearest-centroid search (Lloyd assignment,
/// initialisation, scoring) and every exact distance goes through here.
///
/// Nearest search uses ‖x−c‖² = ‖x‖² − 2x·c + ‖c‖²: the dot products are a GEMM, computed in
/// register tiles of 6 rows × 32 centroids over centroids packed into [D][32] panels, and
/// reduced to a running minimum per row, so no N×K matrix ever exists.
///
/// Determinism: every dot product is one fused multiply-add chain over the dimensions in
/// order 0..D−1, one lane per centroid. AVX-512, AVX2, Arm AdvSimd and the scalar path only
/// differ in how many lanes they run at once, so they return bit-identical results; rows are
/// independent, so the thread count cannot change them either. Each instruction set's tile
/// lives in its own file (DistanceKernel.Avx512.cs, .Avx2.cs, .AdvSimd.cs, .Scalar.cs); this
/// one holds the blocking, packing, dispatch and reductions they share.
/// </summary>
public static unsafe partial class DistanceKernel
{
    /// <summary>Centroids per packed panel; one register tile covers one panel.</summary>
    public const int PanelWidth = 32;

    /// <summary>Rows per register tile.</summary>
    public const int TileRows = 6;

    /// <summary>Rows handed to one parallel work item; fixed so partitioning never depends on thread count.</summary>
    public const int BlockRows = 96;

    /// <summary>Instruction set used by the tile; Auto picks the widest the machine runs.</summary>
    public enum Isa { Auto, Avx512, Avx2, AdvSimd, Scalar }

    public static Isa Detect()
    {
        if (Avx512F.IsSupported) return Isa.Avx512;
        if (Avx2.IsSupported && Fma.IsSupported) return Isa.Avx2;
        if (AdvSimd.IsSupported) return Isa.AdvSimd;
        return Isa.Scalar;
    }

    /// <summary>Centroids laid out for the tile: [panel][D][32], padding centroids never win.</summary>
    public sealed class PackedCentroids
    {
        internal PackedCentroids(float[] panels, float[] norms, int k, int d)
        {
            Panels = panels; Norms = norms; K = k; D = d;
        }

        internal float[] Panels { get; }
        /// <summary>‖c‖² per centroid, +∞ for padding so a padded lane is never nearest.</summary>
        internal float[] Norms { get; }
        public int K { get; }
        public int D { get; }
        internal int PanelCount => Norms.Length / PanelWidth;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PackedCentroids Pack(ReadOnlySpan<float> centroids, int k, int d)
    {
        if (centroids.Length < (long)k * d) throw new ArgumentException("Centroid buffer is shorter than K×D.", nameof(centroids));
        int panels = (k + PanelWidth - 1) / PanelWidth;
        var packed = new float[(long)panels * d * PanelWidth];
        var norms = new float[panels * PanelWidth];
        Array.Fill(norms, float.PositiveInfinity);
        for (int c = 0; c < k; c++)
        {
            var row = centroids.Slice(c * d, d);
            norms[c] = (float)VectorMath.SquaredNorm(row);
            int panel = c / PanelWidth, lane = c % PanelWidth;
            long baseIndex = (long)panel * d * PanelWidth + lane;
            for (int p = 0; p < d; p++) packed[baseIndex + (long)p * PanelWidth] = row[p];
        }
        return new PackedCentroids(packed, norms, k, d);
    }

    /// <summary>
    /// For every row of <paramref name="x"/> (n×d, row-major) finds the nearest centroid by
    /// squared Euclidean distance; ties go to the lower centroid index. <paramref name="bestDist"/>
    /// receives the kernel's squared distance (clamped at 0); callers that report a distance
    /// refine it with <see cref="ExactSquaredDistance"/>. <paramref name="secondDist"/>, when
    /// given, receives the kernel's squared distance to the nearest of the other centroids
    /// (+∞ with one centroid): what a lower bound for skipping the record later starts from.
    /// </summary>
    public static void Nearest(ReadOnlyMemory<float> x, float[] xNorms, int n, PackedCentroids c, int[] bestIndex, float[] bestDist,
        int maxThreads = -1, CancellationToken cancel = default, Isa isa = Isa.Auto, float[]? secondDist = null)
    {
        int d = c.D;
        if (x.Length < (long)n * d) throw new ArgumentException("Row buffer is shorter than N×D.", nameof(x));
        if (isa == Isa.Auto) isa = Detect();
        int blocks = (n + BlockRows - 1) / BlockRows;
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        Parallel.For(0, blocks, options, () => new float[TileRows * d], (block, _, scratch) =>
        {
            int start = block * BlockRows;
            int rows = Math.Min(BlockRows, n - start);
            NearestBlock(x, xNorms, start, rows, c, bestIndex, bestDist, secondDist, scratch, isa);
            return scratch;
        }, _ => { });
    }

    /// <summary>
    /// <see cref="Nearest"/> for the listed rows of <paramref name="x"/> only: result j belongs
    /// to row rows[j]. Each block of rows is copied into a per-thread buffer that stays in
    /// cache, then runs through the same tiles, so every row gets exactly the result a full
    /// pass would give it.
    /// </summary>
    public static void NearestRows(ReadOnlyMemory<float> x, float[] xNorms, int[] rows, PackedCentroids c, int[] bestIndex, float[] bestDist,
        int maxThreads = -1, CancellationToken cancel = default, Isa isa = Isa.Auto, float[]? secondDist = null)
    {
        int d = c.D, m = rows.Length;
        if (isa == Isa.Auto) isa = Detect();
        int blocks = (m + BlockRows - 1) / BlockRows;
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        Parallel.For(0, blocks, options,
            () => (Rows: new float[BlockRows * d], Norms: new float[BlockRows], Index: new int[BlockRows], Dist: new float[BlockRows],
                   Second: secondDist is null ? null : new float[BlockRows], Scratch: new float[TileRows * d]),
            (block, _, local) =>
            {
                int start = block * BlockRows, count = Math.Min(BlockRows, m - start);
                var xs = x.Span;
                for (int r = 0; r < count; r++)
                {
                    int row = rows[start + r];
                    xs.Slice(row * d, d).CopyTo(local.Rows.AsSpan(r * d, d));
                    local.Norms[r] = xNorms[row];
                }
                NearestBlock(local.Rows, local.Norms, 0, count, c, local.Index, local.Dist, local.Second, local.Scratch, isa);
                local.Index.AsSpan(0, count).CopyTo(bestIndex.AsSpan(start, count));
                local.Dist.AsSpan(0, count).CopyTo(bestDist.AsSpan(start, count));
                local.Second?.AsSpan(0, count).CopyTo(secondDist.AsSpan(start, count));
                return local;
            }, _ => { });
    }

    /// <summary>
    /// Dimensions per pass over a panel: a 32-centroid slice of KC dimensions (16 KB) stays in
    /// L1 while every tile of the row block streams past it. Accumulators are carried across
    /// passes in memory, so each dot product is still one FMA chain over p = 0..D−1 in order.
    /// </summary>
    public const int KC = 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NearestBlock(ReadOnlyMemory<float> x, float[] xNorms, int start, int rows, PackedCentroids c,
        int[] bestIndex, float[] bestDist, float[]? secondDist, float[] scratch, Isa isa)
    {
        Span<float> acc = stackalloc float[BlockRows * 2 * PanelWidth];
        Span<float> second = stackalloc float[BlockRows];   // ‖c‖² − 2x·c of the runner-up, per row
        second.Fill(float.PositiveInfinity);
        for (int r = 0; r < rows; r++) { bestDist[start + r] = float.PositiveInfinity; bestIndex[start + r] = 0; }
        fixed (float* xp = x.Span, sp = scratch, ap = acc, sec = second)
        {
            float* block = PrepareBlock(xp, start, rows, c.D, sp);
            if (isa == Isa.Avx512 && Avx512F.IsSupported)
            {
                // Each row keeps a running minimum per lane, reduced across lanes once at the
                // end: a horizontal minimum and a branch per panel cost as much as the panel's
                // dot products when D is small.
                float* laneBest = stackalloc float[BlockRows * 16];
                float* laneSecond = stackalloc float[BlockRows * 16];
                int* laneIndex = stackalloc int[BlockRows * 16];
                new Span<float>(laneBest, rows * 16).Fill(float.PositiveInfinity);
                new Span<float>(laneSecond, rows * 16).Fill(float.PositiveInfinity);
                new Span<int>(laneIndex, rows * 16).Clear();
                fixed (float* norms = c.Norms)
                {
                    // Two panels per pass over the rows: half the re-reads of the row block, and
                    // four centroid vectors per six broadcasts. Same FMA chains, same results.
                    int panel = 0;
                    for (; panel + 1 < c.PanelCount; panel += 2)
                    {
                        AccumulatePanel(block, rows, c, panel, sp, ap, isa, pair: true);
                        ReducePanelLanes(ap, 2 * PanelWidth, rows, panel * PanelWidth, norms, laneBest, laneSecond, laneIndex);
                        ReducePanelLanes(ap + PanelWidth, 2 * PanelWidth, rows, (panel + 1) * PanelWidth, norms, laneBest, laneSecond, laneIndex);
                    }
                    if (panel < c.PanelCount)
                    {
                        AccumulatePanel(block, rows, c, panel, sp, ap, isa);
                        ReducePanelLanes(ap, PanelWidth, rows, panel * PanelWidth, norms, laneBest, laneSecond, laneIndex);
                    }
                }
                FinishLanes(rows, start, laneBest, laneSecond, laneIndex, bestIndex, bestDist, sec);
            }
            else
            {
                for (int panel = 0; panel < c.PanelCount; panel++)
                {
                    AccumulatePanel(block, rows, c, panel, sp, ap, isa);
                    ReducePanel(ap, rows, start, panel * PanelWidth, c.Norms, bestIndex, bestDist, sec);
                }
            }
        }
        // The running minimum is ‖c‖² − 2x·c; adding ‖x‖² makes it the squared distance.
        for (int r = 0; r < rows; r++)
        {
            bestDist[start + r] = Math.Max(0f, bestDist[start + r] + xNorms[start + r]); // cancellation can dip below zero
            if (secondDist is not null) secondDist[start + r] = Math.Max(0f, second[r] + xNorms[start + r]);
        }
    }

    /// <summary>
    /// The row block, with its last, partial tile copied zero-padded into <paramref name="scratch"/>
    /// so one tile shape serves all rows.
    /// </summary>
    private static float* PrepareBlock(float* xp, int start, int rows, int d, float* scratch)
    {
        float* block = xp + (long)start * d;
        int fullTiles = rows / TileRows, tailRows = rows % TileRows;
        if (tailRows > 0)
        {
            new Span<float>(scratch, TileRows * d).Clear();
            new ReadOnlySpan<float>(block + (long)fullTiles * TileRows * d, tailRows * d).CopyTo(new Span<float>(scratch, tailRows * d));
        }
        return block;
    }

    /// <summary>
    /// acc[r][j] = x_r·c_j for every row of the block and the centroids of one panel, or of two
    /// adjacent panels with <paramref name="pair"/> (AVX-512 only; rows then stride 64).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulatePanel(float* block, int rows, PackedCentroids c, int panel, float* scratch, float* acc, Isa isa, bool pair = false)
    {
        int d = c.D, fullTiles = rows / TileRows, tiles = (rows + TileRows - 1) / TileRows;
        int width = pair ? 2 * PanelWidth : PanelWidth;
        fixed (float* panels = c.Panels)
        {
            float* b0 = panels + (long)panel * d * PanelWidth, b1 = b0 + (long)d * PanelWidth;
            new Span<float>(acc, tiles * TileRows * width).Clear();
            for (int p0 = 0; p0 < d; p0 += KC)
            {
                int kc = Math.Min(KC, d - p0);
                for (int t = 0; t < tiles; t++)
                {
                    float* rowPtr = (t < fullTiles ? block + (long)t * TileRows * d : scratch) + p0;
                    float* tile = acc + t * TileRows * width;
                    if (pair) TileAvx512Pair(rowPtr, d, kc, b0 + (long)p0 * PanelWidth, b1 + (long)p0 * PanelWidth, tile);
                    else Tile(rowPtr, d, kc, b0 + (long)p0 * PanelWidth, tile, isa);
                }
            }
        }
    }

    /// <summary>
    /// Squared distance from every row to each of at most 32 centroids (one panel), written
    /// centroid by centroid into <paramref name="result"/> (result[j·n + i]): several
    /// k-means++ candidates scored in one pass over the rows (<see cref="CandidateDistances"/>
    /// uses it where AVX-512 is missing).
    /// </summary>
    public static void DistancesToPanel(ReadOnlyMemory<float> x, float[] xNorms, int n, PackedCentroids c, float[] result,
        int maxThreads = -1, CancellationToken cancel = default, Isa isa = Isa.Auto)
    {
        if (c.PanelCount != 1) throw new ArgumentException($"At most {PanelWidth} centroids; got {c.K}.", nameof(c));
        int d = c.D, k = c.K;
        if (isa == Isa.Auto) isa = Detect();
        int blocks = (n + BlockRows - 1) / BlockRows;
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        Parallel.For(0, blocks, options, () => new float[TileRows * d], (block, _, scratch) =>
        {
            int start = block * BlockRows, rows = Math.Min(BlockRows, n - start);
            Span<float> acc = stackalloc float[BlockRows * PanelWidth];
            fixed (float* xp = x.Span, sp = scratch, ap = acc)
            {
                AccumulatePanel(PrepareBlock(xp, start, rows, d, sp), rows, c, 0, sp, ap, isa);
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < k; j++)
                    {
                        // The same formula, in the same order, as the nearest search.
                        float v = MathF.FusedMultiplyAdd(ap[r * PanelWidth + j], -2f, c.Norms[j]);
                        result[(long)j * n + start + r] = Math.Max(0f, v + xNorms[start + r]);
                    }
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>
    /// Folds one panel's dot products (rows of 32) into each row's running minimum of
    /// ‖c‖² − 2x·c, one fused multiply-add per lane as on the AVX-512 path; ties keep the lower
    /// centroid index. <paramref name="second"/> keeps each row's runner-up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReducePanel(float* dots, int rows, int start, int cBase, float[] norms, int[] bestIndex, float[] bestDist, float* second)
    {
        fixed (float* cn = &norms[cBase])
        {
            for (int r = 0; r < rows; r++)
            {
                float* row = dots + r * PanelWidth;
                float best = bestDist[start + r], runnerUp = second[r];
                int bi = bestIndex[start + r];
                for (int j = 0; j < PanelWidth; j++)
                {
                    float v = MathF.FusedMultiplyAdd(row[j], -2f, cn[j]);
                    if (v < best) { runnerUp = best; best = v; bi = cBase + j; }
                    else if (v < runnerUp) runnerUp = v;
                }
                bestDist[start + r] = best;
                second[r] = runnerUp;
                bestIndex[start + r] = bi;
            }
        }
    }

    /// <summary>
    /// o[r][j] += Σ_{p&lt;kc} x[r·stride + p]·b[p][j] for 6 rows and one 32-wide panel slice,
    /// continuing the FMA chains held in <paramref name="o"/>.
    /// </summary>
    internal static void Tile(float* x, int stride, int kc, float* b, float* o, Isa isa)
    {
        switch (isa)
        {
            case Isa.Avx512 when Avx512F.IsSupported: TileAvx512(x, stride, kc, b, o); break;
            case Isa.Avx2 when Avx2.IsSupported && Fma.IsSupported:
                TileAvx2Rows3(x, stride, kc, b, o);
                TileAvx2Rows3(x + 3 * stride, stride, kc, b, o + 3 * PanelWidth);
                break;
            case Isa.AdvSimd when AdvSimd.IsSupported:
                TileAdvSimdRows3(x, stride, kc, b, o);
                TileAdvSimdRows3(x + 3 * stride, stride, kc, b, o + 3 * PanelWidth);
                break;
            default: TileScalar(x, stride, kc, b, o); break;
        }
    }

    /// <summary>
    /// ‖x−c‖² computed directly in double: the exact figure a record reports, with none of the
    /// cancellation of the expanded form (a record on its centroid gets exactly 0). Float
    /// differences are exact in double; they are summed in the fixed 16-lane grouping of
    /// <see cref="FixedLanes"/>, so the figure is the same on every machine.
    /// </summary>
    public static double ExactSquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> c) => FixedLanes.SumSquaredDifferences(x, c);
}

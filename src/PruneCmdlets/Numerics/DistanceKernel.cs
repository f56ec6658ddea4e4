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
/// independent, so the thread count cannot change them either.
/// </summary>
public static unsafe class DistanceKernel
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
    /// refine it with <see cref="ExactSquaredDistance"/>.
    /// </summary>
    public static void Nearest(float[] x, float[] xNorms, int n, PackedCentroids c, int[] bestIndex, float[] bestDist,
        int maxThreads = -1, CancellationToken cancel = default, Isa isa = Isa.Auto)
    {
        int d = c.D;
        if (x.LongLength < (long)n * d) throw new ArgumentException("Row buffer is shorter than N×D.", nameof(x));
        if (isa == Isa.Auto) isa = Detect();
        int blocks = (n + BlockRows - 1) / BlockRows;
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        Parallel.For(0, blocks, options, () => new float[TileRows * d], (block, _, scratch) =>
        {
            int start = block * BlockRows;
            int rows = Math.Min(BlockRows, n - start);
            NearestBlock(x, xNorms, start, rows, c, bestIndex, bestDist, scratch, isa);
            return scratch;
        }, _ => { });
    }

    private static void NearestBlock(float[] x, float[] xNorms, int start, int rows, PackedCentroids c,
        int[] bestIndex, float[] bestDist, float[] scratch, Isa isa)
    {
        int d = c.D;
        Span<float> tile = stackalloc float[TileRows * PanelWidth];
        for (int r = 0; r < rows; r++) { bestDist[start + r] = float.PositiveInfinity; bestIndex[start + r] = 0; }

        fixed (float* xp = x, panels = c.Panels, sp = scratch, tp = tile)
        {
            for (int panel = 0; panel < c.PanelCount; panel++)
            {
                float* b = panels + (long)panel * d * PanelWidth;
                int cBase = panel * PanelWidth;
                for (int r0 = 0; r0 < rows; r0 += TileRows)
                {
                    int tr = Math.Min(TileRows, rows - r0);
                    float* rowPtr = xp + (long)(start + r0) * d;
                    if (tr < TileRows)
                    {
                        // Tail rows go through a zero-padded copy so one tile shape serves all.
                        new Span<float>(sp, TileRows * d).Clear();
                        new ReadOnlySpan<float>(rowPtr, tr * d).CopyTo(new Span<float>(sp, tr * d));
                        rowPtr = sp;
                    }
                    Tile(rowPtr, d, b, tp, isa);
                    for (int r = 0; r < tr; r++)
                    {
                        int row = start + r0 + r;
                        float xn = xNorms[row];
                        float best = bestDist[row];
                        int bi = bestIndex[row];
                        float* dots = tp + r * PanelWidth;
                        for (int j = 0; j < PanelWidth; j++)
                        {
                            float dist = xn - 2f * dots[j] + c.Norms[cBase + j];
                            if (dist < best) { best = dist; bi = cBase + j; }
                        }
                        bestDist[row] = best;
                        bestIndex[row] = bi;
                    }
                }
            }
        }
        for (int r = 0; r < rows; r++)
            if (bestDist[start + r] < 0f) bestDist[start + r] = 0f; // cancellation can dip below zero
    }

    /// <summary>out[r][j] = Σ_p x[r][p]·b[p][j] for 6 rows and one 32-wide panel.</summary>
    internal static void Tile(float* x, int d, float* b, float* o, Isa isa)
    {
        switch (isa)
        {
            case Isa.Avx512 when Avx512F.IsSupported: TileAvx512(x, d, b, o); break;
            case Isa.Avx2 when Avx2.IsSupported && Fma.IsSupported:
                TileAvx2Rows3(x, d, b, o);
                TileAvx2Rows3(x + 3 * d, d, b, o + 3 * PanelWidth);
                break;
            case Isa.AdvSimd when AdvSimd.IsSupported:
                TileAdvSimdRows3(x, d, b, o);
                TileAdvSimdRows3(x + 3 * d, d, b, o + 3 * PanelWidth);
                break;
            default: TileScalar(x, d, b, o); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx512(float* x, int d, float* b, float* o)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default,
                         a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        float* x0 = x, x1 = x + d, x2 = x + 2 * d, x3 = x + 3 * d, x4 = x + 4 * d, x5 = x + 5 * d;
        for (int p = 0; p < d; p++, b += PanelWidth)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            var v = Vector512.Create(x0[p]); a00 = Avx512F.FusedMultiplyAdd(v, b0, a00); a01 = Avx512F.FusedMultiplyAdd(v, b1, a01);
            v = Vector512.Create(x1[p]); a10 = Avx512F.FusedMultiplyAdd(v, b0, a10); a11 = Avx512F.FusedMultiplyAdd(v, b1, a11);
            v = Vector512.Create(x2[p]); a20 = Avx512F.FusedMultiplyAdd(v, b0, a20); a21 = Avx512F.FusedMultiplyAdd(v, b1, a21);
            v = Vector512.Create(x3[p]); a30 = Avx512F.FusedMultiplyAdd(v, b0, a30); a31 = Avx512F.FusedMultiplyAdd(v, b1, a31);
            v = Vector512.Create(x4[p]); a40 = Avx512F.FusedMultiplyAdd(v, b0, a40); a41 = Avx512F.FusedMultiplyAdd(v, b1, a41);
            v = Vector512.Create(x5[p]); a50 = Avx512F.FusedMultiplyAdd(v, b0, a50); a51 = Avx512F.FusedMultiplyAdd(v, b1, a51);
        }
        a00.Store(o); a01.Store(o + 16); a10.Store(o + 32); a11.Store(o + 48); a20.Store(o + 64); a21.Store(o + 80);
        a30.Store(o + 96); a31.Store(o + 112); a40.Store(o + 128); a41.Store(o + 144); a50.Store(o + 160); a51.Store(o + 176);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx2Rows3(float* x, int d, float* b, float* o)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default,
                         a10 = default, a11 = default, a12 = default, a13 = default,
                         a20 = default, a21 = default, a22 = default, a23 = default;
        float* x0 = x, x1 = x + d, x2 = x + 2 * d;
        for (int p = 0; p < d; p++, b += PanelWidth)
        {
            var b0 = Avx.LoadVector256(b); var b1 = Avx.LoadVector256(b + 8);
            var b2 = Avx.LoadVector256(b + 16); var b3 = Avx.LoadVector256(b + 24);
            var v = Vector256.Create(x0[p]);
            a00 = Fma.MultiplyAdd(v, b0, a00); a01 = Fma.MultiplyAdd(v, b1, a01); a02 = Fma.MultiplyAdd(v, b2, a02); a03 = Fma.MultiplyAdd(v, b3, a03);
            v = Vector256.Create(x1[p]);
            a10 = Fma.MultiplyAdd(v, b0, a10); a11 = Fma.MultiplyAdd(v, b1, a11); a12 = Fma.MultiplyAdd(v, b2, a12); a13 = Fma.MultiplyAdd(v, b3, a13);
            v = Vector256.Create(x2[p]);
            a20 = Fma.MultiplyAdd(v, b0, a20); a21 = Fma.MultiplyAdd(v, b1, a21); a22 = Fma.MultiplyAdd(v, b2, a22); a23 = Fma.MultiplyAdd(v, b3, a23);
        }
        a00.Store(o); a01.Store(o + 8); a02.Store(o + 16); a03.Store(o + 24);
        a10.Store(o + 32); a11.Store(o + 40); a12.Store(o + 48); a13.Store(o + 56);
        a20.Store(o + 64); a21.Store(o + 72); a22.Store(o + 80); a23.Store(o + 88);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAdvSimdRows3(float* x, int d, float* b, float* o)
    {
        // 3 rows × 8 quad vectors = 24 accumulators of Arm's 32 registers.
        var acc = stackalloc Vector128<float>[24];
        for (int i = 0; i < 24; i++) acc[i] = default;
        for (int p = 0; p < d; p++, b += PanelWidth)
        {
            for (int r = 0; r < 3; r++)
            {
                var v = Vector128.Create(x[r * d + p]);
                for (int q = 0; q < 8; q++)
                    acc[r * 8 + q] = AdvSimd.FusedMultiplyAdd(acc[r * 8 + q], v, AdvSimd.LoadVector128(b + 4 * q));
            }
        }
        for (int i = 0; i < 24; i++) acc[i].Store(o + 4 * i);
    }

    private static void TileScalar(float* x, int d, float* b, float* o)
    {
        for (int r = 0; r < TileRows; r++)
            for (int j = 0; j < PanelWidth; j++)
            {
                float a = 0f;
                for (int p = 0; p < d; p++) a = MathF.FusedMultiplyAdd(x[r * d + p], b[p * PanelWidth + j], a);
                o[r * PanelWidth + j] = a;
            }
    }

    /// <summary>
    /// ‖x−c‖² in float over 16 fixed lanes (lane = dimension mod 16, the tail folded into the
    /// first lanes), then summed in a fixed tree. Every instruction set computes the same
    /// lanes in the same order, so the result is bit-identical everywhere; used where one
    /// centroid meets many rows (k-means++), a matrix-vector product the tile would waste.
    /// </summary>
    public static float SquaredDistance16(ReadOnlySpan<float> x, ReadOnlySpan<float> c, Isa isa = Isa.Auto)
    {
        int d = x.Length;
        if (isa == Isa.Auto) isa = Detect();
        Span<float> lanes = stackalloc float[16];
        int d16 = d - d % 16;
        fixed (float* xp = x, cp = c, lp = lanes)
        {
            if (isa == Isa.Avx512 && Avx512F.IsSupported)
            {
                var acc = Vector512<float>.Zero;
                for (int p = 0; p < d16; p += 16)
                {
                    var diff = Avx512F.Subtract(Avx512F.LoadVector512(xp + p), Avx512F.LoadVector512(cp + p));
                    acc = Avx512F.FusedMultiplyAdd(diff, diff, acc);
                }
                acc.Store(lp);
            }
            else if (isa == Isa.Avx2 && Avx2.IsSupported && Fma.IsSupported)
            {
                Vector256<float> a0 = default, a1 = default;
                for (int p = 0; p < d16; p += 16)
                {
                    var d0 = Avx.Subtract(Avx.LoadVector256(xp + p), Avx.LoadVector256(cp + p));
                    var d1 = Avx.Subtract(Avx.LoadVector256(xp + p + 8), Avx.LoadVector256(cp + p + 8));
                    a0 = Fma.MultiplyAdd(d0, d0, a0);
                    a1 = Fma.MultiplyAdd(d1, d1, a1);
                }
                a0.Store(lp); a1.Store(lp + 8);
            }
            else if (isa == Isa.AdvSimd && AdvSimd.IsSupported)
            {
                Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int p = 0; p < d16; p += 16)
                {
                    var d0 = AdvSimd.Subtract(AdvSimd.LoadVector128(xp + p), AdvSimd.LoadVector128(cp + p));
                    var d1 = AdvSimd.Subtract(AdvSimd.LoadVector128(xp + p + 4), AdvSimd.LoadVector128(cp + p + 4));
                    var d2 = AdvSimd.Subtract(AdvSimd.LoadVector128(xp + p + 8), AdvSimd.LoadVector128(cp + p + 8));
                    var d3 = AdvSimd.Subtract(AdvSimd.LoadVector128(xp + p + 12), AdvSimd.LoadVector128(cp + p + 12));
                    a0 = AdvSimd.FusedMultiplyAdd(a0, d0, d0); a1 = AdvSimd.FusedMultiplyAdd(a1, d1, d1);
                    a2 = AdvSimd.FusedMultiplyAdd(a2, d2, d2); a3 = AdvSimd.FusedMultiplyAdd(a3, d3, d3);
                }
                a0.Store(lp); a1.Store(lp + 4); a2.Store(lp + 8); a3.Store(lp + 12);
            }
            else
            {
                for (int l = 0; l < 16; l++) lp[l] = 0f;
                for (int p = 0; p < d16; p++)
                {
                    float diff = xp[p] - cp[p];
                    lp[p & 15] = MathF.FusedMultiplyAdd(diff, diff, lp[p & 15]);
                }
            }
            for (int p = d16; p < d; p++)
            {
                float diff = xp[p] - cp[p];
                lp[p - d16] = MathF.FusedMultiplyAdd(diff, diff, lp[p - d16]);
            }
            // Fixed pairwise tree: 16 → 8 → 4 → 2 → 1.
            for (int width = 8; width >= 1; width /= 2)
                for (int l = 0; l < width; l++) lp[l] += lp[l + width];
            return lp[0];
        }
    }

    /// <summary>
    /// ‖x−c‖² computed directly in double: the exact figure a record reports, with none of the
    /// cancellation of the expanded form (a record on its centroid gets exactly 0).
    /// </summary>
    public static double ExactSquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> c)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double diff = (double)x[i] - c[i];
            s += diff * diff;
        }
        return s;
    }
}

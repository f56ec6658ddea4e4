using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneCmdlets.Numerics;

// AVX-512: the 6×32 and 6×64 register tiles, and the per-lane running minima that the
// nearest search keeps on this path (see NearestBlock). Same FMA chains as every other path.
public static unsafe partial class DistanceKernel
{
    /// <summary>
    /// The least of the 16 lanes of a float or int vector. The last two steps swap 32-bit lanes,
    /// which moves a float's bits unchanged, so both element types share one shuffle.
    /// </summary>
    private static T ToScalarMin<T>(this Vector512<T> v) where T : struct
    {
        var h = Vector256.Min(v.GetLower(), v.GetUpper());
        var q = Vector128.Min(h.GetLower(), h.GetUpper());
        q = Vector128.Min(q, Vector128.Shuffle(q.AsInt32(), Vector128.Create(2, 3, 0, 1)).As<int, T>());
        q = Vector128.Min(q, Vector128.Shuffle(q.AsInt32(), Vector128.Create(1, 0, 3, 2)).As<int, T>());
        return q.ToScalar();
    }

    /// <summary>6 rows × 64 centroids (two panels): 24 accumulators of AVX-512's 32 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx512Pair(float* x, int d, int kc, float* b0, float* b1, float* o)
    {
        Vector512<float> a00 = Avx512F.LoadVector512(o), a01 = Avx512F.LoadVector512(o + 16), a02 = Avx512F.LoadVector512(o + 32), a03 = Avx512F.LoadVector512(o + 48),
                         a10 = Avx512F.LoadVector512(o + 64), a11 = Avx512F.LoadVector512(o + 80), a12 = Avx512F.LoadVector512(o + 96), a13 = Avx512F.LoadVector512(o + 112),
                         a20 = Avx512F.LoadVector512(o + 128), a21 = Avx512F.LoadVector512(o + 144), a22 = Avx512F.LoadVector512(o + 160), a23 = Avx512F.LoadVector512(o + 176),
                         a30 = Avx512F.LoadVector512(o + 192), a31 = Avx512F.LoadVector512(o + 208), a32 = Avx512F.LoadVector512(o + 224), a33 = Avx512F.LoadVector512(o + 240),
                         a40 = Avx512F.LoadVector512(o + 256), a41 = Avx512F.LoadVector512(o + 272), a42 = Avx512F.LoadVector512(o + 288), a43 = Avx512F.LoadVector512(o + 304),
                         a50 = Avx512F.LoadVector512(o + 320), a51 = Avx512F.LoadVector512(o + 336), a52 = Avx512F.LoadVector512(o + 352), a53 = Avx512F.LoadVector512(o + 368);
        float* x0 = x, x1 = x + d, x2 = x + 2 * d, x3 = x + 3 * d, x4 = x + 4 * d, x5 = x + 5 * d;
        for (int p = 0; p < kc; p++, b0 += PanelWidth, b1 += PanelWidth)
        {
            var c0 = Avx512F.LoadVector512(b0); var c1 = Avx512F.LoadVector512(b0 + 16);
            var c2 = Avx512F.LoadVector512(b1); var c3 = Avx512F.LoadVector512(b1 + 16);
            var v = Vector512.Create(x0[p]);
            a00 = Avx512F.FusedMultiplyAdd(v, c0, a00); a01 = Avx512F.FusedMultiplyAdd(v, c1, a01); a02 = Avx512F.FusedMultiplyAdd(v, c2, a02); a03 = Avx512F.FusedMultiplyAdd(v, c3, a03);
            v = Vector512.Create(x1[p]);
            a10 = Avx512F.FusedMultiplyAdd(v, c0, a10); a11 = Avx512F.FusedMultiplyAdd(v, c1, a11); a12 = Avx512F.FusedMultiplyAdd(v, c2, a12); a13 = Avx512F.FusedMultiplyAdd(v, c3, a13);
            v = Vector512.Create(x2[p]);
            a20 = Avx512F.FusedMultiplyAdd(v, c0, a20); a21 = Avx512F.FusedMultiplyAdd(v, c1, a21); a22 = Avx512F.FusedMultiplyAdd(v, c2, a22); a23 = Avx512F.FusedMultiplyAdd(v, c3, a23);
            v = Vector512.Create(x3[p]);
            a30 = Avx512F.FusedMultiplyAdd(v, c0, a30); a31 = Avx512F.FusedMultiplyAdd(v, c1, a31); a32 = Avx512F.FusedMultiplyAdd(v, c2, a32); a33 = Avx512F.FusedMultiplyAdd(v, c3, a33);
            v = Vector512.Create(x4[p]);
            a40 = Avx512F.FusedMultiplyAdd(v, c0, a40); a41 = Avx512F.FusedMultiplyAdd(v, c1, a41); a42 = Avx512F.FusedMultiplyAdd(v, c2, a42); a43 = Avx512F.FusedMultiplyAdd(v, c3, a43);
            v = Vector512.Create(x5[p]);
            a50 = Avx512F.FusedMultiplyAdd(v, c0, a50); a51 = Avx512F.FusedMultiplyAdd(v, c1, a51); a52 = Avx512F.FusedMultiplyAdd(v, c2, a52); a53 = Avx512F.FusedMultiplyAdd(v, c3, a53);
        }
        a00.Store(o); a01.Store(o + 16); a02.Store(o + 32); a03.Store(o + 48);
        a10.Store(o + 64); a11.Store(o + 80); a12.Store(o + 96); a13.Store(o + 112);
        a20.Store(o + 128); a21.Store(o + 144); a22.Store(o + 160); a23.Store(o + 176);
        a30.Store(o + 192); a31.Store(o + 208); a32.Store(o + 224); a33.Store(o + 240);
        a40.Store(o + 256); a41.Store(o + 272); a42.Store(o + 288); a43.Store(o + 304);
        a50.Store(o + 320); a51.Store(o + 336); a52.Store(o + 352); a53.Store(o + 368);
    }

    /// <summary>
    /// AVX-512: folds one panel's dot products into each row's 16 running minima of
    /// ‖c‖² − 2x·c, one per lane: lane l holds the best of the centroids ≡ l (mod 16) seen so
    /// far, and as they come in increasing order, a strict &lt; keeps the lowest index of equal
    /// values; laneSecond, the lane's runner-up. Same fused multiply-add per lane as
    /// <see cref="ReducePanel"/>, so the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReducePanelLanes(float* dots, int stride, int rows, int cBase, float* norms, float* laneBest, float* laneSecond, int* laneIndex)
    {
        var n0 = Avx512F.LoadVector512(norms + cBase);
        var n1 = Avx512F.LoadVector512(norms + cBase + 16);
        var minus2 = Vector512.Create(-2f);
        var i0 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector512.Create(cBase);
        var i1 = i0 + Vector512.Create(16);
        for (int r = 0; r < rows; r++)
        {
            float* row = dots + r * stride;
            float* lb = laneBest + r * 16, ls = laneSecond + r * 16;
            int* li = laneIndex + r * 16;
            var v0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(row), minus2, n0);
            var v1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(row + 16), minus2, n1);
            var best = Avx512F.LoadVector512(lb);
            var runnerUp = Avx512F.LoadVector512(ls);
            var index = Avx512F.LoadVector512(li);
            runnerUp = Vector512.Min(runnerUp, Vector512.Max(best, v0));
            var less = Vector512.LessThan(v0, best);
            best = Vector512.ConditionalSelect(less, v0, best);
            index = Vector512.ConditionalSelect(less.AsInt32(), i0, index);
            runnerUp = Vector512.Min(runnerUp, Vector512.Max(best, v1));
            less = Vector512.LessThan(v1, best);
            best = Vector512.ConditionalSelect(less, v1, best);
            index = Vector512.ConditionalSelect(less.AsInt32(), i1, index);
            best.Store(lb);
            runnerUp.Store(ls);
            index.Store(li);
        }
    }

    /// <summary>
    /// Each row's minimum over its lanes, and of the lanes holding it the lowest centroid
    /// index: the centroid a scan of all of them in index order would keep. The runner-up is
    /// the least of the other lanes' minima and every lane's runner-up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FinishLanes(int rows, int start, float* laneBest, float* laneSecond, int* laneIndex, int[] bestIndex, float[] bestDist, float* second)
    {
        var none = Vector512.Create(float.PositiveInfinity);
        for (int r = 0; r < rows; r++)
        {
            var best = Avx512F.LoadVector512(laneBest + r * 16);
            var lanes = Avx512F.LoadVector512(laneIndex + r * 16);
            float m = best.ToScalarMin();
            var tied = Vector512.Equals(best, Vector512.Create(m)).AsInt32();
            int chosen = Vector512.ConditionalSelect(tied, lanes, Vector512.Create(int.MaxValue)).ToScalarMin();
            var others = Vector512.ConditionalSelect(Vector512.Equals(lanes, Vector512.Create(chosen)).AsSingle(), none, best);
            bestDist[start + r] = m;
            bestIndex[start + r] = chosen;
            second[r] = Vector512.Min(others, Avx512F.LoadVector512(laneSecond + r * 16)).ToScalarMin();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx512(float* x, int d, int kc, float* b, float* o)
    {
        Vector512<float> a00 = Avx512F.LoadVector512(o), a01 = Avx512F.LoadVector512(o + 16),
                         a10 = Avx512F.LoadVector512(o + 32), a11 = Avx512F.LoadVector512(o + 48),
                         a20 = Avx512F.LoadVector512(o + 64), a21 = Avx512F.LoadVector512(o + 80),
                         a30 = Avx512F.LoadVector512(o + 96), a31 = Avx512F.LoadVector512(o + 112),
                         a40 = Avx512F.LoadVector512(o + 128), a41 = Avx512F.LoadVector512(o + 144),
                         a50 = Avx512F.LoadVector512(o + 160), a51 = Avx512F.LoadVector512(o + 176);
        float* x0 = x, x1 = x + d, x2 = x + 2 * d, x3 = x + 3 * d, x4 = x + 4 * d, x5 = x + 5 * d;
        for (int p = 0; p < kc; p++, b += PanelWidth)
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
}

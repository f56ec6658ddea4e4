using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneCmdlets.Numerics;

// AVX2 + FMA: the register tile, as two 3-row halves of 12 accumulators (16 ymm registers).
public static unsafe partial class DistanceKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx2Rows3(float* x, int d, int kc, float* b, float* o)
    {
        Vector256<float> a00 = Avx.LoadVector256(o), a01 = Avx.LoadVector256(o + 8), a02 = Avx.LoadVector256(o + 16), a03 = Avx.LoadVector256(o + 24),
                         a10 = Avx.LoadVector256(o + 32), a11 = Avx.LoadVector256(o + 40), a12 = Avx.LoadVector256(o + 48), a13 = Avx.LoadVector256(o + 56),
                         a20 = Avx.LoadVector256(o + 64), a21 = Avx.LoadVector256(o + 72), a22 = Avx.LoadVector256(o + 80), a23 = Avx.LoadVector256(o + 88);
        float* x0 = x, x1 = x + d, x2 = x + 2 * d;
        for (int p = 0; p < kc; p++, b += PanelWidth)
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
}

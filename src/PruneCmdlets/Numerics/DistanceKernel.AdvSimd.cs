using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace PruneCmdlets.Numerics;

// Arm AdvSimd: the register tile, as two 3-row halves.
public static unsafe partial class DistanceKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAdvSimdRows3(float* x, int d, int kc, float* b, float* o)
    {
        // 3 rows × 8 quad vectors = 24 accumulators of Arm's 32 registers.
        var acc = stackalloc Vector128<float>[24];
        for (int i = 0; i < 24; i++) acc[i] = AdvSimd.LoadVector128(o + 4 * i);
        for (int p = 0; p < kc; p++, b += PanelWidth)
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
}

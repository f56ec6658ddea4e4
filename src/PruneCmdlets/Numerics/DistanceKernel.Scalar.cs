namespace PruneCmdlets.Numerics;

// No vector unit: the reference tile, the same fused multiply-add chain one lane at a time.
public static unsafe partial class DistanceKernel
{
    private static void TileScalar(float* x, int d, int kc, float* b, float* o)
    {
        for (int r = 0; r < TileRows; r++)
            for (int j = 0; j < PanelWidth; j++)
            {
                float a = o[r * PanelWidth + j];
                for (int p = 0; p < kc; p++) a = MathF.FusedMultiplyAdd(x[r * d + p], b[p * PanelWidth + j], a);
                o[r * PanelWidth + j] = a;
            }
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PruneCmdlets.Numerics;

/// <summary>
/// Sums over a row grouped the same way on every machine. Results must depend on the seed alone,
/// and a sum grouped in <c>Vector&lt;float&gt;.Count</c> lanes changes its last bits with the
/// machine (8 floats with AVX2, 4 on Arm64 or with AVX2 disabled, 1 without SIMD), so these
/// always use <see cref="Lanes"/> = 16 lanes: lane l takes the terms i ≡ l (mod 16) of the first
/// ⌊D/16⌋·16, in order. The lanes are then added as a halving tree (l + l+8, then + l+4, + l+2,
/// + l+1), and the remaining D mod 16 terms are added to that in order. Whatever width runs the
/// lanes (two 256-bit vectors, four or eight 128-bit ones, or a scalar loop over 16 slots) only
/// changes how many lanes move at once, never which terms meet in which order. Terms are a
/// multiply then an add, never fused, on every path. 16 lanes rather than 8 also give four
/// independent add chains where the 8-lane loop had two, which is what makes them faster.
/// </summary>
internal static class FixedLanes
{
    public const int Lanes = 16;

    /// <summary>The hardware width that runs the lanes; Auto is the widest accelerated one. Tests force each.</summary>
    public enum Width { Auto, V256, V128, Scalar }

    public static Width Detect() =>
        Vector256.IsHardwareAccelerated ? Width.V256 : Vector128.IsHardwareAccelerated ? Width.V128 : Width.Scalar;

    /// <summary>Σ a[i]² in double (each square is exact).</summary>
    public static double SumSquares(ReadOnlySpan<float> a, Width width = Width.Auto) => Sum<Square>(a, a, width);

    /// <summary>Σ (a[i] − b[i])² in double: the difference of two floats, then its square.</summary>
    public static double SumSquaredDifferences(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Width width = Width.Auto)
    {
        if (b.Length < a.Length) throw new ArgumentException("The second row is shorter than the first.", nameof(b));
        return Sum<Difference>(a, b, width);
    }

    /// <summary>Σ (a[i] − b[i])² in float lanes, for bounds that allow for float rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SumSquaredDifferencesFloat(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Width width = Width.Auto)
    {
        if (b.Length < a.Length) throw new ArgumentException("The second row is shorter than the first.", nameof(b));
        if (width == Width.Auto) width = Detect();
        int full = a.Length / Lanes * Lanes;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        float s;
        if (width == Width.V256 && Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default;
            for (nuint i = 0; i < (nuint)full; i += Lanes)
            {
                var d0 = Vector256.LoadUnsafe(ref ra, i) - Vector256.LoadUnsafe(ref rb, i);
                var d1 = Vector256.LoadUnsafe(ref ra, i + 8) - Vector256.LoadUnsafe(ref rb, i + 8);
                s0 += d0 * d0;
                s1 += d1 * d1;
            }
            var m = s0 + s1;                       // lanes l and l+8
            s = Last4(m.GetLower() + m.GetUpper()); // then l+4, l+2, l+1
        }
        else if (width == Width.V128 && Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (nuint i = 0; i < (nuint)full; i += Lanes)
            {
                var d0 = Vector128.LoadUnsafe(ref ra, i) - Vector128.LoadUnsafe(ref rb, i);
                var d1 = Vector128.LoadUnsafe(ref ra, i + 4) - Vector128.LoadUnsafe(ref rb, i + 4);
                var d2 = Vector128.LoadUnsafe(ref ra, i + 8) - Vector128.LoadUnsafe(ref rb, i + 8);
                var d3 = Vector128.LoadUnsafe(ref ra, i + 12) - Vector128.LoadUnsafe(ref rb, i + 12);
                s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
            }
            s = Last4((s0 + s2) + (s1 + s3));
        }
        else
        {
            Span<float> lanes = stackalloc float[Lanes];
            for (int i = 0; i < full; i += Lanes)
                for (int l = 0; l < Lanes; l++) { float d = a[i + l] - b[i + l]; lanes[l] += d * d; }
            s = Tree(lanes);
        }
        for (int i = full; i < a.Length; i++) { float d = a[i] - b[i]; s += d * d; }
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Sum<T>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Width width) where T : struct, ITerms
    {
        if (width == Width.Auto) width = Detect();
        int full = a.Length / Lanes * Lanes;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        double s;
        if (width == Width.V256 && Vector256.IsHardwareAccelerated)
        {
            // s0..s3 hold lanes 0–3, 4–7, 8–11, 12–15.
            Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
            for (nuint i = 0; i < (nuint)full; i += Lanes)
            {
                var (t0, t1) = T.Terms256(ref ra, ref rb, i);
                var (t2, t3) = T.Terms256(ref ra, ref rb, i + 8);
                s0 += t0; s1 += t1; s2 += t2; s3 += t3;
            }
            var q = (s0 + s2) + (s1 + s3);        // lanes l and l+8, then l+4
            var r = q.GetLower() + q.GetUpper();  // then l+2
            s = r.GetElement(0) + r.GetElement(1);
        }
        else if (width == Width.V128 && Vector128.IsHardwareAccelerated)
        {
            // s0..s7 hold lanes 0–1, 2–3, …, 14–15.
            Vector128<double> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (nuint i = 0; i < (nuint)full; i += Lanes)
            {
                var (t0, t1) = T.Terms128(ref ra, ref rb, i);
                var (t2, t3) = T.Terms128(ref ra, ref rb, i + 4);
                var (t4, t5) = T.Terms128(ref ra, ref rb, i + 8);
                var (t6, t7) = T.Terms128(ref ra, ref rb, i + 12);
                s0 += t0; s1 += t1; s2 += t2; s3 += t3; s4 += t4; s5 += t5; s6 += t6; s7 += t7;
            }
            var r = ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7));
            s = r.GetElement(0) + r.GetElement(1);
        }
        else
        {
            Span<double> lanes = stackalloc double[Lanes];
            for (int i = 0; i < full; i += Lanes)
                for (int l = 0; l < Lanes; l++) lanes[l] += T.Term(a[i + l], b[i + l]);
            s = Tree(lanes);
        }
        for (int i = full; i < a.Length; i++) s += T.Term(a[i], b[i]);
        return s;
    }

    /// <summary>(q0 + q2) + (q1 + q3): the last two levels of the tree over four lanes.</summary>
    private static float Last4(Vector128<float> q) => (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));

    /// <summary>The halving tree over 16 lanes, spelled out: what every vector path computes.</summary>
    private static T Tree<T>(Span<T> lanes) where T : IAdditionOperators<T, T, T>
    {
        for (int half = Lanes / 2; half >= 1; half /= 2)
            for (int l = 0; l < half; l++) lanes[l] = lanes[l] + lanes[l + half];
        return lanes[0];
    }

    /// <summary>One term per element in double: scalar, or widened from the 8 or 4 floats at a[i…] (and b[i…]).</summary>
    private interface ITerms
    {
        static abstract double Term(float a, float b);
        static abstract (Vector256<double> Lower, Vector256<double> Upper) Terms256(ref float a, ref float b, nuint i);
        static abstract (Vector128<double> Lower, Vector128<double> Upper) Terms128(ref float a, ref float b, nuint i);
    }

    private struct Square : ITerms
    {
        public static double Term(float a, float b) => (double)a * a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector256<double> Lower, Vector256<double> Upper) Terms256(ref float a, ref float b, nuint i)
        {
            var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref a, i));
            return (lo * lo, hi * hi);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector128<double> Lower, Vector128<double> Upper) Terms128(ref float a, ref float b, nuint i)
        {
            var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref a, i));
            return (lo * lo, hi * hi);
        }
    }

    private struct Difference : ITerms
    {
        public static double Term(float a, float b) { double d = (double)a - b; return d * d; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector256<double> Lower, Vector256<double> Upper) Terms256(ref float a, ref float b, nuint i)
        {
            var (al, ah) = Vector256.Widen(Vector256.LoadUnsafe(ref a, i));
            var (bl, bh) = Vector256.Widen(Vector256.LoadUnsafe(ref b, i));
            var dl = al - bl;
            var dh = ah - bh;
            return (dl * dl, dh * dh);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector128<double> Lower, Vector128<double> Upper) Terms128(ref float a, ref float b, nuint i)
        {
            var (al, ah) = Vector128.Widen(Vector128.LoadUnsafe(ref a, i));
            var (bl, bh) = Vector128.Widen(Vector128.LoadUnsafe(ref b, i));
            var dl = al - bl;
            var dh = ah - bh;
            return (dl * dl, dh * dh);
        }
    }
}

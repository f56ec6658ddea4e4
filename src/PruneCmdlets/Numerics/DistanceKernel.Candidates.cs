using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneCmdlets.Numerics;

/// <summary>
/// Squared distances from a fixed set of rows to a few candidates at a time: the greedy
/// k-means++ step, which scores 2 + ⌊ln K⌋ candidates (8 at K = 1000) for every centroid it
/// adds. With so few candidates the panel tile leaves most of its lanes empty, so on AVX-512 the
/// rows are transposed once into groups of 16, one row per lane ([group][D][16]), and each
/// candidate coordinate is broadcast instead: every lane does useful work. Each distance is the
/// same FMA chain over p = 0..D−1 and the same final formula as <see cref="DistancesToPanel"/>,
/// which the other instruction sets use, so the values are the same to the bit.
/// </summary>
public static unsafe partial class DistanceKernel
{
    private const int RowLanes = 16;          // rows per lane group
    private const int CandidatesPerPass = 8;  // 2 row groups × 8 candidates = 16 accumulators

    /// <summary>Rows prepared once for many <see cref="CandidateDistances"/> calls.</summary>
    public sealed class CandidateRows
    {
        internal CandidateRows(ReadOnlyMemory<float> rows, float[] norms, int n, int d, Isa isa, float[]? lanes, float[]? laneNorms)
        {
            Rows = rows; Norms = norms; N = n; D = d; Isa = isa; Lanes = lanes; LaneNorms = laneNorms;
        }

        public int N { get; }
        public int D { get; }
        internal ReadOnlyMemory<float> Rows { get; }
        internal float[] Norms { get; }
        internal Isa Isa { get; }
        /// <summary>AVX-512 only: the rows transposed, [group][D][16], zero-padded to an even number of groups.</summary>
        internal float[]? Lanes { get; }
        /// <summary>‖x‖² per lane, padded like <see cref="Lanes"/>.</summary>
        internal float[]? LaneNorms { get; }
    }

    /// <summary>Prepares the n×d rows <paramref name="x"/> (with their squared norms) for scoring candidates against.</summary>
    public static CandidateRows PrepareCandidateRows(ReadOnlyMemory<float> x, float[] xNorms, int n, int d, Isa isa = Isa.Auto)
    {
        if (x.Length < (long)n * d) throw new ArgumentException("Row buffer is shorter than N×D.", nameof(x));
        if (isa == Isa.Auto) isa = Detect();
        if (isa != Isa.Avx512 || !Avx512F.IsSupported) return new CandidateRows(x, xNorms, n, d, isa, null, null);
        int groups = (n + 2 * RowLanes - 1) / (2 * RowLanes) * 2;
        var lanes = LargeArray.Allocate((long)groups * d * RowLanes, zeroed: true);
        var laneNorms = new float[groups * RowLanes];
        var xs = x.Span;
        for (int i = 0; i < n; i++)
        {
            var row = xs.Slice(i * d, d);
            long at = (long)(i / RowLanes) * d * RowLanes + i % RowLanes;
            for (int p = 0; p < d; p++) lanes[at + (long)p * RowLanes] = row[p];
            laneNorms[i] = xNorms[i];
        }
        return new CandidateRows(x, xNorms, n, d, isa, lanes, laneNorms);
    }

    /// <summary>
    /// result[j·N + i] = ‖x_i − c_j‖² (the kernel's value, clamped at 0) for every prepared row i
    /// and each of the <paramref name="count"/> (at most 32) candidates, row-major in
    /// <paramref name="candidates"/>.
    /// </summary>
    public static void CandidateDistances(CandidateRows rows, ReadOnlySpan<float> candidates, int count, float[] result,
        int maxThreads = -1, CancellationToken cancel = default)
    {
        int n = rows.N, d = rows.D;
        var packed = Pack(candidates, count, d);   // checks count ≤ 32 and gives the norms the panel path uses
        if (rows.Lanes is null)
        {
            DistancesToPanel(rows.Rows, rows.Norms, n, packed, result, maxThreads, cancel, rows.Isa);
            return;
        }
        if (packed.PanelCount != 1) throw new ArgumentException($"At most {PanelWidth} candidates; got {count}.", nameof(count));
        if (result.Length < (long)count * n) throw new ArgumentException("Result buffer is shorter than count×N.", nameof(result));
        // Candidates transposed in passes of 8, [pass][D][8], zero-padded: each coordinate is broadcast.
        int passes = (count + CandidatesPerPass - 1) / CandidatesPerPass;
        var columns = new float[passes * d * CandidatesPerPass];
        for (int j = 0; j < count; j++)
            for (int p = 0; p < d; p++)
                columns[(j / CandidatesPerPass * d + p) * CandidatesPerPass + j % CandidatesPerPass] = candidates[j * d + p];
        float[] lanes = rows.Lanes, laneNorms = rows.LaneNorms!, norms = packed.Norms;
        int pairs = lanes.Length / (d * 2 * RowLanes);
        const int PairsPerItem = 4;   // 128 rows per work item, fixed: the partition never depends on the thread count
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        Parallel.For(0, (pairs + PairsPerItem - 1) / PairsPerItem, options, item =>
        {
            float* acc = stackalloc float[CandidatesPerPass * 2 * RowLanes];
            float* tail = stackalloc float[RowLanes];
            fixed (float* lp = lanes, cp = columns, np = laneNorms)
            {
                for (int pair = item * PairsPerItem; pair < Math.Min(pairs, (item + 1) * PairsPerItem); pair++)
                {
                    float* group0 = lp + (long)pair * 2 * d * RowLanes;
                    for (int pass = 0; pass < passes; pass++)
                    {
                        CandidateTileAvx512(group0, group0 + (long)d * RowLanes, d, cp + (long)pass * d * CandidatesPerPass, acc);
                        int first = pass * CandidatesPerPass, here = Math.Min(CandidatesPerPass, count - first);
                        for (int g = 0; g < 2; g++)
                        {
                            int row0 = (pair * 2 + g) * RowLanes;
                            if (row0 >= n) break;
                            var xNorm = Avx512F.LoadVector512(np + row0);
                            for (int j = 0; j < here; j++)
                            {
                                // The same formula, in the same order, as DistancesToPanel: max(0, (‖c‖² − 2x·c) + ‖x‖²).
                                var v = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(acc + (j * 2 + g) * RowLanes), Vector512.Create(-2f), Vector512.Create(norms[first + j]));
                                var y = v + xNorm;
                                y = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(y, Vector512<float>.Zero), Vector512<float>.Zero, y); // +0 for −0, NaN kept: Math.Max(0f, y)
                                int valid = Math.Min(RowLanes, n - row0);
                                fixed (float* rp = &result[(long)(first + j) * n + row0])
                                {
                                    if (valid == RowLanes) y.Store(rp);
                                    else { y.Store(tail); new ReadOnlySpan<float>(tail, valid).CopyTo(new Span<float>(rp, valid)); }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// acc[j][g] = x·c_j for the 16 rows of each of two lane groups and 8 candidates: per
    /// dimension two row vectors, eight broadcasts and sixteen FMAs, every lane a real row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CandidateTileAvx512(float* g0, float* g1, int d, float* columns, float* acc)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default,
                         a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        for (int p = 0; p < d; p++, g0 += RowLanes, g1 += RowLanes, columns += CandidatesPerPass)
        {
            var r0 = Avx512F.LoadVector512(g0);
            var r1 = Avx512F.LoadVector512(g1);
            var c = Vector512.Create(columns[0]); a00 = Avx512F.FusedMultiplyAdd(r0, c, a00); a01 = Avx512F.FusedMultiplyAdd(r1, c, a01);
            c = Vector512.Create(columns[1]); a10 = Avx512F.FusedMultiplyAdd(r0, c, a10); a11 = Avx512F.FusedMultiplyAdd(r1, c, a11);
            c = Vector512.Create(columns[2]); a20 = Avx512F.FusedMultiplyAdd(r0, c, a20); a21 = Avx512F.FusedMultiplyAdd(r1, c, a21);
            c = Vector512.Create(columns[3]); a30 = Avx512F.FusedMultiplyAdd(r0, c, a30); a31 = Avx512F.FusedMultiplyAdd(r1, c, a31);
            c = Vector512.Create(columns[4]); a40 = Avx512F.FusedMultiplyAdd(r0, c, a40); a41 = Avx512F.FusedMultiplyAdd(r1, c, a41);
            c = Vector512.Create(columns[5]); a50 = Avx512F.FusedMultiplyAdd(r0, c, a50); a51 = Avx512F.FusedMultiplyAdd(r1, c, a51);
            c = Vector512.Create(columns[6]); a60 = Avx512F.FusedMultiplyAdd(r0, c, a60); a61 = Avx512F.FusedMultiplyAdd(r1, c, a61);
            c = Vector512.Create(columns[7]); a70 = Avx512F.FusedMultiplyAdd(r0, c, a70); a71 = Avx512F.FusedMultiplyAdd(r1, c, a71);
        }
        a00.Store(acc); a01.Store(acc + 16); a10.Store(acc + 32); a11.Store(acc + 48);
        a20.Store(acc + 64); a21.Store(acc + 80); a30.Store(acc + 96); a31.Store(acc + 112);
        a40.Store(acc + 128); a41.Store(acc + 144); a50.Store(acc + 160); a51.Store(acc + 176);
        a60.Store(acc + 192); a61.Store(acc + 208); a70.Store(acc + 224); a71.Store(acc + 240);
    }
}

using PruneCmdlets.Numerics;

namespace PruneCmdlets.Clustering;

/// <summary>
/// Lets a Lloyd iteration skip the records whose nearest centroid provably cannot have changed,
/// without changing a single assignment (Elkan 2003, lemma 1; Hamerly 2010). Each record keeps
/// an upper bound u on its distance to its centroid, and a lower bound l on its distance to
/// every other centroid (the runner-up's distance when it was last searched); after an update,
/// u grows by how far its centroid moved and l shrinks by the farthest move of any centroid.
/// Each centroid c has s(c), half the distance to its nearest other centroid. If u &lt; s(c)
/// (the triangle inequality) or u &lt; l, every other centroid is farther than c, so the record
/// stays. Otherwise its exact distance tightens u and the tests run again; only records that
/// still fail go through the distance kernel. In high dimensions s(c) is rarely large enough,
/// while l keeps almost every record in place once the centroids settle.
///
/// Skipping must give the assignment the kernel itself would give, so the test keeps a margin
/// for the kernel's rounding: the kernel's squared distance ‖x‖² − 2x·c + ‖c‖² in float is within
/// e = (D + 4)·2⁻²⁴·(‖x‖ + ‖c‖)² of the exact one, and a record is skipped only when every other
/// centroid is provably more than 2e farther in squared distance. Bounds only ever err on the
/// safe side (u up; s and the lower bound down), so a skipped record is always one the kernel
/// would leave in place. Tests compare every iteration with and without skipping.
/// </summary>
internal sealed class LloydBounds
{
    private const double Unit = 1.0 / (1 << 24);   // float rounding unit
    private readonly float[] _upper;               // per record: ≥ its exact distance to its centroid
    private readonly float[] _lower;               // per record: ≤ that distance (spares a hopeless tightening)
    private readonly float[] _others;              // per record: ≤ its exact distance to every other centroid
    private readonly double[] _half;               // per centroid: ≤ half the distance to its nearest other centroid
    private readonly double[] _exactHalf;          // s(c) when it was last computed from the centroids
    private bool _haveHalf;
    private readonly int _d, _k;

    public LloydBounds(int n, int d, int k)
    {
        _upper = new float[n];
        _lower = new float[n];
        _others = new float[n];
        _half = new double[k];
        _exactHalf = new double[k];
        _d = d;
        _k = k;
    }

    /// <summary>False until a full assignment has set every bound.</summary>
    public bool Ready { get; private set; }

    /// <summary>
    /// Bounds from kernel distances: for every record when <paramref name="rows"/> is null,
    /// else for the listed records, whose distances are <paramref name="dist"/>[j] (to the
    /// nearest centroid) and <paramref name="second"/>[j] (to the runner-up) for rows[j].
    /// </summary>
    public void SetFromKernel(float[] dist, float[] second, float[] xNorms, int[]? rows, int count, double maxCentroidNorm)
    {
        for (int j = 0; j < count; j++)
        {
            int i = rows is null ? j : rows[j];
            double e = KernelError(xNorms[i], maxCentroidNorm);
            _upper[i] = NextUp(Math.Sqrt(Math.Max(0, dist[j]) + e));
            _lower[i] = NextDown(Math.Sqrt(Math.Max(0, dist[j] - e)));
            _others[i] = NextDown(Math.Sqrt(Math.Max(0, second[j] - e)));
        }
        if (rows is null) Ready = true;
    }

    /// <summary>Bound on the kernel's error in one squared distance; ‖c‖ ≤ <paramref name="maxCentroidNorm"/>.</summary>
    private double KernelError(float xNorm, double maxCentroidNorm)
    {
        double norm = Math.Sqrt(xNorm) * (1 + 1e-6) + maxCentroidNorm;
        return (_d + 4) * Unit * norm * norm;
    }

    /// <summary>
    /// After an update from <paramref name="old"/> to <paramref name="now"/>: every record's
    /// bounds widen by its centroid's move (l by the farthest move), and s(c) follows the new
    /// centroids.
    /// </summary>
    public void Move(float[] old, float[] now, int[] assignment, int maxThreads)
    {
        var drift = new double[_k];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        Parallel.For(0, _k, options, c =>
            drift[c] = Math.Sqrt(DistanceKernel.ExactSquaredDistance(old.AsSpan(c * _d, _d), now.AsSpan(c * _d, _d))) * (1 + 1e-9));
        double maxDrift = drift.Max();
        Parallel.For(0, (_upper.Length + 4095) / 4096, options, b =>
        {
            int end = Math.Min(_upper.Length, (b + 1) * 4096);
            for (int i = b * 4096; i < end; i++)
            {
                _upper[i] = NextUp(_upper[i] + drift[assignment[i]]);
                _lower[i] = NextDown(Math.Max(0, _lower[i] - drift[assignment[i]]));
                _others[i] = NextDown(Math.Max(0, _others[i] - maxDrift));
            }
        });
        // s(c) only shrinks by (δ_c + δ_max)/2 when the centroids move, so while they settle it is
        // carried forward that way; it is recomputed (K²·D work) once it has lost 2%.
        bool recompute = !_haveHalf;
        for (int c = 0; c < _k && !recompute; c++)
            if (_half[c] - (drift[c] + maxDrift) / 2 < 0.98 * _exactHalf[c]) recompute = true;
        if (recompute) HalfGaps(now, maxThreads);
        else for (int c = 0; c < _k; c++) _half[c] -= (drift[c] + maxDrift) / 2;
    }

    /// <summary>
    /// The records that must go through the kernel, in increasing order; the others keep their
    /// centroid. Records whose loose bound fails get their exact distance first.
    /// </summary>
    public int[] Candidates(ReadOnlyMemory<float> x, float[] xNorms, float[] centroids, int[] assignment, double maxCentroidNorm, int maxThreads)
    {
        int n = _upper.Length;
        const int Chunk = 4096;
        var parts = new List<int>[(n + Chunk - 1) / Chunk];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        Parallel.For(0, parts.Length, options, b =>
        {
            var list = new List<int>();
            var xs = x.Span;
            int end = Math.Min(n, (b + 1) * Chunk);
            for (int i = b * Chunk; i < end; i++)
            {
                int c = assignment[i];
                double error = KernelError(xNorms[i], maxCentroidNorm);
                if (Stays(_upper[i], c, _others[i], error)) continue;
                // Even the exact distance would fail the tests: no point computing it.
                if (!Stays(_lower[i], c, _others[i], error)) { list.Add(i); continue; }
                double exact = Math.Sqrt(DistanceKernel.ExactSquaredDistance(xs.Slice(i * _d, _d), centroids.AsSpan(c * _d, _d)));
                _upper[i] = NextUp(exact * (1 + 1e-9));
                _lower[i] = NextDown(exact * (1 - 1e-9));
                if (!Stays(_upper[i], c, _others[i], error)) list.Add(i);
            }
            parts[b] = list;
        });
        var all = new int[parts.Sum(p => p.Count)];
        int at = 0;
        foreach (var p in parts) { p.CopyTo(all, at); at += p.Count; }
        return all;
    }

    // Every other centroid c' is provably farther in squared distance by more than 2e, the
    // kernel's error on both distances, so the kernel too ranks c first. Either u < s − e/(2s):
    // then d(x, c') ≥ 2s − u and (2s − u)² − u² = 4s(s − u) > 2e; or l² − u² > 2e, as
    // d(x, c') ≥ l.
    private bool Stays(float upper, int c, float others, double error)
    {
        double s = _half[c];
        return (s > 0 && upper < s - error / (2 * s)) || (double)others * others - (double)upper * upper > 2 * error;
    }

    /// <summary>s(c) = half the distance from c to its nearest other centroid, rounded down.</summary>
    private void HalfGaps(float[] centroids, int maxThreads)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
        // Each pair once (c < o), minima kept per worker and merged: a minimum does not
        // depend on the order it is taken in, so neither does s.
        var nearest = new double[_k];
        Array.Fill(nearest, double.PositiveInfinity);
        var gate = new object();
        Parallel.For(0, _k, options, () => CreateInfinite(_k), (c, _, local) =>
        {
            var row = centroids.AsSpan(c * _d, _d);
            for (int o = c + 1; o < _k; o++)
            {
                double sq = VectorMath.SquaredDistanceFloat(row, centroids.AsSpan(o * _d, _d));
                if (sq < local[c]) local[c] = sq;
                if (sq < local[o]) local[o] = sq;
            }
            return local;
        }, local => { lock (gate) for (int c = 0; c < _k; c++) nearest[c] = Math.Min(nearest[c], local[c]); });
        // The float sum of D positive squares is within (D + 2)·2⁻²⁴ of the exact figure.
        for (int c = 0; c < _k; c++)
            _exactHalf[c] = _half[c] = _k < 2 ? 0 : 0.5 * Math.Sqrt(Math.Max(0, nearest[c] * (1 - (_d + 4) * Unit * 2)));
        _haveHalf = true;
    }

    private static float NextUp(double value) => MathF.BitIncrement((float)value);

    private static float NextDown(double value) => Math.Max(0f, MathF.BitDecrement((float)value));

    private static double[] CreateInfinite(int k)
    {
        var a = new double[k];
        Array.Fill(a, double.PositiveInfinity);
        return a;
    }
}

using System.Diagnostics;
using System.Numerics;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Clustering;

/// <summary>
/// Lloyd's k-means over a contiguous, prepared N×D buffer (unit rows for Cosine). One training
/// loop in the shape of faiss Clustering.cpp: validate, initialise, then per iteration assign,
/// update, re-seed empty clusters and record stats; a final assignment to the final centroids.
///
/// Determinism: assignment is per row; each centroid is the sum of its members taken in record
/// order (a stable counting sort groups them), so no sum depends on scheduling; sampling uses
/// <see cref="DeterministicRandom"/>. The seed alone fixes the result.
/// </summary>
public static partial class KMeansTrainer
{
    public static KMeansModel Fit(ReadOnlyMemory<float> x, int n, int d, KMeansOptions options,
        Action<KMeansProgress>? progress = null, CancellationToken cancel = default)
        => FitAndAssign(x, n, d, options, progress, cancel).Model;

    /// <summary>Fits and also returns the final assignment, so callers need no extra pass.</summary>
    public static (KMeansModel Model, int[] Assignment) FitAndAssign(ReadOnlyMemory<float> x, int n, int d, KMeansOptions options,
        Action<KMeansProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate(n, d);
        var total = Stopwatch.StartNew();
        if (options.SampleSize > 0 && options.SampleSize < n)
            return FitOnSample(x, n, d, options, progress, cancel, total);
        var xNorms = VectorMath.RowSquaredNorms(x, n, d, out double xTotal);
        Run? best = null;
        for (int run = 0; run < options.NInit; run++)
        {
            var result = RunOnce(x, xNorms, xTotal, n, d, options, run, progress, cancel);
            if (best is null || result.Inertia < best.Inertia) best = result;
        }
        var b = best!;
        var sizes = new int[options.K];
        foreach (int c in b.Assignment) sizes[c]++;
        var model = new KMeansModel(b.Centroids, options.K, d, options.Metric)
        {
            Inertia = b.Inertia,
            Iterations = b.History.Count,
            Converged = b.Converged,
            Seed = options.Seed,
            Init = options.Init,
            BestRun = b.RunIndex,
            NInit = options.NInit,
            TrainingCount = n,
            TrainingSeconds = total.Elapsed.TotalSeconds,
            ClusterSizes = sizes,
            History = b.History,
        };
        return (model, b.Assignment);
    }

    /// <summary>Fits on a seeded sample, then places every record against the fitted centroids.</summary>
    private static (KMeansModel, int[]) FitOnSample(ReadOnlyMemory<float> x, int n, int d, KMeansOptions options,
        Action<KMeansProgress>? progress, CancellationToken cancel, Stopwatch total)
    {
        int m = options.SampleSize;
        var rows = SampleWithoutReplacement(n, m, DeterministicRandom.Derive(options.Seed, -1));
        Array.Sort(rows);
        var sample = LargeArray.Allocate((long)m * d); // every sampled row is copied in
        var xs = x.Span;
        for (int i = 0; i < m; i++) xs.Slice(rows[i] * d, d).CopyTo(sample.AsSpan(i * d, d));
        var inner = new KMeansOptions
        {
            K = options.K, Metric = options.Metric, Init = options.Init, MaxIterations = options.MaxIterations, Tolerance = options.Tolerance,
            Seed = options.Seed, NInit = options.NInit, MaxThreads = options.MaxThreads, InitSampleSize = options.InitSampleSize,
            InitialCentroids = options.InitialCentroids, MiniBatchSize = options.MiniBatchSize, RunAllIterations = options.RunAllIterations,
            SkipSettledRecords = options.SkipSettledRecords,
        };
        var (fitted, _) = FitAndAssign(sample, m, d, inner, progress, cancel);
        var assignment = new int[n];
        var distance = new double[n];
        fitted.Assign(x, n, assignment, distance, options.MaxThreads, cancel);
        var sizes = new int[options.K];
        foreach (int c in assignment) sizes[c]++;
        var model = new KMeansModel(fitted.CentroidBuffer, options.K, d, options.Metric)
        {
            Inertia = distance.Sum(v => options.Metric == DistanceMetric.Cosine ? v : v * v),
            Iterations = fitted.Iterations, Converged = fitted.Converged, Seed = options.Seed, Init = options.Init,
            BestRun = fitted.BestRun, NInit = options.NInit, TrainingCount = m, TrainingSeconds = total.Elapsed.TotalSeconds,
            ClusterSizes = sizes, History = fitted.History,
        };
        return (model, assignment);
    }

    private sealed record Run(int RunIndex, float[] Centroids, int[] Assignment, double Inertia, bool Converged, List<KMeansIterationStats> History);

    private static Run RunOnce(ReadOnlyMemory<float> x, float[] xNorms, double xTotal, int n, int d, KMeansOptions o, int run,
        Action<KMeansProgress>? progress, CancellationToken cancel)
    {
        var rng = DeterministicRandom.Derive(o.Seed, run);
        int k = o.K;
        float[] centroids = o.InitialCentroids is not null ? (float[])o.InitialCentroids.Clone()
            : o.Init == KMeansInit.Random ? InitRandom(x, n, d, k, rng)
            : InitPlusPlus(x, n, d, k, o.EffectiveInitSampleSize(n), rng, o.MaxThreads, cancel);

        var assignment = new int[n];
        Array.Fill(assignment, -1);
        var next = new int[n];
        var dist = new float[n];
        var history = new List<KMeansIterationStats>();
        double previous = double.PositiveInfinity;
        bool converged = false, settled = false;
        var bounds = o.UsesBounds(d) ? new LloydBounds(n, d, k) : null;
        var before = new float[k * d];  // the centroids this iteration assigned with
        var terms = new double[k];
        // Clusters whose members changed this iteration, and every cluster's last sum: an
        // unchanged cluster keeps its centroid without being summed again.
        var clusterChanged = new bool[k];
        var keptSums = (long)k * d <= 1L << 24 ? new double[k * d] : null;
        bool reseededBefore = false;
        if (o.MiniBatchSize > 0) MiniBatch(x, xNorms, n, d, o, centroids, rng, history, run, progress, cancel);
        else for (int it = 1; it <= o.MaxIterations; it++)
        {
            cancel.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            Array.Copy(assignment, next, n);
            int searched = AssignNearest(x, xNorms, n, d, centroids, k, next, dist, bounds, o.MaxThreads, cancel);
            double assignSeconds = sw.Elapsed.TotalSeconds;
            int changed = 0;
            if (it == 1 || reseededBefore) Array.Fill(clusterChanged, true);
            else Array.Clear(clusterChanged);
            for (int i = 0; i < n; i++)
                if (next[i] != assignment[i])
                {
                    changed++;
                    if (assignment[i] >= 0) clusterChanged[assignment[i]] = true;
                    clusterChanged[next[i]] = true;
                }
            (assignment, next) = (next, assignment);

            centroids.AsSpan(0, k * d).CopyTo(before);
            var sizes = UpdateCentroids(x, n, d, k, assignment, centroids, o.Metric, o.MaxThreads, cancel, terms, clusterChanged, keptSums);
            // Σ‖x − c‖² over the centroids this iteration assigned with, from the cluster sums:
            // Σ‖x‖² − 2Σ S_c·c + Σ n_c‖c‖², so skipped records need no distance.
            double objective = Math.Max(0, xTotal + terms.Sum());
            if (o.Metric == DistanceMetric.Cosine) objective /= 2.0; // ‖x−c‖² = 2(1 − cos) on the sphere

            int reseeded = 0;
            if (sizes.Contains(0))
            {
                // Re-seeding takes the records farthest from the centroids they were assigned
                // to, measured exactly (skipped records have no kernel distance to compare).
                var exactDist = ExactSquaredDistances(x, n, d, assignment, before, o.MaxThreads, cancel);
                for (int i = 0; i < n; i++) dist[i] = (float)exactDist[i];
                reseeded = ReseedEmpty(x, n, d, sizes, dist, centroids);
            }
            reseededBefore = reseeded > 0;
            bounds?.Move(before, centroids, assignment, o.MaxThreads);
            double sumSq = 0;
            foreach (int s in sizes) sumSq += (double)s * s;
            history.Add(new KMeansIterationStats
            {
                Iteration = it,
                Objective = objective,
                Seconds = sw.Elapsed.TotalSeconds,
                AssignSeconds = assignSeconds,
                Imbalance = k * sumSq / ((double)n * n),
                Changed = changed,
                Reseeded = reseeded,
                Searched = searched,
            });
            progress?.Invoke(new KMeansProgress(run, o.NInit, it, o.MaxIterations, objective, sw.Elapsed.TotalSeconds));
            bool stalled = !double.IsInfinity(previous) && previous - objective <= o.Tolerance * previous;
            if (!o.RunAllIterations && reseeded == 0 && (changed == 0 || stalled))
            {
                converged = true;
                // No record moved, so the update rebuilt the same centroids from the same
                // members: this iteration's assignment is already the final one.
                settled = changed == 0;
                break;
            }
            previous = objective;
        }

        // Final assignment: every record goes to its nearest final centroid, exact objective.
        if (!settled) AssignNearest(x, xNorms, n, d, centroids, k, assignment, dist, bounds, o.MaxThreads, cancel);
        double inertia = 0;
        foreach (double e in ExactSquaredDistances(x, n, d, assignment, centroids, o.MaxThreads, cancel)) inertia += e;
        if (o.Metric == DistanceMetric.Cosine) inertia /= 2.0;
        return new Run(run, centroids, assignment, inertia, converged, history);
    }

    /// <summary>Each record's exact squared distance to its centroid.</summary>
    private static double[] ExactSquaredDistances(ReadOnlyMemory<float> x, int n, int d, int[] assignment, float[] centroids, int maxThreads, CancellationToken cancel)
    {
        var exact = new double[n];
        Parallel.For(0, (n + 1023) / 1024, new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1, CancellationToken = cancel }, b =>
        {
            int end = Math.Min(n, (b + 1) * 1024);
            var xs = x.Span;
            for (int i = b * 1024; i < end; i++)
                exact[i] = DistanceKernel.ExactSquaredDistance(xs.Slice(i * d, d), centroids.AsSpan(assignment[i] * d, d));
        });
        return exact;
    }

    /// <summary>
    /// Moves each record of <paramref name="assignment"/> (holding the current centroids) to its
    /// nearest of <paramref name="centroids"/>. With bounds ready, only the records whose
    /// centroid may have changed are searched; otherwise every record is, its kernel distance
    /// lands in <paramref name="dist"/> and the bounds are set from it. Returns how many records
    /// were searched.
    /// </summary>
    private static int AssignNearest(ReadOnlyMemory<float> x, float[] xNorms, int n, int d, float[] centroids, int k, int[] assignment, float[] dist,
        LloydBounds? bounds, int maxThreads, CancellationToken cancel)
    {
        var packed = DistanceKernel.Pack(centroids, k, d);
        double maxNorm = Math.Sqrt(packed.Norms.Take(k).Max()) * (1 + 1e-6);
        var rows = bounds is { Ready: true } ? bounds.Candidates(x, xNorms, centroids, assignment, maxNorm, maxThreads) : null;
        // Past 90% of the records, searching all of them in place is as quick.
        if (rows is not null && rows.Length <= 0.9 * n)
        {
            SearchRows(x, xNorms, rows, packed, assignment, bounds!, maxNorm, maxThreads, cancel);
            return rows.Length;
        }
        var second = bounds is null ? null : new float[n];
        DistanceKernel.Nearest(x, xNorms, n, packed, assignment, dist, maxThreads, cancel, secondDist: second);
        bounds?.SetFromKernel(dist, second!, xNorms, null, n, maxNorm);
        return n;
    }

    /// <summary>
    /// The nearest centroid for the listed rows only, through the same kernel (so each gets
    /// exactly the assignment a full pass would give); their results are written back and
    /// their bounds reset.
    /// </summary>
    private static void SearchRows(ReadOnlyMemory<float> x, float[] xNorms, int[] rows, DistanceKernel.PackedCentroids packed,
        int[] assignment, LloydBounds bounds, double maxNorm, int maxThreads, CancellationToken cancel)
    {
        int m = rows.Length;
        if (m == 0) return;
        var index = new int[m];
        var dist = new float[m];
        var second = new float[m];
        DistanceKernel.NearestRows(x, xNorms, rows, packed, index, dist, maxThreads, cancel, secondDist: second);
        for (int j = 0; j < m; j++) assignment[rows[j]] = index[j];
        bounds.SetFromKernel(dist, second, xNorms, rows, m, maxNorm);
    }

    /// <summary>
    /// Mean of each cluster's members, summed in double; for Cosine projected back to the
    /// sphere. Returns the cluster sizes; a cluster whose mean has no direction (members cancel
    /// out) is reported as size 0 so it gets re-seeded. Two deterministic strategies, chosen by
    /// K·D alone: small centroid sets stream the rows once into per-chunk sums; large ones sum
    /// each cluster's members in record order, one cluster per work item.
    ///
    /// With <paramref name="objectiveTerms"/>, also leaves there, per cluster, −2·S·c + n·‖c‖²
    /// for the centroid c it replaces, S and n its members' sum and count: the objective is then
    /// Σ‖x‖² plus their sum. With <paramref name="changed"/> and <paramref name="keptSums"/>
    /// (K×D, this cluster's S from the last update), a cluster whose members did not change is
    /// neither summed nor rewritten: the same members in the same order give the same sum and
    /// so the same centroid, bit for bit.
    /// </summary>
    internal static int[] UpdateCentroids(ReadOnlyMemory<float> x, int n, int d, int k, int[] assignment, float[] centroids,
        DistanceMetric metric, int maxThreads, CancellationToken cancel, double[]? objectiveTerms = null,
        bool[]? changed = null, double[]? keptSums = null)
    {
        var sizes = new int[k];
        for (int i = 0; i < n; i++) sizes[assignment[i]]++;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1, CancellationToken = cancel };
        bool incremental = changed is not null && keptSums is not null;
        var sumCluster = (long)k * d > 1 << 16
            ? MemberSums(sizes, x, n, d, k, assignment)
            : ChunkSums(x, n, d, k, assignment, options, incremental ? changed : null);

        const int ClustersPerItem = 8;
        Parallel.For(0, (k + ClustersPerItem - 1) / ClustersPerItem, options, () => new double[d], (item, _, sum) =>
        {
            int cEnd = Math.Min(k, (item + 1) * ClustersPerItem);
            for (int c = item * ClustersPerItem; c < cEnd; c++)
            {
                if (objectiveTerms is not null) objectiveTerms[c] = 0;
                if (sizes[c] == 0) continue;
                if (incremental && !changed![c])
                {
                    if (objectiveTerms is not null) objectiveTerms[c] = ObjectiveTerm(keptSums.AsSpan(c * d, d), sizes[c], centroids.AsSpan(c * d, d));
                    continue;
                }
                Array.Clear(sum);
                sumCluster(c, sum);
                if (incremental) sum.CopyTo(keptSums.AsSpan(c * d, d));
                if (objectiveTerms is not null) objectiveTerms[c] = ObjectiveTerm(sum, sizes[c], centroids.AsSpan(c * d, d));
                if (!WriteCentroid(sum, sizes[c], metric, centroids.AsSpan(c * d, d))) sizes[c] = 0;
            }
            return sum;
        }, _ => { });
        return sizes;
    }

    /// <summary>
    /// Rows cut into chunks whose size depends on N, K and D alone; each chunk summed in row
    /// order into its own K×D buffer (streaming through the data once, the buffer in cache);
    /// a cluster's sum then adds the chunks in chunk order, so no sum depends on the thread count.
    /// </summary>
    private static Action<int, double[]> ChunkSums(ReadOnlyMemory<float> x, int n, int d, int k, int[] assignment, ParallelOptions options, bool[]? only = null)
    {
        long kd = (long)k * d;
        // At most 256 MB of partial sums, and chunks of at least 8192 rows.
        int maxChunks = (int)Math.Clamp((256L << 20) / (kd * sizeof(double)), 1, 64);
        int chunks = Math.Max(1, Math.Min(maxChunks, (n + 8191) / 8192));
        int chunkRows = (n + chunks - 1) / chunks;
        var partial = new double[chunks][];
        Parallel.For(0, chunks, options, ch =>
        {
            var acc = new double[kd];
            var xs = x.Span;
            int end = Math.Min(n, (ch + 1) * chunkRows);
            for (int i = ch * chunkRows; i < end; i++)
                if (only is null || only[assignment[i]]) AddRow(acc.AsSpan(assignment[i] * d, d), xs.Slice(i * d, d));
            partial[ch] = acc;
        });
        return (c, sum) =>
        {
            for (int ch = 0; ch < chunks; ch++)
            {
                var part = partial[ch].AsSpan(c * d, d);
                for (int j = 0; j < d; j++) sum[j] += part[j];
            }
        };
    }

    /// <summary>Each cluster's members, grouped by a stable counting sort, summed in record order.</summary>
    private static Action<int, double[]> MemberSums(int[] sizes, ReadOnlyMemory<float> x, int n, int d, int k, int[] assignment)
    {
        var start = new int[k + 1];
        for (int c = 0; c < k; c++) start[c + 1] = start[c] + sizes[c];
        var fill = (int[])start.Clone();
        var members = new int[n];
        for (int i = 0; i < n; i++) members[fill[assignment[i]]++] = i;
        return (c, sum) =>
        {
            var xs = x.Span;
            for (int m = start[c]; m < start[c + 1]; m++) AddRow(sum, xs.Slice(members[m] * d, d));
        };
    }

    /// <summary>
    /// A cluster's share of Σ‖x − c‖² beyond Σ‖x‖²: −2·S·c + n·‖c‖², from its members' sum S
    /// and count n, in double.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static double ObjectiveTerm(ReadOnlySpan<double> sum, int size, ReadOnlySpan<float> centroid)
    {
        double dot = 0, norm = 0;
        for (int j = 0; j < centroid.Length; j++)
        {
            dot += sum[j] * centroid[j];
            norm += (double)centroid[j] * centroid[j];
        }
        return size * norm - 2 * dot;
    }

    /// <summary>
    /// The centroid from its members' sum: the mean, or for Cosine the mean's direction. False
    /// when a Cosine mean has no direction (the members cancel out).
    /// </summary>
    private static bool WriteCentroid(double[] sum, int size, DistanceMetric metric, Span<float> row)
    {
        double inv = 1.0 / size;
        if (metric == DistanceMetric.Cosine)
        {
            double norm = 0;
            for (int j = 0; j < sum.Length; j++) norm += sum[j] * sum[j];
            norm = Math.Sqrt(norm);
            if (norm == 0) return false;
            inv = 1.0 / norm;
        }
        for (int j = 0; j < sum.Length; j++) row[j] = (float)(sum[j] * inv);
        return true;
    }

    /// <summary>acc[j] += row[j] in double, one lane per dimension, so lane width never changes a sum.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void AddRow(Span<double> acc, ReadOnlySpan<float> row)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<float>.Count)
        {
            var accSpan = acc;
            int w = Vector<float>.Count;
            for (; j <= row.Length - w; j += w)
            {
                Vector.Widen(new Vector<float>(row.Slice(j, w)), out var lo, out var hi);
                (new Vector<double>(accSpan.Slice(j, w / 2)) + lo).CopyTo(accSpan.Slice(j, w / 2));
                (new Vector<double>(accSpan.Slice(j + w / 2, w / 2)) + hi).CopyTo(accSpan.Slice(j + w / 2, w / 2));
            }
        }
        for (; j < row.Length; j++) acc[j] += row[j];
    }

    /// <summary>
    /// Gives each empty cluster the record farthest from its centroid (ties: lowest index),
    /// never the same record twice, as scikit-learn does. Returns how many were re-seeded.
    /// </summary>
    internal static int ReseedEmpty(ReadOnlyMemory<float> x, int n, int d, int[] sizes, float[] dist, float[] centroids)
    {
        int empty = sizes.Count(s => s == 0);
        if (empty == 0) return 0;
        // The farthest records, farthest first (ties: lowest index), found in one pass that
        // keeps the best `empty` so far; the j-th empty cluster gets the j-th of them.
        var far = new List<int>(empty + 1);
        bool Before(int a, int b) => dist[a] > dist[b] || (dist[a] == dist[b] && a < b);
        for (int i = 0; i < n; i++)
        {
            if (far.Count == empty && !Before(i, far[^1])) continue;
            int at = far.Count;
            while (at > 0 && Before(i, far[at - 1])) at--;
            far.Insert(at, i);
            if (far.Count > empty) far.RemoveAt(far.Count - 1);
        }
        int reseeded = 0;
        for (int c = 0; c < sizes.Length && reseeded < far.Count; c++)
        {
            if (sizes[c] != 0) continue;
            x.Span.Slice(far[reseeded] * d, d).CopyTo(centroids.AsSpan(c * d, d));
            reseeded++;
        }
        return reseeded;
    }
}

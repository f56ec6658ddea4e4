using PruneCmdlets.Numerics;

namespace PruneCmdlets.Issues;

/// <summary>
/// The k nearest neighbours of every query row by cosine similarity, exact: every pair is
/// scored by the blocked distance kernel (no index, no approximation), the k best kept per row,
/// and their similarities recomputed exactly in double as 1 − ‖u − v‖²/2 on the unit vectors,
/// the figure SemDeDup reports. Rows are ordered by that exact similarity, then by index.
/// </summary>
public sealed class NeighborGraph
{
    private NeighborGraph(int rows, int k, int[] index, double[] similarity) { Rows = rows; K = k; Index = index; Similarity = similarity; }

    /// <summary>Clustered search only: the coarse list of every row (the duplicate check searches inside them at that scale).</summary>
    public int[]? ListOf { get; private init; }

    /// <summary>How the neighbours were found, in words.</summary>
    public string Method { get; private init; } = "exact";

    public int Rows { get; }
    public int K { get; }
    /// <summary>Rows × K base indices, best first; −1 where the base had fewer than K rows.</summary>
    public int[] Index { get; }
    /// <summary>Rows × K exact cosine similarities, NaN where Index is −1.</summary>
    public double[] Similarity { get; }

    /// <summary>Neighbours of every row of the unit matrix <paramref name="u"/> among its other rows.</summary>
    public static NeighborGraph Within(ReadOnlyMemory<float> u, int n, int d, int k, int maxThreads = -1, CancellationToken cancel = default, Action<long, long>? progress = null)
        => Build(u, n, u, n, d, k, 0, maxThreads, cancel, progress);

    /// <summary>Neighbours of every row of <paramref name="queries"/> among the rows of <paramref name="reference"/> (both unit rows).</summary>
    public static NeighborGraph Between(ReadOnlyMemory<float> queries, int m, ReadOnlyMemory<float> reference, int n, int d, int k,
        int maxThreads = -1, CancellationToken cancel = default, Action<long, long>? progress = null)
        => Build(queries, m, reference, n, d, k, -1, maxThreads, cancel, progress);

    /// <summary>
    /// Neighbours of every row of the unit matrix among its other rows, searched the way an IVF
    /// index searches: a coarse k-means of <paramref name="lists"/> centroids (fitted on a seeded
    /// sample) splits the rows into lists, and each row is compared with the rows of the
    /// <paramref name="probes"/> lists whose centroids are nearest to it. Approximate: a true
    /// neighbour in a list not probed is missed (Find-DataIssue's help gives the measured
    /// recall). Seeded and deterministic: the same on any thread count.
    /// </summary>
    public static NeighborGraph Clustered(ReadOnlyMemory<float> u, int n, int d, int k, int lists, int probes, long seed,
        int maxThreads = -1, CancellationToken cancel = default, Action<long, long>? progress = null)
    {
        lists = Math.Clamp(lists, 1, n);
        probes = Math.Clamp(probes, 1, lists);
        var (model, assignment) = PruneCmdlets.Clustering.KMeansTrainer.FitAndAssign(u, n, d, new PruneCmdlets.Clustering.KMeansOptions
        {
            K = lists, Metric = PruneCmdlets.Clustering.DistanceMetric.Cosine, Seed = seed, MaxIterations = 20,
            SampleSize = (int)Math.Min(n, 64L * lists), MaxThreads = maxThreads,
        }, cancel: cancel);
        // The lists each row probes: its nearest centroids by dot (the centroids are unit vectors).
        var (probe, _) = DistanceKernel.TopDots(u, n, model.CentroidBuffer, lists, d, probes, -1, maxThreads, cancel);
        var members = new List<int>[lists];
        var askers = new List<int>[lists];
        for (int l = 0; l < lists; l++) { members[l] = new List<int>(); askers[l] = new List<int>(); }
        for (int i = 0; i < n; i++) members[assignment[i]].Add(i);
        for (int i = 0; i < n; i++)
            for (int t = 0; t < probes; t++)
                if (probe[(long)i * probes + t] is int l and >= 0) askers[l].Add(i);

        var (index, dot) = DistanceKernel.NewTopDots(n, k);
        long total = 0, done = 0;
        for (int l = 0; l < lists; l++) total += (long)members[l].Count * askers[l].Count;
        for (int l = 0; l < lists; l++)
        {
            cancel.ThrowIfCancellationRequested();
            if (members[l].Count == 0 || askers[l].Count == 0) continue;
            var rows = Gather(u, d, members[l]);
            var packed = DistanceKernel.Pack(rows, members[l].Count, d);
            DistanceKernel.FoldTopDots(Gather(u, d, askers[l]), askers[l].Count, askers[l].ToArray(), packed, 0, members[l].ToArray(), 0, k, index, dot, maxThreads, cancel);
            done += (long)members[l].Count * askers[l].Count;
            progress?.Invoke(done, total);
        }
        var graph = Refine(u, n, u, d, k, index, maxThreads, cancel);
        return new NeighborGraph(graph.Rows, graph.K, graph.Index, graph.Similarity)
        {
            ListOf = assignment, Method = $"clustered: {lists} k-means lists, the {probes} nearest probed per record",
        };
    }

    private static float[] Gather(ReadOnlyMemory<float> u, int d, List<int> rows)
    {
        var buffer = new float[(long)rows.Count * d];
        var span = u.Span;
        for (int t = 0; t < rows.Count; t++) span.Slice(rows[t] * d, d).CopyTo(buffer.AsSpan(t * d, d));
        return buffer;
    }

    private static NeighborGraph Build(ReadOnlyMemory<float> queries, int m, ReadOnlyMemory<float> reference, int n, int d, int k, int selfOffset,
        int maxThreads, CancellationToken cancel, Action<long, long>? progress)
    {
        var (index, _) = DistanceKernel.TopDots(queries, m, reference, n, d, k, selfOffset, maxThreads, cancel, progress);
        return Refine(queries, m, reference, d, k, index, maxThreads, cancel);
    }

    /// <summary>The chosen neighbours' exact similarities, and the rows ordered by them.</summary>
    private static NeighborGraph Refine(ReadOnlyMemory<float> queries, int m, ReadOnlyMemory<float> reference, int d, int k, int[] index, int maxThreads, CancellationToken cancel)
    {
        var similarity = new double[index.Length];
        var po = new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1, CancellationToken = cancel };
        Parallel.For(0, m, po, () => (Order: new int[k], Sim: new double[k]), (q, _, local) =>
        {
            long at = (long)q * k;
            var qs = queries.Span.Slice(q * d, d);
            int found = 0;
            for (int t = 0; t < k; t++)
            {
                int j = index[at + t];
                if (j < 0) break;
                local.Order[t] = j;
                local.Sim[t] = 1.0 - DistanceKernel.ExactSquaredDistance(qs, reference.Span.Slice(j * d, d)) / 2.0;
                found++;
            }
            // The kernel's float dots choose the k; the exact figures order them.
            Array.Sort(local.Sim, local.Order, 0, found, Comparer<double>.Create((a, b) => b.CompareTo(a)));
            for (int t = 0; t < found; t++)
            {
                // Equal exact similarities: lower index first (the sort above is not stable).
                int s = t;
                while (s + 1 < found && local.Sim[s + 1] == local.Sim[t]) s++;
                if (s > t) Array.Sort(local.Order, t, s - t + 1);
                t = s;
            }
            for (int t = 0; t < k; t++)
            {
                index[at + t] = t < found ? local.Order[t] : -1;
                similarity[at + t] = t < found ? local.Sim[t] : double.NaN;
            }
            return local;
        }, _ => { });
        return new NeighborGraph(m, k, index, similarity);
    }
}

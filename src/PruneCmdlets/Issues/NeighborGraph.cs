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

    private static NeighborGraph Build(ReadOnlyMemory<float> queries, int m, ReadOnlyMemory<float> reference, int n, int d, int k, int selfOffset,
        int maxThreads, CancellationToken cancel, Action<long, long>? progress)
    {
        var (index, _) = DistanceKernel.TopDots(queries, m, reference, n, d, k, selfOffset, maxThreads, cancel, progress);
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

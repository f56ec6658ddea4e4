using System.Diagnostics;
using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Dedup;

/// <summary>Which member of a group of semantic duplicates survives.</summary>
public enum DuplicateKeepRule
{
    /// <summary>
    /// The member farthest from its cluster centroid, SemDeDup's rule (Abbas et al. 2023): the
    /// least prototypical copy carries the most information about the cluster's edge.
    /// </summary>
    FarthestFromCentroid,
    /// <summary>The member closest to its cluster centroid: the most typical copy.</summary>
    MostPrototypical,
}

/// <summary>Every SemDeDup default in one place, so the cmdlet, the tests and the benchmarks agree.</summary>
public sealed class SemDeDupOptions
{
    /// <summary>Pairs with cosine similarity ≥ 1 − ε are duplicates.</summary>
    public const double DefaultEpsilon = 0.01;

    public double Epsilon { get; set; } = DefaultEpsilon;
    public DuplicateKeepRule KeepRule { get; set; } = DuplicateKeepRule.FarthestFromCentroid;
    /// <summary>Worker threads; -1 uses every core. Never changes the result.</summary>
    public int MaxThreads { get; set; } = -1;

    /// <summary>Rows of one packed column block: its pairs are searched with the rows before it.</summary>
    internal int ColumnBlock { get; set; } = 1024;
    /// <summary>Rows per parallel work item (a multiple of the kernel's 6-row tile).</summary>
    internal int RowBlock { get; set; } = DistanceKernel.BlockRows;
    /// <summary>Column blocks are packed in batches of about this many rows, which bounds the packed copy.</summary>
    internal int BatchColumns { get; set; } = 8192;
    internal DistanceKernel.Isa Isa { get; set; } = DistanceKernel.Isa.Auto;

    public void Validate()
    {
        if (!(Epsilon >= 0 && Epsilon <= 1)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be between 0 and 1.");
        if (ColumnBlock < 1 || ColumnBlock % DistanceKernel.PanelWidth != 0) throw new ArgumentOutOfRangeException(nameof(ColumnBlock));
        if (RowBlock < 1) throw new ArgumentOutOfRangeException(nameof(RowBlock));
    }
}

/// <summary>One group of semantic duplicates: connected by pairs at or above the threshold.</summary>
public sealed class DuplicateSet
{
    internal DuplicateSet(int cluster, int[] members, int kept, double maxSimilarity, double minSimilarity, double minSimilarityToKept, long linkedPairs)
    {
        Cluster = cluster; Members = members; Kept = kept; MaxSimilarity = maxSimilarity; MinSimilarity = minSimilarity;
        MinSimilarityToKept = minSimilarityToKept; LinkedPairs = linkedPairs;
    }

    public int Cluster { get; }
    /// <summary>Input indices of every member, the kept one included, ascending.</summary>
    public int[] Members { get; }
    /// <summary>Input index of the member that survives.</summary>
    public int Kept { get; }
    /// <summary>Highest cosine similarity among the pairs that linked the group.</summary>
    public double MaxSimilarity { get; }
    /// <summary>Lowest cosine similarity among the pairs that linked the group (≥ 1 − ε).</summary>
    public double MinSimilarity { get; }
    /// <summary>Lowest cosine similarity between the kept member and a removed one; below 1 − ε when the group is a chain.</summary>
    public double MinSimilarityToKept { get; }
    /// <summary>Pairs at or above the threshold inside the group.</summary>
    public long LinkedPairs { get; }
    public IEnumerable<int> Duplicates => Members.Where(m => m != Kept);
}

/// <summary>What a SemDeDup run found: a keep flag per input row and the groups, by first member.</summary>
public sealed class SemDeDupResult
{
    internal SemDeDupResult(bool[] keep, IReadOnlyList<DuplicateSet> groups, int clusters, long pairsCompared)
    {
        Keep = keep; Groups = groups; Clusters = clusters; PairsCompared = pairsCompared;
    }

    public bool[] Keep { get; }
    public IReadOnlyList<DuplicateSet> Groups { get; }
    public int Clusters { get; }
    /// <summary>Pairs inside clusters, m(m−1)/2 summed: the work a full search costs.</summary>
    public long PairsCompared { get; }
    public int Removed => Keep.Count(k => !k);
}

/// <summary>Progress of a run, reported after each batch of column blocks.</summary>
public readonly record struct SemDeDupProgress(long PairsDone, long PairsTotal, double Seconds);

/// <summary>
/// SemDeDup (Abbas, Tirumala, Simig, Ganguli and Morcos 2023, "SemDeDup: Data-efficient learning
/// at web-scale through semantic deduplication"): inside each k-means cluster, two records whose
/// embeddings have cosine similarity ≥ 1 − ε are semantic duplicates. Duplicates are grouped by
/// connected components (a chain a~b~c is one group even if a and c are further apart) and one
/// member per group survives by <see cref="DuplicateKeepRule"/>.
///
/// Only pairs inside a cluster are compared, and a cluster is searched block by block: a block of
/// up to <see cref="SemDeDupOptions.ColumnBlock"/> rows is packed for the distance kernel and the
/// rows before and inside it are swept over it in 6×32 tiles. Memory is the unit-vector matrix,
/// the packed batch and per-thread pair buffers, never a similarity matrix.
///
/// Determinism: the kernel only nominates candidate pairs (with a margin for its float rounding);
/// each candidate's similarity is then computed exactly in double as 1 − ‖u − v‖²/2 on the unit
/// vectors (so identical vectors score exactly 1) and compared with the threshold. Components,
/// their similarity ranges and the keep rule are order-independent, so neither the thread count
/// nor the machine changes the result.
/// </summary>
public static class SemanticDeduplicator
{
    private const int FlushPairs = 4096;

    public static SemDeDupResult Run(IReadOnlyList<float[]> vectors, int[] cluster, KMeansModel? model, SemDeDupOptions options,
        Action<SemDeDupProgress>? progress = null, CancellationToken cancel = default)
        => Run(vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), cluster, model, options, progress, cancel);

    /// <inheritdoc cref="Run(IReadOnlyList{float[]}, int[], KMeansModel?, SemDeDupOptions, Action{SemDeDupProgress}?, CancellationToken)"/>
    /// <remarks>
    /// With <paramref name="ids"/> the rows of a cluster are taken in Id order (ordinal), so a
    /// group whose members score the same (exact copies do) keeps the smallest Id, and the result
    /// is the same however the records arrive: a cluster deduplicated alone in its own shard gives
    /// the decisions it gets among all records. Without Ids, input order stands in.
    /// With <paramref name="acrossClusters"/> every pair of the set is compared, not only pairs
    /// inside a cluster (Find-DataIssue's duplicate check); the keep rule still measures each
    /// member against its own cluster's centroid, so a group that lies inside one cluster keeps
    /// the member Invoke-SemDeDup keeps. With <paramref name="keepClusters"/> the pairs are searched
    /// inside <paramref name="cluster"/> (another partition, such as coarse search lists) and the keep
    /// rule measures each member against its centroid in <paramref name="keepClusters"/>.
    /// </remarks>
    public static SemDeDupResult Run(IReadOnlyList<ReadOnlyMemory<float>> vectors, int[] cluster, KMeansModel? model, SemDeDupOptions options,
        Action<SemDeDupProgress>? progress = null, CancellationToken cancel = default, IReadOnlyList<string>? ids = null, bool acrossClusters = false,
        int[]? keepClusters = null)
    {
        options.Validate();
        int n = vectors.Count;
        if (cluster.Length != n) throw new ArgumentException("One cluster per vector is needed.", nameof(cluster));
        if (n == 0) return new SemDeDupResult(Array.Empty<bool>(), Array.Empty<DuplicateSet>(), 0, 0);
        int d = vectors[0].Length;
        var keepOf = keepClusters ?? cluster;
        if (keepOf.Length != n) throw new ArgumentException("One keep cluster per vector is needed.", nameof(keepClusters));
        if (model is not null)
        {
            if (model.Dimension != d) throw new ArgumentException($"The model's centroids have {model.Dimension} dimensions but the vectors have {d}.", nameof(model));
            for (int i = 0; i < n; i++)
                if (keepOf[i] < 0 || keepOf[i] >= model.K)
                    throw new ArgumentOutOfRangeException(nameof(cluster), keepOf[i], $"Row {i} is in cluster {keepOf[i]}, which the model (K={model.K}) does not have.");
        }

        if (ids is not null && ids.Count != n) throw new ArgumentException("One Id per vector is needed.", nameof(ids));
        // Rows sorted by (cluster, Id, input index): every cluster is one contiguous block of unit
        // vectors. Across clusters the whole set is one block, in (Id, input index) order.
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = acrossClusters ? 0 : cluster[a].CompareTo(cluster[b]);
            if (c == 0 && ids is not null) c = string.CompareOrdinal(ids[a], ids[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var matrix = EmbeddingMatrix.Build(order.Select(i => vectors[i]).ToList(), DistanceMetric.Cosine, out var zeroRows);
        if (zeroRows.Count > 0)
            throw new ArgumentException($"Row {order[zeroRows[0]]} is all zeros: it has no direction, so it has no cosine similarity.", nameof(vectors));
        var u = matrix.Data;

        var ranges = new List<(int Cluster, int Start, int Count)>();
        for (int s = 0; s < n;)
        {
            int e = s;
            while (e < n && (acrossClusters || cluster[order[e]] == cluster[order[s]])) e++;
            ranges.Add((cluster[order[s]], s, e - s));
            s = e;
        }

        var links = Search(u, d, ranges, options, progress, cancel, out long pairsTotal);
        var groups = BuildGroups(u, d, vectors, keepOf, order, links, model, options.KeepRule);
        var keep = new bool[n];
        Array.Fill(keep, true);
        foreach (var g in groups)
            foreach (int m in g.Duplicates) keep[m] = false;
        return new SemDeDupResult(keep, groups, ranges.Count, pairsTotal);
    }

    /// <summary>Kernel margin: the float dot of two float unit vectors differs from the exact figure by at most ~2·D·2⁻²⁴.</summary>
    internal static double CandidateMargin(int d) => 1e-6 + 4.0 * d * (1.0 / (1 << 24));

    private readonly record struct Chunk(int Start, int J0, int JCount);

    private static LinkedComponents Search(ReadOnlyMemory<float> u, int d, List<(int Cluster, int Start, int Count)> ranges, SemDeDupOptions options,
        Action<SemDeDupProgress>? progress, CancellationToken cancel, out long pairsTotal)
    {
        int n = u.Length / Math.Max(1, d);
        double threshold = 1.0 - options.Epsilon;
        float minDot = (float)(threshold - CandidateMargin(d));
        var isa = options.Isa == DistanceKernel.Isa.Auto ? DistanceKernel.Detect() : options.Isa;
        var links = new LinkedComponents(n);
        var gate = new object();

        var chunks = new List<Chunk>();
        pairsTotal = 0;
        foreach (var r in ranges)
        {
            if (r.Count < 2) continue;
            pairsTotal += (long)r.Count * (r.Count - 1) / 2;
            for (int j0 = 0; j0 < r.Count; j0 += options.ColumnBlock)
                chunks.Add(new Chunk(r.Start, j0, Math.Min(options.ColumnBlock, r.Count - j0)));
        }

        var clock = Stopwatch.StartNew();
        var parallel = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = options.MaxThreads > 0 ? options.MaxThreads : -1 };
        long pairsDone = 0;
        for (int ci = 0; ci < chunks.Count;)
        {
            cancel.ThrowIfCancellationRequested();
            // A batch: consecutive column blocks (of one or more clusters) up to about BatchColumns rows.
            int cj = ci, columns = 0;
            while (cj < chunks.Count && (cj == ci || columns + chunks[cj].JCount <= options.BatchColumns)) { columns += chunks[cj].JCount; cj++; }
            var packed = new DistanceKernel.PackedCentroids[cj - ci];
            var items = new List<(int Chunk, int RowStart, int RowEnd)>();
            for (int k = ci; k < cj; k++)
            {
                var c = chunks[k];
                packed[k - ci] = DistanceKernel.Pack(u.Span.Slice((c.Start + c.J0) * d, c.JCount * d), c.JCount, d);
                int rowsEnd = c.J0 + c.JCount - 1; // rows i < the block's last column
                for (int i0 = 0; i0 < rowsEnd; i0 += options.RowBlock)
                    items.Add((k - ci, c.Start + i0, c.Start + Math.Min(i0 + options.RowBlock, rowsEnd)));
                long j1 = c.J0 + c.JCount;
                pairsDone += (j1 * (j1 - 1) - (long)c.J0 * (c.J0 - 1)) / 2; // Σ j for j in [J0, J1)
            }
            Parallel.For(0, items.Count, parallel, () => new PairBuffer(u, d, threshold, links, gate), (w, _, buffer) =>
            {
                var (k, rowStart, rowEnd) = items[w];
                var c = chunks[ci + k];
                DistanceKernel.DotPairsAtLeast(u, rowStart, rowEnd, packed[k], c.Start + c.J0, minDot, buffer.Scratch, buffer.Sink, isa);
                return buffer;
            }, buffer => buffer.Flush());
            progress?.Invoke(new SemDeDupProgress(pairsDone, pairsTotal, clock.Elapsed.TotalSeconds));
            ci = cj;
        }
        return links;
    }

    /// <summary>One worker's pairs: refined exactly, buffered, and linked under the shared lock in bursts.</summary>
    private sealed class PairBuffer
    {
        private readonly ReadOnlyMemory<float> _u;
        private readonly int _d;
        private readonly double _threshold;
        private readonly LinkedComponents _links;
        private readonly object _gate;
        private readonly List<(int A, int B, double Similarity)> _pairs = new();

        public PairBuffer(ReadOnlyMemory<float> u, int d, double threshold, LinkedComponents links, object gate)
        {
            _u = u; _d = d; _threshold = threshold; _links = links; _gate = gate;
            Scratch = new float[DistanceKernel.TileRows * d];
            Sink = Add;
        }

        public float[] Scratch { get; }
        public DistanceKernel.PairSink Sink { get; }

        private void Add(int row, int column, float dot)
        {
            double similarity = Similarity(_u, _d, row, column);
            if (similarity < _threshold) return;
            _pairs.Add((row, column, similarity));
            if (_pairs.Count >= FlushPairs) Flush();
        }

        public void Flush()
        {
            if (_pairs.Count == 0) return;
            lock (_gate)
                foreach (var (a, b, s) in _pairs) _links.Link(a, b, s);
            _pairs.Clear();
        }
    }

    /// <summary>Cosine similarity of two unit rows, exactly in double from their difference: 1 − ‖u − v‖²/2.</summary>
    private static double Similarity(ReadOnlyMemory<float> u, int d, int a, int b)
        => 1.0 - DistanceKernel.ExactSquaredDistance(u.Span.Slice(a * d, d), u.Span.Slice(b * d, d)) / 2.0;

    private static List<DuplicateSet> BuildGroups(ReadOnlyMemory<float> u, int d, IReadOnlyList<ReadOnlyMemory<float>> vectors, int[] cluster, int[] order,
        LinkedComponents links, KMeansModel? model, DuplicateKeepRule rule)
    {
        int n = order.Length;
        var membersOf = new Dictionary<int, List<int>>(); // root position -> positions
        for (int p = 0; p < n; p++)
        {
            int root = links.Find(p);
            if (root == p && links.Pairs(p) == 0) continue; // a singleton
            if (!membersOf.TryGetValue(root, out var list)) membersOf[root] = list = new List<int>();
            list.Add(p);
        }

        var clusterMeans = new Dictionary<int, float[]>();
        Dictionary<int, List<int>>? positionsOf = null; // cluster → its rows' positions, made once on first need
        var groups = new List<DuplicateSet>(membersOf.Count);
        foreach (var (root, positions) in membersOf)
        {
            // Positions ascend in the cluster's (Id) order: on equal scores the first, smallest Id, is kept.
            int keptPos = positions[0];
            double keptScore = CentroidDistance(positions[0]);
            for (int t = 1; t < positions.Count; t++)
            {
                double score = CentroidDistance(positions[t]);
                bool better = rule == DuplicateKeepRule.FarthestFromCentroid ? score > keptScore : score < keptScore;
                if (better) { keptScore = score; keptPos = positions[t]; }
            }
            double toKept = double.PositiveInfinity;
            foreach (int p in positions)
                if (p != keptPos) toKept = Math.Min(toKept, Similarity(u, d, keptPos, p));
            groups.Add(new DuplicateSet(cluster[order[keptPos]], positions.Select(p => order[p]).OrderBy(i => i).ToArray(), order[keptPos],
                links.MaxSimilarity(root), links.MinSimilarity(root), toKept, links.Pairs(root)));

            // Each member against its own cluster's centroid (a group found across clusters may span several).
            double CentroidDistance(int p)
            {
                int c = cluster[order[p]];
                if (model is not null)
                    return model.Metric == DistanceMetric.Cosine
                        ? model.DistanceOf(u.Span.Slice(p * d, d), c)
                        : model.DistanceOf(vectors[order[p]].Span, c);
                if (!clusterMeans.TryGetValue(c, out var mean))
                {
                    if (positionsOf is null)
                    {
                        positionsOf = new Dictionary<int, List<int>>();
                        for (int q = 0; q < n; q++)
                        {
                            if (!positionsOf.TryGetValue(cluster[order[q]], out var list)) positionsOf[cluster[order[q]]] = list = new List<int>();
                            list.Add(q);
                        }
                    }
                    clusterMeans[c] = mean = SphericalMean(u, d, positionsOf[c]);
                }
                return DistanceKernel.ExactSquaredDistance(u.Span.Slice(p * d, d), mean) / 2.0;
            }
        }
        groups.Sort((a, b) => a.Members[0].CompareTo(b.Members[0]));
        return groups;
    }

    /// <summary>The cluster's mean direction: the mean of its unit rows scaled to unit length (zeros if they cancel).</summary>
    private static float[] SphericalMean(ReadOnlyMemory<float> u, int d, IEnumerable<int> positions)
    {
        var sum = new double[d];
        foreach (int p in positions)
        {
            var row = u.Span.Slice(p * d, d);
            for (int j = 0; j < d; j++) sum[j] += row[j];
        }
        double norm = Math.Sqrt(sum.Sum(v => v * v));
        var mean = new float[d];
        if (norm > 0) for (int j = 0; j < d; j++) mean[j] = (float)(sum[j] / norm);
        return mean;
    }
}

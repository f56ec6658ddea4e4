using PruneCmdlets.Clustering;

namespace PruneCmdlets.Selection;

/// <summary>One refit of the stability measure: its K and seed, and how its kept set compares with the first run's.</summary>
public sealed class StabilityRun
{
    public int K { get; init; }
    public long Seed { get; init; }
    public int Kept { get; init; }
    /// <summary>|A ∩ B| / |A ∪ B| of this run's kept set and the first run's.</summary>
    public double JaccardToFirst { get; init; }
    /// <summary>Final k-means objective of the refit.</summary>
    public double Inertia { get; init; }

    public override string ToString() => $"K={K} seed={Seed}: kept {Kept}, Jaccard {JaccardToFirst:0.000}";
}

/// <summary>
/// How much a pruning decision depends on the k-means fit: the same policy run after refitting
/// k-means with several seeds and K values, and the Jaccard overlap |A ∩ B| / |A ∪ B| of every
/// pair of kept sets. 1 means every refit keeps exactly the same records; a low overlap means
/// the choice of which records to drop is mostly an accident of the clustering, even when the
/// counts per class look the same. No peer reports this; a careful user wants it before
/// deleting a third of a data set.
/// </summary>
public sealed class SelectionStability
{
    public required SelectionPolicy Policy { get; init; }
    public required IReadOnlyList<StabilityRun> Runs { get; init; }
    /// <summary>Jaccard overlap of every pair of runs, row-major, Runs.Count × Runs.Count.</summary>
    public required double[][] Jaccard { get; init; }
    public int Count { get; init; }
    public string Prototype { get; init; } = "Cluster";
    public DistanceMetric Metric { get; init; }

    /// <summary>Mean Jaccard overlap over all distinct pairs (1 with a single run).</summary>
    public double MeanJaccard => Pairs().DefaultIfEmpty(1).Average();
    public double MinJaccard => Pairs().DefaultIfEmpty(1).Min();

    private IEnumerable<double> Pairs()
    {
        for (int a = 0; a < Runs.Count; a++)
            for (int b = a + 1; b < Runs.Count; b++) yield return Jaccard[a][b];
    }

    public override string ToString() => $"{Runs.Count} runs of {Policy}: mean Jaccard {MeanJaccard:0.000}, min {MinJaccard:0.000}";

    /// <summary>|A ∩ B| / |A ∪ B|; two empty sets overlap fully.</summary>
    public static double JaccardOf(bool[] a, bool[] b)
    {
        int inter = 0, union = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] && b[i]) inter++;
            if (a[i] || b[i]) union++;
        }
        return union == 0 ? 1 : (double)inter / union;
    }

    /// <summary>
    /// Refits k-means on <paramref name="prepared"/> (rows as Invoke-KMeans prepares them for
    /// <paramref name="metric"/>) for every K × seed, scores each record by its distance to its
    /// nearest centroid (or, with <paramref name="labelPrototype"/>, to its class mean: then only
    /// the seed of a seeded policy varies), runs <paramref name="policy"/> with that seed and
    /// compares the kept sets. <paramref name="raw"/> are the unprepared vectors, needed by
    /// BalanceBy Density. Runs are sequential and each is deterministic, so the whole measure
    /// depends only on its inputs. <paramref name="ids"/> are the records' Ids, by which
    /// Select-PrunedSet orders ties and draws Random samples.
    /// </summary>
    public static SelectionStability Measure(ReadOnlyMemory<float> prepared, int n, int d, IReadOnlyList<ReadOnlyMemory<float>> raw, string?[] labels,
        SelectionPolicy policy, int[] ks, long[] seeds, DistanceMetric metric, bool labelPrototype, int maxThreads,
        Action<int, int>? progress = null, CancellationToken cancel = default, string[]? ids = null)
    {
        if (ks.Length == 0 || seeds.Length == 0) throw new ArgumentException("Give at least one K and one seed.");
        var runs = new List<StabilityRun>();
        var kept = new List<bool[]>();
        int total = ks.Length * seeds.Length, done = 0;
        double[]? labelDistances = null;
        if (labelPrototype)
        {
            var means = Prototypicality.ClassMeans(prepared, n, d, labels.Select(l => l ?? "").ToArray(), metric, out _, out var classOf);
            labelDistances = Prototypicality.ToAssigned(prepared, n, means, classOf);
        }
        foreach (int k in ks)
            foreach (long seed in seeds)
            {
                cancel.ThrowIfCancellationRequested();
                var options = new KMeansOptions { K = k, Metric = metric, Seed = seed, MaxThreads = maxThreads };
                var (model, assignment) = KMeansTrainer.FitAndAssign(prepared, n, d, options, null, cancel);
                double[] distances;
                if (labelDistances is not null) distances = labelDistances;
                else
                {
                    distances = new double[n];
                    model.Assign(prepared, n, new int[n], distances, maxThreads, cancel);
                }
                var run = policy with { Seed = seed };
                var outcome = PolicyRunner.Run(run, new SelectionInput(n)
                {
                    Distances = distances, Labels = labels, Clusters = assignment, Model = model, Vectors = raw, Ids = ids,
                }, explain: false);
                kept.Add(outcome.Keep);
                runs.Add(new StabilityRun { K = k, Seed = seed, Kept = outcome.Kept, Inertia = model.Inertia, JaccardToFirst = JaccardOf(kept[0], outcome.Keep) });
                progress?.Invoke(++done, total);
            }
        var jaccard = new double[runs.Count][];
        for (int a = 0; a < runs.Count; a++)
        {
            jaccard[a] = new double[runs.Count];
            for (int b = 0; b < runs.Count; b++) jaccard[a][b] = a == b ? 1 : JaccardOf(kept[a], kept[b]);
        }
        return new SelectionStability
        {
            Policy = policy, Runs = runs, Jaccard = jaccard, Count = n, Metric = metric,
            Prototype = labelPrototype ? "Label" : "Cluster",
        };
    }
}

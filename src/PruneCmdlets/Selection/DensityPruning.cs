using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Selection;

/// <summary>The additive part of one cluster's d_intra: what a shard contributes, and what shards' parts add up to.</summary>
public sealed class IntraPart
{
    public IntraPart(int cluster) => Cluster = cluster;

    public int Cluster { get; }
    /// <summary>Records of the cluster.</summary>
    public int Size { get; set; }
    /// <summary>Records with a direction (all-zero vectors are skipped under Cosine).</summary>
    public int Counted { get; set; }
    /// <summary>Their distances to the centroid, summed independently of order.</summary>
    public FixedPointSum Sum;

    public void Add(IntraPart other)
    {
        Size += other.Size;
        Counted += other.Counted;
        Sum.Add(other.Sum);
    }
}

/// <summary>How complex one cluster's concept is, and the share of the kept set it earns.</summary>
public sealed class ClusterComplexity
{
    internal ClusterComplexity(int cluster, int size, double intra, double inter)
    {
        Cluster = cluster; Size = size; IntraDistance = intra; InterDistance = inter;
    }

    public int Cluster { get; }
    /// <summary>Records of the cluster in the input.</summary>
    public int Size { get; }
    /// <summary>d_intra: mean distance of the cluster's records to its centroid.</summary>
    public double IntraDistance { get; }
    /// <summary>d_inter: mean distance of the centroid to its nearest other centroids.</summary>
    public double InterDistance { get; }
    /// <summary>d_intra × d_inter.</summary>
    public double Complexity => IntraDistance * InterDistance;
}

/// <summary>
/// Density-based pruning (DBP; Abbas, Rusak, Tirumala, Brendel, Chaudhuri and Morcos 2024,
/// "Effective pruning of web-scale datasets based on complexity of concept clusters", ICLR 2024).
/// A cluster whose records are spread out (large d_intra) and that lies far from the other
/// clusters (large d_inter) holds a more complex concept and keeps more records; a dense cluster
/// close to its neighbours is redundant and keeps fewer. Each cluster's share of the kept set is a
/// softmax of its complexity d_intra·d_inter at a temperature τ; the per-cluster quotas then follow
/// <see cref="QuotaSelector.WeightedQuotas"/> (floor, cap at the cluster's size, exact total).
/// Distances are in the k-means model's metric: 1 − cos for Cosine, L2 for Euclidean.
/// </summary>
public static class DensityPruning
{
    /// <summary>τ; the default of the DBP authors' pruning script.</summary>
    public const double DefaultTemperature = 0.5;

    /// <summary>Centroids d_inter averages over (fewer when the model has fewer other centroids).</summary>
    public const int DefaultNeighbours = 20;

    /// <summary>
    /// d_intra and d_inter of each cluster in <paramref name="clusters"/> (the groups, in order).
    /// <paramref name="vectors"/> are the records' raw vectors and <paramref name="cluster"/> their
    /// clusters in <paramref name="model"/>. d_intra averages, over the cluster's records, the
    /// distance of each (L2-normalised for Cosine; all-zero vectors are skipped) to the centroid.
    /// d_inter averages the distances from the centroid to the <paramref name="neighbours"/>
    /// nearest other centroids of the model; with a single centroid it is 1, a neutral factor.
    /// </summary>
    public static ClusterComplexity[] Complexity(KMeansModel model, IReadOnlyList<float[]> vectors, int[] cluster, int[] clusters,
        int neighbours = DefaultNeighbours)
        => Complexity(model, vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), cluster, clusters, neighbours);

    /// <inheritdoc cref="Complexity(KMeansModel, IReadOnlyList{float[]}, int[], int[], int)"/>
    public static ClusterComplexity[] Complexity(KMeansModel model, IReadOnlyList<ReadOnlyMemory<float>> vectors, int[] cluster, int[] clusters,
        int neighbours = DefaultNeighbours)
        => Complexity(model, IntraSums(model, vectors, cluster, clusters), neighbours);

    /// <summary>
    /// The additive part of d_intra for the groups <paramref name="clusters"/>: per cluster the
    /// records, the records with a direction, and the order-free sum of their distances to the
    /// centroid. Parts of disjoint record sets (shards) add up to the part of their union.
    /// </summary>
    public static IntraPart[] IntraSums(KMeansModel model, IReadOnlyList<ReadOnlyMemory<float>> vectors, int[] cluster, int[] clusters)
    {
        if (cluster.Length != vectors.Count) throw new ArgumentException("One cluster per vector is needed.", nameof(cluster));
        int d = model.Dimension;
        var index = new Dictionary<int, int>();
        for (int g = 0; g < clusters.Length; g++)
        {
            if (clusters[g] < 0 || clusters[g] >= model.K) throw new ArgumentOutOfRangeException(nameof(clusters), clusters[g], $"The model has no cluster {clusters[g]}.");
            index[clusters[g]] = g;
        }
        var parts = new IntraPart[clusters.Length];
        for (int g = 0; g < clusters.Length; g++) parts[g] = new IntraPart(clusters[g]);
        var prepared = new float[d];
        for (int i = 0; i < vectors.Count; i++)
        {
            if (!index.TryGetValue(cluster[i], out int g)) throw new ArgumentException($"Record {i} is in cluster {cluster[i]}, which is not one of the groups.", nameof(cluster));
            var part = parts[g];
            part.Size++;
            var v = vectors[i].Span;
            if (v.Length != d) throw new ArgumentException($"Record {i} has {v.Length} dimensions but the model has {d}.", nameof(vectors));
            if (model.Metric == DistanceMetric.Cosine)
            {
                double norm = Math.Sqrt(VectorMath.SquaredNorm(v));
                if (norm == 0) continue;
                for (int j = 0; j < d; j++) prepared[j] = (float)(v[j] / norm);
                part.Sum.Add(model.DistanceOf(prepared, cluster[i]));
            }
            else part.Sum.Add(model.DistanceOf(v, cluster[i]));
            part.Counted++;
        }
        return parts;
    }

    /// <summary>Each cluster's complexity from its (summed) intra parts and the model's centroids.</summary>
    public static ClusterComplexity[] Complexity(KMeansModel model, IReadOnlyList<IntraPart> parts, int neighbours = DefaultNeighbours)
    {
        if (neighbours < 1) throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, "At least one neighbour centroid is needed.");
        var result = new ClusterComplexity[parts.Count];
        for (int g = 0; g < parts.Count; g++)
        {
            var p = parts[g];
            result[g] = new ClusterComplexity(p.Cluster, p.Size, p.Counted > 0 ? p.Sum.Value / p.Counted : 0, InterDistance(model, p.Cluster, neighbours));
        }
        return result;
    }

    /// <summary>d_inter of one cluster: the mean distance from its centroid to its nearest other centroids (1 with a single centroid).</summary>
    public static double InterDistance(KMeansModel model, int c, int neighbours = DefaultNeighbours)
    {
        int others = Math.Min(neighbours, model.K - 1);
        if (others <= 0) return 1.0;
        var dist = new double[model.K - 1];
        int t = 0;
        for (int o = 0; o < model.K; o++)
            if (o != c) dist[t++] = KMeansModel.MetricDistance(model.Metric, DistanceKernel.ExactSquaredDistance(model.CentroidSpan(c), model.CentroidSpan(o)));
        Array.Sort(dist);
        double s = 0;
        for (int k = 0; k < others; k++) s += dist[k];
        return s / others;
    }

    /// <summary>softmax(score / τ), computed with the largest score subtracted so it cannot overflow.</summary>
    public static double[] Softmax(double[] scores, double temperature)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive number.");
        if (scores.Length == 0) return Array.Empty<double>();
        double max = scores.Max();
        var e = scores.Select(s => Math.Exp((s - max) / temperature)).ToArray();
        double total = e.Sum();
        return e.Select(v => v / total).ToArray();
    }

    /// <summary>Per-cluster quotas: softmax(complexity/τ) shares of <paramref name="total"/>, floored and capped (see <see cref="QuotaSelector.WeightedQuotas"/>).</summary>
    public static int[] Quotas(ClusterComplexity[] clusters, int total, double temperature, int minPerGroup)
        => QuotaSelector.WeightedQuotas(Softmax(clusters.Select(c => c.Complexity).ToArray(), temperature),
            clusters.Select(c => c.Size).ToArray(), total, minPerGroup);
}

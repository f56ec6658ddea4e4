using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Selection;

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
/// <see cref="PruneSelector.WeightedQuotas"/> (floor, cap at the cluster's size, exact total).
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
    {
        if (cluster.Length != vectors.Count) throw new ArgumentException("One cluster per vector is needed.", nameof(cluster));
        if (neighbours < 1) throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, "At least one neighbour centroid is needed.");
        int d = model.Dimension;
        var index = new Dictionary<int, int>();
        for (int g = 0; g < clusters.Length; g++)
        {
            if (clusters[g] < 0 || clusters[g] >= model.K) throw new ArgumentOutOfRangeException(nameof(clusters), clusters[g], $"The model has no cluster {clusters[g]}.");
            index[clusters[g]] = g;
        }

        var sum = new double[clusters.Length];
        var count = new int[clusters.Length];
        var size = new int[clusters.Length];
        var prepared = new float[d];
        for (int i = 0; i < vectors.Count; i++)
        {
            if (!index.TryGetValue(cluster[i], out int g)) throw new ArgumentException($"Record {i} is in cluster {cluster[i]}, which is not one of the groups.", nameof(cluster));
            size[g]++;
            var v = vectors[i].Span;
            if (v.Length != d) throw new ArgumentException($"Record {i} has {v.Length} dimensions but the model has {d}.", nameof(vectors));
            if (model.Metric == DistanceMetric.Cosine)
            {
                double norm = Math.Sqrt(VectorMath.SquaredNorm(v));
                if (norm == 0) continue;
                for (int j = 0; j < d; j++) prepared[j] = (float)(v[j] / norm);
                sum[g] += model.DistanceOf(prepared, cluster[i]);
            }
            else sum[g] += model.DistanceOf(v, cluster[i]);
            count[g]++;
        }

        var result = new ClusterComplexity[clusters.Length];
        int others = Math.Min(neighbours, model.K - 1);
        for (int g = 0; g < clusters.Length; g++)
        {
            int c = clusters[g];
            double inter = 1.0;
            if (others > 0)
            {
                var dist = new double[model.K - 1];
                int t = 0;
                for (int o = 0; o < model.K; o++)
                    if (o != c) dist[t++] = KMeansModel.MetricDistance(model.Metric, DistanceKernel.ExactSquaredDistance(model.CentroidSpan(c), model.CentroidSpan(o)));
                Array.Sort(dist);
                double s = 0;
                for (int k = 0; k < others; k++) s += dist[k];
                inter = s / others;
            }
            result[g] = new ClusterComplexity(c, size[g], count[g] > 0 ? sum[g] / count[g] : 0, inter);
        }
        return result;
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

    /// <summary>Per-cluster quotas: softmax(complexity/τ) shares of <paramref name="total"/>, floored and capped (see <see cref="PruneSelector.WeightedQuotas"/>).</summary>
    public static int[] Quotas(ClusterComplexity[] clusters, int total, double temperature, int minPerGroup)
        => PruneSelector.WeightedQuotas(Softmax(clusters.Select(c => c.Complexity).ToArray(), temperature),
            clusters.Select(c => c.Size).ToArray(), total, minPerGroup);
}

using PruneCmdlets.Numerics;

namespace PruneCmdlets.Clustering;

/// <summary>
/// Sorscher et al. (2022) prototypicality: how far each sample sits from its prototype.
/// Self-supervised: the nearest k-means centroid. Supervised: the mean embedding of the
/// sample's own class. Larger distance = harder, less prototypical.
/// </summary>
public static class Prototypicality
{
    /// <summary>
    /// Class prototypes: the mean of each class's prepared vectors (re-normalised for Cosine),
    /// as a K×D model whose cluster c is class <paramref name="classes"/>[c] (ordinal order).
    /// </summary>
    public static KMeansModel ClassMeans(ReadOnlyMemory<float> prepared, int n, int d, string[] labels, DistanceMetric metric, out string[] classes, out int[] classOf)
    {
        classes = labels.Distinct(StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Length; c++) index[classes[c]] = c;
        classOf = new int[n];
        for (int i = 0; i < n; i++) classOf[i] = index[labels[i]];
        var sizes = new int[classes.Length];
        foreach (int c in classOf) sizes[c]++;
        var centroids = new float[classes.Length * d];
        var updated = KMeansTrainer.UpdateCentroids(prepared, n, d, classes.Length, classOf, centroids, metric, -1, default);
        for (int c = 0; c < classes.Length; c++)
            if (updated[c] == 0)
                throw new InvalidOperationException($"The vectors of class '{classes[c]}' cancel out: their mean has no direction, so it cannot serve as a cosine prototype.");
        return new KMeansModel(centroids, classes.Length, d, metric) { TrainingCount = n, ClusterSizes = sizes };
    }

    /// <summary>Distance of every record to the prototype it is assigned to, in the metric's units.</summary>
    public static double[] ToAssigned(ReadOnlyMemory<float> prepared, int n, KMeansModel prototypes, int[] assigned)
    {
        var result = new double[n];
        prototypes.DistancesTo(prepared, n, assigned, result);
        return result;
    }

    /// <summary>
    /// Percentile of each distance: the fraction of the other records that are strictly more
    /// prototypical (smaller distance), so 0 is the most prototypical record, ties share a value,
    /// and the hardest record has 1 unless it is tied. A single record scores 0.
    /// </summary>
    public static double[] Percentiles(double[] distances)
    {
        int n = distances.Length;
        var result = new double[n];
        if (n <= 1) return result;
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (a, b) => distances[a].CompareTo(distances[b]));
        int i = 0;
        while (i < n)
        {
            int j = i;
            while (j + 1 < n && distances[order[j + 1]] == distances[order[i]]) j++;
            double p = (double)i / (n - 1);
            for (int t = i; t <= j; t++) result[order[t]] = p;
            i = j + 1;
        }
        return result;
    }
}

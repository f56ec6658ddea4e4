using System.Diagnostics;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Clustering;

// Mini-batch k-means (KMeansOptions.MiniBatchSize > 0), beside Lloyd's loop in KMeansTrainer.cs.
public static partial class KMeansTrainer
{
    /// <summary>
    /// Mini-batch k-means (Sculley 2010): each step draws a seeded batch, assigns it with the
    /// kernel and moves each centroid towards its new members with learning rate 1/count, in
    /// batch order, so the seed alone fixes the result.
    /// </summary>
    private static void MiniBatch(ReadOnlyMemory<float> x, float[] xNorms, int n, int d, KMeansOptions o, float[] centroids,
        DeterministicRandom rng, List<KMeansIterationStats> history, int run, Action<KMeansProgress>? progress, CancellationToken cancel)
    {
        int k = o.K, b = Math.Min(o.MiniBatchSize, n);
        var counts = new long[k];
        var batch = new float[(long)b * d];
        var batchNorms = new float[b];
        var idx = new int[b];
        var dist = new float[b];
        var rows = new int[b];
        for (int step = 1; step <= o.MaxIterations; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < b; i++)
            {
                rows[i] = rng.NextInt(n);
                x.Span.Slice(rows[i] * d, d).CopyTo(batch.AsSpan(i * d, d));
                batchNorms[i] = xNorms[rows[i]];
            }
            DistanceKernel.Nearest(batch, batchNorms, b, DistanceKernel.Pack(centroids, k, d), idx, dist, o.MaxThreads, cancel);
            double assignSeconds = sw.Elapsed.TotalSeconds;
            double objective = 0;
            for (int i = 0; i < b; i++)
            {
                objective += dist[i];
                int c = idx[i];
                float eta = 1f / ++counts[c];
                var centroid = centroids.AsSpan(c * d, d);
                var row = batch.AsSpan(i * d, d);
                for (int j = 0; j < d; j++) centroid[j] += eta * (row[j] - centroid[j]);
            }
            if (o.Metric == DistanceMetric.Cosine)
            {
                objective /= 2.0;
                for (int c = 0; c < k; c++)
                {
                    var centroid = centroids.AsSpan(c * d, d);
                    double norm = Math.Sqrt(VectorMath.SquaredNorm(centroid));
                    if (norm > 0) for (int j = 0; j < d; j++) centroid[j] = (float)(centroid[j] / norm);
                }
            }
            history.Add(new KMeansIterationStats
            {
                Iteration = step, Objective = objective * n / b, Seconds = sw.Elapsed.TotalSeconds, AssignSeconds = assignSeconds,
            });
            if (step % 10 == 0 || step == o.MaxIterations)
                progress?.Invoke(new KMeansProgress(run, o.NInit, step, o.MaxIterations, objective * n / b, sw.Elapsed.TotalSeconds));
        }
    }
}

using PruneCmdlets.Numerics;

namespace PruneCmdlets.Clustering;

// Initialisation (KMeansInit.Random and KMeansInit.KMeansPlusPlus) and the seeded sampling it shares
// with the training loop's subsample, beside Lloyd's loop in KMeansTrainer.cs.
public static partial class KMeansTrainer
{
    internal static float[] InitRandom(ReadOnlyMemory<float> x, int n, int d, int k, DeterministicRandom rng)
    {
        var picks = SampleWithoutReplacement(n, k, rng);
        var c = new float[k * d];
        for (int j = 0; j < k; j++) x.Span.Slice(picks[j] * d, d).CopyTo(c.AsSpan(j * d, d));
        return c;
    }

    /// <summary>
    /// Greedy k-means++ (Arthur and Vassilvitskii 2007; scikit-learn's variant with 2 + ⌊ln K⌋
    /// candidates per step) on a seeded, contiguous sample of the rows, so seeding costs a
    /// bounded number of passes over a cache-sized buffer whatever N is.
    /// </summary>
    internal static float[] InitPlusPlus(ReadOnlyMemory<float> x, int n, int d, int k, int sampleSize, DeterministicRandom rng,
        int maxThreads, CancellationToken cancel)
    {
        int[] rows;
        if (sampleSize > 0 && sampleSize < n && sampleSize >= k)
        {
            rows = SampleWithoutReplacement(n, sampleSize, rng);
            Array.Sort(rows);
        }
        else
        {
            rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = i;
        }
        int m = rows.Length;
        // The candidates, copied once into a contiguous, cache-sized buffer.
        var sample = LargeArray.Allocate((long)m * d);
        var xs = x.Span;
        for (int i = 0; i < m; i++) xs.Slice(rows[i] * d, d).CopyTo(sample.AsSpan(i * d, d));
        var scored = DistanceKernel.PrepareCandidateRows(sample, VectorMath.RowSquaredNorms(sample, m, d), m, d);
        var c = new float[k * d];
        // Greedy k-means++ as scikit-learn runs it: each step draws 2 + ⌊ln K⌋ candidates by D²
        // sampling and keeps the one that lowers the total potential most. All candidates are
        // scored in one pass over the sample.
        int trials = Math.Min(DistanceKernel.PanelWidth, 2 + (int)Math.Log(k));
        var minDist = new float[m];
        var prefix = new double[m];
        var candidateDist = new float[(long)trials * m];   // candidate t's distances at [t·m, (t+1)·m)
        var candidates = new float[trials * d];
        int firstRow = rng.NextInt(m);
        sample.AsSpan(firstRow * d, d).CopyTo(c.AsSpan(0, d));
        DistanceKernel.CandidateDistances(scored, c.AsSpan(0, d), 1, minDist, maxThreads, cancel);
        for (int j = 1; j < k; j++)
        {
            cancel.ThrowIfCancellationRequested();
            double sum = 0;
            for (int i = 0; i < m; i++) { sum += minDist[i]; prefix[i] = sum; }
            for (int t = 0; t < trials; t++)
            {
                // Every remaining candidate may coincide with a centroid (sum 0): draw uniformly then.
                int pick = sum > 0 ? Math.Min(m - 1, UpperBound(prefix, rng.NextDouble() * sum)) : rng.NextInt(m);
                sample.AsSpan(pick * d, d).CopyTo(candidates.AsSpan(t * d, d));
            }
            DistanceKernel.CandidateDistances(scored, candidates, trials, candidateDist, maxThreads, cancel);
            int best = 0;
            double bestPotential = double.PositiveInfinity;
            for (int t = 0; t < trials; t++)
            {
                double potential = 0;
                var dist = candidateDist.AsSpan(t * m, m);
                for (int i = 0; i < m; i++) potential += Math.Min(minDist[i], dist[i]);
                if (potential < bestPotential) { bestPotential = potential; best = t; }
            }
            var chosen = candidateDist.AsSpan(best * m, m);
            for (int i = 0; i < m; i++) minDist[i] = Math.Min(minDist[i], chosen[i]);
            candidates.AsSpan(best * d, d).CopyTo(c.AsSpan(j * d, d));
        }
        return c;
    }

    /// <summary>First index whose prefix sum exceeds <paramref name="target"/> (binary search).</summary>
    private static int UpperBound(double[] prefix, double target)
    {
        int lo = 0, hi = prefix.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (prefix[mid] > target) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>k distinct indices in [0, n), by a partial Fisher–Yates shuffle.</summary>
    internal static int[] SampleWithoutReplacement(int n, int k, DeterministicRandom rng)
    {
        var pool = new int[n];
        for (int i = 0; i < n; i++) pool[i] = i;
        for (int i = 0; i < k; i++)
        {
            int j = i + rng.NextInt(n - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.AsSpan(0, k).ToArray();
    }
}

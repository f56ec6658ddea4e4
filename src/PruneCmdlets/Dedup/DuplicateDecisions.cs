using System.Globalization;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Dedup;

/// <summary>
/// What a SemDeDup run means for each record, in words: the kept member of a group, a removed
/// near-duplicate and which member it duplicates (with their cosine similarity), or a record
/// with no near-duplicate in its cluster. The similarity to the keeper is computed exactly (in
/// double on the unit vectors), so a chain member whose own similarity to the keeper is below
/// the threshold says so instead of claiming a pair that never linked.
/// </summary>
public static class DuplicateDecisions
{
    /// <summary>Per record: the input index of its group's keeper (−1 outside groups), the cosine to it, and the reason.</summary>
    public static (int[] KeeperOf, double[] Similarity, string[] Reasons) Explain(SemDeDupResult result, IReadOnlyList<ReadOnlyMemory<float>> vectors,
        SemDeDupOptions options, Func<int, string> idOf)
    {
        int n = result.Keep.Length;
        var keeperOf = Enumerable.Repeat(-1, n).ToArray();
        var similarity = new double[n];
        var reasons = new string[n];
        var c = CultureInfo.InvariantCulture;
        double threshold = 1 - options.Epsilon;
        string rule = options.KeepRule == DuplicateKeepRule.FarthestFromCentroid ? "the member farthest from its cluster centroid" : "the member closest to its cluster centroid";
        foreach (var g in result.Groups)
        {
            foreach (int m in g.Members)
            {
                keeperOf[m] = g.Kept;
                similarity[m] = m == g.Kept ? 1.0 : Cosine(vectors[m].Span, vectors[g.Kept].Span);
                if (m == g.Kept)
                {
                    reasons[m] = $"kept: {rule} of a group of {g.Members.Length} near-duplicates in cluster {g.Cluster}";
                    continue;
                }
                string s = Selection.DecisionReasons.Distinguish(similarity[m], threshold).A, t = threshold.ToString("0.######", c);
                reasons[m] = similarity[m] >= threshold
                    ? $"pruned: near-duplicate of {idOf(g.Kept)}, cosine {s} ≥ {t}"
                    : $"pruned: near-duplicate of {idOf(g.Kept)} through a chain of pairs with cosine ≥ {t} (cosine {s} to it)";
            }
        }
        for (int i = 0; i < n; i++)
            reasons[i] ??= $"kept: no near-duplicate in its cluster (cosine ≥ {threshold.ToString("0.######", c)})";
        return (keeperOf, similarity, reasons);
    }

    /// <summary>Cosine similarity exactly as the deduplicator scores its pairs: rows scaled to unit length in float, then 1 − ‖u − v‖²/2 in double.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var u = a.ToArray();
        var v = b.ToArray();
        VectorMath.NormalizeRow(u);
        VectorMath.NormalizeRow(v);
        return 1.0 - DistanceKernel.ExactSquaredDistance(u, v) / 2.0;
    }
}

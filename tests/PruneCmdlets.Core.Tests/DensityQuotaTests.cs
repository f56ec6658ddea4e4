using PruneCmdlets.Clustering;
using PruneCmdlets.Selection;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class DensityQuotaTests
{
    private static float[] V(params double[] v) => v.Select(x => (float)x).ToArray();

    public static TheoryData<double[], int[], int, int, int[]> HandCases => new()
    {
        // weights, sizes, total, floor → quotas (worked by hand in the comments)
        // 5, 3, 2 exactly.
        { new[] { 0.5, 0.3, 0.2 }, new[] { 100, 100, 100 }, 10, 0, new[] { 5, 3, 2 } },
        // 7 > 3: capped at 3, its excess 4 goes 2:1 → 4.667, 2.333 → 4+1, 2.
        { new[] { 0.7, 0.2, 0.1 }, new[] { 3, 100, 100 }, 10, 0, new[] { 3, 5, 2 } },
        // 9, 0.5, 0.5 under a floor of 1: both small ones raised to 1, the first gives way: 8.
        { new[] { 0.9, 0.05, 0.05 }, new[] { 100, 100, 100 }, 10, 1, new[] { 8, 1, 1 } },
        // Floor 3 bounded by a group of 1: 5, 0, 5 → the middle one at 1, the rest 4.5, 4.5; tie → earlier.
        { new[] { 0.5, 0.0, 0.5 }, new[] { 50, 1, 50 }, 10, 3, new[] { 5, 1, 4 } },
        // Two caps at once: 6 > 2 and 3 > 2, the excess 5 all to the third: 6.
        { new[] { 0.6, 0.3, 0.1 }, new[] { 2, 2, 100 }, 10, 0, new[] { 2, 2, 6 } },
        // Cap and floor: 8, 1.5, 0.5 → over 4 ≥ under 2, cap the first at 4; then 4.5, 1.5 → floor the
        // third at 2; the second takes 4. (λ = 26.7: 0.8λ > 4, 0.05λ = 1.33 < 2.)
        { new[] { 0.8, 0.15, 0.05 }, new[] { 4, 100, 100 }, 10, 2, new[] { 4, 4, 2 } },
        // The only weighted group is capped: the rest is shared evenly between the zero-weight groups.
        { new[] { 1.0, 0.0, 0.0 }, new[] { 2, 5, 5 }, 8, 0, new[] { 2, 3, 3 } },
        // Everything, and nothing.
        { new[] { 0.2, 0.8 }, new[] { 3, 4 }, 7, 0, new[] { 3, 4 } },
        { new[] { 0.2, 0.8 }, new[] { 3, 4 }, 0, 0, new[] { 0, 0 } },
    };

    [Theory]
    [MemberData(nameof(HandCases))]
    public void WeightedQuotas_HandCases(double[] weights, int[] sizes, int total, int floor, int[] expected)
    {
        Assert.Equal(expected, QuotaSelector.WeightedQuotas(weights, sizes, total, floor));
    }

    [Fact]
    public void WeightedQuotas_WithSizeWeightsAndNoFloor_IsExactlyTheProportionalQuotas()
    {
        var rng = new Random(21);
        for (int t = 0; t < 2000; t++)
        {
            var sizes = Enumerable.Range(0, rng.Next(1, 9)).Select(_ => rng.Next(1, 40)).ToArray();
            int total = rng.Next(0, sizes.Sum() + 1);
            Assert.Equal(QuotaSelector.Quotas(sizes, total), QuotaSelector.WeightedQuotas(sizes.Select(s => (double)s).ToArray(), sizes, total, 0));
        }
    }

    [Fact]
    public void WeightedQuotas_RandomCases_SumExactly_RespectFloorAndCaps_AndFollowTheWeights()
    {
        var rng = new Random(5);
        for (int t = 0; t < 3000; t++)
        {
            int g = rng.Next(1, 10);
            var sizes = Enumerable.Range(0, g).Select(_ => rng.Next(1, 30)).ToArray();
            var weights = Enumerable.Range(0, g).Select(_ => rng.NextDouble() < 0.1 ? 0.0 : rng.NextDouble()).ToArray();
            int floor = rng.Next(0, 4);
            long floors = sizes.Sum(s => Math.Min(s, floor));
            int total = (int)floors + rng.Next(0, sizes.Sum() - (int)floors + 1);
            var q = QuotaSelector.WeightedQuotas(weights, sizes, total, floor);
            Assert.Equal(total, q.Sum());
            for (int i = 0; i < g; i++) Assert.InRange(q[i], Math.Min(floor, sizes[i]), sizes[i]);
            // Monotone in the weights: a heavier group is never given fewer than a lighter one
            // unless its size or the floor forces it (then it is at its size, or the other at its floor).
            for (int i = 0; i < g; i++)
                for (int j = 0; j < g; j++)
                    if (weights[i] > weights[j] && q[i] < q[j] - 1)
                        Assert.True(q[i] == sizes[i] || q[j] == Math.Min(floor, sizes[j]), $"case {t}: group {i} (w {weights[i]:F3}) got {q[i]}, group {j} (w {weights[j]:F3}) got {q[j]}");
        }
    }

    [Fact]
    public void WeightedQuotas_FloorAboveTheTotal_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QuotaSelector.WeightedQuotas(new[] { 1.0, 1.0, 1.0 }, new[] { 5, 5, 5 }, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuotaSelector.WeightedQuotas(new[] { 1.0, 1.0 }, new[] { 5, 5 }, 11, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuotaSelector.WeightedQuotas(new[] { -1.0, 1.0 }, new[] { 5, 5 }, 4, 0));
    }

    [Fact]
    public void Softmax_HandValues_AndNoOverflow()
    {
        // τ = 0.5: exp(0) = 1 and exp(0.5·ln 3 / 0.5) = 3 → 1/4, 3/4.
        var p = DensityPruning.Softmax(new[] { 0.0, 0.5 * Math.Log(3) }, 0.5);
        Assert.Equal(0.25, p[0], 12);
        Assert.Equal(0.75, p[1], 12);
        Assert.Equal(new[] { 0.5, 0.5 }, DensityPruning.Softmax(new[] { 1000.0, 1000.0 }, 0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => DensityPruning.Softmax(new[] { 1.0 }, 0));
    }

    [Fact]
    public void Complexity_Euclidean_HandComputed()
    {
        // Centroids (0,0), (3,4), (0,10): pairwise L2 5, 10 and √45 = 6.7082.
        var model = new KMeansModel(V(0, 0, 3, 4, 0, 10), 3, 2, DistanceMetric.Euclidean);
        var vectors = new List<float[]> { V(1, 0), V(0, 2), V(3, 5), V(0, 13), V(4, 10) };
        var cluster = new[] { 0, 0, 1, 2, 2 };
        // d_intra: (1 + 2)/2 = 1.5; 1; (3 + 4)/2 = 3.5.
        var one = DensityPruning.Complexity(model, vectors, cluster, new[] { 0, 1, 2 }, neighbours: 1);
        Assert.Equal(new[] { 1.5, 1.0, 3.5 }, one.Select(c => c.IntraDistance));
        Assert.Equal(new[] { 2, 1, 2 }, one.Select(c => c.Size));
        Assert.Equal(5.0, one[0].InterDistance, 12);
        Assert.Equal(5.0, one[1].InterDistance, 12);
        Assert.Equal(Math.Sqrt(45), one[2].InterDistance, 12);
        // Two neighbours (all the others): (5 + 10)/2, (5 + √45)/2, (10 + √45)/2.
        var two = DensityPruning.Complexity(model, vectors, cluster, new[] { 0, 1, 2 }, neighbours: 2);
        Assert.Equal(7.5, two[0].InterDistance, 12);
        Assert.Equal((5 + Math.Sqrt(45)) / 2, two[1].InterDistance, 12);
        Assert.Equal((10 + Math.Sqrt(45)) / 2, two[2].InterDistance, 12);
        Assert.Equal(1.5 * 7.5, two[0].Complexity, 12);
        // The default (20 neighbours) uses all 2 others here.
        Assert.Equal(two.Select(c => c.Complexity), DensityPruning.Complexity(model, vectors, cluster, new[] { 0, 1, 2 }).Select(c => c.Complexity));
    }

    [Fact]
    public void Complexity_Cosine_UsesCosineDistance_AndOnlyTheGroupsPresent()
    {
        // Unit centroids at 0°, 90°, 180°: cosine distances 1 (0°–90°, 90°–180°) and 2 (0°–180°).
        var model = new KMeansModel(V(1, 0, 0, 1, -1, 0), 3, 2, DistanceMetric.Cosine);
        // Cluster 0: (1,1) is 45° off → 1 − cos 45° = 0.29289; (2,0) is on the centroid → 0; (0,0) has no direction, skipped.
        var vectors = new List<float[]> { V(1, 1), V(2, 0), V(0, 0), V(0, 5) };
        var r = DensityPruning.Complexity(model, vectors, new[] { 0, 0, 0, 1 }, new[] { 0, 1 }, neighbours: 1);
        Assert.Equal(2, r.Length);
        Assert.Equal((1 - Math.Sqrt(0.5)) / 2, r[0].IntraDistance, 6);
        Assert.Equal(3, r[0].Size);
        Assert.Equal(1.0, r[0].InterDistance, 6);   // nearest other centroid: 90°
        Assert.Equal(0.0, r[1].IntraDistance, 6);
        Assert.Equal(1.0, r[1].InterDistance, 6);
        var all = DensityPruning.Complexity(model, vectors, new[] { 0, 0, 0, 1 }, new[] { 0, 1 });
        Assert.Equal(1.5, all[0].InterDistance, 6); // (1 + 2)/2
        Assert.Equal(1.0, all[1].InterDistance, 6); // (1 + 1)/2
    }

    [Fact]
    public void Quotas_EndToEnd_HandComputed()
    {
        // 1-D, Euclidean: centroids 0, 10, 30; clusters of 4 at ±1, ±1, ±2.
        // d_intra 1, 1, 2; d_inter (10+30)/2 = 20, (10+20)/2 = 15, (30+20)/2 = 25;
        // complexity 20, 15, 50; softmax at τ = 20: e^1, e^0.75, e^2.5 → 0.1597, 0.1244, 0.7159.
        var model = new KMeansModel(V(0, 10, 30), 3, 1, DistanceMetric.Euclidean);
        var vectors = new[] { -1, 1, -1, 1, 9, 11, 9, 11, 28, 32, 28, 32 }.Select(x => V(x)).ToList();
        var cluster = new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 };
        var c = DensityPruning.Complexity(model, vectors, cluster, new[] { 0, 1, 2 });
        Assert.Equal(new[] { 20.0, 15.0, 50.0 }, c.Select(x => Math.Round(x.Complexity, 9)));
        var shares = DensityPruning.Softmax(c.Select(x => x.Complexity).ToArray(), 20);
        double z = Math.Exp(1) + Math.Exp(0.75) + Math.Exp(2.5);
        Assert.Equal(Math.Exp(2.5) / z, shares[2], 12);
        // Keep 7: 1.118, 0.871, 5.011 → the third is capped at 4; 3 left split 0.1597 : 0.1244 →
        // 1.687, 1.313 → 1 + 1, remainder to the first.
        Assert.Equal(new[] { 2, 1, 4 }, DensityPruning.Quotas(c, 7, 20, 1));
        // Keep 3: 0.479, 0.373, 2.148. Floor 1 raises both small ones → 1, 1, 1; without a floor → 1, 0, 2.
        Assert.Equal(new[] { 1, 1, 1 }, DensityPruning.Quotas(c, 3, 20, 1));
        Assert.Equal(new[] { 1, 0, 2 }, DensityPruning.Quotas(c, 3, 20, 0));
        // A hot softmax (τ = 1000) is nearly uniform: 7 → 2.314, 2.302, 2.384 → 2, 2, 3.
        var hot = DensityPruning.Quotas(c, 7, 1000, 1);
        Assert.Equal(new[] { 2, 2, 3 }, hot);
    }
}

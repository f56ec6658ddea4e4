using PruneCmdlets.Clustering;
using PruneCmdlets.Dedup;
using PruneCmdlets.Numerics;
using Xunit;
using Isa = PruneCmdlets.Numerics.DistanceKernel.Isa;

namespace PruneCmdlets.Core.Tests;

public class DedupTests
{
    private static float[] V(params double[] v) => v.Select(x => (float)x).ToArray();
    private static float[] Angle(double degrees) => V(Math.Cos(degrees * Math.PI / 180), Math.Sin(degrees * Math.PI / 180));

    private static SemDeDupResult Run(IReadOnlyList<float[]> vectors, int[] cluster, KMeansModel? model = null, double epsilon = 0.05,
        DuplicateKeepRule rule = DuplicateKeepRule.FarthestFromCentroid, Action<SemDeDupOptions>? tweak = null)
    {
        var options = new SemDeDupOptions { Epsilon = epsilon, KeepRule = rule };
        tweak?.Invoke(options);
        return SemanticDeduplicator.Run(vectors, cluster, model, options);
    }

    private static string Describe(SemDeDupResult r)
        => string.Join(" | ", r.Groups.Select(g => $"c{g.Cluster}:[{string.Join(",", g.Members)}] keep {g.Kept}"));

    // ---- the pair kernel ---------------------------------------------------------------------

    public static TheoryData<int, int, int, int> PairSizes => new()
    {
        // rows in the matrix, d, column block start, column block length: not multiples of 6 or 32
        { 1, 3, 0, 1 },
        { 7, 5, 0, 7 },
        { 45, 17, 0, 45 },
        { 100, 33, 37, 40 },
        { 131, 9, 64, 67 },
    };

    [Theory]
    [MemberData(nameof(PairSizes))]
    public void DotPairsAtLeast_FindsEveryPairAboveTheBar_ExactlyOnce(int n, int d, int j0, int jCount)
    {
        var x = TestData.Gaussian(n, d, seed: 10 + n);
        const float bar = 0.5f;
        var packed = DistanceKernel.Pack(x.AsSpan(j0 * d, jCount * d), jCount, d);
        foreach (var isa in Enum.GetValues<Isa>())
        {
            var found = new List<(int, int, float)>();
            DistanceKernel.DotPairsAtLeast(x, 0, n, packed, j0, bar, new float[DistanceKernel.TileRows * d], (i, j, dot) => found.Add((i, j, dot)), isa);
            var expected = new List<(int, int)>();
            int decisive = 0;
            for (int i = 0; i < n; i++)
                for (int j = Math.Max(j0, i + 1); j < j0 + jCount; j++)
                {
                    double dot = 0;
                    for (int p = 0; p < d; p++) dot += (double)x[i * d + p] * x[j * d + p];
                    if (Math.Abs(dot - bar) < 1e-3) continue; // too close to the bar to call in float
                    decisive++;
                    if (dot >= bar) expected.Add((i, j));
                }
            var got = found.Select(f => (f.Item1, f.Item2)).ToList();
            Assert.Equal(got.Count, got.Distinct().Count());
            Assert.All(found, f => Assert.True(f.Item2 > f.Item1 && f.Item2 >= j0 && f.Item2 < j0 + jCount));
            foreach (var e in expected) Assert.Contains(e, got);
            foreach (var (i, j, dot) in found)
            {
                double exact = 0;
                for (int p = 0; p < d; p++) exact += (double)x[i * d + p] * x[j * d + p];
                Assert.True(Math.Abs(dot - exact) < 1e-4 * d, $"pair {i},{j} ({isa}): kernel {dot} vs {exact}");
            }
            Assert.True(decisive > 0 || n == 1);
        }
    }

    [Fact]
    public void DotPairsAtLeast_IsBitIdenticalAcrossInstructionSets()
    {
        const int n = 70, d = 37;
        var x = TestData.Gaussian(n, d, seed: 5);
        var packed = DistanceKernel.Pack(x, n, d);
        List<(int, int, float)> Run(Isa isa)
        {
            var l = new List<(int, int, float)>();
            DistanceKernel.DotPairsAtLeast(x, 0, n, packed, 0, float.NegativeInfinity, new float[DistanceKernel.TileRows * d], (i, j, v) => l.Add((i, j, v)), isa);
            return l.OrderBy(t => t.Item1).ThenBy(t => t.Item2).ToList();
        }
        var reference = Run(Isa.Scalar);
        Assert.Equal(n * (n - 1) / 2, reference.Count);
        foreach (var isa in Enum.GetValues<Isa>()) Assert.Equal(reference, Run(isa));
    }

    // ---- SemDeDup ----------------------------------------------------------------------------

    [Fact]
    public void FindsThePlantedDuplicates_AndNothingElse_OnlyInsideClusters()
    {
        var vectors = new List<float[]>
        {
            V(1, 0, 0),      // 0  cluster 0
            V(1, 0.1, 0),    // 1  cluster 0: cos with 0 = 1/√1.01 = 0.99504 → duplicate of 0
            V(0, 1, 0),      // 2  cluster 0: cos with 1 = 0.0995
            V(0, 1, 0.2),    // 3  cluster 0: cos with 2 = 1/√1.04 = 0.98058 → duplicate of 2
            V(0, 0, 1),      // 4  cluster 0: cos with 3 = 0.196
            V(1, 0, 0),      // 5  cluster 1: identical to 0 but in another cluster
            V(0, 0, 1),      // 6  cluster 1: identical to 4 but in another cluster
            V(0.6, 0.8, 0),  // 7  cluster 1: cos with 5 = 0.6
            V(1, 0.33, 0),   // 8  cluster 1: cos with 5 = 1/√1.1089 = 0.94963, just under 0.95
        };
        var cluster = new[] { 0, 0, 0, 0, 0, 1, 1, 1, 1 };
        var r = Run(vectors, cluster);
        Assert.Equal("c0:[0,1] keep 0 | c0:[2,3] keep 2", Describe(r));
        Assert.Equal(new[] { true, false, true, false, true, true, true, true, true }, r.Keep);
        Assert.Equal(2, r.Removed);
        Assert.Equal(2, r.Clusters);
        Assert.Equal(10 + 6, r.PairsCompared);
        Assert.Equal(1 / Math.Sqrt(1.01), r.Groups[0].MaxSimilarity, 6);
        Assert.Equal(1 / Math.Sqrt(1.04), r.Groups[1].MinSimilarity, 6);
        Assert.Equal(1, r.Groups[0].LinkedPairs);

        // A looser threshold (cos ≥ 0.94) also links 8 to 5 in cluster 1.
        var loose = Run(vectors, cluster, epsilon: 0.06);
        Assert.Equal("c0:[0,1] keep 0 | c0:[2,3] keep 2 | c1:[5,8] keep 5", Describe(loose));
    }

    [Fact]
    public void GroupsAreTransitive_AChainIsOneGroup()
    {
        // 0°, 15°, 30°: neighbours have cos 15° = 0.9659 ≥ 0.95, the ends cos 30° = 0.8660 < 0.95.
        var vectors = new List<float[]> { Angle(0), Angle(15), Angle(30), Angle(90) };
        var cluster = new[] { 4, 4, 4, 4 };
        var r = Run(vectors, cluster);
        var g = Assert.Single(r.Groups);
        Assert.Equal(new[] { 0, 1, 2 }, g.Members);
        Assert.Equal(2, g.LinkedPairs);
        Assert.Equal(Math.Cos(15 * Math.PI / 180), g.MaxSimilarity, 6);
        Assert.Equal(Math.Cos(15 * Math.PI / 180), g.MinSimilarity, 6);
        Assert.Equal(4, g.Cluster);
        // No model: the centroid is the cluster's mean direction, (0°+15°+30°+90°) summed as unit vectors.
        // Its angle is atan2(Σ sin, Σ cos) = atan2(1.7588, 2.8320) = 31.84°: 0° is farthest.
        Assert.Equal(0, g.Kept);
        Assert.Equal(Math.Cos(30 * Math.PI / 180), g.MinSimilarityToKept, 6); // 0° to 30°: the chain shows
    }

    [Theory]
    [InlineData(DuplicateKeepRule.FarthestFromCentroid, 0)]
    [InlineData(DuplicateKeepRule.MostPrototypical, 1)]
    public void KeepRule_IsHonoured_AgainstTheModelCentroid(DuplicateKeepRule rule, int expectedKept)
    {
        // Centroid at 20°: cosine distances 1−cos 20° = 0.0603 (0°), 1−cos 5° = 0.0038 (15°), 1−cos 10° = 0.0152 (30°).
        var vectors = new List<float[]> { Angle(0), Angle(15), Angle(30) };
        var model = new KMeansModel(Angle(20), 1, 2, DistanceMetric.Cosine);
        var r = Run(vectors, new[] { 0, 0, 0 }, model, rule: rule);
        var g = Assert.Single(r.Groups);
        Assert.Equal(expectedKept, g.Kept);
        Assert.Equal(new[] { 0, 1, 2 }.Where(i => i != expectedKept), g.Duplicates);
        Assert.Equal(new[] { 0, 1, 2 }.Select(i => i == expectedKept), r.Keep);
    }

    [Fact]
    public void KeepRule_Euclidean_MeasuresRawL2ToTheCentroid()
    {
        // Same direction, different lengths: cos = 1 for every pair. Centroid (5, 0):
        // L2 distances 4 (1,0), 3 (2,0), 5 (10,0) → farthest is 2, closest is 1.
        var vectors = new List<float[]> { V(1, 0), V(2, 0), V(10, 0) };
        var model = new KMeansModel(V(5, 0), 1, 2, DistanceMetric.Euclidean);
        Assert.Equal(2, Assert.Single(Run(vectors, new[] { 0, 0, 0 }, model).Groups).Kept);
        Assert.Equal(1, Assert.Single(Run(vectors, new[] { 0, 0, 0 }, model, rule: DuplicateKeepRule.MostPrototypical).Groups).Kept);
    }

    [Fact]
    public void KeepRule_Ties_GoToTheEarliestRecord()
    {
        var vectors = new List<float[]> { V(1, 1), V(1, 1), V(1, 1) };
        var r = Run(vectors, new[] { 0, 0, 0 });
        Assert.Equal(0, Assert.Single(r.Groups).Kept);
        Assert.Equal(1.0, r.Groups[0].MaxSimilarity); // identical vectors score exactly 1
        Assert.Equal(1.0, r.Groups[0].MinSimilarity);
        Assert.Equal(3, r.Groups[0].LinkedPairs);
    }

    [Fact]
    public void EpsilonZero_TakesExactDuplicatesAndScaledCopies_Only()
    {
        var vectors = new List<float[]> { V(0.3, -1.7, 2.2), V(0.6, -3.4, 4.4), V(0.3, -1.7, 2.2001), V(0.3, -1.7, 2.2) };
        var r = Run(vectors, new[] { 0, 0, 0, 0 }, epsilon: 0);
        Assert.Equal("c0:[0,1,3] keep 0", Describe(r));
    }

    [Fact]
    public void ResultDoesNotDependOnThreadsBlocksOrInstructionSet_AndMatchesBruteForce()
    {
        const int n = 700, d = 24, k = 3;
        var rng = new Random(3);
        var x = TestData.Gaussian(n, d, seed: 77);
        var vectors = TestData.Rows(x, n, d).ToList();
        var cluster = Enumerable.Range(0, n).Select(i => i % k).ToArray();
        // Plant near-copies (and chains of them) inside clusters.
        for (int t = 0; t < 60; t++)
        {
            int src = rng.Next(n), dst = rng.Next(n);
            if (src == dst) continue;
            cluster[dst] = cluster[src];
            vectors[dst] = vectors[src].Select(v => v + (float)(0.08 * TestData.NextGaussian(rng))).ToArray();
        }
        var reference = Run(vectors, cluster, epsilon: 0.02);
        Assert.True(reference.Groups.Count >= 20, $"only {reference.Groups.Count} groups: the planted duplicates should give many");

        // Brute force in double: every pair inside a cluster, components by flood fill.
        var unit = vectors.Select(v => { double s = Math.Sqrt(v.Sum(f => (double)f * f)); return v.Select(f => f / s).ToArray(); }).ToArray();
        var adj = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (cluster[i] == cluster[j] && unit[i].Zip(unit[j], (a, b) => a * b).Sum() >= 0.98) { adj[i].Add(j); adj[j].Add(i); }
        var seen = new bool[n];
        var groups = new List<int[]>();
        for (int i = 0; i < n; i++)
        {
            if (seen[i] || adj[i].Count == 0) continue;
            var stack = new Stack<int>(new[] { i });
            var members = new List<int>();
            seen[i] = true;
            while (stack.Count > 0) { int v = stack.Pop(); members.Add(v); foreach (int w in adj[v]) if (!seen[w]) { seen[w] = true; stack.Push(w); } }
            groups.Add(members.OrderBy(m => m).ToArray());
        }
        Assert.Equal(groups.Select(g => string.Join(",", g)), reference.Groups.Select(g => string.Join(",", g.Members)));

        foreach (var isa in Enum.GetValues<Isa>())
            foreach (int threads in new[] { 1, 3 })
            {
                var other = Run(vectors, cluster, epsilon: 0.02, tweak: o =>
                {
                    o.Isa = isa; o.MaxThreads = threads; o.ColumnBlock = 64; o.RowBlock = 6; o.BatchColumns = 100;
                });
                Assert.Equal(Describe(reference), Describe(other));
                Assert.Equal(reference.Keep, other.Keep);
                for (int g = 0; g < reference.Groups.Count; g++)
                {
                    Assert.Equal(reference.Groups[g].MaxSimilarity, other.Groups[g].MaxSimilarity);
                    Assert.Equal(reference.Groups[g].MinSimilarity, other.Groups[g].MinSimilarity);
                    Assert.Equal(reference.Groups[g].LinkedPairs, other.Groups[g].LinkedPairs);
                }
            }
    }

    [Fact]
    public void LargeCluster_IsSearchedInBlocks_WithTheSameAnswer()
    {
        // One cluster of 2500 records, far more than a column block (1024): duplicates planted
        // across block boundaries must still be found.
        const int n = 2500, d = 8;
        var vectors = TestData.Rows(TestData.Gaussian(n, d, seed: 9), n, d).ToList();
        var pairs = new[] { (3, 2499), (1023, 1024), (1500, 10), (2047, 2048) };
        foreach (var (a, b) in pairs) vectors[b] = vectors[a].Select(v => v * 3f).ToArray();
        var r = Run(vectors, new int[n], epsilon: 1e-6);
        Assert.Equal(pairs.Select(p => $"{Math.Min(p.Item1, p.Item2)},{Math.Max(p.Item1, p.Item2)}").OrderBy(s => int.Parse(s.Split(',')[0])),
            r.Groups.Select(g => string.Join(",", g.Members)));
        Assert.Equal((long)n * (n - 1) / 2, r.PairsCompared);
    }

    [Fact]
    public void Refuses_ZeroVectors_AndClustersTheModelLacks()
    {
        Assert.Throws<ArgumentException>(() => Run(new List<float[]> { V(1, 0), V(0, 0) }, new[] { 0, 0 }));
        var model = new KMeansModel(V(1, 0), 1, 2, DistanceMetric.Cosine);
        Assert.Throws<ArgumentOutOfRangeException>(() => Run(new List<float[]> { V(1, 0), V(1, 0) }, new[] { 0, 1 }, model));
        Assert.Throws<ArgumentOutOfRangeException>(() => Run(new List<float[]> { V(1, 0) }, new[] { 0 }, epsilon: 1.5));
    }

    [Fact]
    public void ReportsProgress_UpToEveryPair()
    {
        var vectors = TestData.Rows(TestData.Gaussian(300, 4, seed: 2), 300, 4).ToList();
        var cluster = Enumerable.Range(0, 300).Select(i => i % 2).ToArray();
        var seen = new List<SemDeDupProgress>();
        SemanticDeduplicator.Run(vectors, cluster, null, new SemDeDupOptions { ColumnBlock = 32, BatchColumns = 64 }, p => seen.Add(p));
        Assert.True(seen.Count > 1);
        Assert.Equal(2L * 150 * 149 / 2, seen[^1].PairsDone);
        Assert.Equal(seen[^1].PairsTotal, seen[^1].PairsDone);
        Assert.True(seen.Zip(seen.Skip(1), (a, b) => b.PairsDone > a.PairsDone).All(x => x));
    }
}

using PruneCmdlets.Numerics;
using PruneCmdlets.Selection;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class QuotaSelectorTests
{
    private static int[] Kept(bool[] keep) => Enumerable.Range(0, keep.Length).Where(i => keep[i]).ToArray();

    [Theory]
    [InlineData(0.5, 5, 3)]     // 2.5 → 3 (banker's rounding would give 2)
    [InlineData(0.25, 10, 3)]   // 2.5 → 3
    [InlineData(0.125, 20, 3)]  // 2.5 → 3
    [InlineData(0.5, 3, 2)]     // 1.5 → 2
    [InlineData(0.5, 7, 4)]     // 3.5 → 4
    [InlineData(0.3, 10, 3)]
    [InlineData(0.24, 10, 2)]   // 2.4 → 2
    [InlineData(0.01, 10, 1)]   // 0.1 → 0 → minimum 1
    [InlineData(1e-9, 1, 1)]
    [InlineData(1.0, 7, 7)]
    [InlineData(0.999, 1000, 999)]
    [InlineData(0.5, 0, 0)]
    public void CountForFraction_RoundsHalfAwayFromZero_MinimumOne(double fraction, int n, int expected)
    {
        Assert.Equal(expected, QuotaSelector.CountForFraction(fraction, n));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.0000001)]
    [InlineData(2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void CountForFraction_OutsideUnitInterval_Throws(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QuotaSelector.CountForFraction(fraction, 10));
    }

    [Theory]
    [InlineData(new[] { 5, 3, 2 }, 5, new[] { 3, 1, 1 })]        // 2.5 1.5 1.0: remainder tie → earlier group
    [InlineData(new[] { 10, 20, 30 }, 30, new[] { 5, 10, 15 })]  // exact
    [InlineData(new[] { 1, 1, 1 }, 2, new[] { 1, 1, 0 })]        // 2/3 each
    [InlineData(new[] { 7, 2, 1 }, 3, new[] { 2, 1, 0 })]        // 2.1 0.6 0.3
    [InlineData(new[] { 3, 3, 3, 1 }, 5, new[] { 2, 2, 1, 0 })]  // 1.5 ×3, 0.5
    [InlineData(new[] { 1, 3, 3, 3 }, 5, new[] { 1, 2, 1, 1 })]  // 0.5 1.5 1.5 1.5: ties in index order
    [InlineData(new[] { 0, 4 }, 2, new[] { 0, 2 })]
    [InlineData(new[] { 6, 1, 1, 1, 1 }, 5, new[] { 3, 1, 1, 0, 0 })] // 3.0 0.5 ×4
    [InlineData(new[] { 4, 4 }, 0, new[] { 0, 0 })]
    [InlineData(new[] { 4, 4 }, 8, new[] { 4, 4 })]
    public void Quotas_LargestRemainder_HandCases(int[] sizes, int total, int[] expected)
    {
        Assert.Equal(expected, QuotaSelector.Quotas(sizes, total));
    }

    [Fact]
    public void Quotas_RandomSizes_SumExactly_Proportional_WithinBounds()
    {
        var rng = new Random(12);
        for (int trial = 0; trial < 500; trial++)
        {
            var sizes = Enumerable.Range(0, rng.Next(1, 12)).Select(_ => rng.Next(0, 50)).ToArray();
            int n = sizes.Sum();
            int total = rng.Next(0, n + 1);
            var q = QuotaSelector.Quotas(sizes, total);
            Assert.Equal(total, q.Sum());
            for (int g = 0; g < sizes.Length; g++)
            {
                double exact = (double)total * sizes[g] / Math.Max(1, n);
                Assert.True(q[g] >= Math.Floor(exact) && q[g] <= Math.Ceiling(exact), $"group {g}: {q[g]} vs exact {exact}");
                Assert.InRange(q[g], 0, sizes[g]);
            }
        }
    }

    [Fact]
    public void Quotas_TotalOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QuotaSelector.Quotas(new[] { 2, 3 }, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuotaSelector.Quotas(new[] { 2, 3 }, -1));
        Assert.Equal(Array.Empty<int>(), QuotaSelector.Quotas(Array.Empty<int>(), 0));
    }

    [Fact]
    public void Select_Hard_KeepsLargestDistances_TiesByInputOrderWithoutIds()
    {
        double[] d = { 0.1, 0.9, 0.5, 0.9, 0.2, 0.9 };
        Assert.Equal(new[] { 1, 3 }, Kept(QuotaSelector.Select(d, null, 6, 2, KeepStrategy.Hard, 0)));
        Assert.Equal(new[] { 1 }, Kept(QuotaSelector.Select(d, null, 6, 1, KeepStrategy.Hard, 0)));
        Assert.Equal(new[] { 1, 2, 3, 5 }, Kept(QuotaSelector.Select(d, null, 6, 4, KeepStrategy.Hard, 0)));
    }

    [Fact]
    public void Select_Easy_KeepsSmallestDistances_TiesByInputOrderWithoutIds()
    {
        double[] d = { 0.3, 0.1, 0.5, 0.1, 0.2, 0.1 };
        Assert.Equal(new[] { 1, 3 }, Kept(QuotaSelector.Select(d, null, 6, 2, KeepStrategy.Easy, 0)));
        Assert.Equal(new[] { 1, 3, 4, 5 }, Kept(QuotaSelector.Select(d, null, 6, 4, KeepStrategy.Easy, 0)));
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, Kept(QuotaSelector.Select(d, null, 6, 6, KeepStrategy.Easy, 0)));
        Assert.Empty(Kept(QuotaSelector.Select(d, null, 6, 0, KeepStrategy.Easy, 0)));
    }

    [Fact]
    public void Select_HardAndEasy_MatchSortingByBruteForce()
    {
        var rng = new Random(5);
        int n = 400;
        var d = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 20) / 4).ToArray(); // ties
        foreach (int total in new[] { 1, 37, 200, 399 })
        {
            var hard = Kept(QuotaSelector.Select(d, null, n, total, KeepStrategy.Hard, 0));
            var easy = Kept(QuotaSelector.Select(d, null, n, total, KeepStrategy.Easy, 0));
            // record i is kept by Hard iff fewer than `total` records precede it in (distance desc, index asc)
            var expectHard = Enumerable.Range(0, n).Where(i => Enumerable.Range(0, n).Count(j => d[j] > d[i] || (d[j] == d[i] && j < i)) < total).ToArray();
            var expectEasy = Enumerable.Range(0, n).Where(i => Enumerable.Range(0, n).Count(j => d[j] < d[i] || (d[j] == d[i] && j < i)) < total).ToArray();
            Assert.Equal(expectHard, hard);
            Assert.Equal(expectEasy, easy);
        }
    }

    [Fact]
    public void Select_HardOrEasy_WithoutDistances_Throws()
    {
        Assert.Throws<ArgumentException>(() => QuotaSelector.Select(null, null, 3, 1, KeepStrategy.Hard, 0));
        Assert.Throws<ArgumentException>(() => QuotaSelector.Select(null, null, 3, 1, KeepStrategy.Easy, 0));
    }

    [Fact]
    public void Select_Random_SeedDeterministic_DiffersBetweenSeeds()
    {
        const int n = 100, total = 30;
        var a = QuotaSelector.Select(null, null, n, total, KeepStrategy.Random, 7);
        var b = QuotaSelector.Select(null, null, n, total, KeepStrategy.Random, 7);
        Assert.Equal(a, b);
        Assert.Equal(total, a.Count(k => k));
        var c = QuotaSelector.Select(null, null, n, total, KeepStrategy.Random, 8);
        Assert.Equal(total, c.Count(k => k));
        Assert.NotEqual(a, c);
        // Distances are ignored by Random.
        var withD = QuotaSelector.Select(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), null, n, total, KeepStrategy.Random, 7);
        Assert.Equal(a, withD);
    }

    [Fact]
    public void Select_Random_KeepsTheSmallestPerIdDraws()
    {
        const int n = 50, total = 12;
        // Without Ids the index's decimal text is the Id each record is drawn by.
        var expected = Enumerable.Range(0, n).OrderBy(i => PruneCmdlets.Sharding.StableHash.RandomKey(99, i.ToString())).Take(total).OrderBy(i => i).ToArray();
        Assert.Equal(expected, Kept(QuotaSelector.Select(null, null, n, total, KeepStrategy.Random, 99)));
    }

    [Fact]
    public void Select_Random_IsRoughlyUniform()
    {
        const int n = 20, total = 5, trials = 4000;
        var hits = new int[n];
        for (int s = 0; s < trials; s++)
        {
            var keep = QuotaSelector.Select(null, null, n, total, KeepStrategy.Random, s);
            for (int i = 0; i < n; i++) if (keep[i]) hits[i]++;
        }
        double expected = trials * (double)total / n; // 1000, sd ≈ 27
        Assert.All(hits, h => Assert.InRange(h, expected - 150, expected + 150));
    }

    [Fact]
    public void Select_BalancedByGroup_HardWithinEachGroup()
    {
        //            0     1     2     3     4     5     6     7     8
        string?[] g = { "a", "b", "a", "b", "a", "a", "c", "c", null };
        double[] d = { 0.1, 0.2, 0.9, 0.8, 0.5, 0.7, 0.3, 0.4, 0.6 };
        // groups (ordinal): "" (1) a (4) b (2) c (2); total 4 → exact 0.444 1.778 0.889 0.889
        // floors 0 1 0 0 (1 assigned); remainders .444 .778 .889 .889 → b, c, a get one more
        var quotas = QuotaSelector.Quotas(new[] { 1, 4, 2, 2 }, 4);
        Assert.Equal(new[] { 0, 2, 1, 1 }, quotas);
        var keep = QuotaSelector.Select(d, g, 9, 4, KeepStrategy.Hard, 0);
        // a: largest two of {0:.1, 2:.9, 4:.5, 5:.7} → 2, 5; b: 3 (.8); c: 7 (.4); null group: none
        Assert.Equal(new[] { 2, 3, 5, 7 }, Kept(keep));

        var easy = QuotaSelector.Select(d, g, 9, 4, KeepStrategy.Easy, 0);
        // a: 0, 4; b: 1; c: 6
        Assert.Equal(new[] { 0, 1, 4, 6 }, Kept(easy));
    }

    [Fact]
    public void Select_BalancedByGroup_EqualRemaindersFavourOrdinallyFirstGroup()
    {
        string?[] g = { "b", "b", "a", "a" };
        double[] d = { 5, 6, 1, 2 };
        // "a" sorts first; 0.5 each → "a" takes the single slot even though "b" has the larger distances.
        Assert.Equal(new[] { 3 }, Kept(QuotaSelector.Select(d, g, 4, 1, KeepStrategy.Hard, 0)));
    }

    [Fact]
    public void Select_BalancedRandom_PerGroupCountsFollowQuotas()
    {
        var rng = new Random(2);
        int n = 997;
        string[] names = { "cat", "dog", "eel", "fox", "gnu" };
        var g = Enumerable.Range(0, n).Select(_ => names[Math.Min(4, (int)(5 * Math.Pow(rng.NextDouble(), 2)))]).ToArray();
        var sizes = names.Select(nm => g.Count(x => x == nm)).ToArray();
        int total = QuotaSelector.CountForFraction(0.3, n);
        var quotas = QuotaSelector.Quotas(sizes, total);
        foreach (var strategy in new[] { KeepStrategy.Random, KeepStrategy.Hard, KeepStrategy.Easy })
        {
            var dist = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
            var keep = QuotaSelector.Select(dist, g, n, total, strategy, 31);
            Assert.Equal(total, keep.Count(k => k));
            for (int k = 0; k < names.Length; k++)
                Assert.Equal(quotas[k], Enumerable.Range(0, n).Count(i => keep[i] && g[i] == names[k]));
        }
    }
}

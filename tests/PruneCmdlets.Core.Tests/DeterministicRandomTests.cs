using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class DeterministicRandomTests
{
    // The constructor XORs the seed with the golden gamma, so this seed starts SplitMix64 at state 0.
    private static readonly long StateZeroSeed = unchecked((long)0x9E3779B97F4A7C15UL);

    [Fact]
    public void NextUInt64_MatchesSplitMix64ReferenceVector()
    {
        // Published SplitMix64 outputs for state 0 (Vigna's splitmix64.c).
        var r = new DeterministicRandom(StateZeroSeed);
        Assert.Equal(0xE220A8397B1DCDAFUL, r.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, r.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, r.NextUInt64());
    }

    [Fact]
    public void NextDouble_Uses53HighBits()
    {
        var r = new DeterministicRandom(StateZeroSeed);
        Assert.Equal((0xE220A8397B1DCDAFUL >> 11) / 9007199254740992.0, r.NextDouble());
        Assert.Equal((0x6E789E6AA1B965F4UL >> 11) / 9007199254740992.0, r.NextDouble());
    }

    [Fact]
    public void NextInt_IsRemainderOfAcceptedDraw()
    {
        // For n = 10 only draws below 2^64 mod 10 = 6 are rejected; the reference draws are far above.
        var r = new DeterministicRandom(StateZeroSeed);
        Assert.Equal((int)(0xE220A8397B1DCDAFUL % 10), r.NextInt(10));
        Assert.Equal((int)(0x6E789E6AA1B965F4UL % 1000003), r.NextInt(1000003));
        Assert.Equal(0, r.NextInt(1));
    }

    [Fact]
    public void NextInt_NonPositive_Throws()
    {
        var r = new DeterministicRandom(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.NextInt(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.NextInt(-5));
    }

    [Fact]
    public void SameSeed_SameSequence_DifferentSeed_DifferentSequence()
    {
        var a = new DeterministicRandom(12345);
        var b = new DeterministicRandom(12345);
        var c = new DeterministicRandom(12346);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        var sb = Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray();
        var sc = Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).ToArray();
        Assert.Equal(sa, sb);
        Assert.Empty(sa.Intersect(sc));
    }

    [Fact]
    public void Derive_IsDeterministic_AndStreamsDiffer()
    {
        var s0 = Enumerable.Range(0, 20).Select(_ => 0UL).ToArray();
        var first = DeterministicRandom.Derive(7, 0);
        var again = DeterministicRandom.Derive(7, 0);
        var other = DeterministicRandom.Derive(7, 1);
        var otherSeed = DeterministicRandom.Derive(8, 0);
        var f = Enumerable.Range(0, 20).Select(_ => first.NextUInt64()).ToArray();
        Assert.Equal(f, Enumerable.Range(0, 20).Select(_ => again.NextUInt64()).ToArray());
        Assert.Empty(f.Intersect(Enumerable.Range(0, 20).Select(_ => other.NextUInt64())));
        Assert.Empty(f.Intersect(Enumerable.Range(0, 20).Select(_ => otherSeed.NextUInt64())));
        // Derive(seed, stream) is documented as the generator for seed·a + stream·b + 1.
        var expected = new DeterministicRandom(unchecked(7 * 0x5851F42D4C957F2DL + 1 * 0x14057B7EF767814FL + 1));
        Assert.Equal(expected.NextUInt64(), DeterministicRandom.Derive(7, 1).NextUInt64());
        Assert.NotEqual(s0, f);
    }

    [Fact]
    public void NextDouble_InUnitInterval_WithPlausibleMean()
    {
        var r = new DeterministicRandom(99);
        double sum = 0;
        const int n = 200000;
        for (int i = 0; i < n; i++)
        {
            double v = r.NextDouble();
            Assert.True(v >= 0 && v < 1);
            sum += v;
        }
        Assert.InRange(sum / n, 0.5 - 0.005, 0.5 + 0.005); // sd of mean ≈ 0.00065
    }

    [Fact]
    public void NextInt_UniformOverSmallRange_ChiSquare()
    {
        var r = new DeterministicRandom(2024);
        const int k = 7, n = 70000;
        var counts = new int[k];
        for (int i = 0; i < n; i++) counts[r.NextInt(k)]++;
        double expected = (double)n / k;
        double chi = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi < 22.46, $"chi² = {chi} (6 dof, p = 0.001 cut-off 22.46)"); // also rejects a constant
    }

    [Fact]
    public void NextInt_LargeBound_StaysInRange_AndReachesUpperHalf()
    {
        var r = new DeterministicRandom(5);
        int max = 0;
        for (int i = 0; i < 10000; i++)
        {
            int v = r.NextInt(int.MaxValue);
            Assert.InRange(v, 0, int.MaxValue - 1);
            max = Math.Max(max, v);
        }
        Assert.True(max > int.MaxValue / 2);
    }

    [Fact]
    public void Shuffle_IsAPermutation_AndSeedDeterministic()
    {
        var a = Enumerable.Range(0, 1000).ToArray();
        var b = Enumerable.Range(0, 1000).ToArray();
        new DeterministicRandom(3).Shuffle(a);
        new DeterministicRandom(3).Shuffle(b);
        Assert.Equal(a, b);
        Assert.Equal(Enumerable.Range(0, 1000), a.OrderBy(v => v));
        Assert.NotEqual(Enumerable.Range(0, 1000), a);
        var c = Enumerable.Range(0, 1000).ToArray();
        new DeterministicRandom(4).Shuffle(c);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Shuffle_MatchesFisherYatesOverNextInt()
    {
        var items = Enumerable.Range(0, 10).ToArray();
        new DeterministicRandom(77).Shuffle(items);
        var r = new DeterministicRandom(77);
        var expected = Enumerable.Range(0, 10).ToArray();
        for (int i = 9; i > 0; i--) { int j = r.NextInt(i + 1); (expected[i], expected[j]) = (expected[j], expected[i]); }
        Assert.Equal(expected, items);
    }

    [Fact]
    public void Shuffle_AllPermutationsOfThree_RoughlyEqual()
    {
        var counts = new Dictionary<string, int>();
        for (int s = 0; s < 6000; s++)
        {
            var a = new[] { 0, 1, 2 };
            new DeterministicRandom(s).Shuffle(a);
            string key = string.Join("", a);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(6, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150)); // expected 1000, sd ≈ 29
    }
}

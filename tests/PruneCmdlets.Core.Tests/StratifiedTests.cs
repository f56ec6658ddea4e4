using PruneCmdlets.Numerics;
using PruneCmdlets.Selection;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class StratifiedTests
{
    // 12 records. β = 0.25 drops ⌊3⌋ = 3 hardest: 30 (10), 25 (11), 20 (9).
    // Left: 1.0 .. 9.2, width 8.2/4 = 2.05 → bins [1, 3.05) [3.05, 5.1) [5.1, 7.15) [7.15, 9.2]:
    // bin 0: records 0-4 (5), bin 1: record 5 at 5.0 (1), bin 2: none, bin 3: records 6-8 (3).
    private static readonly double[] Distances = { 1.0, 1.2, 1.1, 1.3, 1.05, 5.0, 9.0, 9.2, 9.1, 20, 30, 25 };
    private static readonly StratifiedOptions Quarter = new() { HardCutoff = 0.25, Bins = 4 };

    [Fact]
    public void Plan_HandComputed_CutoffBinsAndWaterFilling()
    {
        var plan = StratifiedSampler.Plan(Distances, 6, Quarter);
        Assert.Equal(3, plan.Cutoff);
        Assert.Equal(1.0, plan.Low);
        Assert.Equal(9.2, plan.High);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 1, 3, 3, 3, -1, -1, -1 }, plan.BinOf);
        Assert.Equal(new[] { 5, 1, 0, 3 }, plan.BinSizes);
        // Visit by size: bin 2 (0) takes min(0, ⌊6/4⌋) = 0; bin 1 (1) takes min(1, ⌊6/3⌋) = 1;
        // bin 3 (3) takes min(3, ⌊5/2⌋) = 2; bin 0 (5) takes min(5, ⌊3/1⌋) = 3.
        Assert.Equal(new[] { 3, 1, 0, 2 }, plan.Takes);
    }

    [Fact]
    public void Select_KeepsTheHandComputedCountPerBin_AndNothingPastTheCutoff()
    {
        for (long seed = 0; seed < 20; seed++)
        {
            var keep = StratifiedSampler.Select(Distances, 6, Quarter, new DeterministicRandom(seed));
            Assert.Equal(6, keep.Count(k => k));
            Assert.Equal(3, Enumerable.Range(0, 5).Count(i => keep[i]));
            Assert.True(keep[5]);
            Assert.Equal(2, Enumerable.Range(6, 3).Count(i => keep[i]));
            Assert.False(keep[9] || keep[10] || keep[11]);
        }
    }

    [Fact]
    public void Select_IsSeeded_SameSeedSameSet_OtherSeedsDiffer()
    {
        string Run(long seed) => string.Concat(StratifiedSampler.Select(Distances, 6, Quarter, new DeterministicRandom(seed)).Select(k => k ? '1' : '0'));
        Assert.Equal(Run(7), Run(7));
        Assert.True(Enumerable.Range(0, 10).Select(s => Run(s)).Distinct().Count() > 1);
    }

    [Fact]
    public void Plan_EvenSpread_TwentyRecordsFourBins()
    {
        // 0..19, β = 0.1 drops 19 and 18; 0..17 over width 4.25: bins 0-4 (5), 5-8 (4), 9-12 (4), 13-17 (5).
        // Budget 8: bin 1 takes 2 (8/4), bin 2 takes 2 (6/3), bin 0 takes 2 (4/2), bin 3 takes 2.
        var d = Enumerable.Range(0, 20).Select(i => (double)i).ToArray();
        var plan = StratifiedSampler.Plan(d, 8, new StratifiedOptions { HardCutoff = 0.1, Bins = 4 });
        Assert.Equal(2, plan.Cutoff);
        Assert.Equal(new[] { 5, 4, 4, 5 }, plan.BinSizes);
        Assert.Equal(new[] { 2, 2, 2, 2 }, plan.Takes);
        // Budget 17: bin 1 takes min(4, 4) = 4, bin 2 min(4, 13/3 = 4) = 4, bin 0 min(5, 9/2 = 4) = 4, bin 3 takes 5.
        Assert.Equal(new[] { 4, 4, 4, 5 }, StratifiedSampler.Plan(d, 17, new StratifiedOptions { HardCutoff = 0.1, Bins = 4 }).Takes);
    }

    [Fact]
    public void Plan_LowersTheCutoff_WhenTheBudgetNeedsTheHardRecords()
    {
        // β = 0.5 of 10 would drop 5, but keeping 8 leaves room to drop only 2: the two hardest, records 8 and 9.
        var d = new[] { 0.0, 1, 2, 3, 4, 5, 6, 7, 9, 9 };
        var plan = StratifiedSampler.Plan(d, 8, new StratifiedOptions { HardCutoff = 0.5, Bins = 3 });
        Assert.Equal(2, plan.Cutoff);
        Assert.Equal(-1, plan.BinOf[8]);
        Assert.Equal(-1, plan.BinOf[9]);
        Assert.Equal(8, plan.Takes.Sum());
        // A tie at the cutoff goes to input order: of three equal hardest, the first two are dropped.
        var tied = StratifiedSampler.Plan(new[] { 5.0, 1, 5, 2, 5 }, 3, new StratifiedOptions { HardCutoff = 0.4, Bins = 2 });
        Assert.Equal(new[] { -1, 0, -1, 0, 1 }, tied.BinOf);
    }

    [Fact]
    public void Plan_EqualDistances_AllInTheFirstBin()
    {
        var plan = StratifiedSampler.Plan(new[] { 2.0, 2, 2, 2 }, 2, new StratifiedOptions { HardCutoff = 0, Bins = 5 });
        Assert.Equal(new[] { 4, 0, 0, 0, 0 }, plan.BinSizes);
        Assert.Equal(new[] { 2, 0, 0, 0, 0 }, plan.Takes);
    }

    [Fact]
    public void Plan_AnyBudget_TakesExactlyTheBudget_NeverMoreThanABin()
    {
        var rng = new Random(8);
        for (int t = 0; t < 500; t++)
        {
            int n = rng.Next(1, 80);
            var d = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 10, rng.Next(0, 3))).ToArray();
            var options = new StratifiedOptions { HardCutoff = rng.NextDouble() * 0.9, Bins = rng.Next(1, 12) };
            int budget = rng.Next(0, n + 1);
            var plan = StratifiedSampler.Plan(d, budget, options);
            Assert.Equal(budget, plan.Takes.Sum());
            for (int b = 0; b < options.Bins; b++) Assert.InRange(plan.Takes[b], 0, plan.BinSizes[b]);
            var keep = StratifiedSampler.Select(plan, new DeterministicRandom(t));
            Assert.Equal(budget, keep.Count(k => k));
            for (int i = 0; i < n; i++) if (plan.BinOf[i] < 0) Assert.False(keep[i]);
        }
    }

    [Fact]
    public void Options_AreValidated()
    {
        Assert.Equal("InvalidBins", Assert.Throws<SelectionInputException>(() => StratifiedSampler.Plan(Distances, 3, new StratifiedOptions { Bins = 0 })).ErrorId);
        Assert.Equal("InvalidHardCutoff", Assert.Throws<SelectionInputException>(() => StratifiedSampler.Plan(Distances, 3, new StratifiedOptions { HardCutoff = 1 })).ErrorId);
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSampler.Plan(Distances, 13, Quarter));
        Assert.Throws<ArgumentException>(() => StratifiedSampler.Plan(new[] { 1.0, double.NaN }, 1, Quarter));
    }

    [Fact]
    public void QuotaSelector_Stratified_RunsInsideEachGroup_WithItsQuota()
    {
        // Group 0 is the hand case above (quota 6); group 1 holds four records, quota 1: ⌊0.25·4⌋ = 1 is cut (the 100).
        var distances = Distances.Concat(new[] { 0.5, 0.6, 0.7, 100.0 }).ToArray();
        var groupOf = Enumerable.Repeat(0, 12).Concat(Enumerable.Repeat(1, 4)).ToArray();
        var keep = QuotaSelector.Select(distances, groupOf, new[] { 6, 1 }, KeepStrategy.Stratified, 3, Quarter);
        Assert.Equal(6, keep.Take(12).Count(k => k));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(i => keep[i]));
        Assert.True(keep[5]);
        Assert.Equal(1, keep.Skip(12).Count(k => k));
        Assert.False(keep[15]); // the hardest of group 1 is cut
        Assert.Equal(keep, QuotaSelector.Select(distances, groupOf, new[] { 6, 1 }, KeepStrategy.Stratified, 3, Quarter));
    }

    [Fact]
    public void PolicyRunner_Stratified_OutcomeCarriesThePlanItDrewFrom_WithGroupsInterleaved()
    {
        // The hand case as label "a", interleaved record by record with four records of label "b":
        // each group's plan is over its own members in input order, and every bin keeps its Takes.
        var b = new[] { 0.5, 0.6, 0.7, 100.0 };
        var distances = new List<double>();
        var labels = new List<string>();
        for (int i = 0; i < Distances.Length; i++)
        {
            distances.Add(Distances[i]); labels.Add("a");
            if (i < b.Length) { distances.Add(b[i]); labels.Add("b"); }
        }
        var policy = new SelectionPolicy { Keep = KeepStrategy.Stratified, KeepFraction = 7.0 / 16, BalanceBy = BalanceBy.Label, Stratified = Quarter, Seed = 5 };
        var outcome = PolicyRunner.Run(policy, new SelectionInput(distances.Count) { Distances = distances.ToArray(), Labels = labels.ToArray() });
        Assert.NotNull(outcome.StratifiedPlans);
        for (int g = 0; g < 2; g++)
        {
            var members = Enumerable.Range(0, distances.Count).Where(i => outcome.GroupOf[i] == g).ToArray();
            var expected = StratifiedSampler.Plan(members.Select(i => distances[i]).ToArray(), outcome.Quotas[g], Quarter);
            var plan = outcome.StratifiedPlans![g];
            Assert.Equal(expected.BinOf, plan.BinOf);
            Assert.Equal(expected.Takes, plan.Takes);
            for (int bin = 0; bin < plan.Takes.Length; bin++)
                Assert.Equal(plan.Takes[bin], members.Where((i, local) => plan.BinOf[local] == bin && outcome.Keep[i]).Count());
            Assert.DoesNotContain(members.Where((i, local) => plan.BinOf[local] < 0), i => outcome.Keep[i]);
        }
        // 7 of 16 by label: "a" keeps 5 of its 12 (largest remainder of 5.25 and 1.75), "b" 2 of 4.
        Assert.Equal(new[] { 5, 2 }, outcome.Quotas);
        Assert.Equal(new[] { 2, 1, 0, 2 }, outcome.StratifiedPlans![0].Takes); // the hand case's bins with a budget of 5
    }
}

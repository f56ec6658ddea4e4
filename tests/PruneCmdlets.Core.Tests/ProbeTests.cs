using PruneCmdlets.Probing;
using PruneCmdlets.Selection;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class ProbeTests
{
    /// <summary>Blobs with each row's Euclidean distance to its own class mean, as Measure-Prototypicality -Prototype Label scores them.</summary>
    private static ProbeData Scored(float[] x, string[] labels, int d)
    {
        int n = labels.Length;
        var distances = new double[n];
        foreach (var g in Enumerable.Range(0, n).GroupBy(i => labels[i]))
        {
            var mean = new double[d];
            foreach (int i in g) for (int j = 0; j < d; j++) mean[j] += x[i * d + j] / (double)g.Count();
            foreach (int i in g) distances[i] = Math.Sqrt(Enumerable.Range(0, d).Sum(j => Math.Pow(x[i * d + j] - mean[j], 2)));
        }
        return new ProbeData(x, n, d, labels, distances);
    }

    private static float[][] Centres(int k, int d, float r)
    {
        var c = new float[k][];
        for (int i = 0; i < k; i++) { c[i] = new float[d]; c[i][i] = r; }
        return c;
    }

    [Fact]
    public void SeparableData_EveryCandidateBeatsChance_AndTheTableIsComplete()
    {
        var centres = Centres(4, 8, 6f);
        var (x, labels) = LogisticRegressionTests.Blobs(100, centres, 1.0, seed: 21);
        var (tx, tlabels) = LogisticRegressionTests.Blobs(50, centres, 1.0, seed: 22);
        var report = PruningProbe.Run(Scored(x, labels, 8), new ProbeData(tx, tlabels.Length, 8, tlabels));

        Assert.Equal(5 * 3 * 2, report.Results.Count);
        Assert.True(report.FullDataAccuracy >= 0.97, $"full-data accuracy {report.FullDataAccuracy}");
        foreach (var r in report.Results)
        {
            Assert.True(r.TestAccuracy > 0.5, $"{r}: chance is 0.25"); // all 4 classes survive every candidate here
            Assert.Equal(QuotaSelector.CountForFraction(r.KeepFraction, 400), r.KeptCount);
            Assert.Equal(r.Keep == KeepStrategy.Random ? 3 : 1, r.Trials);
        }
        // Largest fraction first; at 1.0 every candidate keeps everything and is the baseline.
        Assert.Equal(new[] { 1.0, 0.8, 0.6, 0.4, 0.2 }, report.Results.Select(r => r.KeepFraction).Distinct());
        Assert.All(report.Results.Where(r => r.KeepFraction == 1.0), r => Assert.Equal(0.0, r.AccuracyChange));
        // Balanced candidates keep the same fraction of every class.
        Assert.All(report.Results.Where(r => r.BalanceBy == BalanceBy.Label),
            r => Assert.All(r.ClassKeptFraction.Values, f => Assert.Equal(r.KeepFraction, f, 9)));
        Assert.Single(report.Results, r => r.Recommended);
        Assert.True(report.Recommendation.Accuracy >= report.FullDataAccuracy - 0.005 - 1e-9);
    }

    /// <summary>
    /// The Select-PrunedSet hand example: class A at 0..4 (mean 2, distances 2,1,0,1,2), class B
    /// at 10,11,13,16,20 (mean 14, distances 4,3,1,2,6). Keep Hard 0.3 keeps b10, b11, b20: no A
    /// at all. Balanced, 0.4 keeps the two hardest of each class.
    /// </summary>
    [Fact]
    public void KeptSets_AreWhatSelectPrunedSetKeeps()
    {
        var x = new float[] { 0, 1, 2, 3, 4, 10, 11, 13, 16, 20 };
        var labels = new[] { "A", "A", "A", "A", "A", "B", "B", "B", "B", "B" };
        var train = Scored(x, labels, 1);
        Assert.Equal(new[] { 2.0, 1, 0, 1, 2, 4, 3, 1, 2, 6 }, train.Distances!);
        var report = PruningProbe.Run(train, new ProbeData(x, 10, 1, labels), new ProbeOptions
        {
            KeepFractions = new[] { 0.3, 0.4 },
            Strategies = new[] { KeepStrategy.Hard },
        });
        var hard03 = report.Results.Single(r => r.KeepFraction == 0.3 && r.BalanceBy == BalanceBy.None);
        Assert.Equal(3, hard03.KeptCount);
        Assert.Equal(0.0, hard03.ClassKeptFraction["A"]);
        Assert.Equal(0.6, hard03.ClassKeptFraction["B"], 12);
        Assert.Equal(1, hard03.ClassesDropped);
        Assert.Equal(0.5, hard03.TestAccuracy); // only B can be predicted: the five B test rows
        var balanced = report.Results.Single(r => r.KeepFraction == 0.4 && r.BalanceBy == BalanceBy.Label);
        Assert.Equal(0.4, balanced.ClassKeptFraction["A"], 12);
        Assert.Equal(0.4, balanced.ClassKeptFraction["B"], 12);
        Assert.Equal(0, balanced.ClassesDropped);
    }

    private static ProbeResult Row(double f, KeepStrategy s, BalanceBy b, double acc)
        => new() { KeepFraction = f, Keep = s, BalanceBy = b, TestAccuracy = acc, KeptCount = (int)Math.Round(f * 1000), TotalCount = 1000, Trials = 1 };

    [Fact]
    public void Recommend_TakesTheSmallestFractionBeforeTheFirstMiss_AndTheBestDirectionThere()
    {
        var rows = new List<ProbeResult>
        {
            Row(1.0, KeepStrategy.Hard, BalanceBy.None, 0.900),
            Row(1.0, KeepStrategy.Random, BalanceBy.None, 0.900),
            Row(0.8, KeepStrategy.Hard, BalanceBy.None, 0.899),
            Row(0.8, KeepStrategy.Random, BalanceBy.None, 0.850),
            Row(0.6, KeepStrategy.Hard, BalanceBy.None, 0.880),
            Row(0.6, KeepStrategy.Random, BalanceBy.Label, 0.897), // best at 0.6 and within 0.005
            Row(0.4, KeepStrategy.Hard, BalanceBy.None, 0.800),    // the first miss
            Row(0.4, KeepStrategy.Easy, BalanceBy.None, 0.810),
            Row(0.2, KeepStrategy.Hard, BalanceBy.None, 0.899),    // lucky, after a miss: not taken
        };
        var rec = PruningProbe.Recommend(rows, 0.900, 0.005, testCount: 1000, totalCount: 1000);
        Assert.Equal(0.6, rec.KeepFraction);
        Assert.Equal(KeepStrategy.Random, rec.Keep);
        Assert.Equal(BalanceBy.Label, rec.BalanceBy);
        Assert.Equal(0.897, rec.Accuracy);
        Assert.Equal(600, rec.KeptCount);
        Assert.Same(rows[5], rows.Single(r => r.Recommended));
        Assert.Contains("40%", rec.Reason);      // names the fraction that fell outside
        Assert.Contains("0.5 points", rec.Reason);
        Assert.Equal(Math.Sqrt(0.9 * 0.1 / 1000), rec.StandardError, 12);
    }

    [Fact]
    public void Recommend_BoundaryCounts_TiesGoToTheFirstRow()
    {
        var rows = new List<ProbeResult>
        {
            Row(1.0, KeepStrategy.Hard, BalanceBy.None, 0.90),
            Row(0.5, KeepStrategy.Easy, BalanceBy.None, 0.85),
            Row(0.5, KeepStrategy.Hard, BalanceBy.Label, 0.85),
        };
        var rec = PruningProbe.Recommend(rows, 0.90, 0.05, 1000, 1000); // 0.85 = 0.90 − 0.05 exactly: within
        Assert.Equal(0.5, rec.KeepFraction);
        Assert.Equal(KeepStrategy.Easy, rec.Keep);
        Assert.Equal(BalanceBy.None, rec.BalanceBy);
    }

    [Fact]
    public void Recommend_KeepsEverything_WhenNoPrunedSetIsCloseEnough()
    {
        var rows = new List<ProbeResult>
        {
            Row(1.0, KeepStrategy.Hard, BalanceBy.None, 0.90),
            Row(0.8, KeepStrategy.Hard, BalanceBy.None, 0.89),
            Row(0.6, KeepStrategy.Hard, BalanceBy.None, 0.90),
        };
        var rec = PruningProbe.Recommend(rows, 0.90, 0.005, 1000, 1000);
        Assert.Equal(1.0, rec.KeepFraction);
        Assert.Equal(1000, rec.KeptCount);
        Assert.StartsWith("Keep all the data", rec.Reason);
        Assert.True(rows[0].Recommended);
        Assert.False(rows[2].Recommended);
    }

    [Fact]
    public void UnseenTestLabel_Throws_NamingTheLabel()
    {
        var (x, labels) = LogisticRegressionTests.Blobs(10, Centres(2, 2, 5f), 0.5, seed: 1);
        var testLabels = new[] { "c0", "zebra", "c1", "zebra" };
        var ex = Assert.Throws<UnseenLabelException>(() =>
            PruningProbe.Run(Scored(x, labels, 2), new ProbeData(new float[8], 4, 2, testLabels)));
        Assert.Equal(new[] { "zebra" }, ex.Labels);
        Assert.Contains("'zebra'", ex.Message);
        Assert.Contains("2 record(s)", ex.Message);
    }

    [Fact]
    public void Probe_IsIdentical_ForAnyThreadCount_AndRandomTrialsUseSeedPlusT()
    {
        var centres = Centres(3, 6, 2f);
        var (x, labels) = LogisticRegressionTests.Blobs(90, centres, 1.2, seed: 31);
        var (tx, tlabels) = LogisticRegressionTests.Blobs(40, centres, 1.2, seed: 32);
        ProbeReport Run(int threads, int trials) => PruningProbe.Run(Scored(x, labels, 6), new ProbeData(tx, tlabels.Length, 6, tlabels),
            new ProbeOptions { KeepFractions = new[] { 0.5 }, Seed = 7, RandomTrials = trials, Model = new LogisticRegressionOptions { MaxThreads = threads } });
        var a = Run(1, 3);
        var b = Run(4, 3);
        Assert.Equal(a.Results.Select(r => r.TestAccuracy), b.Results.Select(r => r.TestAccuracy));
        Assert.Equal(a.Results.Select(r => r.AccuracyStdDev), b.Results.Select(r => r.AccuracyStdDev));

        // One trial with seed 7 is the first of the three: the mean of three differs from it
        // unless all three draws happen to score alike, which the std dev tells.
        var single = Run(2, 1).Results.Single(r => r.Keep == KeepStrategy.Random && r.BalanceBy == BalanceBy.None);
        var triple = a.Results.Single(r => r.Keep == KeepStrategy.Random && r.BalanceBy == BalanceBy.None);
        Assert.Equal(1, single.Trials);
        Assert.Equal(0.0, single.AccuracyStdDev);
        if (triple.AccuracyStdDev > 0) Assert.NotEqual(single.TestAccuracy, triple.TestAccuracy);
    }

    [Fact]
    public void EveryStrategyButHardAndEasy_IsAveragedOverSeeds_AndDensityNeedsItsModel()
    {
        var centres = Centres(2, 3, 3f);
        var (x, labels) = LogisticRegressionTests.Blobs(30, centres, 1.0, seed: 41);
        var train = Scored(x, labels, 3);
        Assert.Throws<NotSupportedException>(() => PruningProbe.Run(train, train, new ProbeOptions { Strategies = new[] { KeepStrategy.Auto } }));
        foreach (var s in Enum.GetValues<KeepStrategy>().Where(s => s != KeepStrategy.Auto))
        {
            var report = PruningProbe.Run(train, train, new ProbeOptions { Strategies = new[] { s }, KeepFractions = new[] { 0.5 }, RandomTrials = 2 });
            int trials = s is KeepStrategy.Hard or KeepStrategy.Easy ? 1 : 2;
            Assert.All(report.Results, r => Assert.Equal(trials, r.Trials));
            Assert.All(report.Results, r => Assert.Equal(30, r.KeptCount));
        }
        // Density measures clusters against their centroids: without clusters and the model it cannot run.
        var ex = Assert.Throws<ArgumentException>(() => PruningProbe.Run(train, train, new ProbeOptions { Balances = new[] { BalanceBy.Density } }));
        Assert.Contains("Density", ex.Message);
    }

    [Fact]
    public void HardAndEasy_NeedDistances()
    {
        var (x, labels) = LogisticRegressionTests.Blobs(10, Centres(2, 2, 5f), 0.5, seed: 1);
        var train = new ProbeData(x, labels.Length, 2, labels);
        Assert.Throws<ArgumentException>(() => PruningProbe.Run(train, train));
        var report = PruningProbe.Run(train, train, new ProbeOptions { Strategies = new[] { KeepStrategy.Random } });
        Assert.Equal(5 * 2, report.Results.Count);
    }
}

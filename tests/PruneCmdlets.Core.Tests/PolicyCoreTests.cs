using PruneCmdlets.Probing;
using PruneCmdlets.Selection;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// The policy rules that used to live in Select-PrunedSet and the shard steps: -Keep Auto, the
/// candidates and their checks, and the core's errors, which name the record by its Id.
/// </summary>
public class PolicyCoreTests
{
    private static EmbeddingRecord Scored(string id, string? label, double? distance, int? cluster = null)
    {
        var r = new EmbeddingRecord(id, null, label, new float[] { 1, 0 }, null);
        return distance is null && cluster is null ? r : r.WithAnnotations(cluster, null, distance, null, "Cluster");
    }

    private static List<EmbeddingRecord> Labelled(int perClass, int classes)
        => Enumerable.Range(0, perClass * classes).Select(i => Scored($"r{i}", $"c{i % classes}", i)).ToList();

    private static readonly SelectionPolicy Auto = new() { Keep = KeepStrategy.Auto, KeepFraction = 0.5 };

    [Fact]
    public void Auto_KeepsTheHardRecordsWhenEveryClassKeepsAThousand_AndBalancesByLabel()
    {
        // 2 classes × 2000, keep half: 1000 per class, the paper's threshold of abundance.
        var choice = AutoRule.Resolve(Auto, Labelled(2000, 2), null);
        Assert.Equal(KeepStrategy.Hard, choice.Policy.Keep);
        Assert.Equal(BalanceBy.Label, choice.Policy.BalanceBy);
        Assert.Equal(0.5, choice.Policy.KeepFraction);
        Assert.Null(choice.Warning);
        Assert.Contains("2000 kept records over 2 classes is 1000 per group, abundant", choice.Explanation);
    }

    [Fact]
    public void Auto_KeepsTheEasyRecordsBelowAThousandPerClass()
    {
        // 2 classes × 1999, keep half: 1999 kept, 999.5 per class: scarce.
        var choice = AutoRule.Resolve(Auto, Labelled(1999, 2), null);
        Assert.Equal(KeepStrategy.Easy, choice.Policy.Keep);
        Assert.Null(choice.Warning);
    }

    [Fact]
    public void Auto_WarnsBelowAFifthAndCountsClustersWhenARecordHasNoLabel()
    {
        var records = Enumerable.Range(0, 100).Select(i => Scored($"r{i}", i == 0 ? null : "a", i, cluster: i % 4)).ToList();
        var choice = AutoRule.Resolve(Auto with { KeepFraction = 0.19 }, records, null);
        Assert.Equal(KeepStrategy.Easy, choice.Policy.Keep);
        Assert.Equal(BalanceBy.None, choice.Policy.BalanceBy);   // not every record has a label
        Assert.Contains("19 kept records over 4 clusters", choice.Explanation);
        Assert.StartsWith("Keeping 19 of 100 records", choice.Warning);
        // At a fifth exactly there is no warning.
        Assert.Null(AutoRule.Resolve(Auto with { KeepFraction = 0.2 }, records, null).Warning);
    }

    [Fact]
    public void Auto_LeavesABalanceTheCallerChose()
    {
        var choice = AutoRule.Resolve(Auto with { KeepFraction = null, KeepCount = 3000 }, Labelled(2000, 2), null, balanceGiven: true);
        Assert.Equal(BalanceBy.None, choice.Policy.BalanceBy);
        Assert.Equal(KeepStrategy.Hard, choice.Policy.Keep);   // 3000 over 2 classes
        Assert.Equal(3000, choice.Policy.KeepCount);
    }

    [Fact]
    public void Auto_FollowsTheRecommendation_ButAnExclusionGivenByHandWins()
    {
        var rec = new PruningRecommendation { Keep = KeepStrategy.Random, BalanceBy = BalanceBy.Label, KeepFraction = 0.7, Exclude = new[] { "Outlier" }, Seed = 9, Reason = "measured" };
        var policy = new SelectionPolicy { Keep = KeepStrategy.Auto, Seed = 1 };
        var followed = AutoRule.Resolve(policy, Labelled(10, 2), rec);
        Assert.Equal(KeepStrategy.Random, followed.Policy.Keep);
        Assert.Equal(BalanceBy.Label, followed.Policy.BalanceBy);
        Assert.Equal(0.7, followed.Policy.KeepFraction);
        Assert.Equal(new[] { "Outlier" }, followed.Policy.Exclude);
        Assert.Equal(9, followed.Policy.Seed);
        Assert.EndsWith("excluding Outlier); measured", followed.Explanation);
        var byHand = AutoRule.Resolve(policy with { Exclude = new[] { "Duplicate" } }, Labelled(10, 2), rec, excludeGiven: true);
        Assert.Equal(new[] { "Duplicate" }, byHand.Policy.Exclude);
    }

    [Fact]
    public void Candidates_LeaveOutRecordsAnEarlierStagePruned_AndCountTheRest()
    {
        var records = Labelled(3, 2);
        records[1] = records[1].WithDecision(false, "pruned: earlier");
        var c = SelectionCandidates.Of(records, Array.Empty<string>());
        Assert.Equal(new[] { "r0", "r2", "r3", "r4", "r5" }, c.Records.Select(r => r.Id));
        var input = c.Input(new SelectionPolicy { KeepFraction = 0.5 }, null);
        Assert.Equal(5, input.Count);
        Assert.Equal(new double[] { 0, 2, 3, 4, 5 }, input.Distances);
        Assert.Null(input.Clusters);
    }

    [Fact]
    public void Candidates_RefuseAnExclusionOverUncheckedRecords_NamingTheRecord()
    {
        var e = Assert.Throws<SelectionInputException>(() => SelectionCandidates.Of(Labelled(2, 1), new[] { "Outlier" }));
        Assert.Equal("MissingIssues", e.ErrorId);
        Assert.Equal("r0", e.TargetId);
    }

    [Theory]
    [InlineData(false, "pipe the records through Measure-Prototypicality first, or use -Keep Random.")]
    [InlineData(true, "pipe the records through Measure-Prototypicality -Model first, or use -Keep Random.")]
    public void Candidates_NameTheFirstRecordWithoutADistance(bool sharded, string advice)
    {
        var records = new List<EmbeddingRecord> { Scored("a", "x", 1), Scored("b", "x", null), Scored("c", "x", null) };
        var c = SelectionCandidates.Of(records, Array.Empty<string>());
        var e = Assert.Throws<SelectionInputException>(() => c.CheckFields(new SelectionPolicy { KeepFraction = 0.5 }, sharded));
        Assert.Equal("MissingDistance", e.ErrorId);
        Assert.Equal("b", e.TargetId);
        Assert.Equal("Record 'b' has no Distance: " + advice, e.Message);
        c.CheckFields(new SelectionPolicy { KeepFraction = 0.5, Keep = KeepStrategy.Random }, sharded);   // Random needs none
    }

    [Fact]
    public void ShardCandidates_RefuseARepeatedId()
    {
        var records = new List<EmbeddingRecord> { Scored("a", "x", 1), Scored("b", "x", 2), Scored("a", "x", 3) };
        var e = Assert.Throws<SelectionInputException>(() => SelectionCandidates.Of(records, Array.Empty<string>()).CheckShard(new SelectionPolicy { KeepFraction = 0.5 }));
        Assert.Equal("DuplicateId", e.ErrorId);
        Assert.Equal("a", e.TargetId);
    }

    [Fact]
    public void Selection_NamesTheRecordWithAnInvalidDistanceByItsId()
    {
        var input = new SelectionInput(3) { Ids = new[] { "x", "y", "z" }, Distances = new[] { 1, double.NaN, 3 } };
        var e = Assert.Throws<SelectionInputException>(() => PolicyRunner.Run(new SelectionPolicy { KeepFraction = 0.5 }, input));
        Assert.Equal("InvalidDistance", e.ErrorId);
        Assert.Equal(1, e.Record);
        Assert.Equal("y", e.TargetId);
        Assert.Equal(SelectionErrorKind.InvalidData, e.Kind);
        Assert.StartsWith("Record 'y' has a Distance of NaN;", e.Message);
        // Without Ids the record is named by its index.
        var anonymous = new SelectionInput(3) { Distances = new[] { 1, double.NaN, 3 } };
        Assert.StartsWith("Record 1 has", Assert.Throws<SelectionInputException>(() => PolicyRunner.Run(new SelectionPolicy { KeepFraction = 0.5 }, anonymous)).Message);
    }

    [Theory]
    [InlineData(1.5, 0.5, 0.1, "InvalidKeepFraction", "-KeepFraction must be greater than 0 and at most 1; got 1.5. Use -KeepCount for an absolute number.")]
    [InlineData(0.5, 0.0, 0.1, "InvalidTemperature", "-Temperature must be a positive number; got 0. Smaller values favour complex clusters more strongly.")]
    [InlineData(0.5, double.PositiveInfinity, 0.1, "InvalidTemperature", "-Temperature must be a positive number; got ")]   // ∞ or Infinity, by culture
    [InlineData(0.5, 0.5, 1.0, "InvalidHardCutoff", "-HardCutoff is the fraction of the hardest records dropped before sampling: at least 0 and less than 1; got 1.")]
    public void Ranges_AreCheckedOnce_WithTheErrorIdsTheCmdletsReport(double fraction, double temperature, double cutoff, string errorId, string message)
    {
        var policy = new SelectionPolicy { Keep = KeepStrategy.Auto, KeepFraction = fraction, Temperature = temperature, Stratified = new StratifiedOptions { HardCutoff = cutoff } };
        var e = Assert.Throws<SelectionInputException>(policy.CheckRanges);   // before -Keep Auto is resolved
        Assert.Equal(errorId, e.ErrorId);
        Assert.StartsWith(message, e.Message);
        // A concrete policy is refused the same way by Validate, which every selection calls.
        Assert.Equal(errorId, Assert.Throws<SelectionInputException>((policy with { Keep = KeepStrategy.Hard }).Validate).ErrorId);
    }
}

/// <summary>The data-issue checks name a record by its Id too, so Find-DataIssue reports the message as it is.</summary>
public class DataIssueErrorTests
{
    [Fact]
    public void AZeroVectorIsNamedByItsId()
    {
        var input = new PruneCmdlets.Issues.DataIssueInput
        {
            Vectors = new ReadOnlyMemory<float>[] { new float[] { 1, 0 }, new float[] { 0, 0 } },
            Ids = new[] { "first", "empty" },
        };
        var e = Assert.Throws<PruneCmdlets.Issues.DataIssueException>(() => PruneCmdlets.Issues.DataIssueFinder.Run(input, new PruneCmdlets.Issues.DataIssueOptions()));
        Assert.Equal("ZeroVector", e.ErrorId);
        Assert.Equal(1, e.Record);
        Assert.StartsWith("Record 'empty' is all zeros", e.Message);
    }
}

using PruneCmdlets.Clustering;
using PruneCmdlets.Selection;
using PruneCmdlets.Sharding;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class ShardedSelectionTests
{
    [Fact]
    public void StableHash_MatchesPublishedFnv1a64AndIsFixed()
    {
        // FNV-1a 64 reference values (Fowler/Noll/Vo test vectors).
        Assert.Equal(0xcbf29ce484222325UL, StableHash.Fnv1a64(""));
        Assert.Equal(0xaf63dc4c8601ec8cUL, StableHash.Fnv1a64("a"));
        Assert.Equal(0x85944171f73967e8UL, StableHash.Fnv1a64("foobar"));
        // UTF-8, not UTF-16: "é" is the two bytes C3 A9.
        ulong h = 0xcbf29ce484222325UL;
        foreach (byte b in new byte[] { 0xC3, 0xA9 }) h = unchecked((h ^ b) * 1099511628211UL);
        Assert.Equal(h, StableHash.Fnv1a64("é"));
    }

    [Fact]
    public void ShardOf_IsUniformAndCoversEveryShard()
    {
        const int count = 16, n = 32000;
        var sizes = new int[count];
        for (int i = 0; i < n; i++) sizes[StableHash.ShardOf("img" + i, count)]++;
        Assert.All(sizes, s => Assert.InRange(s, n / count * 0.9, n / count * 1.1));
        Assert.Equal(StableHash.ShardOf("img7", count), StableHash.ShardOf("img7", count));
        // Sample and shard are independent: the 10 % sample is about 10 % of every shard.
        var sampled = new int[count];
        for (int i = 0; i < n; i++) if (StableHash.SampleUnit("img" + i) < 0.1) sampled[StableHash.ShardOf("img" + i, count)]++;
        for (int s = 0; s < count; s++) Assert.InRange(sampled[s] / (double)sizes[s], 0.07, 0.13);
    }

    [Fact]
    public void OrderedBits_SortLikeTheDoubles()
    {
        double[] v = { -3.5, -0.0, 0.0, 1e-300, 0.25, 0.5, 1, 2, 1e300 };
        for (int i = 0; i + 1 < v.Length; i++)
        {
            Assert.True(SelectionOrder.Ordered(v[i]) <= SelectionOrder.Ordered(v[i + 1]));
            Assert.Equal(v[i] + 0.0, SelectionOrder.FromOrdered(SelectionOrder.Ordered(v[i])));
        }
        Assert.Equal(SelectionOrder.Ordered(-0.0), SelectionOrder.Ordered(0.0));
    }

    [Fact]
    public void HardTies_AreKeptInIdOrder_WhateverTheInputOrder()
    {
        var policy = new SelectionPolicy { Keep = KeepStrategy.Hard, KeepCount = 2 };
        string[] ids = { "c", "a", "d", "b" };
        double[] d = { 1, 1, 1, 0 };
        var a = PolicyRunner.Run(policy, new SelectionInput(4) { Distances = d, Ids = ids });
        Assert.Equal(new[] { false, true, false, false }.Select((_, i) => i == 0 || i == 1), a.Keep); // "a" and "c" of the three tied
        Assert.Contains(DecisionReasons.TieRule, a.Reasons![2]);
        var reversed = PolicyRunner.Run(policy, new SelectionInput(4) { Distances = d.Reverse().ToArray(), Ids = ids.Reverse().ToArray() });
        Assert.Equal(a.Keep.Reverse(), reversed.Keep);
    }

    [Fact]
    public void Random_DrawsPerId_NotPerPosition()
    {
        var policy = new SelectionPolicy { Keep = KeepStrategy.Random, KeepCount = 30, Seed = 5 };
        var ids = Enumerable.Range(0, 100).Select(i => $"r{i}").ToArray();
        var kept = Kept(PolicyRunner.Run(policy, new SelectionInput(100) { Ids = ids }), ids);
        var shuffled = ids.OrderBy(x => StableHash.Fnv1a64(x)).ToArray();
        Assert.Equal(kept, Kept(PolicyRunner.Run(policy, new SelectionInput(100) { Ids = shuffled }), shuffled));
        // the kept ones are exactly the 30 smallest draws
        Assert.Equal(ids.OrderBy(x => StableHash.RandomKey(5, x)).Take(30).OrderBy(x => x, StringComparer.Ordinal), kept);
        var other = Kept(PolicyRunner.Run(new SelectionPolicy { Keep = KeepStrategy.Random, KeepCount = 30, Seed = 6 }, new SelectionInput(100) { Ids = ids }), ids);
        Assert.NotEqual(kept, other);
    }

    [Fact]
    public void Sample_BoundsRanksExactly()
    {
        var sorted = new ulong[] { 1, 1, 1, 2, 5, 5, 9, 9, 9, 9, 12 };
        var (samples, counts) = ShardedSelection.Sample(sorted);
        Assert.Equal(12UL, samples[^1]);
        Assert.Equal(11, counts[^1]);
        for (int j = 0; j < samples.Length; j++) Assert.Equal(sorted.Count(v => v <= samples[j]), counts[j]);
        Assert.Equal(samples.Distinct().Count(), samples.Length);
    }

    public static IEnumerable<object[]> Policies()
    {
        foreach (var keep in new[] { KeepStrategy.Hard, KeepStrategy.Easy, KeepStrategy.Random })
            foreach (var balance in new[] { BalanceBy.None, BalanceBy.Label, BalanceBy.Cluster, BalanceBy.Density })
            {
                yield return new object[] { keep, balance, 0.37, null!, null! };
                yield return new object[] { keep, balance, null!, 901, null! };
                if (balance != BalanceBy.None) yield return new object[] { keep, balance, 0.05, null!, 9 };
            }
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Sharded_EqualsSingleProcess_InAnyMergeOrder(KeepStrategy keep, BalanceBy balance, double? fraction, int? count, int? min)
    {
        var (input, model) = TiedData(3000, seed: 11);
        var policy = new SelectionPolicy { Keep = keep, BalanceBy = balance, KeepFraction = fraction, KeepCount = count, MinPerGroup = min, Seed = 3 };
        var single = PolicyRunner.Run(policy, input);
        foreach (int shards in new[] { 1, 5, 16 })
            for (int order = 0; order < 3; order++)
            {
                var (keptIds, reasons) = RunSharded(policy, input, model, shards, order);
                Assert.Equal(Kept(single, input.Ids!), keptIds);
                for (int i = 0; i < input.Count; i++) Assert.Equal(single.Reasons![i], reasons[input.Ids![i]]);
            }
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void EmptyShards_NameNoModel_AndTheRunStillEqualsOneProcess(KeepStrategy keep, BalanceBy balance, double? fraction, int? count, int? min)
    {
        // 60 records over 64 shards: most shards hold nothing, and their summaries name no model.
        var (input, model) = TiedData(60, seed: 5);
        var policy = new SelectionPolicy { Keep = keep, BalanceBy = balance, KeepFraction = fraction, KeepCount = count, MinPerGroup = min, Seed = 3 };
        Assert.Contains(Split(input, 64), p => p.Count == 0);
        SelectionOutcome single;
        try { single = PolicyRunner.Run(policy, input); }
        catch (SelectionInputException e)
        {
            // One process refuses it (a floor above the kept total): so does the sharded merge, with the same id.
            var thrown = Assert.ThrowsAny<Exception>(() => RunSharded(policy, input, model, 64, 1));
            Assert.Equal(e.ErrorId, (thrown as SelectionInputException)?.ErrorId ?? (thrown as ShardFileException)?.ErrorId);
            return;
        }
        Assert.Equal(Kept(single, input.Ids!), RunSharded(policy, input, model, 64, 1).Kept);
    }

    [Fact]
    public void EmptyShard_WithAnotherPolicy_IsStillRefused()
    {
        var (input, model) = TiedData(40, seed: 6);
        var policy = new SelectionPolicy { Keep = KeepStrategy.Hard, KeepFraction = 0.5 };
        var parts = Split(input, 3).Append(new SelectionInput(0) { Ids = Array.Empty<string>(), Distances = Array.Empty<double>() }).ToArray();
        var summaries = parts.Take(3).Select((p, s) => ($"s{s}.json", ShardedSelection.Summarize(policy, p, model.Fingerprint, s, 4))).ToList();
        var easy = new SelectionPolicy { Keep = KeepStrategy.Easy, KeepFraction = 0.5 };
        var withEmptyEasy = summaries.Append(("empty.json", ShardedSelection.Summarize(easy, parts[3], null, 3, 4))).ToList();
        var e = Assert.Throws<ShardFileException>(() => ShardedSelection.Plan(withEmptyEasy));
        Assert.Equal("ShardSummaryMismatch", e.ErrorId);
        Assert.Contains("different policy", e.Message); // not a model it never named
        var withEmpty = summaries.Append(("empty.json", ShardedSelection.Summarize(policy, parts[3], null, 3, 4))).ToList();
        Assert.Equal(model.Fingerprint, ShardedSelection.Plan(withEmpty).Model); // the empty shard does not blank the plan's model
    }

    [Fact]
    public void Merge_RefusesMissingDuplicateAndForeignSummaries()
    {
        var (input, model) = TiedData(400, seed: 2);
        var policy = new SelectionPolicy { Keep = KeepStrategy.Hard, KeepFraction = 0.5 };
        var parts = Split(input, 4);
        var summaries = parts.Select((p, s) => ($"s{s}.json", ShardedSelection.Summarize(policy, p, model.Fingerprint, s, 4))).ToList();
        Assert.Equal("ShardSummaryMissing", Assert.Throws<ShardFileException>(() => ShardedSelection.Plan(summaries.Take(3).ToList())).ErrorId);
        var dup = summaries.Append(("copy.json", summaries[1].Item2)).ToList();
        var e = Assert.Throws<ShardFileException>(() => ShardedSelection.Plan(dup));
        Assert.Equal("ShardSummaryDuplicate", e.ErrorId);
        Assert.Contains("s1.json", e.Message);
        var foreign = summaries.Take(3).Append(("other.json", ShardedSelection.Summarize(policy, parts[3], "another-model", 3, 4))).ToList();
        Assert.Equal("ShardSummaryMismatch", Assert.Throws<ShardFileException>(() => ShardedSelection.Plan(foreign)).ErrorId);
        var otherPolicy = summaries.Take(3).Append(("easy.json", ShardedSelection.Summarize(new SelectionPolicy { Keep = KeepStrategy.Easy, KeepFraction = 0.5 }, parts[3], model.Fingerprint, 3, 4))).ToList();
        Assert.Contains("policy", Assert.Throws<ShardFileException>(() => ShardedSelection.Plan(otherPolicy)).Message);
        Assert.Equal("ShardedPolicyNotSupported", Assert.Throws<SelectionInputException>(() =>
            ShardedSelection.Summarize(new SelectionPolicy { Keep = KeepStrategy.Stratified, KeepFraction = 0.5 }, parts[0], null, 0, 4)).ErrorId);
    }

    [Fact]
    public void Cut_RefusesDuplicateIdsAcrossShards()
    {
        var ids = Enumerable.Range(0, 40).Select(i => "x" + (i % 20)).ToArray(); // every Id twice
        var input = new SelectionInput(40) { Ids = ids, Distances = Enumerable.Repeat(1.0, 40).ToArray() };
        var policy = new SelectionPolicy { Keep = KeepStrategy.Easy, KeepCount = 21 };
        var a = Subset(input, Enumerable.Range(0, 20).ToArray());
        var b = Subset(input, Enumerable.Range(20, 20).ToArray());
        var s1 = new List<(string, ShardSummaryDocument)> { ("a", ShardedSelection.Summarize(policy, a, null, 0, 2)), ("b", ShardedSelection.Summarize(policy, b, null, 1, 2)) };
        var plan = ShardedSelection.Plan(s1);
        var s2 = new List<(string, ShardSummaryDocument)> { ("a", ShardedSelection.Summarize(plan, "p", a, null, 0, 2)), ("b", ShardedSelection.Summarize(plan, "p", b, null, 1, 2)) };
        Assert.Equal("DuplicateId", Assert.Throws<ShardFileException>(() => ShardedSelection.Cut(s2)).ErrorId);
    }

    [Fact]
    public void Summaries_AreSmall()
    {
        var (input, model) = TiedData(20000, seed: 4, levels: 100000);
        var policy = new SelectionPolicy { Keep = KeepStrategy.Hard, KeepFraction = 0.3 };
        var parts = Split(input, 4);
        var s1 = parts.Select((p, s) => ($"{s}", ShardedSelection.Summarize(policy, p, model.Fingerprint, s, 4))).ToList();
        var plan = ShardedSelection.Plan(s1);
        var s2 = parts.Select((p, s) => ShardedSelection.Summarize(plan, "p", p, model.Fingerprint, s, 4)).ToList();
        // ~5000 records a shard: round 1 holds ~100 samples, round 2 ~2·5000/100 records in the interval
        Assert.All(s1, s => Assert.InRange(s.Item2.Groups[0].Samples!.Length, 90, 110));
        Assert.All(s2, s => Assert.InRange(s.Groups[0].Keys!.Length, 1, 300));
    }

    /// <summary>A sharded run of Hard by Label written to files: the round-2 summaries, the plan and the cut.</summary>
    private static (string Dir, string[] Round2, string Plan, string Cut) WrittenRun(string? model = "m")
    {
        var (input, _) = TiedData(400, seed: 9);
        var policy = new SelectionPolicy { Keep = KeepStrategy.Hard, KeepFraction = 0.3, BalanceBy = BalanceBy.Label };
        var parts = Split(input, 2);
        string dir = Path.Combine(Path.GetTempPath(), "shard-files-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var plan = ShardedSelection.Plan(parts.Select((p, s) => ($"{s}", ShardedSelection.Summarize(policy, p, model, s, 2))).ToList());
        string planPath = Path.Combine(dir, "plan.json");
        File.WriteAllBytes(planPath, ShardFiles.Serialize(plan));
        plan = ShardFiles.ReadPlan(planPath, ShardPlanDocument.PlanFormat, out string sha);
        var round2 = parts.Select((p, s) =>
        {
            string path = Path.Combine(dir, $"r2-{s}.json");
            File.WriteAllBytes(path, ShardFiles.Serialize(ShardedSelection.Summarize(plan, sha, p, model, s, 2)));
            return path;
        }).ToArray();
        string cutPath = Path.Combine(dir, "cut.json");
        File.WriteAllBytes(cutPath, ShardFiles.Serialize(ShardedSelection.Cut(round2.Select(f => (f, ShardFiles.ReadSummary(f))).ToList())));
        return (dir, round2, planPath, cutPath);
    }

    private static void Edit(string path, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    /// <summary>Sets the checksum a careful forger (or a buggy tool) would: the file is then intact by its checksum, and only the field checks remain.</summary>
    /// <returns>False when the file does not even deserialise (a required field is missing), so no checksum can be made.</returns>
    private static bool Reseal<T>(string path) where T : class, IShardFile
    {
        T doc;
        try { doc = System.Text.Json.JsonSerializer.Deserialize<T>(File.ReadAllText(path))!; }
        catch (System.Text.Json.JsonException) { return false; }
        Edit(path, node => node["Checksum"] = ShardFiles.ContentChecksum(doc));
        return true;
    }

    private static ShardFileException ReadFails(string path, bool cut)
        => Assert.Throws<ShardFileException>(() =>
        {
            if (cut) ShardFiles.ReadPlan(path, ShardPlanDocument.CutFormat, out _);
            else ShardFiles.ReadSummary(path);
        });

    [Fact]
    public void EditedCountOrCutKey_IsCorruptShardFile_NamingTheFile()
    {
        var run = WrittenRun();
        try
        {
            // Intact files read back, and a file's checksum is of its content, not of its spacing.
            var intact = ShardFiles.ReadPlan(run.Cut, ShardPlanDocument.CutFormat, out _);
            Edit(run.Cut, _ => { });   // rewritten compact, same values
            Assert.Equal(intact.Checksum, ShardFiles.ReadPlan(run.Cut, ShardPlanDocument.CutFormat, out _).Checksum);

            var group = ShardFiles.ReadSummary(run.Round2[0]).Groups.FindIndex(g => g.AtOrBelowLow is not null);
            Edit(run.Round2[0], n => n["Groups"]![group]!["AtOrBelowLow"] = (int)n["Groups"]![group]!["AtOrBelowLow"]! + 1);
            var e = ReadFails(run.Round2[0], cut: false);
            Assert.Equal("CorruptShardFile", e.ErrorId);
            Assert.Equal(run.Round2[0], e.Path);
            Assert.Contains(run.Round2[0], e.Message);
            Assert.Contains("edited", e.Message);

            int cutGroup = intact.Groups.FindIndex(g => g.CutKey is not null);
            Edit(run.Cut, n => n["Groups"]![cutGroup]!["CutKey"] = (ulong)n["Groups"]![cutGroup]!["CutKey"]! - 1);
            e = ReadFails(run.Cut, cut: true);
            Assert.Equal("CorruptShardFile", e.ErrorId);
            Assert.Contains(run.Cut, e.Message);

            Edit(run.Plan, n => n["Groups"]![0]!["Quota"] = (int)n["Groups"]![0]!["Quota"]! + 1);
            Assert.Equal("CorruptShardFile", Assert.Throws<ShardFileException>(() => ShardFiles.ReadPlan(run.Plan, ShardPlanDocument.PlanFormat, out _)).ErrorId);

            // A file of the version before checksums is refused with what to do, not read unchecked.
            Edit(run.Round2[1], n => { n.Remove("Checksum"); n["Version"] = 1; });
            Assert.Contains("older PruneCmdlets", ReadFails(run.Round2[1], cut: false).Message);
        }
        finally { Directory.Delete(run.Dir, true); }
    }

    public static IEnumerable<object[]> NullFields() => new[]
    {
        new object[] { "summary", "Policy", null! },
        new object[] { "summary", "Groups", null! },
        new object[] { "summary", "Groups/0", null! },
        new object[] { "summary", "Groups/0/Key", null! },
        new object[] { "summary", "Fingerprint", "(remove)" },
        new object[] { "summary", "Plan", null! },
        new object[] { "summary", "Plan/Groups", "(remove)" },
        new object[] { "summary", "Plan/Groups/0/Name", null! },
        new object[] { "summary", "Policy/KeepFraction", null! },
        new object[] { "cut", "Policy", "(remove)" },
        new object[] { "cut", "Groups", null! },
        new object[] { "cut", "Groups/0", null! },
        new object[] { "cut", "Groups/0/Key", null! },
        new object[] { "cut", "Groups/cut/CutId", null! },
        new object[] { "cut", "Groups/cut/CutKey", "(remove)" },
        new object[] { "cut", "PlanSha256", null! },
        new object[] { "cut", "Policy/Keep", 99 },
    };

    [Theory]
    [MemberData(nameof(NullFields))]
    public void NullOrMissingFields_AreCorruptShardFile_NamingTheFile(string file, string field, object? value)
    {
        var run = WrittenRun();
        try
        {
            bool cut = file == "cut";
            string path = cut ? run.Cut : run.Round2.First(p => ShardFiles.ReadSummary(p).Groups.Any(g => g.Ids is { Length: > 0 }));
            void Mutate(System.Text.Json.Nodes.JsonObject root)
            {
                var parts = field.Split('/');
                System.Text.Json.Nodes.JsonNode node = root;
                foreach (var part in parts[..^1])
                    node = part == "cut" ? node.AsArray().First(g => g?["CutKey"] is not null)! : int.TryParse(part, out int i) ? node[i]! : node[part]!;
                string last = parts[^1];
                if (int.TryParse(last, out int at)) node.AsArray()[at] = null;
                else if (value is "(remove)") node.AsObject().Remove(last);
                else node[last] = value is null ? null : System.Text.Json.Nodes.JsonValue.Create(value);
            }
            // Edited by hand: the checksum no longer matches.
            Edit(path, Mutate);
            var e = ReadFails(path, cut);
            Assert.Equal("CorruptShardFile", e.ErrorId);
            Assert.Contains(path, e.Message);
            // Written with a matching checksum by some other tool: the field itself is refused.
            if (!(cut ? Reseal<ShardPlanDocument>(path) : Reseal<ShardSummaryDocument>(path)))
            {
                Assert.Contains(field.Split('/')[^1], e.Message);   // the missing field is named
                return;
            }
            e = ReadFails(path, cut);
            Assert.Equal("CorruptShardFile", e.ErrorId);
            Assert.Equal(path, e.Path);
            Assert.DoesNotContain("hashes to", e.Message);   // refused for the field, not the checksum
        }
        finally { Directory.Delete(run.Dir, true); }
    }

    // ---- helpers ----

    /// <summary>Records with many tied distances (few levels), labels, clusters of a real model and unique Ids.</summary>
    private static (SelectionInput Input, KMeansModel Model) TiedData(int n, int seed, int levels = 12)
    {
        var rng = new Random(seed);
        const int d = 4, k = 6;
        var centroids = TestData.Gaussian(k, d, seed + 1);
        for (int c = 0; c < k; c++) PruneCmdlets.Numerics.VectorMath.NormalizeRow(centroids.AsSpan(c * d, d));
        var model = new KMeansModel(centroids, k, d, DistanceMetric.Cosine);
        var vectors = new List<ReadOnlyMemory<float>>();
        var clusters = new int[n];
        var labels = new string?[n];
        var distances = new double[n];
        var ids = new string[n];
        for (int i = 0; i < n; i++)
        {
            var v = new float[d];
            for (int j = 0; j < d; j++) v[j] = rng.Next(-3, 4); // quantised vectors: many equal distances
            if (v.All(x => x == 0)) v[0] = 1;
            vectors.Add(v);
            clusters[i] = rng.Next(k);
            labels[i] = rng.Next(5) == 0 ? null : "L" + rng.Next(4);
            distances[i] = rng.Next(levels) / (double)levels;
            ids[i] = $"id{rng.Next(1_000_000_000)}-{i}";
        }
        return (new SelectionInput(n) { Ids = ids, Distances = distances, Labels = labels, Clusters = clusters, Model = model, Vectors = vectors }, model);
    }

    private static SelectionInput Subset(SelectionInput x, int[] rows) => new(rows.Length)
    {
        Ids = rows.Select(i => x.Ids![i]).ToArray(),
        Distances = x.Distances is null ? null : rows.Select(i => x.Distances[i]).ToArray(),
        Labels = x.Labels is null ? null : rows.Select(i => x.Labels[i]).ToArray(),
        Clusters = x.Clusters is null ? null : rows.Select(i => x.Clusters[i]).ToArray(),
        Model = x.Model,
        Vectors = x.Vectors is null ? null : rows.Select(i => x.Vectors[i]).ToList(),
    };

    private static SelectionInput[] Split(SelectionInput x, int shards)
        => Enumerable.Range(0, shards).Select(s => Subset(x, Enumerable.Range(0, x.Count).Where(i => StableHash.ShardOf(x.Ids![i], shards) == s).Reverse().ToArray())).ToArray();

    private static (string[] Kept, Dictionary<string, string> Reasons) RunSharded(SelectionPolicy policy, SelectionInput input, KMeansModel model, int shards, int order)
    {
        var parts = Split(input, shards);
        var rng = new Random(order);
        List<(string, ShardSummaryDocument)> Shuffle(IEnumerable<(string, ShardSummaryDocument)> s) => s.OrderBy(_ => rng.Next()).ToList();
        // As the cmdlets do: a shard without records was scored against nothing and names no model.
        string? ModelOf(SelectionInput p) => p.Count == 0 ? null : model.Fingerprint;
        var s1 = Shuffle(parts.Select((p, s) => ($"r1-{s}", ShardedSelection.Summarize(policy, p, ModelOf(p), s, shards))));
        var plan = ShardedSelection.Plan(s1);
        var sha = ShardFiles.Sha256(ShardFiles.Serialize(plan));
        var s2 = Shuffle(parts.Select((p, s) => ($"r2-{s}", ShardedSelection.Summarize(plan, sha, p, ModelOf(p), s, shards))));
        var cut = ShardedSelection.Cut(s2);
        var kept = new List<string>();
        var reasons = new Dictionary<string, string>();
        foreach (var p in parts)
        {
            var outcome = ShardedSelection.Decide(cut, p, ModelOf(p));
            for (int i = 0; i < p.Count; i++)
            {
                if (outcome.Keep[i]) kept.Add(p.Ids![i]);
                reasons[p.Ids![i]] = outcome.Reasons![i];
            }
        }
        return (kept.OrderBy(x => x, StringComparer.Ordinal).ToArray(), reasons);
    }

    private static string[] Kept(SelectionOutcome o, string[] ids) => ids.Where((_, i) => o.Keep[i]).OrderBy(x => x, StringComparer.Ordinal).ToArray();
}

using System.Globalization;
using System.Text;
using PruneCmdlets.Numerics;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Sharding;

/// <summary>
/// Exact global selection over shards that never meet: the kept set equals what
/// <see cref="PolicyRunner"/> keeps from all records in one process, found from small per-shard
/// summaries in two rounds.
///
/// Hard, Easy and Random keep, in every group, the first quota records of one total order
/// (<see cref="SelectionOrder"/>: a 64-bit key, then the Id). So each group's whole decision is
/// one cut: the quota-th record of that order.
///
/// Round 1: every shard sends, per group, its size and √(2n) sampled keys of its sorted records
/// with how many of its records are at or below each (and for Density the order-free sums that
/// make d_intra). The merge adds the sizes, computes the quotas exactly as one process would,
/// and bounds every group's cut key to an interval (Low, High]: from the samples it knows, for
/// any key, a lower and an upper bound of how many records of each shard are at or below it.
/// Round 2: every shard sends, per group, how many of its records are at or below Low and the
/// keys and Ids of those inside the interval — about 2n/√(2n) = √(2n) records per group and
/// shard, plus any records tied with the cut. The merge sorts those and reads off the exact cut.
/// Each shard then keeps its records at or before its group's cut.
///
/// Stratified (CCS) is refused: its bin edges depend on the hard cutoff's cut and its draws on
/// the bins, so it needs further rounds this protocol does not have; a sharded run says so
/// rather than approximate.
/// </summary>
public static class ShardedSelection
{
    /// <summary>Stops a policy that cannot be run from summaries with a clear reason.</summary>
    public static void CheckShardable(SelectionPolicy policy)
    {
        policy.Validate();
        if (policy.Keep == KeepStrategy.Stratified)
            throw new SelectionInputException("ShardedPolicyNotSupported",
                "-Keep Stratified cannot be selected exactly from shard summaries yet: CCS's bin edges depend on where its hard cutoff falls and its draws on the bins, " +
                "which needs more rounds than the two this protocol has. Run Stratified in one process (Select-PrunedSet), or use Hard, Easy or Random for sharded runs.");
    }

    /// <summary>SHA-256 of the policy and the model fingerprint: what every file of one sharded run must agree on.</summary>
    public static string Fingerprint(PolicyDocument policy, string? model)
    {
        var c = CultureInfo.InvariantCulture;
        string text = $"policy;keep={policy.Keep};fraction={policy.KeepFraction?.ToString("R", c)};count={policy.KeepCount?.ToString(c)};balance={policy.BalanceBy};" +
            $"min={policy.MinPerGroup?.ToString(c)};temperature={policy.Temperature.ToString("R", c)};seed={policy.Seed.ToString(c)};model={model}" +
            (policy.Exclude is { Length: > 0 } x ? $";exclude={string.Join(",", x)}" : ""); // absent without -Exclude: older fingerprints stay valid
        return ShardFiles.Sha256(Encoding.UTF8.GetBytes(text));
    }

    // ---- round 1 --------------------------------------------------------------------------

    public static ShardSummaryDocument Summarize(SelectionPolicy policy, SelectionInput input, string? model, int shardIndex, int shardCount)
    {
        CheckShardable(policy);
        CheckShard(shardIndex, shardCount);
        var doc = NewSummary(PolicyDocument.From(policy), model, 1, shardIndex, shardCount, input.Count, input.Excluded);
        var (keys, members) = GroupMembers(policy.BalanceBy, input);
        var primary = Primaries(policy, input);
        IntraPart[]? parts = null;
        if (policy.BalanceBy == BalanceBy.Density && input.Count > 0)   // an empty shard has no cluster to measure
        {
            var names = keys.Select(k => k).ToArray();
            parts = PolicyRunner.IntraParts(input, names);
        }
        for (int g = 0; g < keys.Length; g++)
        {
            var sorted = members[g].Select(i => primary[i]).ToArray();
            Array.Sort(sorted);
            var (samples, atOrBelow) = Sample(sorted);
            var group = new GroupSummary { Key = keys[g], Size = sorted.Length, Samples = samples, AtOrBelow = atOrBelow };
            if (parts is not null)
            {
                group.IntraSum = parts[g].Sum.ToString();
                group.IntraCounted = parts[g].Counted;
                group.Inter = DensityPruning.InterDistance(input.Model!, parts[g].Cluster);
            }
            doc.Groups.Add(group);
        }
        return doc;
    }

    /// <summary>About √(2n) keys of a sorted group at evenly spaced ranks, each with how many keys are at or below it; the largest key is always one.</summary>
    internal static (ulong[] Samples, int[] AtOrBelow) Sample(ulong[] sorted)
    {
        int n = sorted.Length;
        if (n == 0) return (Array.Empty<ulong>(), Array.Empty<int>());
        int m = (int)Math.Min(n, Math.Ceiling(Math.Sqrt(2.0 * n)));
        var samples = new List<ulong>(m);
        var counts = new List<int>(m);
        for (int j = 0; j < m; j++)
        {
            int p = (int)(((long)(j + 1) * n + m - 1) / m) - 1;
            ulong v = sorted[p];
            if (samples.Count > 0 && samples[^1] == v) continue;
            int upper = p;
            while (upper + 1 < n && sorted[upper + 1] == v) upper++;
            samples.Add(v);
            counts.Add(upper + 1);
        }
        return (samples.ToArray(), counts.ToArray());
    }

    public static ShardPlanDocument Plan(IReadOnlyList<(string Path, ShardSummaryDocument Doc)> summaries, int? shardCount = null)
    {
        var first = Collect(summaries, 1, shardCount);
        var policyDoc = first.Policy;
        var policy = policyDoc.ToPolicy();
        CheckShardable(policy);
        var keys = summaries.SelectMany(s => s.Doc.Groups.Select(g => g.Key)).Distinct(StringComparer.Ordinal).ToList();
        SortKeys(policy.BalanceBy, keys);
        int gCount = keys.Count;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < gCount; g++) index[keys[g]] = g;
        var sizes = new int[gCount];
        var parts = policy.BalanceBy == BalanceBy.Density ? keys.Select(k => new IntraPart(int.Parse(k, CultureInfo.InvariantCulture))).ToArray() : null;
        var inter = new double?[gCount];
        long records = 0, excluded = 0;
        foreach (var (path, doc) in summaries)
        {
            records += doc.Records;
            if (doc.Excluded < 0) throw new ShardFileException("CorruptShardFile", $"'{path}' counts {doc.Excluded} excluded records.", path);
            excluded += doc.Excluded;
            foreach (var group in doc.Groups)
            {
                int g = index[group.Key];
                sizes[g] = checked(sizes[g] + group.Size);
                if (group.Samples is null || group.AtOrBelow is null || group.Samples.Length != group.AtOrBelow.Length)
                    throw new ShardFileException("CorruptShardFile", $"'{path}' has a group '{group.Key}' without matching samples.", path);
                if (parts is not null)
                {
                    if (group.IntraSum is null || group.IntraCounted is null || group.Inter is null)
                        throw new ShardFileException("CorruptShardFile", $"'{path}' has no density sums for cluster {group.Key}.", path);
                    parts[g].Add(new IntraPart(parts[g].Cluster) { Size = group.Size, Counted = group.IntraCounted.Value, Sum = FixedPointSum.Parse(group.IntraSum) });
                    if (inter[g] is { } known && known != group.Inter)
                        throw new ShardFileException("ShardSummaryMismatch", $"'{path}' measured cluster {group.Key} against different centroids than the other shards.", path);
                    inter[g] = group.Inter;
                }
            }
        }
        if (records == 0) throw new ShardFileException("NoInput", "Every shard summary is empty: no shard had any records to select from.");
        if (records > int.MaxValue) throw new ShardFileException("TooManyRecords", $"The shards hold {records} records; a selection holds at most {int.MaxValue}.");
        int n = (int)records;
        int total = policy.TotalFor(n, excluded);
        ClusterComplexity[]? complexity = parts?.Select((p, g) => new ClusterComplexity(p.Cluster, p.Size, p.Counted > 0 ? p.Sum.Value / p.Counted : 0, inter[g]!.Value)).ToArray();
        var (quotas, shares) = PolicyRunner.Quotas(policy, sizes, total, complexity);

        var plan = new ShardPlanDocument
        {
            Format = ShardPlanDocument.PlanFormat, Fingerprint = first.Fingerprint, Policy = policyDoc, Model = first.Model,
            ShardCount = first.ShardCount, Records = n, Total = total,
        };
        var perGroup = new List<GroupSummary>[gCount];
        for (int g = 0; g < gCount; g++) perGroup[g] = new List<GroupSummary>();
        foreach (var (_, doc) in summaries.OrderBy(s => s.Doc.ShardIndex))
            foreach (var group in doc.Groups) perGroup[index[group.Key]].Add(group);
        for (int g = 0; g < gCount; g++)
        {
            var pg = new PlanGroup
            {
                Key = keys[g], Name = GroupName(policy.BalanceBy, keys[g]), Size = sizes[g], Quota = quotas[g],
                Intra = complexity?[g].IntraDistance, Inter = complexity?[g].InterDistance, Share = shares?[g],
            };
            if (pg.NeedsCut) (pg.Low, pg.High) = Interval(perGroup[g], quotas[g]);
            plan.Groups.Add(pg);
        }
        return plan;
    }

    /// <summary>
    /// The key interval (Low, High] that must hold the <paramref name="k"/>-th key of the union:
    /// Low is the largest sample at or below which surely fewer than k records lie, High the
    /// smallest at or below which surely k do. Per shard, records at or below v number at least
    /// the count of its largest sample ≤ v and at most the count of its smallest sample > v minus one.
    /// </summary>
    internal static (ulong? Low, ulong High) Interval(IReadOnlyList<GroupSummary> shards, int k)
    {
        var events = new List<(ulong V, int Shard, int J)>();
        var lower = new long[shards.Count];
        var upper = new long[shards.Count];
        long lowerSum = 0, upperSum = 0;
        for (int s = 0; s < shards.Count; s++)
        {
            var g = shards[s];
            for (int j = 0; j < g.Samples!.Length; j++) events.Add((g.Samples[j], s, j));
            upper[s] = g.Samples.Length > 0 ? g.AtOrBelow![0] - 1 : g.Size;
            upperSum += upper[s];
        }
        events.Sort((a, b) => a.V.CompareTo(b.V));
        ulong? low = null;
        for (int e = 0; e < events.Count;)
        {
            ulong v = events[e].V;
            for (; e < events.Count && events[e].V == v; e++)
            {
                var (_, s, j) = events[e];
                var g = shards[s];
                lowerSum += g.AtOrBelow![j] - lower[s];
                lower[s] = g.AtOrBelow[j];
                long next = j + 1 < g.Samples!.Length ? g.AtOrBelow[j + 1] - 1 : g.Size;
                upperSum += next - upper[s];
                upper[s] = next;
            }
            if (upperSum < k) low = v;
            if (lowerSum >= k) return (low, v);
        }
        throw new ShardFileException("ShardDataChanged", $"The summaries hold fewer records than the quota of {k}; they are inconsistent.");
    }

    // ---- round 2 --------------------------------------------------------------------------

    public static ShardSummaryDocument Summarize(ShardPlanDocument plan, string planSha256, SelectionInput input, string? model, int shardIndex, int shardCount)
    {
        var policy = plan.Policy.ToPolicy();
        CheckShardable(policy);
        CheckShard(shardIndex, shardCount);
        model = ModelOf(input, model, plan);
        CheckFingerprint(plan, model, "plan");
        if (shardCount != plan.ShardCount)
            throw new ShardFileException("ShardSummaryMismatch", $"The plan was merged from {plan.ShardCount} shards, but this step is shard {shardIndex} of {shardCount}.");
        var doc = NewSummary(plan.Policy, model, 2, shardIndex, shardCount, input.Count, input.Excluded);
        doc.PlanSha256 = planSha256;
        doc.Plan = plan;
        var (keys, members) = GroupMembers(policy.BalanceBy, input);
        var primary = Primaries(policy, input);
        var byKey = plan.Groups.ToDictionary(g => g.Key, StringComparer.Ordinal);
        for (int g = 0; g < keys.Length; g++)
        {
            if (!byKey.TryGetValue(keys[g], out var pg))
                throw new ShardFileException("ShardDataChanged", $"This shard has records in group '{GroupName(policy.BalanceBy, keys[g])}', which no round-1 summary had: the shard's records changed since round 1.");
            var group = new GroupSummary { Key = keys[g], Size = members[g].Count };
            if (pg.NeedsCut)
            {
                var inside = new List<(ulong Key, string Id)>();
                int below = 0;
                foreach (int i in members[g])
                {
                    ulong p = primary[i];
                    if (pg.Low is { } lo && p <= lo) below++;
                    else if (p <= pg.High) inside.Add((p, input.Ids![i]));
                }
                inside.Sort((a, b) => SelectionOrder.Compare(a.Key, a.Id, b.Key, b.Id));
                group.AtOrBelowLow = below;
                group.Keys = inside.Select(x => x.Key).ToArray();
                group.Ids = inside.Select(x => x.Id).ToArray();
            }
            doc.Groups.Add(group);
        }
        return doc;
    }

    public static ShardPlanDocument Cut(IReadOnlyList<(string Path, ShardSummaryDocument Doc)> summaries, int? shardCount = null)
    {
        var first = Collect(summaries, 2, shardCount);
        foreach (var (path, doc) in summaries)
            if (doc.Plan is null || doc.PlanSha256 != first.PlanSha256)
                throw new ShardFileException("ShardSummaryMismatch", $"'{path}' was summarised against a different plan ({doc.PlanSha256}) than '{summaries[0].Path}' ({first.PlanSha256}); re-run round 2 of every shard against one plan.", path);
        var plan = first.Plan!;
        var policy = plan.Policy.ToPolicy();
        var cut = new ShardPlanDocument
        {
            Format = ShardPlanDocument.CutFormat, Fingerprint = plan.Fingerprint, Policy = plan.Policy, Model = plan.Model,
            ShardCount = plan.ShardCount, Records = plan.Records, Total = plan.Total, PlanSha256 = first.PlanSha256,
        };
        foreach (var pg in plan.Groups)
        {
            int size = 0, below = 0;
            var inside = new List<(ulong Key, string Id, int Shard)>();
            foreach (var (path, doc) in summaries)
            {
                var group = doc.Groups.FirstOrDefault(x => x.Key == pg.Key);
                if (group is null) continue;
                size += group.Size;
                if (!pg.NeedsCut) continue;
                if (group.AtOrBelowLow is null || group.Keys is null || group.Ids is null || group.Keys.Length != group.Ids.Length)
                    throw new ShardFileException("CorruptShardFile", $"'{path}' has no round-2 records for group '{pg.Name}'.", path);
                below += group.AtOrBelowLow.Value;
                for (int t = 0; t < group.Keys.Length; t++) inside.Add((group.Keys[t], group.Ids[t], doc.ShardIndex));
            }
            if (size != pg.Size)
                throw new ShardFileException("ShardDataChanged", $"Group '{pg.Name}' had {pg.Size} records in round 1 but {size} in round 2: a shard's records changed between the rounds. Re-run both rounds.");
            var result = new PlanGroup { Key = pg.Key, Name = pg.Name, Size = pg.Size, Quota = pg.Quota, Intra = pg.Intra, Inter = pg.Inter, Share = pg.Share };
            if (pg.NeedsCut)
            {
                inside.Sort((a, b) => SelectionOrder.Compare(a.Key, a.Id, b.Key, b.Id));
                for (int t = 1; t < inside.Count; t++)
                    if (inside[t].Key == inside[t - 1].Key && inside[t].Id == inside[t - 1].Id)
                        throw new ShardFileException("DuplicateId", $"Id '{inside[t].Id}' occurs more than once (shards {inside[t - 1].Shard} and {inside[t].Shard}); a sharded selection orders ties by Id, so every Id must be unique. Give the records unique Ids (Import-Embedding -IdPath).");
                int r = pg.Quota - below;
                if (r < 1 || r > inside.Count)
                    throw new ShardFileException("ShardDataChanged", $"Group '{pg.Name}': the round-2 summaries do not hold the cut (rank {r} of {inside.Count}); a shard's records changed between the rounds. Re-run both rounds.");
                var (key, id, _) = inside[r - 1];
                result.CutKey = key;
                result.CutId = id;
                result.CutDistance = policy.Keep switch
                {
                    KeepStrategy.Easy => SelectionOrder.FromOrdered(key),
                    KeepStrategy.Hard => SelectionOrder.FromOrdered(~key),
                    _ => null,
                };
            }
            cut.Groups.Add(result);
        }
        return cut;
    }

    // ---- the decision -----------------------------------------------------------------------

    /// <summary>Each record of a shard kept or pruned by the global cut, with the reason one process would have given.</summary>
    public static SelectionOutcome Decide(ShardPlanDocument cut, SelectionInput input, string? model)
    {
        var policy = cut.Policy.ToPolicy();
        CheckShardable(policy);
        CheckFingerprint(cut, ModelOf(input, model, cut), "cut");
        var primary = Primaries(policy, input);
        int gCount = cut.Groups.Count;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < gCount; g++) index[cut.Groups[g].Key] = g;
        int n = input.Count;
        var groupOf = new int[n];
        var keep = new bool[n];
        for (int i = 0; i < n; i++)
        {
            string key = KeyOf(policy.BalanceBy, input, i);
            if (!index.TryGetValue(key, out int g))
                throw new ShardFileException("ShardDataChanged", $"Record '{input.Ids![i]}' is in group '{GroupName(policy.BalanceBy, key)}', which the cut does not know: the records changed since the summaries were made.");
            groupOf[i] = g;
            var pg = cut.Groups[g];
            keep[i] = pg.Quota == pg.Size || (pg.Quota > 0 && SelectionOrder.Compare(primary[i], input.Ids![i], pg.CutKey!.Value, pg.CutId!) <= 0);
        }
        var names = cut.Groups.Select(g => g.Name).ToArray();
        var sizes = cut.Groups.Select(g => g.Size).ToArray();
        var quotas = cut.Groups.Select(g => g.Quota).ToArray();
        var cuts = cut.Groups.Select(g => g.CutDistance).ToArray();
        var shares = policy.BalanceBy == BalanceBy.Density ? cut.Groups.Select(g => g.Share ?? 0).ToArray() : null;
        var complexity = policy.BalanceBy == BalanceBy.Density
            ? cut.Groups.Select(g => new ClusterComplexity(int.Parse(g.Key, CultureInfo.InvariantCulture), g.Size, g.Intra ?? 0, g.Inter ?? 0)).ToArray() : null;
        var reasons = DecisionReasons.For(policy, input.Distances, groupOf, names, sizes, quotas, keep, cuts, shares);
        return new SelectionOutcome(policy, keep, reasons, groupOf, names, sizes, quotas, cuts, complexity, shares);
    }

    // ---- shared -------------------------------------------------------------------------------

    private static ShardSummaryDocument NewSummary(PolicyDocument policy, string? model, int round, int shardIndex, int shardCount, int records, int excluded) => new()
    {
        Round = round, ShardIndex = shardIndex, ShardCount = shardCount, Policy = policy, Model = model,
        Fingerprint = Fingerprint(policy, model), Records = records, Excluded = excluded,
    };

    private static void CheckShard(int index, int count)
    {
        if (count < 1 || index < 0 || index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Shard {index} of {count} does not exist; shards are numbered 0 to count − 1.");
    }

    /// <summary>A shard without records scored nothing and names no model: it takes the plan's, which it cannot contradict.</summary>
    private static string? ModelOf(SelectionInput input, string? model, ShardPlanDocument plan)
        => input.Count == 0 && model is null ? plan.Model : model;

    private static void CheckFingerprint(ShardPlanDocument plan, string? model, string what)
    {
        if (plan.Model != model)
            throw new ShardFileException("ShardSummaryMismatch",
                $"The {what} was made from records scored against k-means model {plan.Model ?? "(none)"}, but these records carry model {model ?? "(none)"}; score every shard against the one saved model (Import-KMeansModel).");
        if (Fingerprint(plan.Policy, plan.Model) != plan.Fingerprint)
            throw new ShardFileException("CorruptShardFile", $"The {what}'s policy does not match its fingerprint: the file was edited or damaged.");
    }

    /// <summary>Checks one round's summaries belong together and cover every shard exactly once; returns the first.</summary>
    private static ShardSummaryDocument Collect(IReadOnlyList<(string Path, ShardSummaryDocument Doc)> summaries, int round, int? shardCount)
    {
        if (summaries.Count == 0) throw new ShardFileException("NoInput", "No shard summaries were given.");
        // A shard that held no records scored nothing, so it names no model: it agrees with any
        // model as long as its policy is the same. The reference is the first summary that names one.
        static bool NamesNoModel(ShardSummaryDocument d) => d.Records == 0 && d.Model is null;
        var (firstPath, first) = summaries.FirstOrDefault(s => !NamesNoModel(s.Doc), summaries[0]);
        int count = shardCount ?? first.ShardCount;
        var seen = new string?[Math.Max(count, 0)];
        foreach (var (path, doc) in summaries)
        {
            if (doc.Round != round)
                throw new ShardFileException("ShardSummaryMismatch", $"'{path}' is a round-{doc.Round} summary, but '{firstPath}' is round {round}; merge the summaries of one round at a time.", path);
            if (Fingerprint(doc.Policy, doc.Model) != doc.Fingerprint)
                throw new ShardFileException("CorruptShardFile", $"'{path}''s policy does not match its fingerprint: the file was edited or damaged.", path);
            bool noModel = NamesNoModel(doc);
            if ((noModel ? Fingerprint(doc.Policy, first.Model) : doc.Fingerprint) != first.Fingerprint)
                throw new ShardFileException("ShardSummaryMismatch",
                    doc.Model != first.Model && !noModel
                        ? $"'{path}' was scored against k-means model {doc.Model ?? "(none)"}, but '{firstPath}' against {first.Model ?? "(none)"}; every shard must be scored against one saved model."
                        : $"'{path}' was summarised under a different policy than '{firstPath}'; every shard must run the same policy.", path);
            if (doc.ShardCount != count)
                throw new ShardFileException("ShardSummaryMismatch", $"'{path}' is shard {doc.ShardIndex} of {doc.ShardCount}, but {count} shards were expected.", path);
            if (doc.ShardIndex < 0 || doc.ShardIndex >= count)
                throw new ShardFileException("CorruptShardFile", $"'{path}' claims shard {doc.ShardIndex} of {count}.", path);
            if (seen[doc.ShardIndex] is { } other)
                throw new ShardFileException("ShardSummaryDuplicate", $"Shard {doc.ShardIndex} has two summaries: '{other}' and '{path}'. Remove the stale one.", path);
            seen[doc.ShardIndex] = path;
        }
        var missing = Enumerable.Range(0, count).Where(i => seen[i] is null).ToList();
        if (missing.Count > 0)
            throw new ShardFileException("ShardSummaryMissing",
                $"{missing.Count} of {count} shard summaries are missing: shard(s) {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", …" : "")}. Run (or re-run) those shards' round {round}, then merge again.");
        return first;
    }

    private static ulong[] Primaries(SelectionPolicy policy, SelectionInput input)
    {
        int n = input.Count;
        var ids = input.Ids ?? throw new SelectionInputException("MissingId", "A sharded selection needs every record's Id.");
        if (policy.Keep != KeepStrategy.Random)
        {
            var d = input.Distances ?? throw new SelectionInputException("MissingDistance", $"{policy.Keep} selection needs a Distance for every record.");
            for (int i = 0; i < n; i++)
                if (!double.IsFinite(d[i])) throw input.Fault("InvalidDistance", i, $"Record {input.Name(i)} has a Distance of {d[i]}; every Distance must be a finite number.", SelectionErrorKind.InvalidData);
        }
        var primary = new ulong[n];
        for (int i = 0; i < n; i++) primary[i] = SelectionOrder.Primary(policy.Keep, input.Distances?[i] ?? 0, ids[i], policy.Seed);
        return primary;
    }

    private static string KeyOf(BalanceBy balance, SelectionInput input, int i) => balance switch
    {
        BalanceBy.None => "",
        BalanceBy.Label => (input.Labels ?? throw new SelectionInputException("MissingLabel", "Balancing by Label needs the records' labels."))[i] ?? "",
        _ => (input.Clusters ?? throw new SelectionInputException("MissingCluster", "Balancing by Cluster or Density needs every record's Cluster."))[i].ToString(CultureInfo.InvariantCulture),
    };

    private static (string[] Keys, List<int>[] Members) GroupMembers(BalanceBy balance, SelectionInput input)
    {
        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < input.Count; i++)
        {
            string key = KeyOf(balance, input, i);
            if (!index.TryGetValue(key, out var list)) index[key] = list = new List<int>();
            list.Add(i);
        }
        var keys = index.Keys.ToList();
        SortKeys(balance, keys);
        return (keys.ToArray(), keys.Select(k => index[k]).ToArray());
    }

    /// <summary>Groups in the order one process numbers them: labels ordinally, clusters numerically.</summary>
    private static void SortKeys(BalanceBy balance, List<string> keys)
    {
        if (balance is BalanceBy.Cluster or BalanceBy.Density) keys.Sort((a, b) => int.Parse(a, CultureInfo.InvariantCulture).CompareTo(int.Parse(b, CultureInfo.InvariantCulture)));
        else keys.Sort(StringComparer.Ordinal);
    }

    private static string GroupName(BalanceBy balance, string key) => balance switch
    {
        BalanceBy.None => "(all)",
        BalanceBy.Label => key.Length == 0 ? "(none)" : key,
        _ => key,
    };
}

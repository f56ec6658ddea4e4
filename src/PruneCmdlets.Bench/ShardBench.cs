// bench -Only Shards: the sharded selection protocol on synthetic N x D embeddings in S shards,
// against PolicyRunner.Run on all N in one process (same run), and a simulated merge of many shards.
using System.Diagnostics;
using System.Text.Json;
using PruneCmdlets.Clustering;
using PruneCmdlets.IO;
using PruneCmdlets.Numerics;
using PruneCmdlets.Selection;
using PruneCmdlets.Sharding;

static class ShardBench
{
    public static void Run(Dictionary<string, string> o)
    {
        int n = int.Parse(o.GetValueOrDefault("n", "1000000")), d = int.Parse(o.GetValueOrDefault("d", "128"));
        int shards = int.Parse(o.GetValueOrDefault("shards", "16")), k = int.Parse(o.GetValueOrDefault("k", "64"));
        int simulated = int.Parse(o.GetValueOrDefault("simulate", "1000"));
        var policy = new SelectionPolicy { Keep = KeepStrategy.Hard, KeepFraction = 0.3, BalanceBy = BalanceBy.Cluster };
        var (model, centroids) = Model(k, d);

        var members = Members(n, shards, i => "r" + i);
        var inputs = new SelectionInput[shards];
        var steps = new List<object>();
        var r1 = new List<(string, ShardSummaryDocument)>();
        long r1Bytes = 0;
        for (int s = 0; s < shards; s++)
        {
            var clock = Stopwatch.StartNew();
            long alloc0 = GC.GetTotalAllocatedBytes(true);
            var rows = members[s];
            // The shard's embeddings, quantised to 1/8 so distances tie, unit length for Cosine.
            var x = new float[(long)rows.Length * d];
            for (int t = 0; t < rows.Length; t++) Row(rows[t], centroids, k, x.AsSpan(t * d, d));
            var cluster = new int[rows.Length];
            var distance = new double[rows.Length];
            model.Assign(x, rows.Length, cluster, distance);
            double scoreSeconds = clock.Elapsed.TotalSeconds;
            inputs[s] = new SelectionInput(rows.Length) { Ids = rows.Select(i => "r" + i).ToArray(), Distances = distance, Clusters = cluster };
            var t1 = Stopwatch.StartNew();
            var doc = ShardedSelection.Summarize(policy, inputs[s], model.Fingerprint, s, shards);
            var bytes = ShardFiles.Serialize(doc);
            r1Bytes += bytes.Length;
            r1.Add(($"{s}", doc));
            steps.Add(new { shard = s, records = rows.Length, score_s = scoreSeconds, round1_s = t1.Elapsed.TotalSeconds, round1_bytes = bytes.Length,
                allocated_mb = (GC.GetTotalAllocatedBytes(true) - alloc0) / 1048576.0, vectors_mb = x.Length * 4 / 1048576.0 });
        }
        var m1 = Stopwatch.StartNew();
        var plan = ShardedSelection.Plan(r1);
        double merge1 = m1.Elapsed.TotalSeconds;
        var sha = ShardFiles.Sha256(ShardFiles.Serialize(plan));
        var r2 = new List<(string, ShardSummaryDocument)>();
        long r2Bytes = 0, r2Max = 0;
        double r2Seconds = 0, decideSeconds = 0;
        for (int s = 0; s < shards; s++)
        {
            var t2 = Stopwatch.StartNew();
            var doc = ShardedSelection.Summarize(plan, sha, inputs[s], model.Fingerprint, s, shards);
            r2Seconds = Math.Max(r2Seconds, t2.Elapsed.TotalSeconds);
            long b = ShardFiles.Serialize(doc).Length;
            r2Bytes += b; r2Max = Math.Max(r2Max, b);
            r2.Add(($"{s}", doc));
        }
        var m2 = Stopwatch.StartNew();
        var cut = ShardedSelection.Cut(r2);
        double merge2 = m2.Elapsed.TotalSeconds;
        var kept = new HashSet<string>(StringComparer.Ordinal);
        for (int s = 0; s < shards; s++)
        {
            var t3 = Stopwatch.StartNew();
            var outcome = ShardedSelection.Decide(cut, inputs[s], model.Fingerprint);
            decideSeconds = Math.Max(decideSeconds, t3.Elapsed.TotalSeconds);
            for (int i = 0; i < inputs[s].Count; i++) if (outcome.Keep[i]) kept.Add(inputs[s].Ids![i]);
        }

        // One process on all N: the records concatenated shard by shard (order does not matter).
        var all = new SelectionInput(n)
        {
            Ids = inputs.SelectMany(x => x.Ids!).ToArray(), Distances = inputs.SelectMany(x => x.Distances!).ToArray(),
            Clusters = inputs.SelectMany(x => x.Clusters!).ToArray(),
        };
        var ts = Stopwatch.StartNew();
        var single = PolicyRunner.Run(policy, all, explain: false);
        double singleSeconds = ts.Elapsed.TotalSeconds;
        bool same = single.Kept == kept.Count && Enumerable.Range(0, n).All(i => single.Keep[i] == kept.Contains(all.Ids[i]));

        // Simulated merge of many shards: the same N split into `simulate` summaries.
        var simInputs = Members(n, simulated, i => all.Ids[i])
            .Select(rows => new SelectionInput(rows.Length) { Ids = rows.Select(i => all.Ids[i]).ToArray(), Distances = rows.Select(i => all.Distances[i]).ToArray(), Clusters = rows.Select(i => all.Clusters[i]).ToArray() }).ToArray();
        var s1 = simInputs.Select((x, s) => ($"{s}", ShardedSelection.Summarize(policy, x, model.Fingerprint, s, simulated))).ToList();
        var sm1 = Stopwatch.StartNew();
        var simPlan = ShardedSelection.Plan(s1);
        double simMerge1 = sm1.Elapsed.TotalSeconds;
        var s2 = simInputs.Select((x, s) => ($"{s}", ShardedSelection.Summarize(simPlan, "sim", x, model.Fingerprint, s, simulated))).ToList();
        var sm2 = Stopwatch.StartNew();
        var simCut = ShardedSelection.Cut(s2);
        double simMerge2 = sm2.Elapsed.TotalSeconds;
        bool simSame = simCut.Groups.Zip(cut.Groups).All(p => p.First.CutId == p.Second.CutId && p.First.CutKey == p.Second.CutKey);

        // One process's kept Ids, sorted, for the bench to compare with the same data run as cmdlets (shard-gen).
        if (o.TryGetValue("kept-out", out var keptOut))
        {
            var sorted = all.Ids.Where((_, i) => single.Keep[i]).ToArray();
            Array.Sort(sorted, StringComparer.Ordinal);
            File.WriteAllLines(keptOut, sorted);
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            n, d, k, shards, policy = policy.ToString(), steps, merge1_s = merge1, merge2_s = merge2, round2_max_s = r2Seconds, decide_max_s = decideSeconds,
            round1_bytes_mean = r1Bytes / shards, round2_bytes_mean = r2Bytes / shards, round2_bytes_max = r2Max,
            single_select_s = singleSeconds, same_as_single = same, kept = kept.Count,
            simulated, sim_merge1_s = simMerge1, sim_merge2_s = simMerge2, sim_same_cut = simSame,
            peak_working_set_mb = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0,
        }));
    }
    /// <summary>The bench's model: K unit centroids, uniform in a cube, from seed 1.</summary>
    static (KMeansModel Model, float[] Centroids) Model(int k, int d)
    {
        var rng = new DeterministicRandom(1);
        var centroids = new float[k * d];
        for (int i = 0; i < centroids.Length; i++) centroids[i] = (float)(rng.NextDouble() - 0.5);
        for (int c = 0; c < k; c++) VectorMath.NormalizeRow(centroids.AsSpan(c * d, d));
        return (new KMeansModel(centroids, k, d, DistanceMetric.Cosine), centroids);
    }

    /// <summary>
    /// Record <paramref name="row"/>'s embedding: a centroid plus noise, quantised to 1/8 so that
    /// distances tie, unit length for Cosine; a function of the row alone, so any split makes the same rows.
    /// </summary>
    static void Row(int row, float[] centroids, int k, Span<float> x)
    {
        int d = x.Length;
        var r = DeterministicRandom.Derive(7, row);
        int c = r.NextInt(k);
        for (int j = 0; j < d; j++) x[j] = MathF.Round((centroids[c * d + j] + (float)(r.NextDouble() - 0.5) * 0.3f) * 8) / 8;
        VectorMath.NormalizeRow(x);
    }

    /// <summary>Each shard's rows (ascending), by the stable hash of the row's Id, in one pass.</summary>
    static int[][] Members(int n, int shards, Func<int, string> id)
    {
        var lists = Enumerable.Range(0, shards).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < n; i++) lists[StableHash.ShardOf(id(i), shards)].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }

    /// <summary>
    /// shard-gen: the same N records as `shards`, written as the input of a sharded run of the
    /// cmdlets: &lt;out&gt;/model.json (the K-centroid model) and, per shard s, &lt;out&gt;/in/s.npy with
    /// its Ids in &lt;out&gt;/in/s.ids (the rows whose Id "r&lt;row&gt;" hashes to s), one shard in memory at a time.
    /// </summary>
    public static void Generate(Dictionary<string, string> o)
    {
        int n = int.Parse(o.GetValueOrDefault("n", "1000000")), d = int.Parse(o.GetValueOrDefault("d", "128"));
        int shards = int.Parse(o.GetValueOrDefault("shards", "16")), k = int.Parse(o.GetValueOrDefault("k", "64"));
        string output = o["out"];
        Directory.CreateDirectory(Path.Combine(output, "in"));
        var (model, centroids) = Model(k, d);
        model.Save(Path.Combine(output, "model.json"));
        var members = Members(n, shards, i => "r" + i);
        for (int s = 0; s < shards; s++)
        {
            var rows = members[s];
            var x = new List<float[]>(rows.Length);
            foreach (int row in rows) { var v = new float[d]; Row(row, centroids, k, v); x.Add(v); }
            NpyWriter.WriteMatrix(Path.Combine(output, "in", $"{s}.npy"), x, d);
            File.WriteAllLines(Path.Combine(output, "in", $"{s}.ids"), rows.Select(i => "r" + i));
        }
        Console.WriteLine(JsonSerializer.Serialize(new { n, d, k, shards, sizes = members.Select(m => m.Length).ToArray() }));
    }
}

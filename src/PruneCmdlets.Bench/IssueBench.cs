// Find-DataIssue on real embeddings, for build.ps1 -Task Bench -Only DataIssues: the label check
// against known flips, and what keep-hard trains to with and without excluding the flagged
// records, every probe scored on a clean test set. One JSON line per command.
using System.Diagnostics;
using System.Text.Json;
using PruneCmdlets.Clustering;
using PruneCmdlets.Issues;
using PruneCmdlets.IO;
using PruneCmdlets.Numerics;
using PruneCmdlets.Probing;
using PruneCmdlets.Selection;

internal static class IssueBench
{
    private static (float[] X, int N, int D) Load(string path)
    {
        using var m = NpyReader.OpenMatrix(path);
        var (data, rows) = m.ReadBlocks(Array.MaxLength).Single();
        return (data, rows, m.Columns);
    }

    /// <summary>Flips a fraction of the labels to a uniformly drawn other class (seeded); returns the noisy labels and which were flipped.</summary>
    internal static (string[] Noisy, bool[] Flipped) Flip(string[] labels, double fraction, long seed)
    {
        var classes = labels.Distinct(StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToArray();
        var rng = new DeterministicRandom(seed);
        var order = Enumerable.Range(0, labels.Length).ToArray();
        rng.Shuffle(order);
        var noisy = (string[])labels.Clone();
        var flipped = new bool[labels.Length];
        foreach (int i in order.Take((int)Math.Round(fraction * labels.Length)))
        {
            int c = Array.IndexOf(classes, labels[i]);
            noisy[i] = classes[(c + 1 + rng.NextInt(classes.Length - 1)) % classes.Length];
            flipped[i] = true;
        }
        return (noisy, flipped);
    }

    /// <summary>issues-labels: precision and recall of LabelError against the flips, per classifier, and the keep table.</summary>
    public static void Labels(Dictionary<string, string> o)
    {
        var (x, n, d) = Load(o["train"]);
        var clean = File.ReadAllLines(o["train-labels"]);
        var (tx, tn, _) = Load(o["test"]);
        var testLabels = File.ReadAllLines(o["test-labels"]);
        double noise = double.Parse(o.GetValueOrDefault("noise", "0.1"), System.Globalization.CultureInfo.InvariantCulture);
        long seed = long.Parse(o.GetValueOrDefault("seed", "1"));
        int k = int.Parse(o.GetValueOrDefault("k", "10"));
        var keeps = o.GetValueOrDefault("keeps", "0.8,0.6,0.4").Split(',').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var (noisy, flipped) = Flip(clean, noise, seed);
        if (o.TryGetValue("write-noisy", out var noisyPath)) File.WriteAllLines(noisyPath, noisy);

        var vectors = Enumerable.Range(0, n).Select(i => (ReadOnlyMemory<float>)x.AsMemory(i * d, d)).ToList();
        var input = new DataIssueInput { Vectors = vectors, Ids = Enumerable.Range(0, n).Select(i => i.ToString()).ToList(), Labels = noisy };
        var detection = new Dictionary<string, object>();
        bool[]? probeFlags = null, neighborFlags = null;
        foreach (var classifier in new[] { LabelClassifier.Probe, LabelClassifier.Neighbors })
        {
            var sw = Stopwatch.StartNew();
            var (records, summary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Label, Classifier = classifier, Seed = seed });
            var flags = records.Select(r => r.Issues.Contains("LabelError")).ToArray();
            if (classifier == LabelClassifier.Probe) probeFlags = flags; else neighborFlags = flags;
            int tp = Enumerable.Range(0, n).Count(i => flags[i] && flipped[i]);
            detection[classifier.ToString()] = new
            {
                Flagged = flags.Count(f => f), TruePositives = tp, Precision = (double)tp / Math.Max(1, flags.Count(f => f)), Recall = (double)tp / flipped.Count(f => f),
                summary.CrossValidatedAccuracy, summary.NeighborAgreement, Seconds = sw.Elapsed.TotalSeconds,
            };
        }

        // Prototypes: k-means (self-supervised) and the class means of the noisy labels (supervised).
        var km = KMeansTrainer.FitAndAssign(x, n, d, new KMeansOptions { K = k, Seed = seed });
        var unit = EmbeddingMatrix.Build(vectors, DistanceMetric.Cosine, out _);
        var kmDistance = Prototypicality.ToAssigned(unit.Data, n, km.Model, km.Assignment);
        var classModel = Prototypicality.ClassMeans(unit.Data, n, d, noisy, DistanceMetric.Cosine, out _, out var classOf);
        var classDistance = Prototypicality.ToAssigned(unit.Data, n, classModel, classOf);
        var probeOptions = new LogisticRegressionOptions { MaxIterations = 100 };

        (double Accuracy, double Wrong, int Kept) Probe(bool[] keep)
        {
            var rows = Enumerable.Range(0, n).Where(i => keep[i]).ToArray();
            var sub = new float[rows.Length * d];
            for (int t = 0; t < rows.Length; t++) Array.Copy(x, rows[t] * d, sub, t * d, d);
            var model = LogisticRegression.Fit(sub, rows.Length, d, rows.Select(i => noisy[i]).ToArray(), probeOptions);
            return (model.Accuracy(tx, tn, testLabels), rows.Count(i => flipped[i]) / (double)rows.Length, rows.Length);
        }
        bool[] Select(KeepStrategy strategy, double[] distance, double fraction, bool[]? exclude)
        {
            var candidates = Enumerable.Range(0, n).Where(i => exclude is null || !exclude[i]).ToArray();
            // The tool's own rule: the excluded records count in the amount, as Select-PrunedSet -Exclude counts them.
            var policy = new SelectionPolicy { Keep = strategy, KeepFraction = fraction, Seed = seed, Exclude = exclude is null ? Array.Empty<string>() : new[] { "LabelError" } };
            var outcome = PolicyRunner.Run(policy, new SelectionInput(candidates.Length)
            {
                Excluded = n - candidates.Length,
                Ids = candidates.Select(i => i.ToString()).ToArray(), Distances = candidates.Select(i => distance[i]).ToArray(), Labels = candidates.Select(i => (string?)noisy[i]).ToArray(),
            }, explain: false);
            var keep = new bool[n];
            for (int t = 0; t < candidates.Length; t++) keep[candidates[t]] = outcome.Keep[t];
            return keep;
        }

        var table = new List<object>();
        var all = Probe(Enumerable.Repeat(true, n).ToArray());
        foreach (double f in keeps)
        {
            var random = Probe(Select(KeepStrategy.Random, kmDistance, f, null));
            var kmHard = Probe(Select(KeepStrategy.Hard, kmDistance, f, null));
            var classHard = Probe(Select(KeepStrategy.Hard, classDistance, f, null));
            var excluded = Probe(Select(KeepStrategy.Hard, kmDistance, f, probeFlags));
            // The default classifier's flags (Neighbors), which is what Find-DataIssue gives a user who names none.
            var excludedByNeighbors = Probe(Select(KeepStrategy.Hard, kmDistance, f, neighborFlags));
            table.Add(new { Keep = f, Random = random, KMeansHard = kmHard, ClassMeanHard = classHard, ExcludeLabelErrorThenKMeansHard = excluded, ExcludeNeighborFlagsThenKMeansHard = excludedByNeighbors });
        }
        Console.WriteLine(JsonSerializer.Serialize(new { N = n, D = d, TestN = tn, Noise = noise, Seed = seed, Flipped = flipped.Count(f => f), Detection = detection, AllData = all, Table = table },
            new JsonSerializerOptions { IncludeFields = true }));
    }

    /// <summary>
    /// issues-ivf: recall@k of the clustered neighbour search against the exact one, on a matrix
    /// file (--train) or a generated Gaussian mixture (--n, --d, --clusters), per --probes.
    /// </summary>
    public static void Recall(Dictionary<string, string> o)
    {
        float[] x; int n, d;
        if (o.TryGetValue("train", out var path)) (x, n, d) = Load(path);
        else
        {
            n = int.Parse(o.GetValueOrDefault("n", "200000")); d = int.Parse(o.GetValueOrDefault("d", "128"));
            int clusters = int.Parse(o.GetValueOrDefault("clusters", "1000"));
            var rng = new DeterministicRandom(7);
            double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            var centres = new float[clusters * d];
            for (int i = 0; i < centres.Length; i++) centres[i] = (float)Gauss();
            x = new float[(long)n * d];
            for (int i = 0; i < n; i++)
            {
                int c = rng.NextInt(clusters);
                for (int j = 0; j < d; j++) x[(long)i * d + j] = centres[c * d + j] + (float)(0.5 * Gauss());
            }
        }
        int k = int.Parse(o.GetValueOrDefault("k", "10"));
        var u = (float[])x.Clone();
        VectorMath.NormalizeRows(u, n, d);
        var sw = Stopwatch.StartNew();
        var exact = NeighborGraph.Within(u, n, d, k);
        double exactSeconds = sw.Elapsed.TotalSeconds;
        var options = new DataIssueOptions();
        int lists = options.ListsFor(n);
        var rows = new List<object>();
        foreach (int probes in o.GetValueOrDefault("probes", "4,8,16,32").Split(',').Select(int.Parse))
        {
            sw.Restart();
            var approx = NeighborGraph.Clustered(u, n, d, k, lists, probes, seed: 0);
            double seconds = sw.Elapsed.TotalSeconds;
            long found = 0;
            for (int i = 0; i < n; i++)
            {
                var truth = new HashSet<int>();
                for (int t = 0; t < k; t++) truth.Add(exact.Index[(long)i * k + t]);
                for (int t = 0; t < k; t++) if (truth.Contains(approx.Index[(long)i * k + t])) found++;
            }
            rows.Add(new { Probes = probes, Lists = lists, Recall = (double)found / ((long)n * k), Seconds = seconds, SpeedUp = exactSeconds / seconds });
        }
        Console.WriteLine(JsonSerializer.Serialize(new { N = n, D = d, K = k, ExactSeconds = exactSeconds, Runs = rows }));
    }
}


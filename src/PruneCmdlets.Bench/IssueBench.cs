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
        var flagsBy = new Dictionary<LabelClassifier, bool[]>();
        // --classifiers Neighbors skips the probe's folds (minutes) when only the default's flags are wanted.
        var classifiers = o.GetValueOrDefault("classifiers", "Probe,Neighbors,Both").Split(',').Select(Enum.Parse<LabelClassifier>).ToArray();
        foreach (var classifier in classifiers)
        {
            var sw = Stopwatch.StartNew();
            // --label-probe-c C: the label check's probe at another regularisation than the default (C = 1).
            var labelProbe = new LogisticRegressionOptions();
            if (o.TryGetValue("label-probe-c", out var labelC)) labelProbe.C = double.Parse(labelC, System.Globalization.CultureInfo.InvariantCulture);
            var (records, summary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Label, Classifier = classifier, Seed = seed, Probe = labelProbe });
            var flags = records.Select(r => r.Issues.Contains("LabelError")).ToArray();
            flagsBy[classifier] = flags;
            int tp = Enumerable.Range(0, n).Count(i => flags[i] && flipped[i]);
            detection[classifier.ToString()] = new
            {
                Flagged = flags.Count(f => f), TruePositives = tp, Precision = (double)tp / Math.Max(1, flags.Count(f => f)), Recall = (double)tp / flipped.Count(f => f),
                summary.CrossValidatedAccuracy, summary.NeighborAgreement, Seconds = sw.Elapsed.TotalSeconds,
            };
        }

        // Prototypes: k-means (self-supervised) and the class means of the noisy labels (supervised).
        var unit = EmbeddingMatrix.Build(vectors, DistanceMetric.Cosine, out _);
        double[] KMeansDistance(long kmeansSeed)
        {
            var km = KMeansTrainer.FitAndAssign(x, n, d, new KMeansOptions { K = k, Seed = kmeansSeed });
            return Prototypicality.ToAssigned(unit.Data, n, km.Model, km.Assignment);
        }
        var kmDistance = KMeansDistance(seed);
        var classModel = Prototypicality.ClassMeans(unit.Data, n, d, noisy, DistanceMetric.Cosine, out _, out var classOf);
        var classDistance = Prototypicality.ToAssigned(unit.Data, n, classModel, classOf);
        // The probe that scores each selection is the issue's: scikit-learn's LogisticRegression
        // at its defaults on the raw embeddings (C = 1, lbfgs stopped at 100 iterations), which
        // gives the issue's 87% on all data; our solver reproduces it (86.6% against 86.7% on
        // flip seed 2). --probe-standardize true --probe-iterations 1000 is the module's own
        // probe (Test-PruningStrategy's), a different instrument that can rank selections apart.
        var probeOptions = new LogisticRegressionOptions
        {
            MaxIterations = int.Parse(o.GetValueOrDefault("probe-iterations", "100")),
            Standardize = bool.Parse(o.GetValueOrDefault("probe-standardize", "false")),
        };
        // --save-selections DIR: every probed selection's kept rows (one index per line), so a
        // reference probe (selection_probe_reference.py) can score the very same selections.
        string? saveDir = o.GetValueOrDefault("save-selections");
        if (saveDir is not null) Directory.CreateDirectory(saveDir);
        int saved = 0;

        (double Accuracy, double Wrong, int Kept) Probe(bool[] keep, string name)
        {
            if (saveDir is not null)
                File.WriteAllLines(Path.Combine(saveDir, $"{saved++:D3}-{name}.txt"), Enumerable.Range(0, n).Where(i => keep[i]).Select(i => i.ToString()));
            var rows = Enumerable.Range(0, n).Where(i => keep[i]).ToArray();
            var sub = new float[rows.Length * d];
            for (int t = 0; t < rows.Length; t++) Array.Copy(x, rows[t] * d, sub, t * d, d);
            var model = LogisticRegression.Fit(sub, rows.Length, d, rows.Select(i => noisy[i]).ToArray(), probeOptions);
            return (model.Accuracy(tx, tn, testLabels), rows.Count(i => flipped[i]) / (double)rows.Length, rows.Length);
        }
        bool[] Select(KeepStrategy strategy, double[] distance, double fraction, bool[]? exclude, long? selectionSeed = null)
        {
            var candidates = Enumerable.Range(0, n).Where(i => exclude is null || !exclude[i]).ToArray();
            // The tool's own rule: the excluded records count in the amount, as Select-PrunedSet -Exclude counts them.
            var policy = new SelectionPolicy { Keep = strategy, KeepFraction = fraction, Seed = selectionSeed ?? seed, Exclude = exclude is null ? Array.Empty<string>() : new[] { "LabelError" } };
            var outcome = PolicyRunner.Run(policy, new SelectionInput(candidates.Length)
            {
                Excluded = n - candidates.Length,
                Ids = candidates.Select(i => i.ToString()).ToArray(), Distances = candidates.Select(i => distance[i]).ToArray(), Labels = candidates.Select(i => (string?)noisy[i]).ToArray(),
            }, explain: false);
            var keep = new bool[n];
            for (int t = 0; t < candidates.Length; t++) keep[candidates[t]] = outcome.Keep[t];
            return keep;
        }

        // Random's own noise: the same noisy labels, --random-seeds selections (the run's seed, as
        // in the other columns, then 1, 2, … skipping it), each probed. A column is "within
        // random's noise" when it lies inside their range.
        int randomSeeds = int.Parse(o.GetValueOrDefault("random-seeds", "5"));
        // The other columns' own noise: keep-hard, alone and after the exclusion, is deterministic
        // for a k-means seed, so --kmeans-seeds S refits k-means with S seeds (the run's seed, then
        // 1, 2, … skipping it) and probes each: a range to hold against random's.
        int kmeansSeeds = int.Parse(o.GetValueOrDefault("kmeans-seeds", "1"));
        var otherDistances = new List<double[]>();
        for (long s = 1; otherDistances.Count < kmeansSeeds - 1; s++)
            if (s != seed) otherDistances.Add(KMeansDistance(s));
        static object Runs(List<double> runs)
        {
            double mean = runs.Average(), sd = Math.Sqrt(runs.Sum(a => (a - mean) * (a - mean)) / Math.Max(1, runs.Count - 1));
            return new { Count = runs.Count, Min = runs.Min(), Mean = mean, Max = runs.Max(), Sd = sd };
        }
        var table = new List<object>();
        var all = Probe(Enumerable.Repeat(true, n).ToArray(), "all");
        foreach (double f in keeps)
        {
            string keepName = f.ToString(System.Globalization.CultureInfo.InvariantCulture); // names the saved selections
            var random = Probe(Select(KeepStrategy.Random, kmDistance, f, null), $"keep{keepName}-random");
            var randomRuns = new List<double> { random.Accuracy };
            for (long s = 1; randomRuns.Count < randomSeeds; s++)
                if (s != seed) randomRuns.Add(Probe(Select(KeepStrategy.Random, kmDistance, f, null, s), $"keep{keepName}-random").Accuracy);
            var kmHard = Probe(Select(KeepStrategy.Hard, kmDistance, f, null), $"keep{keepName}-hard");
            var classHard = Probe(Select(KeepStrategy.Hard, classDistance, f, null), $"keep{keepName}-classhard");
            (double Accuracy, double Wrong, int Kept)? Excluding(LabelClassifier c) => flagsBy.TryGetValue(c, out var flags) ? Probe(Select(KeepStrategy.Hard, kmDistance, f, flags), $"keep{keepName}-exclude{c}") : null;
            var excluded = Excluding(LabelClassifier.Probe);
            // The default classifier's flags (Neighbors), which is what Find-DataIssue gives a user who names none.
            var excludedByNeighbors = Excluding(LabelClassifier.Neighbors);
            var excludedByBoth = Excluding(LabelClassifier.Both);
            var hardRuns = new List<double> { kmHard.Accuracy };
            var excludedRuns = excludedByNeighbors is { } e0 ? new List<double> { e0.Accuracy } : null;
            foreach (var other in otherDistances)
            {
                hardRuns.Add(Probe(Select(KeepStrategy.Hard, other, f, null), $"keep{keepName}-hard").Accuracy);
                if (excludedRuns is not null) excludedRuns.Add(Probe(Select(KeepStrategy.Hard, other, f, flagsBy[LabelClassifier.Neighbors]), $"keep{keepName}-excludeNeighbors").Accuracy);
            }
            table.Add(new
            {
                Keep = f, Random = random, RandomRuns = Runs(randomRuns),
                KMeansHard = kmHard, KMeansHardRuns = Runs(hardRuns), ClassMeanHard = classHard, ExcludeLabelErrorThenKMeansHard = excluded, ExcludeNeighborFlagsThenKMeansHard = excludedByNeighbors,
                ExcludeNeighborFlagsRuns = excludedRuns is null ? null : Runs(excludedRuns), ExcludeBothFlagsThenKMeansHard = excludedByBoth,
            });
        }
        Console.WriteLine(JsonSerializer.Serialize(new { N = n, D = d, TestN = tn, Noise = noise, Seed = seed, Flipped = flipped.Count(f => f), Detection = detection, AllData = all, Table = table },
            new JsonSerializerOptions { IncludeFields = true }));
    }

    /// <summary>
    /// issues-ivf: recall@k of the clustered neighbour search against the exact one, per --probes,
    /// on matrix files (--train a.npy[,b.npy…], rows concatenated) or a generated Gaussian mixture
    /// (--n, --d, --clusters, --seed). With --queries Q (and Q &lt; N) the exact neighbours are
    /// found by brute force for a seeded random sample of Q rows against all N rows, and recall is
    /// measured on those rows only (as faiss's benchmarks do): the exact search of every row costs
    /// N² dot products. The exact time for all N is then the sample's time scaled by N/Q, and is
    /// reported as extrapolated.
    /// </summary>
    public static void Recall(Dictionary<string, string> o)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        float[] x; int n, d;
        string data;
        if (o.TryGetValue("train", out var paths))
        {
            var parts = paths.Split(',').Select(Load).ToList();
            d = parts[0].D;
            n = parts.Sum(p => p.N);
            // One file is used as read (at 1M × 512 it is 2 GB; a copy would double the peak).
            if (parts.Count == 1) x = parts[0].X;
            else
            {
                x = new float[(long)n * d];
                long at = 0;
                foreach (var p in parts) { Array.Copy(p.X, 0, x, at, (long)p.N * p.D); at += (long)p.N * p.D; }
            }
            parts = null!;
            data = paths;
        }
        else
        {
            n = int.Parse(o.GetValueOrDefault("n", "200000")); d = int.Parse(o.GetValueOrDefault("d", "128"));
            int clusters = int.Parse(o.GetValueOrDefault("clusters", "1000"));
            long dataSeed = long.Parse(o.GetValueOrDefault("seed", "7"));
            x = Mixture(n, d, clusters, 0.5, dataSeed, out _);
            data = $"mixture of {clusters} Gaussians (centres N(0,1), spread 0.5, seed {dataSeed})";
        }
        int k = int.Parse(o.GetValueOrDefault("k", "10"));
        int q = Math.Min(n, int.Parse(o.GetValueOrDefault("queries", "0")) is > 0 and var qq ? qq : n);
        var u = x; // normalised in place: the raw rows are not needed again
        VectorMath.NormalizeRows(u, n, d);

        // The rows whose recall is measured, and their exact k nearest among all other rows.
        int[] rowsMeasured;
        int[] truth;
        // CPU seconds beside wall seconds: the bench machine may be shared, and CPU time says what the work cost.
        static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        double cpu0 = Cpu();
        var sw = Stopwatch.StartNew();
        if (q == n)
        {
            rowsMeasured = Enumerable.Range(0, n).ToArray();
            truth = NeighborGraph.Within(u, n, d, k).Index;
        }
        else
        {
            rowsMeasured = KMeansTrainer.SampleWithoutReplacement(n, q, new DeterministicRandom(long.Parse(o.GetValueOrDefault("query-seed", "1"))));
            Array.Sort(rowsMeasured);
            var queries = new float[(long)q * d];
            for (int t = 0; t < q; t++) Array.Copy(u, (long)rowsMeasured[t] * d, queries, (long)t * d, d);
            // k + 1 against every row, then the query itself left out, as the search within the set leaves it out.
            var between = NeighborGraph.Between(queries, q, u, n, d, k + 1);
            truth = new int[(long)q * k];
            for (int t = 0; t < q; t++)
            {
                int w = 0;
                for (int s = 0; s <= k && w < k; s++)
                {
                    int j = between.Index[(long)t * (k + 1) + s];
                    if (j != rowsMeasured[t]) truth[(long)t * k + w++] = j;
                }
            }
        }
        double exactSeconds = sw.Elapsed.TotalSeconds;
        double exactFull = exactSeconds * n / q, exactCpu = Cpu() - cpu0, exactCpuFull = exactCpu * n / q;
        var options = new DataIssueOptions();
        int lists = o.TryGetValue("lists", out var l) ? int.Parse(l) : options.ListsFor(n);
        var rows = new List<object>();
        // --probes 0: the exact search of the query sample only (the like-for-like time beside scikit-learn's brute force).
        foreach (int probes in o.GetValueOrDefault("probes", "8,16,32").Split(',').Select(int.Parse).Where(p => p > 0))
        {
            sw.Restart();
            cpu0 = Cpu();
            var approx = NeighborGraph.Clustered(u, n, d, k, lists, probes, seed: 0);
            double seconds = sw.Elapsed.TotalSeconds, cpu = Cpu() - cpu0;
            long found = 0;
            for (int t = 0; t < q; t++)
            {
                var set = new HashSet<int>();
                for (int s = 0; s < k; s++) set.Add(truth[(long)t * k + s]);
                long at = (long)rowsMeasured[t] * k;
                for (int s = 0; s < k; s++) if (set.Contains(approx.Index[at + s])) found++;
            }
            rows.Add(new { Probes = probes, Lists = lists, Recall = Math.Round((double)found / ((long)q * k), 4), Seconds = Math.Round(seconds, 1), CpuSeconds = Math.Round(cpu, 1),
                SpeedUp = Math.Round(exactFull / seconds, 1), CpuSpeedUp = Math.Round(exactCpuFull / cpu, 1) });
            Console.Error.WriteLine($"issues-ivf n={n} d={d} probes={probes}: {rows[^1]}");
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            Data = data, N = n, D = d, K = k, Queries = q, Threads = Environment.ProcessorCount,
            ExactSecondsOnQueries = Math.Round(exactSeconds, 1), ExactSecondsAllRows = Math.Round(exactFull, 1), ExactCpuSecondsOnQueries = Math.Round(exactCpu, 1), ExactCpuSecondsAllRows = Math.Round(exactCpuFull, 1), ExactAllRowsExtrapolated = q < n, Runs = rows,
        }));
    }

    /// <summary>A seeded Gaussian mixture: centres ~ N(0, 1), each row its centre plus N(0, spread²) noise; returns each row's component.</summary>
    internal static float[] Mixture(int n, int d, int clusters, double spread, long seed, out int[] component)
    {
        var rng = new DeterministicRandom(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var centres = new float[clusters * d];
        for (int i = 0; i < centres.Length; i++) centres[i] = (float)Gauss();
        var x = new float[(long)n * d];
        component = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = component[i] = rng.NextInt(clusters);
            for (int j = 0; j < d; j++) x[(long)i * d + j] = centres[c * d + j] + (float)(spread * Gauss());
        }
        return x;
    }
}


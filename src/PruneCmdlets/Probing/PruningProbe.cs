using System.Diagnostics;
using System.Globalization;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Probing;

/// <summary>
/// Measures candidate prunings on the user's own labelled data: for every keep fraction ×
/// strategy × balancing it builds the kept set with <see cref="PolicyRunner.Run"/> (the code
/// Select-PrunedSet runs, so the probe measures exactly what the cmdlet would keep), trains a
/// multinomial logistic regression on it ("linear probe") and scores it on a held-out test set.
/// A linear probe on fixed embeddings is cheap and tracks how much class information a subset
/// carries; it is a proxy for, not a promise about, a network trained from scratch.
/// </summary>
public static class PruningProbe
{
    /// <summary>Accuracies equal up to rounding count as equal (accuracies are k/T; 1e-9 is far below 1/T).</summary>
    private const double Slack = 1e-9;

    public static ProbeReport Run(ProbeData train, ProbeData test, ProbeOptions? options = null,
        Action<ProbeProgress>? progress = null, CancellationToken cancel = default)
    {
        var o = options ?? new ProbeOptions();
        o.Validate();
        var sw = Stopwatch.StartNew();
        int n = train.Count, d = train.Dimension;
        if (n < 1) throw new ArgumentException("The probe needs at least one training record.", nameof(train));
        if (test.Count < 1) throw new ArgumentException("The probe needs at least one test record.", nameof(test));
        if (test.Dimension != d) throw new ArgumentException($"Test vectors have {test.Dimension} dimensions but training vectors have {d}.", nameof(test));
        var unseen = UnseenLabels(train.Labels, test.Labels, out int unseenRecords);
        if (unseen.Count > 0) throw new UnseenLabelException(unseen, unseenRecords);
        bool needsDistance = o.Strategies.Any(s => s != KeepStrategy.Random);
        if (needsDistance && train.Distances is null)
            throw new ArgumentException("Hard and Easy selection need a distance for every training record.", nameof(train));
        if (o.Balances.Any(b => b is BalanceBy.Cluster or BalanceBy.Density) && train.Clusters is null)
            throw new ArgumentException("Balancing by Cluster or Density needs a cluster for every training record.", nameof(train));
        if (o.Balances.Contains(BalanceBy.Density) && train.Model is null)
            throw new ArgumentException("Balancing by Density needs the KMeansModel the training records were clustered with.", nameof(train));

        var classes = train.Labels.Distinct(StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToArray();
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        var classOf = train.Labels.Select(l => classIndex[l]).ToArray();
        var classSize = new int[classes.Length];
        foreach (int c in classOf) classSize[c]++;

        // Largest fraction first.
        var fractions = o.KeepFractions.Distinct().OrderByDescending(f => f).ToArray();
        var strategies = o.Strategies.Distinct().ToArray();
        var balances = o.Balances.Distinct().ToArray();
        var jobs = new List<bool[]>();
        var jobOf = new Dictionary<string, int>(StringComparer.Ordinal);
        int JobFor(bool[] mask)
        {
            string key = MaskKey(mask);
            if (!jobOf.TryGetValue(key, out int j)) { j = jobs.Count; jobs.Add(mask); jobOf[key] = j; }
            return j;
        }
        int fullJob = JobFor(Enumerable.Repeat(true, n).ToArray());
        // Candidates: (fraction, strategy, balancing); seeded strategies hold one kept set per trial.
        var candidates = new List<(double F, KeepStrategy S, BalanceBy B, bool X, int Count, int[] Jobs)>();
        // The probe selects with the same policy runner as Select-PrunedSet, so it measures exactly what the cmdlet keeps.
        var input = new SelectionInput(n)
        {
            Distances = train.Distances,
            Labels = train.Labels.ToArray(),
            Clusters = train.Clusters,
            Model = train.Model,
            Vectors = train.Model is null ? null : Enumerable.Range(0, n).Select(i => new ReadOnlyMemory<float>(train.Vectors, i * d, d)).ToList(),
        };
        // With exclusion, the flagged records are pruned first and the same count is kept from the
        // rest, as Select-PrunedSet -Exclude does.
        var rest = train.Excluded is { } excluded ? Enumerable.Range(0, n).Where(i => !excluded[i]).ToArray() : null;
        if (rest is { Length: 0 }) throw new ArgumentException("Every training record is excluded; nothing is left to select from.", nameof(train));
        var restInput = rest is null ? null : Restrict(input, rest, n - rest.Length);
        foreach (var f in fractions)
        {
            int count = QuotaSelector.CountForFraction(f, n);
            foreach (bool x in rest is null ? new[] { false } : new[] { false, true })
                foreach (var s in strategies)
                    foreach (var b in balances)
                    {
                        int trials = IsSeeded(s) ? o.RandomTrials : 1;
                        var ids = new int[trials];
                        for (int t = 0; t < trials; t++)
                        {
                            if (!x)
                            {
                                ids[t] = JobFor(PolicyRunner.Run(new SelectionPolicy { Keep = s, KeepFraction = f, BalanceBy = b, Seed = o.Seed + t }, input, explain: false).Keep);
                                continue;
                            }
                            var keep = PolicyRunner.Run(new SelectionPolicy { Keep = s, KeepFraction = f, BalanceBy = b, Seed = o.Seed + t, Exclude = train.ExcludedIssues }, restInput!, explain: false).Keep;
                            var mask = new bool[n];
                            for (int r = 0; r < rest!.Length; r++) mask[rest[r]] = keep[r];
                            ids[t] = JobFor(mask);
                        }
                        candidates.Add((f, s, b, x, x ? Math.Min(count, rest!.Length) : count, ids));
                    }
        }

        // Train each distinct kept set once; cost grows with the rows kept.
        var accuracy = new double[jobs.Count];
        var converged = new bool[jobs.Count];
        var kept = jobs.Select(m => m.Count(k => k)).ToArray();
        double totalCost = kept.Sum(k => (double)k), doneCost = 0;
        var lastReport = Stopwatch.StartNew();
        for (int j = 0; j < jobs.Count; j++)
        {
            cancel.ThrowIfCancellationRequested();
            string what = Describe(candidates, j, fullJob);
            double elapsed = sw.Elapsed.TotalSeconds;
            double remaining = doneCost > 0 ? elapsed / doneCost * (totalCost - doneCost) : -1;
            progress?.Invoke(new ProbeProgress(j + 1, jobs.Count, what, 0, double.NaN, doneCost / totalCost, remaining));
            lastReport.Restart();
            var (x, labels) = Subset(train, jobs[j], kept[j]);
            var model = LogisticRegression.Fit(x, kept[j], d, labels, o.Model, it =>
            {
                if (progress is null || lastReport.ElapsedMilliseconds < 250) return;
                lastReport.Restart();
                progress(new ProbeProgress(j + 1, jobs.Count, what, it.Iteration, it.Objective, doneCost / totalCost, remaining));
            }, cancel);
            accuracy[j] = model.Accuracy(test.Vectors, test.Count, test.Labels, o.Model.MaxThreads, cancel);
            converged[j] = model.Converged;
            doneCost += kept[j];
        }
        double full = accuracy[fullJob];

        var results = new List<ProbeResult>(candidates.Count);
        foreach (var c in candidates)
        {
            var accs = c.Jobs.Select(j => accuracy[j]).ToArray();
            double mean = accs.Average();
            double sd = accs.Length > 1 ? Math.Sqrt(accs.Sum(a => (a - mean) * (a - mean)) / (accs.Length - 1)) : 0;
            var perClass = new double[classes.Length];
            foreach (int j in c.Jobs)
            {
                var keptPerClass = new int[classes.Length];
                var mask = jobs[j];
                for (int i = 0; i < n; i++) if (mask[i]) keptPerClass[classOf[i]]++;
                for (int k = 0; k < classes.Length; k++) perClass[k] += (double)keptPerClass[k] / classSize[k] / c.Jobs.Length;
            }
            var dict = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int k = 0; k < classes.Length; k++) dict[classes[k]] = perClass[k];
            results.Add(new ProbeResult
            {
                Keep = c.S,
                BalanceBy = c.B,
                KeepFraction = c.F,
                KeptCount = c.Count,
                TotalCount = n,
                TestAccuracy = mean,
                AccuracyChange = mean - full,
                AccuracyStdDev = sd,
                Trials = c.Jobs.Length,
                Seed = o.Seed,
                ClassKeptFraction = dict,
                // For Random, a class is "dropped" only when every trial dropped it.
                ClassesDropped = perClass.Count(p => p == 0),
                Converged = c.Jobs.All(j => converged[j]),
                Exclude = c.X ? train.ExcludedIssues : Array.Empty<string>(),
            });
        }

        var recommendation = Recommend(results, full, o.Tolerance, test.Count, n);
        return new ProbeReport
        {
            Results = results,
            Recommendation = recommendation,
            FullDataAccuracy = full,
            Trainings = jobs.Count,
            NotConverged = converged.Count(c => !c),
            Seconds = sw.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// The recommendation rule. Walk the fractions from the largest down; at each, take the best
    /// candidate (highest test accuracy; ties go to the row listed first). The recommendation is
    /// the smallest fraction reached before the first fraction whose best candidate scores below
    /// FullDataAccuracy − Tolerance: every fraction from it up must pass, so a lucky score at a
    /// small fraction after a failing larger one is not taken as the answer. If no fraction
    /// below 1 passes, the recommendation is to keep everything (KeepFraction 1).
    /// The chosen row is marked <see cref="ProbeResult.Recommended"/>.
    /// </summary>
    public static PruningRecommendation Recommend(IReadOnlyList<ProbeResult> results, double fullDataAccuracy, double tolerance, int testCount, int totalCount)
    {
        if (results.Count == 0) throw new ArgumentException("No results to recommend from.", nameof(results));
        double threshold = fullDataAccuracy - tolerance - Slack;
        ProbeResult? chosen = null;
        ProbeResult? failed = null;
        foreach (var f in results.Select(r => r.KeepFraction).Distinct().OrderByDescending(f => f))
        {
            ProbeResult? best = null;
            foreach (var r in results)
                if (r.KeepFraction == f && (best is null || r.TestAccuracy > best.TestAccuracy + Slack)) best = r;
            if (best!.TestAccuracy >= threshold) chosen = best;
            else { failed = best; break; }
        }
        foreach (var r in results) r.Recommended = false;

        double se = testCount > 0 ? Math.Sqrt(fullDataAccuracy * (1 - fullDataAccuracy) / testCount) : 0;
        string P(double a) => (100 * a).ToString("0.00", CultureInfo.InvariantCulture) + "%";
        string Pts(double a) => (100 * a).ToString("0.##", CultureInfo.InvariantCulture) + " points";
        string Who(ProbeResult r) => r.Keep + (r.BalanceBy == BalanceBy.None ? "" : $" balanced by {r.BalanceBy}") +
            (r.Exclude.Count > 0 ? $" after excluding {string.Join(", ", r.Exclude)}" : "") +
            (r.Trials > 1 ? $", mean of {r.Trials} seeds" : "");
        string Frac(double f) => (100 * f).ToString("0.#", CultureInfo.InvariantCulture) + "%";
        string noise = testCount > 0 && tolerance < se
            ? $" Note: the tolerance ({Pts(tolerance)}) is smaller than the standard error of the full-data accuracy on {testCount} test records ({Pts(se)}); differences this small are mostly noise, so a larger test set or a larger -Tolerance gives a steadier answer."
            : "";
        string failText = failed is null ? "" : $" Keeping {Frac(failed.KeepFraction)} fell outside it (best: {Who(failed)}, {P(failed.TestAccuracy)}).";

        if (chosen is null || chosen.KeepFraction >= 1)
        {
            var first = chosen ?? results[0];
            if (chosen is not null) chosen.Recommended = true;
            return new PruningRecommendation
            {
                KeepFraction = 1.0,
                Keep = first.Keep,
                BalanceBy = first.BalanceBy,
                Seed = first.Seed,
                KeptCount = totalCount,
                TotalCount = totalCount,
                FullDataAccuracy = fullDataAccuracy,
                Accuracy = fullDataAccuracy,
                Tolerance = tolerance,
                TestCount = testCount,
                StandardError = se,
                Reason = $"Keep all the data: no pruned set measured came within {Pts(tolerance)} of the full-data test accuracy {P(fullDataAccuracy)}.{failText}{noise}",
                Results = results,
            };
        }

        chosen.Recommended = true;
        var runnersUp = results.Where(r => r.KeepFraction == chosen.KeepFraction && !ReferenceEquals(r, chosen))
            .OrderByDescending(r => r.TestAccuracy).Take(2).Select(r => $"{Who(r)} {P(r.TestAccuracy)}").ToArray();
        string reason =
            $"Keeping {Frac(chosen.KeepFraction)} ({chosen.KeptCount} of {totalCount} records) with {Who(chosen)} scored {P(chosen.TestAccuracy)} on {testCount} test records, " +
            $"within {Pts(tolerance)} of the full-data accuracy {P(fullDataAccuracy)}, and every larger fraction measured stayed within it too." +
            (failed is null ? " It is the smallest fraction measured." : failText) +
            (runnersUp.Length > 0 ? $" At {Frac(chosen.KeepFraction)} the next best were {string.Join("; ", runnersUp)}." : "") + noise;
        return new PruningRecommendation
        {
            KeepFraction = chosen.KeepFraction,
            Keep = chosen.Keep,
            BalanceBy = chosen.BalanceBy,
            Exclude = chosen.Exclude,
            Seed = chosen.Seed,
            KeptCount = chosen.KeptCount,
            TotalCount = totalCount,
            FullDataAccuracy = fullDataAccuracy,
            Accuracy = chosen.TestAccuracy,
            Tolerance = tolerance,
            TestCount = testCount,
            StandardError = se,
            Reason = reason,
            Results = results,
        };
    }

    /// <summary>
    /// Hard and Easy are fixed by the distances; every other strategy (Random, and any sampling
    /// strategy QuotaSelector adds) draws with a seed, so it is averaged over trials.
    /// </summary>
    public static bool IsSeeded(KeepStrategy s) => s is not (KeepStrategy.Hard or KeepStrategy.Easy);

    /// <summary>Test labels no training row has, in ordinal order, and how many test rows carry them.</summary>
    public static IReadOnlyList<string> UnseenLabels(IReadOnlyList<string> trainLabels, IReadOnlyList<string> testLabels, out int records)
    {
        var known = new HashSet<string>(trainLabels, StringComparer.Ordinal);
        var unseen = new SortedSet<string>(StringComparer.Ordinal);
        records = 0;
        foreach (var l in testLabels)
            if (!known.Contains(l)) { unseen.Add(l); records++; }
        return unseen.ToArray();
    }

    private static (float[] X, string[] Labels) Subset(ProbeData train, bool[] mask, int count)
    {
        int d = train.Dimension;
        if (count == train.Count) return (train.Vectors, train.Labels.ToArray());
        var x = PruneCmdlets.Numerics.LargeArray.Allocate((long)count * d);
        var labels = new string[count];
        int row = 0;
        for (int i = 0; i < train.Count; i++)
        {
            if (!mask[i]) continue;
            Array.Copy(train.Vectors, (long)i * d, x, (long)row * d, d);
            labels[row++] = train.Labels[i];
        }
        return (x, labels);
    }

    private static string MaskKey(bool[] mask)
    {
        var bytes = new byte[(mask.Length + 7) / 8];
        for (int i = 0; i < mask.Length; i++) if (mask[i]) bytes[i >> 3] |= (byte)(1 << (i & 7));
        return Convert.ToBase64String(bytes);
    }

    /// <summary>The selection input for the listed rows only.</summary>
    private static SelectionInput Restrict(SelectionInput input, int[] rows, int excluded) => new(rows.Length)
    {
        Excluded = excluded,
        Distances = input.Distances is { } d ? rows.Select(i => d[i]).ToArray() : null,
        Labels = input.Labels is { } l ? rows.Select(i => l[i]).ToArray() : null,
        Clusters = input.Clusters is { } c ? rows.Select(i => c[i]).ToArray() : null,
        Model = input.Model,
        Vectors = input.Vectors is { } v ? rows.Select(i => v[i]).ToList() : null,
    };

    private static string Describe(List<(double F, KeepStrategy S, BalanceBy B, bool X, int Count, int[] Jobs)> candidates, int job, int fullJob)
    {
        if (job == fullJob) return "all records (baseline)";
        foreach (var c in candidates)
        {
            int t = Array.IndexOf(c.Jobs, job);
            if (t < 0) continue;
            return $"{c.S}" + (c.B == BalanceBy.None ? "" : $" by {c.B}") + (c.X ? ", excluding flagged records" : "") + $", keep {c.F.ToString("0.###", CultureInfo.InvariantCulture)}" +
                (c.Jobs.Length > 1 ? $", trial {t + 1}/{c.Jobs.Length}" : "");
        }
        return "";
    }
}

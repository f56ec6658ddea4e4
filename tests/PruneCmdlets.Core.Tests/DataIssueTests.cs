using PruneCmdlets.Clustering;
using PruneCmdlets.Dedup;
using PruneCmdlets.Issues;
using PruneCmdlets.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class DataIssueTests
{
    private static float[] Unit(float[] x, int n, int d)
    {
        var u = (float[])x.Clone();
        VectorMath.NormalizeRows(u, n, d);
        return u;
    }

    private static double Cosine(float[] x, int d, int a, int b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int j = 0; j < d; j++) { dot += (double)x[a * d + j] * x[b * d + j]; na += (double)x[a * d + j] * x[a * d + j]; nb += (double)x[b * d + j] * x[b * d + j]; }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>The indices of the records flagged with <paramref name="issue"/>, in input order.</summary>
    private static int[] Flagged(RecordIssues[] records, string issue) => Enumerable.Range(0, records.Length).Where(i => records[i].Issues.Contains(issue)).ToArray();

    // ---- exact neighbours ----------------------------------------------------------------------

    [Theory]
    [InlineData(257, 37, 5)]
    [InlineData(8300, 3, 3)]   // more rows than one packed batch of columns
    [InlineData(4, 6, 10)]     // fewer rows than k: the rest stays empty
    public void NeighborGraph_FindsTheBruteForceNeighbours(int n, int d, int k)
    {
        var x = TestData.Gaussian(n, d, seed: n + d);
        var g = NeighborGraph.Within(Unit(x, n, d), n, d, k);
        var rows = n > 1000 ? new[] { 0, 1, 95, 96, 4097, 8191, 8192, n - 1 } : Enumerable.Range(0, n).ToArray();
        foreach (int i in rows)
        {
            var truth = Enumerable.Range(0, n).Where(j => j != i).Select(j => (J: j, S: Cosine(x, d, i, j))).OrderByDescending(t => t.S).ThenBy(t => t.J).ToArray();
            int found = Math.Min(k, n - 1);
            for (int t = 0; t < k; t++)
            {
                long at = (long)i * k + t;
                if (t >= found) { Assert.Equal(-1, g.Index[at]); Assert.True(double.IsNaN(g.Similarity[at])); continue; }
                Assert.NotEqual(i, g.Index[at]);
                // The t-th neighbour's similarity is the t-th best of all pairs (to float rounding), and its own figure is exact.
                Assert.Equal(truth[t].S, g.Similarity[at], 5);
                Assert.Equal(Cosine(x, d, i, g.Index[at]), g.Similarity[at], 5);
                if (t > 0) Assert.True(g.Similarity[at] <= g.Similarity[at - 1]);
            }
        }
    }

    [Fact]
    public void TopDots_SameOnEveryThreadCountAndInstructionSet()
    {
        int n = 700, d = 45, k = 7;
        var u = Unit(TestData.Gaussian(n, d, seed: 3), n, d);
        // Duplicated rows make exact ties, which must go to the lower index everywhere.
        Array.Copy(u, 10 * d, u, 20 * d, d);
        Array.Copy(u, 10 * d, u, 30 * d, d);
        var reference = DistanceKernel.TopDots(u, n, u, n, d, k, 0, maxThreads: 1, isa: DistanceKernel.Isa.Scalar);
        foreach (var isa in new[] { DistanceKernel.Isa.Auto, DistanceKernel.Isa.Avx2, DistanceKernel.Isa.Scalar })
            foreach (int threads in new[] { 1, 3 })
            {
                if (isa == DistanceKernel.Isa.Avx2 && !System.Runtime.Intrinsics.X86.Fma.IsSupported) continue;
                var r = DistanceKernel.TopDots(u, n, u, n, d, k, 0, maxThreads: threads, isa: isa);
                Assert.Equal(reference.Index, r.Index);
                Assert.Equal(reference.Dot, r.Dot);
            }
        Assert.Equal(20, reference.Index[10 * k]);  // row 10's best are its two copies, lower index first
        Assert.Equal(30, reference.Index[10 * k + 1]);
        Assert.Equal(10, reference.Index[30 * k]);
    }

    [Fact]
    public void ClusteredSearch_ProbingEveryList_IsTheExactSearch_AndFewProbesMissLittle()
    {
        // Blobs, as embeddings of a few kinds of thing are.
        int n = 1500, d = 16, k = 5;
        var centres = TestData.Gaussian(20, d, seed: 31, scale: 3.0);
        var noise = TestData.Gaussian(n, d, seed: 32);
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i * d + j] = centres[(i % 20) * d + j] + noise[i * d + j];
        var u = Unit(x, n, d);
        var exact = NeighborGraph.Within(u, n, d, k);
        var all = NeighborGraph.Clustered(u, n, d, k, lists: 12, probes: 12, seed: 1);
        Assert.Equal(exact.Index, all.Index);
        Assert.Equal(exact.Similarity, all.Similarity);
        Assert.Equal(all.Index, NeighborGraph.Clustered(u, n, d, k, lists: 12, probes: 12, seed: 1, maxThreads: 1).Index);
        var few = NeighborGraph.Clustered(u, n, d, k, lists: 40, probes: 3, seed: 1);
        int found = 0;
        for (int i = 0; i < n; i++)
            for (int t = 0; t < k; t++)
                if (Enumerable.Range(0, k).Any(s => exact.Index[i * k + s] == few.Index[i * k + t])) found++;
        double recall = (double)found / (n * k);
        Assert.InRange(recall, 0.9, 1.0);
        Assert.NotNull(few.ListOf);
        Assert.StartsWith("clustered: 40 k-means lists", few.Method);
    }

    // ---- confident learning --------------------------------------------------------------------

    [Fact]
    public void ConfidentLearning_FlagsWhereAnotherClassClearsItsThreshold()
    {
        // Hand computed: t0 = (0.9 + 0.8 + 0.2)/3 = 0.6333, t1 = (0.9 + 0.7 + 0.4)/3 = 0.6667.
        double[] p = { 0.9, 0.1, 0.8, 0.2, 0.2, 0.8, 0.1, 0.9, 0.3, 0.7, 0.6, 0.4 };
        int[] given = { 0, 0, 0, 1, 1, 1 };
        var r = LabelIssueFinder.ConfidentLearning(p, given, new[] { "a", "b" }, LabelClassifier.Probe, 5);
        Assert.Equal(1.9 / 3, r.Thresholds[0], 12);
        Assert.Equal(2.0 / 3, r.Thresholds[1], 12);
        // Record 2 (labelled a, p(b) 0.8 ≥ 0.667) is the one issue; record 5 (labelled b, p(a) 0.6 < 0.633) clears no threshold,
        // so it is neither counted nor flagged, though its most probable class is not its label.
        Assert.Equal(new[] { false, false, true, false, false, false }, r.Issue);
        Assert.Equal(new long[] { 2, 1, 0, 2 }, r.ConfidentJoint);
        Assert.Equal(new[] { 0, 0, 1, 1, 1, 0 }, r.Suggested);
        Assert.Equal(new[] { 0.9, 0.8, 0.2, 0.9, 0.7, 0.4 }, r.Quality);
        Assert.Equal(4.0 / 6, r.CrossValidatedAccuracy, 12);
    }

    [Fact]
    public void StratifiedFolds_SpreadEveryClassOverEveryFold()
    {
        var given = Enumerable.Range(0, 103).Select(i => i % 7 == 0 ? 1 : i % 3 == 0 ? 2 : 0).ToArray();
        var fold = LabelIssueFinder.StratifiedFolds(given, 3, 5, seed: 11);
        for (int c = 0; c < 3; c++)
        {
            var sizes = Enumerable.Range(0, 5).Select(f => Enumerable.Range(0, given.Length).Count(i => given[i] == c && fold[i] == f)).ToArray();
            Assert.True(sizes.Max() - sizes.Min() <= 1, $"class {c}: {string.Join(",", sizes)}");
        }
        var sizesAll = Enumerable.Range(0, 5).Select(f => fold.Count(x => x == f)).ToArray();
        Assert.True(sizesAll.Max() - sizesAll.Min() <= 1);
        Assert.Equal(fold, LabelIssueFinder.StratifiedFolds(given, 3, 5, seed: 11));
        Assert.NotEqual(fold, LabelIssueFinder.StratifiedFolds(given, 3, 5, seed: 12));
    }

    /// <summary>Five Gaussian classes in 16 dimensions, 80 each, with 4 labels of every class moved to the next class.</summary>
    private static (DataIssueInput Input, HashSet<int> Flipped) NoisyClasses()
    {
        int perClass = 80, classes = 5, d = 16, n = perClass * classes;
        var rng = new Random(5);
        var centres = TestData.Gaussian(classes, d, seed: 9, scale: 3.0);
        var vectors = new List<ReadOnlyMemory<float>>();
        var labels = new List<string?>();
        var flipped = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            int c = i % classes;
            var v = new float[d];
            for (int j = 0; j < d; j++) v[j] = centres[c * d + j] + (float)TestData.NextGaussian(rng);
            vectors.Add(v);
            bool flip = i / classes % 20 == 3; // 4 records of every class
            if (flip) flipped.Add(i);
            labels.Add("class" + (flip ? (c + 1) % classes : c));
        }
        return (new DataIssueInput { Vectors = vectors, Ids = Enumerable.Range(0, n).Select(i => "r" + i).ToList(), Labels = labels }, flipped);
    }

    [Theory]
    [InlineData(LabelClassifier.Probe)]
    [InlineData(LabelClassifier.Neighbors)]
    [InlineData(LabelClassifier.Both)]
    public void LabelCheck_FindsFlippedLabels(LabelClassifier classifier)
    {
        var (input, flipped) = NoisyClasses();
        var options = new DataIssueOptions { Checks = DataCheck.Label, Classifier = classifier, Seed = 1 };
        var (records, summary) = DataIssueFinder.Run(input, options);
        var flagged = Flagged(records, "LabelError").ToHashSet();
        int hits = flagged.Count(flipped.Contains);
        Assert.True(hits >= 0.8 * flipped.Count, $"recall {hits}/{flipped.Count}"); // the neighbours vote in tenths: a 0.9 may fall just short of a threshold
        Assert.True(hits >= 0.8 * flagged.Count, $"precision {hits}/{flagged.Count}");
        foreach (int i in flipped.Where(flagged.Contains))
        {
            // The suggestion is the record's true class, and its own label scores low.
            Assert.Equal("class" + i % 5, records[i].SuggestedLabel);
            Assert.True(records[i].LabelQuality < 0.5);
            Assert.StartsWith($"label error: labelled '{input.Labels![i]}'", records[i].Reason);
        }
        Assert.Equal(flagged.Count, summary.Counts["LabelError"]);
        Assert.Equal(flagged.Count, summary.NoiseMatrix.Where(c => c.Given != c.Suggested).Sum(c => c.Count));
        // 5% of labels are wrong: both fit figures sit near 0.95, far from a random 0.2.
        Assert.InRange(summary.CrossValidatedAccuracy!.Value, 0.85, 0.97);
        Assert.InRange(summary.NeighborAgreement!.Value, 0.8, 0.97);
        Assert.Null(summary.FitWarning);
    }

    [Fact]
    public void Both_IsTheMeanOfTheProbeAndTheNeighbours_EntryByEntry()
    {
        var (input, _) = NoisyClasses();
        LabelCheckResult Probabilities(LabelClassifier c)
        {
            var (records, summary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Label, Classifier = c, Seed = 2 });
            Assert.Equal(c, summary.Classifier);
            return new LabelCheckResult
            {
                Classes = summary.Classes.ToArray(), Probabilities = Array.Empty<double>(), Given = Array.Empty<int>(), Quality = records.Select(r => r.LabelQuality!.Value).ToArray(),
                Suggested = Array.Empty<int>(), Issue = Array.Empty<bool>(), Thresholds = summary.ClassThresholds.ToArray(), ConfidentJoint = Array.Empty<long>(),
            };
        }
        var probe = Probabilities(LabelClassifier.Probe);
        var neighbours = Probabilities(LabelClassifier.Neighbors);
        var both = Probabilities(LabelClassifier.Both);
        for (int i = 0; i < both.Quality.Length; i++) Assert.Equal((probe.Quality[i] + neighbours.Quality[i]) / 2, both.Quality[i]);
        // The thresholds are means over the same records, so they average too (to rounding).
        for (int c = 0; c < both.Thresholds.Length; c++) Assert.Equal((probe.Thresholds[c] + neighbours.Thresholds[c]) / 2, both.Thresholds[c], 12);

        var into = new[] { 0.25, 0.75, 1.0, 0.0 };
        LabelIssueFinder.Average(into, new[] { 0.5, 0.5, 0.5, 0.5 });
        Assert.Equal(new[] { 0.375, 0.625, 0.75, 0.25 }, into);
        Assert.Throws<ArgumentException>(() => LabelIssueFinder.Average(new double[4], new double[6]));
    }

    [Fact]
    public void LabelCheck_SameOnOneThreadOrMany()
    {
        var (input, _) = NoisyClasses();
        var one = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Label, Classifier = LabelClassifier.Probe, Seed = 3, MaxThreads = 1 }).Records;
        var many = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Label, Classifier = LabelClassifier.Probe, Seed = 3, MaxThreads = 4 }).Records;
        Assert.Equal(one.Select(r => r.LabelQuality), many.Select(r => r.LabelQuality));
        var other = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Label, Classifier = LabelClassifier.Probe, Seed = 4, MaxThreads = 1 }).Records;
        Assert.NotEqual(one.Select(r => r.LabelQuality), other.Select(r => r.LabelQuality)); // the seed draws the folds
    }

    [Fact]
    public void LabelCheck_RefusesWhatItCannotCheck()
    {
        var (input, _) = NoisyClasses();
        var single = new DataIssueInput { Vectors = input.Vectors, Ids = input.Ids, Labels = input.Labels!.Select(_ => (string?)"x").ToList() };
        Assert.Equal("SingleClass", Assert.Throws<DataIssueException>(() => DataIssueFinder.Run(single, new DataIssueOptions { Checks = DataCheck.Label })).ErrorId);
        var labels = input.Labels!.ToList();
        labels[0] = "rare"; labels[1] = "rare";
        var small = new DataIssueInput { Vectors = input.Vectors, Ids = input.Ids, Labels = labels };
        var e = Assert.Throws<DataIssueException>(() => DataIssueFinder.Run(small, new DataIssueOptions { Checks = DataCheck.Label, Classifier = LabelClassifier.Probe, Folds = 3 }));
        Assert.Equal("ClassTooSmall", e.ErrorId);
        Assert.Contains("'rare' has 2 record(s)", e.Message);
        // The neighbour classifier has no folds, so a class of two is fine.
        DataIssueFinder.Run(small, new DataIssueOptions { Checks = DataCheck.Label, Classifier = LabelClassifier.Neighbors });
    }

    // ---- the label model: label errors in shards ------------------------------------------------

    private static DataIssueInput Subset(DataIssueInput input, IEnumerable<int> rows)
    {
        var r = rows.ToArray();
        return new DataIssueInput
        {
            Vectors = r.Select(i => input.Vectors[i]).ToList(), Ids = r.Select(i => input.Ids[i]).ToList(),
            Labels = r.Select(i => input.Labels![i]).ToList(), EmbeddingModel = input.EmbeddingModel,
        };
    }

    /// <summary>A label model fitted on the Id-hash sample (a third of the records), saved to a file and read back.</summary>
    private static (LabelModel Model, int[] Sample, RecordIssues[] FitRecords, string Path) FitOnSample(DataIssueInput input)
    {
        var sample = Enumerable.Range(0, input.Ids.Count).Where(i => PruneCmdlets.Sharding.StableHash.SampleUnit(input.Ids[i]) < 1.0 / 3).ToArray();
        var (fitRecords, _) = DataIssueFinder.Run(Subset(input, sample), new DataIssueOptions { Checks = DataCheck.Label, Classifier = LabelClassifier.Probe, Seed = 7, FitLabelModel = true }, out var fitted);
        Assert.NotNull(fitted);
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"labelmodel-{Guid.NewGuid():N}.json");
        File.WriteAllBytes(path, fitted!.ToJson());
        return (LabelModel.Read(path), sample, fitRecords, path);
    }

    [Fact]
    public void LabelModel_ShardsGetExactlyWhatOneProcessGets()
    {
        var (input, flipped) = NoisyClasses();
        var (model, sample, fitRecords, path) = FitOnSample(input);
        try
        {
            int n = input.Ids.Count;
            Assert.InRange(sample.Length, n / 5, n / 2);
            var options = new DataIssueOptions { Checks = DataCheck.Label, LabelModel = model };
            var (one, oneSummary) = DataIssueFinder.Run(input, options);
            // Three shards by the Id hash, each checked on its own, put back in input order.
            var sharded = new RecordIssues[n];
            long flaggedInShards = 0;
            for (int s = 0; s < 3; s++)
            {
                var rows = Enumerable.Range(0, n).Where(i => PruneCmdlets.Sharding.StableHash.ShardOf(input.Ids[i], 3) == s).ToArray();
                var (records, summary) = DataIssueFinder.Run(Subset(input, rows), new DataIssueOptions { Checks = DataCheck.Label, LabelModel = model, MaxThreads = 1 });
                for (int t = 0; t < rows.Length; t++) sharded[rows[t]] = records[t];
                flaggedInShards += summary.Counts["LabelError"];
                Assert.Equal(model.Checksum, summary.LabelModel);
            }
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(one[i].LabelQuality!.Value), BitConverter.DoubleToInt64Bits(sharded[i].LabelQuality!.Value));
                Assert.Equal(one[i].SuggestedLabel, sharded[i].SuggestedLabel);
                Assert.Equal(one[i].Issues, sharded[i].Issues);
                Assert.Equal(one[i].Reason, sharded[i].Reason);
            }
            Assert.Equal(oneSummary.Counts["LabelError"], flaggedInShards);
            // The sample's records get their cross-validated probabilities, exactly what the fit step gave them (not the probe's in-sample ones).
            for (int t = 0; t < sample.Length; t++)
            {
                Assert.Equal(fitRecords[t].LabelQuality, one[sample[t]].LabelQuality);
                Assert.Equal(fitRecords[t].Issues, one[sample[t]].Issues);
            }
            // And the model finds the flips among the records it never saw, too.
            var outside = Enumerable.Range(0, n).Except(sample).ToArray();
            int hits = outside.Count(i => flipped.Contains(i) && one[i].Issues.Contains("LabelError"));
            int flips = outside.Count(flipped.Contains), flagged = outside.Count(i => one[i].Issues.Contains("LabelError"));
            Assert.True(hits >= 0.8 * flips, $"recall {hits}/{flips}");
            Assert.True(hits >= 0.8 * flagged, $"precision {hits}/{flagged}");
            Assert.Equal(LabelClassifier.Probe, oneSummary.Classifier);
            Assert.Null(oneSummary.NeighborAgreement);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LabelModel_RefusesWhatItCannotJudge()
    {
        var (input, _) = NoisyClasses();
        var (model, sample, _, path) = FitOnSample(input);
        try
        {
            var options = new DataIssueOptions { Checks = DataCheck.Label, LabelModel = model };
            string Error(DataIssueInput i) => Assert.Throws<DataIssueException>(() => DataIssueFinder.Run(i, options)).ErrorId;

            var wide = new DataIssueInput { Vectors = input.Vectors.Select(v => (ReadOnlyMemory<float>)v.ToArray().Append(1f).ToArray()).ToList(), Ids = input.Ids, Labels = input.Labels };
            Assert.Equal("LabelModelDimensionMismatch", Error(wide));
            var labels = input.Labels!.ToList();
            int outsider = Enumerable.Range(0, labels.Count).Except(sample).First();
            labels[outsider] = "class9";
            var e = Assert.Throws<DataIssueException>(() => DataIssueFinder.Run(new DataIssueInput { Vectors = input.Vectors, Ids = input.Ids, Labels = labels }, options));
            Assert.Equal("UnknownLabel", e.ErrorId);
            Assert.Equal(outsider, e.Record);
            labels = input.Labels!.ToList();
            labels[sample[0]] = labels[sample[0]] == "class0" ? "class1" : "class0";
            Assert.Equal("LabelModelRecordChanged", Error(new DataIssueInput { Vectors = input.Vectors, Ids = input.Ids, Labels = labels }));

            // A threshold edited by hand no longer matches the checksum; a file that is not a model, or none, says so.
            string text = File.ReadAllText(path);
            int at = text.IndexOf("\"Thresholds\":[", StringComparison.Ordinal) + "\"Thresholds\":[".Length;
            File.WriteAllText(path, text[..at] + "0.5" + text[text.IndexOfAny(new[] { ',', ']' }, at)..]);
            Assert.Equal("CorruptLabelModel", Assert.Throws<DataIssueException>(() => LabelModel.Read(path)).ErrorId);
            File.WriteAllText(path, "{\"Format\":\"PruneCmdlets.ShardSummary\"}");
            Assert.Equal("CorruptLabelModel", Assert.Throws<DataIssueException>(() => LabelModel.Read(path)).ErrorId);
            File.Delete(path);
            Assert.Equal("LabelModelNotFound", Assert.Throws<DataIssueException>(() => LabelModel.Read(path)).ErrorId);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LabelModel_NamesTheEmbeddingModel_AndRefusesAnother()
    {
        var (input, _) = NoisyClasses();
        var named = new DataIssueInput { Vectors = input.Vectors, Ids = input.Ids, Labels = input.Labels, EmbeddingModel = "resnet18" };
        DataIssueFinder.Run(named, new DataIssueOptions { Checks = DataCheck.Label, Classifier = LabelClassifier.Probe, FitLabelModel = true }, out var fitted);
        Assert.Equal("resnet18", fitted!.EmbeddingModel);
        var other = new DataIssueInput { Vectors = input.Vectors, Ids = input.Ids, Labels = input.Labels, EmbeddingModel = "clip" };
        Assert.Equal("LabelModelModelMismatch", Assert.Throws<DataIssueException>(() => DataIssueFinder.Run(other, new DataIssueOptions { Checks = DataCheck.Label, LabelModel = fitted })).ErrorId);
    }

    // ---- outliers -------------------------------------------------------------------------------

    [Fact]
    public void Quantiles_AsNumpyInterpolates()
    {
        var s = new double[] { 1, 2, 3, 4 };
        Assert.Equal(1.75, DataIssueFinder.Quantile(s, 0.25), 12);
        Assert.Equal(3.25, DataIssueFinder.Quantile(s, 0.75), 12);
        var (t, _) = DataIssueFinder.FitFence(new double[] { 4, 1, 3, 2 }, 3.0);
        Assert.Equal(3.25 + 3 * 1.5, t, 12);
    }

    [Fact]
    public void Outliers_AreTheRecordsFarFromEveryNeighbour()
    {
        int n = 203, d = 8;
        var rng = new Random(2);
        var vectors = new List<ReadOnlyMemory<float>>();
        for (int i = 0; i < n; i++)
        {
            var v = new float[d];
            v[0] = 10;
            for (int j = 1; j < d; j++) v[j] = (float)TestData.NextGaussian(rng);
            if (i is 17 or 99 or 150) { v[0] = -10; v[i % 7 + 1] += 30; } // pointing elsewhere, and apart from each other
            vectors.Add(v);
        }
        var input = new DataIssueInput { Vectors = vectors, Ids = Enumerable.Range(0, n).Select(i => "r" + i).ToList() };
        var (records, summary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Outlier, Neighbors = 5 });
        var flagged = Flagged(records, "Outlier");
        Assert.Equal(new[] { 17, 99, 150 }, flagged);
        // The score is the mean cosine distance to the 5 nearest, by hand for record 17.
        var x = vectors.SelectMany(v => v.ToArray()).ToArray();
        double expected = Enumerable.Range(0, n).Where(j => j != 17).Select(j => 1 - Cosine(x, d, 17, j)).OrderBy(s => s).Take(5).Average();
        Assert.Equal(expected, records[17].OutlierScore!.Value, 6);
        Assert.Contains("above", records[17].Reason);
        // An explicit threshold replaces the fence.
        var strict = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Outlier, Neighbors = 5, OutlierThreshold = 0 }).Records;
        Assert.True(strict.Count(r => r.Issues.Contains("Outlier")) > 150);
        Assert.True(summary.OutlierThreshold < records[17].OutlierScore);
    }

    // ---- duplicates -----------------------------------------------------------------------------

    [Fact]
    public void Duplicates_AreFoundAcrossClusters_AndKeepWhatSemDeDupKeeps()
    {
        int d = 6;
        var rng = new Random(4);
        var vectors = new List<ReadOnlyMemory<float>>();
        for (int i = 0; i < 40; i++) vectors.Add(Enumerable.Range(0, d).Select(_ => (float)TestData.NextGaussian(rng)).ToArray());
        // Rows 3 and 30: a copy in another cluster. Rows 5, 6, 7: near-copies inside one cluster.
        vectors[30] = vectors[3].ToArray();
        vectors[6] = vectors[5].ToArray().Select((v, j) => j == 0 ? v + 0.01f : v).ToArray();
        vectors[7] = vectors[5].ToArray().Select((v, j) => j == 1 ? v - 0.01f : v).ToArray();
        var cluster = Enumerable.Range(0, 40).Select(i => i < 20 ? 0 : 1).ToArray();
        var ids = Enumerable.Range(0, 40).Select(i => $"id{i:D2}").ToList();
        var input = new DataIssueInput { Vectors = vectors, Ids = ids, Clusters = cluster };
        var (records, summary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Duplicate });

        var within = SemanticDeduplicator.Run(vectors, cluster, null, new SemDeDupOptions(), ids: ids);
        Assert.Single(within.Groups); // SemDeDup sees only the group inside cluster 0
        int semKeeper = within.Groups[0].Kept;
        foreach (int m in new[] { 5, 6, 7 })
        {
            Assert.Equal(ids[semKeeper], records[m].DuplicateOf);
            Assert.Equal(m != semKeeper, records[m].Issues.Contains("Duplicate"));
        }
        // The copy across clusters: equal scores are impossible here (different clusters), so exactly one of the two is kept.
        Assert.Equal(records[3].DuplicateOf, records[30].DuplicateOf);
        Assert.Equal(1, new[] { 3, 30 }.Count(i => records[i].Issues.Contains("Duplicate")));
        Assert.Equal(2, summary.DuplicateGroups);
        Assert.Equal(3, summary.Counts["Duplicate"]);
        Assert.Equal(3, Enumerable.Range(0, 40).Count(i => records[i].Issues.Length > 0));
    }

    // ---- leaks ----------------------------------------------------------------------------------

    [Fact]
    public void Leaks_WithoutPixels_AreTheRecordsNearAReferenceRecord()
    {
        int d = 12;
        var rng = new Random(8);
        var reference = Enumerable.Range(0, 30).Select(_ => (ReadOnlyMemory<float>)Enumerable.Range(0, d).Select(_ => (float)TestData.NextGaussian(rng)).ToArray()).ToList();
        var vectors = Enumerable.Range(0, 50).Select(_ => (ReadOnlyMemory<float>)Enumerable.Range(0, d).Select(_ => (float)TestData.NextGaussian(rng)).ToArray()).ToList();
        vectors[4] = reference[11].ToArray().Select(v => v * 2 + 0.01f).ToArray();   // scaled copy: cosine ≈ 1
        vectors[9] = reference[2].ToArray().Select((v, j) => j < 3 ? -v : v).ToArray(); // a different vector: cosine ≈ 0.5
        var input = new DataIssueInput
        {
            Vectors = vectors, Ids = Enumerable.Range(0, 50).Select(i => "train" + i).ToList(),
            Reference = new DataIssueReference { Vectors = reference, Ids = Enumerable.Range(0, 30).Select(i => "test" + i).ToList() },
        };
        var (records, summary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Leak });
        Assert.Equal(new[] { 4 }, Flagged(records, "Leak"));
        Assert.Equal("test11", records[4].LeakOf);
        Assert.True(records[4].LeakSimilarity > 0.999);
        Assert.Null(records[4].LeakPixelSimilarity);
        Assert.Equal(0, summary.LeakPixelChecks);
        var noReference = new DataIssueInput { Vectors = vectors, Ids = input.Ids };
        Assert.Equal("ReferenceRequired", Assert.Throws<DataIssueException>(() => DataIssueFinder.Run(noReference, new DataIssueOptions { Checks = DataCheck.Leak })).ErrorId);
    }

    private static Image<Rgb24> Scene(int seed, int width = 120, int height = 90)
    {
        var rng = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        // A few soft blobs: structure at every scale, like a photo, not noise that resizing erases.
        var blobs = Enumerable.Range(0, 6).Select(_ => (X: rng.NextDouble() * width, Y: rng.NextDouble() * height, R: 8 + rng.NextDouble() * 25, V: rng.Next(60, 255))).ToArray();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double v = 30;
                foreach (var b in blobs) v += b.V * Math.Exp(-((x - b.X) * (x - b.X) + (y - b.Y) * (y - b.Y)) / (2 * b.R * b.R));
                byte g = (byte)Math.Min(255, v);
                image[x, y] = new Rgb24(g, (byte)(g * 0.8), (byte)(255 - g));
            }
        return image;
    }

    [Fact]
    public void PixelSignature_MatchesEditedCopies_AndNotOtherImages()
    {
        var dir = Directory.CreateTempSubdirectory("pixel-signature");
        try
        {
            string P(string name) => Path.Combine(dir.FullName, name);
            using (var a = Scene(1)) a.SaveAsPng(P("a.png"));
            using (var a = Scene(1))
            {
                // Cropped by 4% on two sides, resized down, brightened, re-encoded as JPEG at quality 60.
                a.Mutate(x => x.Crop(new Rectangle(5, 4, 115, 86)).Resize(70, 52).Brightness(1.25f));
                a.SaveAsJpeg(P("a-copy.jpg"), new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 60 });
            }
            using (var b = Scene(2)) b.SaveAsPng(P("b.png"));
            var sa = PixelSignature.FromFile(P("a.png"));
            double copy = sa.Similarity(PixelSignature.FromFile(P("a-copy.jpg")));
            double other = sa.Similarity(PixelSignature.FromFile(P("b.png")));
            Assert.True(copy >= LeakOptions.DefaultPixelThreshold, $"copy {copy}");
            Assert.True(other < 0.7, $"other {other}");
            Assert.Equal(1.0, sa.Similarity(sa), 9);
        }
        finally { dir.Delete(true); }
    }

    /// <summary>A small picture with structure at a few scales (Scene saturates at this size): a sum of seeded waves.</summary>
    private static Image<Rgb24> SmallScene(int seed, int size)
    {
        var rng = new Random(seed);
        var waves = Enumerable.Range(0, 4).Select(_ => (Fx: rng.NextDouble() * 0.5, Fy: rng.NextDouble() * 0.5, Phase: rng.NextDouble() * 6.28, A: 20 + rng.NextDouble() * 30)).ToArray();
        var image = new Image<Rgb24>(size, size);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                // Frequencies in cycles per 28 pixels, so a larger size draws the same picture finer.
                double u = x * 28.0 / size, v = y * 28.0 / size, g = 128;
                foreach (var w in waves) g += w.A * Math.Sin(w.Fx * u + w.Fy * v * 1.3 + w.Phase) * Math.Cos(w.Fy * u - w.Fx * v + w.Phase);
                byte b = (byte)Math.Clamp(g, 0, 255);
                image[x, y] = new Rgb24(b, b, (byte)(255 - b));
            }
        return image;
    }

    /// <summary>A copy as a leak between splits of small images looks: 1 pixel cropped from each side, enlarged, darkened, JPEG at quality 60.</summary>
    private static void SaveSmallCopy(Image<Rgb24> source, string path, int size)
    {
        using var copy = source.Clone(x => x.Crop(new Rectangle(1, 1, source.Width - 2, source.Height - 2)).Resize(size, size).Brightness(0.9f));
        copy.SaveAsJpeg(path, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 60 });
    }

    [Fact]
    public void PixelSignature_OfASmallImage_MatchesItsEnlargedJpegCopy_TheSameBothWays()
    {
        var dir = Directory.CreateTempSubdirectory("pixel-small");
        try
        {
            string P(string name) => Path.Combine(dir.FullName, name);
            using (var a = SmallScene(3, 28))
            {
                a.SaveAsPng(P("a.png"));
                SaveSmallCopy(a, P("a-copy.jpg"), 84);
            }
            using (var b = SmallScene(4, 28)) b.SaveAsPng(P("b.png"));
            var sa = PixelSignature.FromFile(P("a.png"));
            var copy = PixelSignature.FromFile(P("a-copy.jpg"));
            Assert.True(sa.IsSmall);
            Assert.False(copy.IsSmall);
            // A box filter blocks the 28-pixel image up to 32 and averages the 54-pixel copy down: they then disagree.
            Assert.True(sa.Similarity(copy) >= LeakOptions.DefaultPixelThreshold, $"copy {sa.Similarity(copy)}");
            Assert.True(sa.Similarity(PixelSignature.FromFile(P("b.png"))) < 0.9);
            // Exact integer sums and both pairings of whole and cropped grids: the same bits either way round.
            Assert.Equal(sa.Similarity(copy), copy.Similarity(sa));
        }
        finally { dir.Delete(true); }
    }

    /// <summary>Pearson correlation written plainly: every overlapping pixel pair, in double.</summary>
    private static double PlainCorrelation(byte[] a, byte[] b, int dx, int dy)
    {
        const int size = PixelSignature.Size;
        var xs = new List<double>();
        var ys = new List<double>();
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                if (x - dx is >= 0 and < size && y - dy is >= 0 and < size) { xs.Add(a[y * size + x]); ys.Add(b[(y - dy) * size + x - dx]); }
        double mx = xs.Average(), my = ys.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < xs.Count; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) * (xs[i] - mx); syy += (ys[i] - my) * (ys[i] - my); }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    [Fact]
    public void PixelSignature_Similarity_IsThePlainBestCorrelation_OverShiftsAndCrops()
    {
        var dir = Directory.CreateTempSubdirectory("pixel-plain");
        try
        {
            string P(string name) => Path.Combine(dir.FullName, name);
            using (var a = SmallScene(5, 28)) { a.SaveAsPng(P("a.png")); SaveSmallCopy(a, P("copy.jpg"), 40); }
            using (var b = Scene(6, 90, 70)) b.SaveAsPng(P("b.png"));
            var sigs = new[] { "a.png", "copy.jpg", "b.png" }.Select(f => PixelSignature.FromFile(P(f))).ToArray();
            foreach (var s in sigs)
                foreach (var t in sigs)
                {
                    double expected = double.NegativeInfinity;
                    for (int c = 0; c < 4; c++)
                        for (int dy = -PixelSignature.MaxShift; dy <= PixelSignature.MaxShift; dy++)
                            for (int dx = -PixelSignature.MaxShift; dx <= PixelSignature.MaxShift; dx++)
                            {
                                expected = Math.Max(expected, PlainCorrelation(s.Grid(0), t.Grid(c), dx, dy));
                                expected = Math.Max(expected, PlainCorrelation(s.Grid(c), t.Grid(0), dx, dy));
                            }
                    Assert.Equal(expected, s.Similarity(t), 10);
                }
        }
        finally { dir.Delete(true); }
    }

    /// <summary>Reference images r0..r5 and records t0..t5, with vectors chosen to disagree with the pixels where the test needs it.</summary>
    private static DataIssueInput LeakFixture(string dir, int size)
    {
        string P(string name) => Path.Combine(dir, name);
        int d = 8;
        var rng = new Random(12);
        float[] Random() => Enumerable.Range(0, d).Select(_ => (float)TestData.NextGaussian(rng)).ToArray();
        var reference = Enumerable.Range(0, 6).Select(_ => Random()).ToArray();
        var vectors = Enumerable.Range(0, 6).Select(_ => Random()).ToArray();
        for (int j = 0; j < 6; j++) using (var r = SmallScene(300 + j, size)) r.SaveAsPng(P($"r{j}.png"));
        for (int i = 0; i < 6; i++) using (var t = SmallScene(400 + i, size)) t.SaveAsPng(P($"t{i}.png"));
        // t0: another picture whose embedding is r1's exactly. t3: r3's pixels with an embedding pointing away from r3's.
        vectors[0] = (float[])reference[1].Clone();
        using (var r3 = Image.Load<Rgb24>(P("r3.png"))) SaveSmallCopy(r3, P("t3.jpg"), 2 * size);
        vectors[3] = reference[3].Select(v => -v).ToArray();
        var ids = Enumerable.Range(0, 6).Select(i => i == 3 ? P("t3.jpg") : P($"t{i}.png")).ToList();
        return new DataIssueInput
        {
            Vectors = vectors.Select(v => (ReadOnlyMemory<float>)v).ToList(), Ids = ids, Paths = ids,
            Reference = new DataIssueReference
            {
                Vectors = reference.Select(v => (ReadOnlyMemory<float>)v).ToList(),
                Ids = Enumerable.Range(0, 6).Select(j => $"r{j}").ToList(), Paths = Enumerable.Range(0, 6).Select(j => (string?)P($"r{j}.png")).ToList(),
            },
        };
    }

    [Fact]
    public void Leaks_AmongSmallImages_AreDecidedByThePixels_AndFoundByTheThumbnails()
    {
        var dir = Directory.CreateTempSubdirectory("leak-small");
        try
        {
            var input = LeakFixture(dir.FullName, 28);
            var (records, summary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Leak });
            Assert.Equal(PixelComparison.Auto, summary.LeakPixelScope);
            // t3 is r3's copy though its embedding points away (cosine −1, no embedding candidate): the thumbnails shortlisted it.
            Assert.Equal(new[] { 3 }, Flagged(records, "Leak"));
            Assert.Equal("r3", records[3].LeakOf);
            Assert.True(records[3].LeakPixelSimilarity >= LeakOptions.DefaultPixelThreshold);
            Assert.Equal(-1.0, records[3].LeakSimilarity!.Value, 6);
            // t0's embedding equals r1's, but the pixels say another picture: not a leak.
            Assert.Null(records[0].LeakOf);
            Assert.True(summary.LeakPixelChecks > 0);

            // With the pixels off, the embedding decides: t0 is r1's "copy", t3 nobody's.
            var (never, neverSummary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Leak, Leak = new LeakOptions { Pixels = PixelComparison.Never } });
            Assert.Equal(new[] { 0 }, Flagged(never, "Leak"));
            Assert.Equal("r1", never[0].LeakOf);
            Assert.Null(neverSummary.LeakPixelScope);
            Assert.Equal(0, neverSummary.LeakPixelChecks);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Leaks_AmongLargeImages_GoByTheEmbedding_UnlessEveryPairIsPixelCompared()
    {
        var dir = Directory.CreateTempSubdirectory("leak-large");
        try
        {
            var input = LeakFixture(dir.FullName, 96);
            // Auto: no small image, so nothing is decoded and the embedding decides (t0 as r1's copy).
            var (auto, autoSummary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Leak });
            Assert.Null(autoSummary.LeakPixelScope);
            Assert.Equal(0, autoSummary.LeakPixelChecks);
            Assert.Equal(new[] { 0 }, Flagged(auto, "Leak"));
            // Always: t0's pixels disagree with r1's, so the embedding alone does not make it a copy; t3's match r3's.
            var (always, alwaysSummary) = DataIssueFinder.Run(input, new DataIssueOptions { Checks = DataCheck.Leak, Leak = new LeakOptions { Pixels = PixelComparison.Always } });
            Assert.Equal(PixelComparison.Always, alwaysSummary.LeakPixelScope);
            Assert.Equal(new[] { 3 }, Flagged(always, "Leak"));
            Assert.Equal("r3", always[3].LeakOf);
        }
        finally { dir.Delete(true); }
    }
}

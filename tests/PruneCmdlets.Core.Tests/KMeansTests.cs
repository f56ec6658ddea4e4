using PruneCmdlets.Clustering;
using PruneCmdlets.Numerics;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class KMeansTests
{
    /// <summary>Three tight Gaussian blobs far apart, rows interleaved so no blob is contiguous.</summary>
    private static (float[] x, int[] truth) Blobs(int perBlob, int d, int seed, float[][] centers, double sigma = 1.0)
    {
        var rng = new Random(seed);
        int b = centers.Length, n = perBlob * b;
        var x = new float[n * d];
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            int blob = (i * 7 + i / b) % b;
            truth[i] = blob;
            for (int j = 0; j < d; j++) x[i * d + j] = (float)(centers[blob][j] + sigma * TestData.NextGaussian(rng));
        }
        return (x, truth);
    }

    private static void AssertSamePartition(int[] truth, int[] got)
    {
        Assert.Equal(truth.Length, got.Length);
        var map = new Dictionary<int, int>();
        var back = new Dictionary<int, int>();
        for (int i = 0; i < truth.Length; i++)
        {
            if (map.TryGetValue(truth[i], out int m)) Assert.Equal(m, got[i]); else map[truth[i]] = got[i];
            if (back.TryGetValue(got[i], out int t)) Assert.Equal(t, truth[i]); else back[got[i]] = truth[i];
        }
    }

    private static int[] BruteNearest(float[] x, int n, int d, float[][] centroids)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++)
        {
            double best = double.PositiveInfinity;
            for (int c = 0; c < centroids.Length; c++)
            {
                double s = TestData.SqDist(x.AsSpan(i * d, d), centroids[c]);
                if (s < best) { best = s; a[i] = c; }
            }
        }
        return a;
    }

    [Theory]
    [InlineData(KMeansInit.KMeansPlusPlus, 1L)]
    [InlineData(KMeansInit.KMeansPlusPlus, 42L)]
    [InlineData(KMeansInit.Random, 5L)]
    public void Euclidean_ThreeSeparatedBlobs_RecoveredExactly(KMeansInit init, long seed)
    {
        const int d = 5;
        var centers = new[] { new float[] { 0, 0, 0, 0, 0 }, new float[] { 60, 0, 0, 0, 0 }, new float[] { 0, 0, 60, 60, 0 } };
        var (x, truth) = Blobs(100, d, 123, centers);
        var opts = new KMeansOptions { K = 3, Metric = DistanceMetric.Euclidean, Init = init, Seed = seed, NInit = init == KMeansInit.Random ? 30 : 1 };
        var (model, assign) = KMeansTrainer.FitAndAssign(x, 300, d, opts);
        AssertSamePartition(truth, assign);
        Assert.Equal(new[] { 100, 100, 100 }, model.ClusterSizes);
        // Each centroid sits near its blob centre.
        foreach (var c in model.Centroids)
            Assert.Contains(centers, ctr => TestData.SqDist(c, ctr) < 1.0);
    }

    [Fact]
    public void Cosine_ThreeDirectionBlobs_RecoveredExactly()
    {
        const int d = 4;
        // Directions far apart, radii varying wildly: cosine must ignore the length.
        var dirs = new[] { new float[] { 1, 0, 0, 0 }, new float[] { 0, 1, 0, 0 }, new float[] { 0, 0, 0.7f, 0.7f } };
        var rng = new Random(9);
        int n = 240;
        var rows = new List<float[]>();
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            int b = i % 3; truth[i] = b;
            double r = 0.1 + 50 * rng.NextDouble();
            rows.Add(dirs[b].Select(v => (float)(r * (v + 0.05 * TestData.NextGaussian(rng)))).ToArray());
        }
        var m = EmbeddingMatrix.Build(rows, DistanceMetric.Cosine, out var zero);
        Assert.Empty(zero);
        var (model, assign) = KMeansTrainer.FitAndAssign(m.Data, n, d, new KMeansOptions { K = 3, Metric = DistanceMetric.Cosine, Seed = 3 });
        AssertSamePartition(truth, assign);
        foreach (var c in model.Centroids)
            Assert.Equal(1.0, Math.Sqrt(TestData.SqDist(c, new float[d])), 5);
    }

    [Fact]
    public void K1_Euclidean_CentroidIsTheMean()
    {
        const int n = 257, d = 9;
        var x = TestData.Gaussian(n, d, seed: 5, scale: 3);
        for (int i = 0; i < n; i++) x[i * d] += 10; // non-zero mean
        var model = KMeansTrainer.Fit(x, n, d, new KMeansOptions { K = 1, Metric = DistanceMetric.Euclidean, Seed = 1 });
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        var c = model.Centroids[0];
        for (int j = 0; j < d; j++) Assert.Equal(mean[j], c[j], 5);
        double inertia = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) { double t = x[i * d + j] - (double)c[j]; inertia += t * t; }
        Assert.Equal(inertia, model.Inertia, 6);
        Assert.Equal(new[] { n }, model.ClusterSizes);
    }

    [Fact]
    public void K1_Cosine_CentroidIsTheNormalisedMean()
    {
        const int n = 100, d = 6;
        var raw = TestData.Gaussian(n, d, seed: 6);
        for (int i = 0; i < n; i++) raw[i * d + 1] += 2;
        var m = EmbeddingMatrix.Build(TestData.Rows(raw, n, d), DistanceMetric.Cosine, out _);
        var model = KMeansTrainer.Fit(m.Data, n, d, new KMeansOptions { K = 1, Metric = DistanceMetric.Cosine, Seed = 1 });
        // Independent: mean of the unit vectors (normalised in double), then normalised.
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            double norm = Math.Sqrt(TestData.SqDist(raw.AsSpan(i * d, d), new float[d]));
            for (int j = 0; j < d; j++) mean[j] += raw[i * d + j] / norm;
        }
        double mn = Math.Sqrt(mean.Sum(v => v * v));
        var c = model.Centroids[0];
        for (int j = 0; j < d; j++) Assert.Equal(mean[j] / mn, c[j], 5);
    }

    [Theory]
    [InlineData(KMeansInit.KMeansPlusPlus)]
    [InlineData(KMeansInit.Random)]
    public void KEqualsN_EveryPointAlone_InertiaZero(KMeansInit init)
    {
        const int n = 7, d = 3;
        var x = TestData.Gaussian(n, d, seed: 8, scale: 10);
        var (model, assign) = KMeansTrainer.FitAndAssign(x, n, d, new KMeansOptions { K = n, Metric = DistanceMetric.Euclidean, Init = init, Seed = 4 });
        Assert.Equal(0.0, model.Inertia);
        Assert.All(model.ClusterSizes, s => Assert.Equal(1, s));
        Assert.Equal(n, assign.Distinct().Count());
        for (int i = 0; i < n; i++)
            Assert.Equal(x.AsSpan(i * d, d).ToArray(), model.Centroids[assign[i]]);
    }

    private static float[] DeterminismData(out int n, out int d)
    {
        n = 3001; d = 12;
        return TestData.Gaussian(n, d, seed: 77, scale: 2);
    }

    [Theory]
    [InlineData(DistanceMetric.Euclidean, KMeansInit.KMeansPlusPlus)]
    [InlineData(DistanceMetric.Cosine, KMeansInit.KMeansPlusPlus)]
    [InlineData(DistanceMetric.Euclidean, KMeansInit.Random)]
    public void SameSeed_BitIdentical_AcrossThreadCounts(DistanceMetric metric, KMeansInit init)
    {
        var raw = DeterminismData(out int n, out int d);
        var x = EmbeddingMatrix.Build(TestData.Rows(raw, n, d), metric, out _).Data;
        KMeansModel Fit(int threads) => KMeansTrainer.Fit(x, n, d, new KMeansOptions
        {
            K = 9, Metric = metric, Init = init, Seed = 2024, NInit = 2, MaxThreads = threads, InitSampleSize = 2500,
        });
        var a = Fit(1);
        var b = Fit(-1);
        var c = Fit(1);
        foreach (var other in new[] { b, c })
        {
            Assert.Equal(a.Inertia, other.Inertia);
            Assert.Equal(a.Iterations, other.Iterations);
            Assert.Equal(a.ClusterSizes, other.ClusterSizes);
            for (int k = 0; k < a.K; k++)
                Assert.Equal(a.Centroids[k].Select(BitConverter.SingleToInt32Bits), other.Centroids[k].Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void MaxThreads_OutsideDocumentedValues_IsRejectedUpFrontOrMeansAllCores(int threads)
    {
        // Every other parallel loop treats maxThreads <= 0 as "all cores"; Validate accepts these
        // values, so Fit must either reject them in Validate or give the MaxThreads = -1 result.
        var x = TestData.Gaussian(200, 3, seed: 2);
        var reference = KMeansTrainer.Fit(x, 200, 3, new KMeansOptions { K = 3, Metric = DistanceMetric.Euclidean, Seed = 1, MaxThreads = -1 });
        KMeansModel? model = null;
        var e = Record.Exception(() => model = KMeansTrainer.Fit(x, 200, 3, new KMeansOptions { K = 3, Metric = DistanceMetric.Euclidean, Seed = 1, MaxThreads = threads }));
        if (e is not null)
        {
            var range = Assert.IsType<ArgumentOutOfRangeException>(e);
            Assert.Equal(nameof(KMeansOptions.MaxThreads), range.ParamName);
            return;
        }
        Assert.Equal(reference.Inertia, model!.Inertia);
        Assert.Equal(reference.Centroids, model.Centroids);
    }

    [Fact]
    public void DifferentSeeds_CanGiveDifferentCentroids()
    {
        var x = DeterminismData(out int n, out int d);
        KMeansModel Fit(long seed) => KMeansTrainer.Fit(x, n, d, new KMeansOptions { K = 9, Metric = DistanceMetric.Euclidean, Seed = seed });
        var baseline = Fit(0).Centroids;
        bool differs = false;
        for (long s = 1; s <= 5 && !differs; s++)
        {
            var other = Fit(s).Centroids;
            differs = Enumerable.Range(0, 9).Any(k => !baseline[k].SequenceEqual(other[k]));
        }
        Assert.True(differs, "five other seeds all reproduced seed 0's centroids");
    }

    [Fact]
    public void Validate_RejectsBadOptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KMeansOptions { K = 0 }.Validate(10, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KMeansOptions { K = -3 }.Validate(10, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KMeansOptions { K = 11 }.Validate(10, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KMeansOptions { K = 2, MaxIterations = 0 }.Validate(10, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KMeansOptions { K = 2, Tolerance = double.NaN }.Validate(10, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KMeansOptions { K = 2, Tolerance = -1 }.Validate(10, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KMeansOptions { K = 2, NInit = 0 }.Validate(10, 2));
        Assert.Throws<ArgumentException>(() => new KMeansOptions { K = 1 }.Validate(0, 2));
        Assert.Throws<ArgumentException>(() => new KMeansOptions { K = 1 }.Validate(3, 0));
        new KMeansOptions { K = 10, MaxIterations = 1, Tolerance = 0 }.Validate(10, 2); // boundary values are fine
        // Fit validates before doing any work.
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeansTrainer.Fit(new float[6], 3, 2, new KMeansOptions { K = 4 }));
    }

    [Fact]
    public void ReseedEmpty_GivesFarthestUntakenRecords_LowestIndexOnTies()
    {
        const int n = 5, d = 2;
        float[] x = { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4 };
        int[] sizes = { 2, 0, 3, 0 };
        float[] dist = { 1, 5, 5, 2, 0 };
        var centroids = new float[] { 9, 9, -1, -1, 8, 8, -2, -2 };
        int reseeded = KMeansTrainer.ReseedEmpty(x, n, d, sizes, dist, centroids);
        Assert.Equal(2, reseeded);
        // Cluster 1 ← record 1 (tie with 2 at distance 5, lower index); cluster 3 ← record 2 (1 is taken).
        Assert.Equal(new float[] { 9, 9, 1, 1, 8, 8, 2, 2 }, centroids);
    }

    [Fact]
    public void ReseedEmpty_NoEmptyClusters_ChangesNothing()
    {
        float[] x = { 0, 1, 2 };
        var centroids = new float[] { 5, 6 };
        Assert.Equal(0, KMeansTrainer.ReseedEmpty(x, 3, 1, new[] { 1, 2 }, new float[] { 3, 2, 1 }, centroids));
        Assert.Equal(new float[] { 5, 6 }, centroids);
    }

    [Fact]
    public void UpdateCentroids_CosineMembersCancel_ReportsEmpty()
    {
        // Cluster 0: (1,0) and (−1,0) sum to zero; cluster 1: (0,1),(0.6,0.8) → normalised sum.
        float[] x = { 1, 0, -1, 0, 0, 1, 0.6f, 0.8f };
        var centroids = new float[4];
        var sizes = KMeansTrainer.UpdateCentroids(x, 4, 2, 2, new[] { 0, 0, 1, 1 }, centroids, DistanceMetric.Cosine, -1, default);
        Assert.Equal(new[] { 0, 2 }, sizes);
        double norm = Math.Sqrt(0.6 * 0.6 + 1.8 * 1.8);
        Assert.Equal(0.6 / norm, centroids[2], 6);
        Assert.Equal(1.8 / norm, centroids[3], 6);

        var eu = new float[4];
        var s2 = KMeansTrainer.UpdateCentroids(x, 4, 2, 2, new[] { 0, 0, 1, 1 }, eu, DistanceMetric.Euclidean, 1, default);
        Assert.Equal(new[] { 2, 2 }, s2);
        Assert.Equal(new float[] { 0, 0, 0.3f, 0.9f }, eu);
    }

    [Fact]
    public void DuplicatePoints_ForceReseeding_RecordedInHistory()
    {
        // 37 copies of 0 and three other points: Random init almost surely draws two copies of 0,
        // two identical centroids, so the higher-index one ends up empty and must be re-seeded.
        const int d = 1;
        var x = new float[40];
        for (int i = 0; i < 40; i++) x[i] = i < 37 ? 0f : 10f * (i - 36);
        bool sawReseed = false;
        for (long seed = 0; seed < 20 && !sawReseed; seed++)
        {
            var model = KMeansTrainer.Fit(x, 40, d, new KMeansOptions { K = 4, Metric = DistanceMetric.Euclidean, Init = KMeansInit.Random, Seed = seed, MaxIterations = 5 });
            sawReseed = model.History.Any(h => h.Reseeded > 0);
            if (sawReseed) Assert.Equal(model.ClusterSizes.Sum(), 40);
        }
        Assert.True(sawReseed, "no seed produced an empty cluster");
    }

    [Theory]
    [InlineData(DistanceMetric.Euclidean)]
    [InlineData(DistanceMetric.Cosine)]
    public void Inertia_EqualsIndependentSum_AndAssignmentIsNearest(DistanceMetric metric)
    {
        const int n = 500, d = 7, k = 6;
        var raw = TestData.Gaussian(n, d, seed: 13, scale: 4);
        for (int i = 0; i < n; i++) raw[i * d] += 3;
        var x = EmbeddingMatrix.Build(TestData.Rows(raw, n, d), metric, out _).Data.ToArray();
        var (model, assign) = KMeansTrainer.FitAndAssign(x, n, d, new KMeansOptions { K = k, Metric = metric, Seed = 17 });
        var cents = model.Centroids;

        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            var xi = raw.AsSpan(i * d, d);
            var c = cents[assign[i]];
            if (metric == DistanceMetric.Euclidean) expected += TestData.SqDist(xi, c);
            else
            {
                double dot = 0, nx = 0, nc = 0;
                for (int j = 0; j < d; j++) { dot += (double)xi[j] * c[j]; nx += (double)xi[j] * xi[j]; nc += (double)c[j] * c[j]; }
                expected += 1 - dot / Math.Sqrt(nx * nc);
            }
        }
        double tol = metric == DistanceMetric.Euclidean ? 1e-9 * expected : 1e-6 * n;
        Assert.True(Math.Abs(expected - model.Inertia) <= tol, $"inertia {model.Inertia} vs independent {expected}");

        var brute = BruteNearest(x, n, d, cents);
        int agree = brute.Zip(assign).Count(p => p.First == p.Second);
        Assert.True(agree >= n - 2, $"only {agree}/{n} records are on their brute-force nearest centroid");
        var sizes = new int[k];
        foreach (int a in assign) sizes[a]++;
        Assert.Equal(sizes, model.ClusterSizes);
    }

    [Fact]
    public void History_IsRecorded()
    {
        const int n = 400, d = 2;
        var x = TestData.Gaussian(n, d, seed: 21, scale: 5);
        var model = KMeansTrainer.Fit(x, n, d, new KMeansOptions { K = 5, Metric = DistanceMetric.Euclidean, Seed = 2, Tolerance = 0, MaxIterations = 50 });
        Assert.NotEmpty(model.History);
        Assert.Equal(model.Iterations, model.History.Count);
        Assert.Equal(Enumerable.Range(1, model.History.Count), model.History.Select(h => h.Iteration));
        Assert.Equal(n, model.History[0].Changed); // everything moves from "unassigned"
        Assert.True(model.History.Count >= 2);
        for (int i = 1; i < model.History.Count; i++)
            Assert.True(model.History[i].Objective <= model.History[i - 1].Objective * (1 + 1e-6), "Lloyd's objective went up");
        Assert.All(model.History, h => Assert.True(h.Imbalance >= 1 - 1e-12 && h.Seconds >= 0));
        if (model.Converged) Assert.Equal(0, model.History[^1].Changed);
        Assert.True(model.History[^1].Objective >= model.Inertia * (1 - 1e-5));
    }

    [Fact]
    public void Convergence_WithDefaultTolerance_RunsMoreThanOneIteration()
    {
        // Uniform 2-D data needs many Lloyd iterations: confirm that with Tolerance = 0,
        // then check that the default tolerance (1e-4) does not stop after iteration 1,
        // when the objective has only just been measured once.
        const int n = 1000, d = 2;
        var rng = new Random(4);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var full = KMeansTrainer.Fit(x, n, d, new KMeansOptions { K = 6, Metric = DistanceMetric.Euclidean, Seed = 1, Tolerance = 0, MaxIterations = 300 });
        Assert.True(full.History.Count >= 3);
        Assert.True(full.History[1].Objective < full.History[0].Objective * 0.99, "test data converges too fast to be useful");

        const double tol = 1e-4;
        var model = KMeansTrainer.Fit(x, n, d, new KMeansOptions { K = 6, Metric = DistanceMetric.Euclidean, Seed = 1, Tolerance = tol, MaxIterations = 300 });
        Assert.True(model.History.Count >= 2, $"stopped after {model.History.Count} iteration(s) and reported Converged={model.Converged}");
        var last = model.History[^1];
        var prev = model.History[^2];
        Assert.True(last.Changed == 0 || prev.Objective - last.Objective <= tol * prev.Objective);
        Assert.True(model.Inertia <= full.Inertia * 1.01);
    }

    [Theory]
    [InlineData(DistanceMetric.Euclidean)]
    [InlineData(DistanceMetric.Cosine)]
    public void SaveLoad_RoundTripsExactly(DistanceMetric metric)
    {
        const int n = 300, d = 5;
        var raw = TestData.Gaussian(n, d, seed: 55);
        var x = EmbeddingMatrix.Build(TestData.Rows(raw, n, d), metric, out _).Data;
        var model = KMeansTrainer.Fit(x, n, d, new KMeansOptions { K = 4, Metric = metric, Seed = -987654321012L, Init = KMeansInit.Random });
        using var dir = new TestData.TempDir();
        string path = dir.File("model.json");
        model.Save(path);
        var back = KMeansModel.Load(path);
        Assert.Equal(model.K, back.K);
        Assert.Equal(model.Dimension, back.Dimension);
        Assert.Equal(metric, back.Metric);
        Assert.Equal(KMeansInit.Random, back.Init);
        Assert.Equal(BitConverter.DoubleToInt64Bits(model.Inertia), BitConverter.DoubleToInt64Bits(back.Inertia));
        Assert.Equal(model.Iterations, back.Iterations);
        Assert.Equal(model.Converged, back.Converged);
        Assert.Equal(-987654321012L, back.Seed);
        Assert.Equal(n, back.TrainingCount);
        Assert.Equal(model.ClusterSizes, back.ClusterSizes);
        for (int k = 0; k < model.K; k++)
            Assert.Equal(model.Centroids[k].Select(BitConverter.SingleToInt32Bits), back.Centroids[k].Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void SaveLoad_AwkwardFloatsRoundTripBitwise()
    {
        var c = new[] { float.Epsilon, -0f, 0.1f, float.MaxValue, -float.MinValue / 3, 1f / 3, 16777217f, 1.17549435e-38f };
        var model = new KMeansModel(c, 2, 4, DistanceMetric.Euclidean) { Inertia = 0.1 + 0.2 };
        using var dir = new TestData.TempDir();
        model.Save(dir.File("m.json"));
        var back = KMeansModel.Load(dir.File("m.json"));
        Assert.Equal(c.Select(BitConverter.SingleToInt32Bits), back.Centroids.SelectMany(r => r).Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(0.1 + 0.2, back.Inertia);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{\"Format\":\"SomethingElse\",\"K\":1,\"Dimension\":1,\"Centroids\":[[1]]}")]
    [InlineData("{\"K\":1,\"Dimension\":1,\"Centroids\":[[1]],\"Format\":\"PruneCmdlets.KMeansModel\",\"Metric\":\"Manhattan\"}")]
    [InlineData("{\"Format\":\"PruneCmdlets.KMeansModel\",\"K\":2,\"Dimension\":2,\"Centroids\":[[1,2]]}")]
    [InlineData("{\"Format\":\"PruneCmdlets.KMeansModel\",\"K\":2,\"Dimension\":2,\"Centroids\":[[1,2],[3]]}")]
    [InlineData("{\"Format\":\"PruneCmdlets.KMeansModel\",\"K\":1,\"Dimension\":2,\"Centroids\":[[1,\"x\"]]}")]
    [InlineData("[1,2,3]")]
    public void Load_BadFile_ThrowsInvalidData(string content)
    {
        using var dir = new TestData.TempDir();
        string path = dir.File("bad.json");
        File.WriteAllText(path, content);
        Assert.Throws<InvalidDataException>(() => KMeansModel.Load(path));
    }

    [Theory]
    [InlineData("{\"Format\":\"PruneCmdlets.KMeansModel\",\"K\":1,\"Dimension\":2,\"Centroids\":null}")]
    [InlineData("{\"Format\":\"PruneCmdlets.KMeansModel\",\"K\":1,\"Dimension\":2,\"Centroids\":[null]}")]
    [InlineData("{\"Format\":\"PruneCmdlets.KMeansModel\",\"K\":0,\"Dimension\":0,\"Centroids\":[]}")]
    [InlineData("{\"Format\":\"PruneCmdlets.KMeansModel\",\"K\":1,\"Dimension\":0,\"Centroids\":[[]]}")]
    public void Load_StructurallyInvalidModel_ThrowsInvalidData(string content)
    {
        // Parses as JSON but describes no usable model: must still be reported as a bad file.
        using var dir = new TestData.TempDir();
        string path = dir.File("bad.json");
        File.WriteAllText(path, content);
        Assert.Throws<InvalidDataException>(() => KMeansModel.Load(path));
    }

    [Fact]
    public void Model_Assign_GivesNearestAndMetricDistance()
    {
        // Euclidean: distance is L2 (not squared). Cosine: distance is 1 − cos.
        var eu = new KMeansModel(new float[] { 0, 0, 10, 0 }, 2, 2, DistanceMetric.Euclidean);
        float[] x = { 3, 4, 9, 0, 5, 0 };
        var cl = new int[3]; var dist = new double[3];
        eu.Assign(x, 3, cl, dist);
        Assert.Equal(new[] { 0, 1, 0 }, cl); // (5,0) ties: lower index
        Assert.Equal(new[] { 5.0, 1.0, 5.0 }, dist);

        var cos = new KMeansModel(new float[] { 1, 0, 0, 1 }, 2, 2, DistanceMetric.Cosine);
        float[] u = { 0.6f, 0.8f, 1, 0 };
        cos.Assign(u, 2, cl, dist);
        Assert.Equal(1, cl[0]);
        Assert.Equal(1 - 0.8, dist[0], 6);
        Assert.Equal(0, cl[1]);
        Assert.Equal(0.0, dist[1]);
    }

    [Fact]
    public void Model_RejectsInconsistentCentroids()
    {
        Assert.Throws<ArgumentException>(() => new KMeansModel(new float[5], 2, 3, DistanceMetric.Euclidean));
        Assert.Throws<ArgumentException>(() => new KMeansModel(new float[] { 1, float.NaN }, 1, 2, DistanceMetric.Euclidean));
        Assert.Throws<ArgumentException>(() => new KMeansModel(Array.Empty<float>(), 0, 2, DistanceMetric.Euclidean));
    }
}

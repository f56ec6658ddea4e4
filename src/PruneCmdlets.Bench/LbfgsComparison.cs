// build.ps1 -Task Bench -Only Lbfgs: our L-BFGS (Probing/Lbfgs.cs) against MathNet.Numerics 5.0's
// LimitedMemoryBfgsMinimizer on the same multinomial logistic-regression objective (the one
// Test-PruningStrategy fits), each compared with scikit-learn's lbfgs on the same rows. This is
// the measurement behind docs/lbfgs-mathnet.md: can MathNet's minimiser replace ours?
using System.Diagnostics;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using PruneCmdlets.IO;
using PruneCmdlets.Numerics;
using PruneCmdlets.Probing;

internal static class LbfgsComparison
{
    // The problems, each generated from a seed so both sides (and reruns) see the same rows.
    //  blobs:    K = 10 Gaussian classes in D = 512, centres ~ N(0, 0.1²) per coordinate, unit
    //            noise: classes overlap (test accuracy well below 1), standardised as the probe does.
    //  illcond:  K = 5 in D = 256, same construction, then feature j multiplied by 10^u, u
    //            uniform in [−2, 2], and NOT standardised: a Hessian with condition number ~1e8+.
    //  small:    K = 3, D = 20, N = 600 overlapping blobs, standardised (strictly convex, fast).
    public static void Generate(Dictionary<string, string> o)
    {
        string problem = o["problem"], dir = o["out"];
        var (k, d, n, nTest, spread, illConditioned) = problem switch
        {
            "blobs" => (10, 512, 4000, 2000, 0.1, false),
            "illcond" => (5, 256, 3000, 1500, 0.15, true),
            "small" => (3, 20, 600, 600, 0.35, false),
            _ => throw new ArgumentException($"unknown problem '{problem}' (blobs, illcond, small)"),
        };
        var rng = new DeterministicRandom(long.Parse(o.GetValueOrDefault("seed", "1")));
        double Gauss() { double u = 1 - rng.NextDouble(), v = rng.NextDouble(); return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v); }
        var centres = new double[k * d];
        for (int i = 0; i < centres.Length; i++) centres[i] = spread * Gauss();
        var featureScale = new double[d];
        for (int j = 0; j < d; j++) featureScale[j] = illConditioned ? Math.Pow(10, 4 * rng.NextDouble() - 2) : 1.0;
        (float[] x, float[] y) Draw(int rows)
        {
            var x = new float[rows * d];
            var y = new float[rows];
            for (int i = 0; i < rows; i++)
            {
                int c = rng.NextInt(k);
                y[i] = c;
                for (int j = 0; j < d; j++) x[i * d + j] = (float)((centres[c * d + j] + Gauss()) * featureScale[j]);
            }
            return (x, y);
        }
        var (train, trainY) = Draw(n);
        var (test, testY) = Draw(nTest);
        if (!illConditioned)
        {
            // The probe's own standardisation (training statistics applied to both sets), done
            // once here so scikit-learn and both minimisers see identical float rows.
            var (mean, scale) = LogisticRegression.Statistics(train, n, d, 1);
            foreach (var (rows, count) in new[] { (train, n), (test, nTest) })
                for (int i = 0; i < count; i++)
                    for (int j = 0; j < d; j++) rows[i * d + j] = (float)((rows[i * d + j] - mean[j]) / scale[j]);
        }
        Directory.CreateDirectory(dir);
        Save(Path.Combine(dir, "train-x.npy"), train, n, d);
        Save(Path.Combine(dir, "train-y.npy"), trainY, n, 1);
        Save(Path.Combine(dir, "test-x.npy"), test, nTest, d);
        Save(Path.Combine(dir, "test-y.npy"), testY, nTest, 1);
        Console.WriteLine(JsonSerializer.Serialize(new { problem, n, n_test = nTest, d, k, ill_conditioned = illConditioned }));
    }

    private sealed record Run(string Impl, double[] Theta, int Iterations, int Evaluations, int ProgressCalls, string Stop, double Seconds);

    public static void Compare(Dictionary<string, string> o)
    {
        string dir = o["dir"];
        var (x, n, d) = Load(Path.Combine(dir, "train-x.npy"));
        var (yf, _, _) = Load(Path.Combine(dir, "train-y.npy"));
        var (tx, nTest, _) = Load(Path.Combine(dir, "test-x.npy"));
        var (tyf, _, _) = Load(Path.Combine(dir, "test-y.npy"));
        double c = Dbl(o.GetValueOrDefault("c", "1"));
        double gtol = Dbl(o.GetValueOrDefault("gtol", "1e-6"));
        int maxIter = int.Parse(o.GetValueOrDefault("max-iter", "1000"));
        var y = yf.Select(v => (int)v).ToArray();
        int k = y.Max() + 1;
        // Two-digit labels sort ordinally as the class numbers do, so class index = label number.
        var labels = y.Select(v => v.ToString("D2")).ToArray();
        var testLabels = tyf.Select(v => ((int)v).ToString("D2")).ToArray();
        var classes = Enumerable.Range(0, k).Select(v => v.ToString("D2")).ToArray();
        var exact = new SoftmaxObjective(x, n, d, y, k, c, maxThreads: 1, CancellationToken.None);
        double SklearnObjective(double[] theta) => exact.Evaluate(theta, new double[theta.Length]) * n;

        var runs = new List<Run>();
        int repeats = int.Parse(o.GetValueOrDefault("repeats", "3"));
        Run Ours(int threads, double g = double.NaN, double f = double.NaN, int limit = -1)
        {
            int calls = 0;
            var options = new LogisticRegressionOptions { C = c, Standardize = false, MaxThreads = threads, MaxIterations = limit > 0 ? limit : maxIter, GradientTolerance = double.IsNaN(g) ? gtol : g };
            if (!double.IsNaN(f)) options.FunctionTolerance = f;
            var sw = Stopwatch.StartNew();
            var m = LogisticRegression.Fit(x, n, d, labels, options, _ => calls++);
            double s = sw.Elapsed.TotalSeconds;
            return new Run("PruneCmdlets.Lbfgs", Pack(m.Weights, m.Intercepts, k, d), m.Iterations, m.Evaluations, calls, m.Stop.ToString(), s);
        }
        // The optimum everything is measured against: ours driven to rounding (no function
        // tolerance, gradient tolerance 1e-10); MathNet at gtol 1e-9 below is an independent check of it.
        var optimum = Ours(-1, 1e-10, 0, 20000);
        var oursAll = Ours(-1);
        var oursOne = Ours(1);
        runs.Add(oursAll with { Seconds = Enumerable.Range(0, repeats).Select(_ => Ours(-1).Seconds).Append(oursAll.Seconds).Min() });

        // MathNet, given our tolerance as its (relative) gradient tolerance; ParameterTolerance
        // 1e-10 is the floor its line search uses anyway; FunctionProgressTolerance as scipy's
        // ftol (MathNet only applies it after 500 iterations, and as an absolute change).
        // The second, tight run (with the optimum's iteration budget) checks the optimum independently.
        var configs = new (string Name, double Gtol, double Ptol, double Ftol, int Limit)[]
        {
            ("MathNet(gtol=" + gtol.ToString("R") + ")", gtol, 1e-10, 64 * 2.220446049250313e-16, maxIter),
            ("MathNet(gtol=1e-9, 20000 it)", 1e-9, 1e-12, 64 * 2.220446049250313e-16, 20000),
        };
        Run? mathNetFirstOne = null, mathNetFirstAll = null;
        foreach (var (name, g, p, f, limit) in configs)
        {
            var r = RunMathNet(x, n, d, y, k, c, -1, g, p, f, 10, limit, default, name);
            if (mathNetFirstAll is not null) { runs.Add(r); continue; } // the check of the optimum is not timed
            double best = Enumerable.Range(0, repeats).Select(_ => RunMathNet(x, n, d, y, k, c, -1, g, p, f, 10, limit, default, name).Seconds).Append(r.Seconds).Min();
            runs.Add(r with { Seconds = best });
            mathNetFirstAll = r;
            mathNetFirstOne = RunMathNet(x, n, d, y, k, c, 1, g, p, f, 10, limit, default, name);
        }

        // scikit-learn's coefficients at the same tolerance (written by logreg_reference.py).
        double[]? sk = o.TryGetValue("sklearn", out var skPath) ? ReadCoefficients(skPath, k, d) : null;
        double optObjective = SklearnObjective(optimum.Theta);
        double skObjective = sk is null ? double.NaN : SklearnObjective(sk);

        object Describe(string impl, double[] theta, int iterations, int evaluations, int progressCalls, string stop, double seconds)
        {
            double obj = SklearnObjective(theta);
            var (maxAbs, rel, interceptMaxAbs) = Diff(theta, optimum.Theta, k, d);
            var (skMaxAbs, skRel, _) = sk is null ? (double.NaN, double.NaN, double.NaN) : Diff(theta, sk, k, d);
            return new
            {
                impl, iterations, evaluations, progress_calls = progressCalls, stop, seconds = Math.Round(seconds, 3),
                objective = obj,
                rel_gap_to_optimum = (obj - optObjective) / Math.Abs(optObjective),
                rel_gap_to_sklearn = (obj - skObjective) / Math.Abs(skObjective),
                coef_max_abs_diff_to_optimum = maxAbs, coef_rel_diff_to_optimum = rel, intercept_max_abs_diff_to_optimum = interceptMaxAbs,
                coef_max_abs_diff_to_sklearn = skMaxAbs, coef_rel_diff_to_sklearn = skRel,
                test_accuracy = Accuracy(theta, classes, d, k, tx, nTest, testLabels),
            };
        }
        var rows = runs.Select(r => Describe(r.Impl, r.Theta, r.Iterations, r.Evaluations, r.ProgressCalls, r.Stop, r.Seconds)).ToList();
        if (sk is not null) rows.Add(Describe("scikit-learn", sk, -1, -1, -1, "see its own line", double.NaN));
        rows.Add(Describe("optimum (ours, gtol 1e-10, no ftol, 20000 it)", optimum.Theta, optimum.Iterations, optimum.Evaluations, optimum.ProgressCalls, optimum.Stop, optimum.Seconds));

        // Behaviour a cmdlet needs: cancellation mid-fit, and a result when the iteration limit is hit.
        string CancelOurs()
        {
            using var cts = new CancellationTokenSource();
            int calls = 0;
            try
            {
                LogisticRegression.Fit(x, n, d, labels, new LogisticRegressionOptions { C = c, Standardize = false },
                    _ => { if (++calls == 3) cts.Cancel(); }, cts.Token);
                return "not cancelled";
            }
            catch (OperationCanceledException) { return $"OperationCanceledException after iteration {calls}"; }
        }
        string CancelMathNet()
        {
            using var cts = new CancellationTokenSource();
            var r = (Run?)null;
            try { r = RunMathNet(x, n, d, y, k, c, -1, gtol, 1e-10, 1e-14, 10, maxIter, cts.Token, "cancel", cancelAfterEvaluations: 10, cts); }
            catch (OperationCanceledException) { return "OperationCanceledException after evaluation 10 (no iteration count is visible)"; }
            catch (Exception e) { return e.GetType().Name + ": " + e.Message; }
            return "not cancelled: " + r!.Stop;
        }
        string LimitOurs()
        {
            var m = LogisticRegression.Fit(x, n, d, labels, new LogisticRegressionOptions { C = c, Standardize = false, MaxIterations = 2 });
            return $"returns the iterate: Stop={m.Stop}, Iterations={m.Iterations}, objective {m.Objective:G6}";
        }
        string LimitMathNet()
        {
            var r = RunMathNet(x, n, d, y, k, c, -1, gtol, 1e-10, 1e-14, 10, 2, default, "limit");
            return $"ReasonForExit={r.Stop}, Iterations={r.Iterations}, objective {SklearnObjective(r.Theta):G6}";
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            problem = o.GetValueOrDefault("problem", dir), n, d, k, c, gtol, max_iter = maxIter, threads = Environment.ProcessorCount,
            optimum_objective = optObjective, sklearn_objective = skObjective,
            runs = rows,
            ours_bit_identical_1_vs_all_threads = oursAll.Theta.SequenceEqual(oursOne.Theta) && oursAll.Iterations == oursOne.Iterations,
            mathnet_bit_identical_1_vs_all_threads = mathNetFirstAll!.Theta.SequenceEqual(mathNetFirstOne!.Theta) && mathNetFirstAll.Evaluations == mathNetFirstOne.Evaluations,
            cancel_ours = CancelOurs(), cancel_mathnet = CancelMathNet(),
            max_iterations_2_ours = LimitOurs(), max_iterations_2_mathnet = LimitMathNet(),
        }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }

    /// <summary>
    /// MathNet's L-BFGS on our objective. MathNet has no progress callback and no cancellation
    /// token; the objective delegate is the only hook, so cancellation is checked per evaluation
    /// (our objective does that itself). When MathNet throws (iteration limit, failed line search)
    /// the lowest point it evaluated is kept, so the figures show where it got to.
    /// </summary>
    private static Run RunMathNet(float[] x, int n, int d, int[] y, int k, double c, int threads, double gtol, double ptol, double ftol, int memory, int maxIter,
        CancellationToken cancel, string name, int cancelAfterEvaluations = -1, CancellationTokenSource? cts = null)
    {
        global::MathNet.Numerics.Control.MaxDegreeOfParallelism = threads == -1 ? Environment.ProcessorCount : threads;
        var objective = new SoftmaxObjective(x, n, d, y, k, c, threads, cancel);
        int evaluations = 0;
        double best = double.PositiveInfinity;
        double[]? bestTheta = null;
        var fn = ObjectiveFunction.Gradient(v =>
        {
            var theta = v.AsArray() ?? v.ToArray();
            var grad = new double[theta.Length];
            double f = objective.Evaluate(theta, grad);
            if (++evaluations == cancelAfterEvaluations) cts!.Cancel();
            if (f < best) { best = f; bestTheta = (double[])theta.Clone(); }
            return (f, Vector<double>.Build.Dense(grad));
        });
        var minimizer = new LimitedMemoryBfgsMinimizer(gtol, ptol, ftol, memory, maxIter);
        var sw = Stopwatch.StartNew();
        try
        {
            var result = minimizer.FindMinimum(fn, Vector<double>.Build.Dense(objective.ParameterCount));
            return new Run(name, result.MinimizingPoint.ToArray(), result.Iterations, evaluations, 0, result.ReasonForExit.ToString(), sw.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new Run(name + " [threw]", bestTheta ?? new double[objective.ParameterCount], -1, evaluations, 0,
                $"threw {e.GetType().Name}: {e.Message}{(e.InnerException is null ? "" : " / " + e.InnerException.Message)}", sw.Elapsed.TotalSeconds);
        }
    }

    private static double[] Pack(double[] w, double[] b, int k, int d)
    {
        var theta = new double[k * (d + 1)];
        for (int c = 0; c < k; c++) { Array.Copy(w, c * d, theta, c * (d + 1), d); theta[c * (d + 1) + d] = b[c]; }
        return theta;
    }

    private static double WeightNorm(double[] theta, int k, int d)
    {
        double s = 0;
        for (int c = 0; c < k; c++) for (int j = 0; j < d; j++) s += theta[c * (d + 1) + j] * theta[c * (d + 1) + j];
        return Math.Sqrt(s);
    }

    /// <summary>Weights compared directly; intercepts after removing their mean (softmax is blind to a shift of all of them).</summary>
    private static (double MaxAbs, double Relative, double InterceptMaxAbs) Diff(double[] a, double[] b, int k, int d)
    {
        double normB = WeightNorm(b, k, d);
        double maxAbs = 0, sq = 0, ma = 0, mb = 0, im = 0;
        for (int c = 0; c < k; c++) { ma += a[c * (d + 1) + d] / k; mb += b[c * (d + 1) + d] / k; }
        for (int c = 0; c < k; c++)
        {
            for (int j = 0; j < d; j++) { double t = a[c * (d + 1) + j] - b[c * (d + 1) + j]; maxAbs = Math.Max(maxAbs, Math.Abs(t)); sq += t * t; }
            im = Math.Max(im, Math.Abs((a[c * (d + 1) + d] - ma) - (b[c * (d + 1) + d] - mb)));
        }
        return (maxAbs, Math.Sqrt(sq) / normB, im);
    }

    private static double Accuracy(double[] theta, string[] classes, int d, int k, float[] tx, int nTest, string[] testLabels)
    {
        var w = new double[k * d];
        var b = new double[k];
        for (int c = 0; c < k; c++) { Array.Copy(theta, c * (d + 1), w, c * d, d); b[c] = theta[c * (d + 1) + d]; }
        var model = new LogisticRegressionModel(classes, d, new double[d], Enumerable.Repeat(1.0, d).ToArray(), w, b);
        return model.Accuracy(tx, nTest, testLabels);
    }

    private static double[] ReadCoefficients(string path, int k, int d)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray();
        if (lines.Length != k) throw new InvalidDataException($"{path}: {lines.Length} rows, expected {k}.");
        var theta = new double[k * (d + 1)];
        for (int c = 0; c < k; c++)
        {
            var v = lines[c].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Dbl).ToArray();
            if (v.Length != d + 1) throw new InvalidDataException($"{path}: row {c} holds {v.Length} values, expected {d + 1}.");
            Array.Copy(v, 0, theta, c * (d + 1), d + 1);
        }
        return theta;
    }

    private static double Dbl(string s) => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static (float[] data, int n, int d) Load(string path)
    {
        using var m = NpyReader.OpenMatrix(path);
        var (data, rows) = m.ReadBlocks(Array.MaxLength).Single();
        return (data, rows, m.Columns);
    }

    private static void Save(string path, float[] data, int n, int d)
    {
        var rows = new List<float[]>(n);
        for (int i = 0; i < n; i++) rows.Add(data.AsSpan(i * d, d).ToArray());
        NpyWriter.WriteMatrix(path, rows, d);
    }
}

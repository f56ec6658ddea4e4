using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PruneCmdlets.Probing;

/// <summary>Every logistic-regression default in one place, so the probe, the tests and the cmdlet agree.</summary>
public sealed class LogisticRegressionOptions
{
    /// <summary>
    /// Inverse regularisation strength, as scikit-learn's C: the penalty is ½‖W‖²/C on the
    /// weights (not the intercepts). Smaller C regularises more.
    /// </summary>
    public double C { get; set; } = 1.0;

    /// <summary>Upper bound on L-BFGS iterations (scikit-learn's max_iter; its default is 100, ours leaves room to converge).</summary>
    public int MaxIterations { get; set; } = 1000;

    /// <summary>
    /// Stop when the largest component of the gradient of the per-sample objective (the
    /// scikit-learn objective divided by N) is at most this.
    /// </summary>
    public double GradientTolerance { get; set; } = 1e-6;

    /// <summary>Stop when an iteration lowers the objective by less than this, relative (scipy's ftol as scikit-learn sets it: 64·ε).</summary>
    public double FunctionTolerance { get; set; } = 64 * 2.220446049250313e-16;

    /// <summary>Number of (s, y) pairs L-BFGS keeps (scipy's maxcor default).</summary>
    public int History { get; set; } = 10;

    /// <summary>
    /// Standardise every feature to mean 0 and standard deviation 1 (population, as
    /// scikit-learn's StandardScaler) with statistics of the training rows; constant features
    /// are centred and left unscaled. On by default: embedding dimensions differ in scale by
    /// orders of magnitude, and C then means the same thing for every model and every feature.
    /// </summary>
    public bool Standardize { get; set; } = true;

    /// <summary>Worker threads; -1 uses every core. Never changes the result.</summary>
    public int MaxThreads { get; set; } = -1;

    public void Validate()
    {
        if (!(C > 0) || double.IsInfinity(C)) throw new ArgumentOutOfRangeException(nameof(C), C, "C must be a positive, finite number.");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1.");
        if (!(GradientTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(GradientTolerance), GradientTolerance, "GradientTolerance must be zero or positive.");
        if (!(FunctionTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(FunctionTolerance), FunctionTolerance, "FunctionTolerance must be zero or positive.");
        if (History < 1) throw new ArgumentOutOfRangeException(nameof(History), History, "History must be at least 1.");
        if (MaxThreads == 0 || MaxThreads < -1) throw new ArgumentOutOfRangeException(nameof(MaxThreads), MaxThreads, "MaxThreads must be -1 (all cores) or at least 1.");
    }
}

/// <summary>
/// A fitted multinomial logistic regression (softmax) classifier. Weights live in the
/// standardised feature space; <see cref="Mean"/> and <see cref="Scale"/> map raw vectors into it.
/// </summary>
public sealed class LogisticRegressionModel
{
    internal LogisticRegressionModel(string[] classes, int dimension, double[] mean, double[] scale, double[] weights, double[] intercepts)
    {
        Classes = classes;
        Dimension = dimension;
        Mean = mean;
        Scale = scale;
        Weights = weights;
        Intercepts = intercepts;
    }

    /// <summary>The class labels in ordinal order; class index k is Classes[k].</summary>
    public IReadOnlyList<string> Classes { get; }
    public int Dimension { get; }
    /// <summary>Per-feature training mean (all 0 without standardisation). Treat as read-only.</summary>
    public double[] Mean { get; }
    /// <summary>Per-feature training standard deviation, 1 for constant features or without standardisation. Treat as read-only.</summary>
    public double[] Scale { get; }
    /// <summary>K×D row-major weights over standardised features. Treat as read-only.</summary>
    public double[] Weights { get; }
    /// <summary>One intercept per class. Treat as read-only.</summary>
    public double[] Intercepts { get; }

    public double C { get; init; }
    public int TrainingCount { get; init; }
    public int Iterations { get; init; }
    public int Evaluations { get; init; }
    /// <summary>True when L-BFGS stopped on a tolerance rather than the iteration limit.</summary>
    public bool Converged { get; init; }
    public LbfgsStop Stop { get; init; }
    /// <summary>scikit-learn's objective at the solution: Σᵢ cross-entropy + ½‖W‖²/C.</summary>
    public double Objective { get; init; }
    /// <summary>‖∇‖∞ of the per-sample objective (Objective / N) at the solution.</summary>
    public double GradientInfNorm { get; init; }
    public double TrainingSeconds { get; init; }

    /// <summary>Raw rows mapped into the model's feature space: (x − Mean) / Scale, as floats.</summary>
    public float[] Standardize(float[] x, int n)
    {
        CheckShape(x, n);
        int d = Dimension;
        var z = PruneCmdlets.Numerics.LargeArray.Allocate((long)n * d);
        for (long i = 0; i < n; i++)
            for (int j = 0; j < d; j++) z[i * d + j] = (float)((x[i * d + j] - Mean[j]) / Scale[j]);
        return z;
    }

    /// <summary>Index into <see cref="Classes"/> of the most probable class of each raw row; ties go to the lower index.</summary>
    public int[] Predict(float[] x, int n, int maxThreads = -1, CancellationToken cancel = default)
    {
        CheckShape(x, n);
        int d = Dimension, k = Classes.Count;
        var result = new int[n];
        var po = new ParallelOptions { MaxDegreeOfParallelism = maxThreads, CancellationToken = cancel };
        Parallel.For(0, (n + 255) / 256, po, () => new double[d], (b, _, row) =>
        {
            int end = Math.Min(n, (b + 1) * 256);
            for (int i = b * 256; i < end; i++)
            {
                for (int j = 0; j < d; j++) row[j] = (float)((x[(long)i * d + j] - Mean[j]) / Scale[j]); // as the model saw its training rows
                int best = 0;
                double bestZ = double.NegativeInfinity;
                for (int c = 0; c < k; c++)
                {
                    double z = Intercepts[c];
                    for (int j = 0; j < d; j++) z += Weights[c * d + j] * row[j];
                    if (z > bestZ) { bestZ = z; best = c; }
                }
                result[i] = best;
            }
            return row;
        }, _ => { });
        return result;
    }

    /// <summary>
    /// Class probabilities (softmax of the logits) of each raw row, N×K row-major in the order
    /// of <see cref="Classes"/>: the logits as <see cref="Predict"/> computes them, the softmax in
    /// double after subtracting the largest logit.
    /// </summary>
    public double[] PredictProbabilities(float[] x, int n, int maxThreads = -1, CancellationToken cancel = default)
    {
        CheckShape(x, n);
        int d = Dimension, k = Classes.Count;
        var result = new double[(long)n * k];
        var po = new ParallelOptions { MaxDegreeOfParallelism = maxThreads, CancellationToken = cancel };
        Parallel.For(0, (n + 255) / 256, po, () => new double[d], (b, _, row) =>
        {
            int end = Math.Min(n, (b + 1) * 256);
            for (int i = b * 256; i < end; i++)
            {
                for (int j = 0; j < d; j++) row[j] = (float)((x[(long)i * d + j] - Mean[j]) / Scale[j]);
                long at = (long)i * k;
                double max = double.NegativeInfinity;
                for (int c = 0; c < k; c++)
                {
                    double z = Intercepts[c];
                    for (int j = 0; j < d; j++) z += Weights[c * d + j] * row[j];
                    result[at + c] = z;
                    if (z > max) max = z;
                }
                double sum = 0;
                for (int c = 0; c < k; c++) sum += result[at + c] = Math.Exp(result[at + c] - max);
                for (int c = 0; c < k; c++) result[at + c] /= sum;
            }
            return row;
        }, _ => { });
        return result;
    }

    /// <summary>Fraction of rows whose predicted class equals the given label (a label the model never saw counts as wrong).</summary>
    public double Accuracy(float[] x, int n, IReadOnlyList<string> labels, int maxThreads = -1, CancellationToken cancel = default)
    {
        if (labels.Count != n) throw new ArgumentException($"{labels.Count} labels for {n} rows.", nameof(labels));
        if (n == 0) throw new ArgumentException("Accuracy needs at least one row.", nameof(n));
        var predicted = Predict(x, n, maxThreads, cancel);
        int correct = 0;
        for (int i = 0; i < n; i++) if (string.Equals(Classes[predicted[i]], labels[i], StringComparison.Ordinal)) correct++;
        return (double)correct / n;
    }

    private void CheckShape(float[] x, int n)
    {
        if (n < 0 || x.Length != (long)n * Dimension) throw new ArgumentException($"Expected {n} rows of {Dimension} values, got {x.Length} values.", nameof(x));
    }
}

/// <summary>
/// Multinomial logistic regression fitted by L-BFGS: the model scikit-learn's
/// <c>LogisticRegression(multi_class="multinomial", solver="lbfgs", C=C)</c> fits, so accuracies
/// can be compared. It minimises, over K weight vectors and K intercepts,
/// <code>  Σᵢ −log softmax(W xᵢ + b)[yᵢ]  +  ½‖W‖²_F / C</code>
/// where the intercepts b are not penalised. The optimiser works on that objective divided by N
/// (same minimiser), so its gradient tolerance means the same for 100 and 1,000,000 rows.
///
/// Determinism: the gradient is accumulated in double, row block by row block; inside a block
/// the logits of each row are computed in parallel (each row by one thread), then every gradient
/// element is owned by one thread that adds the rows in input order, and the loss is summed
/// sequentially in input order. No sum depends on the thread count or the scheduling, so the
/// fitted weights are bit-identical for any MaxThreads.
/// </summary>
public static class LogisticRegression
{
    public static LogisticRegressionModel Fit(float[] x, int n, int d, IReadOnlyList<string> labels, LogisticRegressionOptions? options = null,
        Action<LbfgsIteration>? progress = null, CancellationToken cancel = default)
    {
        var o = options ?? new LogisticRegressionOptions();
        o.Validate();
        if (n < 1) throw new ArgumentException("Logistic regression needs at least one training row.", nameof(n));
        if (d < 1) throw new ArgumentException("Vectors have no dimensions.", nameof(d));
        if (x.Length != (long)n * d) throw new ArgumentException($"Expected {n}×{d} values, got {x.Length}.", nameof(x));
        if (labels.Count != n) throw new ArgumentException($"{labels.Count} labels for {n} rows.", nameof(labels));
        for (long i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i])) throw new ArgumentException($"Row {i / d} holds a NaN or infinite value.", nameof(x));
        var sw = Stopwatch.StartNew();

        var classes = labels.Select(l => l ?? throw new ArgumentException("Every training row needs a label.", nameof(labels)))
            .Distinct(StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Length; c++) index[classes[c]] = c;
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = index[labels[i]];
        int k = classes.Length;

        var (mean, scale) = o.Standardize ? Statistics(x, n, d, o.MaxThreads) : (new double[d], Enumerable.Repeat(1.0, d).ToArray());
        var xs = o.Standardize ? Standardized(x, n, d, mean, scale, o.MaxThreads) : x;

        if (k == 1)
        {
            // One class: the minimiser is W = 0 and the prediction is that class.
            return new LogisticRegressionModel(classes, d, mean, scale, new double[d], new double[1])
            {
                C = o.C, TrainingCount = n, Converged = true, Stop = LbfgsStop.GradientTolerance, Objective = 0,
                TrainingSeconds = sw.Elapsed.TotalSeconds,
            };
        }

        var objective = new SoftmaxObjective(xs, n, d, y, k, o.C, o.MaxThreads, cancel);
        var result = Lbfgs.Minimize(objective.Evaluate, new double[objective.ParameterCount], o.History, o.MaxIterations,
            o.GradientTolerance, o.FunctionTolerance, cancel, progress);

        var weights = new double[k * d];
        var intercepts = new double[k];
        for (int c = 0; c < k; c++)
        {
            Array.Copy(result.X, c * (d + 1), weights, c * d, d);
            intercepts[c] = result.X[c * (d + 1) + d];
        }
        return new LogisticRegressionModel(classes, d, mean, scale, weights, intercepts)
        {
            C = o.C,
            TrainingCount = n,
            Iterations = result.Iterations,
            Evaluations = result.Evaluations,
            Converged = result.Stop is LbfgsStop.GradientTolerance or LbfgsStop.FunctionTolerance,
            Stop = result.Stop,
            Objective = result.F * n,
            GradientInfNorm = result.GradientInfNorm,
            TrainingSeconds = sw.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Per-feature mean and population standard deviation (1 where it is 0), each column summed in row order.</summary>
    internal static (double[] Mean, double[] Scale) Statistics(float[] x, int n, int d, int maxThreads)
    {
        var mean = new double[d];
        var scale = new double[d];
        const int chunk = 64;
        Parallel.For(0, (d + chunk - 1) / chunk, new ParallelOptions { MaxDegreeOfParallelism = maxThreads }, c =>
        {
            int j0 = c * chunk, j1 = Math.Min(d, j0 + chunk);
            for (long i = 0; i < n; i++)
                for (int j = j0; j < j1; j++) mean[j] += x[i * d + j];
            for (int j = j0; j < j1; j++) mean[j] /= n;
            for (long i = 0; i < n; i++)
                for (int j = j0; j < j1; j++) { double t = x[i * d + j] - mean[j]; scale[j] += t * t; }
            for (int j = j0; j < j1; j++)
            {
                double sd = Math.Sqrt(scale[j] / n);
                // scikit-learn's _handle_zeros_in_scale: a (numerically) constant feature is not scaled.
                scale[j] = sd < 10 * 2.220446049250313e-16 * Math.Max(1.0, Math.Abs(mean[j])) ? 1.0 : sd;
            }
        });
        return (mean, scale);
    }

    private static float[] Standardized(float[] x, int n, int d, double[] mean, double[] scale, int maxThreads)
    {
        var z = new float[x.Length];
        Parallel.For(0, (n + 1023) / 1024, new ParallelOptions { MaxDegreeOfParallelism = maxThreads }, b =>
        {
            long end = Math.Min(n, (b + 1) * 1024L);
            for (long i = b * 1024L; i < end; i++)
                for (int j = 0; j < d; j++) z[i * d + j] = (float)((x[i * d + j] - mean[j]) / scale[j]);
        });
        return z;
    }
}

/// <summary>
/// The softmax cross-entropy objective and its gradient over parameters laid out class by class
/// as [w_k1 … w_kD, b_k], divided by N. See <see cref="LogisticRegression"/> for the determinism argument.
///
/// The kernels use 128-bit vectors of two doubles, which every supported CPU has (SSE2, NEON),
/// and are written so that each result gets exactly the operations, in exactly the order, of the
/// scalar reference (<see cref="Dot"/> for logits; g = g + r·x, row by row, for the gradient):
/// vectorising changes the speed, never the bits.
/// </summary>
internal sealed class SoftmaxObjective
{
    private const int ColumnChunk = 64;
    private readonly float[] _x;
    private readonly int _n, _d, _k;
    private readonly int[] _y;
    private readonly double _c;
    private readonly int _block;
    private readonly double[] _residual; // block × K: p − onehot(y)
    private readonly double[] _rowLoss;  // block
    private readonly ParallelOptions _po;

    public SoftmaxObjective(float[] x, int n, int d, int[] y, int k, double c, int maxThreads, CancellationToken cancel)
    {
        _x = x; _n = n; _d = d; _y = y; _k = k; _c = c;
        // Rows per block: bounded scratch (≤ 2M doubles) and a column chunk of a block stays in
        // L2 for the backward pass. The result does not depend on it.
        _block = Math.Clamp((1 << 21) / k, 64, 1024);
        _residual = new double[_block * k];
        _rowLoss = new double[_block];
        _po = new ParallelOptions { MaxDegreeOfParallelism = maxThreads, CancellationToken = cancel };
    }

    public int ParameterCount => _k * (_d + 1);

    /// <summary>Returns f(θ) = (Σᵢ CEᵢ + ½‖W‖²/C) / N and writes ∇f into <paramref name="grad"/>.</summary>
    public double Evaluate(double[] theta, double[] grad)
    {
        int n = _n, d = _d, k = _k, stride = d + 1;
        Array.Clear(grad);
        double loss = 0;
        int chunks = (stride + ColumnChunk - 1) / ColumnChunk;
        bool simd = Vector128.IsHardwareAccelerated;
        for (int start = 0; start < n; start += _block)
        {
            int rows = Math.Min(_block, n - start);
            // Forward: logits, softmax and residual of each row, one row per iteration.
            Parallel.For(0, (rows + 63) / 64, _po, rb =>
            {
                int end = Math.Min(rows, (rb + 1) * 64);
                for (int r = rb * 64; r < end; r++)
                {
                    long i = start + r;
                    var xi = new ReadOnlySpan<float>(_x, (int)(i * d), d);
                    var z = _residual.AsSpan(r * k, k);
                    int c = 0;
                    if (simd) for (; c + 3 < k; c += 4) Logits4(theta, c, stride, xi, z.Slice(c, 4));
                    for (; c < k; c++) z[c] = theta[c * stride + d] + Dot(theta.AsSpan(c * stride, d), xi);
                    double max = double.NegativeInfinity;
                    for (c = 0; c < k; c++) if (z[c] > max) max = z[c];
                    double sum = 0;
                    for (c = 0; c < k; c++) sum += Math.Exp(z[c] - max);
                    double lse = max + Math.Log(sum);
                    int yi = _y[i];
                    _rowLoss[r] = lse - z[yi];
                    for (c = 0; c < k; c++) z[c] = Math.Exp(z[c] - lse);
                    z[yi] -= 1.0;
                }
            });
            for (int r = 0; r < rows; r++) loss += _rowLoss[r];

            // Backward: each task owns a range of columns (the intercept is column d) for every
            // class and adds this block's rows in order.
            Parallel.For(0, chunks, _po, ch =>
            {
                int j0 = ch * ColumnChunk, j1 = Math.Min(stride, j0 + ColumnChunk);
                int jx = Math.Min(j1, d); // columns [j0, jx) are features
                int jv = simd ? j0 + (jx - j0) / 4 * 4 : j0; // [j0, jv) in 4×4 tiles
                int kv = simd ? k / 4 * 4 : 0;
                for (int j = j0; j < jv; j += 4)
                    for (int c0 = 0; c0 < kv; c0 += 4) Backward4x4(grad, c0, j, stride, rows, start);
                for (int c = 0; c < k; c++)
                {
                    int gBase = c * stride;
                    for (int j = c < kv ? jv : j0; j < jx; j++)
                    {
                        double g = grad[gBase + j];
                        for (int r = 0; r < rows; r++) g += _residual[r * k + c] * _x[(start + r) * (long)d + j];
                        grad[gBase + j] = g;
                    }
                    if (j1 == stride)
                    {
                        double g = grad[gBase + d];
                        for (int r = 0; r < rows; r++) g += _residual[r * k + c];
                        grad[gBase + d] = g;
                    }
                }
            });
        }

        double penalty = 0;
        double invC = 1.0 / _c, invN = 1.0 / n;
        for (int c = 0; c < k; c++)
        {
            int b = c * stride;
            for (int j = 0; j < d; j++)
            {
                double w = theta[b + j];
                penalty += w * w;
                grad[b + j] = (grad[b + j] + w * invC) * invN;
            }
            grad[b + d] *= invN;
        }
        return (loss + 0.5 * penalty * invC) * invN;
    }

    /// <summary>
    /// Logits of classes c0 … c0+3 for one row: z[q] = b + Dot(w, x) with the accumulators of
    /// <see cref="Dot"/> ((s0, s1) and (s2, s3) as two vectors per class), sharing each load of x.
    /// </summary>
    private static void Logits4(double[] theta, int c0, int stride, ReadOnlySpan<float> x, Span<double> z)
    {
        int d = x.Length;
        ref double t = ref MemoryMarshal.GetArrayDataReference(theta);
        ref float xr = ref MemoryMarshal.GetReference(x);
        nuint b0 = (nuint)(c0 * stride), b1 = b0 + (nuint)stride, b2 = b1 + (nuint)stride, b3 = b2 + (nuint)stride;
        Vector128<double> a00 = default, a01 = default, a10 = default, a11 = default,
            a20 = default, a21 = default, a30 = default, a31 = default;
        int j = 0;
        for (; j + 3 < d; j += 4)
        {
            var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref xr, (nuint)j));
            nuint u = (nuint)j, v = u + 2;
            a00 += Vector128.LoadUnsafe(ref t, b0 + u) * lo; a01 += Vector128.LoadUnsafe(ref t, b0 + v) * hi;
            a10 += Vector128.LoadUnsafe(ref t, b1 + u) * lo; a11 += Vector128.LoadUnsafe(ref t, b1 + v) * hi;
            a20 += Vector128.LoadUnsafe(ref t, b2 + u) * lo; a21 += Vector128.LoadUnsafe(ref t, b2 + v) * hi;
            a30 += Vector128.LoadUnsafe(ref t, b3 + u) * lo; a31 += Vector128.LoadUnsafe(ref t, b3 + v) * hi;
        }
        z[0] = Finish(theta, (int)b0, d, j, x, a00, a01);
        z[1] = Finish(theta, (int)b1, d, j, x, a10, a11);
        z[2] = Finish(theta, (int)b2, d, j, x, a20, a21);
        z[3] = Finish(theta, (int)b3, d, j, x, a30, a31);
    }

    private static double Finish(double[] theta, int b, int d, int j, ReadOnlySpan<float> x, Vector128<double> lo, Vector128<double> hi)
    {
        double s0 = lo.GetElement(0), s1 = lo.GetElement(1), s2 = hi.GetElement(0), s3 = hi.GetElement(1);
        for (; j < d; j++) s0 += theta[b + j] * x[j];
        return theta[b + d] + ((s0 + s1) + (s2 + s3));
    }

    /// <summary>grad[c, j … j+3] += Σ_r R[r, c]·x[r, j … j+3] for c = c0 … c0+3, adding rows in order.</summary>
    private void Backward4x4(double[] grad, int c0, int j, int stride, int rows, int start)
    {
        int d = _d, k = _k;
        ref double g = ref MemoryMarshal.GetArrayDataReference(grad);
        ref double res = ref MemoryMarshal.GetArrayDataReference(_residual);
        ref float xr = ref MemoryMarshal.GetArrayDataReference(_x);
        nuint g0 = (nuint)(c0 * stride + j), g1 = g0 + (nuint)stride, g2 = g1 + (nuint)stride, g3 = g2 + (nuint)stride;
        var a00 = Vector128.LoadUnsafe(ref g, g0); var a01 = Vector128.LoadUnsafe(ref g, g0 + 2);
        var a10 = Vector128.LoadUnsafe(ref g, g1); var a11 = Vector128.LoadUnsafe(ref g, g1 + 2);
        var a20 = Vector128.LoadUnsafe(ref g, g2); var a21 = Vector128.LoadUnsafe(ref g, g2 + 2);
        var a30 = Vector128.LoadUnsafe(ref g, g3); var a31 = Vector128.LoadUnsafe(ref g, g3 + 2);
        nuint xo = (nuint)((long)start * d + j), rb = (nuint)c0;
        for (int r = 0; r < rows; r++, xo += (nuint)d, rb += (nuint)k)
        {
            var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref xr, xo));
            var r0 = Vector128.Create(Unsafe.Add(ref res, rb));
            var r1 = Vector128.Create(Unsafe.Add(ref res, rb + 1));
            var r2 = Vector128.Create(Unsafe.Add(ref res, rb + 2));
            var r3 = Vector128.Create(Unsafe.Add(ref res, rb + 3));
            a00 += r0 * lo; a01 += r0 * hi;
            a10 += r1 * lo; a11 += r1 * hi;
            a20 += r2 * lo; a21 += r2 * hi;
            a30 += r3 * lo; a31 += r3 * hi;
        }
        a00.StoreUnsafe(ref g, g0); a01.StoreUnsafe(ref g, g0 + 2);
        a10.StoreUnsafe(ref g, g1); a11.StoreUnsafe(ref g, g1 + 2);
        a20.StoreUnsafe(ref g, g2); a21.StoreUnsafe(ref g, g2 + 2);
        a30.StoreUnsafe(ref g, g3); a31.StoreUnsafe(ref g, g3 + 2);
    }

    /// <summary>
    /// The reference dot product w·x in double: accumulator q sums the terms j ≡ q (mod 4), the
    /// remainder goes to s0, and the result is (s0 + s1) + (s2 + s3). A fixed pattern, so no
    /// machine-dependent vector width enters the sum.
    /// </summary>
    internal static double Dot(ReadOnlySpan<double> w, ReadOnlySpan<float> x)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0, len = w.Length;
        for (; j + 3 < len; j += 4)
        {
            s0 += w[j] * x[j];
            s1 += w[j + 1] * x[j + 1];
            s2 += w[j + 2] * x[j + 2];
            s3 += w[j + 3] * x[j + 3];
        }
        for (; j < len; j++) s0 += w[j] * x[j];
        return (s0 + s1) + (s2 + s3);
    }
}

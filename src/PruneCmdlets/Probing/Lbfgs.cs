namespace PruneCmdlets.Probing;

/// <summary>Why an L-BFGS run stopped.</summary>
public enum LbfgsStop
{
    /// <summary>The largest gradient component fell to the gradient tolerance.</summary>
    GradientTolerance,
    /// <summary>An iteration lowered the objective by less than the relative function tolerance.</summary>
    FunctionTolerance,
    /// <summary>The iteration limit was reached first.</summary>
    MaxIterations,
    /// <summary>No step satisfying the Wolfe conditions was found (usually: at the optimum to rounding).</summary>
    LineSearchFailed,
}

/// <summary>Per-iteration report, for progress.</summary>
public readonly record struct LbfgsIteration(int Iteration, double Objective, double GradientInfNorm);

/// <summary>
/// Limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989) for smooth unconstrained problems:
/// the two-loop recursion over the last <c>m</c> (s, y) pairs with H₀ = (sᵀy / yᵀy)·I, and a
/// line search that enforces the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9) by bracketing and
/// safeguarded cubic interpolation (Nocedal and Wright, Numerical Optimization, 2nd ed.,
/// Algorithms 3.5 and 3.6). The first step is 1/‖g‖₂ along −g, as in L-BFGS-B.
///
/// The stopping rules are scipy's L-BFGS-B ones, which scikit-learn's lbfgs solver uses:
/// ‖g‖∞ ≤ gtol, or (f_k − f_{k+1}) ≤ ftol · max(|f_k|, |f_{k+1}|, 1). Everything here is
/// sequential arithmetic on the caller's buffers, so it is exactly as deterministic as the
/// objective it is given.
/// </summary>
internal static class Lbfgs
{
    private const double C1 = 1e-4, C2 = 0.9;
    private const int MaxLineSearchEvaluations = 50; // scikit-learn passes maxls = 50 to scipy

    public sealed record Result(double[] X, double F, double GradientInfNorm, int Iterations, int Evaluations, LbfgsStop Stop);

    /// <param name="evaluate">Writes ∇f(x) into its second argument and returns f(x).</param>
    public static Result Minimize(Func<double[], double[], double> evaluate, double[] x0, int history, int maxIterations,
        double gtol, double ftol, CancellationToken cancel = default, Action<LbfgsIteration>? onIteration = null)
    {
        int p = x0.Length;
        var x = (double[])x0.Clone();
        var g = new double[p];
        double f = evaluate(x, g);
        int evaluations = 1;
        if (!double.IsFinite(f)) throw new ArithmeticException("The objective is not finite at the starting point.");

        var s = new double[history][];
        var y = new double[history][];
        var rho = new double[history];
        for (int i = 0; i < history; i++) { s[i] = new double[p]; y[i] = new double[p]; }
        int stored = 0, newest = -1;
        var alpha = new double[history];
        var d = new double[p];
        var xNew = new double[p];
        var gNew = new double[p];
        var xTry = new double[p];
        var gTry = new double[p];

        double gInf = InfNorm(g);
        if (gInf <= gtol) return new Result(x, f, gInf, 0, evaluations, LbfgsStop.GradientTolerance);

        for (int iter = 1; iter <= maxIterations; iter++)
        {
            cancel.ThrowIfCancellationRequested();

            // Search direction d = −H g by the two-loop recursion.
            for (int i = 0; i < p; i++) d[i] = -g[i];
            for (int j = 0; j < stored; j++)
            {
                int b = Mod(newest - j, history);
                alpha[b] = rho[b] * Dot(s[b], d);
                Axpy(-alpha[b], y[b], d);
            }
            double step0 = 1.0;
            if (stored > 0)
            {
                double gamma = Dot(s[newest], y[newest]) / Dot(y[newest], y[newest]);
                for (int i = 0; i < p; i++) d[i] *= gamma;
                for (int j = stored - 1; j >= 0; j--)
                {
                    int b = Mod(newest - j, history);
                    double beta = rho[b] * Dot(y[b], d);
                    Axpy(alpha[b] - beta, s[b], d);
                }
            }
            double dg = Dot(d, g);
            if (!(dg < 0))
            {
                // Not a descent direction (can only come from rounding): restart from steepest descent.
                stored = 0;
                for (int i = 0; i < p; i++) d[i] = -g[i];
                dg = Dot(d, g);
            }
            if (stored == 0) step0 = Math.Min(1.0, 1.0 / Math.Sqrt(-dg));

            double fNew;
            bool found = LineSearch(evaluate, x, f, g, d, dg, step0, xNew, gNew, xTry, gTry, out fNew, ref evaluations, cancel);
            if (!found)
                return new Result(x, f, gInf, iter - 1, evaluations, LbfgsStop.LineSearchFailed);

            // Update the history with s = x_{k+1} − x_k, y = g_{k+1} − g_k.
            int slot = (newest + 1) % history;
            double sy = 0, yy = 0;
            for (int i = 0; i < p; i++)
            {
                double si = xNew[i] - x[i], yi = gNew[i] - g[i];
                s[slot][i] = si; y[slot][i] = yi;
                sy += si * yi; yy += yi * yi;
            }
            if (sy > 1e-10 * yy && sy > 0)
            {
                rho[slot] = 1.0 / sy;
                newest = slot;
                stored = Math.Min(stored + 1, history);
            }

            double fOld = f;
            (x, xNew) = (xNew, x);
            (g, gNew) = (gNew, g);
            f = fNew;
            gInf = InfNorm(g);
            onIteration?.Invoke(new LbfgsIteration(iter, f, gInf));
            if (gInf <= gtol) return new Result(x, f, gInf, iter, evaluations, LbfgsStop.GradientTolerance);
            if (fOld - f <= ftol * Math.Max(Math.Max(Math.Abs(fOld), Math.Abs(f)), 1.0))
                return new Result(x, f, gInf, iter, evaluations, LbfgsStop.FunctionTolerance);
        }
        return new Result(x, f, gInf, maxIterations, evaluations, LbfgsStop.MaxIterations);
    }

    /// <summary>
    /// Strong Wolfe line search along d from x. On success the accepted point and its gradient
    /// are in <paramref name="xOut"/>/<paramref name="gOut"/>.
    /// </summary>
    private static bool LineSearch(Func<double[], double[], double> evaluate, double[] x, double f0, double[] g0, double[] d, double dg0,
        double step, double[] xOut, double[] gOut, double[] xTry, double[] gTry, out double fOut, ref int evaluations, CancellationToken cancel)
    {
        int p = x.Length;
        int budget = MaxLineSearchEvaluations;
        double aPrev = 0, fPrev = f0, dgPrev = dg0;
        double a = step;
        fOut = f0;

        double Phi(double t, double[] xt, double[] gt, out double dgt)
        {
            cancel.ThrowIfCancellationRequested();
            for (int i = 0; i < p; i++) xt[i] = x[i] + t * d[i];
            double ft = evaluate(xt, gt);
            dgt = Dot(gt, d);
            budget--;
            return ft;
        }

        for (int i = 0; budget > 0; i++)
        {
            double fa = Phi(a, xTry, gTry, out double dga);
            evaluations++;
            if (!double.IsFinite(fa) || fa > f0 + C1 * a * dg0 || (i > 0 && fa >= fPrev))
                return Zoom(aPrev, fPrev, dgPrev, a, fa, dga, out fOut, ref evaluations);
            if (Math.Abs(dga) <= -C2 * dg0) { Accept(fa, out fOut); return true; }
            if (dga >= 0)
                return Zoom(a, fa, dga, aPrev, fPrev, dgPrev, out fOut, ref evaluations, loIsTry: true);
            // Still descending steeply: remember this point as the low end and step further.
            Array.Copy(xTry, xOut, p); Array.Copy(gTry, gOut, p);
            aPrev = a; fPrev = fa; dgPrev = dga;
            a *= 2;
        }
        return false;

        void Accept(double fa, out double fo)
        {
            Array.Copy(xTry, xOut, p); Array.Copy(gTry, gOut, p);
            fo = fa;
        }

        // Algorithm 3.6: shrink [lo, hi] (lo satisfies sufficient decrease and has the lowest f so
        // far) until a trial point meets the strong Wolfe conditions. When lo is a trial point
        // (not 0) its x and g are kept in xOut/gOut so it can be returned if the budget runs out.
        bool Zoom(double lo, double fLo, double dgLo, double hi, double fHi, double dgHi, out double fo, ref int evals, bool loIsTry = false)
        {
            if (loIsTry) { Array.Copy(xTry, xOut, p); Array.Copy(gTry, gOut, p); }
            bool loIsPoint = lo > 0;
            fo = f0;
            while (budget > 0)
            {
                double t = CubicMin(lo, fLo, dgLo, hi, fHi, dgHi);
                double lower = Math.Min(lo, hi), width = Math.Abs(hi - lo);
                if (!double.IsFinite(t) || t < lower + 0.1 * width || t > lower + 0.9 * width) t = 0.5 * (lo + hi);
                if (width <= 1e-16 * Math.Max(1.0, Math.Abs(lo))) break;
                double ft = Phi(t, xTry, gTry, out double dgt);
                evals++;
                if (!double.IsFinite(ft) || ft > f0 + C1 * t * dg0 || ft >= fLo)
                {
                    hi = t; fHi = ft; dgHi = dgt;
                }
                else
                {
                    if (Math.Abs(dgt) <= -C2 * dg0) { Array.Copy(xTry, xOut, p); Array.Copy(gTry, gOut, p); fo = ft; return true; }
                    if (dgt * (hi - lo) >= 0) { hi = lo; fHi = fLo; dgHi = dgLo; }
                    lo = t; fLo = ft; dgLo = dgt;
                    Array.Copy(xTry, xOut, p); Array.Copy(gTry, gOut, p);
                    loIsPoint = true;
                }
            }
            // Out of budget: a point with sufficient decrease still makes progress.
            if (loIsPoint && fLo < f0) { fo = fLo; return true; }
            return false;
        }
    }

    /// <summary>Minimiser of the cubic through (a, fa, ga) and (b, fb, gb) (Nocedal and Wright eq. 3.59).</summary>
    private static double CubicMin(double a, double fa, double ga, double b, double fb, double gb)
    {
        if (!double.IsFinite(fb) || !double.IsFinite(gb)) return double.NaN;
        double d1 = ga + gb - 3 * (fa - fb) / (a - b);
        double disc = d1 * d1 - ga * gb;
        if (disc < 0) return double.NaN;
        double d2 = Math.Sign(b - a) * Math.Sqrt(disc);
        return b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
    }

    private static int Mod(int a, int m) => ((a % m) + m) % m;

    internal static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void Axpy(double alpha, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += alpha * x[i];
    }

    internal static double InfNorm(double[] v)
    {
        double m = 0;
        for (int i = 0; i < v.Length; i++) m = Math.Max(m, Math.Abs(v[i]));
        return m;
    }
}

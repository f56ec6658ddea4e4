using MathNet.Numerics.LinearAlgebra;

namespace PruneCmdlets.Report;

/// <summary>
/// A 2-D map of embeddings for the report: the projection on the two leading principal axes of
/// a sample. The covariance is accumulated in double from the float rows and decomposed with
/// MathNet.Numerics' symmetric eigenvalue decomposition (D×D, D = 512 for ResNet18, so a
/// fraction of a second). Signs are fixed so the largest coordinate of each axis is positive:
/// the same data always draws the same map, not its mirror image.
/// </summary>
public static class PrincipalComponents
{
    /// <summary>The first two coordinates of every row, and the share of the variance each axis explains.</summary>
    public static (double[] X, double[] Y, double ExplainedX, double ExplainedY) Project2D(IReadOnlyList<ReadOnlyMemory<float>> rows)
    {
        int n = rows.Count;
        if (n == 0) return (Array.Empty<double>(), Array.Empty<double>(), 0, 0);
        int d = rows[0].Length;
        var mean = new double[d];
        foreach (var r in rows)
        {
            var s = r.Span;
            for (int j = 0; j < d; j++) mean[j] += s[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;

        var centred = Matrix<double>.Build.Dense(n, d);
        for (int i = 0; i < n; i++)
        {
            var s = rows[i].Span;
            for (int j = 0; j < d; j++) centred[i, j] = s[j] - mean[j];
        }
        var cov = centred.TransposeThisAndMultiply(centred) / Math.Max(1, n - 1);
        var evd = cov.Evd(Symmetricity.Symmetric);
        // MathNet returns eigenvalues in ascending order for symmetric matrices.
        var values = evd.EigenValues.Select(v => v.Real).ToArray();
        var order = Enumerable.Range(0, d).OrderByDescending(k => values[k]).ToArray();
        double total = values.Where(v => v > 0).Sum();
        var axes = new Vector<double>[2];
        for (int a = 0; a < 2; a++)
        {
            if (a >= d) { axes[a] = Vector<double>.Build.Dense(d); continue; }
            var v = evd.EigenVectors.Column(order[a]);
            int big = v.AbsoluteMaximumIndex();
            axes[a] = v[big] < 0 ? -v : v;
        }
        var px = centred * axes[0];
        var py = centred * axes[1];
        double ex = d > 0 && total > 0 ? Math.Max(0, values[order[0]]) / total : 0;
        double ey = d > 1 && total > 0 ? Math.Max(0, values[order[1]]) / total : 0;
        return (px.ToArray(), py.ToArray(), ex, ey);
    }
}

namespace PruneCmdlets.Core.Tests;

/// <summary>Test-only data helpers: independent of the code under test (System.Random, double maths).</summary>
internal static class TestData
{
    /// <summary>n×d row-major floats, standard normal (Box–Muller over System.Random).</summary>
    public static float[] Gaussian(int n, int d, int seed, double scale = 1.0)
    {
        var rng = new Random(seed);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(scale * NextGaussian(rng));
        return x;
    }

    public static double NextGaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>‖a−b‖² in double, the naive way.</summary>
    public static double SqDist(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double t = (double)a[i] - b[i]; s += t * t; }
        return s;
    }

    public static float[] RowNorms(float[] x, int n, int d)
    {
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double)x[i * d + j] * x[i * d + j];
            r[i] = (float)s;
        }
        return r;
    }

    public static float[][] Rows(float[] x, int n, int d)
    {
        var rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = x.AsSpan(i * d, d).ToArray();
        return rows;
    }

    /// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "prunecmdlets-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }
}

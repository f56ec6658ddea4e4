using PruneCmdlets.Numerics;
using PruneCmdlets.Probing;

namespace PruneCmdlets.Issues;

/// <summary>What the label check found, record by record and for the whole set.</summary>
public sealed class LabelCheckResult
{
    /// <summary>The classes in ordinal order; class index c is Classes[c].</summary>
    public required string[] Classes { get; init; }
    /// <summary>N×K out-of-sample class probabilities, row-major.</summary>
    public required double[] Probabilities { get; init; }
    /// <summary>Class index of each record's given label.</summary>
    public required int[] Given { get; init; }
    /// <summary>Out-of-sample probability of the given label (self-confidence): low is suspect.</summary>
    public required double[] Quality { get; init; }
    /// <summary>The class confident learning counts the record under, or the most probable class where none clears its threshold.</summary>
    public required int[] Suggested { get; init; }
    /// <summary>True where a class other than the given one is the confident class.</summary>
    public required bool[] Issue { get; init; }
    /// <summary>Per class: the mean self-confidence of the records labelled with it.</summary>
    public required double[] Thresholds { get; init; }
    /// <summary>The confident joint: K×K counts, given label (row) × confident class (column); records with no confident class are not counted.</summary>
    public required long[] ConfidentJoint { get; init; }
    /// <summary>Fraction of records whose most probable out-of-sample class is their given label.</summary>
    public double CrossValidatedAccuracy { get; init; }
    public LabelClassifier Classifier { get; init; }
    public int Folds { get; init; }
}

/// <summary>
/// Label errors by confident learning (Northcutt, Jiang and Chuang 2021): out-of-sample class
/// probabilities for every record, either from the logistic-regression probe fitted K times on
/// stratified folds or from the labels of each record's nearest neighbours; per class a threshold,
/// the mean probability of that class over the records labelled with it; a record counts under
/// the most probable class that clears its own threshold, and is a label issue when that class is
/// not its given one. The counts form the confident joint, the estimated noise matrix.
///
/// Determinism: folds are drawn from a seeded generator per class, the probe is bit-identical on
/// any thread count, and every sum runs in record order.
/// </summary>
public static class LabelIssueFinder
{
    /// <summary>Class indices of the labels (ordinal order of the distinct labels); refuses what cannot be checked.</summary>
    public static (string[] Classes, int[] Given) Encode(IReadOnlyList<string> labels, int minPerClass)
    {
        var classes = labels.Distinct(StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
            throw new DataIssueException("SingleClass", $"Every labelled record has the label '{classes.FirstOrDefault()}': the label check compares classes, so it needs at least two.");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Length; c++) index[classes[c]] = c;
        var given = labels.Select(l => index[l]).ToArray();
        var counts = new int[classes.Length];
        foreach (int g in given) counts[g]++;
        for (int c = 0; c < classes.Length; c++)
            if (counts[c] < minPerClass)
                throw new DataIssueException("ClassTooSmall",
                    $"Class '{classes[c]}' has {counts[c]} record(s), fewer than the {minPerClass} cross-validation folds: every fold must hold out some of each class. Lower -Folds, use -Classifier Neighbors, or leave the class out.");
        return (classes, given);
    }

    /// <summary>Stratified folds: each class's records shuffled by a stream of the seed and dealt round-robin, continuing across classes so fold sizes differ by at most one.</summary>
    public static int[] StratifiedFolds(int[] given, int classes, int folds, long seed)
    {
        var fold = new int[given.Length];
        int next = 0;
        for (int c = 0; c < classes; c++)
        {
            var members = Enumerable.Range(0, given.Length).Where(i => given[i] == c).ToArray();
            DeterministicRandom.Derive(seed, c).Shuffle(members);
            foreach (int i in members) { fold[i] = next; next = (next + 1) % folds; }
        }
        return fold;
    }

    /// <summary>Out-of-sample probabilities from the probe: fitted on K−1 folds, applied to the held-out one.</summary>
    public static double[] ProbeProbabilities(float[] x, int n, int d, int[] given, string[] classes, int folds, long seed, LogisticRegressionOptions options,
        Action<int>? foldDone = null, CancellationToken cancel = default)
    {
        int k = classes.Length;
        var fold = StratifiedFolds(given, k, folds, seed);
        var probabilities = new double[(long)n * k];
        for (int f = 0; f < folds; f++)
        {
            cancel.ThrowIfCancellationRequested();
            var train = Enumerable.Range(0, n).Where(i => fold[i] != f).ToArray();
            var test = Enumerable.Range(0, n).Where(i => fold[i] == f).ToArray();
            var model = LogisticRegression.Fit(Rows(x, d, train), train.Length, d, train.Select(i => classes[given[i]]).ToArray(), options, cancel: cancel);
            var p = model.PredictProbabilities(Rows(x, d, test), test.Length, options.MaxThreads, cancel);
            // The model's classes are those of its training rows: every class, as each fold holds out only part of each.
            var column = model.Classes.Select(c => Array.IndexOf(classes, c)).ToArray();
            for (int t = 0; t < test.Length; t++)
                for (int c = 0; c < column.Length; c++) probabilities[(long)test[t] * k + column[c]] = p[(long)t * column.Length + c];
            foldDone?.Invoke(f + 1);
        }
        return probabilities;
    }

    /// <summary>Out-of-sample probabilities from the neighbours: the fraction of a record's k nearest neighbours (itself excluded) with each label.</summary>
    public static double[] NeighborProbabilities(NeighborGraph graph, int[] given, int classes)
    {
        var probabilities = new double[(long)graph.Rows * classes];
        for (int i = 0; i < graph.Rows; i++)
        {
            int found = 0;
            for (int t = 0; t < graph.K; t++) if (graph.Index[(long)i * graph.K + t] >= 0) found++;
            for (int t = 0; t < found; t++) probabilities[(long)i * classes + given[graph.Index[(long)i * graph.K + t]]] += 1.0 / found;
        }
        return probabilities;
    }

    /// <summary>
    /// <paramref name="into"/> becomes the mean of itself and <paramref name="other"/>, entry by
    /// entry (LabelClassifier.Both): each row of either sums to 1, so each row of the mean does.
    /// </summary>
    public static void Average(double[] into, double[] other)
    {
        if (into.Length != other.Length) throw new ArgumentException("Both probability matrices must have the same shape.", nameof(other));
        for (long i = 0; i < into.LongLength; i++) into[i] = (into[i] + other[i]) / 2;
    }

    /// <summary>Mean fraction of each record's neighbours that share its label: how well the embedding's geometry fits the labels.</summary>
    public static double NeighborAgreement(NeighborGraph graph, int[] given)
    {
        double sum = 0;
        for (int i = 0; i < graph.Rows; i++)
        {
            int found = 0, same = 0;
            for (int t = 0; t < graph.K; t++)
            {
                int j = graph.Index[(long)i * graph.K + t];
                if (j < 0) break;
                found++;
                if (given[j] == given[i]) same++;
            }
            sum += found == 0 ? 0 : (double)same / found;
        }
        return graph.Rows == 0 ? 0 : sum / graph.Rows;
    }

    /// <summary>
    /// Confident learning over out-of-sample probabilities. Without <paramref name="thresholds"/>
    /// each class's threshold is the mean self-confidence of these records; with them (a label
    /// model's, fitted on a sample) every record is decided by its own probabilities alone.
    /// </summary>
    public static LabelCheckResult ConfidentLearning(double[] probabilities, int[] given, string[] classes, LabelClassifier classifier, int folds, double[]? thresholds = null)
    {
        int n = given.Length, k = classes.Length;
        var threshold = thresholds ?? MeanSelfConfidence(probabilities, given, k);

        var quality = new double[n];
        var suggested = new int[n];
        var issue = new bool[n];
        var joint = new long[k * k];
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            long row = (long)i * k;
            quality[i] = probabilities[row + given[i]];
            int confident = -1, best = 0;
            for (int c = 0; c < k; c++)
            {
                double p = probabilities[row + c];
                if (p > probabilities[row + best]) best = c;
                if (p >= threshold[c] && (confident < 0 || p > probabilities[row + confident])) confident = c;
            }
            if (best == given[i]) correct++;
            if (confident >= 0)
            {
                joint[given[i] * k + confident]++;
                issue[i] = confident != given[i];
            }
            suggested[i] = confident >= 0 ? confident : best;
        }
        return new LabelCheckResult
        {
            Classes = classes, Probabilities = probabilities, Given = given, Quality = quality, Suggested = suggested, Issue = issue,
            Thresholds = threshold, ConfidentJoint = joint, CrossValidatedAccuracy = n == 0 ? 0 : (double)correct / n,
            Classifier = classifier, Folds = classifier != LabelClassifier.Neighbors ? folds : 0,
        };
    }

    /// <summary>Per class, the mean probability of that class over the records labelled with it (+∞ for a class nobody has).</summary>
    public static double[] MeanSelfConfidence(double[] probabilities, int[] given, int k)
    {
        var sum = new double[k];
        var count = new int[k];
        for (int i = 0; i < given.Length; i++) { sum[given[i]] += probabilities[(long)i * k + given[i]]; count[given[i]]++; }
        var threshold = new double[k];
        for (int c = 0; c < k; c++) threshold[c] = count[c] == 0 ? double.PositiveInfinity : sum[c] / count[c];
        return threshold;
    }

    private static float[] Rows(float[] x, int d, int[] rows)
    {
        var copy = LargeArray.Allocate((long)rows.Length * d);
        for (int t = 0; t < rows.Length; t++) Array.Copy(x, (long)rows[t] * d, copy, (long)t * d, d);
        return copy;
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using PruneCmdlets.Clustering;
using PruneCmdlets.Dedup;
using PruneCmdlets.Embedding;
using PruneCmdlets.Numerics;

namespace PruneCmdlets.Issues;

/// <summary>The records to check: their vectors and what is known of each, in input order.</summary>
public sealed class DataIssueInput
{
    public required IReadOnlyList<ReadOnlyMemory<float>> Vectors { get; init; }
    public required IReadOnlyList<string> Ids { get; init; }
    public IReadOnlyList<string?>? Labels { get; init; }
    public IReadOnlyList<string?>? Paths { get; init; }
    /// <summary>Each record's k-means cluster, for the duplicate keep rule; null measures every record against the set's mean direction.</summary>
    public int[]? Clusters { get; init; }
    public KMeansModel? Model { get; init; }
    /// <summary>The embedding model the vectors came from (the records' Model), for a label model to name and check.</summary>
    public string? EmbeddingModel { get; init; }
    /// <summary>The reference set of the leak check (a test split).</summary>
    public DataIssueReference? Reference { get; init; }
}

/// <summary>The records a leak is searched in.</summary>
public sealed class DataIssueReference
{
    public required IReadOnlyList<ReadOnlyMemory<float>> Vectors { get; init; }
    public required IReadOnlyList<string> Ids { get; init; }
    public IReadOnlyList<string?>? Paths { get; init; }
}

/// <summary>Progress of a run: which check, and how far it is (0 to 1).</summary>
public readonly record struct DataIssueProgress(string Stage, double Fraction);

/// <summary>
/// Runs the checks Find-DataIssue offers over one set of records and says, per record, which
/// issues it has and why, and over the set what was found. Every check is exact (all pairs are
/// scored by the blocked kernel) and seeded; see each check's type for its method.
/// </summary>
public static class DataIssueFinder
{
    public static (RecordIssues[] Records, DataIssueSummary Summary) Run(DataIssueInput input, DataIssueOptions options,
        Action<DataIssueProgress>? progress = null, CancellationToken cancel = default)
        => Run(input, options, out _, progress, cancel);

    /// <param name="fitted">With <see cref="DataIssueOptions.FitLabelModel"/>, the label model fitted on these records; else null.</param>
    public static (RecordIssues[] Records, DataIssueSummary Summary) Run(DataIssueInput input, DataIssueOptions options, out LabelModel? fitted,
        Action<DataIssueProgress>? progress = null, CancellationToken cancel = default)
    {
        fitted = null;
        options.Validate();
        int n = input.Vectors.Count;
        if (n == 0) throw new DataIssueException("NoInput", "There are no records to check.");
        int d = input.Vectors[0].Length;
        var checks = options.Checks;
        if (checks.HasFlag(DataCheck.Leak) && input.Reference is null)
            throw new DataIssueException("ReferenceRequired", "The leak check compares the records with a reference set: give one with -Reference (for example the test split's records).");
        var c = CultureInfo.InvariantCulture;
        var matrix = EmbeddingMatrix.Build(input.Vectors, DistanceMetric.Cosine, out var zeroRows);
        if (zeroRows.Count > 0) throw new DataIssueException("ZeroVector", $"Record '{input.Ids[zeroRows[0]]}' is all zeros: it has no direction, so no cosine similarity.", zeroRows[0]);
        var u = matrix.Data;

        var issues = Enumerable.Range(0, n).Select(_ => new List<string>()).ToArray();
        var reasons = Enumerable.Range(0, n).Select(_ => new List<string>()).ToArray();
        var labelQuality = new double?[n];
        var suggested = new string?[n];
        var outlierScore = new double?[n];
        var duplicateOf = new string?[n];
        var duplicateSimilarity = new double?[n];
        var leakOf = new string?[n];
        var leakSimilarity = new double?[n];
        var leakPixels = new double?[n];

        NeighborGraph? graph = null;
        NeighborGraph Graph() => graph ??= Neighbours(u, n, d, options, progress, cancel);

        double? outlierThreshold = null;
        string? outlierRule = null;
        if (checks.HasFlag(DataCheck.Outlier))
        {
            if (n < 2) throw new DataIssueException("TooFewRecords", "The outlier check measures each record against its nearest neighbours, so it needs at least two records.");
            var g = Graph();
            var scores = OutlierScores(g);
            (outlierThreshold, outlierRule) = options.OutlierThreshold is { } t
                ? (t, "given with -OutlierThreshold")
                : FitFence(scores, options.OutlierFence);
            for (int i = 0; i < n; i++)
            {
                outlierScore[i] = scores[i];
                if (scores[i] > outlierThreshold)
                {
                    issues[i].Add(nameof(DataIssueKind.Outlier));
                    reasons[i].Add($"outlier: mean cosine distance {scores[i].ToString("0.0000", c)} to its {g.K} nearest neighbours, above {outlierThreshold.Value.ToString("0.0000", c)} ({outlierRule})");
                }
            }
        }

        LabelCheckResult? label = null;
        double? agreement = null;
        int unlabelled = 0;
        if (checks.HasFlag(DataCheck.Label))
        {
            var labels = input.Labels ?? throw new DataIssueException("NoLabels", "The label check needs labels: give the records a Label (Get-Embedding sets it from the folder, Import-Embedding from -LabelPath).");
            var labelled = Enumerable.Range(0, n).Where(i => !string.IsNullOrEmpty(labels[i])).ToArray();
            unlabelled = n - labelled.Length;
            if (labelled.Length == 0) throw new DataIssueException("NoLabels", "No record has a Label, and the label check compares given labels with what the data says. Label the records, or run the other checks with -Check Outlier, Duplicate.");
            var model = options.LabelModel;
            var (classes, given) = model is null
                ? LabelIssueFinder.Encode(labelled.Select(i => labels[i]!).ToArray(), options.Classifier != LabelClassifier.Neighbors ? options.Folds : 1)
                : EncodeFor(model, labelled, labels, d, input.EmbeddingModel);
            double[] probabilities;
            if (model is not null)
            {
                // Each record's probabilities and the thresholds come from the model alone: no
                // neighbours, no folds over these records, so any subset gets what the whole set gets.
                var x = EmbeddingMatrix.CopyRows(labelled.Select(i => input.Vectors[i]).ToList(), DistanceMetric.Euclidean, out _);
                probabilities = model.Probabilities(x, labelled.Length, labelled.Select(i => input.Ids[i]).ToList(), given, options.MaxThreads, cancel, out _);
                label = LabelIssueFinder.ConfidentLearning(probabilities, given, classes, LabelClassifier.Probe, model.Folds, model.Document.Thresholds);
            }
            else
            {
                // Neighbours among the labelled records only: an unlabelled neighbour has no vote.
                NeighborGraph labelledGraph;
                if (labelled.Length == n) labelledGraph = Graph();
                else
                {
                    var sub = EmbeddingMatrix.Build(labelled.Select(i => input.Vectors[i]).ToList(), DistanceMetric.Cosine, out _);
                    labelledGraph = Neighbours(sub.Data, labelled.Length, d, options, progress, cancel);
                }
                agreement = LabelIssueFinder.NeighborAgreement(labelledGraph, given);
                float[]? x = null;
                if (options.Classifier != LabelClassifier.Neighbors)
                {
                    x = EmbeddingMatrix.CopyRows(labelled.Select(i => input.Vectors[i]).ToList(), DistanceMetric.Euclidean, out _);
                    var probe = options.Probe;
                    probe.MaxThreads = options.MaxThreads;
                    probabilities = LabelIssueFinder.ProbeProbabilities(x, labelled.Length, d, given, classes, options.Folds, options.Seed, probe,
                        f => progress?.Invoke(new DataIssueProgress("label check: probe folds", (double)f / options.Folds)), cancel);
                }
                else probabilities = LabelIssueFinder.NeighborProbabilities(labelledGraph, given, classes.Length);
                if (options.Classifier == LabelClassifier.Both) LabelIssueFinder.Average(probabilities, LabelIssueFinder.NeighborProbabilities(labelledGraph, given, classes.Length));
                label = LabelIssueFinder.ConfidentLearning(probabilities, given, classes, options.Classifier, options.Folds);
                if (options.FitLabelModel)
                {
                    progress?.Invoke(new DataIssueProgress("label model: probe on every labelled record", 0));
                    fitted = LabelModel.Fit(x!, labelled.Length, d, given, labelled.Select(i => input.Ids[i]).ToArray(), label, input.EmbeddingModel, options.Seed, options.Probe, cancel);
                }
            }
            string by = label.Classifier switch { LabelClassifier.Probe => "the probe says", LabelClassifier.Both => "the probe and its neighbours say", _ => "its neighbours say" };
            for (int t = 0; t < labelled.Length; t++)
            {
                int i = labelled[t];
                int s = label.Suggested[t];
                labelQuality[i] = label.Quality[t];
                suggested[i] = classes[s];
                if (!label.Issue[t]) continue;
                issues[i].Add(nameof(DataIssueKind.LabelError));
                reasons[i].Add($"label error: labelled '{classes[given[t]]}' (out-of-sample p {label.Quality[t].ToString("0.00", c)}); {by} '{classes[s]}' ({probabilities[(long)t * classes.Length + s].ToString("0.00", c)})");
            }
        }

        int duplicateGroups = 0;
        if (checks.HasFlag(DataCheck.Duplicate))
        {
            var dedup = new SemDeDupOptions { Epsilon = options.DuplicateEpsilon, KeepRule = options.DuplicateKeepRule, MaxThreads = options.MaxThreads };
            var clusters = input.Clusters ?? new int[n];
            // Beyond the exact limit, pairs are searched inside the coarse lists of the clustered
            // neighbour search (the keep rule still measures each member against its own cluster).
            var lists = options.Clustered(n) ? Graph().ListOf : null;
            var result = SemanticDeduplicator.Run(input.Vectors, lists ?? clusters, input.Clusters is null ? null : input.Model, dedup,
                p => progress?.Invoke(new DataIssueProgress("duplicates", p.PairsTotal == 0 ? 1 : (double)p.PairsDone / p.PairsTotal)), cancel, input.Ids,
                acrossClusters: lists is null, keepClusters: lists is null ? null : clusters);
            duplicateGroups = result.Groups.Count;
            var (keeperOf, similarity, _) = DuplicateDecisions.Explain(result, input.Vectors, dedup, i => input.Ids[i]);
            double threshold = 1 - options.DuplicateEpsilon;
            for (int i = 0; i < n; i++)
            {
                if (keeperOf[i] < 0) continue;
                duplicateOf[i] = input.Ids[keeperOf[i]];
                duplicateSimilarity[i] = similarity[i];
                if (keeperOf[i] == i) continue;
                issues[i].Add(nameof(DataIssueKind.Duplicate));
                reasons[i].Add(similarity[i] >= threshold
                    ? $"duplicate: near-copy of '{input.Ids[keeperOf[i]]}', which is kept in its place (cosine {similarity[i].ToString("0.0000", c)} ≥ {threshold.ToString("0.####", c)})"
                    : $"duplicate: near-copy of '{input.Ids[keeperOf[i]]}', which is kept in its place, through a chain of pairs with cosine ≥ {threshold.ToString("0.####", c)} (cosine {similarity[i].ToString("0.0000", c)} to it)");
            }
        }

        int pixelChecks = 0;
        PixelComparison? pixelScope = null;
        if (checks.HasFlag(DataCheck.Leak))
        {
            var reference = input.Reference!;
            if (reference.Vectors.Count == 0) throw new DataIssueException("EmptyReference", "The reference set holds no records.");
            (pixelChecks, pixelScope) = FindLeaks(u, n, d, input, reference, options.Leak, options.MaxThreads, progress, cancel, leakOf, leakSimilarity, leakPixels);
            for (int i = 0; i < n; i++)
            {
                if (leakOf[i] is null) continue;
                issues[i].Add(nameof(DataIssueKind.Leak));
                reasons[i].Add($"leak: near-copy of reference record '{leakOf[i]}' (embedding cosine {leakSimilarity[i]!.Value.ToString("0.0000", c)}" +
                    (leakPixels[i] is { } p ? $", pixels {p.ToString("0.000", c)})" : ")"));
            }
        }

        var records = new RecordIssues[n];
        for (int i = 0; i < n; i++)
            records[i] = new RecordIssues
            {
                Issues = issues[i].ToArray(),
                Sentences = reasons[i].ToArray(),
                LabelQuality = labelQuality[i], SuggestedLabel = suggested[i], OutlierScore = outlierScore[i],
                DuplicateOf = duplicateOf[i], DuplicateSimilarity = duplicateSimilarity[i],
                LeakOf = leakOf[i], LeakSimilarity = leakSimilarity[i], LeakPixelSimilarity = leakPixels[i],
            };

        var names = Enum.GetNames<DataIssueKind>();
        var counts = names.ToDictionary(k => k, k => records.Count(r => r.Issues.Contains(k)));
        var byClass = names.ToDictionary(k => k, k => (IReadOnlyDictionary<string, int>)Enumerable.Range(0, n).Where(i => records[i].Issues.Contains(k))
            .GroupBy(i => input.Labels?[i] is { Length: > 0 } l ? l : "(no label)", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
        var summary = new DataIssueSummary
        {
            Records = n, Checks = checks, Seed = options.Seed, Neighbors = options.Neighbors, Counts = counts, CountsByClass = byClass,
            NeighborSearch = graph?.Method, LabelModel = options.LabelModel?.Checksum,
            Classifier = label?.Classifier, Folds = label?.Folds ?? 0, Classes = label?.Classes ?? Array.Empty<string>(),
            ClassThresholds = label?.Thresholds ?? Array.Empty<double>(), NoiseMatrix = label is null ? Array.Empty<NoiseCell>() : Noise(label),
            CrossValidatedAccuracy = label?.CrossValidatedAccuracy, NeighborAgreement = agreement, Unlabelled = unlabelled,
            OutlierThreshold = outlierThreshold, OutlierRule = outlierRule,
            DuplicateThreshold = checks.HasFlag(DataCheck.Duplicate) ? 1 - options.DuplicateEpsilon : null, DuplicateGroups = duplicateGroups,
            ReferenceRecords = input.Reference?.Vectors.Count ?? 0,
            LeakThreshold = checks.HasFlag(DataCheck.Leak) ? options.Leak.Threshold : null,
            LeakCandidateThreshold = pixelScope is null ? null : options.Leak.CandidateThreshold,
            LeakPixelThreshold = pixelScope is null ? null : options.Leak.PixelThreshold,
            LeakPixelAgreement = pixelScope == PixelComparison.Always ? options.Leak.PixelAgreement : null,
            LeakPixelScope = pixelScope,
            LeakPixelChecks = pixelChecks,
        };
        return (records, summary);
    }

    /// <summary>The records' labels as the label model's class indices; refuses records the model cannot judge.</summary>
    private static (string[] Classes, int[] Given) EncodeFor(LabelModel model, int[] labelled, IReadOnlyList<string?> labels, int d, string? embeddingModel)
    {
        if (d != model.Dimension)
            throw new DataIssueException("LabelModelDimensionMismatch", $"The records have {d} dimensions but the label model was fitted on {model.Dimension}: fit the label model on records embedded by the same model.");
        if (embeddingModel is not null && model.EmbeddingModel is not null && !string.Equals(embeddingModel, model.EmbeddingModel, StringComparison.Ordinal))
            throw new DataIssueException("LabelModelModelMismatch", $"The records were embedded by '{embeddingModel}' but the label model was fitted on embeddings of '{model.EmbeddingModel}': probabilities over another model's embeddings mean nothing; fit the label model on records of the same model.");
        var classes = model.Classes.ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Length; c++) index[classes[c]] = c;
        var given = new int[labelled.Length];
        for (int t = 0; t < labelled.Length; t++)
            given[t] = index.TryGetValue(labels[labelled[t]]!, out int c) ? c
                : throw new DataIssueException("UnknownLabel",
                    $"Record {labelled[t]} has the label '{labels[labelled[t]]}', which the label model does not know (its classes: {string.Join(", ", classes.Select(x => $"'{x}'"))}): no class of the sample had it. Fit the label model on a sample that holds every class (a larger -SampleFraction), or leave the record's label empty.", labelled[t]);
        return (classes, given);
    }

    /// <summary>The nearest neighbours of every row of a unit matrix: exact, or inside k-means lists beyond the exact limit.</summary>
    private static NeighborGraph Neighbours(ReadOnlyMemory<float> u, int n, int d, DataIssueOptions options, Action<DataIssueProgress>? progress, CancellationToken cancel)
    {
        int k = Math.Min(options.Neighbors, Math.Max(1, n - 1));
        void Report(long done, long total) => progress?.Invoke(new DataIssueProgress("nearest neighbours", total == 0 ? 1 : (double)done / total));
        return options.Clustered(n)
            ? NeighborGraph.Clustered(u, n, d, k, options.ListsFor(n), options.Probes, options.Seed, options.MaxThreads, cancel, Report)
            : NeighborGraph.Within(u, n, d, k, options.MaxThreads, cancel, Report);
    }

    /// <summary>Each record's mean cosine distance (1 − similarity) to its nearest neighbours.</summary>
    public static double[] OutlierScores(NeighborGraph graph)
    {
        var scores = new double[graph.Rows];
        for (int i = 0; i < graph.Rows; i++)
        {
            double sum = 0;
            int found = 0;
            for (int t = 0; t < graph.K; t++)
            {
                long at = (long)i * graph.K + t;
                if (graph.Index[at] < 0) break;
                sum += 1 - graph.Similarity[at];
                found++;
            }
            scores[i] = found == 0 ? 0 : sum / found;
        }
        return scores;
    }

    /// <summary>Tukey's fence on the scores: Q3 + fence·IQR, quartiles by linear interpolation (numpy's default).</summary>
    public static (double Threshold, string Rule) FitFence(double[] scores, double fence)
    {
        var sorted = (double[])scores.Clone();
        Array.Sort(sorted);
        double q1 = Quantile(sorted, 0.25), q3 = Quantile(sorted, 0.75);
        double threshold = q3 + fence * (q3 - q1);
        var c = CultureInfo.InvariantCulture;
        return (threshold, $"Q3 + {fence.ToString("0.##", c)}·IQR of every record's score: {q3.ToString("0.0000", c)} + {fence.ToString("0.##", c)}·{(q3 - q1).ToString("0.0000", c)}");
    }

    internal static double Quantile(double[] sorted, double q)
    {
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static NoiseCell[] Noise(LabelCheckResult label)
    {
        int k = label.Classes.Length;
        var cells = new List<NoiseCell>();
        for (int g = 0; g < k; g++)
            for (int s = 0; s < k; s++)
                if (label.ConfidentJoint[g * k + s] > 0) cells.Add(new NoiseCell(label.Classes[g], label.Classes[s], label.ConfidentJoint[g * k + s]));
        return cells.ToArray();
    }

    /// <summary>
    /// For each record, its nearest reference records by embedding, and, where the pixels are
    /// compared (<see cref="PixelComparison"/>), as many more nearest by the 8×8 thumbnails (a
    /// cropped copy of a small image can rank far down the embedding's list). A pixel-compared
    /// candidate is a copy when its pixels match (the pixel threshold), or, for two large images,
    /// when it is at or above the embedding threshold and its pixels agree (the agreement bar);
    /// the best is the leak. Where the nearest by embedding is not pixel-compared (no image files,
    /// a flat image, large images in Auto), it is a leak at or above the embedding threshold.
    /// Returns the number of pixel comparisons made and which images were pixel-compared.
    /// </summary>
    private static (int Checks, PixelComparison? Scope) FindLeaks(ReadOnlyMemory<float> u, int n, int d, DataIssueInput input, DataIssueReference reference, LeakOptions options,
        int maxThreads, Action<DataIssueProgress>? progress, CancellationToken cancel, string?[] leakOf, double?[] leakSimilarity, double?[] leakPixels)
    {
        int m = reference.Vectors.Count;
        if (reference.Vectors[0].Length != d)
            throw new DataIssueException("ReferenceDimensionMismatch", $"The reference records have {reference.Vectors[0].Length} dimensions but the records have {d}: embed both with the same model.");
        var refMatrix = EmbeddingMatrix.Build(reference.Vectors, DistanceMetric.Cosine, out var zero);
        if (zero.Count > 0) throw new DataIssueException("ZeroVector", $"Reference record '{reference.Ids[zero[0]]}' is all zeros: it has no direction, so no cosine similarity.");
        int k = Math.Min(options.Candidates, m);
        var graph = NeighborGraph.Between(u, n, refMatrix.Data, m, d, k, maxThreads, cancel,
            (done, total) => progress?.Invoke(new DataIssueProgress("leaks: nearest reference records", (double)done / total)));
        var po = new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1, CancellationToken = cancel };

        static bool IsImage(string? path) => !string.IsNullOrEmpty(path) && ImageTensorLoader.ImageExtensions.Contains(Path.GetExtension(path));
        static PixelSignature? Signature(string? path)
        {
            if (!IsImage(path)) return null;
            try { return PixelSignature.FromFile(path!) is { IsFlat: false } s ? s : null; }
            catch (Exception e) when (e is ImageLoadException or IOException or UnauthorizedAccessException) { return null; } // unreadable: the embedding decides
        }

        // Which pairs the pixels decide: Always, every image pair; Auto, those with a small image
        // on either side, so a set of photos costs no decoding beyond a header read per reference
        // image (and per record image when the reference holds small ones).
        bool recordImages = input.Paths is { } rp && rp.Any(IsImage), referenceImages = reference.Paths is { } fp && fp.Any(IsImage);
        var scope = options.Pixels == PixelComparison.Never || !recordImages || !referenceImages ? (PixelComparison?)null : options.Pixels;
        if (scope == PixelComparison.Auto && !reference.Paths!.AsParallel().Any(path => IsImage(path) && SmallImage(path!)))
            scope = input.Paths!.AsParallel().Any(path => IsImage(path) && SmallImage(path!)) ? PixelComparison.Auto : null;
        // The pixels decide a pair when both images have pixels to compare and the scope takes it in.
        bool PixelsDecide(PixelSignature? mine, PixelSignature? theirs)
            => mine is not null && theirs is not null && (scope == PixelComparison.Always || mine.IsSmall || theirs.IsSmall);

        var referenceSignatures = new PixelSignature?[m];
        if (scope is not null)
        {
            int decoded = 0;
            Parallel.For(0, m, po, j =>
            {
                referenceSignatures[j] = Signature(reference.Paths![j]);
                int now = Interlocked.Increment(ref decoded);
                if (now % 256 == 0) progress?.Invoke(new DataIssueProgress("leaks: reference pixels", (double)now / m));
            });
        }

        int pixelChecks = 0, done = 0;
        Parallel.For(0, n, po, () => new List<int>(2 * k), (i, _, candidates) =>
        {
            long at = (long)i * k;
            var mine = scope is null ? null : Signature(input.Paths?[i]);
            // Candidates in a fixed order (by embedding, then by thumbnail), so ties go the same way on every run.
            candidates.Clear();
            for (int t = 0; t < k; t++)
            {
                int j = graph.Index[at + t];
                // Never a bar above the embedding threshold: what the embedding alone would call a copy, the pixels see.
                if (j < 0 || graph.Similarity[at + t] < Math.Min(options.CandidateThreshold, options.Threshold)) break;
                candidates.Add(j);
            }
            if (mine is not null)
                foreach (int j in NearestThumbnails(mine, referenceSignatures, k))
                    if (!candidates.Contains(j)) candidates.Add(j);

            var us = u.Span.Slice(i * d, d);
            int best = -1;
            double bestPixels = double.NegativeInfinity, bestCosine = 0;
            foreach (int j in candidates)
            {
                var theirs = referenceSignatures[j];
                if (!PixelsDecide(mine, theirs)) continue;
                bool small = mine!.IsSmall || theirs!.IsSmall;
                Interlocked.Increment(ref pixelChecks);
                double p = mine.Similarity(theirs!);
                double cosine = 1.0 - DistanceKernel.ExactSquaredDistance(us, refMatrix.Data.Span.Slice(j * d, d)) / 2.0;
                // A candidate is a copy when its pixels match; two large images close in the embedding need them only to agree.
                bool copy = p >= options.PixelThreshold || (!small && cosine >= options.Threshold && p >= options.PixelAgreement);
                if (copy && p > bestPixels) { best = j; bestPixels = p; bestCosine = cosine; }
            }
            int nearest = graph.Index[at];
            if (best >= 0)
            {
                leakOf[i] = reference.Ids[best];
                leakSimilarity[i] = bestCosine;
                leakPixels[i] = bestPixels;
            }
            else if (nearest >= 0 && graph.Similarity[at] >= options.Threshold && !PixelsDecide(mine, referenceSignatures[nearest]))
            {
                // The nearest has no pixels to compare (or is left to the embedding): the embedding alone decides.
                leakOf[i] = reference.Ids[nearest];
                leakSimilarity[i] = graph.Similarity[at];
            }
            int now = Interlocked.Increment(ref done);
            if (scope is not null && now % 256 == 0) progress?.Invoke(new DataIssueProgress("leaks: pixel checks", (double)now / n));
            return candidates;
        }, _ => { });
        return (pixelChecks, scope);
    }

    /// <summary>True when the image's shorter side is under <see cref="PixelSignature.SmallSide"/> pixels, read from its header; false when it cannot be read.</summary>
    private static bool SmallImage(string path)
    {
        try { return SixLabors.ImageSharp.Image.Identify(path) is { } info && Math.Min(info.Width, info.Height) < PixelSignature.SmallSide; }
        catch (Exception e) when (e is SixLabors.ImageSharp.ImageFormatException or SixLabors.ImageSharp.UnknownImageFormatException or IOException or UnauthorizedAccessException or NotSupportedException) { return false; }
    }

    /// <summary>The <paramref name="k"/> reference images whose thumbnails correlate best with the record's, best first, ties to the lower index.</summary>
    private static IEnumerable<int> NearestThumbnails(PixelSignature mine, PixelSignature?[] reference, int k)
    {
        var order = new int[k];
        var score = new double[k];
        int found = 0;
        for (int j = 0; j < reference.Length; j++)
        {
            if (reference[j] is not { } theirs) continue;
            double s = mine.CoarseSimilarity(theirs);
            if (found == k && s <= score[k - 1]) continue;
            int at = found < k ? found++ : k - 1;
            while (at > 0 && score[at - 1] < s) { score[at] = score[at - 1]; order[at] = order[at - 1]; at--; }
            score[at] = s;
            order[at] = j;
        }
        return order.Take(found);
    }
}

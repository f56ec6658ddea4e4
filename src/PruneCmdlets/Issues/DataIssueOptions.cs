using PruneCmdlets.Probing;

namespace PruneCmdlets.Issues;

/// <summary>The checks Find-DataIssue can run; each flags records with the issue of the same name.</summary>
[Flags]
public enum DataCheck
{
    None = 0,
    /// <summary>The given label disagrees with what the rest of the data says (confident learning).</summary>
    Label = 1,
    /// <summary>Far from every other record: broken, off-topic or very rare.</summary>
    Outlier = 2,
    /// <summary>A near-copy of another record of the set, anywhere in it.</summary>
    Duplicate = 4,
    /// <summary>A near-copy of a record of a reference set (a test split).</summary>
    Leak = 8,
}

/// <summary>Which classifier gives the out-of-sample class probabilities of the label check.</summary>
public enum LabelClassifier
{
    /// <summary>The module's logistic-regression probe, K-fold cross-validated.</summary>
    Probe,
    /// <summary>The labels of the k nearest neighbours (by cosine), each record left out of its own vote.</summary>
    Neighbors,
    /// <summary>
    /// The mean of the two: the probe's cross-validated probabilities and the neighbours' label
    /// fractions. The two err on different records (the probe on what is linearly ambiguous, the
    /// neighbours on what sits between two dense classes), so a class must win both to be
    /// confident, and fewer correct records are flagged for the same errors found.
    /// </summary>
    Both,
}

/// <summary>How the nearest neighbours are searched.</summary>
public enum NeighborSearch
{
    /// <summary>Exact up to <see cref="DataIssueOptions.ExactLimit"/> records, clustered beyond.</summary>
    Auto,
    /// <summary>Every pair, by the blocked kernel.</summary>
    Exact,
    /// <summary>Inside the nearest k-means lists, as an IVF index searches.</summary>
    Clustered,
}

/// <summary>Every default of the data-issue checks in one place, so the cmdlet, the tests and the bench agree.</summary>
public sealed class DataIssueOptions
{
    public const int DefaultFolds = 5;
    public const int DefaultNeighbors = 10;
    /// <summary>Tukey's "far out" fence: an outlier scores above Q3 + 3·IQR of every record's score.</summary>
    public const double DefaultOutlierFence = 3.0;
    /// <summary>Near-duplicates inside the set: cosine ≥ 1 − ε, Invoke-SemDeDup's default ε.</summary>
    public const double DefaultDuplicateEpsilon = PruneCmdlets.Dedup.SemDeDupOptions.DefaultEpsilon;

    public DataCheck Checks { get; set; } = DataCheck.Label | DataCheck.Outlier | DataCheck.Duplicate;
    /// <summary>
    /// The neighbours by default: on Fashion-MNIST with 10% of the labels flipped they found the
    /// flips at precision 0.60–0.61 and recall 0.74–0.76 over three seeds, the probe at 0.56–0.58
    /// and 0.77–0.78 (scikit-learn's logistic regression on the same rows: 0.56–0.57 and
    /// 0.76–0.78), in a fifteenth of the time.
    /// </summary>
    public LabelClassifier Classifier { get; set; } = LabelClassifier.Neighbors;
    /// <summary>Cross-validation folds of the probe, stratified by label.</summary>
    public int Folds { get; set; } = DefaultFolds;
    /// <summary>Neighbours of the outlier score, the neighbour classifier and the label agreement.</summary>
    public int Neighbors { get; set; } = DefaultNeighbors;
    /// <summary>An explicit outlier threshold on OutlierScore; null fits the fence on the data.</summary>
    public double? OutlierThreshold { get; set; }
    public double OutlierFence { get; set; } = DefaultOutlierFence;
    public double DuplicateEpsilon { get; set; } = DefaultDuplicateEpsilon;
    public PruneCmdlets.Dedup.DuplicateKeepRule DuplicateKeepRule { get; set; } = PruneCmdlets.Dedup.DuplicateKeepRule.FarthestFromCentroid;
    public LeakOptions Leak { get; set; } = new();
    /// <summary>Above this many records, Auto searches neighbours and duplicates inside k-means lists: every pair costs N² dot products.</summary>
    public const int ExactLimit = 300_000;
    public NeighborSearch Search { get; set; } = NeighborSearch.Auto;
    /// <summary>Coarse lists of the clustered search; 0 takes 4·√N.</summary>
    public int Lists { get; set; }
    /// <summary>Lists each record is compared with in the clustered search.</summary>
    public int Probes { get; set; } = DefaultProbes;
    /// <summary>
    /// 32 lists of 4·√N: recall@10 against the exact search 0.993 on 20 000 and on 25 000 Fashion-MNIST
    /// embeddings (16: 0.968), 1.000 on a 200 000-row Gaussian mixture at 128 and 512 dimensions
    /// (measured on 5 000 sampled rows; bench issues-ivf, examples/bench/data-issues-scale.ps1).
    /// </summary>
    public const int DefaultProbes = 32;

    /// <summary>True when <paramref name="n"/> records are searched inside lists.</summary>
    public bool Clustered(int n) => Search == NeighborSearch.Clustered || (Search == NeighborSearch.Auto && n > ExactLimit);
    public int ListsFor(int n) => Lists > 0 ? Lists : (int)Math.Clamp(Math.Round(4 * Math.Sqrt(n)), 1, 65_536);
    public LogisticRegressionOptions Probe { get; set; } = new();
    /// <summary>
    /// A label model fitted on a sample (Find-DataIssue -LabelModel): the label check takes each
    /// record's probabilities and the thresholds from it instead of fitting on these records, so
    /// each record's result depends on itself and the model only (a shard gets what one process gets).
    /// </summary>
    public LabelModel? LabelModel { get; set; }
    /// <summary>Also fit a label model on these records (Find-DataIssue -SaveLabelModel); needs the probe.</summary>
    public bool FitLabelModel { get; set; }
    public long Seed { get; set; }
    /// <summary>Worker threads; -1 uses every core. Never changes the result.</summary>
    public int MaxThreads { get; set; } = -1;

    public void Validate()
    {
        if (Folds < 2) throw new ArgumentOutOfRangeException(nameof(Folds), Folds, "Cross-validation needs at least 2 folds.");
        if (Lists < 0) throw new ArgumentOutOfRangeException(nameof(Lists), Lists, "Lists must be 0 (automatic) or positive.");
        if (Probes < 1) throw new ArgumentOutOfRangeException(nameof(Probes), Probes, "Probes must be at least 1.");
        if (Neighbors < 1) throw new ArgumentOutOfRangeException(nameof(Neighbors), Neighbors, "Neighbors must be at least 1.");
        if (OutlierThreshold is { } t && !(t >= 0 && t <= 2)) throw new ArgumentOutOfRangeException(nameof(OutlierThreshold), t, "A cosine distance lies between 0 and 2.");
        if (!(OutlierFence > 0) || double.IsInfinity(OutlierFence)) throw new ArgumentOutOfRangeException(nameof(OutlierFence), OutlierFence, "The fence must be a positive number of IQRs.");
        if (!(DuplicateEpsilon >= 0 && DuplicateEpsilon <= 1)) throw new ArgumentOutOfRangeException(nameof(DuplicateEpsilon), DuplicateEpsilon, "Epsilon must be between 0 and 1.");
        if (FitLabelModel && LabelModel is not null) throw new ArgumentException("A run either fits a label model or uses one, not both.");
        if (FitLabelModel && Classifier != LabelClassifier.Probe) throw new ArgumentException("A label model is the probe's: fitting one needs Classifier Probe.");
        Leak.Validate();
        Probe.Validate();
    }
}

/// <summary>How a record is matched with a reference record it was copied from (or to).</summary>
public sealed class LeakOptions
{
    /// <summary>
    /// Embedding cosine at or above which a pair is a leak when no pixels can confirm it (vectors
    /// without image files). Measured on 30 real photos with resized, cropped, brightened and
    /// re-encoded copies: ResNet18 scored copies ≥ 0.938 and distinct photos ≤ 0.909.
    /// </summary>
    public const double DefaultThreshold = 0.93;
    /// <summary>
    /// With pixels to compare: embedding cosine at which a reference record becomes a candidate
    /// for the pixel check (beside the <see cref="Candidates"/> nearest by the 8×8 thumbnails).
    /// Low, because small images (28×28) embed copies as far apart as distinct images of one class.
    /// </summary>
    public const double DefaultCandidateThreshold = 0.75;
    /// <summary>
    /// Pixel similarity (see <see cref="PixelSignature"/>) at or above which a candidate is a
    /// copy. High, because small centred images look alike: on Fashion-MNIST (bench DataIssues;
    /// 200 JPEG copies of test images, some cropped, enlarged or brightened, among 20 000
    /// training images) 0.994 found 0.98 of the copies at precision 0.96, and on a second draw
    /// (other test images) 0.96 at 0.955; 0.99 found 0.995 at 0.73, 0.995 found 0.95–0.965 at
    /// 0.96–0.975. Some of what it flags beyond the planted copies are true duplicates already
    /// in the data set (pixels within 3 grey levels on average).
    /// </summary>
    public const double DefaultPixelThreshold = 0.994;
    /// <summary>
    /// Pixel similarity a candidate at or above the embedding threshold still needs when two
    /// large images are compared (<see cref="PixelComparison.Always"/>): the pixels must agree,
    /// so look-alikes the embedding cannot tell apart are not called copies.
    /// </summary>
    public const double DefaultPixelAgreement = 0.9;
    /// <summary>Reference records checked per record: this many nearest by embedding, and as many by the thumbnails.</summary>
    public const int DefaultCandidates = 20;

    public double Threshold { get; set; } = DefaultThreshold;
    public double CandidateThreshold { get; set; } = DefaultCandidateThreshold;
    public double PixelThreshold { get; set; } = DefaultPixelThreshold;
    public double PixelAgreement { get; set; } = DefaultPixelAgreement;
    public int Candidates { get; set; } = DefaultCandidates;
    /// <summary>When image files are compared by their pixels (see <see cref="PixelComparison"/>).</summary>
    public PixelComparison Pixels { get; set; } = PixelComparison.Auto;

    public void Validate()
    {
        if (!(Threshold >= -1 && Threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "A cosine similarity lies between -1 and 1.");
        if (!(CandidateThreshold >= -1 && CandidateThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(CandidateThreshold), CandidateThreshold, "A cosine similarity lies between -1 and 1.");
        if (!(PixelThreshold >= -1 && PixelThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(PixelThreshold), PixelThreshold, "A pixel correlation lies between -1 and 1.");
        if (!(PixelAgreement >= -1 && PixelAgreement <= 1)) throw new ArgumentOutOfRangeException(nameof(PixelAgreement), PixelAgreement, "A pixel correlation lies between -1 and 1.");
        if (Candidates < 1) throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, "At least one candidate is needed.");
    }
}

/// <summary>When the leak check compares image files by their pixels.</summary>
public enum PixelComparison
{
    /// <summary>
    /// For small images (shorter side under <see cref="PixelSignature.SmallSide"/> pixels, on
    /// either side of a pair) the pixels decide, because the embedding cannot tell a copy from a
    /// look-alike there; larger images go by the embedding, which found more of the edited photo
    /// copies than the pixels did.
    /// </summary>
    Auto,
    /// <summary>Every pair of image files is compared by its pixels, large images too.</summary>
    Always,
    /// <summary>The embedding alone decides, whatever the images.</summary>
    Never,
}

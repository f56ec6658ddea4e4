using PruneCmdlets.Clustering;

namespace PruneCmdlets.Selection;

/// <summary>
/// The records a policy selects from, taken from the records a command received and checked
/// once for every caller (Select-PrunedSet, Measure-ShardSummary, Select-PrunedSet -Cut): those
/// an earlier stage pruned (Kept = false) keep that decision and are left out; those the
/// policy's Exclude flags are pruned first, left out, and counted in the amount to keep.
/// </summary>
public sealed class SelectionCandidates
{
    private SelectionCandidates(List<EmbeddingRecord> undecided, HashSet<EmbeddingRecord> excluded)
    {
        Undecided = undecided;
        Excluded = excluded;
        Records = excluded.Count == 0 ? undecided : undecided.Where(r => !excluded.Contains(r)).ToList();
    }

    /// <summary>The records no earlier stage pruned, in input order: what -Keep Auto and the amount to keep count.</summary>
    public IReadOnlyList<EmbeddingRecord> Undecided { get; }

    /// <summary>The undecided records the policy's Exclude prunes before it runs.</summary>
    public IReadOnlySet<EmbeddingRecord> Excluded { get; }

    /// <summary>The records the policy selects from: undecided and not excluded, in input order.</summary>
    public IReadOnlyList<EmbeddingRecord> Records { get; }

    /// <summary>The records no earlier stage pruned (Kept is not false), in input order.</summary>
    public static List<EmbeddingRecord> UndecidedOf(IEnumerable<EmbeddingRecord> records) => records.Where(r => r.Kept != false).ToList();

    /// <summary>The candidates of <paramref name="records"/> for a policy that excludes <paramref name="exclude"/> (MissingIssues when a record was never checked).</summary>
    public static SelectionCandidates Of(IEnumerable<EmbeddingRecord> records, IReadOnlyList<string> exclude)
    {
        var undecided = UndecidedOf(records);
        return new SelectionCandidates(undecided, Exclusion.Flagged(undecided, exclude));
    }

    /// <summary>
    /// MissingDistance (every strategy but Random needs one) and MissingCluster (BalanceBy
    /// Cluster and Density), with the advice that fits one process or a shard scored against a
    /// saved model.
    /// </summary>
    public void CheckFields(SelectionPolicy policy, bool sharded = false)
    {
        if (policy.Keep != KeepStrategy.Random && Records.FirstOrDefault(r => r.Distance is null) is { } noDistance)
            throw Fault("MissingDistance", noDistance,
                $"Record '{noDistance.Id}' has no Distance: pipe the records through Measure-Prototypicality{(sharded ? " -Model" : "")} first, or use -Keep Random.");
        if (policy.BalanceBy is BalanceBy.Cluster or BalanceBy.Density && Records.FirstOrDefault(r => r.Cluster is null) is { } noCluster)
            throw Fault("MissingCluster", noCluster, $"Record '{noCluster.Id}' has no Cluster: " + (sharded
                ? "pipe the records through Measure-Prototypicality -Model (or Invoke-KMeans -Model) first."
                : "pipe the records through Invoke-KMeans first" + (policy.BalanceBy == BalanceBy.Cluster
                    ? ", or balance by Label." : "; density-based pruning needs the clusters and their centroids.")));
    }

    /// <summary>
    /// The checks a sharded run needs on top of <see cref="CheckFields"/>: records scored against
    /// one k-means model (whose fingerprint every shard file carries; records imported from
    /// Parquet carry only the fingerprint, so records are compared by it), never against class
    /// means (each shard would compute its own), and unique Ids (ties are ordered by Id).
    /// Returns the model when a record carries it, and its fingerprint.
    /// </summary>
    public (KMeansModel? Model, string? Fingerprint) CheckShard(SelectionPolicy policy)
    {
        KMeansModel? model = null;
        string? fingerprint = null;
        foreach (var r in Records)
        {
            if (r.Prototype == "Label")
                throw Fault("ShardedLabelPrototype", r, $"Record '{r.Id}' was scored against its class mean (Measure-Prototypicality -Prototype Label), which each shard computes from its own records, so shards would disagree. Score every shard against one saved k-means model: Measure-Prototypicality -Model (Import-KMeansModel model.json).");
            if (r.KMeansModelFingerprint is not { } f) continue;
            model ??= r.KMeansModel;
            if (fingerprint is null) fingerprint = f;
            else if (fingerprint != f)
                throw Fault("MixedClusterModels", r, $"Record '{r.Id}' was scored against a different k-means model ({f}) than the records before it ({fingerprint}); score every shard against one saved model.");
        }
        CheckFields(policy, sharded: true);
        if (policy.BalanceBy == BalanceBy.Density && Records.Count > 0 && model is null)
            throw new SelectionInputException("NoClusterModel", "-BalanceBy Density measures each cluster against the model's centroids: score the records with Measure-Prototypicality -Model (Import-KMeansModel model.json).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in Records)
            if (!seen.Add(r.Id))
                throw Fault("DuplicateId", r, $"Id '{r.Id}' occurs more than once in this shard; a sharded selection orders ties by Id, so every Id must be unique. Import-Embedding -IdPath gives each row its own Id.");
        return (model, fingerprint);
    }

    /// <summary>The selection input of the candidates: what <paramref name="policy"/> reads of each record, in input order.</summary>
    public SelectionInput Input(SelectionPolicy policy, KMeansModel? model) => new(Records.Count)
    {
        Excluded = Excluded.Count,
        Ids = Records.Select(r => r.Id).ToArray(),
        Distances = policy.Keep == KeepStrategy.Random ? null : Records.Select(r => r.Distance!.Value).ToArray(),
        Labels = Records.Select(r => r.Label).ToArray(),
        Clusters = policy.BalanceBy is BalanceBy.Cluster or BalanceBy.Density ? Records.Select(r => r.Cluster!.Value).ToArray() : null,
        Model = model,
        Vectors = policy.BalanceBy == BalanceBy.Density ? Records.Select(r => r.VectorMemory).ToList() : null,
    };

    private static SelectionInputException Fault(string errorId, EmbeddingRecord r, string message)
        => new(errorId, message) { TargetId = r.Id, Target = r };
}

using System.Management.Automation;
using PruneCmdlets.Selection;
using PruneCmdlets.Sharding;

namespace PruneCmdlets.Commands;

/// <summary>
/// The records of one shard as a selection input, checked the way a sharded run needs: scored
/// against one k-means model (whose fingerprint every shard file carries), never against class
/// means (those are computed from the records one process holds, so each shard's would differ),
/// with unique Ids. Records an earlier stage pruned (Kept = false) are left out, as
/// Select-PrunedSet leaves them out.
/// </summary>
internal static class ShardInput
{
    public static (SelectionInput Input, string? Model) Build(PSCmdlet cmdlet, List<EmbeddingRecord> records, SelectionPolicy policy)
        => Build(cmdlet, records, policy, out _);

    /// <summary>As above; <paramref name="excluded"/> receives the records the policy's Exclude prunes first (left out of the input, counted in it).</summary>
    public static (SelectionInput Input, string? Model) Build(PSCmdlet cmdlet, List<EmbeddingRecord> records, SelectionPolicy policy, out HashSet<EmbeddingRecord> excluded)
    {
        var candidates = records.Where(r => r.Kept != false).ToList();
        excluded = Exclusion.Flagged(cmdlet, candidates, policy.Exclude);
        var left = excluded;
        candidates = candidates.Where(r => !left.Contains(r)).ToList();
        // Records carry the model itself, or (imported from Parquet) only its fingerprint: the
        // fingerprint is what every shard file names, so records are compared by it.
        Clustering.KMeansModel? model = null;
        string? fingerprint = null;
        foreach (var r in candidates)
        {
            if (r.Prototype == "Label")
                Fail(cmdlet, "ShardedLabelPrototype", $"Record '{r.Id}' was scored against its class mean (Measure-Prototypicality -Prototype Label), which each shard computes from its own records, so shards would disagree. Score every shard against one saved k-means model: Measure-Prototypicality -Model (Import-KMeansModel model.json).", r);
            if (r.KMeansModelFingerprint is not { } f) continue;
            model ??= r.KMeansModel;
            if (fingerprint is null) fingerprint = f;
            else if (fingerprint != f)
                Fail(cmdlet, "MixedClusterModels", $"Record '{r.Id}' was scored against a different k-means model ({f}) than the records before it ({fingerprint}); score every shard against one saved model.", r);
        }
        if (policy.Keep != KeepStrategy.Random && candidates.FirstOrDefault(r => r.Distance is null) is { } noDistance)
            Fail(cmdlet, "MissingDistance", $"Record '{noDistance.Id}' has no Distance: pipe the records through Measure-Prototypicality -Model first, or use -Keep Random.", noDistance);
        if (policy.BalanceBy is BalanceBy.Cluster or BalanceBy.Density && candidates.FirstOrDefault(r => r.Cluster is null) is { } noCluster)
            Fail(cmdlet, "MissingCluster", $"Record '{noCluster.Id}' has no Cluster: pipe the records through Measure-Prototypicality -Model (or Invoke-KMeans -Model) first.", noCluster);
        if (policy.BalanceBy == BalanceBy.Density && candidates.Count > 0 && model is null)
            Fail(cmdlet, "NoClusterModel", "-BalanceBy Density measures each cluster against the model's centroids: score the records with Measure-Prototypicality -Model (Import-KMeansModel model.json).", null);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in candidates)
            if (!seen.Add(r.Id))
                Fail(cmdlet, "DuplicateId", $"Id '{r.Id}' occurs more than once in this shard; a sharded selection orders ties by Id, so every Id must be unique. Import-Embedding -IdPath gives each row its own Id.", r);
        if (policy.BalanceBy == BalanceBy.Density) RecordCollector.EnsureSourcesUnchanged(cmdlet, candidates);
        var input = new SelectionInput(candidates.Count)
        {
            Excluded = excluded.Count,
            Ids = candidates.Select(r => r.Id).ToArray(),
            Distances = policy.Keep == KeepStrategy.Random ? null : candidates.Select(r => r.Distance!.Value).ToArray(),
            Labels = candidates.Select(r => r.Label).ToArray(),
            Clusters = policy.BalanceBy is BalanceBy.Cluster or BalanceBy.Density ? candidates.Select(r => r.Cluster!.Value).ToArray() : null,
            Model = model,
            Vectors = policy.BalanceBy == BalanceBy.Density ? candidates.Select(r => r.VectorMemory).ToList() : null,
        };
        return (input, fingerprint);
    }

    private static void Fail(PSCmdlet cmdlet, string id, string message, object? target)
        => cmdlet.ThrowTerminatingError(ErrorHelper.Terminating(id, ErrorCategory.InvalidArgument, message, target));
}

/// <summary>Shard file and selection problems as error records with their stable ids.</summary>
internal static class ShardErrors
{
    public static ErrorRecord Of(Exception e, List<EmbeddingRecord>? records = null, SelectionInput? input = null)
    {
        switch (e)
        {
            case ShardFileException f:
                var category = f.ErrorId switch
                {
                    "ShardFileNotFound" or "ShardSummaryMissing" => ErrorCategory.ObjectNotFound,
                    "ShardSummaryDuplicate" => ErrorCategory.ResourceExists,
                    "ShardFileUnreadable" => ErrorCategory.ReadError,
                    "NoInput" => ErrorCategory.InvalidOperation,
                    _ => ErrorCategory.InvalidData,
                };
                return ErrorHelper.Terminating(f.ErrorId, category, f.Message, f.Path, f);
            case SelectionInputException s:
                string message = s.Record >= 0 && input?.Ids is { } ids ? s.Message.Replace($"Record {s.Record} ", $"Record '{ids[s.Record]}' ") : s.Message;
                return ErrorHelper.Terminating(s.ErrorId, s.ErrorId is "ClusterOutOfRange" or "InvalidDistance" ? ErrorCategory.InvalidData : ErrorCategory.InvalidArgument, message, null, s);
            default:
                return ErrorHelper.Terminating("ShardStepFailed", ErrorCategory.InvalidOperation, e.Message, null, e);
        }
    }
}

namespace PruneCmdlets;

/// <summary>
/// One group of semantic duplicates found by Invoke-SemDeDup -ShowDuplicates: the record that
/// would be kept, the ones that would be removed, and how similar they are, so a user can look
/// before pruning.
/// </summary>
public sealed class DuplicateGroup
{
    internal DuplicateGroup(int cluster, EmbeddingRecord kept, EmbeddingRecord[] duplicates, double maxSimilarity, double minSimilarity,
        double minSimilarityToKept, long linkedPairs, string keepRule)
    {
        Cluster = cluster;
        Kept = kept;
        Duplicates = duplicates;
        MaxSimilarity = maxSimilarity;
        MinSimilarity = minSimilarity;
        MinSimilarityToKept = minSimilarityToKept;
        LinkedPairs = linkedPairs;
        KeepRule = keepRule;
    }

    /// <summary>The k-means cluster every member belongs to.</summary>
    public int Cluster { get; }

    /// <summary>Id of the record that survives.</summary>
    public string KeptId => Kept.Id;

    /// <summary>Ids of the records that are removed, in input order.</summary>
    public string[] DuplicateIds => Duplicates.Select(r => r.Id).ToArray();

    /// <summary>Members of the group, the kept record included.</summary>
    public int Count => Duplicates.Length + 1;

    /// <summary>Highest cosine similarity among the pairs that linked the group.</summary>
    public double MaxSimilarity { get; }

    /// <summary>Lowest cosine similarity among the pairs that linked the group; at least 1 − Epsilon.</summary>
    public double MinSimilarity { get; }

    /// <summary>Lowest cosine similarity between the kept record and a removed one; below 1 − Epsilon when the group is a chain.</summary>
    public double MinSimilarityToKept { get; }

    /// <summary>Pairs of members at or above the threshold.</summary>
    public long LinkedPairs { get; }

    /// <summary>The rule that chose the kept record.</summary>
    public string KeepRule { get; }

    /// <summary>The record that survives.</summary>
    public EmbeddingRecord Kept { get; }

    /// <summary>The records that are removed, in input order.</summary>
    public EmbeddingRecord[] Duplicates { get; }

    public override string ToString() => $"{KeptId} (+{Duplicates.Length})";
}

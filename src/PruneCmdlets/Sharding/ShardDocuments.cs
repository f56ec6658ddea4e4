using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Sharding;

/// <summary>A selection policy as it travels between shard steps (Stratified never does: see <see cref="ShardedSelection"/>).</summary>
public sealed class PolicyDocument
{
    [JsonConverter(typeof(JsonStringEnumConverter))] public KeepStrategy Keep { get; set; }
    public double? KeepFraction { get; set; }
    public int? KeepCount { get; set; }
    [JsonConverter(typeof(JsonStringEnumConverter))] public BalanceBy BalanceBy { get; set; }
    public int? MinPerGroup { get; set; }
    public double Temperature { get; set; }
    public long Seed { get; set; }

    public static PolicyDocument From(SelectionPolicy p) => new()
    {
        Keep = p.Keep, KeepFraction = p.KeepFraction, KeepCount = p.KeepCount, BalanceBy = p.BalanceBy, MinPerGroup = p.MinPerGroup,
        Temperature = p.Temperature, Seed = p.Seed,
    };

    public SelectionPolicy ToPolicy() => new()
    {
        Keep = Keep, KeepFraction = KeepFraction, KeepCount = KeepCount, BalanceBy = BalanceBy, MinPerGroup = MinPerGroup,
        Temperature = Temperature, Seed = Seed,
    };
}

/// <summary>
/// One shard's summary of one round. Round 1: per group its size, a few hundred sampled keys of
/// the selection order with how many of the shard's records are at or below each, and (Density)
/// the additive part of d_intra. Round 2: per group that needs a cut, how many records lie at or
/// below the plan's interval and the keys and Ids of the records inside it.
/// </summary>
public sealed class ShardSummaryDocument
{
    public const string FormatName = "PruneCmdlets.ShardSummary";
    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = 1;
    public int Round { get; set; }
    public int ShardIndex { get; set; }
    public int ShardCount { get; set; }
    /// <summary>SHA-256 of the policy and the model: every summary of one run carries the same.</summary>
    public string Fingerprint { get; set; } = "";
    public PolicyDocument Policy { get; set; } = new();
    /// <summary>The k-means model's fingerprint, or null when the records carried none.</summary>
    public string? Model { get; set; }
    public int Records { get; set; }
    /// <summary>Round 2: SHA-256 of the plan file the round ran against, and the plan itself so the merge needs nothing else.</summary>
    public string? PlanSha256 { get; set; }
    public ShardPlanDocument? Plan { get; set; }
    public List<GroupSummary> Groups { get; set; } = new();
}

public sealed class GroupSummary
{
    public string Key { get; set; } = "";
    public int Size { get; set; }
    // Round 1
    public ulong[]? Samples { get; set; }
    public int[]? AtOrBelow { get; set; }
    public string? IntraSum { get; set; }
    public int? IntraCounted { get; set; }
    public double? Inter { get; set; }
    // Round 2
    public int? AtOrBelowLow { get; set; }
    public ulong[]? Keys { get; set; }
    public string[]? Ids { get; set; }
}

/// <summary>The merge of round 1 (a plan: each group's quota and the key interval its cut lies in) or of round 2 (the cut itself).</summary>
public sealed class ShardPlanDocument
{
    public const string PlanFormat = "PruneCmdlets.ShardPlan", CutFormat = "PruneCmdlets.ShardCut";
    public string Format { get; set; } = PlanFormat;
    public int Version { get; set; } = 1;
    public string Fingerprint { get; set; } = "";
    public PolicyDocument Policy { get; set; } = new();
    public string? Model { get; set; }
    public int ShardCount { get; set; }
    public int Records { get; set; }
    public int Total { get; set; }
    /// <summary>Cut only: SHA-256 of the plan the cut was found under.</summary>
    public string? PlanSha256 { get; set; }
    public List<PlanGroup> Groups { get; set; } = new();
}

public sealed class PlanGroup
{
    public string Key { get; set; } = "";
    public string Name { get; set; } = "";
    public int Size { get; set; }
    public int Quota { get; set; }
    public double? Intra { get; set; }
    public double? Inter { get; set; }
    public double? Share { get; set; }
    /// <summary>Plan: the cut's key is in (Low, High]; Low null means from the start.</summary>
    public ulong? Low { get; set; }
    public ulong? High { get; set; }
    /// <summary>Cut: the last kept record of the group in the selection order, and its Distance (Hard and Easy).</summary>
    public ulong? CutKey { get; set; }
    public string? CutId { get; set; }
    public double? CutDistance { get; set; }

    [JsonIgnore] public bool NeedsCut => Quota > 0 && Quota < Size;
}

/// <summary>Reading and writing the shard files: JSON, written atomically, checked on read.</summary>
public static class ShardFiles
{
    private static readonly JsonSerializerOptions Compact = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private static readonly JsonSerializerOptions Indented = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true };

    public static byte[] Serialize(ShardSummaryDocument doc) => JsonSerializer.SerializeToUtf8Bytes(doc, Compact);
    public static byte[] Serialize(ShardPlanDocument doc) => JsonSerializer.SerializeToUtf8Bytes(doc, Indented);

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    public static ShardSummaryDocument ReadSummary(string path) => Read<ShardSummaryDocument>(path, d => d.Format == ShardSummaryDocument.FormatName, "a shard summary written by Measure-ShardSummary");

    public static ShardPlanDocument ReadPlan(string path, string format, out string sha256)
    {
        byte[] bytes = ReadBytes(path);
        sha256 = Sha256(bytes);
        string what = format == ShardPlanDocument.PlanFormat ? "a shard plan written by Merge-ShardSummary from round-1 summaries" : "a cut file written by Merge-ShardSummary from round-2 summaries";
        var doc = Parse<ShardPlanDocument>(bytes, path, what);
        if (doc.Format != format)
            throw new ShardFileException("WrongShardFile", $"'{path}' is {(doc.Format == ShardPlanDocument.PlanFormat ? "a plan (round 1 merged)" : doc.Format == ShardPlanDocument.CutFormat ? "a cut (round 2 merged)" : "not a shard file")}, not {what}.", path);
        return doc;
    }

    private static T Read<T>(string path, Func<T, bool> ok, string what) where T : class
    {
        var doc = Parse<T>(ReadBytes(path), path, what);
        if (!ok(doc)) throw new ShardFileException("WrongShardFile", $"'{path}' is not {what}.", path);
        return doc;
    }

    private static byte[] ReadBytes(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShardFileException(e is FileNotFoundException or DirectoryNotFoundException ? "ShardFileNotFound" : "ShardFileUnreadable", $"Cannot read '{path}': {e.Message}", path, e);
        }
    }

    private static T Parse<T>(byte[] bytes, string path, string what) where T : class
    {
        try { return JsonSerializer.Deserialize<T>(bytes, Compact) ?? throw new JsonException("empty document"); }
        catch (JsonException e) { throw new ShardFileException("CorruptShardFile", $"'{path}' is not {what} (or it is damaged): {e.Message}", path, e); }
    }
}

/// <summary>A shard file that is missing, damaged, of the wrong kind, or inconsistent with the others: a stable id and the file at fault.</summary>
public sealed class ShardFileException : Exception
{
    public ShardFileException(string errorId, string message, string? path = null, Exception? inner = null) : base(message, inner)
    {
        ErrorId = errorId;
        Path = path;
    }

    public string ErrorId { get; }
    public string? Path { get; }
}

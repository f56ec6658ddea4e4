using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Sharding;

/// <summary>A selection policy as it travels between shard steps (Stratified never does: see <see cref="ShardedSelection"/>).</summary>
public sealed class PolicyDocument
{
    [JsonRequired] [JsonConverter(typeof(JsonStringEnumConverter))] public KeepStrategy Keep { get; set; }
    public double? KeepFraction { get; set; }
    public int? KeepCount { get; set; }
    [JsonRequired] [JsonConverter(typeof(JsonStringEnumConverter))] public BalanceBy BalanceBy { get; set; }
    public int? MinPerGroup { get; set; }
    [JsonRequired] public double Temperature { get; set; }
    [JsonRequired] public long Seed { get; set; }
    /// <summary>The issues whose records are pruned before the policy (Measure-ShardSummary -Exclude); absent when none.</summary>
    public string[]? Exclude { get; set; }

    public static PolicyDocument From(SelectionPolicy p) => new()
    {
        Keep = p.Keep, KeepFraction = p.KeepFraction, KeepCount = p.KeepCount, BalanceBy = p.BalanceBy, MinPerGroup = p.MinPerGroup,
        Temperature = p.Temperature, Seed = p.Seed, Exclude = p.Exclude.Count > 0 ? p.Exclude.ToArray() : null,
    };

    public SelectionPolicy ToPolicy() => new()
    {
        Keep = Keep, KeepFraction = KeepFraction, KeepCount = KeepCount, BalanceBy = BalanceBy, MinPerGroup = MinPerGroup,
        Temperature = Temperature, Seed = Seed, Exclude = Exclude ?? Array.Empty<string>(),
    };
}

/// <summary>What every shard file carries so that its reader can tell it was not edited.</summary>
public interface IShardFile
{
    /// <summary>
    /// SHA-256 (hex) of the file's content without this field (<see cref="ShardFiles.ContentChecksum"/>),
    /// set when the file is written: a count or key changed by hand no longer matches it.
    /// </summary>
    string? Checksum { get; set; }
}

/// <summary>
/// One shard's summary of one round. Round 1: per group its size, a few hundred sampled keys of
/// the selection order with how many of the shard's records are at or below each, and (Density)
/// the additive part of d_intra. Round 2: per group that needs a cut, how many records lie at or
/// below the plan's interval and the keys and Ids of the records inside it.
/// </summary>
public sealed class ShardSummaryDocument : IShardFile
{
    public const string FormatName = "PruneCmdlets.ShardSummary";
    [JsonRequired] public string Format { get; set; } = FormatName;
    public int Version { get; set; } = ShardFiles.CurrentVersion;
    /// <inheritdoc/>
    public string? Checksum { get; set; }
    [JsonRequired] public int Round { get; set; }
    [JsonRequired] public int ShardIndex { get; set; }
    [JsonRequired] public int ShardCount { get; set; }
    /// <summary>SHA-256 of the policy and the model: every summary of one run carries the same.</summary>
    [JsonRequired] public string Fingerprint { get; set; } = "";
    [JsonRequired] public PolicyDocument Policy { get; set; } = new();
    /// <summary>The k-means model's fingerprint, or null when the records carried none.</summary>
    public string? Model { get; set; }
    [JsonRequired] public int Records { get; set; }
    /// <summary>Records of the shard pruned for their issues before the policy (the policy's Exclude): not in Records, but counted in the amount to keep.</summary>
    public int Excluded { get; set; }
    /// <summary>Round 2: SHA-256 of the plan file the round ran against, and the plan itself so the merge needs nothing else.</summary>
    public string? PlanSha256 { get; set; }
    public ShardPlanDocument? Plan { get; set; }
    [JsonRequired] public List<GroupSummary> Groups { get; set; } = new();
}

public sealed class GroupSummary
{
    [JsonRequired] public string Key { get; set; } = "";
    [JsonRequired] public int Size { get; set; }
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
public sealed class ShardPlanDocument : IShardFile
{
    public const string PlanFormat = "PruneCmdlets.ShardPlan", CutFormat = "PruneCmdlets.ShardCut";
    [JsonRequired] public string Format { get; set; } = PlanFormat;
    public int Version { get; set; } = ShardFiles.CurrentVersion;
    /// <inheritdoc/>
    public string? Checksum { get; set; }
    [JsonRequired] public string Fingerprint { get; set; } = "";
    [JsonRequired] public PolicyDocument Policy { get; set; } = new();
    public string? Model { get; set; }
    [JsonRequired] public int ShardCount { get; set; }
    [JsonRequired] public int Records { get; set; }
    [JsonRequired] public int Total { get; set; }
    /// <summary>Cut only: SHA-256 of the plan the cut was found under.</summary>
    public string? PlanSha256 { get; set; }
    [JsonRequired] public List<PlanGroup> Groups { get; set; } = new();
}

public sealed class PlanGroup
{
    [JsonRequired] public string Key { get; set; } = "";
    [JsonRequired] public string Name { get; set; } = "";
    [JsonRequired] public int Size { get; set; }
    [JsonRequired] public int Quota { get; set; }
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

/// <summary>
/// Reading and writing the shard files: JSON, written atomically, checked on read. Every file
/// carries a checksum of its own content, so a count, key or Id edited by hand (or a file
/// damaged in a way JSON still parses) is a <c>CorruptShardFile</c> naming the file rather than
/// a different selection; and a file that parses but lacks a field the steps need (null,
/// missing, of an impossible value) is the same error, never a .NET exception. Fields every
/// file must have are [JsonRequired], so a missing one is not silently read as its default.
/// </summary>
public static class ShardFiles
{
    /// <summary>Version 2: the first with <see cref="IShardFile.Checksum"/>; files without one are refused.</summary>
    public const int CurrentVersion = 2;

    private static readonly JsonSerializerOptions Compact = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private static readonly JsonSerializerOptions Indented = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true };

    /// <summary>The file's bytes, with <see cref="IShardFile.Checksum"/> set on <paramref name="doc"/> first.</summary>
    public static byte[] Serialize(ShardSummaryDocument doc) => Seal(doc, Compact);

    /// <inheritdoc cref="Serialize(ShardSummaryDocument)"/>
    public static byte[] Serialize(ShardPlanDocument doc) => Seal(doc, Indented);

    private static byte[] Seal<T>(T doc, JsonSerializerOptions options) where T : IShardFile
    {
        doc.Checksum = ContentChecksum(doc);
        return JsonSerializer.SerializeToUtf8Bytes(doc, options);
    }

    /// <summary>
    /// SHA-256 of the document's canonical form: its compact serialisation without the checksum.
    /// Computed from the parsed values, not the file's bytes, so it does not depend on spacing or
    /// on how a number or a string was spelt, only on what the steps read.
    /// </summary>
    public static string ContentChecksum<T>(T doc) where T : IShardFile
    {
        string? kept = doc.Checksum;
        doc.Checksum = null;
        try { return Sha256(JsonSerializer.SerializeToUtf8Bytes(doc, Compact)); }
        finally { doc.Checksum = kept; }
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    public static ShardSummaryDocument ReadSummary(string path)
    {
        const string what = "a shard summary written by Measure-ShardSummary";
        var doc = Parse<ShardSummaryDocument>(ReadBytes(path), path, what);
        if (doc.Format != ShardSummaryDocument.FormatName) throw new ShardFileException("WrongShardFile", $"'{path}' is not {what}.", path);
        CheckIntact(doc, doc.Version, path);
        CheckSummary(doc, path);
        return doc;
    }

    public static ShardPlanDocument ReadPlan(string path, string format, out string sha256)
    {
        byte[] bytes = ReadBytes(path);
        sha256 = Sha256(bytes);
        string what = format == ShardPlanDocument.PlanFormat ? "a shard plan written by Merge-ShardSummary from round-1 summaries" : "a cut file written by Merge-ShardSummary from round-2 summaries";
        var doc = Parse<ShardPlanDocument>(bytes, path, what);
        if (doc.Format != format)
            throw new ShardFileException("WrongShardFile", $"'{path}' is {(doc.Format == ShardPlanDocument.PlanFormat ? "a plan (round 1 merged)" : doc.Format == ShardPlanDocument.CutFormat ? "a cut (round 2 merged)" : "not a shard file")}, not {what}.", path);
        CheckIntact(doc, doc.Version, path);
        CheckPlan(doc, path, "");
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
        try { return JsonSerializer.Deserialize<T>(bytes, Compact) ?? throw new JsonException("the document is null"); }
        catch (JsonException e) { throw new ShardFileException("CorruptShardFile", $"'{path}' is not {what} (or it is damaged): {e.Message}", path, e); }
    }

    private static void CheckIntact<T>(T doc, int version, string path) where T : IShardFile
    {
        if (version < CurrentVersion)
            throw Corrupt(path, $"was written by an older PruneCmdlets (shard file version {version}, without a checksum); re-run the step that wrote it");
        if (version > CurrentVersion)
            throw Corrupt(path, $"is shard file version {version}, which this PruneCmdlets does not read (it reads version {CurrentVersion}); use the PruneCmdlets that wrote it");
        if (doc.Checksum is null) throw Corrupt(path, "has no Checksum (the field is null or missing), so an edit could not be told from the original");
        string actual = ContentChecksum(doc);
        if (!string.Equals(actual, doc.Checksum, StringComparison.OrdinalIgnoreCase))
            throw Corrupt(path, $"was edited or damaged after it was written: its content hashes to {actual}, not to the checksum {doc.Checksum} it was written with. Re-run the step that wrote it");
    }

    // ---- what the steps rely on: present, non-null, in range ---------------------------------

    private static void CheckSummary(ShardSummaryDocument doc, string path)
    {
        Require(doc.Fingerprint, path, "Fingerprint");
        var policy = CheckPolicy(doc.Policy, path, "Policy");
        if (doc.Round is not (1 or 2)) throw Corrupt(path, $"claims round {doc.Round}; summaries are of round 1 or 2");
        if (doc.ShardCount < 1) throw Corrupt(path, $"claims {doc.ShardCount} shards");
        if (doc.Records < 0) throw Corrupt(path, $"claims {doc.Records} records");
        var groups = Require(doc.Groups, path, "Groups");
        for (int g = 0; g < groups.Count; g++)
        {
            string at = $"Groups[{g}]";
            var group = Require(groups[g], path, at);
            CheckKey(group.Key, policy, path, at);
            if (group.Size < 0) throw Corrupt(path, $"has a negative {at}.Size");
            if (doc.Round == 1)
            {
                if (group.Samples is null || group.AtOrBelow is null || group.Samples.Length != group.AtOrBelow.Length)
                    throw Corrupt(path, $"has a group '{group.Key}' ({at}) without matching Samples and AtOrBelow");
            }
            else if (group.Ids is not null)
            {
                if (group.Keys is null || group.Keys.Length != group.Ids.Length || group.AtOrBelowLow is null)
                    throw Corrupt(path, $"has a group '{group.Key}' ({at}) whose round-2 Keys, Ids and AtOrBelowLow do not match");
                for (int i = 0; i < group.Ids.Length; i++) Require(group.Ids[i], path, $"{at}.Ids[{i}]");
            }
        }
        if (doc.Round == 2)
        {
            Require(doc.PlanSha256, path, "PlanSha256");
            CheckPlan(Require(doc.Plan, path, "Plan"), path, "Plan.");
        }
    }

    private static void CheckPlan(ShardPlanDocument doc, string path, string prefix)
    {
        bool cut = doc.Format == ShardPlanDocument.CutFormat;
        if (!cut && doc.Format != ShardPlanDocument.PlanFormat) throw Corrupt(path, $"has a {prefix}Format of '{doc.Format}', not a plan's");
        Require(doc.Fingerprint, path, prefix + "Fingerprint");
        var policy = CheckPolicy(doc.Policy, path, prefix + "Policy");
        if (doc.ShardCount < 1) throw Corrupt(path, $"claims {doc.ShardCount} shards");
        if (doc.Records < 0 || doc.Total < 0 || doc.Total > doc.Records) throw Corrupt(path, $"claims to keep {doc.Total} of {doc.Records} records");
        if (cut) Require(doc.PlanSha256, path, prefix + "PlanSha256");
        var groups = Require(doc.Groups, path, prefix + "Groups");
        for (int g = 0; g < groups.Count; g++)
        {
            string at = $"{prefix}Groups[{g}]";
            var group = Require(groups[g], path, at);
            CheckKey(group.Key, policy, path, at);
            Require(group.Name, path, at + ".Name");
            if (group.Size < 0 || group.Quota < 0 || group.Quota > group.Size)
                throw Corrupt(path, $"gives group '{group.Name}' ({at}) a quota of {group.Quota} of {group.Size} records");
            if (!group.NeedsCut) continue;
            if (cut && (group.CutKey is null || group.CutId is null))
                throw Corrupt(path, $"has no CutKey and CutId for group '{group.Name}' ({at}), whose quota needs a cut");
            if (!cut && group.High is null)
                throw Corrupt(path, $"has no High for group '{group.Name}' ({at}), whose quota needs a cut");
        }
    }

    private static SelectionPolicy CheckPolicy(PolicyDocument? doc, string path, string at)
    {
        var policy = Require(doc, path, at).ToPolicy();
        if (!Enum.IsDefined(policy.Keep) || !Enum.IsDefined(policy.BalanceBy))
            throw Corrupt(path, $"has a {at} of an unknown Keep ({(int)policy.Keep}) or BalanceBy ({(int)policy.BalanceBy})");
        try { policy.Validate(); }
        catch (ArgumentException e) { throw Corrupt(path, $"has a {at} that is not a valid policy: {e.Message}"); }
        return policy;
    }

    /// <summary>Group keys are labels (any text) or, balanced by Cluster or Density, cluster numbers.</summary>
    private static void CheckKey(string? key, SelectionPolicy policy, string path, string at)
    {
        Require(key, path, at + ".Key");
        if (policy.BalanceBy is BalanceBy.Cluster or BalanceBy.Density
            && !int.TryParse(key, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
            throw Corrupt(path, $"has {at}.Key '{key}', which is not a cluster number");
    }

    private static T Require<T>(T? value, string path, string field) where T : class
        => value ?? throw Corrupt(path, $"has no {field} (the field is null or missing)");

    private static ShardFileException Corrupt(string path, string why)
        => new("CorruptShardFile", $"'{path}' {why}.", path);
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

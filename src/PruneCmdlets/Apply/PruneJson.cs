using System.Text.Encodings.Web;
using System.Text.Json;

namespace PruneCmdlets.Apply;

/// <summary>What prune.json records besides the counts: who wrote the set, from what, with which parameters.</summary>
internal sealed record ApplyRunInfo(
    string ModuleVersion,
    IReadOnlyList<string> Models,
    IReadOnlyList<KeyValuePair<string, string?>> Parameters,
    DateTimeOffset Started)
{
    /// <summary>Each model's SHA-256 where its file is found ("&lt;hex&gt; (&lt;file&gt;)"), keyed by model name.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> ModelHashes { get; init; } = Array.Empty<KeyValuePair<string, string?>>();

    /// <summary>How the decision was made, as far as the records tell (k-means K, metric and seed; the selection policy); empty for records read back from a manifest.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Decision { get; init; } = Array.Empty<KeyValuePair<string, string?>>();

    /// <summary>The run id of the decisions applied (<see cref="PruneCmdlets.Review.DecisionRun"/>, after any override): names the decisions that made the folder, and lets a re-run of an increment find its own files.</summary>
    public string? DecisionRun { get; init; }

    /// <summary>The review applied (Export-PrunedSet -Override), or null when none was.</summary>
    public ApplyOverrides? Overrides { get; init; }

    /// <summary>Versions besides the module's: PowerShell, .NET, the operating system.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Versions { get; init; } = Array.Empty<KeyValuePair<string, string?>>();
}

/// <summary>The overrides file an apply took: where it was, its SHA-256, how many lines it had and what they changed.</summary>
internal sealed record ApplyOverrides(string Path, string Sha256, int Lines, int KeptByReview, int PrunedByReview, int Confirmed);

/// <summary>
/// prune.json: the run's parameters, counts, module version, the embedding models the records came
/// from and the times, so a training job (or a person) can tell how the set in the folder was made.
/// Paths and names are written as they are (relaxed escaping): the file is read by JSON parsers,
/// never embedded in a web page.
/// </summary>
internal static class PruneJson
{
    public const string FileName = "prune.json";

    public static void Write(Stream stream, ApplyRunInfo info, PrunedSetSummary s, DateTimeOffset finished)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("tool", "PruneCmdlets Export-PrunedSet");
        w.WriteString("moduleVersion", info.ModuleVersion);
        w.WriteStartArray("models");
        foreach (var m in info.Models) w.WriteStringValue(m);
        w.WriteEndArray();
        WriteObject(w, "modelSha256", info.ModelHashes);
        WriteObject(w, "versions", info.Versions);
        WriteObject(w, "parameters", info.Parameters);
        // Null, not empty, when the records do not say (rows of a saved manifest): unknown is not "no parameters".
        if (info.Decision.Count == 0) w.WriteNull("decision");
        else WriteObject(w, "decision", info.Decision);
        // Null when no review was applied: absent would read the same as an older module's file.
        if (info.Overrides is not { } o) w.WriteNull("overrides");
        else
        {
            w.WriteStartObject("overrides");
            w.WriteString("path", o.Path);
            w.WriteString("sha256", o.Sha256);
            w.WriteNumber("lines", o.Lines);
            w.WriteNumber("keptByReview", o.KeptByReview);
            w.WriteNumber("prunedByReview", o.PrunedByReview);
            w.WriteNumber("confirmed", o.Confirmed);
            w.WriteEndObject();
        }
        if (info.DecisionRun is null) w.WriteNull("decisionRun");
        else w.WriteString("decisionRun", info.DecisionRun);
        w.WriteNumber("increment", s.Increment);
        w.WriteStartObject("counts");
        w.WriteNumber("records", s.Records);
        w.WriteNumber("kept", s.Kept);
        w.WriteNumber("pruned", s.Pruned);
        w.WriteNumber("copied", s.Copied);
        w.WriteNumber("linked", s.Linked);
        w.WriteNumber("skipped", s.Skipped);
        w.WriteNumber("failed", s.Failed);
        w.WriteNumber("notWritten", s.NotWritten);
        w.WriteNumber("bytesCopied", s.BytesCopied);
        w.WriteNumber("temporaryFilesRemoved", s.TemporaryFilesRemoved);
        w.WriteNumber("unlisted", s.Unlisted);
        w.WriteEndObject();
        w.WriteString("started", info.Started.UtcDateTime.ToString("O"));
        w.WriteString("finished", finished.UtcDateTime.ToString("O"));
        w.WriteNumber("elapsedSeconds", Math.Round((finished - info.Started).TotalSeconds, 3));
        w.WriteEndObject();
    }

    /// <summary>The "decisionRun" a prune.json records; null when the file is missing, unreadable or has none.</summary>
    public static string? DecisionRunOf(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var doc = JsonDocument.Parse(stream);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("decisionRun", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    private static void WriteObject(Utf8JsonWriter w, string name, IReadOnlyList<KeyValuePair<string, string?>> pairs)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in pairs)
        {
            if (v is null) w.WriteNull(k);
            else w.WriteString(k, v);
        }
        w.WriteEndObject();
    }
}

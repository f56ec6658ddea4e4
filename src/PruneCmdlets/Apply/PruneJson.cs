using System.Text.Json;

namespace PruneCmdlets.Apply;

/// <summary>What prune.json records besides the counts: who wrote the set, from what, with which parameters.</summary>
internal sealed record ApplyRunInfo(
    string ModuleVersion,
    IReadOnlyList<string> Models,
    IReadOnlyList<KeyValuePair<string, string?>> Parameters,
    DateTimeOffset Started);

/// <summary>
/// prune.json: the run's parameters, counts, module version, the embedding models the records came
/// from and the times, so a training job (or a person) can tell how the set in the folder was made.
/// </summary>
internal static class PruneJson
{
    public const string FileName = "prune.json";

    public static void Write(Stream stream, ApplyRunInfo info, PrunedSetSummary s, DateTimeOffset finished)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("tool", "PruneCmdlets Export-PrunedSet");
        w.WriteString("moduleVersion", info.ModuleVersion);
        w.WriteStartArray("models");
        foreach (var m in info.Models) w.WriteStringValue(m);
        w.WriteEndArray();
        w.WriteStartObject("parameters");
        foreach (var (k, v) in info.Parameters)
        {
            if (v is null) w.WriteNull(k);
            else w.WriteString(k, v);
        }
        w.WriteEndObject();
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
        w.WriteEndObject();
        w.WriteString("started", info.Started.UtcDateTime.ToString("O"));
        w.WriteString("finished", finished.UtcDateTime.ToString("O"));
        w.WriteNumber("elapsedSeconds", Math.Round((finished - info.Started).TotalSeconds, 3));
        w.WriteEndObject();
    }
}

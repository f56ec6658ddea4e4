using PruneCmdlets.Apply;
using PruneCmdlets.IO;

namespace PruneCmdlets.Review;

/// <summary>One line of overrides.csv: a reviewer's decision for one record, with the run it was made for.</summary>
internal sealed record Override(string Id, bool Kept, string Note, string RunId, long Line);

/// <summary>A record whose decision an override sets: its index in the decisions given, the new Kept, whether that flips it, and the new Reason.</summary>
internal sealed record OverrideChange(int Index, bool Kept, bool Flipped, string Reason, Override Source);

/// <summary>An overrides file that cannot be applied, with the stable ErrorId the cmdlets report and the file it names.</summary>
internal sealed class OverrideException : Exception
{
    public OverrideException(string errorId, string file, string message) : base(message) => (ErrorId, FilePath) = (errorId, file);

    public string ErrorId { get; }
    public string FilePath { get; }
}

/// <summary>
/// overrides.csv, the decisions a reviewer corrected in the report: UTF-8 (a byte-order mark is
/// accepted), RFC 4180, a header naming at least Id, Kept, Note and RunId (matched by name,
/// case-insensitive; other columns are ignored), Kept true or false (any case), Note possibly
/// empty, RunId the <see cref="DecisionRun.Id"/> of the decisions the reviewer saw. Read whole and
/// checked before anything is applied: an override is never ignored, never partly applied.
/// The rows are read by the module's one CSV reader (<see cref="TextDocumentReader.ReadRows"/>).
/// </summary>
internal sealed class OverrideSet
{
    public static readonly string[] Columns = { "Id", "Kept", "Note", "RunId" };

    private OverrideSet(string path, string sha256, IReadOnlyList<Override> entries) => (Path, Sha256, Entries) = (path, sha256, entries);

    /// <summary>The file, as given (full path).</summary>
    public string Path { get; }
    /// <summary>SHA-256 of the file's bytes (lowercase hex), recorded in prune.json so the apply names which review it took.</summary>
    public string Sha256 { get; }
    public IReadOnlyList<Override> Entries { get; }

    /// <summary>
    /// Reads and checks the file: a missing column or a row that does not parse is InvalidOverrideFile,
    /// a Kept that is not true/false InvalidOverrideKept, an empty Id or RunId InvalidOverrideFile,
    /// the same Id twice DuplicateOverride; each names the line. The hash is of the bytes that were read.
    /// </summary>
    public static OverrideSet Read(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        // Hashed before and after parsing: the hash then names exactly the rows applied, even if
        // the browser re-downloads the file meanwhile.
        string sha = FileHash.Sha256(path, CancellationToken.None);
        var entries = Parse(path);
        if (FileHash.Sha256(path, CancellationToken.None) != sha)
            throw Invalid(path, $"The overrides file '{path}' changed while it was being read. Nothing was applied; run the command again.");
        return new OverrideSet(path, sha, entries);
    }

    private static List<Override> Parse(string path)
    {
        var entries = new List<Override>();
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        int id = -1, kept = -1, note = -1, run = -1;
        bool sawHeader = false;
        foreach (var row in TextDocumentReader.ReadRows(path, ','))
        {
            if (row.Problem is { } p)
                throw Invalid(path, p.Problem switch
                {
                    TextReadProblem.MalformedCsvRow => $"Line {row.Line} of '{path}' opens a quoted field that never closes: close it, or double each quote inside one (\"\"). Nothing was applied.",
                    TextReadProblem.InvalidUtf8 or TextReadProblem.InvalidEncoding => $"Line {row.Line} of '{path}' is not valid UTF-8: save the file as UTF-8. Nothing was applied.",
                    _ => $"{p.Message} Nothing was applied.",
                });
            var f = row.Fields!;
            if (row.IsHeader)
            {
                sawHeader = true;
                (id, kept, note, run) = (TextDocumentReader.Column(f, "Id"), TextDocumentReader.Column(f, "Kept"), TextDocumentReader.Column(f, "Note"), TextDocumentReader.Column(f, "RunId"));
                var missing = Columns.Where((_, i) => new[] { id, kept, note, run }[i] < 0).ToList();
                if (missing.Count > 0)
                    throw Invalid(path, $"The overrides file '{path}' has no {string.Join(", ", missing)} column{(missing.Count > 1 ? "s" : "")} (its header: {string.Join(", ", f.Select(h => $"'{h}'"))}); it needs Id, Kept, Note and RunId, as the report's \"Download decisions\" writes them. Nothing was applied.");
                continue;
            }
            int needed = new[] { id, kept, note, run }.Max() + 1;
            if (f.Count < needed)
                throw Invalid(path, $"Line {row.Line} of '{path}' has {f.Count} field(s), fewer than the {needed} its header needs. Nothing was applied.");
            string oid = f[id], keptText = f[kept].Trim(), runId = f[run].Trim();
            if (oid.Length == 0) throw Invalid(path, $"Line {row.Line} of '{path}' has an empty Id. Nothing was applied.");
            bool value;
            if (keptText.Equals("true", StringComparison.OrdinalIgnoreCase)) value = true;
            else if (keptText.Equals("false", StringComparison.OrdinalIgnoreCase)) value = false;
            else throw new OverrideException("InvalidOverrideKept", path, $"Line {row.Line} of '{path}' has Kept '{f[kept]}' for '{oid}'; it must be true or false. Nothing was applied.");
            if (runId.Length == 0) throw Invalid(path, $"Line {row.Line} of '{path}' (Id '{oid}') has no RunId: the file must say which run's decisions were reviewed. Nothing was applied.");
            if (lines.TryGetValue(oid, out long first))
                throw new OverrideException("DuplicateOverride", path, $"'{oid}' is overridden twice in '{path}', on lines {first} and {row.Line}: keep one of them. Nothing was applied.");
            lines[oid] = row.Line;
            entries.Add(new Override(oid, value, f[note], runId, row.Line));
        }
        if (!sawHeader) throw Invalid(path, $"The overrides file '{path}' is empty: it needs the header Id,Kept,Note,RunId. Nothing was applied.");
        return entries;
    }

    private static OverrideException Invalid(string path, string message) => new("InvalidOverrideFile", path, message);

    /// <summary>"kept by review: note", "pruned by review" (no colon part for an empty note).</summary>
    public static string Reason(bool kept, string note)
        => (kept ? "kept by review" : "pruned by review") + (string.IsNullOrWhiteSpace(note) ? "" : ": " + note.Trim());

    /// <summary>
    /// What the overrides change in <paramref name="decisions"/> (the records as given, before any
    /// override). Every override's RunId must be the <see cref="DecisionRun.Id"/> of these
    /// decisions (OverrideRunMismatch), and every Id must name exactly one of them
    /// (OverrideIdNotFound, OverrideIdAmbiguous); either failure applies nothing. An override that
    /// keeps the decision as it was is accepted: the record keeps its Kept and takes the review's
    /// Reason, which records that a person confirmed it.
    /// </summary>
    public IReadOnlyList<OverrideChange> Resolve(IReadOnlyList<(string Id, bool Kept)> decisions)
        => Resolve(decisions, DecisionRun.Id(decisions));

    /// <summary>
    /// <see cref="Resolve(IReadOnlyList{ValueTuple{string, bool}})"/> for a caller that already
    /// holds the decisions' <paramref name="expected"/> run id (a sort and a hash of every Id: at a
    /// million records, worth computing once).
    /// </summary>
    public IReadOnlyList<OverrideChange> Resolve(IReadOnlyList<(string Id, bool Kept)> decisions, string expected)
    {
        if (Entries.Count == 0) return Array.Empty<OverrideChange>();
        if (Entries.FirstOrDefault(e => !string.Equals(e.RunId, expected, StringComparison.OrdinalIgnoreCase)) is { } other)
            throw new OverrideException("OverrideRunMismatch", Path,
                $"The overrides in '{Path}' were reviewed for another run: line {other.Line} has RunId {other.RunId}, and the records given are run {expected}. " +
                "Re-run the report on these records, or select them as they were when the report was made. Nothing was applied.");
        var index = new Dictionary<string, int>(decisions.Count, StringComparer.Ordinal);
        var twice = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < decisions.Count; i++)
            if (!index.TryAdd(decisions[i].Id, i)) twice.Add(decisions[i].Id);
        var changes = new List<OverrideChange>(Entries.Count);
        foreach (var e in Entries)
        {
            if (!index.TryGetValue(e.Id, out int i))
                throw new OverrideException("OverrideIdNotFound", Path, $"Line {e.Line} of '{Path}' overrides '{e.Id}', which is not among the records given. Nothing was applied.");
            if (twice.Contains(e.Id))
                throw new OverrideException("OverrideIdAmbiguous", Path, $"Line {e.Line} of '{Path}' overrides '{e.Id}', and more than one record given has that Id. Give each record its own Id. Nothing was applied.");
            changes.Add(new OverrideChange(i, e.Kept, e.Kept != decisions[i].Kept, Reason(e.Kept, e.Note), e));
        }
        changes.Sort((a, b) => a.Index.CompareTo(b.Index));
        return changes;
    }
}

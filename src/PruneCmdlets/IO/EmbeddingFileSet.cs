using System.Text.Json;
using System.Text.Json.Serialization;

namespace PruneCmdlets.IO;

/// <summary>What a member of an embedding set holds.</summary>
public enum EmbeddingSetRole
{
    /// <summary>The N×D matrix (.npy).</summary>
    Embeddings,
    /// <summary>One label per row (.npy or a text file of lines).</summary>
    Labels,
    /// <summary>One Id per row (a text file of lines).</summary>
    Ids,
}

/// <summary>
/// A matrix with its label and Id files, written by Export-Embedding as one set and checked by
/// Import-Embedding. The members are written through <see cref="AtomicFile.ReplaceSet"/>, and
/// then a record, "<c>&lt;matrix&gt;.set.json</c>", that names each member by its path (relative
/// to the record), size and SHA-256. A set stopped half-way (kill -9 between two renames) or
/// later half-replaced leaves members that the record does not name by those hashes, and the
/// reader refuses it, naming the files, instead of giving rows another row's label and Id.
/// Files without a record (numpy's, or anyone's) are read as they always were.
/// </summary>
public static class EmbeddingFileSet
{
    public const string RecordSuffix = ".set.json";
    public const string FormatName = "PruneCmdlets.EmbeddingSet";

    /// <summary>Where the record of the set whose matrix is <paramref name="matrix"/> lives.</summary>
    public static string RecordFor(string matrix) => Path.GetFullPath(matrix) + RecordSuffix;

    /// <summary>
    /// Writes the members (the matrix first) as one set. With <paramref name="recorded"/>, the
    /// record is written last, naming them; without (a matrix alone, or a Parquet file, whose
    /// reader takes no side files), a record left by an earlier export of the matrix is removed
    /// first, so it cannot refuse the new file.
    /// </summary>
    public static void Write(IReadOnlyList<(EmbeddingSetRole Role, string Path, Action<Stream> Write)> members, int rows, bool recorded)
    {
        if (members.Count == 0 || members[0].Role != EmbeddingSetRole.Embeddings) throw new ArgumentException("A set starts with its matrix.", nameof(members));
        string record = RecordFor(members[0].Path);
        var files = members.Select(m => (m.Path, m.Write)).ToList();
        if (!recorded)
        {
            if (File.Exists(record)) File.Delete(record);
            AtomicFile.ReplaceSet(files);
            return;
        }
        string folder = Path.GetDirectoryName(record)!;
        AtomicFile.ReplaceSet(files, (record, digests => JsonSerializer.SerializeToUtf8Bytes(new SetRecord
        {
            Rows = rows,
            Members = digests.Select((d, i) => new SetMember
            {
                Role = members[i].Role,
                File = Path.GetRelativePath(folder, d.Path).Replace('\\', '/'),
                Size = d.Size,
                Sha256 = d.Sha256,
            }).ToList(),
        }, Options)));
    }

    /// <summary>
    /// Checks the set of <paramref name="matrix"/> and the side files given with it against the
    /// set's record. No record: nothing to check (null). Otherwise the matrix, and every side
    /// file the record names at the given path, must be the file the record names by size and
    /// hash (<see cref="EmbeddingSetException"/> otherwise); a side file of a path the record
    /// does not name is the user's own choice and is read unchecked. Returns a line for -Verbose.
    /// </summary>
    public static string? Check(string matrix, string? labels, string? ids)
    {
        string recordPath = RecordFor(matrix);
        if (!File.Exists(recordPath)) return null;
        var record = ReadRecord(recordPath);
        string folder = Path.GetDirectoryName(recordPath)!;
        string Full(SetMember m) => Path.GetFullPath(Path.Combine(folder, m.File!));
        var given = new List<(EmbeddingSetRole Role, string Path)> { (EmbeddingSetRole.Embeddings, Path.GetFullPath(matrix)) };
        if (labels is not null) given.Add((EmbeddingSetRole.Labels, Path.GetFullPath(labels)));
        if (ids is not null) given.Add((EmbeddingSetRole.Ids, Path.GetFullPath(ids)));
        var others = record.Members!.Where(m => m.Role != EmbeddingSetRole.Embeddings).Select(Full).ToList();
        var unrecorded = new List<string>();
        foreach (var (role, path) in given)
        {
            var member = record.Members!.FirstOrDefault(m => m.Role == role && AtomicFile.PathComparer.Equals(Full(m), path));
            if (member is null)
            {
                if (role == EmbeddingSetRole.Embeddings)
                    throw new EmbeddingSetException("InvalidEmbeddingSet", recordPath,
                        $"'{recordPath}' does not name '{path}' as its matrix; it belongs to another set. Delete it, or export the set again.");
                unrecorded.Add(path);
                continue;
            }
            if (!File.Exists(path)) continue;   // the reader says it is missing
            var actual = FileDigest.Of(path, path);
            if (actual.Size == member.Size && string.Equals(actual.Sha256, member.Sha256, StringComparison.OrdinalIgnoreCase)) continue;
            var rest = others.Prepend(Full(record.Members!.First(m => m.Role == EmbeddingSetRole.Embeddings))).Where(p => !AtomicFile.PathComparer.Equals(p, path));
            throw new EmbeddingSetException("EmbeddingSetMismatch", path,
                $"'{path}' is not the {Describe(role)} that '{recordPath}' was written with ({actual.Size} bytes, SHA-256 {actual.Sha256[..12]}…, where the set names {member.Size} bytes, {member.Sha256![..Math.Min(12, member.Sha256.Length)]}…): " +
                $"Export-Embedding was stopped part-way through writing the set, or the file was replaced since, so its rows would not match those of {string.Join(" and ", rest.Select(p => $"'{p}'"))}. " +
                $"Export the set again; if you replaced '{path}' on purpose with a file that matches the others row for row, delete '{recordPath}'.");
        }
        return $"Checked the set in '{recordPath}': {given.Count - unrecorded.Count} file(s) are the ones it was written with ({record.Rows} rows)" +
            (unrecorded.Count > 0 ? $"; {string.Join(", ", unrecorded.Select(p => $"'{p}'"))} not of this set, read as given." : ".");
    }

    private static string Describe(EmbeddingSetRole role) => role switch
    {
        EmbeddingSetRole.Embeddings => "matrix",
        EmbeddingSetRole.Labels => "label file",
        _ => "Id file",
    };

    private static SetRecord ReadRecord(string path)
    {
        SetRecord? record;
        try { record = JsonSerializer.Deserialize<SetRecord>(File.ReadAllBytes(path), Options); }
        catch (JsonException e) { throw Invalid(path, e.Message, e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new EmbeddingSetException("InvalidEmbeddingSet", path, $"Cannot read '{path}': {e.Message}", e); }
        if (record is null || record.Format != FormatName) throw Invalid(path, $"it is not a {FormatName} record");
        if (record.Members is null || record.Members.Any(m => m is null || m.File is null || m.Sha256 is null || !Enum.IsDefined(m.Role)))
            throw Invalid(path, "a member is null or lacks its File or Sha256");
        return record;
    }

    private static EmbeddingSetException Invalid(string path, string why, Exception? inner = null)
        => new("InvalidEmbeddingSet", path, $"'{path}', the record of an embedding set, is damaged ({why}). Export the set again, or delete the record to read the files unchecked.", inner);

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    private sealed class SetRecord
    {
        public string Format { get; set; } = FormatName;
        public int Version { get; set; } = 1;
        public int Rows { get; set; }
        public List<SetMember>? Members { get; set; }
    }

    private sealed class SetMember
    {
        public EmbeddingSetRole Role { get; set; }
        public string? File { get; set; }
        public long Size { get; set; }
        public string? Sha256 { get; set; }
    }
}

/// <summary>A set of embedding files that does not hold together, or whose record is damaged: a stable id and the file at fault.</summary>
public sealed class EmbeddingSetException(string errorId, string path, string message, Exception? inner = null) : IOException(message, inner)
{
    public string ErrorId { get; } = errorId;
    public string Path { get; } = path;
}

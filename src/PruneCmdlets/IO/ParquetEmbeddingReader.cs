using Parquet;
using Parquet.Schema;
using S = PruneCmdlets.IO.ParquetEmbeddingSchema;

namespace PruneCmdlets.IO;

/// <summary>Which columns hold the vector, id, label and path; null means the default name, which may be absent (except the vector's).</summary>
public sealed record ParquetColumnNames(string? Vector = null, string? Id = null, string? Label = null, string? Path = null);

/// <summary>
/// Reads embedding records from Parquet files written by this module or by other tools
/// (pyarrow, pandas, DuckDB, Spark, Polars) as one set: the vector column may be a LIST or an
/// Arrow FIXED_SIZE_LIST (which Parquet stores as a LIST) of float32 or float64, or a legacy
/// repeated float column; the other columns are optional and found by name. Files are read one
/// row group at a time, the next one decoded on a worker while the caller hands out the
/// current one, so besides the records only two row groups are held. One instance reads one
/// set: row numbers (the Id of rows without an id column) and the vector length carry on from
/// file to file.
/// </summary>
public sealed class ParquetEmbeddingSet(ParquetColumnNames names)
{
    /// <summary>Rows of the files read so far, skipped ones included.</summary>
    public int RowsSoFar { get; private set; }

    /// <summary>The vector length of the set: the most common among the first usable rows of its first file (<see cref="RowsToDecide"/>); -1 before that.</summary>
    public int Dimension { get; private set; } = -1;

    /// <summary>File extensions read as Parquet.</summary>
    public static bool IsParquetFile(string path)
        => System.IO.Path.GetExtension(path).ToLowerInvariant() is ".parquet" or ".parq" or ".pq";

    /// <summary>
    /// The Parquet files under <paramref name="folder"/> (a dataset of part files, as Spark,
    /// Dask, DuckDB and pyarrow write them), in every subfolder, ordered by their path relative
    /// to the folder (ordinal, so the same on every OS). Names starting with '_' or '.'
    /// (_SUCCESS, .crc files, temporary files) are not data, as those tools agree.
    /// </summary>
    public static IReadOnlyList<string> FilesOf(string folder)
    {
        var root = System.IO.Path.GetFullPath(folder);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: System.IO.Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Where(f => IsParquetFile(f.Full) && !f.Relative.Split('/').Any(part => part.StartsWith('_') || part.StartsWith('.')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => f.Full)
            .ToList();
    }

    /// <summary>
    /// The usable rows of <paramref name="file"/>, one row group per piece, in file order. A file
    /// that cannot be read (not Parquet, truncated, missing or mistyped column, vectors mostly
    /// of another length than the set's, or of no most common length) ends with a piece holding
    /// only its <see cref="ParquetEmbeddingRows.FileError"/>; the pieces before it stand. The
    /// first row groups are held until <see cref="RowsToDecide"/> usable rows decide the file's
    /// vector length (<see cref="Decide"/>).
    /// </summary>
    public IEnumerable<ParquetEmbeddingRows> Read(string file, CancellationToken cancel = default)
    {
        var (context, error) = Run(() => OpenAsync(file, cancel));
        if (error is not null || context is null)
        {
            yield return new ParquetEmbeddingRows(file) { FileError = error };
            yield break;
        }
        int fileFirstRow = RowsSoFar;
        Task<DecodedGroup>? next = null;
        // Row groups wait here, decoded, until enough rows decide the file's vector length.
        var held = new List<DecodedGroup>();
        var lengths = new Dictionary<int, int>();
        int fileDimension = -1;
        try
        {
            int groupFirstRow = fileFirstRow;
            int groups = context.Reader.RowGroupCount;
            if (groups > 0) next = Start(context, 0, groupFirstRow, cancel);
            for (int g = 0; g < groups; g++)
            {
                var group = next!.GetAwaiter().GetResult();
                next = null;
                groupFirstRow += (int)context.Reader.RowGroups[g].RowCount;
                bool failed = group.Piece.FileError is not null;
                if (!failed && g + 1 < groups) next = Start(context, g + 1, groupFirstRow, cancel);
                if (fileDimension >= 0)
                {
                    yield return failed ? group.Piece : Filter(context, group, fileDimension);
                    if (failed) yield break;
                    continue;
                }
                if (!failed)
                {
                    held.Add(group);
                    foreach (int l in group.Length) if (l > 0) lengths[l] = lengths.GetValueOrDefault(l) + 1;
                }
                // A failure ends the file: the rows held so far are decided by what was read.
                var (decided, refusal) = Decide(context, lengths, final: failed || g + 1 == groups);
                if (refusal is not null) { yield return new ParquetEmbeddingRows(file) { FileError = refusal }; yield break; }
                if (decided < 0) continue;
                fileDimension = decided;
                foreach (var h in held) yield return Filter(context, h, fileDimension);
                held.Clear();
                if (failed) { yield return group.Piece; yield break; }
            }
        }
        finally
        {
            // A caller that stops early (Select-Object -First) must not leave a read running on a disposed file.
            try { next?.GetAwaiter().GetResult(); } catch (Exception) { }
            context.Dispose();
            RowsSoFar = fileFirstRow + context.TotalRows;
        }
    }

    /// <summary>
    /// How many usable rows decide a file's vector length (fewer when the file has fewer): the
    /// length most of them have. A ragged first row is then one row reported among many good
    /// ones, not the length every good row is refused against. Row groups usually hold far
    /// more rows, so the first one decides; a file of tiny groups is held this long.
    /// </summary>
    internal const int RowsToDecide = 100;

    /// <summary>
    /// The file's vector length once the rows seen decide it (-1 while they do not): the most
    /// common length among at least <see cref="RowsToDecide"/> usable rows, or all of them at
    /// the file's end (<paramref name="final"/>); a tie goes to the set's length when it is
    /// among the leaders, and otherwise refuses the file (AmbiguousDimension), as does a length
    /// other than the set's (DimensionMismatch). The first file's length becomes the set's.
    /// </summary>
    private (int Dimension, ParquetEmbeddingException? Refusal) Decide(FileContext f, Dictionary<int, int> lengths, bool final)
    {
        int seen = lengths.Values.Sum();
        if (seen == 0) return final ? (Math.Max(Dimension, 1), null) : (-1, null);   // no usable row: each is reported as it is
        if (seen < RowsToDecide && !final) return (-1, null);
        int top = lengths.Values.Max();
        var leaders = lengths.Where(kv => kv.Value == top).Select(kv => kv.Key).Order().ToList();
        int chosen;
        if (leaders.Count == 1) chosen = leaders[0];
        else if (Dimension >= 0 && leaders.Contains(Dimension)) chosen = Dimension;
        else if (!final) return (-1, null);
        else
            return (-1, new ParquetEmbeddingException(ParquetProblem.AmbiguousDimension, f.File, f.VectorColumn,
                $"The '{f.VectorColumn}' vectors of '{f.File}' have several lengths and none is the most common ({Tally(lengths)}); no length can be trusted, so the file was skipped. Rewrite it with one vector length."));
        if (Dimension >= 0 && chosen != Dimension)
            return (-1, new ParquetEmbeddingException(ParquetProblem.DimensionMismatch, f.File, f.VectorColumn,
                $"Most of the '{f.VectorColumn}' vectors of '{f.File}' have {chosen} dimensions ({Tally(lengths)} among its first rows) but the set's earlier files have {Dimension}; all files of a set must come from the same model. The file was skipped."));
        Dimension = chosen;
        return (chosen, null);
    }

    private static string Tally(Dictionary<int, int> lengths)
        => string.Join(", ", lengths.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Select(kv => $"{kv.Value} row{(kv.Value == 1 ? "" : "s")} of {kv.Key}"));

    private Task<DecodedGroup> Start(FileContext context, int group, int firstRow, CancellationToken cancel)
        => Task.Run(() => ReadGroupAsync(context, group, firstRow, cancel), cancel);

    private static (T? Value, ParquetEmbeddingException? Error) Run<T>(Func<Task<T>> work) where T : class
    {
        try { return (Task.Run(work).GetAwaiter().GetResult(), null); }
        catch (ParquetEmbeddingException e) { return (null, e); }
    }

    private async Task<FileContext> OpenAsync(string file, CancellationToken cancel)
    {
        ParquetReader reader;
        try { reader = await ParquetReader.CreateAsync(file, RowGroupMemory.Options(), cancel).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ParquetEmbeddingException(ParquetProblem.InvalidParquetFile, file, null,
                $"'{file}' is not a readable Parquet file ({e.Message}); it may be truncated or not Parquet at all. The file was skipped.", e);
        }
        try { return new FileContext(file, reader, names); }
        catch { await reader.DisposeAsync().ConfigureAwait(false); throw; }
    }

    /// <summary>
    /// A row group's vectors, as float32 and split into rows, with its other columns; which
    /// rows are usable is decided later (<see cref="Filter"/>), once the file's length is known.
    /// </summary>
    private sealed class DecodedGroup(ParquetEmbeddingRows piece)
    {
        public ParquetEmbeddingRows Piece { get; } = piece;
        public float[] Values { get; init; } = Array.Empty<float>();
        /// <summary>Each row's first value in <see cref="Values"/>.</summary>
        public int[] Start { get; init; } = Array.Empty<int>();
        /// <summary>Each row's number of values; -1 null or empty, -2 a null element.</summary>
        public int[] Length { get; init; } = Array.Empty<int>();
        public int SetFirstRow { get; init; }
        public long FileFirstRow { get; init; }
    }

    private async Task<DecodedGroup> ReadGroupAsync(FileContext f, int g, int firstRow, CancellationToken cancel)
    {
        string column = f.VectorColumn;
        long fileRow = RowsBefore(f, g);   // the group's first row within its file, for messages
        try
        {
            using var group = f.Reader.OpenRowGroupReader(g);
            int rows = checked((int)group.RowCount);
            long slots = group.GetMetadata(f.Leaf)?.MetaData?.NumValues
                ?? throw new InvalidDataException($"row group {g} has no metadata for the column");
            if (slots > Array.MaxLength) throw new InvalidDataException($"row group {g} holds {slots} vector values, more than one array can hold; rewrite the file with smaller row groups");
            var levels = f.Levels((int)slots);
            var values = f.Values((int)slots);
            if (f.LeafIsDouble)
                await group.ReadRawAsync<double>(f.Leaf, (double[])values, levels.Definition.AsMemory(0, (int)slots), levels.Repetition.AsMemory(0, (int)slots), cancel).ConfigureAwait(false);
            else
                await group.ReadRawAsync<float>(f.Leaf, (float[])values, levels.Definition.AsMemory(0, (int)slots), levels.Repetition.AsMemory(0, (int)slots), cancel).ConfigureAwait(false);

            var (start, length) = Split(f, rows, (int)slots, levels.Definition, levels.Repetition);
            // float64 becomes float32 now (beyond float32's range it turns infinite, and is
            // reported so): the double buffer is reused for the next group, and a group may wait.
            float[] floats;
            if (values is double[] doubles)
            {
                floats = new float[slots];
                for (int i = 0; i < floats.Length; i++) floats[i] = (float)doubles[i];
            }
            else floats = (float[])values;
            var piece = new ParquetEmbeddingRows(f.File);
            column = f.IdColumn?.Name ?? column;
            if (f.IdColumn is not null) piece.Ids = await ParquetScalarColumns.ReadStringsAsync(group, f.IdColumn, rows, cancel).ConfigureAwait(false);
            if (f.LabelColumn is not null) { column = f.LabelColumn.Name; piece.Labels = await ParquetScalarColumns.ReadStringsAsync(group, f.LabelColumn, rows, cancel).ConfigureAwait(false); }
            if (f.PathColumn is not null) { column = f.PathColumn.Name; piece.Paths = await ParquetScalarColumns.ReadStringsAsync(group, f.PathColumn, rows, cancel).ConfigureAwait(false); }
            foreach (var a in f.Annotations) { column = a.Field.Name; await a.Read(piece, group, a.Field, rows, cancel).ConfigureAwait(false); }
            RowGroupMemory.Release(4 * slots);
            return new DecodedGroup(piece) { Values = floats, Start = start, Length = length, SetFirstRow = firstRow, FileFirstRow = fileRow };
        }
        catch (ParquetEmbeddingException e) { return Failed(f, e); }
        catch (OverflowException e)
        {
            return Failed(f, new ParquetEmbeddingException(ParquetProblem.WrongColumnType, f.File, column,
                $"Column '{column}' of '{f.File}' (rows {fileRow}–{fileRow + f.Reader.RowGroups[g].RowCount - 1}): {e.Message}; the rest of the file was skipped.", e));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failed(f, new ParquetEmbeddingException(ParquetProblem.InvalidParquetFile, f.File, column,
                $"Reading column '{column}' of '{f.File}' failed in row group {g} (rows {fileRow}–{fileRow + f.Reader.RowGroups[g].RowCount - 1}): {e.Message}. The file may be truncated or damaged; the rows before were read, the rest of the file was skipped.", e));
        }
    }

    private static DecodedGroup Failed(FileContext f, ParquetEmbeddingException e) => new(new ParquetEmbeddingRows(f.File) { FileError = e });

    private static long RowsBefore(FileContext f, int g)
    {
        long n = 0;
        for (int i = 0; i < g; i++) n += f.Reader.RowGroups[i].RowCount;
        return n;
    }

    /// <summary>Splits the leaf's values into rows by their repetition levels (0 starts a row): each row's first dense value and length.</summary>
    private static (int[] Start, int[] Length) Split(FileContext f, int rows, int slots, int[] definition, int[] repetition)
    {
        int maxLevel = f.Leaf.MaxDefinitionLevel;
        // A definition level below this marks the whole list as null or empty; between it and
        // the maximum, a null element.
        int listLevel = maxLevel - (f.Leaf.IsNullable ? 1 : 0);
        var start = new int[rows];   // first dense value of the row
        var length = new int[rows];  // values in the row; -1 null or empty, -2 a null element
        int row = -1, dense = 0;
        for (int s = 0; s < slots; s++)
        {
            if (repetition[s] == 0)
            {
                if (++row >= rows) throw new InvalidDataException($"the column's repetition levels give more rows than the row group's {rows}");
                start[row] = dense;
            }
            else if (row < 0) throw new InvalidDataException("the column's first value continues a row that never started");
            int level = definition[s];
            if (level == maxLevel) { dense++; if (length[row] >= 0) length[row]++; }
            else if (level < listLevel) length[row] = -1;
            else length[row] = -2;
        }
        if (row + 1 != rows) throw new InvalidDataException($"the column holds {row + 1} rows but the row group {rows}");
        return (start, length);
    }

    /// <summary>
    /// Keeps the rows whose every element is present, finite and <paramref name="d"/> long, and
    /// reports the others one by one. Each usable row moves down over the skipped ones (usually
    /// none), so a row group costs no second copy of its vectors.
    /// </summary>
    private static ParquetEmbeddingRows Filter(FileContext f, DecodedGroup group, int d)
    {
        var (length, start, block, piece) = (group.Length, group.Start, group.Values, group.Piece);
        int rows = length.Length;
        var problems = new List<ParquetRowProblem>();
        int usable = length.Count(l => l == d);
        var setRows = new int[usable];
        var groupRows = new int[usable];
        int k = 0;
        for (int r = 0; r < rows; r++)
        {
            long at = group.FileFirstRow + r;
            string? problem = length[r] switch
            {
                -1 => $"Row {at} of '{f.File}' has a null or empty '{f.VectorColumn}'; it was skipped.",
                -2 => $"Row {at} of '{f.File}' has a null element in '{f.VectorColumn}'; it was skipped.",
                _ when length[r] != d => $"Row {at} of '{f.File}' has {length[r]} values in '{f.VectorColumn}' but the set's vectors have {d} (the length most of the first rows have); it was skipped.",
                _ => null,
            };
            if (problem is not null)
            {
                problems.Add(new ParquetRowProblem(length[r] < 0 ? ParquetProblem.NullVector : ParquetProblem.RaggedVector, f.File, f.VectorColumn, at, problem, k));
                continue;
            }
            if (start[r] != k * d) Array.Copy(block, start[r], block, k * d, d);
            if (!Numerics.VectorMath.AllFinite(block.AsSpan(k * d, d)))
            {
                problems.Add(new ParquetRowProblem(ParquetProblem.NonFiniteVector, f.File, f.VectorColumn, at,
                    $"Row {at} of '{f.File}' holds NaN or infinity in '{f.VectorColumn}'{(f.LeafIsDouble ? " (or a float64 beyond float32's range)" : "")}; it was skipped.", k));
                continue;
            }
            setRows[k] = group.SetFirstRow + r;
            groupRows[k] = r;
            k++;
        }
        piece.Count = k;
        piece.Dimension = d;
        piece.Block = block;
        piece.SetRows = setRows;
        piece.GroupRows = groupRows;
        piece.Problems = problems;
        return piece;
    }

    /// <summary>An open file, its resolved columns and the buffers its row groups are decoded into (one group at a time).</summary>
    private sealed class FileContext : IDisposable
    {
        public FileContext(string file, ParquetReader reader, ParquetColumnNames names)
        {
            File = file;
            Reader = reader;
            var top = reader.Schema.Fields;
            var vector = Find(top, names.Vector ?? S.Embedding)
                ?? throw Missing(file, top, names.Vector ?? S.Embedding, "-VectorColumn");
            VectorColumn = vector.Name;
            Leaf = vector switch
            {
                ListField { Item: DataField item } when item.MaxRepetitionLevel == 1 => item,
                DataField { MaxRepetitionLevel: 1 } repeated => repeated,
                _ => throw WrongType(file, vector.Name, $"is a {Describe(vector)}; the vector column must be a list (or fixed-size list) of float or double"),
            };
            if (Leaf.ClrType != typeof(float) && Leaf.ClrType != typeof(double))
                throw WrongType(file, vector.Name, $"is a list of {Leaf.ClrType.Name}; the vector column must be a list of float or double");
            LeafIsDouble = Leaf.ClrType == typeof(double);
            IdColumn = Scalar(file, top, names.Id, S.Id, "-IdColumn", ParquetScalarColumns.CanReadAsString, "a string or integer");
            LabelColumn = Scalar(file, top, names.Label, S.Label, "-LabelColumn", ParquetScalarColumns.CanReadAsString, "a string, integer or boolean");
            PathColumn = Scalar(file, top, names.Path, S.Path, "-PathColumn", ParquetScalarColumns.IsString, "a string");
            var taken = new HashSet<string?>(new[] { VectorColumn, IdColumn?.Name, LabelColumn?.Name, PathColumn?.Name });
            foreach (var a in AnnotationColumn.All)
                if (Find(top, a.Name) is DataField field && !taken.Contains(field.Name) && ParquetScalarColumns.IsFlat(field) && a.Fits(field))
                    Annotations.Add((a.Read, field));
            TotalRows = (int)Math.Min(int.MaxValue, reader.RowGroups.Sum(g => g.RowCount));
        }

        public string File { get; }
        public ParquetReader Reader { get; }
        public string VectorColumn { get; }
        public DataField Leaf { get; }
        public bool LeafIsDouble { get; }
        public DataField? IdColumn { get; }
        public DataField? LabelColumn { get; }
        public DataField? PathColumn { get; }
        public List<(Func<ParquetEmbeddingRows, ParquetRowGroupReader, DataField, int, CancellationToken, Task> Read, DataField Field)> Annotations { get; } = new();
        public int TotalRows { get; }

        private double[]? _doubles;
        private (int[] Definition, int[] Repetition) _levels = (Array.Empty<int>(), Array.Empty<int>());

        /// <summary>Where the leaf's values are decoded: a fresh float array that becomes the row group's block, or a reused double buffer.</summary>
        public Array Values(int n)
        {
            if (!LeafIsDouble) return new float[n];
            if (_doubles is null || _doubles.Length != n) _doubles = new double[n];
            return _doubles;
        }

        public (int[] Definition, int[] Repetition) Levels(int n)
        {
            if (_levels.Definition.Length < n) _levels = (new int[n], new int[n]);
            return _levels;
        }

        public void Dispose() => Reader.DisposeAsync().AsTask().GetAwaiter().GetResult();

        private static Field? Find(IReadOnlyList<Field> fields, string name)
            => fields.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? fields.FirstOrDefault(f => S.Matches(f.Name, name));

        private static DataField? Scalar(string file, IReadOnlyList<Field> top, string? given, string fallback, string parameter, Func<DataField, bool> fits, string what)
        {
            var field = Find(top, given ?? fallback);
            if (field is null) return given is null ? null : throw Missing(file, top, given, parameter);
            if (!ParquetScalarColumns.IsFlat(field) || !fits((DataField)field))
                throw WrongType(file, field.Name, $"is a {Describe(field)}; {parameter} must name {what} column");
            return (DataField)field;
        }

        private static string Describe(Field f) => f switch
        {
            ListField l => $"list of {(l.Item is DataField d ? d.ClrType.Name : l.Item.SchemaType.ToString())}",
            DataField { MaxRepetitionLevel: > 0 } d => $"repeated {d.ClrType.Name} column",
            DataField d => $"{(d.ClrType == typeof(ReadOnlyMemory<char>) ? "String" : d.ClrType.Name)} column",
            _ => $"{f.SchemaType} column",
        };

        private static ParquetEmbeddingException Missing(string file, IReadOnlyList<Field> top, string name, string parameter)
            => new(ParquetProblem.MissingColumn, file, name,
                $"'{file}' has no '{name}' column (its columns: {string.Join(", ", top.Select(t => $"'{t.Name}'"))}); name the column with {parameter}. The file was skipped.");

        private static ParquetEmbeddingException WrongType(string file, string column, string what)
            => new(ParquetProblem.WrongColumnType, file, column, $"Column '{column}' of '{file}' {what}. The file was skipped.");
    }

    /// <summary>The annotation columns the writer stores, with the types they are read back from.</summary>
    private sealed record AnnotationColumn(string Name, Func<DataField, bool> Fits, Func<ParquetEmbeddingRows, ParquetRowGroupReader, DataField, int, CancellationToken, Task> Read)
    {
        public static readonly AnnotationColumn[] All =
        {
            Strings(S.Model, (p, v) => p.Models = v),
            Ints(S.Cluster, (p, v) => p.Clusters = v),
            Numbers(S.Distance, (p, v) => p.Distances = v),
            Numbers(S.Percentile, (p, v) => p.Percentiles = v),
            Strings(S.Prototype, (p, v) => p.Prototypes = v),
            new(S.Kept, f => f.ClrType == typeof(bool), async (p, g, f, n, c) => p.Kept = await ParquetScalarColumns.ReadBooleansAsync(g, f, n, c).ConfigureAwait(false)),
            Strings(S.Reason, (p, v) => p.Reasons = v),
            Strings(S.DuplicateOf, (p, v) => p.DuplicateOfs = v),
            Numbers(S.Similarity, (p, v) => p.Similarities = v),
            Strings(S.Text, (p, v) => p.Texts = v),
            Ints(S.TokenCount, (p, v) => p.TokenCounts = v),
            Ints(S.TruncatedTokens, (p, v) => p.TruncatedTokens = v),
            Strings(S.KMeansModel, (p, v) => p.KMeansModels = v),
            Strings(S.Issues, (p, v) => p.Issues = v),
            Numbers(S.LabelQuality, (p, v) => p.LabelQualities = v),
            Strings(S.SuggestedLabel, (p, v) => p.SuggestedLabels = v),
            Numbers(S.OutlierScore, (p, v) => p.OutlierScores = v),
            Strings(S.LeakOf, (p, v) => p.LeakOfs = v),
        };

        private static AnnotationColumn Strings(string name, Action<ParquetEmbeddingRows, string?[]> set)
            => new(name, ParquetScalarColumns.IsString, async (p, g, f, n, c) => set(p, await ParquetScalarColumns.ReadStringsAsync(g, f, n, c).ConfigureAwait(false)));

        private static AnnotationColumn Ints(string name, Action<ParquetEmbeddingRows, int?[]> set)
            => new(name, ParquetScalarColumns.CanReadAsInteger, async (p, g, f, n, c) => set(p, await ParquetScalarColumns.ReadInt32sAsync(g, f, n, c).ConfigureAwait(false)));

        private static AnnotationColumn Numbers(string name, Action<ParquetEmbeddingRows, double?[]> set)
            => new(name, ParquetScalarColumns.CanReadAsNumber, async (p, g, f, n, c) => set(p, await ParquetScalarColumns.ReadNumbersAsync(g, f, n, c).ConfigureAwait(false)));
    }
}

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

    /// <summary>The vector length of the set, from its first usable row; -1 before that.</summary>
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
    /// that cannot be read (not Parquet, truncated, missing or mistyped column, vectors of
    /// another length than the set's) ends with a piece holding only its
    /// <see cref="ParquetEmbeddingRows.FileError"/>; the pieces before it stand.
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
        Task<ParquetEmbeddingRows>? next = null;
        try
        {
            int groupFirstRow = fileFirstRow;
            if (context.Reader.RowGroupCount > 0) next = Start(context, 0, groupFirstRow, cancel);
            for (int g = 0; g < context.Reader.RowGroupCount; g++)
            {
                var piece = next!.GetAwaiter().GetResult();
                next = null;
                groupFirstRow += (int)context.Reader.RowGroups[g].RowCount;
                if (piece.FileError is null && g + 1 < context.Reader.RowGroupCount) next = Start(context, g + 1, groupFirstRow, cancel);
                yield return piece;
                if (piece.FileError is not null) yield break;
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

    private Task<ParquetEmbeddingRows> Start(FileContext context, int group, int firstRow, CancellationToken cancel)
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

    private async Task<ParquetEmbeddingRows> ReadGroupAsync(FileContext f, int g, int firstRow, CancellationToken cancel)
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

            var piece = Assemble(f, g, rows, (int)slots, values, levels.Definition, levels.Repetition, firstRow, fileRow);
            column = f.IdColumn?.Name ?? column;
            if (f.IdColumn is not null) piece.Ids = await ParquetScalarColumns.ReadStringsAsync(group, f.IdColumn, rows, cancel).ConfigureAwait(false);
            if (f.LabelColumn is not null) { column = f.LabelColumn.Name; piece.Labels = await ParquetScalarColumns.ReadStringsAsync(group, f.LabelColumn, rows, cancel).ConfigureAwait(false); }
            if (f.PathColumn is not null) { column = f.PathColumn.Name; piece.Paths = await ParquetScalarColumns.ReadStringsAsync(group, f.PathColumn, rows, cancel).ConfigureAwait(false); }
            foreach (var a in f.Annotations) { column = a.Field.Name; await a.Read(piece, group, a.Field, rows, cancel).ConfigureAwait(false); }
            RowGroupMemory.Release(4 * slots);
            return piece;
        }
        catch (ParquetEmbeddingException e) { return new ParquetEmbeddingRows(f.File) { FileError = e }; }
        catch (OverflowException e)
        {
            return new ParquetEmbeddingRows(f.File) { FileError = new ParquetEmbeddingException(ParquetProblem.WrongColumnType, f.File, column,
                $"Column '{column}' of '{f.File}' (rows {fileRow}–{fileRow + f.Reader.RowGroups[g].RowCount - 1}): {e.Message}; the rest of the file was skipped.", e) };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ParquetEmbeddingRows(f.File) { FileError = new ParquetEmbeddingException(ParquetProblem.InvalidParquetFile, f.File, column,
                $"Reading column '{column}' of '{f.File}' failed in row group {g} (rows {fileRow}–{fileRow + f.Reader.RowGroups[g].RowCount - 1}): {e.Message}. The file may be truncated or damaged; the rows before were read, the rest of the file was skipped.", e) };
        }
    }

    private static long RowsBefore(FileContext f, int g)
    {
        long n = 0;
        for (int i = 0; i < g; i++) n += f.Reader.RowGroups[i].RowCount;
        return n;
    }

    /// <summary>
    /// Splits the leaf's values into rows by their repetition levels (0 starts a row) and keeps
    /// the rows whose every element is present, finite and of the set's length.
    /// </summary>
    private ParquetEmbeddingRows Assemble(FileContext f, int g, int rows, int slots, Array values, int[] definition, int[] repetition, int setFirstRow, long fileFirstRow)
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

        var problems = new List<ParquetRowProblem>();
        if (Dimension < 0 || !f.DimensionChecked)
        {
            int first = Array.FindIndex(length, l => l > 0);
            if (first >= 0)
            {
                if (Dimension < 0) Dimension = length[first];
                else if (length[first] != Dimension)
                    throw new ParquetEmbeddingException(ParquetProblem.DimensionMismatch, f.File, f.VectorColumn,
                        $"The '{f.VectorColumn}' vectors of '{f.File}' have {length[first]} dimensions (row {fileFirstRow + first}) but the set's earlier files have {Dimension}; all files of a set must come from the same model. The file was skipped.");
                f.DimensionChecked = true;
            }
        }
        int d = Math.Max(Dimension, 1);
        int usable = length.Count(l => l == d);
        // A float32 file's values become the block itself: each usable row moves down over the
        // skipped ones (usually none), so a row group costs no second copy of its vectors.
        var block = values as float[] ?? new float[(long)usable * d];
        var setRows = new int[usable];
        var groupRows = new int[usable];
        int k = 0;
        for (int r = 0; r < rows; r++)
        {
            long at = fileFirstRow + r;
            string? problem = length[r] switch
            {
                -1 => $"Row {at} of '{f.File}' has a null or empty '{f.VectorColumn}'; it was skipped.",
                -2 => $"Row {at} of '{f.File}' has a null element in '{f.VectorColumn}'; it was skipped.",
                _ when length[r] != d => $"Row {at} of '{f.File}' has {length[r]} values in '{f.VectorColumn}' but the set's vectors have {d}; it was skipped.",
                _ => null,
            };
            if (problem is not null)
            {
                problems.Add(new ParquetRowProblem(length[r] < 0 ? ParquetProblem.NullVector : ParquetProblem.RaggedVector, f.File, f.VectorColumn, at, problem, k));
                continue;
            }
            var target = block.AsSpan(k * d, d);
            if (values is double[] doubles)
                for (int j = 0; j < d; j++) target[j] = (float)doubles[start[r] + j];
            else if (start[r] != k * d) Array.Copy(block, start[r], block, k * d, d);
            if (!Numerics.VectorMath.AllFinite(target))
            {
                problems.Add(new ParquetRowProblem(ParquetProblem.NonFiniteVector, f.File, f.VectorColumn, at,
                    $"Row {at} of '{f.File}' holds NaN or infinity in '{f.VectorColumn}'{(f.LeafIsDouble ? " (or a float64 beyond float32's range)" : "")}; it was skipped.", k));
                continue;
            }
            setRows[k] = setFirstRow + r;
            groupRows[k] = r;
            k++;
        }
        return new ParquetEmbeddingRows(f.File)
        {
            Count = k, Dimension = d, Block = block, SetRows = setRows, GroupRows = groupRows, Problems = problems,
        };
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
        public bool DimensionChecked { get; set; }

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
        };

        private static AnnotationColumn Strings(string name, Action<ParquetEmbeddingRows, string?[]> set)
            => new(name, ParquetScalarColumns.IsString, async (p, g, f, n, c) => set(p, await ParquetScalarColumns.ReadStringsAsync(g, f, n, c).ConfigureAwait(false)));

        private static AnnotationColumn Ints(string name, Action<ParquetEmbeddingRows, int?[]> set)
            => new(name, ParquetScalarColumns.CanReadAsInteger, async (p, g, f, n, c) => set(p, await ParquetScalarColumns.ReadInt32sAsync(g, f, n, c).ConfigureAwait(false)));

        private static AnnotationColumn Numbers(string name, Action<ParquetEmbeddingRows, double?[]> set)
            => new(name, ParquetScalarColumns.CanReadAsNumber, async (p, g, f, n, c) => set(p, await ParquetScalarColumns.ReadNumbersAsync(g, f, n, c).ConfigureAwait(false)));
    }
}

using Parquet;
using Parquet.Schema;
using S = PruneCmdlets.IO.ParquetEmbeddingSchema;

namespace PruneCmdlets.IO;

/// <summary>
/// Writes embedding records as an Apache Parquet file that pyarrow, pandas, DuckDB, Spark and
/// Polars read as a table: <c>id</c> (string, required), <c>path</c> and <c>label</c> (string,
/// null when the record has none), <c>embedding</c> (a LIST of required float32, one element
/// per dimension), then one column per annotation that at least one record carries (model,
/// cluster, distance, percentile, prototype, kept, reason, duplicate_of, similarity, text,
/// token_count, truncated_tokens, kmeans_model: the fingerprint of the k-means model the
/// cluster and distance come from), null where a record does not. Rows go out one row group at a
/// time, so besides the records only one row group's buffers are ever held.
/// </summary>
public static class ParquetEmbeddingWriter
{
    /// <summary>
    /// Writes <paramref name="records"/> (all of <paramref name="dimension"/> dimensions) to
    /// <paramref name="path"/> through a temporary file, so a failed or cancelled write leaves
    /// the old file as it was. <paramref name="progress"/> hears the number of rows written after
    /// each row group.
    /// </summary>
    public static void Write(string path, IReadOnlyList<EmbeddingRecord> records, int dimension,
        int rowGroupSize = S.DefaultRowGroupSize, ParquetCompression compression = ParquetCompression.Snappy,
        Action<int>? progress = null, CancellationToken cancel = default)
    {
        AtomicFile.Replace(path, stream => Write(stream, records, dimension, rowGroupSize, compression, progress, cancel));
    }

    /// <summary>The file's bytes into <paramref name="stream"/> (a member of a set of files, which the caller makes atomic).</summary>
    public static void Write(Stream stream, IReadOnlyList<EmbeddingRecord> records, int dimension,
        int rowGroupSize = S.DefaultRowGroupSize, ParquetCompression compression = ParquetCompression.Snappy,
        Action<int>? progress = null, CancellationToken cancel = default)
    {
        if (rowGroupSize < 1) throw new ArgumentOutOfRangeException(nameof(rowGroupSize), rowGroupSize, "a row group holds at least one row.");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "embeddings have at least one dimension.");
        // Parquet.Net is asynchronous; run it on the thread pool so no caller's synchronisation
        // context can deadlock the wait.
        Task.Run(() => WriteAsync(stream, records, dimension, rowGroupSize, compression, progress, cancel), cancel).GetAwaiter().GetResult();
    }

    private static async Task WriteAsync(Stream stream, IReadOnlyList<EmbeddingRecord> records, int dimension, int rowGroupSize,
        ParquetCompression compression, Action<int>? progress, CancellationToken cancel)
    {
        var columns = ColumnsFor(records);
        var element = new DataField<float>("element", nullable: false);
        var embedding = new ListField(S.Embedding, element);
        var fields = new List<Field>(columns.Count + 1);
        fields.AddRange(columns.Take(3).Select(c => c.Field));
        fields.Add(embedding);
        fields.AddRange(columns.Skip(3).Select(c => c.Field));
        var schema = new ParquetSchema(fields);
        var leaf = schema.GetDataFields()[3];   // id, path, label, then the list's element

        var options = RowGroupMemory.Options(Codec(compression));
        // The vectors of one row group side by side, with Parquet's levels for a list of exactly
        // D present values per row: repetition 0 starts a row, 1 continues it; every value is
        // defined at the leaf's maximum level. The same buffers serve every row group.
        int groupRows = Math.Min(rowGroupSize, Math.Max(1, records.Count));
        var values = new float[(long)groupRows * dimension];
        var repetition = new int[values.Length];
        for (int i = 0; i < repetition.Length; i++) repetition[i] = i % dimension == 0 ? 0 : 1;
        var definition = new int[values.Length];
        Array.Fill(definition, leaf.MaxDefinitionLevel);

        await using var writer = await ParquetWriter.CreateAsync(schema, stream, options, append: false, cancel).ConfigureAwait(false);
        for (int start = 0; start < records.Count; start += rowGroupSize)
        {
            cancel.ThrowIfCancellationRequested();
            int count = Math.Min(rowGroupSize, records.Count - start);
            for (int i = 0; i < count; i++)
            {
                var vector = records[start + i].VectorMemory.Span;
                if (vector.Length != dimension) throw new ArgumentException($"every record must have {dimension} dimensions; '{records[start + i].Id}' has {vector.Length}.");
                vector.CopyTo(values.AsSpan(i * dimension, dimension));
            }
            using var group = writer.CreateRowGroup();
            for (int c = 0; c < 3; c++) await columns[c].WriteAsync(group, records, start, count, cancel).ConfigureAwait(false);
            int n = count * dimension;
            await group.WriteAllPartsAsync<float>(leaf, values.AsMemory(0, n), definition.AsMemory(0, n), repetition.AsMemory(0, n), cancel).ConfigureAwait(false);
            for (int c = 3; c < columns.Count; c++) await columns[c].WriteAsync(group, records, start, count, cancel).ConfigureAwait(false);
            progress?.Invoke(start + count);
            RowGroupMemory.Release(4L * n);
        }
    }

    /// <summary>id, path, label, then the annotation columns some record carries, in a fixed order.</summary>
    private static List<Column> ColumnsFor(IReadOnlyList<EmbeddingRecord> records)
    {
        var columns = new List<Column>
        {
            new StringColumn(S.Id, r => r.Id, nullable: false),
            new StringColumn(S.Path, r => r.Path),
            new StringColumn(S.Label, r => r.Label),
        };
        var optional = new Column[]
        {
            new StringColumn(S.Model, r => r.Model),
            new ValueColumn<int>(S.Cluster, r => r.Cluster),
            new ValueColumn<double>(S.Distance, r => r.Distance),
            new ValueColumn<double>(S.Percentile, r => r.Percentile),
            new StringColumn(S.Prototype, r => r.Prototype),
            new ValueColumn<bool>(S.Kept, r => r.Kept),
            new StringColumn(S.Reason, r => r.Reason),
            new StringColumn(S.DuplicateOf, r => r.DuplicateOf),
            new ValueColumn<double>(S.Similarity, r => r.Similarity),
            new StringColumn(S.Text, r => r.Text),
            new ValueColumn<int>(S.TokenCount, r => r.TokenCount),
            new ValueColumn<int>(S.TruncatedTokens, r => r.TruncatedTokens),
            new StringColumn(S.KMeansModel, r => r.KMeansModelFingerprint),
            new StringColumn(S.Issues, r => r.Issues is null ? null : string.Join(";", r.Issues)),
            new ValueColumn<double>(S.LabelQuality, r => r.LabelQuality),
            new StringColumn(S.SuggestedLabel, r => r.SuggestedLabel),
            new ValueColumn<double>(S.OutlierScore, r => r.OutlierScore),
            new StringColumn(S.LeakOf, r => r.LeakOf),
        };
        columns.AddRange(optional.Where(c => records.Any(c.Carries)));
        return columns;
    }

    private static CompressionMethod Codec(ParquetCompression c) => c switch
    {
        ParquetCompression.None => CompressionMethod.None,
        ParquetCompression.Zstd => CompressionMethod.Zstd,
        ParquetCompression.Gzip => CompressionMethod.Gzip,
        _ => CompressionMethod.Snappy,
    };

    private abstract class Column
    {
        public abstract DataField Field { get; }
        public abstract bool Carries(EmbeddingRecord record);
        public abstract Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<EmbeddingRecord> records, int start, int count, CancellationToken cancel);
    }

    private sealed class StringColumn(string name, Func<EmbeddingRecord, string?> get, bool nullable = true) : Column
    {
        public override DataField Field { get; } = new DataField<string>(name, nullable);
        public override bool Carries(EmbeddingRecord record) => get(record) is not null;
        public override Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<EmbeddingRecord> records, int start, int count, CancellationToken cancel)
        {
            var values = new string[count];
            for (int i = 0; i < count; i++) values[i] = get(records[start + i])!;
            return group.WriteAsync(Field, values);
        }
    }

    private sealed class ValueColumn<T>(string name, Func<EmbeddingRecord, T?> get) : Column where T : struct
    {
        public override DataField Field { get; } = new DataField<T>(name, nullable: true);
        public override bool Carries(EmbeddingRecord record) => get(record).HasValue;
        public override Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<EmbeddingRecord> records, int start, int count, CancellationToken cancel)
        {
            var values = new T?[count];
            for (int i = 0; i < count; i++) values[i] = get(records[start + i]);
            return group.WriteAsync<T>(Field, values.AsMemory(), null, null, cancel);
        }
    }
}

using Apache.Arrow;
using Apache.Arrow.Types;
using ParquetSharp.Arrow;
using PruneCmdlets.IO;
using Xunit;
using ArrowField = Apache.Arrow.Field;
using ArrowSchema = Apache.Arrow.Schema;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// Parquet in and out, checked against an independent implementation: ParquetSharp, which wraps
/// Apache Arrow's C++ Parquet library (the one pyarrow and pandas use). It reads what our
/// writer (Parquet.Net) wrote, and writes the list, fixed-size-list and double columns other
/// tools produce, which our reader must import.
/// </summary>
public class ParquetTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static List<EmbeddingRecord> AnnotatedRecords(int n, int d)
    {
        var x = TestData.Gaussian(n, d, seed: 7);
        var records = new List<EmbeddingRecord>();
        for (int i = 0; i < n; i++)
        {
            var r = new EmbeddingRecord($"img-{i}", i % 3 == 0 ? null : $"/data/{i}.jpg", i % 4 == 0 ? null : $"class{i % 2}", x.AsSpan(i * d, d).ToArray(), "resnet18")
            {
                Text = i == 1 ? "ein Text – ü" : null,
                TokenCount = i == 1 ? 9 : null,
                TruncatedTokens = i == 1 ? 0 : null,
            };
            if (i != 2) r = r.WithAnnotations(i % 3, null, 0.5 + i, i / (double)n, "Cluster");
            if (i != 3) r = r.WithDecision(i % 2 == 0, $"kept: reason {i}");
            if (i == 4) r = r.WithDuplicate("img-0", 0.987654321, false, "pruned: duplicate of img-0");
            records.Add(r);
        }
        return records;
    }

    private static List<EmbeddingRecord> ReadSet(ParquetEmbeddingSet set, string file, List<ParquetRowProblem>? problems = null, List<ParquetEmbeddingException>? fileErrors = null)
    {
        var records = new List<EmbeddingRecord>();
        foreach (var piece in set.Read(file))
        {
            for (int k = 0; k < piece.Count; k++) records.Add(piece.Record(k, null, "default"));
            problems?.AddRange(piece.Problems);
            if (piece.FileError is not null)
            {
                if (fileErrors is null) throw piece.FileError;
                fileErrors.Add(piece.FileError);
            }
        }
        return records;
    }

    private static RecordBatch ReadArrow(string path)
    {
        using var reader = new FileReader(path);
        using var batches = reader.GetRecordBatchReader();
        var all = new List<RecordBatch>();
        RecordBatch? b;
        while ((b = batches.ReadNextRecordBatchAsync().AsTask().GetAwaiter().GetResult()) is not null) all.Add(b);
        Assert.Single(all);   // small files: Arrow merges our row groups into one batch
        return all[0];
    }

    private static string? Str(IArrowArray a, int i) => ((StringArray)a).GetString(i);

    [Fact]
    public void WrittenFileReadsInArrowWithTheSchemaAndValues()
    {
        const int n = 7, d = 5;
        var records = AnnotatedRecords(n, d);
        string path = _dir.File("out.parquet");
        var progress = new List<int>();
        ParquetEmbeddingWriter.Write(path, records, d, rowGroupSize: 3, progress: progress.Add);
        Assert.Equal(new[] { 3, 6, 7 }, progress);

        using (var reader = new FileReader(path)) Assert.Equal(3, reader.ParquetReader.FileMetaData.NumRowGroups);
        var batch = ReadArrow(path);
        var names = batch.Schema.FieldsList.Select(f => f.Name).ToArray();
        Assert.Equal(new[] { "id", "path", "label", "embedding", "model", "cluster", "distance", "percentile", "prototype", "kept", "reason",
            "duplicate_of", "similarity", "text", "token_count", "truncated_tokens" }, names);
        var embeddingType = Assert.IsType<ListType>(batch.Schema.GetFieldByName("embedding").DataType);
        Assert.IsType<FloatType>(embeddingType.ValueDataType);
        Assert.False(batch.Schema.GetFieldByName("id").IsNullable);
        Assert.IsType<Int32Type>(batch.Schema.GetFieldByName("cluster").DataType);
        Assert.IsType<DoubleType>(batch.Schema.GetFieldByName("distance").DataType);
        Assert.IsType<BooleanType>(batch.Schema.GetFieldByName("kept").DataType);
        Assert.Equal(n, batch.Length);
        var emb = (ListArray)batch.Column("embedding");
        var values = (FloatArray)emb.Values;
        for (int i = 0; i < n; i++)
        {
            var r = records[i];
            Assert.Equal(r.Id, Str(batch.Column("id"), i));
            Assert.Equal(r.Path, Str(batch.Column("path"), i));
            Assert.Equal(r.Label, Str(batch.Column("label"), i));
            Assert.Equal(d, emb.ValueOffsets[i + 1] - emb.ValueOffsets[i]);
            for (int j = 0; j < d; j++) Assert.Equal(r.Vector[j], values.GetValue(emb.ValueOffsets[i] + j));
            Assert.Equal(r.Cluster, ((Int32Array)batch.Column("cluster")).GetValue(i));
            Assert.Equal(r.Distance, ((DoubleArray)batch.Column("distance")).GetValue(i));
            Assert.Equal(r.Percentile, ((DoubleArray)batch.Column("percentile")).GetValue(i));
            Assert.Equal(r.Prototype, Str(batch.Column("prototype"), i));
            Assert.Equal(r.Kept, ((BooleanArray)batch.Column("kept")).GetValue(i));
            Assert.Equal(r.Reason, Str(batch.Column("reason"), i));
            Assert.Equal(r.DuplicateOf, Str(batch.Column("duplicate_of"), i));
            Assert.Equal(r.Similarity, ((DoubleArray)batch.Column("similarity")).GetValue(i));
            Assert.Equal(r.Text, Str(batch.Column("text"), i));
            Assert.Equal(r.TokenCount, ((Int32Array)batch.Column("token_count")).GetValue(i));
            Assert.Equal("resnet18", Str(batch.Column("model"), i));
        }
    }

    [Fact]
    public void PlainRecordsGetOnlyTheFourBaseColumns()
    {
        var x = TestData.Gaussian(3, 2, seed: 1);
        var records = Enumerable.Range(0, 3).Select(i => new EmbeddingRecord($"{i}", null, null, x.AsSpan(i * 2, 2).ToArray(), null)).ToList();
        string path = _dir.File("plain.parquet");
        ParquetEmbeddingWriter.Write(path, records, 2);
        Assert.Equal(new[] { "id", "path", "label", "embedding" }, ReadArrow(path).Schema.FieldsList.Select(f => f.Name));
    }

    [Fact]
    public void EveryAnnotatedColumnRoundTrips()
    {
        const int n = 7, d = 5;
        var records = AnnotatedRecords(n, d);
        string path = _dir.File("rt.parquet");
        ParquetEmbeddingWriter.Write(path, records, d, rowGroupSize: 2, compression: ParquetCompression.Zstd);
        var back = ReadSet(new ParquetEmbeddingSet(new ParquetColumnNames()), path);
        Assert.Equal(n, back.Count);
        for (int i = 0; i < n; i++)
        {
            var (a, b) = (records[i], back[i]);
            Assert.Equal(a.Id, b.Id);
            Assert.Equal(a.Path, b.Path);
            Assert.Equal(a.Label, b.Label);
            Assert.Equal(a.Vector, b.Vector);
            Assert.Equal("resnet18", b.Model);
            Assert.Equal(a.Cluster, b.Cluster);
            Assert.Equal(a.Distance, b.Distance);
            Assert.Equal(a.Percentile, b.Percentile);
            Assert.Equal(a.Prototype, b.Prototype);
            Assert.Equal(a.Kept, b.Kept);
            Assert.Equal(a.Reason, b.Reason);
            Assert.Equal(a.DuplicateOf, b.DuplicateOf);
            Assert.Equal(a.Similarity, b.Similarity);
            Assert.Equal(a.Text, b.Text);
            Assert.Equal(a.TokenCount, b.TokenCount);
            Assert.Equal(a.TruncatedTokens, b.TruncatedTokens);
        }
    }

    [Fact]
    public void KMeansModelFingerprintRoundTrips_AndSurvivesASecondExport()
    {
        const int n = 6, d = 3;
        var x = TestData.Gaussian(n, d, seed: 3);
        var a = new PruneCmdlets.Clustering.KMeansModel(TestData.Gaussian(2, d, seed: 4), 2, d, PruneCmdlets.Clustering.DistanceMetric.Cosine);
        var b = new PruneCmdlets.Clustering.KMeansModel(TestData.Gaussian(2, d, seed: 5), 2, d, PruneCmdlets.Clustering.DistanceMetric.Cosine);
        Assert.NotEqual(a.Fingerprint, b.Fingerprint);
        var records = Enumerable.Range(0, n).Select(i =>
        {
            var r = new EmbeddingRecord($"r{i}", null, null, x.AsSpan(i * d, d).ToArray(), "m");
            return i switch
            {
                0 => r,                                                   // never clustered
                1 => r.WithCluster(1, b),
                5 => r.WithScore(0.5, 0.5, "Cluster", 0, a).WithAnnotations(null, null, 0.2, 0.3, "Label"),   // rescored by class means: no model
                _ => r.WithScore(0.1 * i, i / 10.0, "Cluster", i % 2, a),
            };
        }).ToList();
        var expected = new[] { null, b.Fingerprint, a.Fingerprint, a.Fingerprint, a.Fingerprint, null };
        Assert.Equal(expected, records.Select(r => r.KMeansModelFingerprint));

        string path = _dir.File("scored.parquet");
        ParquetEmbeddingWriter.Write(path, records, d);
        var column = ReadArrow(path).Column("kmeans_model");
        Assert.Equal(expected, Enumerable.Range(0, n).Select(i => Str(column, i)));
        var back = ReadSet(new ParquetEmbeddingSet(new ParquetColumnNames()), path);
        Assert.All(back, r => Assert.Null(r.KMeansModel));   // no centroids come back, only the fingerprint
        Assert.Equal(expected, back.Select(r => r.KMeansModelFingerprint));

        // Saved again from the imported records (score once, select later, save the selection).
        string again = _dir.File("again.parquet");
        ParquetEmbeddingWriter.Write(again, back.Select(r => r.WithDecision(true, "kept")).ToList(), d);
        Assert.Equal(expected, ReadSet(new ParquetEmbeddingSet(new ParquetColumnNames()), again).Select(r => r.KMeansModelFingerprint));
        // Clustered anew, a record names the new model, not the stored one.
        Assert.Equal(b.Fingerprint, back[2].WithCluster(0, b).KMeansModelFingerprint);
    }

    /// <summary>Writes columns as Arrow C++ does for pyarrow/pandas, storing the Arrow schema (so a fixed-size list stays one).</summary>
    private string WriteArrow(string name, params (string Name, IArrowArray Array)[] columns)
    {
        var builder = new ArrowSchema.Builder();
        foreach (var (col, array) in columns) builder.Field(new ArrowField(col, array.Data.DataType, nullable: true));
        var schema = builder.Build();
        string path = _dir.File(name);
        using var arrowProperties = new ArrowWriterPropertiesBuilder().StoreSchema().Build();
        using var properties = new ParquetSharp.WriterPropertiesBuilder().MaxRowGroupLength(2).Build();
        using var writer = new FileWriter(path, schema, properties, arrowProperties);
        writer.WriteRecordBatch(new RecordBatch(schema, columns.Select(c => c.Array), columns[0].Array.Length));
        writer.Close();
        return path;
    }

    private static ListArray FloatList(params float?[]?[] rows)
    {
        var b = new ListArray.Builder(FloatType.Default);
        var v = (FloatArray.Builder)b.ValueBuilder;
        foreach (var row in rows)
        {
            if (row is null) { b.AppendNull(); continue; }
            b.Append();
            foreach (var x in row) { if (x is float f) v.Append(f); else v.AppendNull(); }
        }
        return b.Build();
    }

    private static ListArray DoubleList(params double[][] rows)
    {
        var b = new ListArray.Builder(DoubleType.Default);
        var v = (DoubleArray.Builder)b.ValueBuilder;
        foreach (var row in rows) { b.Append(); foreach (var x in row) v.Append(x); }
        return b.Build();
    }

    private static FixedSizeListArray FixedFloats(int d, params float[][] rows)
    {
        var v = new FloatArray.Builder();
        foreach (var row in rows) foreach (var x in row) v.Append(x);
        var type = new FixedSizeListType(new ArrowField("item", FloatType.Default, true), d);
        return new FixedSizeListArray(type, rows.Length, v.Build(), ArrowBuffer.Empty, 0);
    }

    private static StringArray Strings(params string?[]? values)
    {
        var b = new StringArray.Builder();
        foreach (var s in values) { if (s is null) b.AppendNull(); else b.Append(s); }
        return b.Build();
    }

    private static Int64Array Longs(params long[] values) => new Int64Array.Builder().AppendRange(values).Build();

    [Fact]
    public void ImportsListFixedSizeListAndDoubleColumnsWithOddNames()
    {
        float[][] rows = { new[] { 1f, 2f, 3f }, new[] { 4f, 5f, 6f }, new[] { 7f, 8.5f, -9f } };
        var names = new ParquetColumnNames(Vector: "My Vector", Id: "doc id", Label: "Klasse");
        var files = new[]
        {
            WriteArrow("list.parquet", ("doc id", Longs(10, 11, 12)), ("My Vector", FloatList(rows.Select(r => r.Select(x => (float?)x).ToArray()).ToArray())), ("Klasse", Longs(0, 1, 0))),
            WriteArrow("fixed.parquet", ("doc id", Longs(20, 21, 22)), ("My Vector", FixedFloats(3, rows)), ("Klasse", Longs(1, 1, 0))),
            WriteArrow("double.parquet", ("doc id", Longs(30, 31, 32)), ("My Vector", DoubleList(rows.Select(r => r.Select(x => (double)x).ToArray()).ToArray())), ("Klasse", Longs(0, 0, 0))),
        };
        foreach (var file in files)
        {
            var set = new ParquetEmbeddingSet(names);
            var got = ReadSet(set, file);
            Assert.Equal(3, got.Count);
            for (int i = 0; i < 3; i++) Assert.Equal(rows[i], got[i].Vector);
            Assert.All(got, r => Assert.Matches("^[123][012]$", r.Id));
            Assert.Equal(3, set.Dimension);
        }
        var fixedSet = ReadSet(new ParquetEmbeddingSet(names), files[1]);
        Assert.Equal(new[] { "20", "21", "22" }, fixedSet.Select(r => r.Id));
        Assert.Equal(new[] { "1", "1", "0" }, fixedSet.Select(r => r.Label));
        Assert.All(fixedSet, r => Assert.Equal("default", r.Model));
    }

    [Fact]
    public void SeveralFilesAreOneSetWithRowNumbersCarriedOn()
    {
        var a = WriteArrow("a.parquet", ("embedding", FloatList(new float?[] { 1, 2 }, new float?[] { 3, 4 })));
        var b = WriteArrow("b.parquet", ("embedding", FloatList(new float?[] { 5, 6 })));
        var c = WriteArrow("c.parquet", ("embedding", FloatList(new float?[] { 1, 2, 3 })));
        var set = new ParquetEmbeddingSet(new ParquetColumnNames());
        var errors = new List<ParquetEmbeddingException>();
        var got = ReadSet(set, a).Concat(ReadSet(set, b)).Concat(ReadSet(set, c, null, errors)).ToList();
        Assert.Equal(new[] { "0", "1", "2" }, got.Select(r => r.Id));
        Assert.Equal(new[] { 5f, 6f }, got[2].Vector);
        var e = Assert.Single(errors);
        Assert.Equal(ParquetProblem.DimensionMismatch, e.Problem);
        Assert.Equal(c, e.File);
        Assert.Contains("3 dimensions", e.Message);
        Assert.Equal(4, set.RowsSoFar);
    }

    [Fact]
    public void FolderOfPartFilesIsReadInNameOrderSkippingHiddenFiles()
    {
        string root = _dir.File("dataset");
        Directory.CreateDirectory(Path.Combine(root, "label=b"));
        Directory.CreateDirectory(Path.Combine(root, "label=a"));
        Directory.CreateDirectory(Path.Combine(root, "_tmp"));
        foreach (var f in new[] { "label=b/part-0.parquet", "label=a/part-1.parquet", "label=a/part-0.parquet", "_SUCCESS", "label=a/.part-0.parquet.crc", "_tmp/part-9.parquet", "notes.txt" })
            File.WriteAllText(Path.Combine(root, f), "");
        var files = ParquetEmbeddingSet.FilesOf(root).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'));
        Assert.Equal(new[] { "label=a/part-0.parquet", "label=a/part-1.parquet", "label=b/part-0.parquet" }, files);
    }

    [Fact]
    public void BadRowsAreReportedByFileColumnAndRowAndTheOthersKept()
    {
        var path = WriteArrow("bad.parquet", ("id", Strings("a", "b", "c", "d", "e", "f")), ("vec", FloatList(
            new float?[] { 1, 2 }, null, new float?[] { 3, null }, new float?[] { 1, 2, 3 }, new float?[] { float.NaN, 1 }, new float?[] { 7, 8 })));
        var problems = new List<ParquetRowProblem>();
        var got = ReadSet(new ParquetEmbeddingSet(new ParquetColumnNames(Vector: "vec")), path, problems);
        Assert.Equal(new[] { "a", "f" }, got.Select(r => r.Id));
        Assert.Equal(new[] { 7f, 8f }, got[1].Vector);
        Assert.Equal(new[] { (ParquetProblem.NullVector, 1L), (ParquetProblem.NullVector, 2L), (ParquetProblem.RaggedVector, 3L), (ParquetProblem.NonFiniteVector, 4L) },
            problems.Select(p => (p.Problem, p.Row)));
        Assert.All(problems, p => { Assert.Equal(path, p.File); Assert.Equal("vec", p.Column); Assert.Contains($"Row {p.Row} of '{path}'", p.Message); });
        Assert.Contains("has 3 values in 'vec' but the set's vectors have 2", problems[2].Message);
        // Rows 2 and 3 are in the second row group (two rows each): no record sits between them.
        Assert.Equal(new[] { 1, 0, 0, 0 }, problems.Select(p => p.BeforeRecord));
    }

    private static float?[] Vec(params float[] v) => v.Select(x => (float?)x).ToArray();

    [Fact]
    public void RaggedFirstRowIsReportedAndTheMostCommonLengthIsTheSets()
    {
        // Row 0 has 3 values, the others 2: the first row used to set the length, so row 0 went
        // on down the pipeline and every good row was refused as ragged.
        var path = WriteArrow("first.parquet", ("id", Strings("bad", "a", "b", "c")),
            ("embedding", FloatList(Vec(9, 9, 9), Vec(1, 2), Vec(3, 4), Vec(5, 6))));
        var problems = new List<ParquetRowProblem>();
        var set = new ParquetEmbeddingSet(new ParquetColumnNames());
        var got = ReadSet(set, path, problems);
        Assert.Equal(new[] { "a", "b", "c" }, got.Select(r => r.Id));
        Assert.Equal(new[] { 3f, 4f }, got[1].Vector);
        Assert.Equal(2, set.Dimension);
        var p = Assert.Single(problems);
        Assert.Equal((ParquetProblem.RaggedVector, 0L), (p.Problem, p.Row));
        Assert.Contains("has 3 values in 'embedding' but the set's vectors have 2", p.Message);
    }

    [Fact]
    public void LengthIsDecidedByTheFirstHundredRowsThenRowsStreamAndRaggedOnesAreNamed()
    {
        // 150 rows in groups of two: the first 100 usable rows (50 groups, held) decide; the
        // groups after stream. Rows 0 and 120 are ragged.
        var rows = Enumerable.Range(0, 150).Select(i => i is 0 or 120 ? Vec(i, i, i, i) : Vec(i, -i)).ToArray();
        var path = WriteArrow("many.parquet", ("embedding", FloatList(rows)));
        var problems = new List<ParquetRowProblem>();
        var got = ReadSet(new ParquetEmbeddingSet(new ParquetColumnNames()), path, problems);
        Assert.Equal(148, got.Count);
        Assert.Equal(new[] { 0L, 120L }, problems.Select(p => p.Row));
        Assert.All(problems, p => Assert.Equal(ParquetProblem.RaggedVector, p.Problem));
        Assert.Equal(new[] { 1f, -1f }, got[0].Vector);
        Assert.Equal("149", got[^1].Id);
        Assert.Equal(new[] { 149f, -149f }, got[^1].Vector);
    }

    [Fact]
    public void EachFileOfASetIsJudgedByItsMostCommonLength()
    {
        // The first file's first row is ragged (the folder case): the set still takes 2. The
        // second file starts with a ragged row too but mostly has 2: only that row is refused.
        // The third has mostly 3: the whole file is another model's.
        var a = WriteArrow("a.parquet", ("embedding", FloatList(Vec(1, 2, 3), Vec(1, 2), Vec(3, 4))));
        var b = WriteArrow("b.parquet", ("embedding", FloatList(Vec(7, 7, 7, 7), Vec(5, 6), Vec(7, 8))));
        var c = WriteArrow("c.parquet", ("embedding", FloatList(Vec(1, 2), Vec(1, 2, 3), Vec(4, 5, 6))));
        var set = new ParquetEmbeddingSet(new ParquetColumnNames());
        var problems = new List<ParquetRowProblem>();
        var errors = new List<ParquetEmbeddingException>();
        var got = ReadSet(set, a, problems, errors).Concat(ReadSet(set, b, problems, errors)).Concat(ReadSet(set, c, problems, errors)).ToList();
        Assert.Equal(new[] { "1", "2", "4", "5" }, got.Select(r => r.Id));
        Assert.Equal(new[] { (a, 0L), (b, 0L) }, problems.Select(p => (p.File, p.Row)));
        var e = Assert.Single(errors);
        Assert.Equal((ParquetProblem.DimensionMismatch, c), (e.Problem, e.File));
        Assert.Contains("Most of the 'embedding' vectors", e.Message);
        Assert.Contains("2 rows of 3, 1 row of 2", e.Message);
    }

    [Fact]
    public void AFileWithNoMostCommonLengthIsRefusedUnlessTheSetsLengthIsAmongTheLeaders()
    {
        var tie = WriteArrow("tie.parquet", ("embedding", FloatList(Vec(1, 2, 3), Vec(1, 2))));
        var errors = new List<ParquetEmbeddingException>();
        Assert.Empty(ReadSet(new ParquetEmbeddingSet(new ParquetColumnNames()), tie, null, errors));
        var e = Assert.Single(errors);
        Assert.Equal(ParquetProblem.AmbiguousDimension, e.Problem);
        Assert.Contains("1 row of 2, 1 row of 3", e.Message);

        // After a file of 2-d vectors the same tie goes to the set's length.
        var set = new ParquetEmbeddingSet(new ParquetColumnNames());
        var first = WriteArrow("first2.parquet", ("embedding", FloatList(Vec(0, 1))));
        var problems = new List<ParquetRowProblem>();
        var got = ReadSet(set, first).Concat(ReadSet(set, tie, problems)).ToList();
        Assert.Equal(new[] { "0", "2" }, got.Select(r => r.Id));
        Assert.Equal((ParquetProblem.RaggedVector, 0L), (Assert.Single(problems).Problem, problems[0].Row));
    }

    [Theory]
    [InlineData("strings")]
    [InlineData("longs")]
    [InlineData("missing")]
    [InlineData("missing id")]
    [InlineData("truncated")]
    [InlineData("not parquet")]
    public void BadFilesAreOneErrorNamingFileAndColumn(string kind)
    {
        string path = kind switch
        {
            "strings" => WriteArrow("s.parquet", ("embedding", Strings("1,2", "3,4"))),
            "longs" => WriteArrow("l.parquet", ("embedding", new ListArray.Builder(Int64Type.Default).Append().Build())),
            "missing" or "missing id" => WriteArrow("m.parquet", ("vector", FloatList(new float?[] { 1, 2 })), ("other", Longs(1))),
            _ => _dir.File("t.parquet"),
        };
        if (kind == "truncated")
        {
            ParquetEmbeddingWriter.Write(path, AnnotatedRecords(4, 3), 3);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        }
        if (kind == "not parquet") File.WriteAllText(path, "id,embedding\n1,\"[1,2]\"\n");
        var names = kind == "missing id" ? new ParquetColumnNames(Vector: "vector", Id: "key") : new ParquetColumnNames();
        var errors = new List<ParquetEmbeddingException>();
        Assert.Empty(ReadSet(new ParquetEmbeddingSet(names), path, null, errors));
        var e = Assert.Single(errors);
        Assert.Equal(path, e.File);
        Assert.Contains($"'{path}'", e.Message);
        var (problem, column, text) = kind switch
        {
            "strings" => (ParquetProblem.WrongColumnType, "embedding", "is a String column; the vector column must be a list"),
            "longs" => (ParquetProblem.WrongColumnType, "embedding", "is a list of Int64"),
            "missing" => (ParquetProblem.MissingColumn, "embedding", "no 'embedding' column (its columns: 'vector', 'other'); name the column with -VectorColumn"),
            "missing id" => (ParquetProblem.MissingColumn, "key", "no 'key' column"),
            _ => (ParquetProblem.InvalidParquetFile, (string?)null, "not a readable Parquet file"),
        };
        Assert.Equal(problem, e.Problem);
        Assert.Equal(column, e.Column);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void TextReaderReadsParquetColumnsByName()
    {
        var path = WriteArrow("texts.parquet", ("Body", Strings("first text", null, "third")), ("Key", Longs(5, 6, 7)), ("Topic", Strings("x", "y", "z")));
        var docs = TextDocumentReader.Read(path, new TextFields("body", "key", "topic"), wholeFile: false).ToList();
        Assert.Equal(new long[] { 1, 2, 3 }, docs.Select(d => d.Line));
        Assert.Equal(new[] { "first text", null, "third" }, docs.Select(d => d.Text));
        Assert.Equal(new[] { "5", "6", "7" }, docs.Select(d => d.GivenId));
        Assert.Equal(new[] { "x", "y", "z" }, docs.Select(d => d.Label));
        var missing = Assert.Single(TextDocumentReader.Read(path, new TextFields(), wholeFile: false));
        Assert.Equal(TextReadProblem.MissingColumn, missing.Problem);
        Assert.Contains("no 'Text' column (its columns: 'Body', 'Key', 'Topic')", missing.Message);
    }
}

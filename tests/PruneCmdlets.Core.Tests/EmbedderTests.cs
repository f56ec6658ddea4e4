using PruneCmdlets.Embedding;
using PruneCmdlets.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>The chunk plan Get-TextEmbedding and the text bench share, worked by hand.</summary>
public class TextChunkPlanTests
{
    [Fact]
    public void Plan_CutsFullChunksInInputOrder_ThenTheRemainderByLength()
    {
        // Batch 2: chunks of 8. Eleven texts: one full chunk (0–7, in input order, lengths
        // ignored), then 8, 9, 10 (lengths 5, 1, 5) sorted by length, ties in input order:
        // 9, 8, 10, cut into pieces of 2.
        var texts = new[] { "aaaaaaa", "a", "aaa", "aa", "aaaaa", "a", "aaaa", "aaaaaa", "aaaaa", "a", "bbbbb" };
        var plan = TextChunkPlan.Plan(texts, batchSize: 2);
        Assert.Equal(3, plan.Length);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, plan[0]);
        Assert.Equal(new[] { 9, 8 }, plan[1]);
        Assert.Equal(new[] { 10 }, plan[2]);
    }

    [Fact]
    public void SplitRemainder_SortsByLength_StableOnTies()
    {
        var pieces = TextChunkPlan.SplitRemainder(new[] { "ccc", "a", "bb", "d", "ee" }, batchSize: 2);
        Assert.Equal(new[] { new[] { 1, 3 }, new[] { 2, 4 }, new[] { 0 } }, pieces);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(32)]
    public void Plan_HoldsEveryTextOnce_AndDependsOnTheTextsAlone(int batchSize)
    {
        var rng = new Random(5);
        var texts = Enumerable.Range(0, 301).Select(_ => new string('x', 1 + rng.Next(40))).ToArray();
        var plan = TextChunkPlan.Plan(texts, batchSize);
        Assert.Equal(Enumerable.Range(0, texts.Length), plan.SelectMany(p => p).Order());
        Assert.All(plan, p => Assert.InRange(p.Length, 1, TextChunkPlan.ChunkSize(batchSize)));
        // The same texts planned again give the same plan; nothing else goes in.
        Assert.Equal(plan, TextChunkPlan.Plan(texts.ToArray(), batchSize));
    }

    [Fact]
    public void Restore_PutsEachPiecesResultsBackInInputOrder()
    {
        var pieces = new[] { new[] { 2, 0 }, new[] { 3 }, new[] { 1 } };
        var results = new[] { new[] { "c", "a" }, new[] { "d" }, new[] { "b" } };
        Assert.Equal(new[] { "a", "b", "c", "d" }, TextChunkPlan.Restore(pieces, results));
    }

    [Fact]
    public void Restore_RefusesAPieceWithTheWrongNumberOfResults()
        => Assert.Throws<ArgumentException>(() => TextChunkPlan.Restore(new[] { new[] { 0, 1 } }, new[] { new[] { "a" } }));
}

/// <summary>The text embedder on the embedded all-MiniLM-L6-v2.</summary>
public class TextEmbedderTests : IClassFixture<MiniLmFixture>
{
    private readonly MiniLmFixture _f;
    public TextEmbedderTests(MiniLmFixture f) => _f = f;

    private static TextItem[] Items()
    {
        // Lengths from 1 to ~60 words, in no order, so the remainder's sort moves texts around.
        var words = "the quick brown fox jumps over a lazy dog while seven wizards quietly box jam".Split(' ');
        return Enumerable.Range(0, 75).Select(i => new TextItem($"t{i}", null, $"L{i % 3}",
            string.Join(' ', Enumerable.Range(0, 1 + (i * 37) % 60).Select(j => words[(i + j) % words.Length])))).ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Embeds_ThePlansBatches_InInputOrder_ForAnyThreadCount(int threads)
    {
        // Batch 4: four full chunks of 16 in input order, then 11 texts sorted by length. The
        // chunks sent to the workers must be the plan's, whatever the thread count, and the
        // vectors those of the model run on each piece directly, put back in input order.
        const int batch = 4;
        var items = Items();
        var plan = TextChunkPlan.Plan(items.Select(i => i.Text).ToArray(), batch);
        var expected = new float[items.Length][];
        using (var run = new Microsoft.ML.OnnxRuntime.RunOptions())
            foreach (var piece in plan)
            {
                var vectors = _f.Model.EmbedAll(piece.Select(i => _f.Model.Tokenizer.Encode(items[i].Text)).ToArray(), batch, run, default);
                for (int j = 0; j < piece.Length; j++) expected[piece[j]] = vectors[j];
            }

        using var embedder = new TextEmbedder(_f.Model, null, new TextEmbedderOptions { BatchSize = batch, Threads = threads });
        var sent = new List<int[]>();
        embedder.ChunkSent += chunk => sent.Add(chunk.Select(item => Array.IndexOf(items, item)).ToArray());
        var outcomes = embedder.EmbedAll(items).ToArray();

        Assert.Equal(plan, sent);

        Assert.Equal(items.Select(i => i.Id), outcomes.Select(o => o.Record!.Id));
        Assert.Same(items[7], outcomes[7].Item);
        for (int i = 0; i < items.Length; i++) Assert.Equal(expected[i], outcomes[i].Record!.Vector);
        Assert.Equal(items.Length, embedder.Embedded);
        Assert.Equal(items.Sum(i => (long)_f.Model.Tokenizer.Encode(i.Text).Length), embedder.Tokens);
    }

    [Fact]
    public void AppliesTheLabelRule_AndPreviewsLongTexts()
    {
        var items = new[] { new TextItem("a", "/x/a.txt", "own", new string('y', 150)), new TextItem("b", null, null, "short") };
        using (var own = new TextEmbedder(_f.Model, null, new TextEmbedderOptions { BatchSize = 2, Threads = 1 }))
        {
            var r = own.EmbedAll(items).Select(o => o.Record!).ToArray();
            Assert.Equal(new[] { "own", null }, r.Select(x => x.Label));
            Assert.Equal(new string('y', 100) + "…", r[0].Text);
            Assert.Equal("short", r[1].Text);
            Assert.Equal("/x/a.txt", r[0].Path);
        }
        using (var fixedLabel = new TextEmbedder(_f.Model, null, new TextEmbedderOptions { BatchSize = 2, Threads = 1, Label = new EmbeddingLabel("given", false), IncludeText = true }))
        {
            var r = fixedLabel.EmbedAll(items).Select(o => o.Record!).ToArray();
            Assert.Equal(new[] { "given", "given" }, r.Select(x => x.Label));
            Assert.Equal(150, r[0].Text!.Length);
        }
    }
}

/// <summary>The image embedder on the channel-mean test model: each vector is the preprocessed image's per-channel mean, known by hand.</summary>
public sealed class ImageEmbedderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prune-embedder-").FullName;
    private readonly ImageEmbeddingModel _model;

    // (pixel/255 − mean)/std per channel: solid colours give exact expected vectors.
    private static readonly ImagePreprocessing Pre = new() { ResizeTo = 20, CropSize = 16, Scale = 1, Mean = new[] { 0.5f, 0.25f, 0f }, Std = new[] { 0.25f, 0.5f, 2f } };

    public ImageEmbedderTests()
    {
        string path = Path.Combine(_dir, "channel_mean.onnx");
        TestOnnxModels.SaveChannelMeanModel(path, 16, null);
        _model = ImageEmbeddingModel.Load(path, Pre, null, EmbeddingDevice.Cpu);
    }

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Solid(string folder, string name, byte r, byte g, byte b)
    {
        string dir = Path.Combine(_dir, folder);
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, name);
        using var image = new Image<Rgb24>(30, 24, new Rgb24(r, g, b));
        image.SaveAsPng(file);
        return file;
    }

    private static float[] Expected(byte r, byte g, byte b)
        => new[] { (r / 255f - 0.5f) / 0.25f, (g / 255f - 0.25f) / 0.5f, (b / 255f - 0f) / 2f };

    private static void AssertClose(float[] expected, float[]? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Length, actual!.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    public void ACorruptFile_FailsAlone_NamingIt_WhileTheOthersEmbed(int batch, int threads)
    {
        var a = Solid("cats", "a.png", 255, 0, 51);
        var bad = Path.Combine(_dir, "cats", "bad.png");
        File.WriteAllBytes(bad, "not an image at all"u8.ToArray());
        var b = Solid("dogs", "b.png", 0, 102, 255);
        var gone = Path.Combine(_dir, "dogs", "gone.png");

        using var embedder = new ImageEmbedder(_model, null, new ImageEmbedderOptions { BatchSize = batch, Threads = threads });
        var outcomes = embedder.EmbedAll(new[] { a, bad, b, gone }).ToArray();

        Assert.Equal(new[] { a, bad, b, gone }, outcomes.Select(o => o.Item));
        AssertClose(Expected(255, 0, 51), outcomes[0].Record?.Vector);
        AssertClose(Expected(0, 102, 255), outcomes[2].Record?.Vector);
        Assert.Null(outcomes[1].Record);
        Assert.Equal("ImageDecodeFailed", outcomes[1].ErrorId);
        Assert.Equal(bad, Assert.IsType<ImageLoadException>(outcomes[1].Error).Path);
        Assert.Null(outcomes[3].Record);
        Assert.Equal("FileReadFailed", outcomes[3].ErrorId);
        Assert.Equal((4, 2, 2, 0), (embedder.Queued, embedder.Embedded, embedder.Failed, embedder.Cached));
    }

    [Fact]
    public void LabelsByFolder_ByAFixedLabel_OrNone()
    {
        var a = Solid("cats", "a.png", 10, 20, 30);
        var b = Solid("dogs", "b.png", 40, 50, 60);
        string?[] Labels(EmbeddingLabel rule)
        {
            using var e = new ImageEmbedder(_model, null, new ImageEmbedderOptions { Threads = 1, Label = rule });
            return e.EmbedAll(new[] { a, b }).Select(o => o.Record!.Label).ToArray();
        }
        Assert.Equal(new[] { "cats", "dogs" }, Labels(EmbeddingLabel.Own));
        Assert.Equal(new[] { "pets", "pets" }, Labels(new EmbeddingLabel("pets", none: false)));
        Assert.Equal(new string?[] { null, null }, Labels(new EmbeddingLabel(null, none: true)));
        Assert.Throws<ArgumentException>(() => new EmbeddingLabel("pets", none: true));
    }

    [Fact]
    public void Normalizes_TheRecord_ButCachesTheModelsVector()
    {
        var a = Solid("cats", "a.png", 204, 153, 0);
        var raw = Expected(204, 153, 0);
        double norm = Math.Sqrt(raw.Sum(x => (double)x * x));
        using var cache = new EmbeddingCache(Path.Combine(_dir, "cache"), _model.Hash, "test");
        using (var e = new ImageEmbedder(_model, cache, new ImageEmbedderOptions { Threads = 1, Normalize = true }))
            AssertClose(raw.Select(x => (float)(x / norm)).ToArray(), e.EmbedAll(new[] { a }).Single().Record!.Vector);

        using var again = new ImageEmbedder(_model, cache, new ImageEmbedderOptions { Threads = 1 });
        var hit = again.EmbedAll(new[] { a }).Single();
        AssertClose(raw, hit.Record!.Vector);
        Assert.Equal(1, again.Cached);
    }

    [Fact]
    public void ImagesIn_ListsImageFilesRecursively_InOrdinalOrder()
    {
        var b = Solid("b", "x.png", 1, 2, 3);
        var a2 = Solid("a", "Z.png", 1, 2, 3);
        var a1 = Solid("a", "a.png", 1, 2, 3);
        File.WriteAllText(Path.Combine(_dir, "a", "notes.txt"), "x");
        Assert.Equal(new[] { a2, a1, b }, ImageEmbedder.ImagesIn(_dir));
    }
}

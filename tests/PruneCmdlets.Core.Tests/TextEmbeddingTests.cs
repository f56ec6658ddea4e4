using Microsoft.ML.OnnxRuntime;
using PruneCmdlets.Embedding;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>The embedded all-MiniLM-L6-v2 and its vocabulary, as the build lays them out in module/bin/models.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmFixture()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PruneCmdlets.psd1"))) dir = dir.Parent;
        ModelDirectory = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Repository root not found."), "module", "bin", "models");
        Model = TextEmbeddingModel.LoadDefault(ModelDirectory);
    }

    public string ModelDirectory { get; }
    public TextEmbeddingModel Model { get; }
    public string VocabPath => Path.Combine(ModelDirectory, "all-MiniLM-L6-v2.vocab.txt");
    public void Dispose() => Model.Dispose();
}

public class WordPieceTokenizerTests : IClassFixture<MiniLmFixture>
{
    private readonly WordPieceTokenizer _tokenizer;
    public WordPieceTokenizerTests(MiniLmFixture f) => _tokenizer = f.Model.Tokenizer;

    // Ids worked by hand: each piece looked up as a line number (from 0) of the shipped vocab.txt,
    // words split by greedy longest match as BERT's WordPiece does.
    [Theory]
    // punctuation split, lower-cased, accents stripped: hello , world ! cafe naive resume .
    [InlineData("Hello, World! Café naïve résumé.", new long[] { 101, 7592, 1010, 2088, 999, 7668, 15743, 13746, 1012, 102 })]
    // CJK ideographs one token each (首 is not in the vocabulary: [UNK]); kana stay together, です → てす (voicing mark stripped) → て ##す
    [InlineData("東京は日本の首都です。", new long[] { 101, 1879, 1755, 1672, 1864, 1876, 1671, 100, 1961, 1665, 30184, 1636, 102 })]
    // symbols stay (BertTokenizer's own pre-tokeniser drops them): $ and + are punctuation to BERT, © is in the vocabulary, and ##€ ##² as pieces (20€ → 20 ##€)
    [InlineData("Costs $5 + 20€ © 2²", new long[] { 101, 5366, 1002, 1019, 1009, 2322, 30102, 1075, 1016, 10701, 102 })]
    // a symbol inside a word is a word piece of it: x ##© ##y
    [InlineData("x©y", new long[] { 101, 1060, 29652, 2100, 102 })]
    // a zero-width space (format character) is removed, joining the word, as BERT's _clean_text does
    [InlineData("a\u200Bb", new long[] { 101, 11113, 102 })]
    // tab and line breaks separate words (BertTokenizer alone deletes them, gluing hello##world)
    [InlineData("hello\nworld\thello\r\nworld", new long[] { 101, 7592, 2088, 7592, 2088, 102 })]
    // an emoji is a word of its own, not in the vocabulary: [UNK] (BertTokenizer alone would drop it)
    [InlineData("I love pizza 🍕!!", new long[] { 101, 1045, 2293, 10733, 100, 999, 999, 102 })]
    // an emoji glued to a word makes the whole word [UNK], as WordPiece does
    [InlineData("pizza🍕", new long[] { 101, 100, 102 })]
    // numbers: digits split at punctuation; 2024 → 202 ##4
    [InlineData("Prices rose 3.5% in 2024; 1,000,000 units.", new long[] { 101, 7597, 3123, 1017, 1012, 1019, 1003, 1999, 16798, 2549, 1025, 1015, 1010, 2199, 1010, 2199, 3197, 1012, 102 })]
    // sub-word pieces
    [InlineData("unaffable tokenization", new long[] { 101, 14477, 20961, 3468, 19204, 3989, 102 })]
    // accents on every letter
    [InlineData("ÜNÏCÖDÉ", new long[] { 101, 27260, 102 })]
    public void Encodes_as_the_vocabulary_says(string text, long[] expected)
    {
        var t = _tokenizer.Encode(text);
        Assert.Equal(expected, t.Ids);
        Assert.Equal(0, t.Truncated);
        Assert.Equal(expected.Length - 2, t.WordPieces);
    }

    [Fact]
    public void Keeps_the_first_254_word_pieces_of_a_long_text()
    {
        // "hello world" 150 times: 300 word pieces alternating 7592, 2088.
        var t = _tokenizer.Encode(string.Join(" ", Enumerable.Repeat("hello world", 150)));
        Assert.Equal(256, t.Length);
        Assert.Equal(101, t.Ids[0]);
        Assert.Equal(102, t.Ids[^1]);
        Assert.Equal(300, t.WordPieces);
        Assert.Equal(46, t.Truncated);
        for (int i = 1; i < 255; i++) Assert.Equal(i % 2 == 1 ? 7592 : 2088, t.Ids[i]);
    }

    [Fact]
    public void Counts_the_truncated_pieces_of_a_5_MB_document()
    {
        var text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 5 * 1024 * 1024 / 45));
        var t = _tokenizer.Encode(text);
        Assert.Equal(256, t.Length);
        Assert.Equal(10 * (5 * 1024 * 1024 / 45), t.WordPieces);   // 9 words and a full stop per sentence
    }
}

public class TextEmbeddingModelTests : IClassFixture<MiniLmFixture>
{
    private readonly MiniLmFixture _f;
    public TextEmbeddingModelTests(MiniLmFixture f) => _f = f;

    private static double Cos(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    private float[][] Embed(params string[] texts)
    {
        using var run = new RunOptions();
        return _f.Model.EmbedAll(texts.Select(_f.Model.Tokenizer.Encode).ToArray(), 32, run, CancellationToken.None);
    }

    [Fact]
    public void Matches_the_scores_sentence_transformers_publishes_for_this_model()
    {
        // sentence-transformers' semantic-similarity example for all-MiniLM-L6-v2 lists these cosine scores.
        var v = Embed("A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse.",
            "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.", "Someone in a gorilla costume is playing a set of drums.");
        Assert.Equal(0.7553, Cos(v[0], v[1]), 3);
        Assert.Equal(0.7369, Cos(v[2], v[3]), 3);
        Assert.Equal(0.6433, Cos(v[4], v[5]), 3);
    }

    [Fact]
    public void Paraphrases_are_closer_than_unrelated_sentences_by_a_margin()
    {
        var v = Embed("How do I reset my password?", "What is the way to change my password if I forgot it?",
            "The invoice for March was charged twice.", "Bananas are rich in potassium.");
        double paraphrase = Cos(v[0], v[1]);
        Assert.True(paraphrase > Cos(v[0], v[2]) + 0.3, $"paraphrase {paraphrase:F3} vs billing {Cos(v[0], v[2]):F3}");
        Assert.True(paraphrase > Cos(v[0], v[3]) + 0.3, $"paraphrase {paraphrase:F3} vs bananas {Cos(v[0], v[3]):F3}");
    }

    [Fact]
    public void Vectors_have_unit_length_and_384_dimensions()
    {
        foreach (var v in Embed("short", "A somewhat longer sentence about data pruning and embeddings.", "¿Dónde está la biblioteca?"))
        {
            Assert.Equal(384, v.Length);
            Assert.Equal(1.0, Math.Sqrt(Cos(v, v)), 5);
        }
    }

    [Fact]
    public void Padding_does_not_change_a_vector()
    {
        string shortText = "The cat sat on the mat.";
        string longText = string.Join(" ", Enumerable.Repeat("A much longer text that pads the short one in its batch with many positions.", 12));
        using var run = new RunOptions();
        var tokenizer = _f.Model.Tokenizer;
        var alone = _f.Model.Embed(new[] { tokenizer.Encode(shortText) }, run)[0];
        var batched = _f.Model.Embed(new[] { tokenizer.Encode(longText), tokenizer.Encode(shortText) }, run)[1];
        Assert.True(tokenizer.Encode(longText).Length > 5 * tokenizer.Encode(shortText).Length);
        for (int d = 0; d < alone.Length; d++) Assert.True(Math.Abs(alone[d] - batched[d]) < 1e-5, $"dimension {d}: {alone[d]} vs {batched[d]}");
    }

    [Fact]
    public void Gives_the_same_vectors_on_one_thread_or_many()
    {
        var texts = Enumerable.Range(0, 48).Select(i => $"Ticket {i}: the {(i % 3 == 0 ? "printer" : i % 3 == 1 ? "VPN" : "laptop")} fails {new string('!', i % 5)} after update {i * 7}.").ToArray();
        var tokens = texts.Select(_f.Model.Tokenizer.Encode).ToArray();
        using var run = new RunOptions();
        var one = _f.Model.EmbedAll(tokens, 8, run, CancellationToken.None);
        var many = new float[texts.Length][];
        // The same chunks of 16 on four threads at once, in any order.
        Parallel.For(0, 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, c =>
        {
            var part = _f.Model.EmbedAll(tokens[(c * 16)..(c * 16 + 16)], 8, run, CancellationToken.None);
            for (int i = 0; i < 16; i++) many[c * 16 + i] = part[i];
        });
        var chunked = Enumerable.Range(0, 3).SelectMany(c => _f.Model.EmbedAll(tokens[(c * 16)..(c * 16 + 16)], 8, run, CancellationToken.None)).ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(chunked[i], many[i]);   // bit for bit
            Assert.True(Cos(one[i], many[i]) > 0.99999);
        }
    }

    [Fact]
    public void Batches_group_texts_of_similar_length_and_pad_only_to_the_longest()
    {
        var tokenizer = _f.Model.Tokenizer;
        var texts = new[] { "one two three four five six", "hi", "one two three", "hello", "one two three four five six seven eight" }.Select(tokenizer.Encode).ToArray();
        var plan = TextEmbeddingModel.PlanBatches(texts, 2);
        Assert.Equal(new[] { new[] { 1, 3 }, new[] { 2, 0 }, new[] { 4 } }, plan);
        var (ids, mask, _, length) = _f.Model.PadBatch(plan[1].Select(i => texts[i]).ToArray());
        Assert.Equal(8, length);   // [CLS] six words [SEP]
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 0, 0, 0 }, mask[..8]);
        Assert.Equal(new long[] { 0, 0, 0 }, ids[5..8]);   // [PAD] is id 0
    }
}

/// <summary>A generated model whose token vectors are (id, mask): pooling and batching can be checked exactly.</summary>
public class TextPoolingTests : IClassFixture<MiniLmFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prune-text-").FullName;
    private readonly MiniLmFixture _f;
    public TextPoolingTests(MiniLmFixture f) => _f = f;
    public void Dispose() => Directory.Delete(_dir, true);

    private TextEmbeddingModel Load(TextPooling pooling, bool tokenTypes = true)
    {
        string path = Path.Combine(_dir, $"echo-{tokenTypes}.onnx");
        PruneCmdlets.Tests.TestOnnxModels.SaveTokenEchoModel(path, tokenTypes);
        return TextEmbeddingModel.Load(path, _f.VocabPath, new TextTokenization(), pooling, null, normalize: false);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mean_pooling_averages_exactly_the_real_tokens(bool tokenTypes)
    {
        using var model = Load(TextPooling.Mean, tokenTypes);
        using var run = new RunOptions();
        // hello world → 101 7592 2088 102; hello → 101 7592 102; in one batch, the second padded by one.
        var v = model.EmbedAll(new[] { "hello world", "hello", string.Join(" ", Enumerable.Repeat("world", 40)) }.Select(model.Tokenizer.Encode).ToArray(), 3, run, CancellationToken.None);
        Assert.Equal(new[] { (101f + 7592 + 2088 + 102) / 4, 1f }, v[0]);
        Assert.Equal(new[] { (101f + 7592 + 102) / 3, 1f }, v[1]);
        Assert.Equal(new[] { (101f + 40 * 2088 + 102) / 42, 1f }, v[2]);
    }

    [Fact]
    public void Cls_pooling_takes_the_first_token()
    {
        using var model = Load(TextPooling.Cls);
        using var run = new RunOptions();
        var v = model.Embed(new[] { model.Tokenizer.Encode("hello world") }, run);
        Assert.Equal(new[] { 101f, 1f }, v[0]);
    }

    [Fact]
    public void A_model_without_bert_inputs_is_refused_with_its_inputs_named()
    {
        string path = Path.Combine(_dir, "vector.onnx");
        PruneCmdlets.Tests.TestOnnxModels.SaveVectorModel(path);
        var e = Assert.Throws<ModelLoadException>(() => TextEmbeddingModel.Load(path, _f.VocabPath, new TextTokenization(), TextPooling.Mean, null, true));
        Assert.Contains("x Single[-1,10]", e.Message);
        Assert.Contains("input_ids and attention_mask", e.Message);
    }

    [Fact]
    public void A_vocabulary_without_bert_special_tokens_is_refused()
    {
        string path = Path.Combine(_dir, "echo.onnx"), vocab = Path.Combine(_dir, "words.txt");
        PruneCmdlets.Tests.TestOnnxModels.SaveTokenEchoModel(path, true);
        File.WriteAllLines(vocab, new[] { "hello", "world" });
        var e = Assert.Throws<ModelLoadException>(() => TextEmbeddingModel.Load(path, vocab, new TextTokenization(), TextPooling.Mean, null, true));
        Assert.Contains("has no [CLS] entry", e.Message);
    }
}

using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using PruneCmdlets.Embedding;
using PruneCmdlets.Numerics;

/// <summary>The text parts of the benchmark: a generated corpus and the raw model on the batches Get-TextEmbedding forms.</summary>
internal static class TextBench
{
    /// <summary>
    /// n lines of generated English-like text: whole words drawn from the vocabulary, 8–90 words a
    /// text (about 54 word pieces on average with the full stops), a full stop every 6–17 words.
    /// 4 % of the lines repeat an earlier line exactly and 4 % repeat one with a word changed, so
    /// SemDeDup has duplicates to find. Deterministic for a seed.
    /// </summary>
    public static void Generate(Dictionary<string, string> o)
    {
        int n = int.Parse(o["n"]);
        var rng = new DeterministicRandom(long.Parse(o.GetValueOrDefault("seed", "1")));
        var words = File.ReadLines(o["vocab"]).Select(l => l.TrimEnd('\r')).Skip(1996).Take(8000)
            .Where(w => w.Length >= 2 && w.All(char.IsAsciiLetterLower)).ToArray();
        var lines = new List<string>(n);
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            double r = rng.NextDouble();
            if (i > 10 && r < 0.04) { lines.Add(lines[rng.NextInt(i)]); continue; }
            if (i > 10 && r < 0.08)
            {
                var parts = lines[rng.NextInt(i)].Split(' ');
                int at = rng.NextInt(parts.Length);
                parts[at] = words[rng.NextInt(words.Length)] + (parts[at].EndsWith('.') ? "." : "");
                lines.Add(string.Join(' ', parts));
                continue;
            }
            sb.Clear();
            int count = 8 + rng.NextInt(83), sentence = 6 + rng.NextInt(12);
            for (int w = 0; w < count; w++)
            {
                string word = words[rng.NextInt(words.Length)];
                if (sb.Length == 0 || sb[^1] == '.') word = char.ToUpperInvariant(word[0]) + word[1..];
                if (sb.Length > 0) sb.Append(' ');
                sb.Append(word);
                if (--sentence == 0 || w == count - 1) { sb.Append('.'); sentence = 6 + rng.NextInt(12); }
            }
            lines.Add(sb.ToString());
        }
        File.WriteAllLines(o["out"], lines);
    }

    /// <summary>
    /// The raw model on the token batches Get-TextEmbedding forms for the same file (its chunk
    /// plan, <see cref="TextChunkPlan.Plan"/>, each chunk's batches by
    /// <see cref="TextEmbeddingModel.PlanBatches"/>), run by the same number of threads, each
    /// taking the next chunk. Tokenising and planning are done before the clock starts: only
    /// the model runs are timed.
    /// </summary>
    public static void RawModel(Dictionary<string, string> o)
    {
        var texts = File.ReadAllLines(o["texts"]);
        int batch = int.Parse(o.GetValueOrDefault("batch", "32"));
        int workers = int.Parse(o.GetValueOrDefault("workers", Environment.ProcessorCount.ToString()));
        using var model = TextEmbeddingModel.LoadDefault(o["models"]);
        var chunks = TextChunkPlan.Plan(texts, batch).Select(c => c.Select(i => model.Tokenizer.Encode(texts[i])).ToArray()).ToArray();
        var plans = chunks.Select(c => TextEmbeddingModel.PlanBatches(c, batch).Select(b => b.Select(j => c[j]).ToArray()).ToArray()).ToArray();
        long tokens = chunks.Sum(c => c.Sum(t => (long)t.Length));
        using var run = new RunOptions();
        model.RunReference(plans[0][0], run); // warm-up
        int next = -1;
        double checksum = 0;
        var sw = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, workers).Select(_ => new Thread(() =>
        {
            double local = 0;
            int c;
            while ((c = Interlocked.Increment(ref next)) < plans.Length)
                foreach (var b in plans[c]) local += model.RunReference(b, run);
            lock (plans) checksum += local;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        double s = sw.Elapsed.TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            impl = "raw-model", texts = texts.Length, tokens, workers, seconds = s, texts_per_second = texts.Length / s,
            tokens_per_second = tokens / s, mean_tokens = (double)tokens / texts.Length, checksum,
        }));
    }

    /// <summary>copies × the rows of an .npy file, each value plus N(0, sigma²) noise: a larger set shaped like real embeddings, for timing the stages after embedding.</summary>
    public static void Augment(Dictionary<string, string> o)
    {
        using var m = PruneCmdlets.IO.NpyReader.OpenMatrix(o["in"]);
        var (data, rows) = m.ReadBlocks(Array.MaxLength).Single();
        int d = m.Columns, copies = int.Parse(o["copies"]);
        double sigma = double.Parse(o["sigma"], System.Globalization.CultureInfo.InvariantCulture);
        var rng = new DeterministicRandom(long.Parse(o.GetValueOrDefault("seed", "1")));
        var output = new List<float[]>(rows * copies);
        for (int c = 0; c < copies; c++)
            for (int i = 0; i < rows; i++)
            {
                var v = data.AsSpan(i * d, d).ToArray();
                for (int j = 0; j < d; j++)
                {
                    double u = 1 - rng.NextDouble(), w = rng.NextDouble();
                    v[j] += (float)(sigma * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * w));
                }
                output.Add(v);
            }
        PruneCmdlets.IO.NpyWriter.WriteMatrix(o["out"], output, d);
    }
}

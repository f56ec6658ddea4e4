// Whole-kernel benchmarks for build.ps1 -Task Bench. Each command prints one JSON line, so the
// bench script can put our figures beside the reference implementations' from the same run.
using System.Diagnostics;
using System.Text.Json;
using PruneCmdlets.Clustering;
using PruneCmdlets.Embedding;
using PruneCmdlets.IO;
using PruneCmdlets.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;

var opts = ParseArgs(args.Skip(1));
switch (args.FirstOrDefault())
{
    case "gen": Generate(opts); break;
    case "lloyd": Lloyd(opts); break;
    case "score": Score(opts); break;
    case "init": Init(opts); break;
    case "quality": Quality(opts); break;
    case "embed-raw": EmbedRaw(opts); break;
    case "embed-parts": EmbedParts(opts); break;
    case "gen-photos": GeneratePhotos(opts); break;
    case "text-gen": TextBench.Generate(opts); break;
    case "text-raw": TextBench.RawModel(opts); break;
    case "text-augment": TextBench.Augment(opts); break;
    case "lbfgs-gen": LbfgsComparison.Generate(opts); break;
    case "lbfgs": LbfgsComparison.Compare(opts); break;
    case "shards": ShardBench.Run(opts); break;
    case "shard-gen": ShardBench.Generate(opts); break;
    case "issues-labels": IssueBench.Labels(opts); break;
    case "issues-ivf": IssueBench.Recall(opts); break;
    default:
        Console.Error.WriteLine("usage: gen|lloyd|score|init --key value ...");
        return 2;
}
return 0;

static Dictionary<string, string> ParseArgs(IEnumerable<string> a)
{
    var d = new Dictionary<string, string>();
    var list = a.ToList();
    for (int i = 0; i + 1 < list.Count; i += 2) d[list[i].TrimStart('-')] = list[i + 1];
    return d;
}

static (float[] data, int n, int d) Load(string path)
{
    using var m = NpyReader.OpenMatrix(path);
    var (data, rows) = m.ReadBlocks(Array.MaxLength).Single(); // the benchmark files fit one block
    return (data, rows, m.Columns);
}

static void Save(string path, float[] data, int n, int d)
{
    var rows = new List<float[]>(n);
    for (int i = 0; i < n; i++) rows.Add(data.AsSpan(i * d, d).ToArray());
    NpyWriter.WriteMatrix(path, rows, d);
}

// A Gaussian mixture: `clusters` centres ~ N(0, 1), points = centre + N(0, 0.5²) noise; and
// the shared start: k distinct points drawn with a fixed seed.
static void Generate(Dictionary<string, string> o)
{
    int n = int.Parse(o["n"]), d = int.Parse(o["d"]), k = int.Parse(o["k"]);
    int clusters = o.TryGetValue("clusters", out var cl) ? int.Parse(cl) : k;
    var rng = new DeterministicRandom(long.Parse(o.GetValueOrDefault("seed", "1")));
    double Gauss() { double u = 1 - rng.NextDouble(), v = rng.NextDouble(); return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v); }
    var centres = new float[clusters * d];
    for (int i = 0; i < centres.Length; i++) centres[i] = (float)Gauss();
    var x = new float[(long)n * d];
    for (int i = 0; i < n; i++)
    {
        int c = rng.NextInt(clusters);
        for (int j = 0; j < d; j++) x[(long)i * d + j] = centres[c * d + j] + (float)(0.5 * Gauss());
    }
    Save(o["out"], x, n, d);
    var picks = KMeansTrainer.SampleWithoutReplacement(n, k, rng);
    var init = new float[k * d];
    for (int j = 0; j < k; j++) x.AsSpan(picks[j] * d, d).CopyTo(init.AsSpan(j * d, d));
    Save(o["init"], init, k, d);
}

static void Lloyd(Dictionary<string, string> o)
{
    var (x, n, d) = Load(o["data"]);
    var (c, k, _) = Load(o["init"]);
    int iters = int.Parse(o.GetValueOrDefault("iters", "10"));
    var options = new KMeansOptions
    {
        K = k, Metric = DistanceMetric.Euclidean, MaxIterations = iters, Tolerance = 0, InitialCentroids = c,
        MaxThreads = int.Parse(o.GetValueOrDefault("threads", "-1")), RunAllIterations = true,
        SkipSettledRecords = o.GetValueOrDefault("skip", "auto") switch { "1" => true, "0" => false, _ => null },
    };
    var sw = Stopwatch.StartNew();
    var model = KMeansTrainer.Fit(x, n, d, options);
    double total = sw.Elapsed.TotalSeconds;
    var perIter = model.History.Select(h => h.Seconds).ToArray();
    double median = perIter.OrderBy(s => s).ElementAt(perIter.Length / 2);
    double mean = perIter.Average();
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        impl = "PruneCmdlets", n, d, k, iterations = perIter.Length, seconds_per_iteration = mean, median_seconds_per_iteration = median,
        assign_seconds = model.History.Average(h => h.AssignSeconds), gflops = 2.0 * n * k * d / mean / 1e9, total_seconds = total, inertia = model.Inertia, isa = DistanceKernel.Detect().ToString(),
        skip = options.UsesBounds(d), searched_fraction = model.History.Sum(h => (double)h.Searched) / ((double)n * perIter.Length),
        searched_by_iteration = model.History.Select(h => h.Searched).ToArray(),
        seconds_by_iteration = model.History.Select(h => Math.Round(h.Seconds, 3)).ToArray(),
        assign_seconds_by_iteration = model.History.Select(h => Math.Round(h.AssignSeconds, 3)).ToArray(),
    }));
}

static void Score(Dictionary<string, string> o)
{
    var (x, n, d) = Load(o["data"]);
    var (c, k, _) = Load(o["init"]);
    var packed = DistanceKernel.Pack(c, k, d);
    var norms = VectorMath.RowSquaredNorms(x, n, d);
    var idx = new int[n];
    var dist = new float[n];
    DistanceKernel.Nearest(x, norms, Math.Min(n, 20000), packed, idx, dist); // warm-up
    var times = new List<double>();
    for (int r = 0; r < int.Parse(o.GetValueOrDefault("repeats", "3")); r++)
    {
        var sw = Stopwatch.StartNew();
        var nrm = VectorMath.RowSquaredNorms(x, n, d);
        DistanceKernel.Nearest(x, nrm, n, DistanceKernel.Pack(c, k, d), idx, dist);
        times.Add(sw.Elapsed.TotalSeconds);
    }
    double best = times.Min();
    Console.WriteLine(JsonSerializer.Serialize(new { impl = "PruneCmdlets", n, d, k, seconds = best, gflops = 2.0 * n * k * d / best / 1e9, checksum = idx.Take(1000).Sum() }));
}

static void Init(Dictionary<string, string> o)
{
    var (x, n, d) = Load(o["data"]);
    int k = int.Parse(o["k"]);
    var options = new KMeansOptions { K = k, Metric = DistanceMetric.Euclidean, InitSampleSize = int.Parse(o.GetValueOrDefault("sample", "-1")) };
    var sw = Stopwatch.StartNew();
    var c = KMeansTrainer.InitPlusPlus(x, n, d, k, options.EffectiveInitSampleSize(n), new DeterministicRandom(1), -1, default);
    double init = sw.Elapsed.TotalSeconds;
    var model = KMeansTrainer.Fit(x, n, d, new KMeansOptions { K = k, Metric = DistanceMetric.Euclidean, InitialCentroids = c, MaxIterations = 1, RunAllIterations = true });
    Console.WriteLine(JsonSerializer.Serialize(new { impl = "PruneCmdlets", n, d, k, sample = options.EffectiveInitSampleSize(n), init_seconds = init, iteration_seconds = model.History[0].Seconds }));
}

// Best of 10 k-means++ runs to convergence, the quantity scikit-learn's default reports.
static void Quality(Dictionary<string, string> o)
{
    var (x, n, d) = Load(o["data"]);
    int k = int.Parse(o["k"]);
    var sw = Stopwatch.StartNew();
    var model = KMeansTrainer.Fit(x, n, d, new KMeansOptions
    {
        K = k, Metric = DistanceMetric.Euclidean, NInit = 10, MaxIterations = 300, Seed = long.Parse(o.GetValueOrDefault("seed", "0")),
        Tolerance = double.Parse(o.GetValueOrDefault("tol", "1e-4"), System.Globalization.CultureInfo.InvariantCulture),
        InitSampleSize = int.Parse(o.GetValueOrDefault("sample", "-1")),
    });
    Console.WriteLine(JsonSerializer.Serialize(new { impl = "PruneCmdlets", n, d, k, inertia = model.Inertia, best_run = model.BestRun, seconds = sw.Elapsed.TotalSeconds }));
}

// The model alone: preprocessed tensors, every worker running the session concurrently as
// Get-Embedding does, no file reading or decoding. The ceiling Get-Embedding is measured against.
static void EmbedRaw(Dictionary<string, string> o)
{
    int images = int.Parse(o.GetValueOrDefault("images", "200"));
    int workers = int.Parse(o.GetValueOrDefault("workers", Environment.ProcessorCount.ToString()));
    int batch = int.Parse(o.GetValueOrDefault("batch", "1"));
    using var model = ImageEmbeddingModel.LoadDefault(EmbeddingDevice.Cpu, o["models"]);
    var tensor = new float[model.Preprocessing.TensorLength];
    var rng = new DeterministicRandom(1);
    for (int i = 0; i < tensor.Length; i++) tensor[i] = (float)(255 * rng.NextDouble());
    using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
    model.Embed(new[] { tensor }, run); // warm-up
    int next = 0;
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var threads = Enumerable.Range(0, workers).Select(_ => new Thread(() =>
    {
        var tensors = Enumerable.Repeat(tensor, batch).ToArray();
        while (Interlocked.Add(ref next, batch) <= images) model.Embed(tensors, run);
    })).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    double s = sw.Elapsed.TotalSeconds;
    process.Refresh();
    // CPU time per image as well: on a shared machine it moves far less than the wall clock.
    double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / images;
    Console.WriteLine(JsonSerializer.Serialize(new { impl = "raw-model", images, workers, batch, seconds = s, images_per_second = images / s, cpu_ms_per_image = cpuMs }));
}

// The parts of Get-Embedding timed alone on one thread, per format: each subfolder of --dir is
// one format. Per file the median of --repeat runs of: decode (header check, first frame, EXIF
// orientation, 8-bit RGBA), resize (resample, crop, normalise into the tensor) and the model on
// that tensor (batch 1); per format the mean over its files, in milliseconds.
static void EmbedParts(Dictionary<string, string> o)
{
    int repeat = int.Parse(o.GetValueOrDefault("repeat", "3"));
    using var model = ImageEmbeddingModel.LoadDefault(EmbeddingDevice.Cpu, o["models"]);
    using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
    var pre = model.Preprocessing;
    var tensor = new float[pre.TensorLength];
    model.Embed(new[] { tensor }, run); // warm-up
    static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
    var formats = new List<object>();
    foreach (var dir in Directory.GetDirectories(o["dir"]).OrderBy(d => d, StringComparer.Ordinal))
    {
        var files = Directory.GetFiles(dir).Where(f => ImageTensorLoader.ImageExtensions.Contains(Path.GetExtension(f))).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) continue;
        double decode = 0, resize = 0, infer = 0;
        long pixels = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            var d = new List<double>(); var r = new List<double>(); var m = new List<double>();
            for (int k = 0; k < repeat; k++)
            {
                var sw = Stopwatch.StartNew();
                using var image = ImageTensorLoader.Decode(file, bytes, bytes.Length, 0);
                d.Add(sw.Elapsed.TotalMilliseconds);
                pixels = (long)image.Width * image.Height;
                sw.Restart();
                ImageResampler.ToTensor(image, pre, tensor);
                r.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                model.Embed(new[] { tensor }, run);
                m.Add(sw.Elapsed.TotalMilliseconds);
            }
            decode += Median(d); resize += Median(r); infer += Median(m);
        }
        // The same decodes with every core decoding at once, as Get-Embedding's workers do: what
        // memory bandwidth and the shared caches leave of the decode alone.
        int workers = Environment.ProcessorCount;
        var loaded = new double[workers, files.Length, repeat];
        var blobs = files.Select(File.ReadAllBytes).ToArray();
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            for (int k = 0; k < repeat; k++)
                for (int t = 0; t < files.Length; t++)
                {
                    int f = (t + w) % files.Length; // the workers start on different files
                    var sw = Stopwatch.StartNew();
                    using var image = ImageTensorLoader.Decode(files[f], blobs[f], blobs[f].Length, 0);
                    loaded[w, f, k] = sw.Elapsed.TotalMilliseconds;
                }
        });
        double decodeLoaded = Enumerable.Range(0, files.Length)
            .Average(f => Median(Enumerable.Range(0, workers).SelectMany(w => Enumerable.Range(0, repeat).Select(k => loaded[w, f, k])).ToList()));
        formats.Add(new { format = Path.GetFileName(dir), files = files.Length, megapixels = pixels / 1e6, decode_ms = decode / files.Length, resize_ms = resize / files.Length, model_ms = infer / files.Length,
            decode_ms_under_load = decodeLoaded });
    }
    Console.WriteLine(JsonSerializer.Serialize(new { impl = "embed-parts", repeat, formats }));
}

// Large real-size photos in every format Get-Embedding's bench covers, made from real photos
// (--sources: files separated by ';', e.g. Debian's desktop wallpapers) so the decoders meet
// photo-like entropy: each source is scaled to cover and centre-cropped to 4000×3000 (12 MP)
// and to 4096×4096, then saved as JPEG (quality 90, 4:2:0), PNG without alpha, PNG with an
// alpha gradient and lossy WebP (quality 80), one subfolder per format.
static void GeneratePhotos(Dictionary<string, string> o)
{
    var sources = o["sources"].Split(';', StringSplitOptions.RemoveEmptyEntries);
    string outDir = o["out"];
    var encoders = new (string Name, string Ext, bool Alpha, SixLabors.ImageSharp.Formats.IImageEncoder Encoder)[]
    {
        ("jpeg", ".jpg", false, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90, ColorType = SixLabors.ImageSharp.Formats.Jpeg.JpegColorType.YCbCrRatio420 }),
        ("png-rgb", ".png", false, new SixLabors.ImageSharp.Formats.Png.PngEncoder { ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.Rgb }),
        ("png-rgba", ".png", true, new SixLabors.ImageSharp.Formats.Png.PngEncoder { ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.RgbWithAlpha }),
        ("webp", ".webp", false, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossy, Quality = 80 }),
    };
    foreach (var e in encoders) Directory.CreateDirectory(Path.Combine(outDir, e.Name));
    int index = 0;
    foreach (var source in sources)
    {
        foreach (var (w, h) in new[] { (4000, 3000), (4096, 4096) })
        {
            using var photo = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(source);
            photo.Mutate(x => x.Resize(new SixLabors.ImageSharp.Processing.ResizeOptions { Size = new SixLabors.ImageSharp.Size(w, h), Mode = SixLabors.ImageSharp.Processing.ResizeMode.Crop }));
            foreach (var e in encoders)
            {
                using var copy = photo.Clone();
                copy.ProcessPixelRows(rows =>
                {
                    for (int y = 0; y < rows.Height; y++)
                    {
                        var row = rows.GetRowSpan(y);
                        for (int x = 0; x < row.Length; x++) row[x].A = e.Alpha ? (byte)(64 + 191 * x / row.Length) : (byte)255;
                    }
                });
                copy.Save(Path.Combine(outDir, e.Name, $"photo{index:D2}-{w}x{h}{e.Ext}"), e.Encoder);
            }
        }
        index++;
    }
}


using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PruneCmdlets.Report;

/// <summary>
/// Small JPEG thumbnails as data URIs, so the report is one file that needs nothing beside it.
/// Upright (EXIF orientation applied), fitted inside a square of <see cref="Size"/> pixels,
/// composited on white where the image has alpha. A file that cannot be read (missing, not an
/// image, above the pixel budget) gets no thumbnail; the report then shows its Id instead.
/// </summary>
public sealed class Thumbnailer
{
    public Thumbnailer(int size = 112, int quality = 72, long maxPixels = 200_000_000)
    {
        if (size < 16 || size > 512) throw new ArgumentOutOfRangeException(nameof(size), size, "Thumbnails are 16 to 512 pixels.");
        Size = size; Quality = quality; MaxPixels = maxPixels;
    }

    public int Size { get; }
    public int Quality { get; }
    public long MaxPixels { get; }

    /// <summary>Thumbnails of <paramref name="paths"/> (null where one could not be made), made in parallel, in the given order.</summary>
    public string?[] Make(IReadOnlyList<string?> paths, int maxThreads, Action<int>? done = null, CancellationToken cancel = default)
    {
        var result = new string?[paths.Count];
        int finished = 0;
        Parallel.For(0, paths.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxThreads), CancellationToken = cancel }, i =>
        {
            result[i] = TryMake(paths[i]);
            done?.Invoke(Interlocked.Increment(ref finished));
        });
        return result;
    }

    public string? TryMake(string? path)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return null;
        try
        {
            var info = Image.Identify(path);
            if (info is null || (long)info.Width * info.Height > MaxPixels) return null;
            using var image = Image.Load<Rgba32>(path);
            // BackgroundColor blends transparent pixels onto white, so an alpha PNG is not shown on black.
            image.Mutate(x => x.AutoOrient().Resize(new ResizeOptions { Size = new Size(Size, Size), Mode = ResizeMode.Max, Sampler = KnownResamplers.Triangle })
                .BackgroundColor(Color.White));
            using var flat = image.CloneAs<Rgb24>();
            return Encode(flat);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    private string Encode(Image<Rgb24> image)
    {
        using var ms = new MemoryStream();
        image.SaveAsJpeg(ms, new JpegEncoder { Quality = Quality });
        return "data:image/jpeg;base64," + Convert.ToBase64String(ms.GetBuffer(), 0, (int)ms.Length);
    }
}

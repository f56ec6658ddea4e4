using PruneCmdlets.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PruneCmdlets.Issues;

/// <summary>
/// A pixel-level fingerprint of an image for telling a copy from a look-alike: the decoded image
/// (EXIF orientation applied) resized to 32×32 grey levels. Two signatures are compared by
/// Pearson correlation over their overlap, the best of every shift of up to 2 pixels each way.
/// What survives: resizing (any size maps to 32×32), brightness and contrast changes (the
/// correlation ignores gain and offset), JPEG re-encoding (its errors are finer than a 32×32
/// cell), and crops of a few percent (the shift absorbs the offset, the scale change moves an
/// edge by about a pixel). What does not: mirroring, rotation, heavy crops, colour-only
/// edits (the signature is grey), and a look-alike with the same layout (two plain shirts
/// photographed alike can correlate highly: on small, centred images the check is weaker).
/// </summary>
public sealed class PixelSignature
{
    public const int Size = 32;
    public const int MaxShift = 2;
    private readonly float[] _grey;

    private PixelSignature(float[] grey) => _grey = grey;

    /// <summary>Decodes the file within the pixel budget; throws <see cref="ImageLoadException"/> when it is not a readable image.</summary>
    public static PixelSignature FromFile(string path, long maxPixels = 100_000_000)
    {
        var bytes = File.ReadAllBytes(path);
        using var image = ImageTensorLoader.Decode(path, bytes, bytes.Length, maxPixels);
        image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(Size, Size), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Box }));
        var grey = new float[Size * Size];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < Size; y++)
            {
                var row = rows.GetRowSpan(y);
                // ITU-R BT.601 luma, as ImageSharp's L8 conversion.
                for (int x = 0; x < Size; x++) grey[y * Size + x] = 0.299f * row[x].R + 0.587f * row[x].G + 0.114f * row[x].B;
            }
        });
        return new PixelSignature(grey);
    }

    /// <summary>The best Pearson correlation over shifts of up to <see cref="MaxShift"/> pixels; 1 for identical pixels, near 0 for unrelated images. A flat image correlates with nothing (0).</summary>
    public double Similarity(PixelSignature other)
    {
        double best = double.NegativeInfinity;
        for (int dy = -MaxShift; dy <= MaxShift; dy++)
            for (int dx = -MaxShift; dx <= MaxShift; dx++)
                best = Math.Max(best, Correlation(_grey, other._grey, dx, dy));
        return best;
    }

    private static double Correlation(float[] a, float[] b, int dx, int dy)
    {
        int x0 = Math.Max(0, dx), x1 = Math.Min(Size, Size + dx), y0 = Math.Max(0, dy), y1 = Math.Min(Size, Size + dy);
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        int count = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                double va = a[y * Size + x], vb = b[(y - dy) * Size + (x - dx)];
                sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
                count++;
            }
        double cov = sab - sa * sb / count, va2 = saa - sa * sa / count, vb2 = sbb - sb * sb / count;
        if (va2 <= 1e-9 * count || vb2 <= 1e-9 * count) return 0;
        return cov / Math.Sqrt(va2 * vb2);
    }
}

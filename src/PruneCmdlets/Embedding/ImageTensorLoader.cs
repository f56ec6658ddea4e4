using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PruneCmdlets.Embedding;

/// <summary>An image file that cannot become a model input; the message names the file and why.</summary>
public sealed class ImageLoadException : Exception
{
    public ImageLoadException(string path, string message, bool tooLarge, Exception? inner = null) : base(message, inner)
    {
        Path = path;
        TooLarge = tooLarge;
    }

    public string Path { get; }
    /// <summary>True when the file was refused by the pixel budget rather than failing to decode.</summary>
    public bool TooLarge { get; }
}

/// <summary>
/// Turns an image file into the float tensor a model takes: decode, apply EXIF orientation,
/// convert any pixel format (grey, palette, 16-bit, CMYK, alpha) to 8-bit RGB, scale the
/// shorter side to the model size and centre-crop the longer one, then lay out as CHW.
/// </summary>
public static class ImageTensorLoader
{
    /// <summary>Extensions the directory walk treats as images (what ImageSharp 2.1 decodes).</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".gif", ".tif", ".tiff", ".webp", ".tga", ".pbm", ".pgm", ".ppm",
    };

    /// <summary>
    /// Reads the header only and refuses images above the pixel budget, so a decompression
    /// bomb never gets decoded; then decodes the first frame.
    /// </summary>
    public static float[] LoadChw(string path, int width, int height, long maxPixels)
    {
        IImageInfo? info;
        try
        {
            info = Image.Identify(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ImageLoadException(path, $"Cannot read image '{path}': {e.Message}", false, e);
        }
        if (info is null) throw new ImageLoadException(path, $"Cannot decode '{path}': not an image format this module reads (JPEG, PNG, BMP, GIF, TIFF, WebP, TGA, PBM).", false);
        long pixels = (long)info.Width * info.Height;
        if (maxPixels > 0 && pixels > maxPixels)
            throw new ImageLoadException(path, $"Refused '{path}': its header declares {info.Width}×{info.Height} = {pixels:N0} pixels, above the budget of {maxPixels:N0} (raise -MaxPixels to allow it).", true);

        try
        {
            using var image = Image.Load<Rgb24>(path);
            // Alpha is dropped, not blended, as PIL's convert('RGB') does in the training
            // pipelines these models come from.
            image.Mutate(x => x.AutoOrient().Resize(new ResizeOptions
            {
                Size = new Size(width, height),
                Mode = ResizeMode.Crop,              // shorter side to size, longer side centre-cropped
                Position = AnchorPositionMode.Center,
                Sampler = KnownResamplers.Triangle,  // bilinear, as torchvision's Resize
            }));
            return ToChw(image);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not ImageLoadException)
        {
            throw new ImageLoadException(path, $"Cannot decode image '{path}': {e.Message}", false, e);
        }
    }

    /// <summary>Planar R, G, B floats in 0–255.</summary>
    private static float[] ToChw(Image<Rgb24> image)
    {
        int w = image.Width, h = image.Height, plane = w * h;
        var chw = new float[3 * plane];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                int o = y * w;
                for (int x = 0; x < w; x++)
                {
                    chw[o + x] = row[x].R;
                    chw[plane + o + x] = row[x].G;
                    chw[2 * plane + o + x] = row[x].B;
                }
            }
        });
        return chw;
    }
}

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;
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
    /// <summary>
    /// True when the file's bytes could not be read at all (an I/O error, no permission, gone
    /// since it was listed): not a bad image, and worth trying again, so it has its own ErrorId.
    /// </summary>
    public bool ReadFailed { get; init; }

    /// <summary>
    /// The stable name a script tells the three apart by: FileReadFailed (retry it), ImageTooLarge
    /// (above the pixel budget), ImageDecodeFailed (bytes that are not an image it decodes).
    /// </summary>
    public string ErrorId => ReadFailed ? "FileReadFailed" : TooLarge ? "ImageTooLarge" : "ImageDecodeFailed";
}

/// <summary>
/// Turns image bytes into the float tensor a model takes: decode the first frame, apply EXIF
/// orientation, convert any pixel format (grey, palette, 16-bit, CMYK, alpha) to 8-bit RGB,
/// then resize, crop and normalise as the model's <see cref="ImagePreprocessing"/> says.
/// </summary>
public static class ImageTensorLoader
{
    /// <summary>Extensions the directory walk treats as images (what ImageSharp 2.1 decodes).</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".gif", ".tif", ".tiff", ".webp", ".tga", ".pbm", ".pgm", ".ppm",
    };

    // Multi-frame formats decode their first frame only: the pixel budget checks one frame, so
    // decoding every frame would let a many-frame file past it.
    private static readonly Configuration FirstFrameOnly = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        var c = Configuration.Default.Clone();
        c.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        c.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        c.MaxDegreeOfParallelism = 1; // parallelism comes from decoding several images at once
        return c;
    }

    /// <summary>
    /// Reads the header only and refuses images above the pixel budget, so a decompression
    /// bomb never gets decoded; then decodes and preprocesses into the first
    /// <see cref="ImagePreprocessing.TensorLength"/> values of <paramref name="tensor"/>.
    /// The file's bytes are the first <paramref name="length"/> of <paramref name="bytes"/>,
    /// so callers can pass pooled buffers.
    /// </summary>
    public static void LoadTensor(string path, byte[] bytes, int length, ImagePreprocessing pre, long maxPixels, float[] tensor)
    {
        if (tensor.Length < pre.TensorLength) throw new ArgumentException($"The tensor needs {pre.TensorLength} floats.", nameof(tensor));
        using var image = Decode(path, bytes, length, maxPixels);
        try
        {
            ImageResampler.ToTensor(image, pre, tensor);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not ImageLoadException)
        {
            throw new ImageLoadException(path, $"Cannot decode image '{path}': {e.Message}", false, e);
        }
    }

    /// <summary>
    /// The decode step alone (header check against the pixel budget, first frame, EXIF
    /// orientation applied, 8-bit RGB): what <see cref="LoadTensor"/> runs before resampling;
    /// the benchmark times it apart.
    /// </summary>
    internal static Image<Rgb24> Decode(string path, byte[] bytes, int length, long maxPixels)
    {
        IImageInfo? info;
        try
        {
            info = Image.Identify(FirstFrameOnly, new MemoryStream(bytes, 0, length, writable: false));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ImageLoadException(path, $"Cannot read image '{path}': {e.Message}", false, e);
        }
        if (info is null) throw new ImageLoadException(path, $"Cannot decode '{path}': not an image format this module reads (JPEG, PNG, BMP, GIF, TIFF, WebP, TGA, PBM).", false);
        long pixels = (long)info.Width * info.Height;
        if (maxPixels > 0 && pixels > maxPixels)
            throw new ImageLoadException(path, $"Refused '{path}': its header declares {info.Width}×{info.Height} = {pixels:N0} pixels, above the budget of {maxPixels:N0} (raise -MaxPixels to allow it).", true);

        Image<Rgb24>? image = null;
        try
        {
            // 8-bit RGB: alpha is dropped here; JPEG and PNG decoders write it without a conversion.
            image = Image.Load<Rgb24>(FirstFrameOnly, new MemoryStream(bytes, 0, length, writable: false));
            // Alpha is dropped, not blended, as PIL's convert('RGB') does in the training
            // pipelines these models come from.
            image.Mutate(x => x.AutoOrient());
            return image;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            image?.Dispose();
            throw new ImageLoadException(path, $"Cannot decode image '{path}': {e.Message}", false, e);
        }
    }
}

// Synthetic labelled images for the demo and the tests, drawn pixel by pixel with ImageSharp
// (ImageSharp.Drawing is not available everywhere). Loaded with Add-Type by examples/demo.ps1
// and tests/TestHelpers.ps1; nothing here ships in the module.
using System;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PruneCmdlets.Examples
{
    public static class SyntheticImages
    {
        /// <summary>Class names the generator draws; each is a distinct shape and texture.</summary>
        public static readonly string[] Classes = { "circles", "squares", "stripes", "checkers", "rings" };

        /// <summary>
        /// Draws one sample of a class. <paramref name="variant"/> seeds position, size, colours and
        /// noise, so the same (class, variant) always gives the same pixels.
        /// </summary>
        public static Image<Rgb24> Draw(int classIndex, int variant, int width, int height)
        {
            var rng = new Random(classIndex * 100_003 + variant * 7919 + 17);
            var image = new Image<Rgb24>(width, height);
            var bg = new Rgb24((byte)rng.Next(0, 90), (byte)rng.Next(0, 90), (byte)rng.Next(0, 90));
            var fg = new Rgb24((byte)rng.Next(150, 256), (byte)rng.Next(150, 256), (byte)rng.Next(150, 256));
            double cx = width * (0.35 + 0.3 * rng.NextDouble()), cy = height * (0.35 + 0.3 * rng.NextDouble());
            double r = Math.Min(width, height) * (0.2 + 0.15 * rng.NextDouble());
            int period = 6 + rng.Next(6);
            double noise = 10 + 20 * rng.NextDouble();
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    double dx = x - cx, dy = y - cy, dist = Math.Sqrt(dx * dx + dy * dy);
                    bool on = classIndex switch
                    {
                        0 => dist < r,
                        1 => Math.Abs(dx) < r && Math.Abs(dy) < r,
                        2 => (y / period) % 2 == 0,
                        3 => ((x / period) + (y / period)) % 2 == 0,
                        _ => Math.Abs(dist - r) < period / 2.0 || Math.Abs(dist - r / 2) < period / 3.0,
                    };
                    var c = on ? fg : bg;
                    int n = (int)((rng.NextDouble() - 0.5) * noise);
                    image[x, y] = new Rgb24(Clamp(c.R + n), Clamp(c.G + n), Clamp(c.B + n));
                }
            }
            return image;
        }

        private static byte Clamp(int v) => (byte)Math.Max(0, Math.Min(255, v));

        public static void SavePng(int classIndex, int variant, int width, int height, string path)
        {
            using var image = Draw(classIndex, variant, width, height);
            image.SaveAsPng(path);
        }

        public static void SaveJpeg(int classIndex, int variant, int width, int height, string path, int quality = 90)
        {
            using var image = Draw(classIndex, variant, width, height);
            image.SaveAsJpeg(path, new JpegEncoder { Quality = quality });
        }

        /// <summary>A near-duplicate: the same drawing re-encoded as JPEG with one pixel nudged.</summary>
        public static void SaveNearDuplicate(int classIndex, int variant, int width, int height, string path)
        {
            using var image = Draw(classIndex, variant, width, height);
            var p = image[0, 0];
            image[0, 0] = new Rgb24((byte)(p.R ^ 1), p.G, p.B);
            image.SaveAsJpeg(path, new JpegEncoder { Quality = 95 });
        }

        // ---- the pixel formats users' data sets contain --------------------------------------

        public static void SaveGrey(int classIndex, int variant, int width, int height, string path)
        {
            using var image = Draw(classIndex, variant, width, height).CloneAs<L8>();
            image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
        }

        public static void SavePalette(int classIndex, int variant, int width, int height, string path)
        {
            using var image = Draw(classIndex, variant, width, height);
            image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.Palette });
        }

        public static void Save16Bit(int classIndex, int variant, int width, int height, string path)
        {
            using var image = Draw(classIndex, variant, width, height).CloneAs<Rgb48>();
            image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
        }

        public static void SaveAlpha(int classIndex, int variant, int width, int height, string path)
        {
            using var image = Draw(classIndex, variant, width, height).CloneAs<Rgba32>();
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    var p = image[x, y];
                    image[x, y] = new Rgba32(p.R, p.G, p.B, (byte)(x * 255 / Math.Max(1, width - 1)));
                }
            image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        }

        public static void SaveCmyk(int classIndex, int variant, int width, int height, string path)
        {
            using var image = Draw(classIndex, variant, width, height);
            image.SaveAsJpeg(path, new JpegEncoder { ColorType = JpegColorType.Cmyk, Quality = 95 });
        }

        /// <summary>
        /// Writes the drawing rotated 90° counter-clockwise with EXIF orientation 6 ("rotate 90° CW
        /// to display"), so a reader that honours EXIF sees exactly <see cref="Draw"/>'s picture.
        /// </summary>
        public static void SaveExifRotated(int classIndex, int variant, int width, int height, string path)
        {
            using var upright = Draw(classIndex, variant, width, height);
            using var stored = new Image<Rgb24>(height, width);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    stored[y, width - 1 - x] = upright[x, y];
            stored.Metadata.ExifProfile = new ExifProfile();
            stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
            stored.SaveAsJpeg(path, new JpegEncoder { Quality = 95 });
        }

        /// <summary>
        /// A photo-like scene: soft coloured blobs at every scale on a gradient, so that two seeds
        /// differ in layout (as two photos do) and resizing keeps the structure.
        /// </summary>
        public static void SaveScene(int seed, int width, int height, string path)
        {
            var rng = new Random(seed * 7919 + 1);
            using var image = new Image<Rgb24>(width, height);
            var blobs = new (double X, double Y, double R, double Cr, double Cg, double Cb)[10];
            for (int b = 0; b < blobs.Length; b++)
                blobs[b] = (rng.NextDouble() * width, rng.NextDouble() * height, (0.05 + 0.25 * rng.NextDouble()) * Math.Min(width, height),
                    rng.Next(-120, 200), rng.Next(-120, 200), rng.Next(-120, 200));
            double gx = rng.NextDouble() * 60, gy = rng.NextDouble() * 60;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double r = 40 + gx * x / width, g = 40 + gy * y / height, bl = 60;
                    foreach (var b in blobs)
                    {
                        double w = Math.Exp(-((x - b.X) * (x - b.X) + (y - b.Y) * (y - b.Y)) / (2 * b.R * b.R));
                        r += b.Cr * w; g += b.Cg * w; bl += b.Cb * w;
                    }
                    image[x, y] = new Rgb24((byte)Math.Clamp(r, 0, 255), (byte)Math.Clamp(g, 0, 255), (byte)Math.Clamp(bl, 0, 255));
                }
            image.SaveAsPng(path);
        }

        /// <summary>
        /// An edited copy of an image file, as a leak between splits looks: cropped by
        /// <paramref name="crop"/> of each side, resized by <paramref name="scale"/>, brightness
        /// multiplied by <paramref name="brightness"/>, re-encoded as JPEG at <paramref name="quality"/>.
        /// </summary>
        public static void SaveEditedCopy(string source, string path, double crop, double scale, float brightness, int quality)
        {
            using var image = Image.Load<Rgb24>(source);
            int dx = (int)Math.Round(image.Width * crop), dy = (int)Math.Round(image.Height * crop);
            int w = image.Width - 2 * dx, h = image.Height - 2 * dy;
            image.Mutate(x => x.Crop(new Rectangle(dx, dy, w, h))
                .Resize(Math.Max(1, (int)Math.Round(w * scale)), Math.Max(1, (int)Math.Round(h * scale)))
                .Brightness(brightness));
            image.SaveAsJpeg(path, new JpegEncoder { Quality = quality });
        }

        /// <summary>A PNG of one colour: any resize or crop leaves every pixel at (r, g, b).</summary>
        public static void SaveSolidColor(int width, int height, byte r, byte g, byte b, string path)
        {
            using var image = new Image<Rgb24>(width, height, new Rgb24(r, g, b));
            image.SaveAsPng(path);
        }

        /// <summary>A PNG whose header declares <paramref name="width"/>×<paramref name="height"/> (for the pixel budget).</summary>
        public static void SaveSolid(int width, int height, string path)
        {
            using var image = new Image<L8>(width, height);
            image.SaveAsPng(path);
        }
    }
}

// Synthetic labelled images for the demo and the tests, drawn pixel by pixel with ImageSharp
// (ImageSharp.Drawing is not available everywhere). Loaded with Add-Type by examples/demo.ps1
// and tests/TestHelpers.ps1; nothing here ships in the module.
using System;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

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

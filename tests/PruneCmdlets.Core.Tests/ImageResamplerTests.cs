using PruneCmdlets.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// The resize-crop-normalise step against Pillow, the reference the training pipelines use.
/// The expected pixels were produced by Pillow 9.4 (Image.resize with BILINEAR or BICUBIC,
/// then crop at torchvision's CenterCrop offsets) from the same formula-drawn image; Pillow
/// rounds to 8 bits between its passes, so agreement within one level is the bar.
/// </summary>
public class ImageResamplerTests
{
    private static Image<Rgba32> Draw(int w, int h)
    {
        var image = new Image<Rgba32>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                image[x, y] = new Rgba32((byte)((x * 37 + y * 91) % 256), (byte)((x * x * 7 + 3 * y * y) % 256), (byte)(((255 - 23 * x + 41 * y) % 256 + 256) % 256), (byte)(x * 50 % 256));
        return image;
    }

    private static float[] Resample(Image<Rgba32> image, ImagePreprocessing pre)
    {
        var tensor = new float[pre.TensorLength];
        ImageResampler.ToTensor(image, pre, tensor);
        return tensor;
    }

    [Theory]
    [InlineData(11, 7, 5, 5, "bilinear", "100 29 202 155 83 191 148 179 154 94 167 117 74 137 82 109 36 102 124 90 161 95 156 204 131 112 167 146 144 132 100 56 79 122 110 64 155 152 88 124 82 182 95 164 183 136 88 138 97 142 103 77 184 66 137 107 38 161 133 145 97 125 188 129 179 153 153 122 116 78 135 79 109 91 68")]
    [InlineData(11, 7, 5, 5, "bicubic", "100 24 213 165 82 196 157 192 149 88 178 114 63 130 77 106 31 92 124 93 167 89 161 217 132 108 173 153 144 132 97 51 68 120 116 47 169 152 80 125 69 196 81 177 194 144 83 139 92 148 99 66 193 60 143 103 21 167 138 154 90 124 193 134 189 156 164 114 120 72 137 81 109 87 59")]
    [InlineData(7, 11, 6, 4, "bicubic", "104 31 72 43 61 25 102 110 82 162 186 112 127 54 126 193 84 100 111 133 63 63 211 27 167 86 183 44 115 149 85 172 121 119 226 94 101 127 182 160 161 218 154 180 177 167 63 143")]
    [InlineData(5, 4, 9, 9, "bilinear", "7 1 251 24 4 240 40 9 230 57 18 219 74 28 209 91 44 199 108 60 188 124 81 178 141 103 167 22 2 215 39 5 204 55 10 198 72 19 206 89 29 216 106 45 206 123 61 195 139 82 185 156 104 174 63 3 120 80 6 109 96 11 113 113 20 173 130 30 234 147 46 224 164 62 213 180 83 203 197 105 192 103 5 38 120 8 27 135 13 39 145 22 138 156 32 238 173 48 228 190 64 217 206 85 212 223 107 208 144 9 57 161 12 46 165 17 47 124 26 95 83 36 143 100 52 133 117 68 122 133 89 158 150 111 206 184 12 75 201 15 64 195 20 55 103 29 51 9 39 47 26 55 37 43 71 26 59 92 104 76 114 203 125 19 93 142 22 82 144 27 72 90 36 61 35 46 51 52 62 41 69 78 30 85 99 77 102 121 137 52 25 111 69 28 100 81 33 90 78 42 79 76 52 69 93 68 59 110 84 48 126 105 54 143 127 62 24 28 118 41 31 107 57 36 97 74 45 86 91 55 76 108 71 66 125 87 55 141 108 45 158 130 34")]
    [InlineData(5, 4, 9, 7, "bicubic", "30 3 215 50 8 207 68 17 212 86 28 216 103 42 208 120 59 195 139 83 182 69 4 96 90 9 106 116 18 182 141 29 249 159 43 250 175 60 229 194 84 210 118 6 5 136 11 26 149 20 142 162 31 244 178 45 248 196 62 224 215 86 214 184 10 21 185 15 28 130 24 89 83 35 143 90 49 133 116 66 116 136 90 161 222 14 65 209 19 54 99 28 47 3 39 41 3 53 17 36 70 10 56 94 99 157 21 88 154 26 74 84 35 54 24 46 36 30 60 15 57 77 8 77 101 66 60 28 105 75 33 93 76 42 80 79 53 69 94 67 57 113 84 47 132 108 47")]
    public void MatchesPillow_WithinItsRounding(int w, int h, int resizeTo, int crop, string interpolation, string pillow)
    {
        var expected = pillow.Split(' ').Select(float.Parse).ToArray(); // HWC, RGB
        var pre = new ImagePreprocessing { ResizeTo = resizeTo, CropSize = crop, Interpolation = interpolation, Scale = 255f, Layout = "NHWC" };
        var actual = Resample(Draw(w, h), pre);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1.0f, $"value {i} (pixel {i / 3}, channel {i % 3}): ours {actual[i]}, Pillow {expected[i]}");
    }

    [Fact]
    public void Layouts_ChannelOrder_AndNormalisation_PlaceEveryValue()
    {
        using var image = Draw(13, 9);
        var plain = new ImagePreprocessing { ResizeTo = 6, CropSize = 6, Scale = 255f, Layout = "NHWC" };
        var hwc = Resample(image, plain);
        var chw = Resample(image, plain with { Layout = "NCHW", ChannelOrder = "BGR", Scale = 1f, Mean = new[] { 0.5f, 0.25f, 0f }, Std = new[] { 0.25f, 0.5f, 2f } });
        float[] mean = { 0.5f, 0.25f, 0f }, std = { 0.25f, 0.5f, 2f };
        int plane = 36;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
            {
                // RGB channel c sits in plane 2 − c for BGR, normalised from the 0–255 value.
                float expected = (hwc[p * 3 + c] / 255f - mean[c]) / std[c];
                Assert.Equal(expected, chw[(2 - c) * plane + p], 4);
            }
    }

    [Theory]
    [InlineData("bilinear")]
    [InlineData("bicubic")]
    public void ConstantImage_StaysConstant_AtEveryScale(string interpolation)
    {
        foreach (var (w, h) in new[] { (40, 30), (7, 5), (300, 9) })
        {
            using var image = new Image<Rgba32>(w, h, new Rgba32(200, 13, 255, 0));
            var pre = new ImagePreprocessing { ResizeTo = 24, CropSize = 16, Interpolation = interpolation, Scale = 255f, Layout = "NHWC" };
            var t = Resample(image, pre);
            for (int i = 0; i < t.Length; i++) Assert.Equal(i % 3 == 0 ? 200f : i % 3 == 1 ? 13f : 255f, t[i], 3);
        }
    }

    [Fact]
    public void LinearRamp_IsSampledAtPixelCentres()
    {
        // A horizontal ramp v = 2x + 10 halved in width: output pixel i covers source pixels
        // 2i and 2i + 1, so the triangle filter (widened ×2) returns their mean 4i + 11 inside the image.
        using var image = new Image<Rgba32>(64, 32);
        for (int y = 0; y < 32; y++) for (int x = 0; x < 64; x++) image[x, y] = new Rgba32((byte)(2 * x + 10), 0, 0);
        var pre = new ImagePreprocessing { ResizeTo = 16, CropSize = 16, Scale = 255f, Layout = "NHWC" };
        var t = Resample(image, pre);   // 64×32 → 32×16, crop columns 8…23
        for (int ox = 1; ox < 15; ox++) Assert.Equal(4 * (ox + 8) + 11, t[(5 * 16 + ox) * 3], 3);
    }

    [Fact]
    public void ResizedSize_FollowsTorchvision()
    {
        var pre = new ImagePreprocessing { ResizeTo = 224, CropSize = 224 };
        Assert.Equal((298, 224), ImageResampler.ResizedSize(500, 375, pre));
        Assert.Equal((224, 298), ImageResampler.ResizedSize(375, 500, pre));
        Assert.Equal((224, 224), ImageResampler.ResizedSize(28, 28, pre));
        Assert.Equal((224, 224), ImageResampler.ResizedSize(500, 375, pre with { Resize = ResizeKind.Stretch }));
    }

    [Theory]
    [InlineData("bilinear", 500, 375)]
    [InlineData("bicubic", 37, 301)]
    public void RgbPixels_GiveTheSameTensor_AsRgbaPixels(string interpolation, int w, int h)
    {
        // Get-Embedding decodes to 3-byte RGB; the 4-lane loads then straddle pixels, so every
        // value is compared with the RGBA path (whose alpha here is noise that must not leak).
        using var rgba = Draw(w, h);
        using var rgb = rgba.CloneAs<Rgb24>();
        var pre = new ImagePreprocessing { ResizeTo = 24, CropSize = 20, Interpolation = interpolation, Scale = 255f, Mean = new[] { 0.1f, 0.2f, 0.3f }, Layout = "NCHW", ChannelOrder = "BGR" };
        var expected = Resample(rgba, pre);
        var actual = new float[pre.TensorLength];
        ImageResampler.ToTensor(rgb, pre, actual);
        Assert.Equal(expected, actual);
    }
}

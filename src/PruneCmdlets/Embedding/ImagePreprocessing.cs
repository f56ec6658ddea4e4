using System.Text.Json;
using System.Text.Json.Serialization;

namespace PruneCmdlets.Embedding;

/// <summary>How the image is scaled before the crop.</summary>
public enum ResizeKind
{
    /// <summary>Scale the shorter side to ResizeTo, keeping the aspect ratio (torchvision Resize(int)).</summary>
    ShorterSide,
    /// <summary>Scale both sides to exactly ResizeTo × ResizeTo, distorting the aspect ratio.</summary>
    Stretch,
}

/// <summary>
/// Everything between a decoded image and a model's input tensor, as data: a JSON file beside
/// the model (<c>model.preprocess.json</c>) or one of the presets. Resize, centre-crop, scale to
/// 0–1 or keep 0–255, subtract mean and divide by std per channel, order the channels, lay out
/// as NCHW or NHWC.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Side the image is scaled to before cropping (see Resize).</summary>
    public int ResizeTo { get; init; } = 224;
    public ResizeKind Resize { get; init; } = ResizeKind.ShorterSide;
    /// <summary>Side of the centred square crop: the model's input size.</summary>
    public int CropSize { get; init; } = 224;
    /// <summary>"bilinear" or "bicubic".</summary>
    public string Interpolation { get; init; } = "bilinear";
    /// <summary>1 for 0–1 inputs, 255 for 0–255 inputs: pixel value / 255 × Scale.</summary>
    public float Scale { get; init; } = 1f;
    /// <summary>Per-channel mean, in the units after Scale, in RGB order.</summary>
    public float[] Mean { get; init; } = { 0f, 0f, 0f };
    /// <summary>Per-channel standard deviation, in the units after Scale, in RGB order.</summary>
    public float[] Std { get; init; } = { 1f, 1f, 1f };
    /// <summary>"RGB" or "BGR": the channel order the model expects.</summary>
    public string ChannelOrder { get; init; } = "RGB";
    /// <summary>"NCHW" or "NHWC".</summary>
    public string Layout { get; init; } = "NCHW";
    /// <summary>
    /// A per-value offset subtracted last, in the model's channel order and layout
    /// (<see cref="TensorLength"/> values), or null. Not read from files: it is how the embedded
    /// ResNet18's own preprocessing graph (a channel swap and a mean image) is folded into the
    /// tensor build, so no second model runs per image.
    /// </summary>
    [JsonIgnore]
    public float[]? MeanImage { get; init; }

    /// <summary>The preset names users can pass to -Preprocess.</summary>
    public static readonly IReadOnlyDictionary<string, ImagePreprocessing> Presets = new Dictionary<string, ImagePreprocessing>(StringComparer.OrdinalIgnoreCase)
    {
        // torchvision's ImageNet evaluation transform: Resize(256), CenterCrop(224), ToTensor, Normalize.
        ["TorchvisionImageNet"] = new() { ResizeTo = 256, CropSize = 224, Scale = 1f, Mean = new[] { 0.485f, 0.456f, 0.406f }, Std = new[] { 0.229f, 0.224f, 0.225f } },
        // OpenAI CLIP ViT-B/32 and /16: bicubic Resize(224), CenterCrop(224), CLIP's own mean/std.
        ["CLIP"] = new() { ResizeTo = 224, CropSize = 224, Interpolation = "bicubic", Scale = 1f, Mean = new[] { 0.48145466f, 0.4578275f, 0.40821073f }, Std = new[] { 0.26862954f, 0.26130258f, 0.27577711f } },
        // DINOv2: bicubic Resize(256), CenterCrop(224), ImageNet mean/std.
        ["DINOv2"] = new() { ResizeTo = 256, CropSize = 224, Interpolation = "bicubic", Scale = 1f, Mean = new[] { 0.485f, 0.456f, 0.406f }, Std = new[] { 0.229f, 0.224f, 0.225f } },
        // The embedded ResNet18: shorter side to 224, centre crop, raw 0–255 RGB; its own
        // ResNetPreprocess.onnx graph then swaps to BGR and subtracts the mean image.
        ["ResNet18"] = new() { ResizeTo = 224, CropSize = 224, Scale = 255f },
    };

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Reads and validates a preprocessing JSON file; errors name the file and the field.</summary>
    public static ImagePreprocessing Load(string path)
    {
        ImagePreprocessing? p;
        try { p = JsonSerializer.Deserialize<ImagePreprocessing>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"Preprocessing file '{path}' is not valid: {e.Message}", e); }
        if (p is null) throw new InvalidDataException($"Preprocessing file '{path}' is empty.");
        p.Validate(path);
        return p;
    }

    /// <summary>A preset by name or a JSON file by path.</summary>
    public static ImagePreprocessing Resolve(string presetOrPath)
        => Presets.TryGetValue(presetOrPath, out var preset) ? preset : Load(presetOrPath);

    public void Validate(string source)
    {
        string Bad(string field, string why) => $"Preprocessing '{source}': {field} {why}";
        if (CropSize < 8 || CropSize > 4096) throw new InvalidDataException(Bad("cropSize", $"must be between 8 and 4096; got {CropSize}."));
        if (ResizeTo < CropSize) throw new InvalidDataException(Bad("resizeTo", $"({ResizeTo}) must be at least cropSize ({CropSize})."));
        if (Interpolation is not ("bilinear" or "bicubic")) throw new InvalidDataException(Bad("interpolation", $"must be \"bilinear\" or \"bicubic\"; got \"{Interpolation}\"."));
        if (!(Scale > 0)) throw new InvalidDataException(Bad("scale", $"must be positive (1 for 0–1 inputs, 255 for 0–255); got {Scale}."));
        if (Mean is not { Length: 3 }) throw new InvalidDataException(Bad("mean", "must hold three numbers (R, G, B)."));
        if (Std is not { Length: 3 } || Std.Any(s => !(s > 0))) throw new InvalidDataException(Bad("std", "must hold three positive numbers (R, G, B)."));
        if (ChannelOrder is not ("RGB" or "BGR")) throw new InvalidDataException(Bad("channelOrder", $"must be \"RGB\" or \"BGR\"; got \"{ChannelOrder}\"."));
        if (Layout is not ("NCHW" or "NHWC")) throw new InvalidDataException(Bad("layout", $"must be \"NCHW\" or \"NHWC\"; got \"{Layout}\"."));
    }

    /// <summary>Number of floats one image becomes.</summary>
    public int TensorLength => 3 * CropSize * CropSize;
}

using Microsoft.ML.OnnxRuntime;

namespace PruneCmdlets.Embedding;

/// <summary>
/// The embedded default model: ResNet18 from Microsoft.ML.DnnImageFeaturizer.ResNet18 (MIT),
/// run as ML.NET runs it, two ONNX graphs in a row. ResNetPreprocess.onnx takes raw 0–255 RGB
/// in CHW, swaps to BGR and subtracts the per-pixel training mean; ResNet18.onnx maps that to
/// the 512-d global-average-pooled features (output Pooling395_Output_0).
/// </summary>
public sealed class OnnxImageEmbedder : IDisposable
{
    public const string DefaultModelName = "ResNet18";
    public const int InputSize = 224;

    private readonly InferenceSession _prep;
    private readonly InferenceSession _model;
    private readonly string _prepInput, _prepOutput, _modelInput, _modelOutput;
    private readonly long[] _prepShape, _modelShape;

    public OnnxImageEmbedder(string modelDirectory, int intraOpThreads)
    {
        string prepPath = Path.Combine(modelDirectory, "ResNetPreprocess.onnx");
        string modelPath = Path.Combine(modelDirectory, "ResNet18.onnx");
        foreach (var p in new[] { prepPath, modelPath })
            if (!File.Exists(p))
                throw new FileNotFoundException($"The default model file '{p}' is missing; run './build.ps1 -Task Build' to restore it from NuGet.", p);

        var options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _prep = new InferenceSession(prepPath, options);
        _model = new InferenceSession(modelPath, options);
        (_prepInput, _prepShape) = SingleInput(_prep);
        _prepOutput = _prep.OutputMetadata.Keys.First();
        (_modelInput, _modelShape) = SingleInput(_model);
        _modelOutput = _model.OutputMetadata.ContainsKey("Pooling395_Output_0") ? "Pooling395_Output_0" : _model.OutputMetadata.Keys.First();
        Dimension = (int)_model.OutputMetadata[_modelOutput].Dimensions.Where(x => x > 0).Aggregate(1L, (a, b) => a * b);
    }

    public string ModelName => DefaultModelName;
    public int Dimension { get; }

    private static (string, long[]) SingleInput(InferenceSession s)
    {
        var (name, meta) = s.InputMetadata.First();
        return (name, meta.Dimensions.Select(x => x <= 0 ? 1L : x).ToArray());
    }

    /// <summary>Embeds one 3×224×224 RGB (0–255) tensor. <paramref name="run"/> lets the caller terminate a run in flight.</summary>
    public float[] Embed(float[] chw, RunOptions run)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(chw, _prepShape);
        using var prepped = _prep.Run(run, new[] { _prepInput }, new[] { input }, new[] { _prepOutput });
        var prepData = prepped[0].GetTensorDataAsSpan<float>().ToArray();
        using var modelInput = OrtValue.CreateTensorValueFromMemory(prepData, _modelShape);
        using var output = _model.Run(run, new[] { _modelInput }, new[] { modelInput }, new[] { _modelOutput });
        return output[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        _prep.Dispose();
        _model.Dispose();
    }
}

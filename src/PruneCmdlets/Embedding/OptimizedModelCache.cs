using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace PruneCmdlets.Embedding;

/// <summary>
/// ONNX Runtime's optimised graph of a model, kept in the user's cache folder so a later
/// process loads it instead of optimising again: ResNet18 takes 0.4–0.7 s to optimise here and
/// 0.05–0.08 s to load optimised, most of a fresh Get-Embedding's start-up.
///
/// The optimised graph holds layout transformations for this CPU's vector width (ORT's NCHWc
/// blocks), so the key names everything it depends on: the model file (full path, length, last
/// write time; of the file a symbolic link leads to), the ONNX Runtime version, the device and the instruction sets ORT picks kernels
/// by. A changed model or a different machine gets a new entry; an entry that fails to load is
/// deleted and the model is optimised from its source again. Nothing here is ever required:
/// when the folder cannot be written, sessions are built as before.
/// </summary>
internal static class OptimizedModelCache
{
    /// <summary>Overrides the folder (tests, read-only homes); an empty value turns the cache off.</summary>
    public const string FolderVariable = "PRUNECMDLETS_ORT_CACHE";

    /// <summary>The folder: $PRUNECMDLETS_ORT_CACHE, else the platform's user cache folder + PruneCmdlets/ort.</summary>
    public static string? Folder()
    {
        var overridden = Environment.GetEnvironmentVariable(FolderVariable);
        if (overridden is not null) return overridden.Length == 0 ? null : overridden;
        return UserCacheRoot() is { } root ? Path.Combine(root, "PruneCmdlets", "ort") : null;
    }

    /// <summary>The platform's per-user cache folder (also where the default models are restored), or null.</summary>
    public static string? UserCacheRoot()
    {
        string? root;
        if (OperatingSystem.IsWindows()) root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        else if (OperatingSystem.IsMacOS()) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "Library", "Caches");
        else
        {
            root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
            {
                var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                root = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache");
            }
        }
        return string.IsNullOrEmpty(root) ? null : root;
    }

    /// <summary>The cache file for <paramref name="modelPath"/> on this machine, or null when no folder is known.</summary>
    public static string? EntryFor(string modelPath, EmbeddingDevice device)
    {
        var folder = Folder();
        if (folder is null) return null;
        var file = new FileInfo(modelPath);
        // A model in a Hugging Face cache (or git-annex, DVC) is a link to its blob: key on the blob,
        // as the link's own length and time stay the same when the blob behind it changes.
        if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo blob) file = blob;
        string key = string.Join("|", file.FullName, file.Length, file.LastWriteTimeUtc.Ticks, OrtVersion(), device, MachineKernels());
        string digest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24].ToLowerInvariant();
        return Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(modelPath)}-{digest}.onnx");
    }

    /// <summary>
    /// A session for <paramref name="modelPath"/> with the given options: from the cached
    /// optimised graph when there is one (optimisation off, it is done), else optimised from the
    /// source and saved for next time. <paramref name="note"/> says which, for -Verbose.
    /// </summary>
    public static InferenceSession Create(string modelPath, EmbeddingDevice device, Func<GraphOptimizationLevel, string?, SessionOptions> options, out string note)
    {
        note = "optimised from the source (no cache folder)";
        string? entry = null;
        try { entry = EntryFor(modelPath, device); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException) { }
        if (entry is not null && File.Exists(entry))
        {
            try
            {
                using var cached = options(GraphOptimizationLevel.ORT_DISABLE_ALL, null);
                var session = new InferenceSession(entry, cached);
                note = $"optimised graph loaded from {entry}";
                return session;
            }
            catch (OnnxRuntimeException)
            {
                // A torn or foreign file: drop it and optimise from the source below.
                TryDelete(entry);
            }
        }
        string? temporary = null;
        if (entry is not null)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
                temporary = $"{entry}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { temporary = null; }
        }
        SessionOptions fresh = options(GraphOptimizationLevel.ORT_ENABLE_ALL, temporary);
        try
        {
            InferenceSession session;
            try { session = new InferenceSession(modelPath, fresh); }
            catch (OnnxRuntimeException) when (temporary is not null)
            {
                // ORT could not write the optimised graph: build the session without saving it.
                TryDelete(temporary);
                temporary = null;
                fresh.Dispose();
                fresh = options(GraphOptimizationLevel.ORT_ENABLE_ALL, null);
                session = new InferenceSession(modelPath, fresh);
            }
            if (temporary is not null)
            {
                // Written under a private name and renamed, so another process never loads half a file.
                try { File.Move(temporary, entry!, overwrite: true); note = $"optimised from the source and saved to {entry}"; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { TryDelete(temporary); note = $"optimised from the source ({entry} could not be written)"; }
            }
            return session;
        }
        finally { fresh.Dispose(); }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static string OrtVersion()
        => typeof(InferenceSession).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The instruction sets ORT chooses its CPU kernels and NCHWc block size by.</summary>
    private static string MachineKernels()
    {
        var parts = new List<string> { RuntimeInformation.ProcessArchitecture.ToString() };
        if (Avx512F.IsSupported) parts.Add("avx512f");
        if (Avx512BW.IsSupported) parts.Add("avx512bw");
        if (Avx2.IsSupported) parts.Add("avx2");
        if (Fma.IsSupported) parts.Add("fma");
        if (Avx.IsSupported) parts.Add("avx");
        if (Sse41.IsSupported) parts.Add("sse41");
        if (AdvSimd.IsSupported) parts.Add("neon");
        if (Dp.IsSupported) parts.Add("dotprod");
        return string.Join(",", parts);
    }
}

using System.Security.Cryptography;

namespace PruneCmdlets.Apply;

/// <summary>SHA-256 of files as lowercase hex, the form sha256sum prints and the manifest stores.</summary>
internal static class FileHash
{
    public static string Sha256(string path, CancellationToken cancel)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            hash.AppendData(buffer, 0, n);
        }
        return Hex(hash.GetHashAndReset());
    }

    public static string Hex(byte[] digest) => Convert.ToHexString(digest).ToLowerInvariant();
}

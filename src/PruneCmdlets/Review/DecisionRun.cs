using System.Security.Cryptography;
using System.Text;
using PruneCmdlets.Apply;

namespace PruneCmdlets.Review;

/// <summary>
/// The identity of one set of pruning decisions: which Ids there are and which are kept. The
/// report stamps it on the overrides a reviewer downloads, and the apply step recomputes it from
/// the records it is given, so decisions reviewed for one run are never applied to another (new
/// data, another seed, another policy) by mistake.
/// </summary>
public static class DecisionRun
{
    /// <summary>
    /// Lowercase hex, 32 characters: the first 128 bits of SHA-256 over the records sorted by Id
    /// (ordinal), each written as UTF-8 <c>Id U+001F K U+001E</c> with K = 1 for kept, 0 for
    /// pruned. Independent of input order, so a manifest read back in another order still matches.
    /// </summary>
    public static string Id(IEnumerable<(string Id, bool Kept)> decisions)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        var sorted = decisions.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Id, b.Id));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256];
        foreach (var (id, kept) in sorted)
        {
            int needed = Encoding.UTF8.GetMaxByteCount(id.Length) + 3;
            if (buffer.Length < needed) buffer = new byte[needed];
            int n = Encoding.UTF8.GetBytes(id, buffer);
            buffer[n++] = 0x1F;
            buffer[n++] = (byte)(kept ? '1' : '0');
            buffer[n++] = 0x1E;
            hash.AppendData(buffer, 0, n);
        }
        return FileHash.Hex(hash.GetHashAndReset())[..32];
    }
}

using System.Text;

namespace PruneCmdlets.Sharding;

/// <summary>
/// The one hash every sharded decision is made with: FNV-1a 64 over the UTF-8 bytes of a key,
/// finished with SplitMix64's mixer so nearby keys ("img1", "img2") land far apart. Defined by
/// this file alone, so a key hashes the same on every OS, .NET version and process
/// (string.GetHashCode is randomised per process and must never decide a shard).
/// </summary>
public static class StableHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    // Salts keep the three uses independent: a record's shard says nothing about whether it is
    // in the fitting sample or drawn by the Random policy.
    private const ulong ShardSalt = 0x243F6A8885A308D3UL, SampleSalt = 0x13198A2E03707344UL, RandomSalt = 0xA4093822299F31D0UL;

    /// <summary>FNV-1a 64 of the UTF-8 encoding of <paramref name="key"/>.</summary>
    public static ulong Fnv1a64(string key)
    {
        ulong h = FnvOffset;
        Span<byte> buffer = stackalloc byte[256];
        int max = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = max > buffer.Length ? new byte[max] : null;
        var bytes = rented ?? buffer;
        int count = Encoding.UTF8.GetBytes(key, bytes);
        for (int i = 0; i < count; i++) h = unchecked((h ^ bytes[i]) * FnvPrime);
        return h;
    }

    /// <summary>SplitMix64's finaliser: a bijection on 64 bits that spreads every input bit over the output.</summary>
    public static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Shard of <paramref name="key"/> among <paramref name="count"/>: the top of the 128-bit product hash·count, uniform and never biased by a modulo.</summary>
    public static int ShardOf(string key, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "A shard count must be at least 1.");
        return (int)Math.BigMul(Mix(Fnv1a64(key) ^ ShardSalt), (ulong)count, out _);
    }

    /// <summary>Shard of an integer key (a cluster number): its decimal text hashed like any other key.</summary>
    public static int ShardOf(long key, int count) => ShardOf(key.ToString(System.Globalization.CultureInfo.InvariantCulture), count);

    /// <summary>A uniform number in [0, 1) fixed by the key: a record is in a sample of fraction f when this is below f, whatever shard it is in.</summary>
    public static double SampleUnit(string key) => (Mix(Fnv1a64(key) ^ SampleSalt) >> 11) * (1.0 / (1UL << 53));

    /// <summary>The Random policy's draw for one record: a 64-bit number fixed by the seed and the Id, not by the record's position.</summary>
    public static ulong RandomKey(long seed, string id) => Mix(Fnv1a64(id) ^ Mix(unchecked((ulong)seed) ^ RandomSalt));
}

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace PruneCmdlets.Embedding;

/// <summary>
/// Embeddings kept on disk, keyed by the SHA-256 of a file's content and the model's hash, so a
/// re-run embeds only new or changed files.
///
/// Layout: &lt;directory&gt;/&lt;model hash&gt;/*.seg. Each run appends to a segment file of its own
/// (no two processes ever write one file), record by record:
/// magic "PCE1" | content hash (32 bytes) | D (int32) | D float32 | CRC-32 of all before it.
/// A run killed mid-write leaves at most a torn last record, which the CRC or the length
/// exposes; readers stop at it, so the cache is never unreadable and loses only what was in flight.
/// </summary>
public sealed class EmbeddingCache : IDisposable
{
    private static readonly byte[] Magic = "PCE1"u8.ToArray();
    // Workers look up while the pipeline thread appends.
    private readonly ConcurrentDictionary<string, float[]> _entries = new(StringComparer.Ordinal);
    private readonly string _segmentPath;
    private FileStream? _segment;

    public EmbeddingCache(string directory, string modelHash, string modelDescription)
    {
        ModelDirectory = Path.Combine(directory, modelHash[..32]);
        Directory.CreateDirectory(ModelDirectory);
        string about = Path.Combine(ModelDirectory, "model.txt");
        if (!File.Exists(about)) File.WriteAllText(about, $"{modelDescription}\nmodel hash {modelHash}\n");
        foreach (var seg in Directory.EnumerateFiles(ModelDirectory, "*.seg").OrderBy(f => f, StringComparer.Ordinal))
            TornRecords += Load(seg);
        _segmentPath = Path.Combine(ModelDirectory, $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Environment.ProcessId}-{Guid.NewGuid():N}.seg");
    }

    public string ModelDirectory { get; }
    public int Count => _entries.Count;
    /// <summary>Segments that ended in a torn (interrupted) record when read.</summary>
    public int TornRecords { get; }

    public static string ContentHash(ReadOnlySpan<byte> content) => Convert.ToHexString(SHA256.HashData(content));

    public bool TryGet(string contentHash, out float[] vector) => _entries.TryGetValue(contentHash, out vector!);

    /// <summary>Appends one embedding; call <see cref="Flush"/> after each batch.</summary>
    public void Add(string contentHash, float[] vector)
    {
        if (!_entries.TryAdd(contentHash, vector)) return;
        _segment ??= new FileStream(_segmentPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        var record = new byte[4 + 32 + 4 + 4 * vector.Length + 4];
        Magic.CopyTo(record, 0);
        Convert.FromHexString(contentHash).CopyTo(record, 4);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(36), vector.Length);
        for (int i = 0; i < vector.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(record.AsSpan(40 + 4 * i), vector[i]);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(record.Length - 4), Crc32.Compute(record.AsSpan(0, record.Length - 4)));
        _segment.Write(record);
    }

    /// <summary>Hands written records to the operating system, so a killed process keeps them.</summary>
    public void Flush() => _segment?.Flush();

    private int Load(string path)
    {
        byte[] data;
        try { data = File.ReadAllBytes(path); }
        catch (IOException) { return 0; }
        int o = 0;
        while (o < data.Length)
        {
            if (data.Length - o < 44 || !data.AsSpan(o, 4).SequenceEqual(Magic)) return 1;
            int dim = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(o + 36));
            long length = 44L + 4L * dim;
            if (dim < 1 || dim > 1 << 24 || data.Length - o < length) return 1;
            var body = data.AsSpan(o, (int)length - 4);
            if (Crc32.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(o + (int)length - 4))) return 1;
            var vector = new float[dim];
            for (int i = 0; i < dim; i++) vector[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(o + 40 + 4 * i));
            _entries[Convert.ToHexString(data.AsSpan(o + 4, 32))] = vector;
            o += (int)length;
        }
        return 0;
    }

    public void Dispose()
    {
        _segment?.Dispose();
        _segment = null;
    }

    /// <summary>CRC-32 (IEEE 802.3), the checksum zip and PNG use.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            uint c = (uint)n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        public static uint Compute(ReadOnlySpan<byte> data)
        {
            uint c = 0xFFFFFFFFu;
            foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
            return c ^ 0xFFFFFFFFu;
        }
    }
}

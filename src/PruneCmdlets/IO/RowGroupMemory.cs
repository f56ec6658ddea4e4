namespace PruneCmdlets.IO;

/// <summary>
/// Keeps a streamed Parquet read or write at a few row groups of memory. Parquet.Net decodes
/// and encodes each column chunk in fresh large buffers; the garbage collector leaves those on
/// the large-object heap until its gen-2 budget runs out, which on a machine with plenty of
/// memory let a 1M × 512 import hold 4 GB of dead row groups beyond its records (measured:
/// examples/bench.ps1 -Only Parquet). One blocking collection after each large row group frees
/// them while they are the only garbage; it also made the step faster, as fresh pages no longer
/// need faulting in.
/// </summary>
internal static class RowGroupMemory
{
    /// <summary>Below this many bytes of vectors a row group's buffers are left to the collector's own schedule.</summary>
    private const long Threshold = 8L << 20;

    /// <summary>
    /// Parquet.Net's options with a bound on the memory its stream pool keeps once streams are
    /// returned: unset, RecyclableMemoryStream keeps every buffer it ever handed out.
    /// </summary>
    public static Parquet.ParquetOptions Options(Parquet.CompressionMethod compression = Parquet.CompressionMethod.Snappy) => new()
    {
        CompressionMethod = compression,
        MaximumSmallPoolFreeBytes = 16 << 20,
        MaximumLargePoolFreeBytes = 64 << 20,
    };

    public static void Release(long vectorBytes)
    {
        if (vectorBytes >= Threshold) GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
    }
}

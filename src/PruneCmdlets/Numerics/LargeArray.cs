using System.Runtime.InteropServices;

namespace PruneCmdlets.Numerics;

/// <summary>
/// Allocates the module's big float buffers (N×D matrices of hundreds of MB). Touching fresh
/// memory costs a page fault per 4 KiB page, which on virtual machines adds up to seconds per
/// GB (measured: 1.2 s to first-touch 400 MB here, 0.03–0.7 s with huge pages), and 4 KiB pages
/// also cost TLB misses on every later pass of a kernel over the matrix. So on Linux a large
/// buffer is pinned (it never moves) and advised to use transparent huge pages before it is
/// first touched: 2 MiB pages, 512× fewer faults. Elsewhere it is an ordinary array.
/// </summary>
public static class LargeArray
{
    private const long HugePage = 2L << 20;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE
    private static bool _madviseMissing;

    /// <summary>
    /// A float array of <paramref name="length"/>; its contents are undefined unless
    /// <paramref name="zeroed"/>, so callers that write every value skip clearing it.
    /// </summary>
    public static float[] Allocate(long length, bool zeroed = false)
    {
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), length, $"More than {Array.MaxLength} values do not fit in one array.");
        int n = (int)length;
        if ((long)n * sizeof(float) < 4 * HugePage || !OperatingSystem.IsLinux() || _madviseMissing)
            return zeroed ? new float[n] : GC.AllocateUninitializedArray<float>(n);
        var array = GC.AllocateUninitializedArray<float>(n, pinned: true);
        AdviseHugePages(array);
        if (zeroed) Array.Clear(array);
        return array;
    }

    private static unsafe void AdviseHugePages(float[] array)
    {
        fixed (float* p = array)
        {
            long start = ((long)p + HugePage - 1) & ~(HugePage - 1);
            long end = ((long)p + (long)array.Length * sizeof(float)) & ~(HugePage - 1);
            if (end <= start) return;
            // Only a hint: a kernel without transparent huge pages refuses it, which changes nothing.
            Advise(start, end - start, MadviseHugePage);
        }
    }

    /// <summary>Advice for a file mapping's pages (Linux and macOS values).</summary>
    internal enum MappingAdvice
    {
        /// <summary>MADV_WILLNEED: start reading the pages in now.</summary>
        WillNeed = 3,
        /// <summary>
        /// MADV_POPULATE_READ (Linux 5.14+): enter the pages into the page table in one call
        /// instead of a fault per few pages on first touch. On this kind of VM, where page-table
        /// updates are expensive, a cached 400 MB file was ready 10–15% sooner.
        /// </summary>
        PopulateRead = 22,
    }

    /// <summary>A hint about a file mapping's pages; ignored where the OS does not know it (Windows; PopulateRead off Linux or before 5.14).</summary>
    internal static unsafe void AdviseMapping(void* start, long bytes, MappingAdvice advice)
    {
        if (bytes <= 0 || OperatingSystem.IsWindows() || (advice == MappingAdvice.PopulateRead && !OperatingSystem.IsLinux())) return;
        const long Page = 4096;
        long first = (long)start & ~(Page - 1);
        Advise(first, (long)start + bytes - first, (int)advice);
    }

    /// <summary>madvise, once it is known to exist; the advice is only a hint, so its result is ignored.</summary>
    private static void Advise(long start, long length, int advice)
    {
        if (_madviseMissing) return;
        try { _ = madvise((nint)start, (nuint)length, advice); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _madviseMissing = true; }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int madvise(nint address, nuint length, int advice);
}

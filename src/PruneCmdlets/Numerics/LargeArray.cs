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

    /// <summary>Asks the kernel to start reading a file mapping's pages in now (a hint; ignored where unsupported).</summary>
    internal static unsafe void AdviseWillNeed(void* start, long bytes)
    {
        if (OperatingSystem.IsWindows() || bytes <= 0) return;
        const long Page = 4096;
        long first = (long)start & ~(Page - 1);
        Advise(first, (long)start + bytes - first, 3); // MADV_WILLNEED
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

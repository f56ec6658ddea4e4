using System.Runtime.InteropServices;

namespace PruneCmdlets.Apply;

/// <summary>
/// Creates hard links, which .NET has no API for: link(2) on Unix, CreateHardLinkW on Windows.
/// A link across file systems fails with EXDEV / ERROR_NOT_SAME_DEVICE; that is reported as its own
/// error because the cure (-Mode Copy) differs from every other failure's, and it stops the run:
/// the destination is on one file system, so every further link would fail the same way.
/// </summary>
internal static partial class HardLink
{
    private const int EXDEV = 18;                    // Linux and macOS
    private const int ERROR_NOT_SAME_DEVICE = 17;    // Windows

    /// <summary>Links <paramref name="newLink"/> (a temporary name) to <paramref name="existing"/>; errors name <paramref name="target"/>, the name it is for.</summary>
    public static void Create(string existing, string newLink, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            if (CreateHardLinkW(newLink, existing, IntPtr.Zero)) return;
            int error = Marshal.GetLastPInvokeError();
            throw Failure(existing, target, error, error == ERROR_NOT_SAME_DEVICE, new System.ComponentModel.Win32Exception(error).Message);
        }
        if (link(existing, newLink) == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        throw Failure(existing, target, errno, errno == EXDEV, Marshal.GetPInvokeErrorMessage(errno));
    }

    private static IOException Failure(string existing, string target, int code, bool crossDevice, string message)
        => crossDevice
            ? new ApplyException("HardLinkCrossDevice", existing,
                $"Cannot hard-link '{existing}' into '{Path.GetDirectoryName(target)}': a hard link cannot cross file systems. Use -Mode Copy (or -Mode SymbolicLink), or choose a destination on the same file system as the sources.", stopsRun: true)
            : new IOException($"Cannot hard-link '{existing}' as '{target}': {message}", code);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string existing, string newLink);

    [LibraryImport("kernel32.dll", EntryPoint = "CreateHardLinkW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLinkW(string newLink, string existing, IntPtr securityAttributes);
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PruneCmdlets.Apply;

/// <summary>
/// One apply (or undo) at a time per destination: two runs into one folder would each take the other's live
/// temporary files for a killed run's leftovers and delete them. The lock is <see cref="FileName"/>
/// in the destination, held open for the whole run with an OS lock (FileShare.None, which .NET
/// turns into flock(2) on Unix; on Windows a sharing mode that refuses other writers but lets them
/// read the process id the file holds). The OS lets go of the lock when the process ends, however
/// it ends, so the file a killed run leaves behind blocks nobody: the next run opens it, takes the
/// lock and writes its own id. The run deletes the file when it ends.
/// </summary>
internal sealed partial class DestinationLock : IDisposable
{
    public const string FileName = ".prune-lock";

    private readonly FileStream _stream;
    private readonly string _path;
    private readonly string _token;

    private DestinationLock(FileStream stream, string path, string token) => (_stream, _path, _token) = (stream, path, token);

    /// <summary>
    /// Creates <paramref name="destination"/> when missing and locks it. Throws a terminating
    /// DestinationLocked <see cref="ApplyException"/> naming the holder's process while another run
    /// holds it; other I/O errors (read-only, full) are the caller's to report.
    /// </summary>
    public static DestinationLock Acquire(string destination)
    {
        string path = Path.Combine(destination, FileName);
        // The process id, and a nonce that tells two runs of one process apart.
        string token = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}\n");
        for (int attempt = 0; ; attempt++)
        {
            Directory.CreateDirectory(destination);
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite,
                    OperatingSystem.IsWindows() ? FileShare.Read | FileShare.Delete : FileShare.None, 1, FileOptions.None);
            }
            catch (IOException e) when (IsSharingViolation(e))
            {
                throw Held(destination, path);
            }
            try
            {
                stream.SetLength(0);
                stream.Write(Encoding.ASCII.GetBytes(token));
                stream.Flush(flushToDisk: true);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
            // A run that ends deletes the file, then lets go: a run that opened the file just
            // before may then lock a file no longer in the folder while a third creates a new one.
            // The lock is the one whose token the folder's file holds; otherwise try again.
            if (ReadUnlocked(path) == token) return new DestinationLock(stream, path, token);
            stream.Dispose();
            if (attempt == 3) throw Held(destination, path);
        }
    }

    /// <summary>Deletes the lock file (only while it is still this run's), then lets go of the lock.</summary>
    public void Dispose()
    {
        try
        {
            if (ReadUnlocked(_path) == _token) File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a file left here blocks nobody once the lock goes
        finally { _stream.Dispose(); }
    }

    private static ApplyException Held(string destination, string path)
    {
        string? first = ReadUnlocked(path)?.Split('\n')[0];
        string who = int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            ? $"process {pid}{(pid == Environment.ProcessId ? ", this one" : "")}"
            : "a process that has not written its id yet";
        return new ApplyException("DestinationLocked", destination,
            $"Another Export-PrunedSet or Undo-PrunedSet run ({who}) is writing into '{destination}' and holds its lock '{path}'; nothing was changed. Wait for that run to finish, or choose another destination: two runs into one folder would delete each other's temporary files.",
            terminating: true);
    }

    /// <summary>EWOULDBLOCK from flock (11 on Linux, 35 on macOS), ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION on Windows.</summary>
    private static bool IsSharingViolation(IOException e)
        => OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    /// <summary>
    /// The file's text, read past the lock: on Unix through a plain open(2), as every FileStream
    /// asks for a shared flock, which the holder's exclusive one refuses. Null when it cannot be read.
    /// </summary>
    private static string? ReadUnlocked(string path)
    {
        try
        {
            using SafeFileHandle? handle = OperatingSystem.IsWindows()
                ? File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)
                : OpenUnix(path);
            if (handle is null) return null;
            var buffer = new byte[256];
            int n = RandomAccess.Read(handle, buffer, 0);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static SafeFileHandle? OpenUnix(string path)
    {
        int fd = open(path, 0 /* O_RDONLY */);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);
}

namespace PruneCmdlets.Apply;

/// <summary>
/// A failure of the apply step about one file, with the stable ErrorId the cmdlet reports and the
/// file it names. <see cref="StopsRun"/> is set when further files would fail the same way (a
/// full disk), so the run ends with its summary instead of failing every remaining file.
/// <see cref="Terminating"/> is set when the run cannot start at all (another run holds the
/// destination, the destination cannot be written): it ends the command alone, with no summary.
/// </summary>
internal sealed class ApplyException : IOException
{
    public ApplyException(string errorId, string path, string message, Exception? inner = null, bool stopsRun = false, bool terminating = false)
        : base(message, inner)
    {
        ErrorId = errorId;
        FilePath = path;
        StopsRun = stopsRun;
        Terminating = terminating;
    }

    public string ErrorId { get; }
    public string FilePath { get; }
    public bool StopsRun { get; }
    public bool Terminating { get; }
}

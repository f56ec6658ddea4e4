namespace PruneCmdlets.Apply;

/// <summary>
/// A failure of the apply step about one file, with the stable ErrorId the cmdlet reports and the
/// file it names. <see cref="StopsRun"/> is set when further files would fail the same way (a
/// full disk), so the run ends with its summary instead of failing every remaining file.
/// </summary>
internal sealed class ApplyException : IOException
{
    public ApplyException(string errorId, string path, string message, Exception? inner = null, bool stopsRun = false)
        : base(message, inner)
    {
        ErrorId = errorId;
        FilePath = path;
        StopsRun = stopsRun;
    }

    public string ErrorId { get; }
    public string FilePath { get; }
    public bool StopsRun { get; }
}

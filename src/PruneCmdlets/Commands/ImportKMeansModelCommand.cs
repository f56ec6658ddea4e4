using System.Management.Automation;
using PruneCmdlets.Clustering;

namespace PruneCmdlets.Commands;

/// <summary>
/// Reads a k-means model written by Save-KMeansModel (or KMeansModel.Save), checking its format
/// version and fingerprint, for Invoke-KMeans -Model and Measure-Prototypicality -Model.
/// </summary>
[Cmdlet(VerbsData.Import, "KMeansModel")]
[OutputType(typeof(KMeansModel))]
public sealed class ImportKMeansModelCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        if (!File.Exists(path)) { WriteError(ErrorHelper.PathNotFound(path)); return; }
        KMeansModel model;
        try { model = KMeansModel.Load(path); }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            WriteError(ErrorHelper.FileError("InvalidKMeansModelFile", path, e is ArgumentException ? new InvalidDataException($"'{path}': {e.Message}", e) : e));
            return;
        }
        WriteVerbose($"Read {model} (fingerprint {model.Fingerprint}) from '{path}'.");
        WriteObject(model);
    }
}

using System.Management.Automation;
using PruneCmdlets.Clustering;

namespace PruneCmdlets.Commands;

/// <summary>
/// Writes a k-means model to a JSON file (with its SHA-256 fingerprint), atomically: a model
/// piped in, or the KMeansModel of the records Invoke-KMeans emits. Paths are relative to the
/// PowerShell location. Re-saving the same model leaves the file untouched.
/// </summary>
[Cmdlet(VerbsData.Save, "KMeansModel", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class SaveKMeansModelCommand : PSCmdlet
{
    private KMeansModel? _model;

    /// <summary>A KMeansModel, or records that carry one (the output of Invoke-KMeans).</summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter]
    public KMeansModel? Model { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        if (Model is not null) _model = Model;
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        var model = InputObject.BaseObject switch
        {
            KMeansModel m => m,
            EmbeddingRecord r => r.KMeansModel,
            _ => InputObject.Properties["KMeansModel"]?.Value as KMeansModel,
        };
        if (model is null)
        {
            WriteError(ErrorHelper.NotAModel(InputObject));
            return;
        }
        if (_model is null) { _model = model; return; }
        if (!KMeansModel.SameClustering(model, _model))
            ThrowTerminatingError(ErrorHelper.Terminating("MixedClusterModels", ErrorCategory.InvalidArgument,
                $"The input holds two different k-means models ({_model} and {model}); one file holds one model: save each run separately.", model));
    }

    protected override void EndProcessing()
    {
        if (_model is null) ThrowTerminatingError(ErrorHelper.NoInput("Save-KMeansModel"));
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        if (NoClobber && File.Exists(path))
            ThrowTerminatingError(ErrorHelper.Terminating("FileExists", ErrorCategory.ResourceExists, $"'{path}' already exists and -NoClobber was given.", path));
        if (!ShouldProcess(path, $"Save {_model}")) return;
        bool written;
        try { written = PruneCmdlets.IO.AtomicFile.Write(path, _model!.ToJson()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorHelper.FileError("ExportFailed", path, e));
            return;
        }
        WriteVerbose(written ? $"Saved {_model} (fingerprint {_model!.Fingerprint}) to '{path}'." : $"'{path}' already holds this model; left as it is.");
        if (PassThru) WriteObject(new FileInfo(path));
    }
}

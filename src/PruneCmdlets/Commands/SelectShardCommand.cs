using System.Globalization;
using System.Management.Automation;
using PruneCmdlets.Sharding;

namespace PruneCmdlets.Commands;

/// <summary>What a record is sharded by.</summary>
public enum ShardKey
{
    /// <summary>The record's Id (records), the path (files), the text (strings), or -Property.</summary>
    Id,
    /// <summary>The record's k-means Cluster: each cluster lands in exactly one shard (for Invoke-SemDeDup).</summary>
    Cluster,
}

/// <summary>
/// Passes on the objects of one shard of a stream: those whose key hashes (FNV-1a 64, the same
/// on every OS and .NET version) to -Index of -Count, and/or those in a sample of -SampleFraction
/// fixed by the key alone. Streams; objects go out in input order.
/// </summary>
[Cmdlet(VerbsCommon.Select, "Shard")]
[OutputType(typeof(object))]
public sealed class SelectShardCommand : PSCmdlet
{
    private int _index, _count;
    private bool _shard;
    private string? _relativeTo;
    private long _seen, _passed;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0)]
    [ValidateRange(0, int.MaxValue)]
    public int Index { get; set; }

    [Parameter(Position = 1)]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    [Parameter]
    public ShardKey By { get; set; } = ShardKey.Id;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Property { get; set; }

    [Parameter]
    public string? RelativeTo { get; set; }

    [Parameter]
    public double SampleFraction { get; set; } = 1.0;

    private bool Given(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    protected override void BeginProcessing()
    {
        if (Given(nameof(SampleFraction)) && !(SampleFraction > 0 && SampleFraction <= 1))
            ThrowTerminatingError(ErrorHelper.Terminating("InvalidSampleFraction", ErrorCategory.InvalidArgument,
                $"-SampleFraction must be greater than 0 and at most 1; got {SampleFraction}.", SampleFraction));
        if (By == ShardKey.Cluster && Property is not null)
            ThrowTerminatingError(ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument, "-By Cluster shards by the Cluster property; remove -Property.", "Property"));
        // A sample alone (the fitting sample) is not a shard: only -Index/-Count or, without
        // -SampleFraction, the scheduler's variables make one.
        _shard = Given(nameof(Index)) || Given(nameof(Count)) || !Given(nameof(SampleFraction));
        if (_shard)
        {
            try { (_index, _count) = ShardEnvironment.Resolve(Given(nameof(Index)) ? Index : null, Given(nameof(Count)) ? Count : null); }
            catch (ShardEnvironmentException e) { ThrowTerminatingError(ErrorHelper.Terminating(e.ErrorId, ErrorCategory.InvalidArgument, e.Message)); }
        }
        if (RelativeTo is not null) _relativeTo = GetUnresolvedProviderPathFromPSPath(RelativeTo);
        WriteVerbose((_shard ? $"Passing shard {_index} of {_count} by {(By == ShardKey.Cluster ? "Cluster" : Property ?? "Id")}" : "Passing") +
            (SampleFraction < 1 ? $"{(_shard ? ", and of it" : "")} the sample of fraction {SampleFraction.ToString(CultureInfo.InvariantCulture)} fixed by each key" : "") + ".");
    }

    protected override void ProcessRecord()
    {
        long at = _seen++;
        if (InputObject is null) { WriteError(ErrorHelper.NullInput(at)); return; }
        string? key = KeyOf(InputObject);
        if (key is null) return;
        if (_shard && StableHash.ShardOf(key, _count) != _index) return;
        if (SampleFraction < 1 && !(StableHash.SampleUnit(key) < SampleFraction)) return;
        _passed++;
        // A record of a shard says so (a copy; the caller's record is unchanged), so Find-DataIssue
        // can refuse the checks that would compare it with this shard's records only.
        if (_shard && _count > 1 && InputObject.BaseObject is EmbeddingRecord record) WriteObject(record.InShard(_index, _count));
        else WriteObject(InputObject);
    }

    protected override void EndProcessing() => WriteVerbose($"Passed {_passed} of {_seen} objects.");

    private string? KeyOf(PSObject item)
    {
        var value = item.BaseObject;
        if (By == ShardKey.Cluster)
        {
            int? cluster = value is EmbeddingRecord r ? r.Cluster : item.Properties["Cluster"]?.Value is { } c ? Convert.ToInt32(c, CultureInfo.InvariantCulture) : null;
            if (cluster is null) { WriteError(NoKey(item, "has no Cluster: pipe the records through Invoke-KMeans (-Model) before sharding by cluster")); return null; }
            return cluster.Value.ToString(CultureInfo.InvariantCulture);
        }
        if (Property is not null)
        {
            var p = item.Properties[Property];
            if (p?.Value is null) { WriteError(NoKey(item, $"has no '{Property}' property (or it is null)")); return null; }
            return Convert.ToString(p.Value, CultureInfo.InvariantCulture);
        }
        switch (value)
        {
            case EmbeddingRecord record: return record.Id;
            case string s: return s;
            case FileSystemInfo file:
                // Relative paths with '/' are the same key on every OS and mount point.
                return _relativeTo is null ? file.FullName : System.IO.Path.GetRelativePath(_relativeTo, file.FullName).Replace('\\', '/');
        }
        if (item.Properties["Id"]?.Value is { } id) return Convert.ToString(id, CultureInfo.InvariantCulture);
        WriteError(NoKey(item, "has no Id property; name the key with -Property"));
        return null;
    }

    private ErrorRecord NoKey(PSObject item, string why) => ErrorHelper.NoShardKey(item, _seen - 1, why);
}

using System.Globalization;

namespace PruneCmdlets.Sharding;

/// <summary>
/// Which shard this process is, for every cmdlet that takes -Index/-Count and for
/// examples/slurm/prune-step.ps1 (which calls <see cref="Resolve"/> so that its file names and
/// the cmdlets' shard can never disagree): the parameters when given, otherwise the scheduler's
/// variables. Slurm job arrays set SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN,
/// SLURM_ARRAY_TASK_STEP and SLURM_ARRAY_TASK_COUNT (so --array=1-16 is shards 0 to 15 of 16);
/// Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX only, so -Count is needed with them.
/// Public because a script reaches it as [PruneCmdlets.Sharding.ShardEnvironment]::Resolve.
/// </summary>
public static class ShardEnvironment
{
    /// <summary>The shard from <paramref name="index"/>/<paramref name="count"/> where given, else from the scheduler's variables.</summary>
    /// <exception cref="ShardEnvironmentException">No index or count can be found, or one is out of range or not a number.</exception>
    public static ShardPosition Resolve(int? index, int? count)
    {
        string? slurmId = Env("SLURM_ARRAY_TASK_ID"), slurmCount = Env("SLURM_ARRAY_TASK_COUNT"), k8s = Env("JOB_COMPLETION_INDEX");
        string source = "-Index";
        if (index is null)
        {
            if (slurmId is not null)
            {
                long id = Number("SLURM_ARRAY_TASK_ID", slurmId), min = Number("SLURM_ARRAY_TASK_MIN", Env("SLURM_ARRAY_TASK_MIN") ?? "0");
                long step = Number("SLURM_ARRAY_TASK_STEP", Env("SLURM_ARRAY_TASK_STEP") ?? "1");
                if (step < 1 || (id - min) % step != 0)
                    throw new ShardEnvironmentException("InvalidShardEnvironment", $"SLURM_ARRAY_TASK_ID {id} is not MIN {min} plus a multiple of STEP {step}; submit an evenly stepped array (e.g. --array=0-15).");
                index = (int)((id - min) / step);
                source = $"SLURM_ARRAY_TASK_ID {id} (min {min}, step {step})";
            }
            else if (k8s is not null)
            {
                index = (int)Number("JOB_COMPLETION_INDEX", k8s);
                source = $"JOB_COMPLETION_INDEX {k8s}";
            }
            else
                throw new ShardEnvironmentException("ShardIndexRequired",
                    "Give -Index and -Count, or run inside a Slurm job array (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with -Count).");
        }
        if (count is null)
        {
            if (slurmCount is not null && slurmId is not null) count = (int)Number("SLURM_ARRAY_TASK_COUNT", slurmCount);
            else
                throw new ShardEnvironmentException("ShardCountRequired",
                    $"The shard index comes from {source}, but nothing says how many shards there are: give -Count (Kubernetes Indexed Jobs: the Job's completions).");
        }
        if (count < 1) throw new ShardEnvironmentException("InvalidShardCount", $"-Count must be at least 1; got {count}.");
        if (index < 0 || index >= count)
            throw new ShardEnvironmentException("InvalidShardIndex", $"Shard index {index} (from {source}) is outside 0 to {count - 1} for {count} shards.");
        return new ShardPosition(index.Value, count.Value);
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static long Number(string name, string text)
        => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v
            : throw new ShardEnvironmentException("InvalidShardEnvironment", $"The environment variable {name} is '{text}', not a whole number.");
}

/// <summary>One shard of a sharded run: <see cref="Index"/> of <see cref="Count"/> (0-based).</summary>
public sealed record ShardPosition(int Index, int Count);

/// <summary>No usable shard index or count: the stable id a cmdlet reports it under (ShardIndexRequired, ShardCountRequired, InvalidShardEnvironment, InvalidShardCount, InvalidShardIndex).</summary>
public sealed class ShardEnvironmentException(string errorId, string message) : ArgumentException(message)
{
    public string ErrorId { get; } = errorId;
}

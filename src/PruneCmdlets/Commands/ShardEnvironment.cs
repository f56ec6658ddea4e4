using System.Globalization;
using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>
/// Which shard this process is, for every cmdlet that takes -Index/-Count: the parameters when
/// given, otherwise the scheduler's variables. Slurm job arrays set SLURM_ARRAY_TASK_ID,
/// SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_STEP and SLURM_ARRAY_TASK_COUNT (so --array=1-16 is
/// shards 0 to 15 of 16); Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX only, so -Count is
/// needed with them.
/// </summary>
internal static class ShardEnvironment
{
    public static (int Index, int Count) Resolve(PSCmdlet cmdlet, int? index, int? count)
    {
        string? slurmId = Env("SLURM_ARRAY_TASK_ID"), slurmCount = Env("SLURM_ARRAY_TASK_COUNT"), k8s = Env("JOB_COMPLETION_INDEX");
        string source = "-Index";
        if (index is null)
        {
            if (slurmId is not null)
            {
                long id = Number(cmdlet, "SLURM_ARRAY_TASK_ID", slurmId), min = Number(cmdlet, "SLURM_ARRAY_TASK_MIN", Env("SLURM_ARRAY_TASK_MIN") ?? "0");
                long step = Number(cmdlet, "SLURM_ARRAY_TASK_STEP", Env("SLURM_ARRAY_TASK_STEP") ?? "1");
                if (step < 1 || (id - min) % step != 0)
                    Fail(cmdlet, "InvalidShardEnvironment", $"SLURM_ARRAY_TASK_ID {id} is not MIN {min} plus a multiple of STEP {step}; submit an evenly stepped array (e.g. --array=0-15).");
                index = (int)((id - min) / step);
                source = $"SLURM_ARRAY_TASK_ID {id} (min {min}, step {step})";
            }
            else if (k8s is not null)
            {
                index = (int)Number(cmdlet, "JOB_COMPLETION_INDEX", k8s);
                source = $"JOB_COMPLETION_INDEX {k8s}";
            }
            else
                Fail(cmdlet, "ShardIndexRequired",
                    "Give -Index and -Count, or run inside a Slurm job array (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with -Count).");
        }
        if (count is null)
        {
            if (slurmCount is not null && slurmId is not null) count = (int)Number(cmdlet, "SLURM_ARRAY_TASK_COUNT", slurmCount);
            else
                Fail(cmdlet, "ShardCountRequired",
                    $"The shard index comes from {source}, but nothing says how many shards there are: give -Count (Kubernetes Indexed Jobs: the Job's completions).");
        }
        if (count < 1) Fail(cmdlet, "InvalidShardCount", $"-Count must be at least 1; got {count}.");
        if (index < 0 || index >= count)
            Fail(cmdlet, "InvalidShardIndex", $"Shard index {index} (from {source}) is outside 0 to {count - 1} for {count} shards.");
        return (index!.Value, count!.Value);
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static long Number(PSCmdlet cmdlet, string name, string text)
    {
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
            Fail(cmdlet, "InvalidShardEnvironment", $"The environment variable {name} is '{text}', not a whole number.");
        return v;
    }

    private static void Fail(PSCmdlet cmdlet, string id, string message)
        => cmdlet.ThrowTerminatingError(ErrorHelper.Terminating(id, ErrorCategory.InvalidArgument, message));
}

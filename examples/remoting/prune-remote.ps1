#Requires -Version 7.4
<#
.SYNOPSIS
    Prunes an image folder in shards across machines over PowerShell remoting (SSH) and keeps
    exactly the records one process keeps.
.DESCRIPTION
    Runs the seven steps of examples/slurm/prune-step.ps1 in order, each after the one before it
    succeeded: the single steps (Fit, Plan, Cut, Collect) on the first host, the per-shard steps
    (Shard, Round2, Select) fanned out with Invoke-Command -ThrottleLimit, shard i on host
    i mod (number of hosts). The first failure stops the run: the other shards of that step are
    stopped and no later step starts. Every step is idempotent, so the same command run again
    skips what is done and goes on from the failed step.

    What crosses the network: the settings and the hosts' console lines. The steps exchange the
    k-means model (K x D floats), one summary of a few KB per shard and round, the cut and the
    per-shard decision lists through the shared folder; no embedding ever leaves the host that
    computed it (each shard's stay in <Work>/emb/<i>.parquet).

    Every host needs PowerShell 7.4+ reachable as an SSH subsystem (sshd_config:
    `Subsystem powershell /usr/bin/pwsh -sshs -NoLogo`, key-based login), this repository built
    at -RepoPath (`dotnet tool restore && dotnet pwsh ./build.ps1 -Task Build`), and one shared
    folder (NFS, SMB, ...) mounted at the same path, holding -Images and -Work. Give both as
    absolute paths as the hosts see them.

    -Local runs the same steps on this machine, each shard step as background jobs (Start-Job:
    separate pwsh processes, at most -ThrottleLimit at once), to try the flow without hosts.
.PARAMETER HostName
    The hosts, as Invoke-Command -HostName takes them ([user@]host[:port]). The first runs the
    single steps.
.PARAMETER Shards
    How many shards; 0 (the default) is one per host, or 4 with -Local.
.PARAMETER RepoPath
    Where this repository (built) is on the hosts; default: where it is here.
.EXAMPLE
    ./examples/remoting/prune-remote.ps1 -HostName node1, node2, node3 -Images /shared/photos -Work /shared/run -Shards 6 -KeepFraction 0.7
.EXAMPLE
    ./examples/remoting/prune-remote.ps1 -Local -Images ./photos -Work ./run -Shards 4 -ThrottleLimit 2
#>
[CmdletBinding(DefaultParameterSetName = 'Remote')]
param(
    [Parameter(Mandatory, ParameterSetName = 'Remote')] [string[]] $HostName,
    [Parameter(ParameterSetName = 'Remote')] [string] $UserName,
    [Parameter(ParameterSetName = 'Remote')] [string] $KeyFilePath,
    [Parameter(ParameterSetName = 'Remote')] [string] $RepoPath = (Split-Path (Split-Path $PSScriptRoot)),
    [Parameter(Mandatory, ParameterSetName = 'Local')] [switch] $Local,
    [Parameter(Mandatory)] [string] $Images,
    [Parameter(Mandatory)] [string] $Work,
    [ValidateRange(0, 100000)] [int] $Shards = 0,
    [ValidateRange(1, 1024)] [int] $ThrottleLimit = 32,
    # The policy, passed to every step (prune-step.ps1's parameters of the same names).
    [int] $K = 10,
    [double] $SampleFraction = 0.25,
    [ValidateSet('Hard', 'Easy', 'Random')] [string] $Keep = 'Hard',
    [double] $KeepFraction = 0.5,
    [ValidateSet('None', 'Label', 'Cluster', 'Density')] [string] $BalanceBy = 'Label',
    [long] $Seed = 1,
    [ValidateSet('None', 'LabelError')] [string] $Exclude = 'None'
)

$ErrorActionPreference = 'Stop'
# The steps in order; Array: once per shard, One: a single task. tests/ExamplesLint.Tests.ps1
# checks them against prune-step.ps1 and the Slurm and Kubernetes examples.
$Steps = [ordered]@{ Fit = 'One'; Shard = 'Array'; Plan = 'One'; Round2 = 'Array'; Cut = 'One'; Select = 'Array'; Collect = 'One' }

if ($Local) {
    $RepoPath = Split-Path (Split-Path $PSScriptRoot)
    $Images = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Images)
    $Work = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Work)
    if ($Shards -eq 0) { $Shards = 4 }
    $slots = [Math]::Min($Shards, $ThrottleLimit)
}
else {
    if ($Shards -eq 0) { $Shards = $HostName.Count }
    $slots = $HostName.Count
}
$stepScript = "$RepoPath/examples/slurm/prune-step.ps1"
$settings = @{
    Images = $Images; Work = $Work; Count = $Shards; K = $K; SampleFraction = $SampleFraction
    Keep = $Keep; KeepFraction = $KeepFraction; BalanceBy = $BalanceBy; Seed = $Seed; Exclude = $Exclude
}
# Which shards each slot (host, or local job) runs: i mod slots. A single step: -1, no shard.
$plan = @(for ($s = 0; $s -lt $slots; $s++) { , @(for ($i = $s; $i -lt $Shards; $i += $slots) { $i }) })

# Runs on a host (or in a local job): the given shards of one step, one after the other.
$runShards = {
    param([string] $Script, [string] $Step, [int[]] $Indexes, [hashtable] $Settings)
    $ErrorActionPreference = 'Stop'
    foreach ($i in $Indexes) {
        $one = $Settings.Clone()
        if ($i -ge 0) { $one.Index = $i }
        & $Script -Step $Step @one
    }
}
# The same, in a remote session: the session knows its slot, so one Invoke-Command fans out.
$runSlot = {
    param([string] $Script, [string] $Step, [object[]] $Plan, [hashtable] $Settings)
    $ErrorActionPreference = 'Stop'
    foreach ($i in $Plan[$global:PruneSlot]) {
        $one = $Settings.Clone()
        $one.Index = [int]$i
        & $Script -Step $Step @one
    }
}

# Waits for a step's jobs; the first that fails stops the others and the run.
function Wait-Step([string] $Step, [object[]] $Jobs) {
    $pending = [Collections.Generic.List[object]]::new($Jobs)
    try {
        while ($pending.Count) {
            $done = Wait-Job -Job $pending.ToArray() -Any
            $null = $pending.Remove($done)
            try { Receive-Job -Job $done -ErrorAction Stop }
            catch { throw "Step $Step failed on $($done.Location) ($($done.Name)): $_" }
            if ($done.State -ne 'Completed') { throw "Step $Step ended $($done.State) on $($done.Location) ($($done.Name)): $($done.JobStateInfo.Reason)" }
        }
    }
    finally {
        if ($pending.Count) { Stop-Job -Job $pending.ToArray() }
    }
}

$sessions = @()
$made = [Collections.Generic.List[object]]::new()   # every job started here, removed at the end
try {
    if (-not $Local) {
        $connect = @{ HostName = $HostName }
        if ($UserName) { $connect.UserName = $UserName }
        if ($KeyFilePath) { $connect.KeyFilePath = $KeyFilePath }
        $sessions = @(New-PSSession @connect)
        for ($s = 0; $s -lt $sessions.Count; $s++) {
            Invoke-Command -Session $sessions[$s] -ScriptBlock { param($Slot) $global:PruneSlot = $Slot } -ArgumentList $s
        }
    }
    foreach ($step in $Steps.Keys) {
        $started = [datetime]::UtcNow
        $jobs = @(
            if ($Local) {
                # A local job is its own pwsh process, as a host would be.
                $lists = [Collections.Generic.List[int[]]]::new()
                if ($Steps[$step] -eq 'One') { $lists.Add(@(-1)) } else { foreach ($p in $plan) { $lists.Add([int[]]$p) } }
                foreach ($list in $lists) {
                    Start-Job -Name "$step $($list -join ',')" -ScriptBlock $runShards -ArgumentList $stepScript, $step, $list, $settings
                }
            }
            elseif ($Steps[$step] -eq 'One') {
                Invoke-Command -Session $sessions[0] -AsJob -JobName $step -ScriptBlock $runShards -ArgumentList $stepScript, $step, @(-1), $settings
            }
            else {
                # One child job per host, at most -ThrottleLimit hosts at once.
                Invoke-Command -Session $sessions -ThrottleLimit $ThrottleLimit -AsJob -JobName $step -ScriptBlock $runSlot -ArgumentList $stepScript, $step, $plan, $settings
            })
        $made.AddRange($jobs)
        # Wait on the hosts one by one (the children of a remote fan-out), so the first failure stops the step.
        Wait-Step $step @($jobs | ForEach-Object { if ($Local -or $Steps[$step] -eq 'One') { $_ } else { $_.ChildJobs } })
        Write-Host ("{0} done in {1:N1} s" -f $step, ([datetime]::UtcNow - $started).TotalSeconds)
    }
}
finally {
    if ($made.Count) { Remove-Job -Job $made.ToArray() -Force }
    if ($sessions) { Remove-PSSession -Session $sessions }
}
Write-Host "Kept Ids: $(Join-Path $Work 'kept.txt')"

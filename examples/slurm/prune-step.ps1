#Requires -Version 7.4
<#
.SYNOPSIS
    One step of the sharded pruning pipeline that examples/slurm/submit.sh runs as Slurm jobs.
.DESCRIPTION
    The pipeline prunes an image folder in -Count shards and keeps exactly the records one
    process would keep (Select-PrunedSet on all of them), without moving an embedding between
    machines. Steps, in order (A: one task per shard of a job array; 1: a single task):

      Fit     1  embed a sample chosen by the files' own hash (the same whatever the sharding),
                 fit k-means on it, save the model            -> <Work>/model.json
                 with -Exclude LabelError, fit the label model on it too -> <Work>/labels.json
      Shard   A  embed this shard's files                      -> <Work>/emb/<i>.parquet
                 score them against the model, summarise (round 1) -> <Work>/r1/<i>.json
      Plan    1  merge the round-1 summaries                   -> <Work>/plan.json
      Round2  A  score again, summarise near each group's cut  -> <Work>/r2/<i>.json
      Cut     1  merge the round-2 summaries: the exact cut    -> <Work>/cut.json
      Select  A  keep this shard's side of the cut             -> <Work>/decided/<i>.csv
      Collect 1  every shard's kept Ids, sorted                -> <Work>/kept.txt

    -Exclude LabelError prunes the records whose label the label model finds wrong before the
    policy runs (Select-PrunedSet -Exclude LabelError), with the keep fraction still a fraction of
    every record. The model is the probe fitted on the sample (Find-DataIssue -SaveLabelModel),
    so each shard judges its records by the model alone and the run keeps exactly what one
    process keeps with that model. The images' folders are their labels; every class needs five
    images in the sample (the probe's cross-validation folds). Outlier, Duplicate and Leak are
    not offered here: the first two compare records across shards, so run them where all the
    embeddings are (see Find-DataIssue's help).

    Only the small JSON summaries and the decided lists travel between steps; the embeddings
    stay in the shard's Parquet file. Every step is idempotent: a step whose output exists does
    nothing, and every output is written to a temporary name and renamed, so a task killed part
    way and run again writes what an uninterrupted run writes.

    Each parameter defaults from an environment variable (PRUNE_IMAGES, PRUNE_WORK, ...), so the
    sbatch script and the Kubernetes Jobs pass nothing but -Step on the command line. The shard
    index comes from -Index, else from a Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _STEP), else
    from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX); the count from -Count, else
    PRUNE_SHARDS, else SLURM_ARRAY_TASK_COUNT. The same script runs the steps of
    examples/slurm/submit.sh, examples/kubernetes/run.sh and examples/remoting/prune-remote.ps1.
.EXAMPLE
    # One process, shard 2 of 4, by hand (the same commands the array task runs):
    ./examples/slurm/prune-step.ps1 -Step Shard -Images ./photos -Work ./run -Index 2 -Count 4
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [ValidateSet('Fit', 'Shard', 'Plan', 'Round2', 'Cut', 'Select', 'Collect')] [string] $Step,
    [string] $Images = $env:PRUNE_IMAGES,
    [string] $Work = $env:PRUNE_WORK,
    [int] $Index = -1,
    [int] $Count = $(if ($env:PRUNE_SHARDS) { [int]$env:PRUNE_SHARDS } else { 0 }),
    [int] $K = $(if ($env:PRUNE_K) { [int]$env:PRUNE_K } else { 10 }),
    [double] $SampleFraction = $(if ($env:PRUNE_SAMPLE_FRACTION) { [double]::Parse($env:PRUNE_SAMPLE_FRACTION, [cultureinfo]::InvariantCulture) } else { 0.25 }),
    [ValidateSet('Hard', 'Easy', 'Random')] [string] $Keep = $(if ($env:PRUNE_KEEP) { $env:PRUNE_KEEP } else { 'Hard' }),
    [double] $KeepFraction = $(if ($env:PRUNE_KEEP_FRACTION) { [double]::Parse($env:PRUNE_KEEP_FRACTION, [cultureinfo]::InvariantCulture) } else { 0.5 }),
    [ValidateSet('None', 'Label', 'Cluster', 'Density')] [string] $BalanceBy = $(if ($env:PRUNE_BALANCE_BY) { $env:PRUNE_BALANCE_BY } else { 'Label' }),
    [long] $Seed = $(if ($env:PRUNE_SEED) { [long]$env:PRUNE_SEED } else { 1 }),
    [ValidateSet('None', 'LabelError')] [string] $Exclude = $(if ($env:PRUNE_EXCLUDE) { $env:PRUNE_EXCLUDE } else { 'None' })
)

$ErrorActionPreference = 'Stop'
$repo = Split-Path (Split-Path $PSScriptRoot)
Import-Module (Join-Path $repo 'PruneCmdlets.psd1')
if (-not $Images -or -not $Work) { throw 'Give -Images and -Work (or PRUNE_IMAGES and PRUNE_WORK).' }
$Images = (Resolve-Path -LiteralPath $Images).ProviderPath
$null = New-Item -ItemType Directory -Force $Work
$Work = (Resolve-Path -LiteralPath $Work).ProviderPath

# The shard: -Index/-Count, else the scheduler's own variables, read by the module's
# ShardEnvironment, the same reader (and checks) as Select-Shard and Measure-ShardSummary, so the
# file names here and the shard those cmdlets take cannot disagree: a Slurm array (an ID that is
# not MIN plus a multiple of STEP is refused), or a Kubernetes Indexed Job, which gives only the
# index (JOB_COMPLETION_INDEX), so the count must come from PRUNE_SHARDS.
$shard = @{}
$me = $null
if ($Step -in 'Shard', 'Round2', 'Select') {
    [Nullable[int]] $givenIndex = if ($Index -ge 0) { $Index } else { $null }
    [Nullable[int]] $givenCount = if ($Count -gt 0) { $Count } else { $null }
    try { $position = [PruneCmdlets.Sharding.ShardEnvironment]::Resolve($givenIndex, $givenCount) }
    catch {
        $why = if ($_.Exception.InnerException -is [PruneCmdlets.Sharding.ShardEnvironmentException]) { $_.Exception.InnerException } else { $_.Exception }
        throw "$Step runs once per shard: $($why.Message) Here the index is -Index, else the Slurm array task or the Kubernetes pod's JOB_COMPLETION_INDEX; the count is -Count or PRUNE_SHARDS, else SLURM_ARRAY_TASK_COUNT. ($($why.ErrorId))"
    }
    $me = $position.Index
    $shard = @{ Index = $position.Index; Count = $position.Count }
}
$policy = @{ Keep = $Keep; KeepFraction = $KeepFraction; BalanceBy = $BalanceBy; Seed = $Seed }
if ($Exclude -ne 'None') { $policy.Exclude = $Exclude }
$labelModel = Join-Path $Work 'labels.json'

function Out-Path([string] $Folder, [string] $Extension) {
    $dir = Join-Path $Work $Folder
    $null = New-Item -ItemType Directory -Force $dir
    Join-Path $dir "$me$Extension"
}
function Skip([string] $Path) {
    if (Test-Path -LiteralPath $Path) { Write-Host "$Step $(if ($null -ne $me) { "shard $me " })already done: $Path"; return $true }
    $false
}
# Writes a small file whole or not at all: to a temporary name beside it, then renamed.
function Write-Lines([string] $Path, [string[]] $Lines) {
    $temp = "$Path.$PID.partial"
    [IO.File]::WriteAllLines($temp, $Lines)
    Move-Item -LiteralPath $temp $Path -Force
}
# An image Get-Embedding cannot decode is left out and the shard goes on, as one process leaves
# it out (its errors do not stop the pipeline); the shard lists them in <Work>/unreadable/<i>.txt
# ("path<TAB>error id<TAB>message"). The Shard step counts as embedded only when that list and
# the embeddings (or the empty-shard marker) both exist, so a shard killed between them embeds again.
function Save-Unreadable($Errors) {
    # A file that could not be read at all (an I/O error, no permission, gone since the listing)
    # is not a bad image: Get-Embedding says so with FileReadFailed, and the step fails, so the
    # scheduler retries it, instead of leaving the file out for good. Only what was read and could
    # not be decoded (ImageDecodeFailed, ImageTooLarge) goes on the list.
    $failedReads = @($Errors | Where-Object FullyQualifiedErrorId -Like 'FileReadFailed,*')
    if ($failedReads) { throw "Shard $me`: $($failedReads.Count) file(s) could not be read, e.g. $($failedReads[0].Exception.Message) Fix the access and run the step again." }
    $path = Out-Path 'unreadable' '.txt'
    # One line a file: path, error id, message; tabs and line breaks inside a name or message become spaces.
    $lines = @($Errors | ForEach-Object { "{0}`t{1}`t{2}" -f ("$($_.TargetObject)" -replace '[\t\r\n]', ' '), $_.FullyQualifiedErrorId, ($_.Exception.Message -replace '\s+', ' ') })
    Write-Lines $path $lines
    if ($lines.Count) { Write-Warning "Shard $me`: $($lines.Count) unreadable file(s) left out, listed in $path." }
}

# The shard's records scored against the one model: cheap next to embedding, so every step
# after Shard scores again rather than moving Distance columns around.
function Get-Scored {
    if (Test-Path -LiteralPath (Out-Path 'emb' '.none')) { return }   # an empty shard
    $model = Import-KMeansModel (Join-Path $Work 'model.json')
    if ($Exclude -eq 'LabelError') {
        # Each record judged by the label model alone, so a shard's flags are the whole set's.
        Import-Embedding (Out-Path 'emb' '.parquet') | Find-DataIssue -Check Label -LabelModel $labelModel | Measure-Prototypicality -Model $model
    }
    else { Import-Embedding (Out-Path 'emb' '.parquet') | Measure-Prototypicality -Model $model }
}

switch ($Step) {
    'Fit' {
        $out = Join-Path $Work 'model.json'
        $needLabels = $Exclude -eq 'LabelError' -and -not (Test-Path -LiteralPath $labelModel)
        if (-not $needLabels -and (Skip $out)) { break }
        $sample = @(Get-ChildItem -LiteralPath $Images -Recurse -File | Sort-Object FullName |
                Select-Shard -SampleFraction $SampleFraction -RelativeTo $Images |
                Get-Embedding -ErrorAction SilentlyContinue -ErrorVariable unreadable)
        if ($unreadable) { Write-Warning "Fit: $($unreadable.Count) unreadable image(s) in the sample were left out; the Shard step lists them." }
        # Each output is written whole or not at all, so a Fit killed between them fits only the other again.
        if ($needLabels) { $sample | Find-DataIssue -Check Label -Classifier Probe -Seed $Seed -SaveLabelModel $labelModel | Out-Null }
        if (-not (Test-Path -LiteralPath $out)) { $sample | Invoke-KMeans -K $K -Seed $Seed | Save-KMeansModel $out }
    }
    'Shard' {
        $emb = Out-Path 'emb' '.parquet'
        $none = Out-Path 'emb' '.none'
        $embedded = (Test-Path -LiteralPath $emb) -or (Test-Path -LiteralPath $none)
        if (-not $embedded -or -not (Test-Path -LiteralPath (Out-Path 'unreadable' '.txt'))) {
            $records = @(Get-ChildItem -LiteralPath $Images -Recurse -File | Sort-Object FullName |
                    Select-Shard @shard -RelativeTo $Images |
                    Get-Embedding -ErrorAction SilentlyContinue -ErrorVariable unreadable)
            Save-Unreadable $unreadable
            # A shard can hold no image at all (few files over many shards, or none readable): it
            # marks itself empty, and every later step of it works on no records. Exactly one of
            # emb/<i>.parquet and emb/<i>.none says what the shard holds: the other, left by an
            # earlier run, goes first, so it can never hide what this run writes.
            if ($records.Count) { Remove-Item -LiteralPath $none -ErrorAction Ignore; $records | Export-Embedding $emb }
            else {
                Write-Host "Shard $me holds no readable image."
                Remove-Item -LiteralPath $emb -ErrorAction Ignore
                Write-Lines $none @()
            }
            $records = $null
        }
        $out = Out-Path 'r1' '.json'
        if (Skip $out) { break }
        Get-Scored | Measure-ShardSummary $out @shard @policy
    }
    'Plan' {
        $out = Join-Path $Work 'plan.json'
        if (Skip $out) { break }
        Merge-ShardSummary (Join-Path $Work 'r1/*.json') $out -ShardCount $Count
    }
    'Round2' {
        $out = Out-Path 'r2' '.json'
        if (Skip $out) { break }
        Get-Scored | Measure-ShardSummary $out @shard -Plan (Join-Path $Work 'plan.json')
    }
    'Cut' {
        $out = Join-Path $Work 'cut.json'
        if (Skip $out) { break }
        Merge-ShardSummary (Join-Path $Work 'r2/*.json') $out -ShardCount $Count
    }
    'Select' {
        $out = Out-Path 'decided' '.csv'
        if (Skip $out) { break }
        $rows = @(Get-Scored | Select-PrunedSet -Cut (Join-Path $Work 'cut.json') -IncludePruned |
                Select-Object Id, Label, Cluster, Distance, Kept, Reason)
        if (-not $rows.Count) { Write-Lines $out '"Id","Label","Cluster","Distance","Kept","Reason"'; break }   # an empty shard: the header alone, as Export-Csv writes it
        $temp = "$out.$PID.partial"
        $rows | Export-Csv -LiteralPath $temp -NoTypeInformation -Encoding utf8NoBOM
        Move-Item -LiteralPath $temp $out -Force
    }
    'Collect' {
        $out = Join-Path $Work 'kept.txt'
        if (Skip $out) { break }
        $decided = @(Get-ChildItem -LiteralPath (Join-Path $Work 'decided') -Filter '*.csv' | Sort-Object Name)
        if ($decided.Count -ne $Count) { throw "Collect: $($decided.Count) decided shard files in $Work/decided, expected $Count." }
        $rows = @($decided | ForEach-Object { Import-Csv -LiteralPath $_.FullName })
        $kept = [string[]]@($rows | Where-Object Kept -EQ 'True' | ForEach-Object Id)
        [Array]::Sort($kept, [StringComparer]::Ordinal)
        Write-Lines $out $kept
        $unreadable = @(Get-ChildItem -LiteralPath (Join-Path $Work 'unreadable') -Filter '*.txt' -ErrorAction SilentlyContinue | ForEach-Object { [IO.File]::ReadAllLines($_.FullName) })
        $empty = @(Get-ChildItem -LiteralPath (Join-Path $Work 'emb') -Filter '*.none' -ErrorAction SilentlyContinue).Count
        if ($unreadable.Count) { Write-Warning "Collect: $($unreadable.Count) unreadable file(s) were left out, listed in $(Join-Path $Work 'unreadable')." }
        if ($empty) { Write-Host "Collect: $empty of $Count shards held no readable image." }
        Write-Host ("Collect: {0} records in {1} shards, {2} kept -> {3}" -f $rows.Count, $Count, $kept.Count, $out)
    }
}

#Requires -Version 7.4
<#
.SYNOPSIS
    Prunes a data set that grows every day, without redoing the old: each new batch is placed
    against the saved model and the saved cut, cleared of copies of what is already kept, and
    applied into the same destination as one more increment.
.DESCRIPTION
    Day 1 fits the k-means model and finds the cut once (a one-shard run of Measure-ShardSummary
    and Merge-ShardSummary), applies the decision into -Destination and saves the kept
    embeddings. Every later day:

        Import-KMeansModel model.json                                  # the saved model
        $batch | Measure-Prototypicality -Model $model |
            Find-DataIssue -Check Leak -Reference $keptSoFar |         # copies of a kept record
            Where-Object { $_.Issues -notcontains 'Leak' } |           #   are dropped
            Select-PrunedSet -Cut cut.json -IncludePruned |            # the saved cut
            Export-PrunedSet ./pruned -Increment                       # manifest.2.csv, prune.2.json

    The batch is scored against the saved model, so its Distances mean what day 1's meant, and
    -Cut keeps exactly the records on the kept side of day 1's cut: no refit, no re-selection of
    old records. Export-PrunedSet -Increment adds the new files and writes the day's manifest
    and prune.json under their own names (manifest.n.csv, prune.n.json), never rewriting a file
    of an earlier day; its journal grows by one run, and Undo-PrunedSet -Last takes back only
    the last day. The data here are small vectors with one file each, so it runs in seconds; use
    Get-Embedding or Import-Embedding for real data.
.EXAMPLE
    ./examples/increments.ps1 -OutputDirectory ./increments-output
#>
[CmdletBinding()]
param(
    [string] $OutputDirectory = (Join-Path $PWD 'increments-output'),
    [ValidateRange(0.01, 1.0)] [double] $KeepFraction = 0.6
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path (Split-Path $PSScriptRoot) 'PruneCmdlets.psd1')
if (Test-Path $OutputDirectory) { Remove-Item $OutputDirectory -Recurse -Force }
$run = New-Item -ItemType Directory (Join-Path $OutputDirectory 'run')
$destination = Join-Path $OutputDirectory 'pruned'

# One small file per record and a 16-D vector around one of three centres (a stand-in for an embedding).
function New-Batch([string] $Day, [int] $Count, [int] $Offset) {
    for ($i = 0; $i -lt $Count; $i++) {
        $n = $Offset + $i
        $c = $n % 3
        $path = Join-Path $OutputDirectory "data/$Day/class$c/item$n.txt"
        $null = New-Item -ItemType Directory -Force (Split-Path $path)
        Set-Content -LiteralPath $path -Value "record $n of $Day"
        $random = [Random]::new($n)
        $v = [float[]]::new(16)
        for ($d = 0; $d -lt 16; $d++) { $v[$d] = [float](($d -eq $c ? 2 : 0) + $random.NextDouble() - 0.5) }
        [pscustomobject]@{ Id = "$Day/item$n"; Path = $path; Label = "class$c"; Vector = $v }
    }
}

# ---- day 1: fit, find the cut, apply ------------------------------------------------------
$day1 = @(New-Batch 'day1' 30 0)
$clustered = @($day1 | Invoke-KMeans -K 3 -Seed 1)
$clustered | Select-Object -First 1 | Save-KMeansModel (Join-Path $run 'model.json')
$model = Import-KMeansModel (Join-Path $run 'model.json')
$scored = @($day1 | Measure-Prototypicality -Model $model)
# The cut, as a sharded run finds it (here one shard): saved once, applied to every later batch.
$scored | Measure-ShardSummary (Join-Path $run 'r1.json') -Index 0 -Count 1 -Keep Hard -KeepFraction $KeepFraction
Merge-ShardSummary (Join-Path $run 'r1.json') (Join-Path $run 'plan.json')
$scored | Measure-ShardSummary (Join-Path $run 'r2.json') -Index 0 -Count 1 -Plan (Join-Path $run 'plan.json')
Merge-ShardSummary (Join-Path $run 'r2.json') (Join-Path $run 'cut.json')
$decided1 = @($scored | Select-PrunedSet -Cut (Join-Path $run 'cut.json') -IncludePruned)
$applied1 = $decided1 | Export-PrunedSet $destination -RelativeTo (Join-Path $OutputDirectory 'data') -Increment
Write-Host "Day 1: $applied1 (increment $($applied1.Increment), $(Split-Path -Leaf $applied1.Manifest))"
# What is kept so far, for tomorrow's duplicate check (Export-Embedding saves it across days).
$decided1 | Where-Object Kept | Export-Embedding (Join-Path $run 'kept.parquet')

# ---- day 2: a new batch, two of its records copies of records kept on day 1 ----------------
$keptSoFar = @(Import-Embedding (Join-Path $run 'kept.parquet'))
$copies = $decided1 | Where-Object Kept | Select-Object -First 2 | ForEach-Object {
    $path = Join-Path $OutputDirectory "data/day2/$($_.Label)/copy-of-$(Split-Path -Leaf $_.Path)"
    $null = New-Item -ItemType Directory -Force (Split-Path $path)
    Copy-Item -LiteralPath $_.Path $path
    [pscustomobject]@{ Id = "day2/copy-of-$(Split-Path -Leaf $_.Path)"; Path = $path; Label = $_.Label; Vector = $_.Vector }
}
$day2 = @(New-Batch 'day2' 12 100) + @($copies)
$checked = @($day2 | Measure-Prototypicality -Model (Import-KMeansModel (Join-Path $run 'model.json')) |
    Find-DataIssue -Check Leak -Reference $keptSoFar)
$duplicates = @($checked | Where-Object { $_.Issues -contains 'Leak' })
Write-Host "Day 2: $($day2.Count) new records; $($duplicates.Count) copy a kept record and are dropped: $(($duplicates | ForEach-Object { "$($_.Id) = $($_.LeakOf)" }) -join ', ')"
$decided2 = @($checked | Where-Object { $_.Issues -notcontains 'Leak' } | Select-PrunedSet -Cut (Join-Path $run 'cut.json') -IncludePruned)
$applied2 = $decided2 | Export-PrunedSet $destination -RelativeTo (Join-Path $OutputDirectory 'data') -Increment
Write-Host "Day 2: $applied2 (increment $($applied2.Increment), $(Split-Path -Leaf $applied2.Manifest))"
Write-Host "In $destination`: $((Get-ChildItem $destination -File | ForEach-Object Name) -join ', ')"

# ---- a bad day is taken back alone -------------------------------------------------------
$undone = Undo-PrunedSet $destination -Last
Write-Host "Undo-PrunedSet -Last: $undone; day 1 stays: $((Get-ChildItem $destination -File | ForEach-Object Name) -join ', ')"

#Requires -Version 7.4
<#
.SYNOPSIS
    build.ps1 -Task Bench -Only DataIssuesScale: Find-DataIssue at scale, against exact search and scikit-learn.
.DESCRIPTION
    1. Recall (-Recall, on by default): recall@10 of the clustered (IVF) neighbour search against
       the exact search, at the default lists and probes and around them (PruneCmdlets.Bench
       issues-ivf), on a generated mixture of 1000 Gaussians at 200 000 × 128 and 200 000 × 512,
       and on the real Fashion-MNIST ResNet18 embeddings (train and test rows together) when
       -RealEmbeddings names them. Beyond 20 000 rows the exact neighbours are found by brute
       force for a seeded sample of -RecallQueries rows against all rows, and recall is measured
       on those rows (as faiss's benchmarks do); the exact time for all rows is extrapolated.
    2. Scale (-Scale): a seeded 10-class mixture of -Size × 512 float32 (default 1 000 000, with
       5% of the labels flipped and planted duplicates, outliers and leaks of a 10 000-row
       reference; examples/bench/data_issues_scale.py gen), then, one after the other, each under
       `nice -n 5` and /usr/bin/time -v (wall seconds, CPU seconds, peak resident memory):
       - ours: the exact search of a seeded sample of -Queries rows against all rows
         (issues-ivf --probes 0), beside scikit-learn's NearestNeighbors(algorithm='brute')
         kneighbors of the same number of rows: the cost of outliers, the neighbour classifier
         and duplicates by exact search; both extrapolated linearly to all rows;
       - ours: Find-DataIssue -Check Leak against the reference, all rows, beside scikit-learn's
         kneighbors(1) of all rows against the reference;
       - ours: Find-DataIssue with every check (label by the default neighbour classifier,
         outlier, duplicate, leak), all rows (the clustered search beyond 300 000 rows);
       - scikit-learn: cross_val_predict (5 folds) of LogisticRegression on a seeded sample of
         -ProbeSample rows, extrapolated linearly.
       The data files stay in -OutputDirectory (about 2 GB at 1M × 512); nothing is committed.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [Parameter(Mandatory)] [string] $Bench,
    [string] $Python = '/usr/bin/python3',
    [switch] $Recall,
    [switch] $Scale,
    [int] $RecallSize = 200000,
    [int] $RecallQueries = 5000,
    [string] $RealEmbeddings,
    [int] $Size = 1000000,
    [int] $Queries = 10000,
    [int] $ProbeSample = 50000,
    # A folder holding OpenBLAS's libblas.so.3 for scikit-learn's side, when numpy would load
    # Debian's reference BLAS (libblas3), which is 10× slower: the deb of libopenblas0-pthread
    # unpacked (dpkg-deb -x) gives usr/lib/x86_64-linux-gnu/openblas-pthread.
    [string] $BlasLibraryPath,
    [switch] $Quick
)
$ErrorActionPreference = 'Stop'
$repo = Split-Path (Split-Path $PSScriptRoot)
if (-not $Recall -and -not $Scale) { $Recall = [switch]$true }
if ($Quick) { $RecallSize = 20000; $RecallQueries = 1000; $Size = 20000; $Queries = 1000; $ProbeSample = 5000 }
$out = New-Item -ItemType Directory -Force (Join-Path $OutputDirectory 'data-issues-scale')
$script = Join-Path $PSScriptRoot 'data_issues_scale.py'
$rows = [Collections.Generic.List[object]]::new()
if ($BlasLibraryPath) { $env:LD_LIBRARY_PATH = (@($BlasLibraryPath, $env:LD_LIBRARY_PATH) | Where-Object { $_ }) -join ':' }
if ($Scale) {
    # Which BLAS numpy loaded: the reference BLAS would make scikit-learn look ten times slower than it is.
    $blas = & $Python -c "import numpy; print(next((l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l), 'none'))"
    Write-Host "scikit-learn's BLAS: $blas"
    if ($blas -match '/blas/libblas') { Write-Warning "numpy uses the reference BLAS ($blas): install libopenblas0-pthread or give -BlasLibraryPath, or scikit-learn's times are not its best." }
}

# One step under nice and /usr/bin/time -v: its last JSON line, wall and CPU seconds, peak RSS.
function Invoke-Measured([string] $Name, [string[]] $Command) {
    $log = Join-Path $out "$Name.time"
    $saved = @{}
    # The references run their best BLAS kernels (as examples/bench.ps1 runs them).
    foreach ($v in 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE') { $saved[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
    try { $lines = & /usr/bin/time -v -o $log nice -n 5 @Command }
    finally { foreach ($v in $saved.Keys) { [Environment]::SetEnvironmentVariable($v, $saved[$v]) } }
    if ($LASTEXITCODE) { throw "$Name failed (exit code $LASTEXITCODE)." }
    $t = Get-Content $log
    $field = { param($label) [double](($t | Where-Object { $_ -match "^\s*$([regex]::Escape($label)):" } | Select-Object -First 1) -replace '^.*:\s*', '') }
    $wall = ($t | Where-Object { $_ -match 'Elapsed \(wall clock\)' }) -replace '^.*\):\s*', ''
    $parts = $wall -split ':' | ForEach-Object { [double]$_ }
    $wallSeconds = 0; foreach ($p in $parts) { $wallSeconds = $wallSeconds * 60 + $p }
    [pscustomobject]@{
        Json = ($lines | Where-Object { $_ -like '{*' } | Select-Object -Last 1 | ConvertFrom-Json)
        WallSeconds = [Math]::Round($wallSeconds, 1)
        CpuSeconds = [Math]::Round((& $field 'User time (seconds)') + (& $field 'System time (seconds)'), 1)
        PeakMB = [Math]::Round((& $field 'Maximum resident set size (kbytes)') / 1024)
    }
}

# ---- 1. recall of the clustered search ------------------------------------------------------
if ($Recall) {
    $runs = @(
        @{ Name = "mixture-$RecallSize-128"; Args = @('--n', $RecallSize, '--d', 128, '--queries', $RecallQueries, '--probes', '16,32,64') }
        @{ Name = "mixture-$RecallSize-512"; Args = @('--n', $RecallSize, '--d', 512, '--queries', $RecallQueries, '--probes', '16,32,64') }
    )
    if ($RealEmbeddings) { $runs += @{ Name = 'fashion-mnist'; Args = @('--train', $RealEmbeddings, '--probes', '8,16,32') } }
    foreach ($r in $runs) {
        $m = Invoke-Measured "ivf-$($r.Name)" (@($Bench, 'issues-ivf') + $r.Args)
        foreach ($run in $m.Json.Runs) {
            $rows.Add([pscustomobject]@{ Part = 'IvfRecall'; Data = $r.Name; N = $m.Json.N; D = $m.Json.D; Lists = $run.Lists; Probes = $run.Probes
                    RecallAt10 = $run.Recall; MeasuredOn = if ($m.Json.ExactAllRowsExtrapolated) { "$($m.Json.Queries) sampled rows" } else { 'every row' }
                    Seconds = $run.Seconds; CpuSeconds = $run.CpuSeconds; ExactCpuSeconds = $m.Json.ExactCpuSecondsAllRows
                    ExactExtrapolated = $m.Json.ExactAllRowsExtrapolated; CpuSpeedUp = $run.CpuSpeedUp })
        }
    }
    $rows | Where-Object Part -EQ 'IvfRecall' | Format-Table Data, N, D, Lists, Probes, RecallAt10, MeasuredOn, Seconds, CpuSeconds, ExactCpuSeconds, ExactExtrapolated, CpuSpeedUp -AutoSize | Out-String -Width 250 | Out-Host
}

# ---- 2. every check at scale, against scikit-learn -----------------------------------------
if ($Scale) {
    $dir = New-Item -ItemType Directory -Force (Join-Path $out "mixture-$Size")
    $x = Join-Path $dir 'x.npy'; $ref = Join-Path $dir 'ref.npy'; $labels = Join-Path $dir 'labels.txt'
    if (-not (Test-Path (Join-Path $dir 'truth.npz'))) {
        & $Python $script gen --out $dir --n $Size | Out-Host
        if ($LASTEXITCODE) { throw 'Generating the mixture failed.' }
    }
    $child = Join-Path $out 'find-data-issue.ps1'
    Set-Content $child @'
param([string] $Module, [string] $X, [string] $Labels, [string] $Reference, [string[]] $Check, [string] $Flags)
Import-Module $Module
$ref = @(Import-Embedding $Reference -Model mixture)
$clock = [Diagnostics.Stopwatch]::StartNew()
$summary = $null; $flagged = @{}
Import-Embedding $X -LabelPath $Labels -Model mixture | Find-DataIssue -Check $Check -Reference $ref | ForEach-Object {
    if (-not $summary) { $summary = $_.DataIssues }
    foreach ($i in $_.Issues) { if (-not $flagged[$i]) { $flagged[$i] = [Collections.Generic.List[string]]::new() }; $flagged[$i].Add($_.Id) }
}
foreach ($i in $flagged.Keys) { Set-Content "$Flags.$i.txt" $flagged[$i] }
[pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; Counts = $summary.Counts; Search = $summary.NeighborSearch; Agreement = $summary.NeighborAgreement } | ConvertTo-Json -Compress -Depth 3
'@
    $exe = [Environment]::ProcessPath
    $prefix = @(); if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $prefix = @([Environment]::GetCommandLineArgs()[0]) }
    $pwsh = @($exe) + $prefix + @('-NoProfile', '-NonInteractive', '-File', $child, '-Module', (Join-Path $repo 'PruneCmdlets.psd1'), '-X', $x, '-Labels', $labels, '-Reference', $ref)
    function Add-Row($Check, $Who, $m, $Seconds, $Extrapolated, $Note) {
        $rows.Add([pscustomobject]@{ Part = 'Scale'; N = $Size; Check = $Check; Who = $Who; WallSeconds = [Math]::Round($Seconds, 1); CpuSecondsAllRows = $m.Cpu
                Extrapolated = $Extrapolated; PeakMB = $m.PeakMB; Note = $Note })
    }

    $ours = Invoke-Measured 'exact-sample-ours' @($Bench, 'issues-ivf', '--train', $x, '--queries', $Queries, '--probes', '0')
    $sk = Invoke-Measured 'knn-sklearn' @($Python, $script, 'knn', '--dir', $dir, '--queries', $Queries)
    $q = $ours.Json.Queries
    Add-Row 'neighbours, exact (outlier, label, duplicate)' 'PruneCmdlets (blocked kernel)' @{ Cpu = $ours.Json.ExactCpuSecondsAllRows; PeakMB = $ours.PeakMB } $ours.Json.ExactSecondsAllRows ($q -lt $Size) "$q sampled rows × all, scaled by N/$q"
    Add-Row 'neighbours, exact (outlier, label, duplicate)' 'scikit-learn NearestNeighbors brute' @{ Cpu = [Math]::Round($sk.Json.CpuSecondsAllRows, 1); PeakMB = $sk.PeakMB } $sk.Json.SecondsAllRows ($q -lt $Size) "$q sampled rows × all, scaled by N/$q"

    $oursLeak = Invoke-Measured 'leak-ours' ($pwsh + @('-Check', 'Leak', '-Flags', (Join-Path $dir 'leak-flags')))
    $skLeak = Invoke-Measured 'leak-sklearn' @($Python, $script, 'leak', '--dir', $dir)
    Add-Row 'leak against 10 000' 'PruneCmdlets Find-DataIssue -Check Leak' @{ Cpu = $oursLeak.CpuSeconds; PeakMB = $oursLeak.PeakMB } $oursLeak.WallSeconds $false "whole process (import included); Find-DataIssue alone $([Math]::Round($oursLeak.Json.Seconds, 1)) s; flagged $($oursLeak.Json.Counts.Leak)"
    Add-Row 'leak against 10 000' 'scikit-learn NearestNeighbors(1) brute' @{ Cpu = $skLeak.CpuSeconds; PeakMB = $skLeak.PeakMB } $skLeak.WallSeconds $false "whole process (load included); kneighbors alone $([Math]::Round($skLeak.Json.Seconds, 1)) s; flagged $($skLeak.Json.Flagged)"

    $all = Invoke-Measured 'all-ours' ($pwsh + @('-Check', 'Label,Outlier,Duplicate,Leak', '-Flags', (Join-Path $dir 'flags')))
    Add-Row 'every check (label by neighbours, outlier, duplicate, leak)' 'PruneCmdlets Find-DataIssue' @{ Cpu = $all.CpuSeconds; PeakMB = $all.PeakMB } $all.WallSeconds $false "$($all.Json.Search); counts $($all.Json.Counts | ConvertTo-Json -Compress)"
    $probe = Invoke-Measured 'probe-sklearn' @($Python, $script, 'probe', '--dir', $dir, '--sample', $ProbeSample)
    Add-Row 'label by logistic regression, 5-fold' 'scikit-learn cross_val_predict' @{ Cpu = [Math]::Round($probe.Json.CpuSecondsAllRows, 1); PeakMB = $probe.PeakMB } $probe.Json.SecondsAllRows ($ProbeSample -lt $Size) "$ProbeSample sampled rows, scaled by N/$ProbeSample"
    $score = & $Python $script score --dir $dir --flags (Join-Path $dir 'flags') | Where-Object { $_ -like '{*' } | ConvertFrom-Json
    $rows.Add([pscustomobject]@{ Part = 'ScaleFound'; N = $Size; Found = $score })
    $rows | Where-Object Part -EQ 'Scale' | Format-Table Check, Who, WallSeconds, CpuSecondsAllRows, Extrapolated, PeakMB, Note -AutoSize -Wrap | Out-String -Width 250 | Out-Host
    $score | Format-List | Out-Host
}
$rows

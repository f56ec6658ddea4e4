#Requires -Version 7.4
<#
.SYNOPSIS
    Benchmarks PruneCmdlets against reference implementations measured in the same run.
.DESCRIPTION
    Run through `./build.ps1 -Task Bench`. Every figure is printed beside a reference measured
    on the same machine in the same run, as a ratio, because shared machines are noisy:

      1. Lloyd k-means, 10 iterations from the same data and the same initial centroids, against
         scikit-learn and faiss, at (N, D, K) = (100k, 128, 100), (200k, 512, 1000), (1M, 64, 100).
      2. Nearest-centroid scoring at (1M, 128, 1000) against faiss IndexFlatL2 search, k = 1.
      3. k-means++ seeding cost at (200k, 512, 1000), in Lloyd iterations.
      4. End to end: Import-Embedding x.npy | Invoke-KMeans | Out-Null, split into iterations and
         everything else.
      5. Quality: inertia of the best of 10 k-means++ runs against scikit-learn's.
      6. Determinism: the same clusters with DOTNET_PROCESSOR_COUNT=1 and with every core.
      7. Get-Embedding images/s on 500×375 JPEGs against the raw model's images/s, and its
         start-up: the first record in a warm session, and a fresh pwsh over the whole command.
      8. Get-Embedding on large photos (12 MP and 4096×4096, made from Debian's wallpapers) per
         format: decode, resize and model ms timed alone, their sum-of-parts rate, Get-Embedding's
         rate and the ratio; peak memory of a fresh process over the 4096×4096 images.
      9. Text: Get-TextEmbedding texts/s and tokens/s on a generated corpus against the raw
         all-MiniLM-L6-v2 run on the same token batches; then end to end, embed → k-means →
         SemDeDup → prototypicality → select, with time per stage and peak memory, and the
         figures scaled to 100 000 texts.
     10. Lbfgs: our L-BFGS (Probing/Lbfgs.cs) against MathNet.Numerics' LimitedMemoryBfgsMinimizer
         on Test-PruningStrategy's logistic regression, both against scikit-learn's lbfgs on the
         same rows (docs/lbfgs-mathnet.md); needs python3-sklearn only.
     11. Parquet: Export-Embedding and Import-Embedding of 1M × 512 float32 as Parquet against
         the same as .npy, each step in a fresh pwsh: seconds, MB/s of vector payload, file size
         and peak working set beyond what the step starts with (and, for imports, beyond the
         records' own vectors), in row groups; -Quick runs 20 000 rows.
     13. DataIssues: Find-DataIssue on real data (examples/bench/data-issues.ps1): LabelError
         precision and recall against 10% flipped Fashion-MNIST labels beside scikit-learn's
         confident learning, a probe trained on keep-hard with and without -Exclude LabelError
         (the issue's probe, beside scikit-learn's scoring the same selections, and the probe on
         standardised features as a second instrument), leaks between edited copies of real photos and of Fashion-MNIST test images, and the
         time and peak memory of every check. -FashionMnistDirectory reuses embeddings.
     14. DataIssuesScale (only when named with -Only): the clustered neighbour search's recall@10
         against the exact search at 200 000 rows (examples/bench/data-issues-scale.ps1), and with
         -DataIssuesSize 1000000 every check at 1M × 512 against scikit-learn, time and peak memory.
     12. Shards: the exact sharded selection on 10M × 128 in 16 shards (-Quick: 200 000), in one
         process against PolicyRunner on all N, with a simulated 1000-shard merge; then as
         cmdlets, every shard step and merge a fresh pwsh: time and peak memory per step, the
         summaries' size, and the kept Ids compared with the one-process run's.

    The references are Debian's python3-sklearn and python3-faiss with libopenblas0-pthread;
    OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the reference command only, so the
    peers run their best kernels. Without them the bench says how to install them and still
    prints our figures. -Quick runs smaller sizes (a smoke test of the bench itself).
#>
[CmdletBinding()]
param(
    [string] $OutputDirectory = (Join-Path $PWD 'bench-output'),
    [switch] $Quick,
    # Parts to run; also one comma-separated string, which is how `build.ps1 -Task Bench -Only A,B`
    # (through pwsh -File) hands a list over.
    [ValidateScript({ $_ -split ',' | ForEach-Object { if ($_ -notin 'Lloyd', 'Score', 'Init', 'EndToEnd', 'Quality', 'Determinism', 'Embedding', 'EmbeddingPhotos', 'Text', 'Lbfgs', 'Shards', 'Parquet', 'DataIssues', 'DataIssuesScale') { throw "Unknown part '$_': use Lloyd, Score, Init, EndToEnd, Quality, Determinism, Embedding, EmbeddingPhotos, Text, Lbfgs, Shards, Parquet, DataIssues or DataIssuesScale." } }; $true })]
    [string[]] $Only,
    # Text only: run the whole text chain on this many generated texts (for example 100000)
    # instead of 10 000 real-chain texts plus the downstream stages at 10× on augmented vectors.
    [ValidateRange(100, 10000000)]
    [int] $TextEndToEnd,
    # DataIssues only: where the Fashion-MNIST images and their embedding cache are (or go).
    [string] $FashionMnistDirectory,
    # DataIssuesScale only: also run every check on this many generated records against
    # scikit-learn (for example 1000000; about 2 GB of data and an hour or more on 2 cores).
    [ValidateRange(0, 100000000)]
    [int] $DataIssuesSize
)
$Only = @($Only | ForEach-Object { $_ -split ',' } | Where-Object { $_ })

$ErrorActionPreference = 'Stop'
$repo = Split-Path $PSScriptRoot
$null = New-Item -ItemType Directory -Force $OutputDirectory
& dotnet build (Join-Path $repo 'src/PruneCmdlets.Bench/PruneCmdlets.Bench.csproj') -c Release -v:q -nologo -clp:ErrorsOnly | Out-Host
if ($LASTEXITCODE) { throw 'Building the benchmark program failed.' }
$bench = Join-Path $repo 'src/PruneCmdlets.Bench/bin/Release/net10.0/PruneCmdlets.Bench'
if ($IsWindows) { $bench += '.exe' }
$python = @('/usr/bin/python3', 'python3') | Where-Object { Get-Command $_ -ErrorAction SilentlyContinue } | Select-Object -First 1
$reference = Join-Path $PSScriptRoot 'bench/reference.py'
$peers = $python -and ((& $python -c 'import numpy, sklearn, faiss; print(1)' 2>$null) -eq '1')
if (-not $peers) {
    Write-Warning 'scikit-learn and faiss are not installed: printing our figures only. Install the references with: sudo apt-get install python3-sklearn python3-faiss libopenblas0-pthread'
}
# Every step that must run in a fresh pwsh goes through Invoke-ChildPwsh; its scripts end in
# `ConvertTo-Json -Compress` and -Json hands back the objects (or throws with the child's output).
. (Join-Path $repo 'tools/ChildPwsh.ps1')
$results = [Collections.Generic.List[object]]::new()
function Want([string] $part) { -not $Only -or $part -in $Only }

function Invoke-Ours([string[]] $Arguments) {
    $line = & $bench @Arguments | Select-Object -Last 1
    if ($LASTEXITCODE) { throw "PruneCmdlets.Bench $($Arguments -join ' ') failed." }
    $line | ConvertFrom-Json
}

# The reference gets its best BLAS kernels: the machine's OPENBLAS overrides are removed for
# this command alone, never for ours, the tests or CI.
function Invoke-Reference([string[]] $Arguments, [string] $Script = $reference, [bool] $Available = $peers) {
    if (-not $Available) { return @() }
    $saved = @{}
    foreach ($v in 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE') { $saved[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
    try { $lines = & $python $Script @Arguments }
    finally { foreach ($v in $saved.Keys) { [Environment]::SetEnvironmentVariable($v, $saved[$v]) } }
    @($lines | Where-Object { $_ -like '{*' } | ForEach-Object { $_ | ConvertFrom-Json })
}

function Get-Data([int] $N, [int] $D, [int] $K) {
    $x = Join-Path $OutputDirectory "x-$N-$D.npy"
    $c = Join-Path $OutputDirectory "c-$N-$D-$K.npy"
    if (-not (Test-Path $x) -or -not (Test-Path $c)) {
        & $bench gen --n $N --d $D --k $K --clusters ([Math]::Max($K, 10)) --out $x --init $c --seed 1
        if ($LASTEXITCODE) { throw 'Generating benchmark data failed.' }
    }
    @{ X = $x; C = $c }
}

$sizes = if ($Quick) { @(@(20000, 64, 50), @(20000, 128, 200)) } else { @(@(100000, 128, 100), @(200000, 512, 1000), @(1000000, 64, 100)) }

if (Want 'Lloyd') {
    Write-Host "`n== Lloyd k-means, 10 iterations, same data and initial centroids =="
    foreach ($s in $sizes) {
        $n, $d, $k = $s
        $data = Get-Data $n $d $k
        # Ours twice: as users run it (records whose centroid provably cannot change are
        # skipped) and with every record searched, which measures the kernel itself. Both make
        # the same assignments, so both must end with the same inertia.
        $ours = Invoke-Ours @('lloyd', '--data', $data.X, '--init', $data.C, '--iters', '10')
        $plain = Invoke-Ours @('lloyd', '--data', $data.X, '--init', $data.C, '--iters', '10', '--skip', '0')
        $refs = Invoke-Reference @('lloyd', $data.X, $data.C, '10')
        $best = $refs | Where-Object { $_.PSObject.Properties['seconds_per_iteration'] } | Sort-Object seconds_per_iteration | Select-Object -First 1
        # scikit-learn stops once no label changes (7 of the 10 iterations here); iterations after
        # that cost us almost nothing, so ours is averaged over as many iterations as the best peer ran.
        $count = if ($best) { [Math]::Min(10, [int]$best.iterations) } else { 10 }
        $oursSame = ($ours.seconds_by_iteration | Select-Object -First $count | Measure-Object -Average).Average
        $plainSame = ($plain.seconds_by_iteration | Select-Object -First $count | Measure-Object -Average).Average
        $row = [pscustomobject]@{
            Benchmark = 'lloyd'; N = $n; D = $d; K = $k; IterationsCompared = $count
            OursSecondsPerIter = [Math]::Round($oursSame, 4)
            OursSkipsSettledRecords = $ours.skip
            OursSecondsByIteration = $ours.seconds_by_iteration -join ' '
            OursSearchedFraction = [Math]::Round($ours.searched_fraction, 3)
            OursSearchedByIteration = $ours.searched_by_iteration -join ' '
            OursEverySearchedSecondsPerIter = [Math]::Round($plainSame, 4); OursEverySearchedGFlops = [Math]::Round(2.0 * $n * $k * $d / $plainSame / 1e9, 1)
            SameInertiaBothWays = $ours.inertia -eq $plain.inertia
            SklearnSecondsPerIter = ($refs | Where-Object impl -EQ 'scikit-learn').seconds_per_iteration
            SklearnElkanSecondsPerIter = ($refs | Where-Object impl -EQ 'scikit-learn-elkan').seconds_per_iteration
            FaissSecondsPerIter = ($refs | Where-Object impl -EQ 'faiss').seconds_per_iteration
            BestPeer = $best.impl
            RatioOursOverBest = if ($best) { [Math]::Round($oursSame / $best.seconds_per_iteration, 3) } else { $null }
            RatioEverySearchedOverBest = if ($best) { [Math]::Round($plainSame / $best.seconds_per_iteration, 3) } else { $null }
        }
        $results.Add($row); $row | Format-List | Out-Host
    }
}

if (Want 'Score') {
    Write-Host "`n== Nearest-centroid scoring vs faiss IndexFlatL2 (k = 1) =="
    $n, $d, $k = if ($Quick) { 50000, 128, 200 } else { 1000000, 128, 1000 }
    $data = Get-Data $n $d $k
    $ours = Invoke-Ours @('score', '--data', $data.X, '--init', $data.C)
    $faiss = Invoke-Reference @('score', $data.X, $data.C) | Where-Object impl -EQ 'faiss'
    $row = [pscustomobject]@{
        Benchmark = 'score'; N = $n; D = $d; K = $k; OursSeconds = [Math]::Round($ours.seconds, 4); OursGFlops = [Math]::Round($ours.gflops, 1)
        FaissSeconds = $faiss.seconds; RatioOursOverFaiss = if ($faiss) { [Math]::Round($ours.seconds / $faiss.seconds, 3) } else { $null }
        SameNearestOnFirst1000 = if ($faiss) { $ours.checksum -eq $faiss.checksum } else { $null }
    }
    $results.Add($row); $row | Format-List | Out-Host
}

if (Want 'Init') {
    Write-Host "`n== k-means++ seeding cost, in Lloyd iterations =="
    $n, $d, $k = if ($Quick) { 20000, 128, 200 } else { 200000, 512, 1000 }
    $data = Get-Data $n $d $k
    $ours = Invoke-Ours @('init', '--data', $data.X, '--k', "$k")
    $row = [pscustomobject]@{
        Benchmark = 'init'; N = $n; D = $d; K = $k; InitSeconds = [Math]::Round($ours.init_seconds, 3)
        IterationSeconds = [Math]::Round($ours.iteration_seconds, 3); InitInIterations = [Math]::Round($ours.init_seconds / $ours.iteration_seconds, 2)
    }
    $results.Add($row); $row | Format-List | Out-Host
}

if (Want 'EndToEnd') {
    Write-Host "`n== End to end: Import-Embedding x.npy | Invoke-KMeans | Out-Null =="
    $n, $d, $k = if ($Quick) { 20000, 128, 200 } else { 200000, 512, 1000 }
    $data = Get-Data $n $d $k
    # The issue's command verbatim, ending in Out-Null, four times in one process: the first
    # run pays for a cold process (JIT of PowerShell and of the module, first touches of fresh
    # memory, which are slow on virtual machines); the next three show the steady cost, and
    # their median is reported (the tiered JIT is still recompiling PowerShell in the
    # background during the second). Invoke-KMeans's verbose line carries the training and
    # iteration seconds; it goes to a file so the records still flow to Out-Null.
    # Import-Embedding | Out-Null alone shows what reading and passing records cost.
    $verbose = Join-Path $OutputDirectory 'end-to-end-verbose.txt'
    $script = @"
[cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
foreach (`$round in 'cold', 'warm', 'warm', 'warm') {
    `$sw = [Diagnostics.Stopwatch]::StartNew()
    Import-Embedding '$($data.X)' | Invoke-KMeans -K $k -Metric Euclidean -Init Random -MaxIterations 10 -Tolerance 0 -Seed 1 -Verbose 4>'$verbose' | Out-Null
    `$total = `$sw.Elapsed.TotalSeconds
    `$sw.Restart()
    Import-Embedding '$($data.X)' | Out-Null
    `$import = `$sw.Elapsed.TotalSeconds
    `$null = Get-Content '$verbose' | Where-Object { `$_ -match 'after (\d+) iterations in ([\d.]+)s \(([\d.]+)s of them in iterations\)' } | Select-Object -Last 1
    [pscustomobject]@{ round = `$round; total = `$total; count = [int]`$Matches[1]; training = [double]`$Matches[2]; iterations = [double]`$Matches[3]; import = `$import } | ConvertTo-Json -Compress
}
"@
    # PowerShell's own floor for the same records, in a fresh process: the two hops of the
    # command (into a cmdlet, out to Out-Null) with a cmdlet that does nothing with them.
    $floorScript = @"
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
foreach (`$round in 'cold', 'warm') { [pscustomobject]@{ round = `$round; seconds = (Measure-Command { Import-Embedding '$($data.X)' | Write-Output | Out-Null }).TotalSeconds } | ConvertTo-Json -Compress }
"@
    $runs = @(Invoke-ChildPwsh -Json $script)
    $floor = @(Invoke-ChildPwsh -Json $floorScript)
    $warm = @($runs | Where-Object round -EQ 'warm' | Sort-Object { ($_.total - $_.iterations) / $_.total })
    foreach ($e2e in @($runs | Where-Object round -EQ 'cold') + @($warm | Select-Object -Skip ([Math]::Floor($warm.Count / 2)) -First 1)) {
        $other = $e2e.total - $e2e.iterations
        $row = [pscustomobject]@{
            Benchmark = "end-to-end ($($e2e.round)$(if ($e2e.round -eq 'warm') { ", median of $($warm.Count)" }))"; N = $n; D = $d; K = $k; TotalSeconds = [Math]::Round($e2e.total, 2); IterationSeconds = [Math]::Round($e2e.iterations, 2)
            Iterations = $e2e.count; OtherSeconds = [Math]::Round($other, 2); OtherShare = [Math]::Round($other / $e2e.total, 3)
            # The same overhead per record: unlike the share, it does not grow when the iterations get faster.
            OtherMicrosecondsPerRecord = [Math]::Round($other / $n * 1e6, 2)
            OtherShareOfEachRun = if ($e2e.round -eq 'warm') { ($runs | Where-Object round -EQ 'warm' | ForEach-Object { [Math]::Round(($_.total - $_.iterations) / $_.total, 3) }) -join ', ' } else { $null }
            # Where "other" goes: k-means work outside the iterations (norms, final assignment,
            # exact inertia), reading the file plus the pipeline into Out-Null, and the rest
            # (passing records into Invoke-KMeans and its output out).
            TrainingOutsideIterationsSeconds = [Math]::Round($e2e.training - $e2e.iterations, 2)
            ImportToOutNullSeconds = [Math]::Round($e2e.import, 2)
            PipelineRestSeconds = [Math]::Round($e2e.total - $e2e.training - $e2e.import, 2)
            # The same records through Import-Embedding | Write-Output | Out-Null: what PowerShell
            # alone costs for the command's two hops, measured cold and warm in another process.
            PowerShellFloorSeconds = ($floor | Where-Object round -EQ $e2e.round | ForEach-Object { [Math]::Round($_.seconds, 2) } | Select-Object -Last 1)
        }
        $results.Add($row); $row | Format-List | Out-Host
    }
}

if (Want 'Quality') {
    Write-Host "`n== Quality: best of 10 k-means++ runs, inertia vs scikit-learn =="
    $sets = @(@{ Name = 'gaussian-mixture'; N = 20000; D = 32; K = 50 })
    $fmnist = Join-Path $OutputDirectory 'fashion-mnist-embeddings.npy'
    if (Test-Path $fmnist) { $sets += @{ Name = 'fashion-mnist-resnet18'; Path = $fmnist; K = 10 } }
    # One draw of 10 runs is luck as much as quality (on the mixture, seed 0 gives scikit-learn a
    # run that finds the true clustering and us none; seed 4 the reverse), so both sides run
    # the same seeds and the medians of their best-of-10 inertias are compared.
    foreach ($set in $sets) {
        $path = if ($set.Path) { $set.Path } else { (Get-Data $set.N $set.D $set.K).X }
        $seeds = if ($Quick -or $set.Path) { 0..2 } else { 0..9 }
        $ours = @($seeds | ForEach-Object { Invoke-Ours @('quality', '--data', $path, '--k', "$($set.K)", '--seed', "$_") })
        $sk = @($seeds | ForEach-Object { Invoke-Reference @('quality', $path, "$($set.K)", "$_") | Where-Object impl -EQ 'scikit-learn' })
        $median = { param($v) $s = @($v | Sort-Object); if ($s.Count % 2) { $s[[int][Math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
        $oursMedian = & $median $ours.inertia
        $skMedian = if ($sk) { & $median $sk.inertia } else { $null }
        $row = [pscustomobject]@{
            Benchmark = 'quality'; Data = $set.Name; N = $ours[0].n; D = $ours[0].d; K = $set.K; Seeds = "$($seeds[0])..$($seeds[-1])"
            OursInertiaBySeed = ($ours.inertia | ForEach-Object { [Math]::Round($_, 1) }) -join ' '
            SklearnInertiaBySeed = ($sk.inertia | ForEach-Object { [Math]::Round($_, 1) }) -join ' '
            OursMedian = $oursMedian; SklearnMedian = $skMedian
            RelativeGap = if ($sk) { [Math]::Round(($oursMedian - $skMedian) / $skMedian, 5) } else { $null }
        }
        $results.Add($row); $row | Format-List | Out-Host
    }
}

if (Want 'Determinism') {
    Write-Host "`n== Determinism: DOTNET_PROCESSOR_COUNT=1 vs all cores =="
    $data = Get-Data 20000 64 50
    # --skip 1: the bounds that skip settled records are on even at this small K·D.
    $all = Invoke-Ours @('lloyd', '--data', $data.X, '--init', $data.C, '--iters', '10', '--skip', '1')
    [Environment]::SetEnvironmentVariable('DOTNET_PROCESSOR_COUNT', '1')
    try { $one = Invoke-Ours @('lloyd', '--data', $data.X, '--init', $data.C, '--iters', '10', '--skip', '1') }
    finally { [Environment]::SetEnvironmentVariable('DOTNET_PROCESSOR_COUNT', $null) }
    $row = [pscustomobject]@{ Benchmark = 'determinism'; InertiaAllCores = $all.inertia; InertiaOneCore = $one.inertia; Identical = $all.inertia -eq $one.inertia }
    $results.Add($row); $row | Format-List | Out-Host
}

if (Want 'Embedding') {
    Write-Host "`n== Get-Embedding vs the raw model, 500×375 JPEGs =="
    $count = if ($Quick) { 40 } else { 300 }
    $dir = Join-Path $OutputDirectory "jpeg-500x375-$count"
    if (-not (Test-Path $dir)) {
        $null = New-Item -ItemType Directory -Force $dir
        Add-Type -Path (Join-Path $repo 'module/bin/SixLabors.ImageSharp.dll')
        if (-not ('PruneCmdlets.Examples.SyntheticImages' -as [type])) {
            Add-Type -Path (Join-Path $PSScriptRoot 'SyntheticImages.cs') -ReferencedAssemblies (Join-Path $repo 'module/bin/SixLabors.ImageSharp.dll') -IgnoreWarnings -WarningAction SilentlyContinue
        }
        for ($i = 0; $i -lt $count; $i++) { [PruneCmdlets.Examples.SyntheticImages]::SaveJpeg($i % 5, $i, 500, 375, (Join-Path $dir ('img{0:D4}.jpg' -f $i)), 90) }
    }
    # Both sides are measured warm. The raw model gets one warm-up run; Get-Embedding gets a
    # first, cold pass (which loads the model and JIT-compiles the decoder; reported as the
    # whole-command rate) and then three timed passes in the same process. The raw model runs
    # before and after them, so machine noise hits both sides alike; the ratio compares the
    # median warm pass with the mean of the two raw runs.
    $models = Join-Path $repo 'module/bin/models'
    $rawBefore = Invoke-Ours @('embed-raw', '--images', "$count", '--models', $models)
    $script = @"
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
foreach (`$round in 0..3) {
    `$sw = [Diagnostics.Stopwatch]::StartNew()
    `$first = `$null; `$n = 0
    Get-Embedding '$dir' | ForEach-Object { if (`$n -eq 0) { `$first = `$sw.Elapsed.TotalSeconds }; `$n++ }
    `$total = `$sw.Elapsed.TotalSeconds
    [pscustomobject]@{ round = `$round; total = `$total; first = `$first; count = `$n } | ConvertTo-Json -Compress
}
"@
    $rounds = @(Invoke-ChildPwsh -Json $script)
    $rawAfter = Invoke-Ours @('embed-raw', '--images', "$count", '--models', $models)
    $cold = $rounds | Where-Object round -EQ 0
    # Steady state: from the first record out to the last, so the pipeline's start-up is not charged to throughput.
    $warm = @($rounds | Where-Object round -GT 0 | ForEach-Object { ($_.count - 1) / ($_.total - $_.first) } | Sort-Object)
    $steady = $warm[[int][Math]::Floor($warm.Count / 2)]
    $rawRate = @($rawBefore.images_per_second, $rawAfter.images_per_second) | Measure-Object -Average | Select-Object -ExpandProperty Average
    $row = [pscustomobject]@{
        Benchmark = 'embedding'; Images = $count
        RawModelImagesPerSecond = [Math]::Round($rawRate, 1)
        RawModelBeforeAfter = '{0:F1} / {1:F1}' -f $rawBefore.images_per_second, $rawAfter.images_per_second
        GetEmbeddingImagesPerSecond = [Math]::Round($steady, 1)
        GetEmbeddingWarmPasses = ($warm | ForEach-Object { [Math]::Round($_, 1) }) -join ' '
        GetEmbeddingColdWholeCommandImagesPerSecond = [Math]::Round($cold.count / $cold.total, 1)
        Ratio = [Math]::Round($steady / $rawRate, 3)
        # Start-up: the slowest first record of the warm passes (each loads the model again).
        FirstRecordWarmSecondsMax = [Math]::Round((@($rounds | Where-Object round -GT 0).first | Measure-Object -Maximum).Maximum, 3)
    }
    # A fresh pwsh, as a user starts one: Import-Module to the last record, and the whole
    # process from launch (pwsh's own start included), each against the raw model's rate.
    $freshScript = "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'; `$n = 0; Get-Embedding '$dir' | ForEach-Object { `$n++ }; [pscustomobject]@{ count = `$n; seconds = `$sw.Elapsed.TotalSeconds } | ConvertTo-Json -Compress"
    $fresh = foreach ($try in 1..2) {
        $launch = [Diagnostics.Stopwatch]::StartNew()
        $f = Invoke-ChildPwsh -Json $freshScript | Select-Object -Last 1
        $wall = $launch.Elapsed.TotalSeconds
        [pscustomobject]@{ Command = $f.count / $f.seconds; Process = $f.count / $wall }
    }
    $row | Add-Member FreshCommandImagesPerSecond (($fresh.Command | ForEach-Object { [Math]::Round($_, 1) }) -join ' ')
    $row | Add-Member FreshCommandRatio (($fresh.Command | ForEach-Object { [Math]::Round($_ / $rawRate, 3) }) -join ' ')
    $row | Add-Member FreshProcessRatio (($fresh.Process | ForEach-Object { [Math]::Round($_ / $rawRate, 3) }) -join ' ')
    $results.Add($row); $row | Format-List | Out-Host
}

if (Want 'EmbeddingPhotos') {
    Write-Host "`n== Get-Embedding on large photos, per format, against the sum of its parts =="
    $photos = Join-Path $OutputDirectory 'photos'
    $sources = @(Get-ChildItem '/usr/share/backgrounds', '/usr/share/wallpapers' -Recurse -File -Include '*.jpg', '*.jpeg' -ErrorAction SilentlyContinue | Sort-Object FullName | Select-Object -First $(if ($Quick) { 1 } else { 3 }))
    if (-not (Test-Path $photos) -and -not $sources) {
        Write-Warning 'No source photos: install Debian wallpapers (sudo apt-get install gnome-backgrounds ukui-wallpapers) for the large-photo bench.'
    }
    else {
        if (-not (Test-Path $photos)) {
            & $bench gen-photos --sources ($sources.FullName -join ';') --out $photos
            if ($LASTEXITCODE) { throw 'Generating the large photos failed.' }
        }
        $models = Join-Path $repo 'module/bin/models'
        $workers = [Environment]::ProcessorCount
        $parts = Invoke-Ours @('embed-parts', '--dir', $photos, '--models', $models, '--repeat', '3')
        $raw = Invoke-Ours @('embed-raw', '--images', "$(20 * $workers)", '--models', $models)
        # Each folder nine times over (54 images: a pass of 18 left one core idle behind its last
        # image long enough to cost 5-13 % of the rate, measured), twice, after a warm-up pass over
        # every format (a decoder's first images pay for its JIT compilation).
        $script = @"
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
`$null = Get-Embedding '$photos'
foreach (`$format in '$((Get-ChildItem $photos -Directory | Sort-Object Name).Name -join "','")') {
    `$d = Join-Path '$photos' `$format
    foreach (`$round in 1..2) {
        `$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = @(Get-Embedding @(1..9 | ForEach-Object { `$d })).Count
        [pscustomobject]@{ format = `$format; count = `$n; seconds = `$sw.Elapsed.TotalSeconds } | ConvertTo-Json -Compress
    }
}
"@
        $runs = @(Invoke-ChildPwsh -Json $script)
        # Memory: a fresh process over every 4096×4096 photo with the default -ThrottleLimit.
        $memScript = "Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'; Get-ChildItem '$photos' -Recurse -File -Filter '*4096x4096*' | Get-Embedding | Out-Null; [pscustomobject]@{ peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 } | ConvertTo-Json -Compress"
        $peak = (Invoke-ChildPwsh -Json $memScript | Select-Object -Last 1).peak
        foreach ($f in $parts.formats) {
            $modelPerCore = 1000.0 * $workers / $raw.images_per_second
            $sum = 1000.0 * $workers / ($f.decode_ms + $f.resize_ms + $modelPerCore)
            $rates = @($runs | Where-Object format -EQ $f.format | ForEach-Object { $_.count / $_.seconds })
            $best = ($rates | Measure-Object -Maximum).Maximum
            $row = [pscustomobject]@{
                Benchmark = 'embedding-photos'; Format = $f.format; Files = $f.files; Workers = $workers
                DecodeMs = [Math]::Round($f.decode_ms, 1); ResizeMs = [Math]::Round($f.resize_ms, 1)
                ModelMsAlone = [Math]::Round($f.model_ms, 1); ModelMsPerCoreUnderLoad = [Math]::Round($modelPerCore, 1)
                SumOfPartsImagesPerSecond = [Math]::Round($sum, 2)
                GetEmbeddingImagesPerSecond = ($rates | ForEach-Object { [Math]::Round($_, 2) }) -join ' '
                Ratio = [Math]::Round($best / $sum, 3)
                Decoder = 'ImageSharp (full-size decode)'
                # Not the target's reference: the decode timed with every core decoding at once
                # (per file median, as DecodeMs), which is what Get-Embedding's workers meet.
                DecodeMsUnderLoad = [Math]::Round($f.decode_ms_under_load, 1)
                RatioWithDecodeUnderLoad = [Math]::Round($best / (1000.0 * $workers / ($f.decode_ms_under_load + $f.resize_ms + $modelPerCore)), 3)
            }
            $results.Add($row); $row | Format-List | Out-Host
        }
        $row = [pscustomobject]@{ Benchmark = 'embedding-photos-memory'; Images = @(Get-ChildItem $photos -Recurse -File -Filter '*4096x4096*').Count; ThrottleLimit = $workers; PeakWorkingSetMB = [Math]::Round([double]$peak / 1MB) }
        $results.Add($row); $row | Format-List | Out-Host
    }
}

if (Want 'Text') {
    Write-Host "`n== Get-TextEmbedding vs the raw all-MiniLM-L6-v2 on the same token batches =="
    $models = Join-Path $repo 'module/bin/models'
    $vocab = Join-Path $models 'all-MiniLM-L6-v2.vocab.txt'
    $count = if ($Quick) { 256 } else { 2048 }
    $texts = Join-Path $OutputDirectory "texts-$count.txt"
    if (-not (Test-Path $texts)) { & $bench text-gen --n $count --out $texts --vocab $vocab --seed 1; if ($LASTEXITCODE) { throw 'Generating texts failed.' } }
    # As for images: the raw model runs before and after our passes, so noise hits both sides;
    # our first pass is cold (model load, JIT); two warm passes follow in the same process and
    # are timed as whole commands (model load included, so the ratio is conservative).
    $rawBefore = Invoke-Ours @('text-raw', '--texts', $texts, '--models', $models)
    $script = @"
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
foreach (`$round in 0..2) {
    `$sw = [Diagnostics.Stopwatch]::StartNew()
    `$n = 0; `$tokens = 0
    Get-TextEmbedding -Path '$texts' | ForEach-Object { `$n++; `$tokens += `$_.TokenCount }
    `$total = `$sw.Elapsed.TotalSeconds
    [pscustomobject]@{ round = `$round; total = `$total; count = `$n; tokens = `$tokens } | ConvertTo-Json -Compress
}
"@
    $rounds = @(Invoke-ChildPwsh -Json $script)
    $rawAfter = Invoke-Ours @('text-raw', '--texts', $texts, '--models', $models)
    $warm = @($rounds | Where-Object round -GT 0 | ForEach-Object { $_.count / $_.total } | Sort-Object)
    $rawRate = ($rawBefore.texts_per_second + $rawAfter.texts_per_second) / 2
    $meanTokens = $rounds[0].tokens / $rounds[0].count
    $row = [pscustomobject]@{
        Benchmark = 'text-embedding'; Texts = $count; MeanTokens = [Math]::Round($meanTokens, 1); SameTokensAsRaw = $rounds[0].tokens -eq $rawBefore.tokens
        RawModelTextsPerSecond = [Math]::Round($rawRate, 1); RawModelTokensPerSecond = [Math]::Round($rawRate * $meanTokens, 0)
        RawModelBeforeAfter = '{0:F1} / {1:F1}' -f $rawBefore.texts_per_second, $rawAfter.texts_per_second
        GetTextEmbeddingTextsPerSecond = [Math]::Round($warm[-1], 1); GetTextEmbeddingTokensPerSecond = [Math]::Round($warm[-1] * $meanTokens, 0)
        GetTextEmbeddingWarmPasses = ($warm | ForEach-Object { [Math]::Round($_, 1) }) -join ' '
        GetTextEmbeddingCold = [Math]::Round($rounds[0].count / $rounds[0].total, 1)
        Ratio = [Math]::Round($warm[-1] / $rawRate, 3)
    }
    $results.Add($row); $row | Format-List | Out-Host

    Write-Host "`n== Text end to end: Get-TextEmbedding | Invoke-KMeans | Invoke-SemDeDup | Measure-Prototypicality | Select-PrunedSet =="
    # 100 000 texts take over 10 minutes to embed on two shared cores, so the whole chain runs
    # on n texts, and the stages after the embedding run again at 10·n on vectors made from
    # the n real ones (ten copies, each value plus N(0, 0.02²) noise: cosine ≈ 0.93 to the
    # original), K = N/100 both times. The 100k figure is then embedding scaled linearly
    # (its rate is flat in N) plus the measured downstream.
    $n = if ($TextEndToEnd) { $TextEndToEnd } elseif ($Quick) { 500 } else { 10000 }
    $file = Join-Path $OutputDirectory "texts-$n.txt"
    $npy = Join-Path $OutputDirectory "text-vectors-$n.npy"
    $big = Join-Path $OutputDirectory "text-vectors-$(10 * $n).npy"
    if (-not (Test-Path $file)) { & $bench text-gen --n $n --out $file --vocab $vocab --seed 2; if ($LASTEXITCODE) { throw 'Generating texts failed.' } }
    function Invoke-Chain([string] $Source, [int] $K, [string] $ExportTo) {
        $script = @"
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
`$null = 'warm up' | Get-TextEmbedding
[GC]::Collect()
`$base = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$e = $Source; `$t1 = `$sw.Elapsed.TotalSeconds
`$c = `$e | Invoke-KMeans -K $K -Seed 1; `$t2 = `$sw.Elapsed.TotalSeconds
`$d = `$c | Invoke-SemDeDup -Epsilon 0.05; `$t3 = `$sw.Elapsed.TotalSeconds
`$s = `$d | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.7; `$t4 = `$sw.Elapsed.TotalSeconds
`$peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
if ('$ExportTo') { `$e | Export-Embedding '$ExportTo' -Confirm:`$false }
[pscustomobject]@{ first = `$t1; kmeans = `$t2 - `$t1; semdedup = `$t3 - `$t2; select = `$t4 - `$t3; total = `$t4; peak = `$peak; base = `$base; kept_dedup = `$d.Count; selected = `$s.Count } | ConvertTo-Json -Compress
"@
        Invoke-ChildPwsh -Json $script | Select-Object -Last 1
    }
    $real = Invoke-Chain "Get-TextEmbedding -Path '$file'" ([Math]::Max(5, $n / 100)) ($TextEndToEnd ? '' : $npy)
    $row = [ordered]@{
        Benchmark = 'text-end-to-end'; Texts = $n
        EmbedSeconds = [Math]::Round($real.first, 1); KMeansSeconds = [Math]::Round($real.kmeans, 2); SemDeDupSeconds = [Math]::Round($real.semdedup, 2)
        SelectSeconds = [Math]::Round($real.select, 2); TotalSeconds = [Math]::Round($real.total, 1)
        DuplicatesRemoved = $n - $real.kept_dedup; Selected = $real.selected
        PeakWorkingSetMB = [Math]::Round($real.peak / 1MB); BaseWorkingSetMB = [Math]::Round($real.base / 1MB)
    }
    if (-not $TextEndToEnd) {
        & $bench text-augment --in $npy --copies 10 --sigma 0.02 --out $big --seed 3
        if ($LASTEXITCODE) { throw 'Making the 10× vectors failed.' }
        $scaled = Invoke-Chain "Import-Embedding '$big'" ([Math]::Max(5, $n / 10)) ''
        $row.DownstreamAt10xN = 10 * $n
        $row.DownstreamAt10xImportSeconds = [Math]::Round($scaled.first, 2); $row.DownstreamAt10xKMeansSeconds = [Math]::Round($scaled.kmeans, 1)
        $row.DownstreamAt10xSemDeDupSeconds = [Math]::Round($scaled.semdedup, 1); $row.DownstreamAt10xSelectSeconds = [Math]::Round($scaled.select, 1)
        $row.DownstreamAt10xPeakWorkingSetMB = [Math]::Round($scaled.peak / 1MB)
        $row.EstimatedSecondsAt10xN = [Math]::Round(10 * $real.first + $scaled.kmeans + $scaled.semdedup + $scaled.select, 0)
    }
    $row = [pscustomobject]$row
    $results.Add($row); $row | Format-List | Out-Host
}

if (Want 'Lbfgs') {
    Write-Host "`n== L-BFGS: ours vs MathNet.Numerics LimitedMemoryBfgsMinimizer, both vs scikit-learn (C = 1, gtol 1e-6 per sample) =="
    $sklearn = $python -and ((& $python -c 'import numpy, sklearn; print(1)' 2>$null) -eq '1')
    if (-not $sklearn) { Write-Warning 'scikit-learn is not installed: the L-BFGS part compares ours with MathNet only. Install it with: sudo apt-get install python3-sklearn' }
    $problems = if ($Quick) { @('small') } else { @('small', 'blobs', 'illcond') }
    foreach ($problem in $problems) {
        $dir = Join-Path $OutputDirectory "logreg-$problem"
        if (-not (Test-Path (Join-Path $dir 'test-y.npy'))) {
            & $bench lbfgs-gen --problem $problem --out $dir --seed 1 | Out-Null
            if ($LASTEXITCODE) { throw 'Generating the logistic-regression problems failed.' }
        }
        $coef = Join-Path $dir 'sklearn-coef.txt'
        $sk = Invoke-Reference @((Join-Path $dir 'train-x.npy'), (Join-Path $dir 'train-y.npy'), (Join-Path $dir 'test-x.npy'), (Join-Path $dir 'test-y.npy'), '1', '1e-6', '1000', $coef) `
            -Script (Join-Path $PSScriptRoot 'bench/logreg_reference.py') -Available $sklearn | Select-Object -First 1
        $arguments = @('lbfgs', '--dir', $dir, '--problem', $problem) + @(if ($sk) { '--sklearn', $coef })
        $r = Invoke-Ours $arguments
        foreach ($run in $r.runs) {
            $row = [pscustomobject]@{
                Benchmark = 'lbfgs'; Problem = $problem; N = $r.n; D = $r.d; K = $r.k; Impl = $run.impl
                Iterations = $run.iterations; Evaluations = $run.evaluations; ProgressCalls = $run.progress_calls; Stop = $run.stop
                Seconds = $run.seconds
                SecondsOverSklearn = if ($sk -and $run.seconds -is [double] -and -not [double]::IsNaN($run.seconds)) { [Math]::Round($run.seconds / $sk.seconds, 2) } else { $null }
                Objective = $run.objective; RelGapToSklearn = $run.rel_gap_to_sklearn; RelGapToOptimum = $run.rel_gap_to_optimum
                CoefRelDiffToSklearn = $run.coef_rel_diff_to_sklearn; CoefRelDiffToOptimum = $run.coef_rel_diff_to_optimum
                TestAccuracy = $run.test_accuracy
            }
            $results.Add($row)
        }
        $results | Where-Object { $_.Benchmark -eq 'lbfgs' -and $_.Problem -eq $problem } |
            Format-Table Impl, Iterations, Evaluations, ProgressCalls, Seconds, SecondsOverSklearn, @{ n = 'Objective'; e = { '{0:F6}' -f [double]$_.Objective } },
                @{ n = 'RelGapToSklearn'; e = { '{0:E2}' -f [double]$_.RelGapToSklearn } }, @{ n = 'RelGapToOptimum'; e = { '{0:E2}' -f [double]$_.RelGapToOptimum } },
                @{ n = 'CoefRelDiffToSklearn'; e = { '{0:E2}' -f [double]$_.CoefRelDiffToSklearn } }, @{ n = 'CoefRelDiffToOptimum'; e = { '{0:E2}' -f [double]$_.CoefRelDiffToOptimum } },
                TestAccuracy, Stop -AutoSize | Out-String -Width 300 | Out-Host
        if ($sk) { Write-Host ("scikit-learn {0}: {1} iterations, {2:F3} s, objective {3}, test accuracy {4}, converged {5}" -f $sk.version, $sk.iterations, $sk.seconds, $sk.objective, $sk.test_accuracy, $sk.converged) }
        $row = [pscustomobject]@{
            Benchmark = 'lbfgs-behaviour'; Problem = $problem
            OursBitIdentical1VsAllThreads = $r.ours_bit_identical_1_vs_all_threads; MathNetBitIdentical1VsAllThreads = $r.mathnet_bit_identical_1_vs_all_threads
            CancelOurs = $r.cancel_ours; CancelMathNet = $r.cancel_mathnet
            MaxIterations2Ours = $r.max_iterations_2_ours; MaxIterations2MathNet = $r.max_iterations_2_mathnet
        }
        $results.Add($row); $row | Format-List | Out-Host
    }
}

if (Want 'Shards') {
    # The sharded selection protocol, twice on the same synthetic N x 128 unit vectors (quantised,
    # so distances tie) in 16 shards scored against one 64-centroid model, Hard 0.3 balanced by
    # cluster. First in one process: round 1, merge, round 2, merge, decide, checked against
    # PolicyRunner on all N in the same run, and the same N merged as 1000 simulated shards.
    # Then as a real sharded run does it: every shard step a fresh pwsh running the cmdlets on its
    # own shard (Export-Embedding to Parquet standing in for the end of embedding, round 1, round 2,
    # select), each merge a fresh pwsh too; per step its time and peak working set, and the kept
    # Ids compared with the one-process run's.
    $n = if ($Quick) { 200000 } else { 10000000 }
    $shards = 16
    Write-Host "`n== Shards: $n x 128 in $shards shards, and a 1000-shard merge =="
    $work = Join-Path $OutputDirectory "shards-$n"
    if (Test-Path $work) { Remove-Item -Recurse -Force $work }
    $null = New-Item -ItemType Directory $work
    $keptInProcess = Join-Path $work 'kept-in-process.txt'
    $r = Invoke-Ours @('shards', '--n', "$n", '--d', '128', '--shards', "$shards", '--simulate', '1000', '--kept-out', $keptInProcess)
    $r.steps | Format-Table shard, records, @{ n = 'score_s'; e = { '{0:F3}' -f $_.score_s } }, @{ n = 'round1_s'; e = { '{0:F3}' -f $_.round1_s } },
        round1_bytes, @{ n = 'allocated_mb'; e = { '{0:F1}' -f $_.allocated_mb } }, @{ n = 'vectors_mb'; e = { '{0:F1}' -f $_.vectors_mb } } -AutoSize | Out-Host
    $row = [pscustomobject]@{
        Benchmark = 'shards'; N = $r.n; D = $r.d; Shards = $r.shards; Policy = $r.policy
        Merge1Seconds = $r.merge1_s; Merge2Seconds = $r.merge2_s; Round2MaxSeconds = $r.round2_max_s; DecideMaxSeconds = $r.decide_max_s
        Round1BytesPerShard = $r.round1_bytes_mean; Round2BytesPerShard = $r.round2_bytes_mean; Round2BytesMax = $r.round2_bytes_max
        SingleProcessSelectSeconds = $r.single_select_s; MergesOverSingle = [Math]::Round(($r.merge1_s + $r.merge2_s) / $r.single_select_s, 3)
        SameAsSingleProcess = $r.same_as_single; Kept = $r.kept
        Simulated = $r.simulated; SimMerge1Seconds = $r.sim_merge1_s; SimMerge2Seconds = $r.sim_merge2_s; SimSameCut = $r.sim_same_cut
        PeakWorkingSetMB = $r.peak_working_set_mb
    }
    $results.Add($row); $row | Format-List | Out-Host

    Write-Host "== Shards as cmdlets: every step a fresh pwsh on its own shard =="
    $null = Invoke-Ours @('shard-gen', '--n', "$n", '--d', '128', '--shards', "$shards", '--out', $work)
    $module = Join-Path $repo 'PruneCmdlets.psd1'
    $scored = "Import-Embedding ./emb/`$s.parquet | Measure-Prototypicality -Model (Import-KMeansModel ./model.json)"
    $stepScripts = [ordered]@{
        Embed  = "Import-Embedding ./in/`$s.npy -IdPath ./in/`$s.ids | Export-Embedding ./emb/`$s.parquet"
        Round1 = "$scored | Measure-ShardSummary ./r1/`$s.json -Index `$s -Count $shards -Keep Hard -KeepFraction 0.3 -BalanceBy Cluster"
        Round2 = "$scored | Measure-ShardSummary ./r2/`$s.json -Index `$s -Count $shards -Plan ./plan.json"
        Select = "[IO.File]::WriteAllLines(`"`$PWD/kept/`$s.txt`", [string[]]@($scored | Select-PrunedSet -Cut ./cut.json | ForEach-Object Id))"
    }
    $merges = @{ Round1 = "Merge-ShardSummary ./r1/*.json ./plan.json -ShardCount $shards"; Round2 = "Merge-ShardSummary ./r2/*.json ./cut.json -ShardCount $shards" }
    function Invoke-ShardStep([string] $Command, [int] $Shard) {
        $script = "`$ErrorActionPreference = 'Stop'; `$s = $Shard; Import-Module '$module'; `$sw = [Diagnostics.Stopwatch]::StartNew(); $Command; " +
            "[pscustomobject]@{ seconds = `$sw.Elapsed.TotalSeconds; peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 } | ConvertTo-Json -Compress"
        try { Invoke-ChildPwsh -Json $script -WorkingDirectory $work | Select-Object -Last 1 }
        catch { throw "The shard step failed: $Command (shard $Shard): $_" }
    }
    foreach ($dir in 'emb', 'r1', 'r2', 'kept') { $null = New-Item -ItemType Directory -Force (Join-Path $work $dir) }
    $stepRows = [Collections.Generic.List[object]]::new()
    foreach ($step in $stepScripts.Keys) {
        $runs = foreach ($s in 0..($shards - 1)) { Invoke-ShardStep $stepScripts[$step] $s }
        $seconds = @($runs.seconds | Sort-Object)
        $row = [pscustomobject]@{
            Benchmark = 'shard-steps'; N = $n; Shards = $shards; Step = $step; RecordsPerShard = [int][Math]::Round($n / $shards)
            SecondsMedian = [Math]::Round(($seconds[[Math]::Floor(($shards - 1) / 2)] + $seconds[[Math]::Ceiling(($shards - 1) / 2)]) / 2, 2); SecondsMax = [Math]::Round($seconds[-1], 2)
            PeakWorkingSetMBMax = [Math]::Round(($runs.peak | Measure-Object -Maximum).Maximum / 1MB)
            MergeSeconds = $null; SummaryKBMean = $null
        }
        if ($merges.Contains($step)) {
            $merge = Invoke-ShardStep $merges[$step] 0
            $row.MergeSeconds = [Math]::Round($merge.seconds, 2)
            $row.SummaryKBMean = [Math]::Round((Get-ChildItem (Join-Path $work ($step -eq 'Round1' ? 'r1' : 'r2')) -Filter *.json | Measure-Object Length -Average).Average / 1KB, 1)
        }
        $stepRows.Add($row); $results.Add($row)
    }
    $stepRows | Format-Table Step, RecordsPerShard, SecondsMedian, SecondsMax, PeakWorkingSetMBMax, MergeSeconds, SummaryKBMean -AutoSize | Out-String -Width 200 | Out-Host
    $keptCmdlets = [string[]]@(Get-ChildItem (Join-Path $work 'kept') -Filter *.txt | ForEach-Object { [IO.File]::ReadAllLines($_.FullName) })
    [Array]::Sort($keptCmdlets, [StringComparer]::Ordinal)
    $keptReference = [IO.File]::ReadAllLines($keptInProcess)
    $same = $keptCmdlets.Count -eq $keptReference.Count -and [Linq.Enumerable]::SequenceEqual($keptCmdlets, $keptReference)
    Write-Host ("Cmdlet run kept {0} Ids; one process (PolicyRunner on all {1}) kept {2}; identical: {3}. Parquet shards: {4:F0} MB in all." -f
        $keptCmdlets.Count, $n, $keptReference.Count, $same, ((Get-ChildItem (Join-Path $work 'emb') -Filter *.parquet | Measure-Object Length -Sum).Sum / 1MB))
    if (-not $same -or -not $r.same_as_single) { Write-Warning 'The sharded run did not keep exactly what one process keeps.' }
    if (-not $Quick) { Remove-Item -Recurse -Force $work }
}

if (Want 'Parquet') {
    Write-Host "`n== Parquet vs .npy: Export-Embedding and Import-Embedding, each step in a fresh pwsh =="
    # The .npy reference is the module's own, which maps the file and checks it in place: the
    # fastest a 2-D float file can be read. Each step runs in its own process so its peak
    # working set is its own; the peak is reported beyond the working set the step starts with
    # (for an export: the imported source records), and for an import also beyond the vectors
    # it returns (N × D × 4 bytes), the part that is neither the records nor the runtime.
    $n = if ($Quick) { 20000 } else { 1000000 }
    $d = 512
    $rowGroup = 32768
    $rounds = if ($Quick) { 1 } else { 2 }
    $source = (Get-Data $n $d 10).X
    $payload = [double]$n * $d * 4
    function Invoke-Step([string] $Setup, [string] $Timed) {
        $script = @"
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
$Setup
[GC]::Collect(); [GC]::WaitForPendingFinalizers()
`$base = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64
`$sw = [Diagnostics.Stopwatch]::StartNew()
$Timed
`$seconds = `$sw.Elapsed.TotalSeconds
`$peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
[pscustomobject]@{ seconds = `$seconds; peak = `$peak; base = `$base; count = `$count } | ConvertTo-Json -Compress
"@
        try { Invoke-ChildPwsh -Json $script | Select-Object -Last 1 }
        catch { throw "The Parquet bench step failed: $Timed`n$_" }
    }
    $outputs = @{ Npy = (Join-Path $OutputDirectory "parquet-bench-$n.npy"); Parquet = (Join-Path $OutputDirectory "parquet-bench-$n.parquet") }
    $runs = [Collections.Generic.List[object]]::new()
    foreach ($round in 1..$rounds) {
        foreach ($format in 'Npy', 'Parquet') {
            $out = $outputs[$format]
            $export = Invoke-Step "`$r = Import-Embedding '$source'; `$count = 0" "`$r | Export-Embedding '$out' -Confirm:`$false; `$count = `$r.Count"
            $runs.Add([pscustomobject]@{ Format = $format; Step = 'Export'; Seconds = $export.seconds; Extra = $export.peak - $export.base; Count = $export.count; Peak = $export.peak })
            $import = Invoke-Step "`$count = 0" "`$r = Import-Embedding '$out'; `$count = `$r.Count"
            $runs.Add([pscustomobject]@{ Format = $format; Step = 'Import'; Seconds = $import.seconds; Extra = $import.peak - $import.base - $payload; Count = $import.count; Peak = $import.peak })
        }
    }
    $groupBytes = [double]$rowGroup * $d * 4
    foreach ($step in 'Export', 'Import') {
        $npyBest = ($runs | Where-Object { $_.Format -eq 'Npy' -and $_.Step -eq $step } | Measure-Object Seconds -Minimum).Minimum
        foreach ($format in 'Npy', 'Parquet') {
            $mine = @($runs | Where-Object { $_.Format -eq $format -and $_.Step -eq $step })
            $best = ($mine | Measure-Object Seconds -Minimum).Minimum
            $extra = ($mine | Measure-Object Extra -Maximum).Maximum
            $row = [pscustomobject]@{
                Benchmark = 'parquet'; Format = $format; Step = $step; N = $n; D = $d; RowGroupRows = $rowGroup
                Records = $mine[0].Count
                Seconds = [Math]::Round($best, 2); SecondsRange = ($mine | ForEach-Object { '{0:F2}' -f $_.Seconds }) -join ' '
                SecondsOverNpy = [Math]::Round($best / $npyBest, 2)
                PayloadMBPerSecond = [Math]::Round($payload / 1MB / $best, 0)
                FileMB = [Math]::Round((Get-Item $outputs[$format]).Length / 1MB, 1)
                PeakWorkingSetMB = [Math]::Round(($mine | Measure-Object Peak -Maximum).Maximum / 1MB)
                PeakBeyondStartMB = [Math]::Round($extra / 1MB)
                PeakBeyondStartInRowGroups = [Math]::Round($extra / $groupBytes, 1)
            }
            $results.Add($row)
        }
    }
    $results | Where-Object Benchmark -EQ 'parquet' |
        Format-Table Step, Format, Records, Seconds, SecondsRange, SecondsOverNpy, PayloadMBPerSecond, FileMB, PeakWorkingSetMB, PeakBeyondStartMB, PeakBeyondStartInRowGroups -AutoSize |
        Out-String -Width 250 | Out-Host
    Write-Host "(Import: PeakBeyondStart excludes the $([Math]::Round($payload / 1MB)) MB of vectors the records hold; a row group is $([Math]::Round($groupBytes / 1MB)) MB of vectors.)"
}

if (Want 'DataIssues') {
    $arguments = @{ OutputDirectory = $OutputDirectory; Bench = $bench; Quick = $Quick }
    if ($FashionMnistDirectory) { $arguments.FashionMnistDirectory = $FashionMnistDirectory }
    $sk = @('/usr/bin/python3', 'python3') | Where-Object { Get-Command $_ -ErrorAction SilentlyContinue } | Where-Object { (& $_ -c 'import sklearn; print(1)' 2>$null) -eq '1' } | Select-Object -First 1
    if ($sk) { $arguments.Python = $sk } else { Write-Warning 'scikit-learn is not installed: the label-error figures are printed without the reference (sudo apt-get install python3-sklearn).' }
    foreach ($row in & (Join-Path $PSScriptRoot 'bench/data-issues.ps1') @arguments) { $results.Add($row) }
}

if ($Only -and 'DataIssuesScale' -in $Only) {
    # Not in a run of every part: the recall at 200 000 rows alone takes minutes (see the script).
    $arguments = @{ OutputDirectory = $OutputDirectory; Bench = $bench; Quick = $Quick; Recall = $true }
    $real = Join-Path $OutputDirectory 'data-issues'
    if ((Test-Path "$real/train.npy") -and (Test-Path "$real/test.npy")) { $arguments.RealEmbeddings = "$real/train.npy,$real/test.npy" }
    if ($DataIssuesSize) { $arguments.Scale = $true; $arguments.Size = $DataIssuesSize }
    if ($python) { $arguments.Python = $python }
    foreach ($row in & (Join-Path $PSScriptRoot 'bench/data-issues-scale.ps1') @arguments) { $results.Add($row) }
}

$json = Join-Path $OutputDirectory 'bench-results.json'
$results | ConvertTo-Json -Depth 4 | Set-Content $json
Write-Host "Results: $json"

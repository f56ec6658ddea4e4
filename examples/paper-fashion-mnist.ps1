#Requires -Version 7.4
<#
.SYNOPSIS
    Reproduces the data-pruning experiments of Sorscher et al. (2022) on Fashion-MNIST.
.DESCRIPTION
    Needs the embeddings written by examples/fashion-mnist.ps1. For training-set sizes
    (default 1k, 5k, 20k, 60k), seeds (default 3; one at the full 60k, where every seed sees the
    same data) and prototypes (k-means with k = 10 and k = 100, self-supervised, and the class
    means, supervised), it scores the training subset, then runs Test-PruningStrategy: a
    multinomial logistic regression trained on each candidate selection (Hard, Easy, Random ×
    balanced by label or not × keep fractions 1.0 … 0.2) and tested on the 10 000 test images.

    Writes, into -DocsDirectory:
      paper-fashion-mnist.md    the results table (mean ± spread over seeds), what it shows, and
                                the command that regenerated it
      paper-fashion-mnist.png   accuracy against keep fraction per training-set size
      paper-fashion-mnist.csv   every measured row
    Whatever the data shows is reported; nothing is tuned towards the paper's conclusions.
.EXAMPLE
    ./examples/fashion-mnist.ps1 -OutputDirectory ./fashion-mnist
    ./examples/paper-fashion-mnist.ps1 -EmbeddingDirectory ./fashion-mnist -DocsDirectory ./docs
#>
[CmdletBinding()]
param(
    [string] $EmbeddingDirectory = (Join-Path $PWD 'fashion-mnist'),
    [string] $DocsDirectory = (Join-Path (Split-Path $PSScriptRoot) 'docs'),
    [int[]] $Size = @(1000, 5000, 20000, 60000),
    [int[]] $K = @(10, 100),
    [ValidateRange(1, 10)] [int] $Seeds = 3,
    [double[]] $KeepFraction = @(1.0, 0.8, 0.6, 0.4, 0.2),
    [ValidateRange(10, 5000)] [int] $MaxIterations = 100,   # scikit-learn's default max_iter
    # Rewrite the table, findings and plot from a CSV an earlier run wrote, without retraining.
    [string] $FromCsv
)

$ErrorActionPreference = 'Stop'
$repo = Split-Path $PSScriptRoot
Import-Module (Join-Path $repo 'PruneCmdlets.psd1')
$clock = [Diagnostics.Stopwatch]::StartNew()
$null = New-Item -ItemType Directory -Force $DocsDirectory

$rows = [Collections.Generic.List[object]]::new()
if ($FromCsv) {
    foreach ($r in Import-Csv $FromCsv) {
        $rows.Add([pscustomobject]@{ Size = [int]$r.Size; Seed = [int]$r.Seed; Prototype = $r.Prototype; Keep = $r.Keep; Balanced = $r.Balanced -eq 'True'
                KeepFraction = [double]$r.KeepFraction; Kept = [int]$r.Kept; Accuracy = [double]$r.Accuracy })
    }
    $Size = @($rows.Size | Select-Object -Unique)
    $Seeds = ($rows.Seed | Measure-Object -Maximum).Maximum
}
else {
$trainPath = Join-Path $EmbeddingDirectory 'fashion-mnist-train.npy'
if (-not (Test-Path $trainPath)) { throw "No embeddings at '$trainPath': run examples/fashion-mnist.ps1 -OutputDirectory '$EmbeddingDirectory' first." }
$train = @(Import-Embedding $trainPath -LabelPath (Join-Path $EmbeddingDirectory 'fashion-mnist-train-labels.npy'))
$test = @(Import-Embedding (Join-Path $EmbeddingDirectory 'fashion-mnist-test.npy') -LabelPath (Join-Path $EmbeddingDirectory 'fashion-mnist-test-labels.npy'))
Write-Host "Loaded $($train.Count) training and $($test.Count) test embeddings ($($train[0].Vector.Length)-d)."

foreach ($n in $Size) {
    $n = [Math]::Min($n, $train.Count)
    $seedCount = if ($n -ge $train.Count) { 1 } else { $Seeds }
    for ($seed = 1; $seed -le $seedCount; $seed++) {
        # A seeded subset of the training set (the whole set at full size).
        $subset = if ($n -ge $train.Count) { $train } else { $train | Select-PrunedSet -KeepCount $n -Keep Random -BalanceBy Label -Seed (1000 + $seed) }
        # PowerShell names are case-insensitive: $clusters, not $k, so the -K list survives.
        $prototypes = @(foreach ($clusters in $K) { @{ Name = "k-means k=$clusters"; Clusters = $clusters } }) + @{ Name = 'class means'; Clusters = 0 }
        foreach ($proto in $prototypes) {
            $scored = if ($proto.Clusters -gt 0) { $subset | Invoke-KMeans -K $proto.Clusters -Seed $seed | Measure-Prototypicality }
            else { $subset | Measure-Prototypicality -Prototype Label }
            $results = $scored | Test-PruningStrategy -TestSet $test -KeepFraction $KeepFraction -Keep Hard, Easy, Random -BalanceBy None, Label `
                -Seed $seed -RandomTrials 1 -MaxIterations $MaxIterations | Where-Object { $_ -is [PruneCmdlets.Probing.ProbeResult] }
            foreach ($r in $results) {
                $rows.Add([pscustomobject]@{
                        Size = $n; Seed = $seed; Prototype = $proto.Name; Keep = "$($r.Keep)"; Balanced = $r.BalanceBy -ne 'None'
                        KeepFraction = $r.KeepFraction; Kept = $r.KeptCount; Accuracy = $r.TestAccuracy
                    })
            }
            Write-Host ("size {0,6}  seed {1}  {2,-13} done at {3:N0}s" -f $n, $seed, $proto.Name, $clock.Elapsed.TotalSeconds)
        }
    }
}
$rows | Export-Csv (Join-Path $DocsDirectory 'paper-fashion-mnist.csv') -NoTypeInformation
}

# ---- aggregate: mean and spread (max − min) over seeds -------------------------------------
function Get-Cell($size, $proto, $keep, $balanced, $fraction) {
    $acc = @($rows | Where-Object { $_.Size -eq $size -and $_.Prototype -eq $proto -and $_.Keep -eq $keep -and $_.Balanced -eq $balanced -and $_.KeepFraction -eq $fraction } | ForEach-Object Accuracy)
    if (-not $acc) { return $null }
    $m = ($acc | Measure-Object -Average -Maximum -Minimum)
    [pscustomobject]@{ Mean = $m.Average; Spread = $m.Maximum - $m.Minimum; N = $acc.Count }
}
function Format-Cell($c) { if ($null -eq $c) { '–' } elseif ($c.N -gt 1) { '{0:N1} ± {1:N1}' -f (100 * $c.Mean), (50 * $c.Spread) } else { '{0:N1}' -f (100 * $c.Mean) } }

$sizes = $rows.Size | Select-Object -Unique | Sort-Object
$protos = $rows.Prototype | Select-Object -Unique
$fractions = $KeepFraction | Sort-Object -Descending
$md = [Text.StringBuilder]::new()
$null = $md.AppendLine('# Data pruning on Fashion-MNIST: reproducing Sorscher et al. (2022)')
$null = $md.AppendLine()
$null = $md.AppendLine("Generated by ``examples/paper-fashion-mnist.ps1`` on $(Get-Date -Format 'yyyy-MM-dd')$(if ($FromCsv) { ', rewritten from its CSV' } else { " in $([Math]::Round($clock.Elapsed.TotalMinutes, 1)) minutes" }):")
$null = $md.AppendLine()
$null = $md.AppendLine('```powershell')
$null = $md.AppendLine('./examples/fashion-mnist.ps1 -OutputDirectory ./fashion-mnist          # 70 000 ResNet18 embeddings')
$null = $md.AppendLine("./examples/paper-fashion-mnist.ps1 -EmbeddingDirectory ./fashion-mnist -Size $($Size -join ',') -K $($K -join ',') -Seeds $Seeds -MaxIterations $MaxIterations")
$null = $md.AppendLine('```')
$null = $md.AppendLine()
$null = $md.AppendLine("Setup: embeddings from the module's embedded ResNet18 (ImageNet-pretrained, supervised; the paper used self-supervised SwAV). Training subsets are seeded, class-balanced random draws from the 60 000 training images; every subset is scored by cosine distance to its nearest k-means centroid (self-supervised prototypes) or to its class mean (supervised prototypes), pruned with Select-PrunedSet's own selection code, and a multinomial logistic regression (L2, C = 1, standardised features, at most $MaxIterations L-BFGS iterations) is trained on what is kept and tested on all 10 000 test images. Cells are test accuracy in %, the mean over $Seeds seeds ± half the range (one seed at the full 60 000, where every seed sees the same data). 'bal' = balanced by label.")
$null = $md.AppendLine()
foreach ($proto in $protos) {
    $null = $md.AppendLine("## Prototypes: $proto")
    $null = $md.AppendLine()
    $null = $md.AppendLine('| size | strategy | ' + (($fractions | ForEach-Object { 'keep {0:0.0}' -f $_ }) -join ' | ') + ' |')
    $null = $md.AppendLine('|---|---|' + (($fractions | ForEach-Object { '---' }) -join '|') + '|')
    foreach ($s in $sizes) {
        foreach ($keep in 'Hard', 'Easy', 'Random') {
            foreach ($bal in $false, $true) {
                $cells = $fractions | ForEach-Object { Format-Cell (Get-Cell $s $proto $keep $bal $_) }
                $null = $md.AppendLine("| $s | $keep$(if ($bal) { ' bal' }) | $($cells -join ' | ') |")
            }
        }
    }
    $null = $md.AppendLine()
}

# ---- what the numbers show (computed, not written in advance) --------------------------------
$null = $md.AppendLine('## What the measurements show')
$null = $md.AppendLine()
$mainProto = $protos | Select-Object -First 1
$pruneFractions = $fractions | Where-Object { $_ -lt 1 }
function Get-Mean($size, $keep, $balanced, $fraction, $protoList) {
    $v = @(foreach ($p in $protoList) { $c = Get-Cell $size $p $keep $balanced $fraction; if ($c) { $c.Mean } })
    if ($v) { ($v | Measure-Object -Average).Average } else { $null }
}
$selfSupervised = @($protos | Where-Object { $_ -like 'k-means*' })
# 1. Hard against Easy per size: the paper's crossover (easy wins when data is scarce, hard when abundant).
foreach ($f in ($pruneFractions | Sort-Object | Select-Object -First 2)) {
    $parts = foreach ($s in $sizes) {
        $h = Get-Mean $s 'Hard' $true $f $selfSupervised; $e = Get-Mean $s 'Easy' $true $f $selfSupervised
        if ($null -ne $h -and $null -ne $e) { '{0}: {1:+0.0;-0.0}' -f $s, (100 * ($h - $e)) }
    }
    $null = $md.AppendLine(("- Keep-hard minus keep-easy at keep {0:0.0} (balanced, mean over the k-means prototypes), by training-set size: {1} points." -f $f, ($parts -join ', ')))
}
# 2. The best prototypicality strategy against random, per size and fraction.
foreach ($s in $sizes) {
    $cells = foreach ($f in $pruneFractions) {
        $best = $null; $bestName = ''
        foreach ($p in $protos) { foreach ($keep in 'Hard', 'Easy') { foreach ($bal in $false, $true) {
                    $c = Get-Cell $s $p $keep $bal $f
                    if ($c -and ($null -eq $best -or $c.Mean -gt $best)) { $best = $c.Mean; $bestName = "$keep$(if ($bal) { ' bal' }) ($p)" } } } }
        $r = [Math]::Max((Get-Cell $s $mainProto 'Random' $false $f).Mean, (Get-Cell $s $mainProto 'Random' $true $f).Mean)
        '{0:0.0}: {1:+0.0;-0.0} ({2})' -f $f, (100 * ($best - $r)), $bestName
    }
    $null = $md.AppendLine("- Size ${s}: best prototypicality selection minus the better random one, by keep fraction: $($cells -join '; ').")
}
$balanceGain = @(foreach ($s in $sizes) { foreach ($f in $pruneFractions) { foreach ($keep in 'Hard', 'Easy') {
                $b = Get-Cell $s $mainProto $keep $true $f; $u = Get-Cell $s $mainProto $keep $false $f
                if ($b -and $u) { $b.Mean - $u.Mean } } } })
if ($balanceGain) {
    $null = $md.AppendLine(('- Balancing by label changes Hard/Easy accuracy by {0:+0.00;-0.00} points on average (range {1:+0.00;-0.00} to {2:+0.00;-0.00}) over all sizes and fractions.' -f
            (100 * ($balanceGain | Measure-Object -Average).Average), (100 * ($balanceGain | Measure-Object -Minimum).Minimum), (100 * ($balanceGain | Measure-Object -Maximum).Maximum)))
}
$supervised = 'class means'
if ($protos -contains $supervised) {
    $diff = @(foreach ($s in $sizes) { foreach ($f in $pruneFractions) {
                $a = Get-Cell $s $supervised 'Hard' $true $f; $b = Get-Cell $s $mainProto 'Hard' $true $f
                if ($a -and $b) { $a.Mean - $b.Mean } } })
    if ($diff) {
        $null = $md.AppendLine(('- Supervised prototypes (class means) vs {0} for keep-hard, balanced: {1:+0.00;-0.00} points on average.' -f $mainProto, (100 * ($diff | Measure-Object -Average).Average)))
    }
}
$null = $md.AppendLine()
$null = $md.AppendLine('![Test accuracy against keep fraction](paper-fashion-mnist.png)')
Set-Content (Join-Path $DocsDirectory 'paper-fashion-mnist.md') $md.ToString()

# ---- the plot: one panel per size, balanced strategies, main prototypes ---------------------
Add-Type -Path (Join-Path $repo 'module/bin/SixLabors.ImageSharp.dll')
if (-not ('PruneCmdlets.Examples.LinePlot' -as [type])) {
    Add-Type -Path (Join-Path $PSScriptRoot 'LinePlot.cs') -ReferencedAssemblies (Join-Path $repo 'module/bin/SixLabors.ImageSharp.dll'), 'System.Collections' -IgnoreWarnings -WarningAction SilentlyContinue
}
$colors = @{ 'Hard' = @(200, 40, 40); 'Easy' = @(40, 90, 200); 'Random' = @(90, 90, 90) }
$panels = foreach ($s in $sizes) {
    $list = foreach ($keep in 'Hard', 'Easy', 'Random') {
        $pts = $fractions | Sort-Object | ForEach-Object { $c = Get-Cell $s $mainProto $keep $true $_; if ($c) { [pscustomobject]@{ X = $_; Y = $c.Mean } } }
        $series = [PruneCmdlets.Examples.Series]::new()
        $series.Name = "$keep bal"; $series.X = [double[]]$pts.X; $series.Y = [double[]]$pts.Y
        $series.R, $series.G, $series.B = [byte[]]$colors[$keep]
        $series
    }
    , [PruneCmdlets.Examples.Series[]]$list
}
$all = $rows | Where-Object { $_.Prototype -eq $mainProto } | ForEach-Object Accuracy
$yMin = [Math]::Floor(20 * ($all | Measure-Object -Minimum).Minimum) / 20
$yMax = [Math]::Ceiling(20 * ($all | Measure-Object -Maximum).Maximum) / 20
[PruneCmdlets.Examples.LinePlot]::Save((Join-Path $DocsDirectory 'paper-fashion-mnist.png'), [string[]]($sizes | ForEach-Object { "N=$_ $mainProto" }),
    [PruneCmdlets.Examples.Series[][]]$panels, $yMin, $yMax, 0.2, 1.0)
Write-Host ("Wrote {0} in {1:N1} minutes." -f (Join-Path $DocsDirectory 'paper-fashion-mnist.md'), $clock.Elapsed.TotalMinutes)

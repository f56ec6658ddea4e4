#Requires -Version 7.4
<#
.SYNOPSIS
    build.ps1 -Task Bench -Only DataIssues: Find-DataIssue measured on real data.
.DESCRIPTION
    1. Label errors: 20 000 Fashion-MNIST training images (ResNet18 embeddings as Get-Embedding
       makes them) with 10% of the labels flipped at random (a seed per run): precision and
       recall of LabelError against the flips, with the probe, the neighbour classifier and both,
       beside scikit-learn doing the same from the same run; then a logistic-regression probe
       trained on the noisy labels of each selection (random, over five selection seeds for its
       own noise; k-means hard, alone and after -Exclude LabelError with each classifier's flags,
       the default's over five k-means seeds for theirs; class-mean hard) and scored on 5 000
       clean test images. The probe is the issue's: logistic regression on the raw embeddings,
       stopped at 100 iterations as scikit-learn's defaults stop it (with -Python, scikit-learn
       itself scores the very same selections beside it); the same selections are also scored by
       the probe on standardised features, a second instrument that ranks them differently.
    2. Leaks between photos: Debian's wallpapers split in two; edited copies (resized, cropped,
       brightened, re-encoded as JPEG at quality 60 to 90) of the reference half planted among
       the other half, with edited copies of that half as look-alikes that are not leaks.
    3. Leaks between small images: JPEG copies of Fashion-MNIST test images planted among the
       training images.
    4. Time and peak memory of every check on the 20 000 records.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [Parameter(Mandatory)] [string] $Bench,
    [string] $Python,
    [string] $FashionMnistDirectory = (Join-Path $OutputDirectory 'fashion-mnist'),
    [int] $Train = 20000,
    [int] $Test = 5000,
    [int[]] $Seeds = @(1, 2, 3),
    [switch] $Quick
)
$ErrorActionPreference = 'Stop'
$repo = Split-Path (Split-Path $PSScriptRoot)
Import-Module (Join-Path $repo 'PruneCmdlets.psd1')
. (Join-Path $repo 'tools/ChildPwsh.ps1')
$imageSharp = Join-Path $repo 'module/bin/SixLabors.ImageSharp.dll'
Add-Type -Path $imageSharp
if (-not ('PruneCmdlets.Examples.SyntheticImages' -as [type])) {
    Add-Type -Path (Join-Path $repo 'examples/SyntheticImages.cs') -ReferencedAssemblies $imageSharp -IgnoreWarnings -WarningAction SilentlyContinue
}
$S = [PruneCmdlets.Examples.SyntheticImages]
if ($Quick) { $Train = 2000; $Test = 1000; $Seeds = @(1) }
$out = New-Item -ItemType Directory -Force (Join-Path $OutputDirectory 'data-issues')
$rows = [Collections.Generic.List[object]]::new()

# ---- Fashion-MNIST embeddings (resumable through the cache) ---------------------------------
& (Join-Path $repo 'examples/fashion-mnist.ps1') -OutputDirectory $FashionMnistDirectory -Limit ([Math]::Max($Train, $Test)) -ImagesOnly | Out-Host
$cache = Join-Path $FashionMnistDirectory 'embedding-cache'
function Get-Split([string] $Split, [int] $Count) {
    $files = @(Get-ChildItem (Join-Path $FashionMnistDirectory "images/$Split") -Recurse -File -Filter '*.png' | Sort-Object Name | Select-Object -First $Count)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $records = @($files | Get-Embedding -CacheDirectory $cache)
    Write-Host ("Embedded {0} {1} images in {2:N0}s (cache: {3})." -f $records.Count, $Split, $clock.Elapsed.TotalSeconds, $cache)
    $records
}
$trainRecords = Get-Split 'train' $Train
$testRecords = Get-Split 'test' $Test
$trainNpy = Join-Path $out 'train.npy'; $testNpy = Join-Path $out 'test.npy'
$trainLabels = Join-Path $out 'train-labels.txt'; $testLabels = Join-Path $out 'test-labels.txt'
$trainRecords | Export-Embedding $trainNpy
$testRecords | Export-Embedding $testNpy
Set-Content $trainLabels $trainRecords.Label
Set-Content $testLabels $testRecords.Label

# ---- 1. label errors ------------------------------------------------------------------------
foreach ($seed in $Seeds) {
    $noisy = Join-Path $out "noisy-$seed.txt"
    # Keep-hard, alone and after the exclusion, over five k-means seeds: its own noise beside random's (one seed with -Quick).
    $kmeansSeeds = if ($Quick) { 1 } else { 5 }
    # Every probed selection's rows, so scikit-learn's probe (below) scores the very same selections.
    $selections = Join-Path $out "selections-$seed"
    if (Test-Path $selections) { Remove-Item $selections -Recurse -Force }
    $line = & $Bench issues-labels --train $trainNpy --train-labels $trainLabels --test $testNpy --test-labels $testLabels --noise 0.1 --seed $seed --write-noisy $noisy --kmeans-seeds $kmeansSeeds --save-selections $selections | Select-Object -Last 1
    if ($LASTEXITCODE) { throw 'issues-labels failed.' }
    $r = $line | ConvertFrom-Json
    foreach ($c in 'Probe', 'Neighbors', 'Both') {
        $d = $r.Detection.$c
        $rows.Add([pscustomobject]@{ Part = 'LabelErrors'; Seed = $seed; Who = "PruneCmdlets $c"; Flagged = $d.Flagged; Precision = [Math]::Round($d.Precision, 3); Recall = [Math]::Round($d.Recall, 3)
                CrossValidatedAccuracy = [Math]::Round($d.CrossValidatedAccuracy, 4); Seconds = [Math]::Round($d.Seconds, 1) })
    }
    if ($Python) {
        $saved = @{}
        foreach ($v in 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE') { $saved[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
        try { $lines = & $Python (Join-Path $PSScriptRoot 'data_issues_reference.py') --train $trainNpy --noisy $noisy --clean $trainLabels --seed $seed }
        finally { foreach ($v in $saved.Keys) { [Environment]::SetEnvironmentVariable($v, $saved[$v]) } }
        foreach ($p in $lines | Where-Object { $_ -like '{*' } | ConvertFrom-Json) {
            $rows.Add([pscustomobject]@{ Part = 'LabelErrors'; Seed = $seed; Who = $p.Reference; Flagged = $p.Flagged; Precision = [Math]::Round($p.Precision, 3); Recall = [Math]::Round($p.Recall, 3)
                    CrossValidatedAccuracy = [Math]::Round($p.CrossValidatedAccuracy, 4); Seconds = [Math]::Round($p.Seconds, 1) })
        }
    }
    if ($Python) {
        # scikit-learn's own LogisticRegression at its defaults on the raw
        # embeddings (87.1% on all data in the issue's table), trained on each selection above.
        $saved = @{}
        foreach ($v in 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE') { $saved[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
        try { $scored = & $Python (Join-Path $PSScriptRoot 'selection_probe_reference.py') --train $trainNpy --test $testNpy --noisy $noisy --test-labels $testLabels --selections $selections }
        finally { foreach ($v in $saved.Keys) { [Environment]::SetEnvironmentVariable($v, $saved[$v]) } }
        $scored = @($scored | Where-Object { $_ -like '{*' } | ConvertFrom-Json)
        $all = ($scored | Where-Object Selection -Like '*-all').Accuracy
        foreach ($keep in $r.Table.Keep) {
            $cells = [ordered]@{ Part = 'KeepTableScikitLearn'; Seed = $seed; Keep = $keep; AllData = $all }
            foreach ($group in 'random', 'hard', 'classhard', 'excludeNeighbors') {
                $a = @(($scored | Where-Object { ($_.Selection -replace '^\d+-') -eq "keep$keep-$group" }).Accuracy)
                $m = $a | Measure-Object -Minimum -Maximum -Average
                $cells[$group] = if ($a.Count -eq 1) { '{0:P2}' -f $m.Minimum } else { '{0:P2}–{1:P2} (mean {2:P2}, {3} runs)' -f $m.Minimum, $m.Maximum, $m.Average, $a.Count }
                $cells["$group.Mean"] = $m.Average
            }
            $rows.Add([pscustomobject]$cells)
        }
    }
    foreach ($t in $r.Table) {
        $cells = [ordered]@{ Part = 'KeepTable'; Seed = $seed; Keep = $t.Keep }
        foreach ($k in 'Random', 'KMeansHard', 'ClassMeanHard', 'ExcludeLabelErrorThenKMeansHard', 'ExcludeNeighborFlagsThenKMeansHard', 'ExcludeBothFlagsThenKMeansHard') {
            $cells[$k] = '{0:P1} ({1:P1} wrong)' -f $t.$k.Item1, $t.$k.Item2
            $cells["$k.Accuracy"] = $t.$k.Item1
        }
        # Random's noise: the range over several selection seeds on the same labels.
        $cells.RandomRange = '{0:P2}–{1:P2} over {2} seeds (sd {3:N2} points)' -f $t.RandomRuns.Min, $t.RandomRuns.Max, $t.RandomRuns.Count, (100 * $t.RandomRuns.Sd)
        $cells.KMeansHardRange = '{0:P2}–{1:P2} over {2} k-means seeds' -f $t.KMeansHardRuns.Min, $t.KMeansHardRuns.Max, $t.KMeansHardRuns.Count
        $cells.ExcludeNeighborFlagsRange = '{0:P2}–{1:P2} over {2} k-means seeds' -f $t.ExcludeNeighborFlagsRuns.Min, $t.ExcludeNeighborFlagsRuns.Max, $t.ExcludeNeighborFlagsRuns.Count
        $cells.AllData = $r.AllData.Item1
        $rows.Add([pscustomobject]$cells)
    }
    # The same selections under another instrument: the probe on standardised features (as
    # Test-PruningStrategy fits it; 100 iterations, as above), which ranks them differently at
    # keep 0.8. The neighbour flags only: the probe's folds would add minutes and nothing here.
    $line = & $Bench issues-labels --train $trainNpy --train-labels $trainLabels --test $testNpy --test-labels $testLabels --noise 0.1 --seed $seed --kmeans-seeds $kmeansSeeds --classifiers Neighbors --probe-standardize true | Select-Object -Last 1
    if ($LASTEXITCODE) { throw 'issues-labels --probe-standardize true failed.' }
    $standardised = $line | ConvertFrom-Json
    foreach ($t in $standardised.Table) {
        $rows.Add([pscustomobject]@{ Part = 'KeepTableStandardisedProbe'; Seed = $seed; Keep = $t.Keep; AllData = $standardised.AllData.Item1
                Random = ('{0:P2}–{1:P2} (mean {2:P2})' -f $t.RandomRuns.Min, $t.RandomRuns.Max, $t.RandomRuns.Mean)
                KMeansHard = ('{0:P2}–{1:P2} (mean {2:P2})' -f $t.KMeansHardRuns.Min, $t.KMeansHardRuns.Max, $t.KMeansHardRuns.Mean)
                ExcludeNeighborFlags = ('{0:P2}–{1:P2} (mean {2:P2})' -f $t.ExcludeNeighborFlagsRuns.Min, $t.ExcludeNeighborFlagsRuns.Max, $t.ExcludeNeighborFlagsRuns.Mean) })
    }
    # Each seed as it finishes: a run of several seeds takes a while.
    $rows | Where-Object { $_.Part -in 'LabelErrors', 'KeepTable', 'KeepTableScikitLearn', 'KeepTableStandardisedProbe' -and $_.Seed -eq $seed } | Format-List | Out-String -Width 250 | Out-Host
}
$rows | Where-Object Part -EQ 'LabelErrors' | Format-Table Seed, Who, Flagged, Precision, Recall, CrossValidatedAccuracy, Seconds -AutoSize | Out-String -Width 200 | Out-Host
$rows | Where-Object Part -EQ 'KeepTable' | Format-Table Seed, Keep, Random, RandomRange, KMeansHard, KMeansHardRange, ClassMeanHard, ExcludeLabelErrorThenKMeansHard, ExcludeNeighborFlagsThenKMeansHard, ExcludeNeighborFlagsRange, ExcludeBothFlagsThenKMeansHard, AllData -AutoSize | Out-String -Width 300 | Out-Host
Write-Host 'The same selections scored by the probe on standardised features (as Test-PruningStrategy fits it):'
$rows | Where-Object Part -EQ 'KeepTableStandardisedProbe' | Format-Table Seed, Keep, Random, KMeansHard, ExcludeNeighborFlags, AllData -AutoSize | Out-String -Width 300 | Out-Host
if ($Python) {
    Write-Host "The same selections scored by the issue's probe (scikit-learn's LogisticRegression at its defaults on the raw embeddings):"
    $rows | Where-Object Part -EQ 'KeepTableScikitLearn' | Format-Table Seed, Keep, random, hard, classhard, excludeNeighbors, AllData -AutoSize | Out-String -Width 300 | Out-Host
}

# ---- 2. leaks between real photos -------------------------------------------------------------
$photos = @(Get-ChildItem '/usr/share/backgrounds', '/usr/share/wallpapers' -Recurse -File -Include '*.jpg', '*.jpeg', '*.png', '*.webp' -ErrorAction SilentlyContinue | Sort-Object FullName)
if ($photos.Count -lt 4) { Write-Warning 'No photos: install Debian wallpapers (sudo apt-get install gnome-backgrounds ukui-wallpapers) for the photo leak bench.' }
else {
    $dir = Join-Path $out 'photo-leaks'
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    $refDir = New-Item -ItemType Directory (Join-Path $dir 'reference'); $trainDir = New-Item -ItemType Directory (Join-Path $dir 'train')
    $edits = @(@{ Crop = 0.0; Scale = 0.5; Bright = 1.0; Q = 90 }, @{ Crop = 0.03; Scale = 0.8; Bright = 1.0; Q = 80 }, @{ Crop = 0.0; Scale = 0.6; Bright = 1.3; Q = 75 }, @{ Crop = 0.05; Scale = 0.4; Bright = 0.8; Q = 60 })
    for ($i = 0; $i -lt $photos.Count; $i++) {
        $src = $photos[$i].FullName
        # Every photo as a 1024-pixel-wide PNG first: the wallpapers are up to 8K, and the copies are made from what the set holds.
        $target = if ($i % 2 -eq 0) { Join-Path $refDir "ref$i.png" } else { Join-Path $trainDir "own$i.png" }
        $S::SaveEditedCopy($src, "$target.jpg", 0, 1024.0 / [Math]::Max(1024, [SixLabors.ImageSharp.Image]::Identify($src).Width), 1.0, 95)
        Move-Item "$target.jpg" $target -Force
    }
    $k = 0
    foreach ($ref in Get-ChildItem $refDir -File) {
        foreach ($e in $edits) { $S::SaveEditedCopy($ref.FullName, (Join-Path $trainDir "leak-$($ref.BaseName)-$k.jpg"), $e.Crop, $e.Scale, $e.Bright, $e.Q); $k++ }
    }
    foreach ($own in Get-ChildItem $trainDir -File -Filter 'own*') {
        foreach ($e in $edits[0, 3]) { $S::SaveEditedCopy($own.FullName, (Join-Path $trainDir "lookalike-$($own.BaseName)-$k.jpg"), $e.Crop, $e.Scale, $e.Bright, $e.Q); $k++ }
    }
    $ref = @(Get-ChildItem $refDir -File | Get-Embedding)
    $trainPhotos = @(Get-ChildItem $trainDir -File | Get-Embedding)
    # Every record's nearest reference cosine: the leak check with the bar at -1 flags every record with its nearest.
    $nearest = @{}
    foreach ($r in $trainPhotos | Find-DataIssue -Check Leak -Reference $ref -LeakThreshold -1) { $nearest[$r.Id] = $r.LeakSimilarity }
    # Default: photos are large, so the embedding decides; -PixelCheck compares every image pair by its pixels too.
    foreach ($mode in 'Default', 'PixelCheck') {
        $pixels = if ($mode -eq 'PixelCheck') { @{ PixelCheck = $true } } else { @{} }
        $found = @($trainPhotos | Find-DataIssue -Check Leak -Reference $ref @pixels)
        $planted = @($found | Where-Object { (Split-Path $_.Id -Leaf) -like 'leak-*' })
        $flagged = @($found | Where-Object { $_.Issues -contains 'Leak' })
        $right = @($flagged | Where-Object { (Split-Path $_.Id -Leaf) -like "leak-$([IO.Path]::GetFileNameWithoutExtension($_.LeakOf))-*" })
        $rows.Add([pscustomobject]@{ Part = 'PhotoLeaks'; Mode = $mode; Reference = $ref.Count; Train = $trainPhotos.Count; Planted = $planted.Count; Flagged = $flagged.Count
                Recall = [Math]::Round($right.Count / [Math]::Max(1, $planted.Count), 3); Precision = [Math]::Round($right.Count / [Math]::Max(1, $flagged.Count), 3)
                MinCopyCosine = [Math]::Round(($planted | ForEach-Object { $nearest[$_.Id] } | Measure-Object -Minimum).Minimum, 3)
                MaxOtherCosine = [Math]::Round(($found | Where-Object { (Split-Path $_.Id -Leaf) -notlike 'leak-*' } | ForEach-Object { $nearest[$_.Id] } | Measure-Object -Maximum).Maximum, 3) })
    }
    $rows | Where-Object Part -EQ 'PhotoLeaks' | Format-Table Mode, Reference, Train, Planted, Flagged, Recall, Precision, MinCopyCosine, MaxOtherCosine -AutoSize | Out-String | Out-Host
}

# ---- 3. leaks between small images ------------------------------------------------------------
$dir = Join-Path $out 'fmnist-leaks'
if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
$null = New-Item -ItemType Directory $dir
$planted = if ($Quick) { 40 } else { 200 }
$edits = @(@{ Crop = 0.0; Scale = 1.0; Bright = 1.0; Q = 70 }, @{ Crop = 0.04; Scale = 1.0; Bright = 1.1; Q = 85 }, @{ Crop = 0.0; Scale = 2.0; Bright = 0.9; Q = 60 }, @{ Crop = 0.04; Scale = 1.5; Bright = 1.0; Q = 90 })
for ($i = 0; $i -lt $planted; $i++) {
    $t = $testRecords[$i * [Math]::Floor($testRecords.Count / $planted)]
    $e = $edits[$i % $edits.Count]
    $S::SaveEditedCopy($t.Path, (Join-Path $dir ('copy-{0}-{1}.jpg' -f $i, (Split-Path $t.Path -LeafBase))), $e.Crop, $e.Scale, $e.Bright, $e.Q)
}
$copies = @(Get-ChildItem $dir -File | Get-Embedding)
# Default: the images are small, so their pixels decide; -PixelCheck:$false leaves it to the embedding.
foreach ($mode in 'EmbeddingOnly', 'Default') {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $pixels = if ($mode -eq 'EmbeddingOnly') { @{ PixelCheck = $false } } else { @{} }
    $found = @(@($trainRecords) + $copies | Find-DataIssue -Check Leak -Reference $testRecords @pixels)
    $seconds = $clock.Elapsed.TotalSeconds
    $flagged = @($found | Where-Object { $_.Issues -contains 'Leak' })
    $right = @($flagged | Where-Object { (Split-Path $_.Id -Leaf) -like 'copy-*' -and (Split-Path $_.Id -Leaf) -like "*-$(Split-Path $_.LeakOf -LeafBase).jpg" })
    $rows.Add([pscustomobject]@{ Part = 'FashionMnistLeaks'; Mode = $mode; Reference = $testRecords.Count; Train = $found.Count; Planted = $copies.Count; Flagged = $flagged.Count
            Recall = [Math]::Round($right.Count / $copies.Count, 3); Precision = [Math]::Round($right.Count / [Math]::Max(1, $flagged.Count), 3)
            PixelChecks = $found[0].DataIssues.LeakPixelChecks; Seconds = [Math]::Round($seconds, 1) })
}
$rows | Where-Object Part -EQ 'FashionMnistLeaks' | Format-Table Mode, Reference, Train, Planted, Flagged, Recall, Precision, PixelChecks, Seconds -AutoSize | Out-String | Out-Host
# What the default flagged beyond the planted copies: look at these pairs (some are true duplicates already in Fashion-MNIST).
$found | Where-Object { $_.Issues -contains 'Leak' -and (Split-Path $_.Id -Leaf) -notlike 'copy-*' } | Sort-Object LeakPixelSimilarity -Descending |
    Format-Table Id, LeakOf, LeakSimilarity, LeakPixelSimilarity -AutoSize | Out-String -Width 200 | Out-Host

# ---- 4. every check on the training records: time and peak memory, in a fresh process --------
$script = Join-Path $out 'all-checks.ps1'
Set-Content $script @"
Import-Module '$(Join-Path $repo 'PruneCmdlets.psd1')'
`$records = @(Import-Embedding '$trainNpy' -LabelPath '$trainLabels')
`$before = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
`$clock = [Diagnostics.Stopwatch]::StartNew()
`$out = @(`$records | Find-DataIssue -Check Label, Outlier, Duplicate)
[pscustomobject]@{ Seconds = `$clock.Elapsed.TotalSeconds; PeakMB = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB; BeforeMB = `$before / 1MB
    Counts = (`$out[0].DataIssues.Counts | ConvertTo-Json -Compress); Accuracy = `$out[0].DataIssues.CrossValidatedAccuracy; Agreement = `$out[0].DataIssues.NeighborAgreement } | ConvertTo-Json -Compress
"@
$all = Invoke-ChildPwsh -Json -File $script | Select-Object -Last 1
$rows.Add([pscustomobject]@{ Part = 'AllChecks'; N = $trainRecords.Count; D = $trainRecords[0].Dimension; Seconds = [Math]::Round($all.Seconds, 1); PeakMB = [Math]::Round($all.PeakMB); StartMB = [Math]::Round($all.BeforeMB)
        Counts = $all.Counts; Accuracy = $all.Accuracy; Agreement = $all.Agreement })
$rows | Where-Object Part -EQ 'AllChecks' | Format-List | Out-Host
$rows

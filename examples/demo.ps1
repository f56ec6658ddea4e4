#Requires -Version 7.4
<#
.SYNOPSIS
    Prunes a generated, labelled image set end to end with the embedded ResNet18.
.DESCRIPTION
    Draws a small image data set (five classes of shapes and textures, a few near-duplicates,
    a few images filed under the wrong class, a few broken files), then runs the whole pipeline:

        Get-ChildItem | Get-Embedding | Find-DataIssue | Invoke-KMeans | Measure-Prototypicality |
            Invoke-SemDeDup -IncludePruned | Select-PrunedSet -Exclude LabelError, Outlier -IncludePruned |
            Export-PruneReport
        ... | Export-PrunedSet ./pruned

    prints kept and pruned counts per class, writes kept.csv and report.html (every decision
    with its reason, the selection's stability over k-means refits), then applies the decision
    with Export-PrunedSet: the kept images under pruned/<class>/, with manifest.csv and prune.json;
    applies a reviewer's overrides.csv (one pruned record flipped to kept, with a note) with
    Export-PrunedSet -Override, and applies a trial and takes it back with Undo-PrunedSet. Needs no download: the model
    ships in the module, the images are drawn here. Run it through `./build.ps1 -Task Demo`.
.EXAMPLE
    ./examples/demo.ps1 -OutputDirectory ./demo-output -PerClass 60 -KeepFraction 0.7
#>
[CmdletBinding()]
param(
    [string] $OutputDirectory = (Join-Path $PWD 'demo-output'),
    [ValidateRange(2, 10000)] [int] $PerClass = 60,
    [ValidateRange(0.01, 1.0)] [double] $KeepFraction = 0.7,
    [ValidateSet('Hard', 'Easy', 'Random')] [string] $Keep = 'Hard',
    [long] $Seed = 1
)

$ErrorActionPreference = 'Stop'
$clock = [Diagnostics.Stopwatch]::StartNew()
$repo = Split-Path $PSScriptRoot
Import-Module (Join-Path $repo 'PruneCmdlets.psd1')

# ---- 1. a labelled image folder (ImageFolder layout: <root>/<class>/<file>) ----------------
Add-Type -Path (Join-Path $repo 'module/bin/SixLabors.ImageSharp.dll')   # load it before code that uses it
Add-Type -Path (Join-Path $PSScriptRoot 'SyntheticImages.cs') -ReferencedAssemblies (Join-Path $repo 'module/bin/SixLabors.ImageSharp.dll') -IgnoreWarnings -WarningAction SilentlyContinue
$images = Join-Path $OutputDirectory 'images'
if (Test-Path $images) { Remove-Item $images -Recurse -Force }
$classes = [PruneCmdlets.Examples.SyntheticImages]::Classes
for ($c = 0; $c -lt $classes.Count; $c++) {
    $dir = New-Item -ItemType Directory -Force (Join-Path $images $classes[$c])
    for ($v = 0; $v -lt $PerClass; $v++) {
        $file = Join-Path $dir ('{0}-{1:D4}' -f $classes[$c], $v)
        if ($v % 2) { [PruneCmdlets.Examples.SyntheticImages]::SaveJpeg($c, $v, 96, 80, "$file.jpg", 90) }
        else { [PruneCmdlets.Examples.SyntheticImages]::SavePng($c, $v, 80, 96, "$file.png") }
    }
    # Label errors: two drawings of the next class filed under this one, as a careless annotator files them.
    foreach ($v in 1, 2) {
        [PruneCmdlets.Examples.SyntheticImages]::SavePng(($c + 1) % $classes.Count, 1000 + $v, 80, 96, (Join-Path $dir ('{0}-mislabelled-{1}.png' -f $classes[$c], $v)))
    }
    # Near-duplicates: the same drawing again, re-encoded with one pixel changed.
    foreach ($v in 0, 2, 4) {   # even variants are the 80×96 PNGs
        [PruneCmdlets.Examples.SyntheticImages]::SaveNearDuplicate($c, $v, 80, 96, (Join-Path $dir ('{0}-{1:D4}-copy.jpg' -f $classes[$c], $v)))
    }
}
# Broken files a real crawl contains: text named as an image, an empty file, a cut-off JPEG.
Set-Content (Join-Path $images "$($classes[0])/notes.png") 'this is not an image'
$null = New-Item -ItemType File -Force (Join-Path $images "$($classes[1])/empty.jpg")
$whole = [IO.File]::ReadAllBytes((Join-Path $images "$($classes[2])/$($classes[2])-0001.jpg"))
[IO.File]::WriteAllBytes((Join-Path $images "$($classes[2])/truncated.jpg"), $whole[0..200])
$fileCount = (Get-ChildItem $images -Recurse -File).Count
Write-Host ("Drew {0} files ({1} classes × {2}, 2 mislabelled and 3 near-duplicates per class, 3 broken) in {3:N1}s." -f $fileCount, $classes.Count, $PerClass, $clock.Elapsed.TotalSeconds)

# ---- 2. embed, cluster, score -------------------------------------------------------------
$embedClock = [Diagnostics.Stopwatch]::StartNew()
$embedded = Get-ChildItem $images -Recurse -File | Get-Embedding -ErrorVariable broken -ErrorAction SilentlyContinue
Write-Host ("Embedded {0} images with ResNet18 in {1:N1}s ({2:N0} images/s); {3} files could not be decoded:" -f
    $embedded.Count, $embedClock.Elapsed.TotalSeconds, ($embedded.Count / $embedClock.Elapsed.TotalSeconds), $broken.Count)
foreach ($e in $broken) { Write-Host "  [$($e.FullyQualifiedErrorId.Split(',')[0])] $($e.TargetObject)" }

# Tell hard from wrong before pruning: label errors (confident learning over a cross-validated
# probe), outliers and near-duplicates anywhere in the set.
$checked = @($embedded | Find-DataIssue -Seed $Seed)
$issues = $checked[0].DataIssues
$flagged = @($checked | Where-Object { $_.Issues -contains 'LabelError' })
Write-Host ("Find-DataIssue: {0}. The embedding fits the labels with {1:P1} cross-validated accuracy; {2} of the {3} planted mislabelled images are flagged as label errors." -f
    $issues, $issues.CrossValidatedAccuracy, @($flagged | Where-Object Id -Like '*-mislabelled-*').Count, @($checked | Where-Object Id -Like '*-mislabelled-*').Count)
$flagged | Sort-Object LabelQuality | Select-Object -First 2 | ForEach-Object { Write-Host "  $(Split-Path $_.Id -Leaf): $($_.IssueReason)" }

$scored = $checked | Invoke-KMeans -K $classes.Count -Seed $Seed | Measure-Prototypicality
$model = $scored[0].KMeansModel
Write-Host ("k-means: K={0}, {1}, {2} iterations, inertia {3:N3}." -f $model.K, $model.Metric, $model.Iterations, $model.Inertia)
$purity = ($scored | Group-Object Cluster | ForEach-Object { ($_.Group | Group-Object Label | Measure-Object Count -Maximum).Maximum } |
        Measure-Object -Sum).Sum / $scored.Count
Write-Host ("Cluster purity (share of each cluster's majority class): {0:P1}" -f $purity)

# ---- 3. deduplicate, then prune ----------------------------------------------------------
# Near-duplicates first: SemDeDup inside each cluster; -IncludePruned keeps the removed copies
# in the stream (Kept = false, with the member they duplicate) so the report can show them.
$decided = @($scored | Invoke-SemDeDup -IncludePruned |
        Select-PrunedSet -KeepFraction $KeepFraction -Keep $Keep -BalanceBy Label -Seed $Seed -Exclude LabelError, Outlier -IncludePruned)
$kept = @($decided | Where-Object Kept)
$planted = @($decided | Where-Object Id -Like '*-copy.jpg').Count
$caught = @($decided | Where-Object { $_.DuplicateOf -and $_.Id -like '*-copy.jpg' }).Count
$removed = @($decided | Where-Object { -not $_.Kept -and $_.Reason -like 'pruned: near-duplicate*' }).Count
Write-Host ("Invoke-SemDeDup (cosine similarity >= 0.99 inside a cluster) removed {0} near-duplicates; {1} of the {2} planted copies are in a duplicate group." -f $removed, $caught, $planted)
Write-Host ''
Write-Host "Kept $($kept.Count) of $($decided.Count) ($Keep, $($KeepFraction.ToString('P0')) per class of what SemDeDup left, label errors and outliers pruned first):"
$decided | Group-Object Label | Sort-Object Name | ForEach-Object {
    $k = @($_.Group | Where-Object Kept).Count
    [pscustomobject]@{ Class = $_.Name; Total = $_.Count; Kept = $k; Pruned = $_.Count - $k
        MeanDistance = [Math]::Round(($_.Group | Measure-Object Distance -Average).Average, 4) }
} | Format-Table -AutoSize | Out-String | Write-Host
Write-Host 'Why, for the first two pruned:'
$decided | Where-Object { -not $_.Kept } | Select-Object -First 2 | ForEach-Object { Write-Host "  $(Split-Path $_.Id -Leaf): $($_.Reason)" }

# ---- 4. look at it -------------------------------------------------------------------------
# How much does the kept set depend on the k-means fit? Refit with other seeds and K.
$stability = $embedded | Measure-SelectionStability -KeepFraction $KeepFraction -Keep $Keep -BalanceBy Label -K $classes.Count, ($classes.Count * 2) -Seed $Seed, ($Seed + 1)
Write-Host ("Selection stability over {0} k-means refits: mean Jaccard overlap {1:N3} (1 = the same kept set every time)." -f $stability.Runs.Count, $stability.MeanJaccard)
$report = $decided | Export-PruneReport (Join-Path $OutputDirectory 'report.html') -Stability $stability -Title 'PruneCmdlets demo: synthetic shapes'
Write-Host "Wrote $($report.FullName) (open it in a browser)"

$csv = Join-Path $OutputDirectory 'kept.csv'
$kept | Select-Object Id, Label, Cluster, Distance, Percentile | Export-Csv $csv -NoTypeInformation
Write-Host "Wrote $csv"

# ---- 5. apply it ---------------------------------------------------------------------------
# The kept images as a new ImageFolder tree (<class>/<file>) a training job reads as it is, with
# manifest.csv (every record, kept and pruned, with its reason and SHA-256) and prune.json.
# The images were drawn afresh above, so the earlier pruned tree goes too.
$pruned = Join-Path $OutputDirectory 'pruned'
if (Test-Path $pruned) { Remove-Item $pruned -Recurse -Force }
$applied = $decided | Export-PrunedSet $pruned -RelativeTo $images
Write-Host "Export-PrunedSet: $applied, into $pruned (manifest.csv, prune.json)"
# The saved decision applied again, as hard links this time: every source's size and SHA-256 is
# checked against the manifest first, so a file changed since would be refused.
$linked = Join-Path $OutputDirectory 'pruned-links'
if (Test-Path $linked) { Remove-Item $linked -Recurse -Force }
$again = Import-Csv (Join-Path $pruned 'manifest.csv') | Export-PrunedSet $linked -RelativeTo $images -Mode HardLink
Write-Host "Re-applied from its manifest as hard links: $again, into $linked"
# A reviewer's correction: in report.html a reviewer flips a record (keep <-> prune), adds a note
# and downloads overrides.csv (Id, Kept, Note, RunId: the run id of the decisions the report
# showed). Written here as the report would, for the first record the policy pruned (not a duplicate), then applied:
# the record is placed, its Reason says why, and prune.json records the file's SHA-256.
$flip = $decided | Where-Object { -not $_.Kept -and $_.Reason -notmatch 'duplicate' } | Select-Object -First 1
$runId = [PruneCmdlets.Review.DecisionRun]::Id([System.ValueTuple[string, bool][]]@($decided | ForEach-Object { [ValueTuple]::Create([string]$_.Id, [bool]$_.Kept) }))
$overrides = Join-Path $OutputDirectory 'overrides.csv'
[pscustomobject]@{ Id = $flip.Id; Kept = 'true'; Note = 'a rare view, keep it'; RunId = $runId } | Export-Csv $overrides -UseQuotes AsNeeded
$reviewed = Join-Path $OutputDirectory 'pruned-reviewed'
if (Test-Path $reviewed) { Remove-Item $reviewed -Recurse -Force }
$withReview = $decided | Export-PrunedSet $reviewed -RelativeTo $images -Override $overrides
$row = Import-Csv (Join-Path $reviewed 'manifest.csv') | Where-Object Id -EQ $flip.Id
$review = (Get-Content -Raw (Join-Path $reviewed 'prune.json') | ConvertFrom-Json).overrides
Write-Host "Applied with overrides.csv into $reviewed ($withReview): '$(Split-Path $flip.Id -Leaf)' was '$($flip.Reason)', now Kept $($row.Kept): '$($row.Reason)'; prune.json: $($review.keptByReview) kept by review, $($review.prunedByReview) pruned by review, SHA-256 $($review.sha256.Substring(0, 12))…"
# Any apply can be taken back: Export-PrunedSet journals every file and folder it makes, and
# Undo-PrunedSet removes exactly those (a file changed since stays, with a warning).
$trial = Join-Path $OutputDirectory 'pruned-trial'
if (Test-Path $trial) { Remove-Item $trial -Recurse -Force }
$tried = $decided | Export-PrunedSet $trial -RelativeTo $images
$undone = Undo-PrunedSet $trial
Write-Host "Applied into $trial ($tried), then Undo-PrunedSet: $undone; the folder is $(if (Test-Path $trial) { 'still there' } else { 'gone' })."
Write-Host ("Demo finished in {0:N1}s." -f $clock.Elapsed.TotalSeconds)

#Requires -Version 7.4
<#
.SYNOPSIS
    Prunes and deduplicates a real labelled text corpus: the fortune cookies of Debian's
    `fortunes` package, one class per fortune file.
.DESCRIPTION
    Reads the cookies of the chosen fortune files (each file is a class: computers, politics,
    science, …; cookies are separated by lines holding only %), then:
      1. embeds them with Get-TextEmbedding (all-MiniLM-L6-v2), cached in -OutputDirectory;
      2. counts exact duplicates (the same text after collapsing whitespace) and runs
         Invoke-SemDeDup at several thresholds, showing a few of the groups it finds;
      3. clusters with Invoke-KMeans, scores with Measure-Prototypicality and keeps 70 % with
         Select-PrunedSet (hardest and easiest);
      4. holds out every fifth cookie as a test set and runs Test-PruningStrategy on the rest.
    The corpus is not downloaded by this script: install it with `sudo apt-get install fortunes`
    (Debian's package, data in /usr/share/games/fortunes), or point -FortuneDirectory at any folder
    of files in the same format. -Limit takes the first N cookies of each class, for a quick run.
    With -ResultPath the Test-PruningStrategy rows are written as CSV.
.EXAMPLE
    ./examples/text-corpus.ps1 -OutputDirectory ./text-output -ResultPath ./docs/text-pruning.csv
#>
[CmdletBinding()]
param(
    [string] $FortuneDirectory = '/usr/share/games/fortunes',
    [string[]] $Category = @('computers', 'politics', 'science', 'startrek', 'law', 'education', 'food', 'sports'),
    [int] $Limit = 0,
    [string] $OutputDirectory = (Join-Path $PWD 'text-output'),
    [string] $ResultPath,
    [int] $K = 0,
    [long] $Seed = 1
)

$ErrorActionPreference = 'Stop'
$repo = Split-Path $PSScriptRoot
if (-not (Get-Module PruneCmdlets)) { Import-Module (Join-Path $repo 'PruneCmdlets.psd1') }
if (-not (Test-Path $FortuneDirectory)) { throw "No fortune files in '$FortuneDirectory'. Install them with: sudo apt-get install fortunes" }
$null = New-Item -ItemType Directory -Force $OutputDirectory
$clock = [Diagnostics.Stopwatch]::StartNew()

# 1. The corpus: one object per cookie, Id = class:number, Label = class.
$docs = foreach ($class in $Category) {
    $file = Join-Path $FortuneDirectory $class
    if (-not (Test-Path $file)) { Write-Warning "No fortune file '$file'; class $class skipped."; continue }
    $cookies = ([IO.File]::ReadAllText($file) -split '(?m)^%\r?$') | ForEach-Object { $_.Trim() } | Where-Object { $_ }
    if ($Limit -gt 0) { $cookies = $cookies | Select-Object -First $Limit }
    $i = 0
    foreach ($c in $cookies) { [pscustomobject]@{ Id = '{0}:{1:D4}' -f $class, $i++; Label = $class; Text = $c } }
}
$docs = @($docs)
Write-Host ("{0} cookies in {1} classes: {2}" -f $docs.Count, ($docs.Label | Sort-Object -Unique).Count,
    (($docs | Group-Object Label | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '))

# 2. Embed (cached: a re-run embeds nothing).
$records = @($docs | Get-TextEmbedding -CacheDirectory (Join-Path $OutputDirectory 'cache') -IncludeText)
$truncated = @($records | Where-Object TruncatedTokens -GT 0).Count
Write-Host ("Embedded {0} cookies ({1} longer than 256 word pieces, truncated); mean {2:F1} tokens." -f $records.Count, $truncated, ($records | Measure-Object TokenCount -Average).Average)

# 3. Duplicates. Exact: the same text once whitespace is collapsed. Near: SemDeDup within k-means clusters.
$exact = @($records | Group-Object { ($_.Text -replace '\s+', ' ').ToLowerInvariant() } | Where-Object Count -GT 1)
Write-Host ("Exact duplicates: {0} texts appear more than once ({1} surplus copies)." -f $exact.Count, (($exact | Measure-Object Count -Sum).Sum - $exact.Count))
foreach ($g in $exact | Select-Object -First 3) { Write-Host ("  x{0} [{1}] {2}" -f $g.Count, (($g.Group.Id) -join ', '), ($g.Group[0].Text -replace '\s+', ' ').Substring(0, [Math]::Min(90, ($g.Group[0].Text -replace '\s+', ' ').Length))) }

if ($K -le 0) { $K = [Math]::Max(2, [int][Math]::Round([Math]::Sqrt($records.Count / 2))) }
$clustered = @($records | Invoke-KMeans -K $K -Seed $Seed)
$dedupRows = foreach ($eps in 0.001, 0.05, 0.1, 0.2) {
    $groups = @($clustered | Invoke-SemDeDup -Epsilon $eps -ShowDuplicates)
    $removed = ($groups | Measure-Object -Property Count -Sum).Sum - $groups.Count
    $crossClass = @($groups | Where-Object { @(@($_.Kept) + @($_.Duplicates) | ForEach-Object Label | Sort-Object -Unique).Count -gt 1 }).Count
    [pscustomobject]@{ Epsilon = $eps; MinCosine = 1 - $eps; Groups = $groups.Count; Removed = [int]$removed; GroupsAcrossClasses = $crossClass; Sample = $groups }
}
Write-Host "SemDeDup (k-means K = $K): records removed at each threshold"
$dedupRows | Format-Table Epsilon, MinCosine, Groups, Removed, GroupsAcrossClasses | Out-Host
$near = $dedupRows | Where-Object Epsilon -EQ 0.1
foreach ($g in @($near.Sample | Sort-Object MinSimilarity | Select-Object -First 3)) {
    Write-Host ("  group of {0}, cosine {1:F3}–{2:F3}:" -f $g.Count, $g.MinSimilarity, $g.MaxSimilarity)
    foreach ($r in @($g.Kept) + @($g.Duplicates)) { $t = $r.Text -replace '\s+', ' '; Write-Host ("    {0,-16} {1}" -f $r.Id, $t.Substring(0, [Math]::Min(100, $t.Length))) }
}

# 4. Prune by prototypicality, on the deduplicated set (cosine ≥ 0.95 removed).
$deduped = @($clustered | Invoke-SemDeDup -Epsilon 0.05)
$scored = @($deduped | Measure-Prototypicality)
$hard = @($scored | Select-PrunedSet -KeepFraction 0.7 -Keep Hard)
$easy = @($scored | Select-PrunedSet -KeepFraction 0.7 -Keep Easy)
Write-Host ("Pruned {0} → {1} (70 %, hardest kept); per class kept: {2}" -f $scored.Count, $hard.Count,
    (($hard | Group-Object Label | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '))
Write-Host 'Most prototypical (easiest) cookie of three clusters:'
foreach ($c in $scored | Group-Object Cluster | Select-Object -First 3) {
    $r = $c.Group | Sort-Object Distance | Select-Object -First 1
    $t = $r.Text -replace '\s+', ' '
    Write-Host ("  cluster {0,-3} {1,-16} {2}" -f $c.Name, $r.Id, $t.Substring(0, [Math]::Min(90, $t.Length)))
}

# 5. Does pruning keep the information a classifier needs? Every fifth cookie (of the deduplicated set) is held out.
$test = @(for ($i = 4; $i -lt $deduped.Count; $i += 5) { $deduped[$i] })
$train = @(for ($i = 0; $i -lt $deduped.Count; $i++) { if ($i % 5 -ne 4) { $deduped[$i] } })
$probe = @($train | Invoke-KMeans -K $K -Seed $Seed | Measure-Prototypicality |
    Test-PruningStrategy -TestSet $test -KeepFraction 1, 0.8, 0.6, 0.4, 0.2 -Keep Hard, Easy, Random -BalanceBy None, Label -Seed $Seed)
$rows = @($probe | Where-Object { $_ -is [PruneCmdlets.Probing.ProbeResult] })
$rows | Format-Table KeepFraction, Keep, BalanceBy, KeptCount,
    @{ n = 'Accuracy'; e = { '{0:P1}' -f $_.TestAccuracy } },
    @{ n = 'Change'; e = { '{0:+0.0;-0.0;0.0} pts' -f [Math]::Round(100 * $_.AccuracyChange, 1) } }, Recommended | Out-Host
Write-Host "Recommendation: $($probe[-1].Reason)"
if ($ResultPath) {
    $rows | Select-Object KeepFraction, Keep, BalanceBy, KeptCount, TestAccuracy, AccuracyChange, AccuracyStdDev, Recommended |
        Export-Csv $ResultPath -NoTypeInformation
    Write-Host "Wrote $ResultPath"
}
Write-Host ("Done in {0:F1}s: {1} cookies, {2} test." -f $clock.Elapsed.TotalSeconds, $records.Count, $test.Count)

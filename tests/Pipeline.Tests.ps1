BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    Initialize-SyntheticImages
    $S = [PruneCmdlets.Examples.SyntheticImages]
    $photos = Join-Path $TestDrive 'photos'
    foreach ($c in 0, 2, 3) {
        $dir = New-Item -ItemType Directory -Force (Join-Path $photos $S::Classes[$c])
        foreach ($v in 0..7) { $S::SavePng($c, $v, 64, 64, (Join-Path $dir "s$v.png")) }
    }
    Set-Content (Join-Path $photos 'circles/broken.jpg') 'garbage'
}

Describe 'The pruning pipeline' {
    It 'composes Get-ChildItem | Get-Embedding | Invoke-KMeans | Measure-Prototypicality | Select-PrunedSet | Export-Csv' {
        $csv = Join-Path $TestDrive 'kept.csv'
        Get-ChildItem $photos -Recurse -File | Get-Embedding -ErrorAction SilentlyContinue -ErrorVariable err |
            Invoke-KMeans -K 3 -Seed 1 | Measure-Prototypicality |
            Select-PrunedSet -KeepFraction 0.5 -Keep Hard -BalanceBy Label |
            Select-Object Id, Label, Cluster, Distance, Percentile | Export-Csv $csv
        $rows = Import-Csv $csv
        $rows | Should -HaveCount 12
        $rows | Group-Object Label | ForEach-Object { $_.Count | Should -Be 4 }
        $err | Should -HaveCount 1
        $err[0].TargetObject | Should -BeLike '*broken.jpg'
    }
    It 'keeps the hardest half: every kept record is at least as far as every pruned one in its class' {
        $scored = Get-ChildItem $photos -Recurse -File -Filter *.png | Get-Embedding | Invoke-KMeans -K 3 -Seed 1 | Measure-Prototypicality
        $kept = $scored | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Label
        $pruned = $scored | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Label -Invert
        foreach ($label in $scored.Label | Select-Object -Unique) {
            $minKept = ($kept | Where-Object Label -EQ $label | Measure-Object Distance -Minimum).Minimum
            $maxPruned = ($pruned | Where-Object Label -EQ $label | Measure-Object Distance -Maximum).Maximum
            $minKept | Should -BeGreaterOrEqual $maxPruned
        }
    }
    It 'clusters the drawn classes apart (embeddings + k-means find the classes)' {
        $out = Get-ChildItem $photos -Recurse -File -Filter *.png | Get-Embedding | Invoke-KMeans -K 3 -Seed 1
        $purity = ($out | Group-Object Cluster | ForEach-Object { ($_.Group | Group-Object Label | Measure-Object Count -Maximum).Maximum } | Measure-Object -Sum).Sum / $out.Count
        $purity | Should -BeGreaterThan 0.8
    }
    It 'runs examples/demo.ps1 end to end' {
        $outDir = Join-Path $TestDrive 'demo'
        $lines = Invoke-ChildPwsh -Command "& '$(Join-Path $RepoRoot 'examples/demo.ps1')' -OutputDirectory '$outDir' -PerClass 6 -KeepFraction 0.5"
        ($lines -join "`n") | Should -Match 'Demo finished'
        # The 20 copies, manifest.csv and prune.json; the 5 class folders and the destination.
        # The review: one pruned record flipped to kept by a hand-written overrides.csv.
        ($lines -join "`n") | Should -Match "now Kept True: 'kept by review: a rare view, keep it'; prune.json: 1 kept by review, 0 pruned by review"
        Test-Path (Join-Path $outDir 'pruned-reviewed/manifest.csv') | Should -BeTrue
        ($lines -join "`n") | Should -Match 'then Undo-PrunedSet: 22 removed, 0 kept \(changed\), 0 kept \(added\), 6 folders removed; the folder is gone\.'
        $rows = Import-Csv (Join-Path $outDir 'kept.csv')
        # 5 classes × (6 + 2 mislabelled + 3 copies) = 55 decodable; SemDeDup removes the 3 copies of
        # each class (or their originals); of the 40 left, half is kept (20), chosen from those
        # Find-DataIssue did not flag as label errors or outliers.
        ($lines -join "`n") | Should -Match '15 of the 15 planted copies are in a duplicate group'
        ($lines -join "`n") | Should -Match 'Find-DataIssue: 55 records: LabelError [1-9]'
        $rows.Count | Should -Be 20
        ($lines -join "`n") | Should -Match 'ImageDecodeFailed'
        $report = Get-Content (Join-Path $outDir 'report.html') -Raw
        $report | Should -Match 'data-count="in">55<'
        $report | Should -Match 'data-count="kept">20<'
        $report | Should -Match '<section id="data-issues">'
        ($lines -join "`n") | Should -Match 'pruned: (near-duplicate of|Easy side of the cut)'
        # The decision applied: the 20 kept images as <class>/<file>, every one of the 55 records in the manifest.
        $pruned = Join-Path $outDir 'pruned'
        $placed = @(Get-ChildItem -LiteralPath $pruned -Recurse -File -Force | Where-Object Name -NotIn 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
        $placed | Should -HaveCount 20
        $keptIds = @($rows.Id | ForEach-Object { [IO.Path]::GetRelativePath((Join-Path $outDir 'images'), $_).Replace('\', '/') } | Sort-Object)
        @($placed | ForEach-Object { [IO.Path]::GetRelativePath($pruned, $_.FullName).Replace('\', '/') } | Sort-Object) | Should -Be $keptIds
        $manifest = @(Import-Csv (Join-Path $pruned 'manifest.csv'))
        $manifest | Should -HaveCount 55
        @($manifest | Where-Object Kept -EQ 'True') | Should -HaveCount 20
        # Every record flagged as a label error was pruned for it, and most of them are planted ones.
        $labelErrors = @($manifest | Where-Object { $_.Issues -split ';' -contains 'LabelError' })
        $labelErrors.Count | Should -BeGreaterThan 0
        $labelErrors.Kept | Select-Object -Unique | Should -Be 'False'
        # Pruned for the label error, unless SemDeDup had already pruned it as a copy.
        $labelErrors | ForEach-Object { $_.Reason | Should -Match '^pruned: (label error|near-duplicate of)' }
        @($labelErrors | Where-Object Reason -Like 'pruned: label error*').Count | Should -BeGreaterThan 0
        @($labelErrors | Where-Object Id -Like '*-mislabelled-*').Count | Should -BeGreaterOrEqual ($labelErrors.Count / 2)
        $json = Get-Content -Raw (Join-Path $pruned 'prune.json') | ConvertFrom-Json
        $json.counts.kept, $json.counts.pruned, $json.counts.copied | Should -Be 20, 35, 20
        $json.models | Should -Be 'ResNet18'
        $json.decision.keepFraction | Should -Be '0.5'
        $json.decision.balanceBy | Should -Be 'Label'
        $json.decision.exclude | Should -Be 'LabelError,Outlier'
        ($lines -join "`n") | Should -Match 'Export-PrunedSet: 20 copied, 0 linked, 0 skipped, 0 failed, 35 pruned'
        ($lines -join "`n") | Should -Match 'Re-applied from its manifest as hard links: 0 copied, 20 linked, 0 skipped, 0 failed, 35 pruned'
        @(Get-ChildItem -LiteralPath (Join-Path $outDir 'pruned-links') -Recurse -File | Where-Object Name -NotIn 'manifest.csv', 'prune-journal.jsonl', 'prune.json') | Should -HaveCount 20
    }
}

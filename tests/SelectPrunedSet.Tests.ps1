BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $cmd = 'PruneCmdlets.Commands.SelectPrunedSetCommand'
    # Ten 1-D records scored against label means: distances are known by hand.
    # Class A at 0..4 (mean 2): distances 2,1,0,1,2. Class B at 10,11,13,16,20 (mean 14): 4,3,1,2,6.
    $raw = @(
        foreach ($x in 0, 1, 2, 3, 4) { New-VectorRecord -Id "a$x" -Vector @($x) -Label A }
        foreach ($x in 10, 11, 13, 16, 20) { New-VectorRecord -Id "b$x" -Vector @($x) -Label B }
    )
    $scored = @($raw | Measure-Prototypicality -Prototype Label -Metric Euclidean)
}

Describe 'Select-PrunedSet' {
    It 'Keep Hard keeps the largest distances, in input order' {
        $kept = $scored | Select-PrunedSet -KeepFraction 0.3 -Keep Hard
        $kept.Id | Should -Be @('b10', 'b11', 'b20')
    }
    It 'Keep Easy keeps the smallest distances, ties in input order' {
        $kept = $scored | Select-PrunedSet -KeepCount 3 -Keep Easy
        # Distances 0 (a2), then 1 for a1, a3, b13: input order picks a1 and a3.
        $kept.Id | Should -Be @('a1', 'a2', 'a3')
    }
    It 'drops a record sitting on its prototype first under Keep Hard' {
        $kept = $scored | Select-PrunedSet -KeepCount 9 -Keep Hard
        $kept.Id | Should -Not -Contain 'a2'
        $kept | Should -HaveCount 9
    }
    It '-Invert emits exactly the complement' {
        $kept = $scored | Select-PrunedSet -KeepFraction 0.4 -Keep Hard
        $pruned = $scored | Select-PrunedSet -KeepFraction 0.4 -Keep Hard -Invert
        $kept | Should -HaveCount 4
        $pruned | Should -HaveCount 6
        (@($kept.Id) + @($pruned.Id) | Sort-Object) | Should -Be ($scored.Id | Sort-Object)
    }
    It 'balances by label: the same fraction inside every class' {
        $kept = $scored | Select-PrunedSet -KeepFraction 0.4 -Keep Hard -BalanceBy Label
        @($kept | Where-Object Label -EQ 'A').Count | Should -Be 2
        @($kept | Where-Object Label -EQ 'B').Count | Should -Be 2
        # Hardest two of each class: a0,a4 (2) and b10 (4), b20 (6).
        $kept.Id | Should -Be @('a0', 'a4', 'b10', 'b20')
    }
    It 'rounds per-group quotas so the total is exact' {
        # 7 of 10 across two groups of 5: 3.5 each; remainder ties go to the first group.
        $kept = $scored | Select-PrunedSet -KeepFraction 0.7 -Keep Easy -BalanceBy Label
        $kept | Should -HaveCount 7
        @($kept | Where-Object Label -EQ 'A').Count | Should -Be 4
        @($kept | Where-Object Label -EQ 'B').Count | Should -Be 3
    }
    It 'balances by cluster' {
        $clustered = $raw | Invoke-KMeans -K 2 -Metric Euclidean -Seed 1 | Measure-Prototypicality
        $kept = $clustered | Select-PrunedSet -KeepFraction 0.6 -BalanceBy Cluster
        $kept | Should -HaveCount 6
        $kept | Group-Object Cluster | ForEach-Object { $_.Count | Should -Be 3 }
    }
    It 'Keep Random is a seeded sample: same seed same set, another seed another set' {
        $one = $scored | Select-PrunedSet -KeepFraction 0.5 -Keep Random -Seed 1
        $again = $scored | Select-PrunedSet -KeepFraction 0.5 -Keep Random -Seed 1
        $one.Id | Should -Be $again.Id
        $one | Should -HaveCount 5
        $others = foreach ($s in 2..6) { ($scored | Select-PrunedSet -KeepFraction 0.5 -Keep Random -Seed $s).Id -join ',' }
        $others | Where-Object { $_ -ne ($one.Id -join ',') } | Should -Not -BeNullOrEmpty
    }
    It 'Keep Random needs no distances' {
        ($raw | Select-PrunedSet -KeepCount 2 -Keep Random) | Should -HaveCount 2
    }
    It 'keeps round(f·N) records and at least one' {
        ($scored | Select-PrunedSet -KeepFraction 0.25) | Should -HaveCount 3   # 2.5 rounds away from zero
        ($scored | Select-PrunedSet -KeepFraction 0.01) | Should -HaveCount 1
        ($scored | Select-PrunedSet -KeepFraction 1) | Should -HaveCount 10
    }
    It 'reports kept/total per group with -Verbose' {
        $v = $scored | Select-PrunedSet -KeepFraction 0.4 -BalanceBy Label -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($v.Message -join "`n") | Should -BeLike '*Label A: kept 2/5*'
    }
    It 'warns and keeps everything when -KeepCount exceeds the input' {
        $kept = $scored | Select-PrunedSet -KeepCount 50 -WarningVariable w -WarningAction SilentlyContinue
        $kept | Should -HaveCount 10
        $w | Should -Not -BeNullOrEmpty
    }

    It 'keeps the earlier decisions and annotations of rows read back with Import-Csv (a saved manifest, vectors joined back)' {
        $first = @($scored | Select-PrunedSet -KeepFraction 0.6 -Keep Hard -IncludePruned)
        $csv = Join-Path $TestDrive 'decided.csv'
        # The manifest's column names; Issues as Export-PrunedSet writes them, names joined by ";".
        $first | Select-Object Id, Label, Cluster, Distance, Kept, Reason,
            @{ n = 'Issues'; e = { if ($_.Id -eq 'a0') { 'Outlier;LabelError' } } }, @{ n = 'LabelQuality'; e = { if ($_.Id -eq 'a0') { 0.25 } } } | Export-Csv $csv
        $vectors = @{}; foreach ($r in $scored) { $vectors[$r.Id] = $r.Vector }
        $again = @(Import-Csv $csv | ForEach-Object { $_ | Add-Member Vector $vectors[$_.Id] -PassThru } | Select-PrunedSet -KeepFraction 1 -Keep Hard -IncludePruned)
        $again.Id | Should -Be $first.Id
        $again.Kept | Should -Be $first.Kept              # the 4 pruned rows stay pruned: the policy selects from the other 6
        @($again | Where-Object Kept -EQ $false) | Should -HaveCount 4
        ($again | Where-Object Kept -EQ $false).Reason | Should -Be ($first | Where-Object Kept -EQ $false).Reason
        $a0 = $again | Where-Object Id -EQ 'a0'
        $a0.Issues | Should -Be 'Outlier', 'LabelError'
        $a0.LabelQuality | Should -BeOfType [double]
        $a0.LabelQuality | Should -Be 0.25
        $a0.Distance | Should -Be 2
    }

    Context 'density-based pruning (-BalanceBy Density)' {
        BeforeAll {
            # 1-D, Euclidean: blobs at 0 ± 1, 10 ± 1 and 30 ± 2, four records each, so the centroids are
            # 0, 10, 30. d_intra 1, 1, 2; d_inter (mean distance to the other two centroids) 20, 15, 25;
            # complexity 20, 15, 50. At -Temperature 20 the shares are e^1, e^0.75, e^2.5 normalised:
            # 0.1597, 0.1244, 0.7159.
            $i = 0
            $blobs = @(
                foreach ($x in -1, 1, -1, 1) { New-VectorRecord -Id "A$(($i++))" -Vector @($x) -Label A }
                foreach ($x in 9, 11, 9, 11) { New-VectorRecord -Id "B$(($i++))" -Vector @($x) -Label B }
                foreach ($x in 28, 32, 28, 32) { New-VectorRecord -Id "C$(($i++))" -Vector @($x) -Label C }
            )
            $dense = @($blobs | Invoke-KMeans -K 3 -Metric Euclidean -Seed 1)
            function Get-KeptPerLabel($kept) { foreach ($l in 'A', 'B', 'C') { @($kept | Where-Object Label -EQ $l).Count } }
        }
        It 'finds the three blobs (the fixture the other cases rely on)' {
            ($dense | Group-Object Cluster | ForEach-Object { ($_.Group.Label | Select-Object -Unique).Count }) | Should -Be @(1, 1, 1)
            ($dense | Group-Object Cluster).Count | Should -Be 3
        }
        It 'gives complex clusters more: 7 of 12 → 2, 1, 4 (the third capped at its size)' {
            # 7 × shares = 1.118, 0.871, 5.011 → C capped at 4; the other 3 split 0.1597 : 0.1244 = 1.687, 1.313 → 2, 1.
            $kept = $dense | Select-PrunedSet -KeepCount 7 -BalanceBy Density -Temperature 20 -Keep Random -Seed 3
            $kept | Should -HaveCount 7
            Get-KeptPerLabel $kept | Should -Be @(2, 1, 4)
        }
        It 'keeps at least one per cluster by default; -MinPerGroup 0 lets a cluster empty' {
            # 3 × shares = 0.479, 0.373, 2.148: floored at 1 → 1, 1, 1; without a floor → 1, 0, 2.
            Get-KeptPerLabel ($dense | Select-PrunedSet -KeepCount 3 -BalanceBy Density -Temperature 20 -Keep Random) | Should -Be @(1, 1, 1)
            Get-KeptPerLabel ($dense | Select-PrunedSet -KeepCount 3 -BalanceBy Density -Temperature 20 -Keep Random -MinPerGroup 0) | Should -Be @(1, 0, 2)
        }
        It 'keeps the hardest inside each cluster after Measure-Prototypicality' {
            $kept = $dense | Measure-Prototypicality | Select-PrunedSet -KeepCount 7 -BalanceBy Density -Temperature 20
            Get-KeptPerLabel $kept | Should -Be @(2, 1, 4)
            $kept | Should -HaveCount 7
        }
        It 'reports each cluster''s d_intra, d_inter, complexity and share with -Verbose' {
            $v = $dense | Select-PrunedSet -KeepCount 7 -BalanceBy Density -Temperature 20 -Keep Random -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            $text = $v.Message -join "`n"
            $text | Should -BeLike '*d_intra 2, d_inter 25, complexity 50, share 71.6*kept 4/4*'
            $text | Should -BeLike '*d_intra 1, d_inter 15, complexity 15, share 12.4*kept 1/4*'
        }
        It 'refuses a floor the total cannot meet' {
            { $dense | Select-PrunedSet -KeepCount 2 -BalanceBy Density -Keep Random } | Should -Throw -ErrorId "MinPerGroupTooLarge,$cmd"
        }
        It 'needs the k-means model on the records' {
            $noModel = $dense | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Vector = $_.Vector; Cluster = $_.Cluster } }
            { $noModel | Select-PrunedSet -KeepCount 6 -BalanceBy Density -Keep Random } | Should -Throw -ErrorId "NoClusterModel,$cmd"
            { $scored | Select-PrunedSet -KeepCount 6 -BalanceBy Density } | Should -Throw -ErrorId "MissingCluster,$cmd"
        }
        It 'refuses records from two different k-means models' {
            # Another K: a run with the same K and seed would give the same model, which is accepted.
            $other = @($blobs | Invoke-KMeans -K 4 -Metric Euclidean -Seed 1)
            { @($dense[0..5]) + @($other[6..11]) | Select-PrunedSet -KeepCount 6 -BalanceBy Density -Keep Random } | Should -Throw -ErrorId "MixedClusterModels,$cmd"
        }
        It 'refuses a temperature that is not positive' {
            { $dense | Select-PrunedSet -KeepCount 6 -BalanceBy Density -Temperature 0 -Keep Random } | Should -Throw -ErrorId "InvalidTemperature,$cmd"
        }
    }

    Context '-MinPerGroup with -BalanceBy Label' {
        It 'raises a small class to the floor and keeps the total exact' {
            $uneven = @(
                foreach ($k in 0..7) { New-VectorRecord -Id "big$k" -Vector @($k) -Label Big }
                foreach ($k in 0..1) { New-VectorRecord -Id "small$k" -Vector @($k) -Label Small }
            )
            # 2 of 10 in proportion: 1.6, 0.4 → 2, 0. With a floor of 1: 1, 1.
            $plain = $uneven | Select-PrunedSet -KeepCount 2 -BalanceBy Label -Keep Random
            @($plain | Where-Object Label -EQ Small).Count | Should -Be 0
            $floored = $uneven | Select-PrunedSet -KeepCount 2 -BalanceBy Label -Keep Random -MinPerGroup 1
            $floored | Should -HaveCount 2
            @($floored | Where-Object Label -EQ Small).Count | Should -Be 1
        }
    }

    Context 'stratified selection (-Keep Stratified, CCS)' {
        BeforeAll {
            # Records carrying a Distance directly. β = 0.25 drops the 3 hardest (20, 30, 25); the other 9
            # span 1.0..9.2, four bins of width 2.05 hold 5 (s0-s4), 1 (s5), 0 and 3 (s6-s8) records.
            # Keeping 6, water-filling gives 0 (empty bin), 1 (⌊6/3⌋ capped at 1), 2 (⌊5/2⌋), 3 (⌊3/1⌋).
            $d = 1.0, 1.2, 1.1, 1.3, 1.05, 5.0, 9.0, 9.2, 9.1, 20, 30, 25
            $strata = @(for ($k = 0; $k -lt $d.Count; $k++) { [pscustomobject]@{ Id = "s$k"; Vector = [float[]]@($k); Distance = $d[$k] } })
            function Get-KeptPerBin($kept) {
                $ids = @($kept.Id)
                @(@('s0', 's1', 's2', 's3', 's4'), @('s5'), @('s6', 's7', 's8'), @('s9', 's10', 's11')) |
                    ForEach-Object { @($_ | Where-Object { $_ -in $ids }).Count }
            }
        }
        It 'fills the bins as documented: 3, 1, 2 and none past the cutoff' {
            foreach ($seed in 1..5) {
                $kept = $strata | Select-PrunedSet -KeepCount 6 -Keep Stratified -HardCutoff 0.25 -Bins 4 -Seed $seed
                $kept | Should -HaveCount 6
                Get-KeptPerBin $kept | Should -Be @(3, 1, 2, 0)
            }
        }
        It 'is seeded: the same seed gives the same set, in input order' {
            $one = ($strata | Select-PrunedSet -KeepCount 6 -Keep Stratified -HardCutoff 0.25 -Bins 4 -Seed 9).Id
            ($strata | Select-PrunedSet -KeepCount 6 -Keep Stratified -HardCutoff 0.25 -Bins 4 -Seed 9).Id | Should -Be $one
            $one | Should -Be ($one | Sort-Object { [int]$_.Substring(1) })
        }
        It 'reports the cutoff with -Verbose, and lowers it when the budget needs the hard records' {
            $v = $strata | Select-PrunedSet -KeepCount 6 -Keep Stratified -HardCutoff 0.25 -Bins 4 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            ($v.Message -join "`n") | Should -BeLike '*hard cutoff dropped 3 of 12*'
            $kept = $strata | Select-PrunedSet -KeepCount 11 -Keep Stratified -HardCutoff 0.25 -Bins 4
            $kept | Should -HaveCount 11
            $kept.Id | Should -Not -Contain 's10'   # only the single hardest can go
        }
        It 'runs inside each group with -BalanceBy Label' {
            $kept = $scored | Select-PrunedSet -KeepFraction 0.4 -Keep Stratified -BalanceBy Label -Bins 2
            @($kept | Where-Object Label -EQ 'A').Count | Should -Be 2
            @($kept | Where-Object Label -EQ 'B').Count | Should -Be 2
        }
        It 'needs distances' {
            { $raw | Select-PrunedSet -KeepCount 2 -Keep Stratified } | Should -Throw -ErrorId "MissingDistance,$cmd"
        }
        It 'refuses a cutoff of 1 or more' {
            { $strata | Select-PrunedSet -KeepCount 2 -Keep Stratified -HardCutoff 1 } | Should -Throw -ErrorId "InvalidHardCutoff,$cmd"
        }
    }

    Context 'errors' {
        It 'refuses a fraction outside (0, 1]: <Fraction>' -ForEach @(@{ Fraction = 0 }, @{ Fraction = 1.5 }, @{ Fraction = -0.2 }) {
            { $scored | Select-PrunedSet -KeepFraction $Fraction } | Should -Throw -ErrorId "InvalidKeepFraction,$cmd" -ExceptionType ([ArgumentOutOfRangeException])
        }
        It 'needs distances for Hard and Easy, naming the record' {
            { $raw | Select-PrunedSet -KeepFraction 0.5 -Keep Hard } | Should -Throw -ErrorId "MissingDistance,$cmd" -ExpectedMessage "*'a0'*"
        }
        It 'needs clusters to balance by cluster' {
            { $scored | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Cluster } | Should -Throw -ErrorId "MissingCluster,$cmd"
        }
        It 'refuses an empty pipeline' {
            { @() | Select-PrunedSet -KeepFraction 0.5 } | Should -Throw -ErrorId "NoInput,$cmd"
        }
        It 'refuses <Parameter> without <Needs>' -ForEach @(
            @{ Parameter = '-Temperature'; Needs = '-BalanceBy Density'; Extra = @{ Temperature = 1.0; BalanceBy = 'Cluster' } }
            @{ Parameter = '-HardCutoff'; Needs = '-Keep Stratified'; Extra = @{ HardCutoff = 0.2 } }
            @{ Parameter = '-Bins'; Needs = '-Keep Stratified'; Extra = @{ Bins = 10; Keep = 'Easy' } }
            @{ Parameter = '-MinPerGroup'; Needs = '-BalanceBy'; Extra = @{ MinPerGroup = 1 } }
        ) {
            { $scored | Select-PrunedSet -KeepFraction 0.5 @Extra } | Should -Throw -ErrorId "ParameterNotApplicable,$cmd" -ExpectedMessage "$Parameter only applies*"
        }
    }
}

Describe 'Select-PrunedSet -Keep Auto' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $small = @(
            foreach ($x in 0, 1, 2, 3, 4) { New-VectorRecord -Id "a$x" -Vector @($x) -Label A }
            foreach ($x in 10, 11, 13, 16, 20) { New-VectorRecord -Id "b$x" -Vector @($x) -Label B }
        ) | Measure-Prototypicality -Prototype Label -Metric Euclidean
    }
    It 'keeps the easy samples, balanced by label, when data is scarce (no recommendation)' {
        $auto = $small | Select-PrunedSet -KeepFraction 0.6 -Keep Auto -Verbose 4>&1
        $verbose = ($auto | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match 'Keep Easy, balanced by Label'
        $expected = $small | Select-PrunedSet -KeepFraction 0.6 -Keep Easy -BalanceBy Label
        ($auto | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] }).Id | Should -Be $expected.Id
    }
    It 'keeps the hard samples when at least 1000 records per class survive' {
        $big = @(for ($i = 0; $i -lt 2200; $i++) { New-VectorRecord -Id "r$i" -Vector @([Math]::Sin($i)) -Label ('c' + ($i % 2)) }) |
            Measure-Prototypicality -Prototype Label -Metric Euclidean
        $auto = $big | Select-PrunedSet -KeepCount 2000 -Keep Auto
        $hard = $big | Select-PrunedSet -KeepCount 2000 -Keep Hard -BalanceBy Label
        $easy = $big | Select-PrunedSet -KeepCount 2000 -Keep Easy -BalanceBy Label
        $auto.Id | Should -Be $hard.Id
        ($auto.Id -join ',') | Should -Not -Be ($easy.Id -join ',')
    }
    It 'warns when the keep fraction is very small' {
        $null = $small | Select-PrunedSet -KeepFraction 0.1 -Keep Auto -WarningVariable w -WarningAction SilentlyContinue
        $w | Should -Not -BeNullOrEmpty
    }
    It 'follows a Test-PruningStrategy recommendation' {
        $rec = [PruneCmdlets.Probing.PruningRecommendation]@{ KeepFraction = 0.4; Keep = 'Hard'; BalanceBy = 'Label'; Reason = 'test' }
        $auto = $small | Select-PrunedSet -Keep Auto -Recommendation $rec
        $manual = $small | Select-PrunedSet -KeepFraction 0.4 -Keep Hard -BalanceBy Label
        $auto.Id | Should -Be $manual.Id
    }
    It 'refuses a recommendation with a fixed strategy' {
        $rec = [PruneCmdlets.Probing.PruningRecommendation]@{ KeepFraction = 0.4; Keep = 'Hard'; BalanceBy = 'None' }
        { $small | Select-PrunedSet -Keep Easy -Recommendation $rec } | Should -Throw -ErrorId 'RecommendationNeedsAuto,PruneCmdlets.Commands.SelectPrunedSetCommand'
    }
}

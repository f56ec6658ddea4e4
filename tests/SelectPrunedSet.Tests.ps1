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

    Context 'errors' {
        It 'refuses a fraction outside (0, 1]: <Fraction>' -ForEach @(@{ Fraction = 0 }, @{ Fraction = 1.5 }, @{ Fraction = -0.2 }) {
            { $scored | Select-PrunedSet -KeepFraction $Fraction } | Should -Throw -ErrorId "InvalidKeepFraction,$cmd"
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
    }
}

# Every decision carries its reason: Select-PrunedSet and Invoke-SemDeDup with -IncludePruned.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    # Class A at 0..4 (mean 2): distances 2,1,0,1,2. Class B at 10,11,13,16,20 (mean 14): 4,3,1,2,6.
    $raw = @(
        foreach ($x in 0, 1, 2, 3, 4) { New-VectorRecord -Id "a$x" -Vector @($x) -Label A }
        foreach ($x in 10, 11, 13, 16, 20) { New-VectorRecord -Id "b$x" -Vector @($x) -Label B }
    )
    $scored = @($raw | Measure-Prototypicality -Prototype Label -Metric Euclidean)
    $tie = [PruneCmdlets.Selection.DecisionReasons]::TieRule
}

Describe 'Select-PrunedSet decisions' {
    It '-IncludePruned emits every record in input order with Kept, and the kept ones equal the plain output' {
        $all = @($scored | Select-PrunedSet -KeepFraction 0.4 -Keep Hard -BalanceBy Label -IncludePruned)
        $all.Id | Should -Be $scored.Id
        ($all | Where-Object Kept).Id | Should -Be ($scored | Select-PrunedSet -KeepFraction 0.4 -Keep Hard -BalanceBy Label).Id
        @($all | Where-Object { $_.Kept -eq $false }) | Should -HaveCount 6
    }
    It 'says which side of the cut each record fell, against the cut, within its group' {
        $all = @($scored | Select-PrunedSet -KeepFraction 0.4 -Keep Hard -BalanceBy Label -IncludePruned)
        $by = @{}; $all | ForEach-Object { $by[$_.Id] = $_.Reason }
        $by['a1'] | Should -Be "pruned: Easy side of the cut, Distance 1 < 2 within label 'A' (which keeps 2 of 5)"
        $by['a0'] | Should -Be "kept: at the cut, Distance 2 = 2 within label 'A' (which keeps 2 of 5)"
        $by['b20'] | Should -Be "kept: Hard side of the cut, Distance 6 > 4 within label 'B' (which keeps 2 of 5)"
        $by['b13'] | Should -Be "pruned: Easy side of the cut, Distance 1 < 4 within label 'B' (which keeps 2 of 5)"
    }
    It 'the plain output carries Kept and Reason too' {
        $kept = @($scored | Select-PrunedSet -KeepCount 3 -Keep Easy)
        $kept | ForEach-Object { $_.Kept | Should -BeTrue; $_.Reason | Should -BeLike 'kept: *' }
    }
    It 'names a record tied with the cut and the tie rule' {
        # Easy keeps a2 (0), a1 and a3 (1); b13 (1) ties with the cut and loses by the tie rule.
        $b13 = $scored | Select-PrunedSet -KeepCount 3 -Keep Easy -IncludePruned | Where-Object Id -EQ 'b13'
        $b13.Kept | Should -BeFalse
        $b13.Reason | Should -Be "pruned: tied with the cut, Distance 1 = 1; $tie (keeping 3 of 10)"
    }
    It 'prints just enough digits to tell a distance from the cut' {
        $close = [PruneCmdlets.Selection.DecisionReasons]::Distinguish(0.0812345, 0.0812399)
        @($close.Item1, $close.Item2) | Should -Be @('0.08123', '0.08124')
        $far = [PruneCmdlets.Selection.DecisionReasons]::Distinguish(0.081, 0.094)
        @($far.Item1, $far.Item2) | Should -Be @('0.081', '0.094')
    }
    It 'explains a random draw with its seed' {
        $all = @($scored | Select-PrunedSet -KeepCount 4 -Keep Random -Seed 7 -IncludePruned)
        ($all | Where-Object Kept).Reason | ForEach-Object { $_ | Should -Be 'kept: drawn in the seeded random sample (seed 7) (keeping 4 of 10)' }
        ($all | Where-Object { -not $_.Kept }).Reason | ForEach-Object { $_ | Should -Be 'pruned: not drawn in the seeded random sample (seed 7) (keeping 4 of 10)' }
    }
    It 'explains the CCS hard cutoff and the Distance bin of a stratified sample' {
        $all = @($scored | Select-PrunedSet -KeepCount 5 -Keep Stratified -HardCutoff 0.2 -Bins 2 -IncludePruned)
        # The two hardest (b20 at 6, b10 at 4) fall to the cutoff; the rest spread over two bins of [0, 3].
        ($all | Where-Object { $_.Id -in 'b20', 'b10' }).Reason | ForEach-Object { $_ | Should -BeLike 'pruned: among the 2 hardest dropped by CCS*' }
        @($all | Where-Object Kept) | Should -HaveCount 5
        ($all | Where-Object Kept).Reason | ForEach-Object { $_ | Should -Match '^kept: drawn from Distance bin [12] of 2 \[' }
    }
    It 'explains a group that keeps nothing and one that keeps everything' {
        $dense = @($raw | Invoke-KMeans -K 2 -Metric Euclidean -Seed 1 | Measure-Prototypicality)
        $all = @($dense | Select-PrunedSet -KeepCount 5 -BalanceBy Density -MinPerGroup 0 -Temperature 0.01 -IncludePruned)
        # At a tiny temperature the more complex cluster takes the whole budget: all 5 of its records.
        $keptCluster = ($all | Where-Object Kept | Select-Object -First 1).Cluster
        ($all | Where-Object Cluster -EQ $keptCluster).Reason | ForEach-Object { $_ | Should -BeLike "kept: nothing is pruned within cluster $keptCluster (all 5 records)" }
        ($all | Where-Object Cluster -NE $keptCluster).Reason | ForEach-Object { $_ | Should -BeLike "pruned: nothing is kept within cluster * (which keeps 0 of 5, density share *)" }
    }
    It 'passes records an earlier stage pruned through unchanged and selects from the rest' {
        $marked = @($scored | Select-PrunedSet -KeepCount 8 -Keep Hard -IncludePruned)   # a2 and one 1-distance record pruned
        $second = @($marked | Select-PrunedSet -KeepCount 4 -Keep Hard -IncludePruned)
        $second | Should -HaveCount 10
        foreach ($r in $marked | Where-Object { -not $_.Kept }) {
            $again = $second | Where-Object Id -EQ $r.Id
            $again.Kept | Should -BeFalse
            $again.Reason | Should -Be $r.Reason   # the first stage's reason stays
        }
        @($second | Where-Object Kept) | Should -HaveCount 4
        ($second | Where-Object Kept).Reason | ForEach-Object { $_ | Should -BeLike '*(keeping 4 of 8)' }
    }
    It 'refuses -Invert with -IncludePruned' {
        { $scored | Select-PrunedSet -KeepCount 3 -Invert -IncludePruned } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.SelectPrunedSetCommand'
    }
}

Describe 'Invoke-SemDeDup decisions' {
    BeforeAll {
        # a0-a1 cosine 0.9950 and b0-b1 0.9950, b0-b2 0.9950, b1-b2 0.9901: b is a group of three.
        $dup = @(
            New-VectorRecord -Id a0 -Vector @(1, 0, 0)
            New-VectorRecord -Id a1 -Vector @(1, 0.1, 0)
            New-VectorRecord -Id a3 -Vector @(1, 0.6, 0)
            New-VectorRecord -Id b0 -Vector @(0, -1, 0)
            New-VectorRecord -Id b1 -Vector @(0.1, -1, 0)
            New-VectorRecord -Id b2 -Vector @(0, -1, 0.1)
        )
        $clustered = @($dup | Invoke-KMeans -K 2 -Seed 1)
        $all = @($clustered | Invoke-SemDeDup -Epsilon 0.0095 -IncludePruned)
        $by = @{}; $all | ForEach-Object { $by[$_.Id] = $_ }
    }
    It 'emits every record in input order, the removed ones with Kept false' {
        $all.Id | Should -Be $clustered.Id
        ($all | Where-Object Kept).Id | Should -Be ($clustered | Invoke-SemDeDup -Epsilon 0.0095).Id
    }
    It 'names the member a removed record duplicates, with their cosine against the threshold' {
        $keeperA = ($all | Where-Object { $_.Id -in 'a0', 'a1' -and $_.Kept }).Id
        $removedA = @('a0', 'a1') | Where-Object { $_ -ne $keeperA }
        $by[$removedA].Kept | Should -BeFalse
        $by[$removedA].DuplicateOf | Should -Be $keeperA
        $by[$removedA].Similarity | Should -BeGreaterThan 0.9949
        $by[$removedA].Similarity | Should -BeLessThan 0.9951
        $by[$removedA].Reason | Should -Be "pruned: near-duplicate of $keeperA, cosine 0.995 ≥ 0.9905"
        $by[$keeperA].DuplicateOf | Should -Be $keeperA
        $by[$keeperA].Reason | Should -BeLike 'kept: the member farthest from its cluster centroid of a group of 2 near-duplicates in cluster *'
        $by['a3'].Reason | Should -Be 'kept: no near-duplicate in its cluster (cosine ≥ 0.9905)'
        $by['a3'].DuplicateOf | Should -BeNullOrEmpty
    }
    It 'says when a removed member is linked to its keeper only through the chain' {
        # b1 and b2 are the farthest from b's centroid and keep the group; they link only through
        # b0 (b1-b2 = 0.9901 < 0.9905), so the other one says so, and b0 is a direct pair.
        $keeper = ($all | Where-Object { $_.Id -like 'b*' -and $_.Kept }).Id
        $keeper | Should -BeIn @('b1', 'b2')
        $other = @('b1', 'b2') | Where-Object { $_ -ne $keeper }
        $by[$other].Reason | Should -Be "pruned: near-duplicate of $keeper through a chain of pairs with cosine ≥ 0.9905 (cosine 0.99 to it)"
        $by['b0'].Reason | Should -Be "pruned: near-duplicate of $keeper, cosine 0.995 ≥ 0.9905"
        $by['b0'].DuplicateOf | Should -Be $keeper
    }
}

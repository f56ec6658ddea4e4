BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $cmd = 'PruneCmdlets.Commands.InvokeSemDeDupCommand'
    # Two clusters of five 3-D records (around +x and around -y), cosine similarities by hand:
    #   a0-a1 1/√1.01 = 0.9950, a2-a4 1.39/(√1.36·√1.4225) = 0.9995: duplicates;
    #   b0-b1 = b0-b2 = 0.9950, b1-b2 1/1.01 = 0.9901: one group of three;
    #   every other pair inside a cluster is below 0.95 (the closest: b1-b4 0.9345, a1-a3 0.9045).
    $raw = @(
        New-VectorRecord -Id a0 -Vector @(1, 0, 0)
        New-VectorRecord -Id a1 -Vector @(1, 0.1, 0)
        New-VectorRecord -Id a2 -Vector @(1, 0, 0.6)
        New-VectorRecord -Id a3 -Vector @(1, 0.6, 0)
        New-VectorRecord -Id a4 -Vector @(1, 0, 0.65)
        New-VectorRecord -Id b0 -Vector @(0, -1, 0)
        New-VectorRecord -Id b1 -Vector @(0.1, -1, 0)
        New-VectorRecord -Id b2 -Vector @(0, -1, 0.1)
        New-VectorRecord -Id b3 -Vector @(0, -1, 0.7)
        New-VectorRecord -Id b4 -Vector @(0.5, -1, 0)
    )
    $clustered = @($raw | Invoke-KMeans -K 2 -Seed 1)
}

Describe 'Invoke-SemDeDup' {
    It 'clusters the two directions apart (the fixture the other cases rely on)' {
        @($clustered | Where-Object Id -Like 'a*' | Select-Object -ExpandProperty Cluster -Unique) | Should -HaveCount 1
        @($clustered | Where-Object Id -Like 'b*' | Select-Object -ExpandProperty Cluster -Unique) | Should -HaveCount 1
        $clustered[0].Cluster | Should -Not -Be $clustered[5].Cluster
    }
    It 'removes the planted duplicates, keeps the member farthest from the centroid, in input order' {
        # Cluster A's centroid points along (4.548, 0.614, 1.060): a0 is farther than a1, a4 farther than a2.
        # Cluster B's along (0.547, -4.704, 0.673): b0 is the farthest of b0, b1, b2.
        $kept = $clustered | Invoke-SemDeDup
        $kept.Id | Should -Be @('a0', 'a3', 'a4', 'b0', 'b3', 'b4')
    }
    It 'keeps the member closest to the centroid with -KeepRule MostPrototypical' {
        ($clustered | Invoke-SemDeDup -KeepRule MostPrototypical).Id | Should -Be @('a1', 'a2', 'a3', 'b2', 'b3', 'b4')
    }
    It 'emits copies of the records it received, sharing their vectors and keeping their annotations' {
        $kept = @($clustered | Invoke-SemDeDup)
        [object]::ReferenceEquals($kept[0].Vector, $clustered[0].Vector) | Should -BeTrue
        $kept[0].KMeansModel | Should -Be $clustered[0].KMeansModel
        $clustered[0].Kept | Should -BeNullOrEmpty   # the input record is not changed
    }
    It '-ShowDuplicates emits one DuplicateGroup per group, by first member' {
        $groups = @($clustered | Invoke-SemDeDup -ShowDuplicates)
        $groups | Should -HaveCount 3
        $groups[0] | Should -BeOfType ([PruneCmdlets.DuplicateGroup])
        $groups.KeptId | Should -Be @('a0', 'a4', 'b0')
        $groups[0].DuplicateIds | Should -Be @('a1')
        $groups[1].DuplicateIds | Should -Be @('a2')
        $groups[2].DuplicateIds | Should -Be @('b1', 'b2')
        $groups[2].Count | Should -Be 3
        $groups[2].LinkedPairs | Should -Be 3
        $groups[2].Cluster | Should -Be $clustered[5].Cluster
        $groups[2].MaxSimilarity | Should -BeGreaterThan 0.99503
        $groups[2].MaxSimilarity | Should -BeLessThan 0.99504
        $groups[2].MinSimilarity | Should -BeGreaterThan 0.99009   # b1-b2: 1/1.01 = 0.990099
        $groups[2].MinSimilarity | Should -BeLessThan 0.99011
        $groups[2].Duplicates[0] | Should -Be $clustered[6]
        $groups[0].KeepRule | Should -Be 'FarthestFromCentroid'
    }
    It 'a larger Epsilon links more: at 0.2 each cluster is one chain' {
        # Similarity ≥ 0.8 links a0 to a2 (0.857), a3 (0.857) and a4 (0.838), and b0 to b3 (0.819) and b4 (0.894).
        $groups = @($clustered | Invoke-SemDeDup -Epsilon 0.2 -ShowDuplicates)
        $groups | Should -HaveCount 2
        $groups[0].Count | Should -Be 5
        $groups[0].MinSimilarityToKept | Should -BeLessThan 0.8   # a chain: the kept record is not close to everyone
        ($clustered | Invoke-SemDeDup 0.2) | Should -HaveCount 2
    }
    It 'never compares records in different clusters; without a model it uses each cluster''s mean direction' {
        $objects = @(
            [pscustomobject]@{ Id = 'p'; Vector = [float[]](1, 0); Cluster = 0 }
            [pscustomobject]@{ Id = 'q'; Vector = [float[]](1, 0); Cluster = 1 }
            [pscustomobject]@{ Id = 'r'; Vector = [float[]](2, 0); Cluster = 1 }
            [pscustomobject]@{ Id = 's'; Vector = [float[]](0, 1); Cluster = 1 }
        )
        # q and r point the same way (similarity exactly 1) and are in cluster 1; p is their twin in cluster 0.
        # Cluster 1's mean direction is (2, 1)/√5, equally far from q and r: the tie goes to the first.
        $groups = @($objects | Invoke-SemDeDup -Epsilon 0 -ShowDuplicates)
        $groups | Should -HaveCount 1
        $groups[0].KeptId | Should -Be 'q'
        $groups[0].DuplicateIds | Should -Be @('r')
        $groups[0].MaxSimilarity | Should -Be 1
        ($objects | Invoke-SemDeDup -Epsilon 0).Id | Should -Be @('p', 'q', 's')
    }
    It 'gives the same answer with one thread and many' {
        $blobs = @(New-BlobRecords -Centres @(@(1, 0, 0, 0), @(0, 1, 0, 0), @(0, 0, 1, 0)) -PerBlob 40 -Spread 0.05) | Invoke-KMeans -K 3 -Seed 2
        $one = ($blobs | Invoke-SemDeDup -Epsilon 0.002 -MaxThreads 1).Id -join ','
        $many = ($blobs | Invoke-SemDeDup -Epsilon 0.002 -MaxThreads 8).Id -join ','
        $many | Should -Be $one
        ($blobs | Invoke-SemDeDup -Epsilon 0.002 -MaxThreads 1 | Measure-Object).Count | Should -BeLessThan 120
    }
    It 'reports the groups found and the records removed with -Verbose' {
        $v = $clustered | Invoke-SemDeDup -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $text = $v.Message -join "`n"
        $text | Should -BeLike '*Found 3 group(s) of semantic duplicates covering 7 records*'
        $text | Should -BeLike '*removed 4 of 10 records*'
        $text | Should -BeLike '*cosine similarity ≥ 0.99*'
    }
    It 'shows groups in a table without vectors' {
        $text = $clustered | Invoke-SemDeDup -ShowDuplicates | Format-Table | Out-String
        $text | Should -Match 'KeptId'
        $text | Should -Match 'b1, b2'
        $text | Should -Not -Match 'Vector'
    }
    It 'composes: Invoke-KMeans | Invoke-SemDeDup | Measure-Prototypicality | Select-PrunedSet' {
        $kept = $raw | Invoke-KMeans -K 2 -Seed 1 | Invoke-SemDeDup | Measure-Prototypicality | Select-PrunedSet -KeepCount 4 -BalanceBy Cluster
        $kept | Should -HaveCount 4
        $kept.Id | Should -Not -Contain 'a1'
        $kept.Id | Should -Not -Contain 'b2'
        ($kept | Group-Object Cluster).Count | Should -Be 2
    }

    Context 'errors' {
        It 'needs a Cluster on every record, naming the first without one' {
            { $raw | Invoke-SemDeDup } | Should -Throw -ErrorId "MissingCluster,$cmd" -ExpectedMessage "*'a0'*"
        }
        It 'refuses records from different k-means models' {
            # Another K: a run with the same K and seed would give the same model, which is accepted.
            $other = @($raw | Invoke-KMeans -K 3 -Seed 1)
            { @($clustered[0..4]) + @($other[5..9]) | Invoke-SemDeDup } | Should -Throw -ErrorId "MixedClusterModels,$cmd"
        }
        It 'refuses an empty pipeline' {
            { @() | Invoke-SemDeDup } | Should -Throw -ErrorId "NoInput,$cmd"
        }
        It 'refuses an Epsilon outside 0..1' {
            { $clustered | Invoke-SemDeDup -Epsilon 1.5 } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmd"
        }
        It 'reports a zero vector and a vector-less input, and goes on' {
            $objects = @(
                [pscustomobject]@{ Id = 'z'; Vector = [float[]](0, 0); Cluster = 0 }
                [pscustomobject]@{ Id = 'nothing' }
                [pscustomobject]@{ Id = 'p'; Vector = [float[]](1, 0); Cluster = 0 }
                [pscustomobject]@{ Id = 'q'; Vector = [float[]](1, 0.01); Cluster = 0 }
            )
            $kept = @($objects | Invoke-SemDeDup -ErrorVariable err -ErrorAction SilentlyContinue)
            $kept | Should -HaveCount 1   # p and q are duplicates (0.99995); z and 'nothing' are left out
            $err.FullyQualifiedErrorId | Should -Be @("MissingVector,$cmd", "ZeroVector,$cmd")
            # Invoke-SemDeDup has no -Metric, so the message must not offer one.
            $err[1].Exception.Message | Should -BeLike "*'z'*cosine*"
            $err[1].Exception.Message | Should -Not -BeLike '*-Metric*'
        }
    }
}

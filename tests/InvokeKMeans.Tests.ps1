BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    # Three tight blobs in 4-D, far apart in direction as well as in position.
    $centres = @([double[]](10, 0, 0, 1), [double[]](0, 10, 1, 0), [double[]](0, 1, 0, 10))
    $blobs = @(New-BlobRecords -Centres $centres -PerBlob 20 -Spread 0.5)
    $cmd = 'PruneCmdlets.Commands.InvokeKMeansCommand'
}

Describe 'Invoke-KMeans' {
    Context 'clustering' {
        BeforeAll { $out = $blobs | Invoke-KMeans -K 3 -Seed 7 }

        It 'emits every record once, in input order, with a Cluster in 0..K-1' {
            $out | Should -HaveCount $blobs.Count
            $out.Id | Should -Be $blobs.Id
            $out.Cluster | ForEach-Object { $_ | Should -BeIn 0, 1, 2 }
        }
        It 'recovers the three blobs exactly' {
            foreach ($g in $out | Group-Object Label) { @($g.Group.Cluster | Select-Object -Unique) | Should -HaveCount 1 }
            @($out.Cluster | Select-Object -Unique) | Should -HaveCount 3
        }
        It 'keeps the input properties and shares one model across the records' {
            $out[0].Label | Should -Be 'blob0'
            $out[0].Vector | Should -Be $blobs[0].Vector
            [object]::ReferenceEquals($out[0].KMeansModel, $out[-1].KMeansModel) | Should -BeTrue
        }
        It 'exposes the fitted model: K, metric, seed, iterations, inertia, sizes and history' {
            $m = $out[0].KMeansModel
            $m.K | Should -Be 3
            $m.Dimension | Should -Be 4
            $m.Metric | Should -Be 'Cosine'
            $m.Seed | Should -Be 7
            $m.Iterations | Should -BeGreaterThan 0
            $m.History | Should -HaveCount $m.Iterations
            ($m.ClusterSizes | Measure-Object -Sum).Sum | Should -Be 60
            $m.Centroids | Should -HaveCount 3
            # Cosine centroids are unit vectors.
            foreach ($c in $m.Centroids) { [Math]::Sqrt(($c | ForEach-Object { $_ * $_ } | Measure-Object -Sum).Sum) | Should -BeGreaterThan 0.9999 }
            $m.Inertia | Should -BeGreaterOrEqual 0
            $m.Inertia | Should -BeLessThan 1   # a merged pair of blobs would cost about 20 × (1 − cos 80°) ≈ 16
        }
        It 'assigns every record to its nearest final centroid' {
            $m = $out[0].KMeansModel
            foreach ($r in $out) {
                $v = $r.Vector; $n = [Math]::Sqrt(($v | ForEach-Object { $_ * $_ } | Measure-Object -Sum).Sum)
                $cos = foreach ($c in $m.Centroids) { $s = 0.0; for ($d = 0; $d -lt 4; $d++) { $s += $v[$d] / $n * $c[$d] }; $s }
                $best = [array]::IndexOf($cos, ($cos | Measure-Object -Maximum).Maximum)
                $r.Cluster | Should -Be $best
            }
        }
    }

    Context 'determinism and reuse' {
        It 'gives identical clusters and centroids on one thread and on many' {
            $one = $blobs | Invoke-KMeans -K 4 -Seed 3 -MaxThreads 1
            $many = $blobs | Invoke-KMeans -K 4 -Seed 3 -MaxThreads 8
            $many.Cluster | Should -Be $one.Cluster
            $many[0].KMeansModel.Inertia | Should -Be $one[0].KMeansModel.Inertia
            for ($c = 0; $c -lt 4; $c++) { $many[0].KMeansModel.Centroids[$c] | Should -Be $one[0].KMeansModel.Centroids[$c] }
        }
        It 'gives identical results with DOTNET_PROCESSOR_COUNT=1 in a fresh process' {
            $script = @"
Import-Module '$ManifestPath'
. '$(Join-Path $PSScriptRoot 'TestHelpers.ps1')'
`$c = @([double[]](10, 0, 0, 1), [double[]](0, 10, 1, 0), [double[]](0, 1, 0, 10))
`$o = New-BlobRecords -Centres `$c -PerBlob 20 -Spread 0.5 | Invoke-KMeans -K 5 -Seed 11
'RESULT ' + (`$o.Cluster -join ',') + ' ' + `$o[0].KMeansModel.Inertia.ToString('R')
"@
            $single = Invoke-ChildPwsh -Command $script -Environment @{ DOTNET_PROCESSOR_COUNT = '1' } | Where-Object { $_ -like 'RESULT *' }
            $all = Invoke-ChildPwsh -Command $script | Where-Object { $_ -like 'RESULT *' }
            $single | Should -Not -BeNullOrEmpty
            $single | Should -Be $all
        }
        It 'saves the model and applies it to new records with -Model' {
            $fit = $blobs | Invoke-KMeans -K 3 -Seed 5
            $path = Join-Path $TestDrive 'model.json'
            $fit[0].KMeansModel.Save($path)
            $loaded = [PruneCmdlets.Clustering.KMeansModel]::Load($path)
            $loaded.K | Should -Be 3
            $applied = $blobs | Invoke-KMeans -Model $loaded
            $applied.Cluster | Should -Be $fit.Cluster
        }
        It '-NInit n keeps the best of n runs, each the single run with its derived seed, and BestRun names it' {
            # Six blobs on a grid, where a random start often merges two of them: the four runs of
            # seed 2 end at different inertias, the lowest in the third run (neither first nor last).
            $grid = @(, @(0, 0)) + @(, @(3, 0)) + @(, @(0, 3)) + @(, @(3, 3)) + @(, @(6, 0)) + @(, @(6, 3))
            $points = @(New-BlobRecords -Centres $grid -PerBlob 8 -Spread 0.6)
            # Run r draws from DeterministicRandom.Derive(seed, r), state seed·A + r·B + 1 (mod 2^64); a
            # single run with seed s draws from s·A + 1, so run r is the single run of s = seed + r·B·A⁻¹.
            $two64 = [bigint]::Pow(2, 64)
            $a = [bigint]::Parse('05851F42D4C957F2D', 'AllowHexSpecifier')
            $b = [bigint]::Parse('014057B7EF767814F', 'AllowHexSpecifier')
            $aInverse = [bigint]::ModPow($a, [bigint]::Pow(2, 63) - 1, $two64)   # A is odd: A^(2^63 - 1) = A⁻¹ mod 2^64
            $runs = foreach ($r in 0..3) {
                $s = ([bigint]2 + $r * $b * $aInverse) % $two64
                if ($s -ge [bigint]::Pow(2, 63)) { $s -= $two64 }
                $single = @($points | Invoke-KMeans -K 6 -Init Random -Metric Euclidean -Seed ([long]$s))
                [pscustomobject]@{ Inertia = $single[0].KMeansModel.Inertia; Cluster = $single.Cluster }
            }
            $lowest = ($runs.Inertia | Measure-Object -Minimum).Minimum
            $bestRun = [array]::IndexOf([double[]]$runs.Inertia, [double]$lowest)
            @($runs.Inertia | Select-Object -Unique).Count | Should -BeGreaterThan 2 -Because 'the start must matter on this data'
            $bestRun | Should -Be 2

            $out = @($points | Invoke-KMeans -K 6 -Init Random -Metric Euclidean -Seed 2 -NInit 4)
            $model = $out[0].KMeansModel
            $model.NInit | Should -Be 4
            $model.BestRun | Should -Be $bestRun
            $model.Inertia | Should -Be $lowest
            $out.Cluster | Should -Be $runs[$bestRun].Cluster
        }
        It 'supports Euclidean and Random initialisation' {
            $out = $blobs | Invoke-KMeans -K 3 -Metric Euclidean -Init Random -Seed 2
            $out[0].KMeansModel.Metric | Should -Be 'Euclidean'
            foreach ($g in $out | Group-Object Label) { @($g.Group.Cluster | Select-Object -Unique) | Should -HaveCount 1 }
        }
    }

    Context 'errors' {
        It 'refuses K < 1 before reading input' {
            { $blobs | Invoke-KMeans -K 0 } | Should -Throw -ErrorId "InvalidK,$cmd"
        }
        It 'refuses K larger than the number of records, saying how many there are' {
            { $blobs[0..4] | Invoke-KMeans -K 6 } | Should -Throw -ErrorId "InvalidK,$cmd" -ExpectedMessage '*5 records*'
        }
        It 'refuses an empty pipeline' {
            { @() | Invoke-KMeans -K 2 } | Should -Throw -ErrorId "NoInput,$cmd"
        }
        It 'reports a record of another dimension by name and clusters the rest' {
            $mixed = @($blobs[0..9]) + (New-VectorRecord -Id 'odd' -Vector @(1, 2, 3))
            $out = $mixed | Invoke-KMeans -K 2 -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -HaveCount 10
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'DimensionMismatch,*'
            $err[0].Exception.Message | Should -BeLike "*'odd'*3 dimensions*4*"
        }
        It 'reports a NaN vector by name and never clusters it' {
            $bad = New-VectorRecord -Id 'nan-row' -Vector @(1, [double]::NaN, 0, 0)
            $out = @($blobs[0..9]) + $bad | Invoke-KMeans -K 2 -ErrorVariable err -ErrorAction SilentlyContinue
            $out.Id | Should -Not -Contain 'nan-row'
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NonFiniteVector,*'
            $err[0].Exception.Message | Should -BeLike '*nan-row*'
        }
        It 'reports an input without a Vector' {
            $out = @($blobs[0..3]) + [pscustomobject]@{ Id = 'novec' } | Invoke-KMeans -K 2 -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -HaveCount 4
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingVector,*'
        }
        It 'refuses a model of another dimension' {
            $m = ($blobs | Invoke-KMeans -K 2)[0].KMeansModel
            { New-VectorRecord -Id a -Vector @(1, 2) | Invoke-KMeans -Model $m } | Should -Throw -ErrorId "ModelDimensionMismatch,$cmd"
        }
    }
}

Describe 'Invoke-KMeans at scale' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $centres = @([double[]](10, 0, 0, 1), [double[]](0, 10, 1, 0), [double[]](0, 1, 0, 10))
        $many = @(New-BlobRecords -Centres $centres -PerBlob 100 -Spread 0.5)
    }
    It 'fits on a seeded sample and still assigns every record' {
        $out = $many | Invoke-KMeans -K 3 -SampleSize 30 -Seed 4
        $out | Should -HaveCount 300
        $out[0].KMeansModel.TrainingCount | Should -Be 30
        ($out[0].KMeansModel.ClusterSizes | Measure-Object -Sum).Sum | Should -Be 300
        foreach ($g in $out | Group-Object Label) { @($g.Group.Cluster | Select-Object -Unique) | Should -HaveCount 1 }
        ($many | Invoke-KMeans -K 3 -SampleSize 30 -Seed 4).Cluster | Should -Be $out.Cluster
    }
    It 'runs mini-batch k-means deterministically and finds the blobs' {
        $a = $many | Invoke-KMeans -K 3 -MiniBatchSize 32 -MaxIterations 30 -Seed 9
        $b = $many | Invoke-KMeans -K 3 -MiniBatchSize 32 -MaxIterations 30 -Seed 9 -MaxThreads 1
        $b.Cluster | Should -Be $a.Cluster
        $a[0].KMeansModel.History | Should -HaveCount 30
        foreach ($g in $a | Group-Object Label) { @($g.Group.Cluster | Select-Object -Unique) | Should -HaveCount 1 }
    }
    It 'refuses a sample smaller than K' {
        { $many | Invoke-KMeans -K 5 -SampleSize 3 } | Should -Throw -ErrorId 'InvalidSampleSize,PruneCmdlets.Commands.InvokeKMeansCommand'
    }
}

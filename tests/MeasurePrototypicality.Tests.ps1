BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $cmd = 'PruneCmdlets.Commands.MeasurePrototypicalityCommand'
    # A cluster model with known centroids: K=2 in 2-D, fitted on a line of points so the
    # centroids are exactly the class means.
    $line = @(
        New-VectorRecord -Id a -Vector @(0, 0) -Label left
        New-VectorRecord -Id b -Vector @(2, 0) -Label left
        New-VectorRecord -Id c -Vector @(1, 0) -Label left
        New-VectorRecord -Id d -Vector @(10, 0) -Label right
        New-VectorRecord -Id e -Vector @(14, 0) -Label right
        New-VectorRecord -Id f -Vector @(12, 3) -Label right
    )
}

Describe 'Measure-Prototypicality' {
    Context 'cluster prototypes, Euclidean' {
        BeforeAll { $scored = $line | Invoke-KMeans -K 2 -Metric Euclidean -Seed 1 | Measure-Prototypicality }

        It 'emits every record in input order with Distance, Percentile and Prototype' {
            $scored.Id | Should -Be $line.Id
            $scored | ForEach-Object { $_.Distance | Should -Not -BeNullOrEmpty; $_.Prototype | Should -Be 'Cluster' }
        }
        It 'measures the L2 distance to the nearest centroid (hand-computed)' {
            # Centroids: (1,0) and (12,1). c sits on its centroid.
            ($scored | Where-Object Id -EQ 'c').Distance | Should -Be 0
            ($scored | Where-Object Id -EQ 'a').Distance | Should -BeExactly 1.0
            ($scored | Where-Object Id -EQ 'd').Distance | Should -BeGreaterThan ([Math]::Sqrt(5) - 1e-6)
            ($scored | Where-Object Id -EQ 'd').Distance | Should -BeLessThan ([Math]::Sqrt(5) + 1e-6)
            ($scored | Where-Object Id -EQ 'f').Distance | Should -BeGreaterThan (2 - 1e-6)
            ($scored | Where-Object Id -EQ 'f').Distance | Should -BeLessThan (2 + 1e-6)
        }
        It 'ranks Percentile by the share of records strictly more prototypical, ties sharing a value' {
            # Distances: c 0; a, b 1; f 2; d, e √5 (tied hardest).
            $p = @{}; $scored | ForEach-Object { $p[$_.Id] = $_.Percentile }
            $p['c'] | Should -Be 0
            $p['a'] | Should -Be 0.2
            $p['b'] | Should -Be 0.2
            $p['f'] | Should -Be 0.6
            $p['d'] | Should -Be 0.8
            $p['e'] | Should -Be 0.8
        }
        It 'scores new records against a saved model with -Model' {
            $m = $scored[0].KMeansModel
            $new = New-VectorRecord -Id n -Vector @(1, 3) | Measure-Prototypicality -Model $m
            $new.Cluster | Should -Be ($scored | Where-Object Id -EQ 'c').Cluster
            $new.Distance | Should -BeGreaterThan (3 - 1e-6)
            $new.Distance | Should -BeLessThan (3 + 1e-6)
        }
    }

    Context 'cluster prototypes, Cosine' {
        It 'measures 1 - cos to the nearest centroid' {
            $recs = @(
                New-VectorRecord -Id x -Vector @(1, 0)
                New-VectorRecord -Id y -Vector @(0, 1)
            )
            $scored = $recs | Invoke-KMeans -K 1 | Measure-Prototypicality
            # The single centroid is the normalised mean (1,1)/√2: 1 − cos 45° for both.
            $expected = 1 - [Math]::Cos([Math]::PI / 4)
            foreach ($s in $scored) { [Math]::Abs($s.Distance - $expected) | Should -BeLessThan 1e-6 }
        }
        It 'gives Distance 0 to a record that sits on its centroid' {
            $recs = @(
                New-VectorRecord -Id on -Vector @(3, 4)
                New-VectorRecord -Id far -Vector @(-4, 3)
            )
            $scored = $recs | Invoke-KMeans -K 2 | Measure-Prototypicality
            $scored | ForEach-Object { $_.Distance | Should -BeLessThan 1e-7 }
        }
    }

    Context 'label prototypes' {
        It 'measures each record against the mean of its own class, not the nearest one' {
            $scored = $line | Measure-Prototypicality -Prototype Label -Metric Euclidean
            # right's mean is (12,1); d=(10,0) is √5 from it even though it is nearer nothing else.
            ($scored | Where-Object Id -EQ 'c').Distance | Should -Be 0
            [Math]::Abs(($scored | Where-Object Id -EQ 'd').Distance - [Math]::Sqrt(5)) | Should -BeLessThan 1e-6
            $scored[0].Prototype | Should -Be 'Label'
        }
        It 'uses the class mean even when another class is closer (supervised prototypes)' {
            $recs = @(
                New-VectorRecord -Id p -Vector @(0, 0) -Label A
                New-VectorRecord -Id q -Vector @(2, 0) -Label A
                New-VectorRecord -Id r -Vector @(9, 0) -Label A   # mislabelled: sits with B
                New-VectorRecord -Id s -Vector @(10, 0) -Label B
            )
            $scored = $recs | Measure-Prototypicality -Prototype Label -Metric Euclidean
            # A's mean is (11/3, 0): r is 16/3 away from it, though 1 away from B's mean.
            [Math]::Abs(($scored | Where-Object Id -EQ 'r').Distance - 16 / 3) | Should -BeLessThan 1e-6
            ($scored | Where-Object Id -EQ 's').Distance | Should -Be 0
        }
        It 'reports unlabelled records and scores the rest' {
            $recs = @($line) + (New-VectorRecord -Id nolabel -Vector @(5, 5))
            $scored = $recs | Measure-Prototypicality -Prototype Label -Metric Euclidean -ErrorVariable err -ErrorAction SilentlyContinue
            $scored | Should -HaveCount 6
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingLabel,*'
            $err[0].TargetObject.Id | Should -Be 'nolabel'
        }
    }

    Context 'errors' {
        It 'needs a k-means model for cluster prototypes' {
            { $line | Measure-Prototypicality } | Should -Throw -ErrorId "NoClusterModel,$cmd"
        }
        It 'refuses records from two different k-means runs' {
            $a = $line[0..2] | Invoke-KMeans -K 1 -Metric Euclidean
            $b = $line[3..5] | Invoke-KMeans -K 1 -Metric Euclidean
            { @($a) + @($b) | Measure-Prototypicality } | Should -Throw -ErrorId "MixedClusterModels,$cmd"
        }
        It 'refuses an empty pipeline' {
            { @() | Measure-Prototypicality } | Should -Throw -ErrorId "NoInput,$cmd"
        }
        It 'refuses a metric other than the model''s' {
            $m = ($line | Invoke-KMeans -K 2 -Metric Euclidean)[0].KMeansModel
            { $line | Measure-Prototypicality -Model $m -Metric Cosine } | Should -Throw -ErrorId "MetricMismatch,$cmd"
        }
    }
}

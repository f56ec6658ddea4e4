BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $cmd = 'PruneCmdlets.Commands.MeasureSelectionStabilityCommand'
    # Four blobs of 25 points; k-means at K 4 finds them whatever the seed, at K 7 it must split them.
    $centres = @(, @(0, 0, 0)) + @(, @(5, 0, 0)) + @(, @(0, 5, 0)) + @(, @(0, 0, 5))
    $blobs = @(New-BlobRecords -Centres $centres -PerBlob 25 -Spread 0.9)
}

Describe 'Measure-SelectionStability' {
    It 'runs one refit per K and seed, K outer, and compares each with the first' {
        $s = $blobs | Measure-SelectionStability -KeepFraction 0.6 -K 4, 7 -Seed 0, 1, 2 -Metric Euclidean
        $s | Should -BeOfType ([PruneCmdlets.Selection.SelectionStability])
        $s.Runs | Should -HaveCount 6
        ($s.Runs | ForEach-Object { "$($_.K)/$($_.Seed)" }) -join ' ' | Should -Be '4/0 4/1 4/2 7/0 7/1 7/2'
        $s.Runs | ForEach-Object { $_.Kept | Should -Be 60 }
        $s.Runs[0].JaccardToFirst | Should -Be 1
        $s.Count | Should -Be 100
    }
    It 'finds a fit-independent decision stable and a fit-dependent one less so' {
        # Seeds 0, 2 and 3 find the four blobs (the same inertia), so they keep the same records.
        $stable = $blobs | Measure-SelectionStability -KeepFraction 0.6 -K 4 -Seed 0, 2, 3 -Metric Euclidean
        @($stable.Runs.Inertia | Select-Object -Unique) | Should -HaveCount 1
        $stable.MinJaccard | Should -Be 1
        # Seed 1 falls into a local optimum that merges two blobs: another clustering, another kept set.
        $moved = $blobs | Measure-SelectionStability -KeepFraction 0.6 -K 4 -Seed 0, 1 -Metric Euclidean
        $moved.Runs[1].Inertia | Should -BeGreaterThan $moved.Runs[0].Inertia
        $moved.MeanJaccard | Should -BeLessThan 0.9
    }
    It 'reports the Jaccard overlap of the kept sets exactly' {
        $s = $blobs | Measure-SelectionStability -KeepFraction 0.6 -K 4, 7 -Seed 0 -Metric Euclidean
        # Recompute the overlap from the two selections the runs stand for.
        $a = @($blobs | Invoke-KMeans -K 4 -Metric Euclidean -Seed 0 | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.6).Id
        $b = @($blobs | Invoke-KMeans -K 7 -Metric Euclidean -Seed 0 | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.6).Id
        $inter = @($a | Where-Object { $_ -in $b }).Count
        $union = @($a + $b | Select-Object -Unique).Count
        $s.Jaccard[0][1] | Should -Be ($inter / $union)
        $s.Jaccard[1][0] | Should -Be $s.Jaccard[0][1]
        $s.MeanJaccard | Should -Be ($inter / $union)
    }
    It 'reports each run''s K, seed, kept count, inertia and overlap with the first, and every pair, as the refits computed one by one give them' {
        $s = $blobs | Measure-SelectionStability -KeepFraction 0.55 -K 4, 7 -Seed 0, 1 -Metric Euclidean
        # The four refits as a user runs them: their models' inertias and their kept Ids.
        $refits = foreach ($k in 4, 7) {
            foreach ($seed in 0, 1) {
                $kept = @($blobs | Invoke-KMeans -K $k -Metric Euclidean -Seed $seed | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.55 -Seed $seed)
                [pscustomobject]@{ K = $k; Seed = $seed; Inertia = $kept[0].KMeansModel.Inertia; Ids = [Collections.Generic.HashSet[string]]::new([string[]]$kept.Id) }
            }
        }
        function Get-Overlap($a, $b) {
            $inter = @($a.Ids | Where-Object { $b.Ids.Contains($_) }).Count
            $inter / ($a.Ids.Count + $b.Ids.Count - $inter)
        }
        $s.Count | Should -Be 100
        for ($i = 0; $i -lt 4; $i++) {
            $run = $s.Runs[$i]
            "$($run.K)/$($run.Seed)" | Should -Be "$($refits[$i].K)/$($refits[$i].Seed)"
            $run.Kept | Should -Be $refits[$i].Ids.Count
            $run.Inertia | Should -Be $refits[$i].Inertia
            $run.JaccardToFirst | Should -Be (Get-Overlap $refits[$i] $refits[0])
        }
        # Every pair, in both orders, and the mean and minimum over the six distinct pairs.
        $pairs = [Collections.Generic.List[double]]::new()
        for ($i = 0; $i -lt 4; $i++) {
            for ($j = 0; $j -lt 4; $j++) {
                $expected = if ($i -eq $j) { 1.0 } else { Get-Overlap $refits[$i] $refits[$j] }
                $s.Jaccard[$i][$j] | Should -Be $expected -Because "pair $i, $j"
                if ($j -gt $i) { $pairs.Add($expected) }
            }
        }
        @($pairs | Select-Object -Unique).Count | Should -Be 6 -Because 'each pair overlaps differently here, so a mixed-up pair shows'
        $sum = 0.0; foreach ($p in $pairs) { $sum += $p }
        $s.MeanJaccard | Should -Be ($sum / 6)
        $s.MinJaccard | Should -Be ([Linq.Enumerable]::Min([double[]]$pairs))
        $s.MinJaccard | Should -BeLessThan $s.Runs[1].JaccardToFirst -Because 'the lowest pair is not one with the first run'
    }
    It 'varies only the seed of a seeded policy with -Prototype Label' {
        $s = $blobs | Measure-SelectionStability -KeepFraction 0.5 -Keep Random -Prototype Label -K 4 -Seed 3, 3, 4 -Metric Euclidean
        $s.Jaccard[0][1] | Should -Be 1       # the same seed draws the same sample
        $s.Jaccard[0][2] | Should -BeLessThan 1
        $s.Prototype | Should -Be 'Label'
    }
    It 'does not depend on the thread count' {
        $one = $blobs | Measure-SelectionStability -KeepFraction 0.6 -K 4, 7 -Seed 0, 5 -Metric Euclidean -MaxThreads 1
        $many = $blobs | Measure-SelectionStability -KeepFraction 0.6 -K 4, 7 -Seed 0, 5 -Metric Euclidean -MaxThreads 4
        ($one.Jaccard | ForEach-Object { $_ -join ',' }) | Should -Be ($many.Jaccard | ForEach-Object { $_ -join ',' })
    }
    It 'runs a Stratified policy with the -HardCutoff and -Bins it is given, as Select-PrunedSet does' -ForEach @(
        @{ HardCutoff = 0.0; Bins = 1 }
        @{ HardCutoff = 0.4; Bins = 3 }
    ) {
        $s = $blobs | Measure-SelectionStability -KeepFraction 0.5 -Keep Stratified -HardCutoff $HardCutoff -Bins $Bins -Prototype Label -K 4 -Seed 0, 1 -Metric Euclidean
        $s.Policy.Stratified.HardCutoff | Should -Be $HardCutoff
        $s.Policy.Stratified.Bins | Should -Be $Bins
        # The same two draws by Select-PrunedSet with those values, over the same class-mean distances.
        $scored = @($blobs | Measure-Prototypicality -Prototype Label -Metric Euclidean)
        $a = @($scored | Select-PrunedSet -KeepFraction 0.5 -Keep Stratified -HardCutoff $HardCutoff -Bins $Bins -Seed 0).Id
        $b = @($scored | Select-PrunedSet -KeepFraction 0.5 -Keep Stratified -HardCutoff $HardCutoff -Bins $Bins -Seed 1).Id
        $inter = @($a | Where-Object { $_ -in $b }).Count
        $union = @($a + $b | Select-Object -Unique).Count
        $s.Jaccard[0][1] | Should -Be ($inter / $union)
        # The default cutoff and bins draw other sets: the parameters change the figure.
        $default = $blobs | Measure-SelectionStability -KeepFraction 0.5 -Keep Stratified -Prototype Label -K 4 -Seed 0, 1 -Metric Euclidean
        $default.Jaccard[0][1] | Should -Not -Be $s.Jaccard[0][1]
    }
    It 'refuses -Keep Auto, a K larger than the input, and an unlabelled record with -Prototype Label' {
        { $blobs | Measure-SelectionStability -KeepFraction 0.5 -Keep Auto } | Should -Throw -ErrorId "AutoNotMeasurable,$cmd"
        { $blobs[0..5] | Measure-SelectionStability -KeepFraction 0.5 -K 10 } | Should -Throw -ErrorId "InvalidK,$cmd"
        $unlabelled = @(New-VectorRecord -Id x -Vector @(1, 2, 3)) + $blobs
        { $unlabelled | Measure-SelectionStability -KeepFraction 0.5 -Prototype Label } | Should -Throw -ErrorId "MissingLabel,$cmd"
    }
}

Describe 'The policy parameters, checked alike by every cmdlet that takes them' {
    # Select-PrunedSet, Measure-SelectionStability and Measure-ShardSummary bind the same policy
    # words; a call one of them refuses, the others refuse with the same ErrorId.
    It '<Cmdlet> refuses <Call> with <ErrorId>' -ForEach @(
        foreach ($cmdlet in 'Select-PrunedSet', 'Measure-SelectionStability', 'Measure-ShardSummary') {
            @{ Cmdlet = $cmdlet; Call = '-Temperature without -BalanceBy Density'; ErrorId = 'ParameterNotApplicable'; Policy = @{ KeepFraction = 0.5; Temperature = 0.5; BalanceBy = 'Label' } }
            @{ Cmdlet = $cmdlet; Call = '-MinPerGroup without -BalanceBy'; ErrorId = 'ParameterNotApplicable'; Policy = @{ KeepFraction = 0.5; MinPerGroup = 2 } }
            @{ Cmdlet = $cmdlet; Call = 'a temperature of 0'; ErrorId = 'InvalidTemperature'; Policy = @{ KeepFraction = 0.5; Temperature = 0; BalanceBy = 'Density' } }
            @{ Cmdlet = $cmdlet; Call = 'an infinite temperature'; ErrorId = 'InvalidTemperature'; Policy = @{ KeepFraction = 0.5; Temperature = [double]::PositiveInfinity; BalanceBy = 'Density' } }
            @{ Cmdlet = $cmdlet; Call = 'a keep fraction of 1.5'; ErrorId = 'InvalidKeepFraction'; Policy = @{ KeepFraction = 1.5 } }
        }
        # CCS's words, taken by the two cmdlets that run -Keep Stratified.
        foreach ($cmdlet in 'Select-PrunedSet', 'Measure-SelectionStability') {
            @{ Cmdlet = $cmdlet; Call = '-Bins without -Keep Stratified'; ErrorId = 'ParameterNotApplicable'; Policy = @{ KeepFraction = 0.5; Bins = 3 } }
            @{ Cmdlet = $cmdlet; Call = '-HardCutoff without -Keep Stratified'; ErrorId = 'ParameterNotApplicable'; Policy = @{ KeepFraction = 0.5; HardCutoff = 0.2 } }
            @{ Cmdlet = $cmdlet; Call = 'a hard cutoff of 1'; ErrorId = 'InvalidHardCutoff'; Policy = @{ KeepFraction = 0.5; Keep = 'Stratified'; HardCutoff = 1 } }
        }
    ) {
        $extra = if ($Cmdlet -eq 'Measure-ShardSummary') { @{ Path = (Join-Path $TestDrive 'r1.json'); Index = 0; Count = 1 } } else { @{} }
        $type = (Get-Command $Cmdlet).ImplementingType.FullName
        { $blobs | & $Cmdlet @Policy @extra } | Should -Throw -ErrorId "$ErrorId,$type"
        Join-Path $TestDrive 'r1.json' | Should -Not -Exist
    }
    It 'refuses a policy word beside the file that carries the policy: <Cmdlet> <File>' -ForEach @(
        @{ Cmdlet = 'Select-PrunedSet'; File = '-Cut'; Call = @{ Cut = 'cut.json'; Keep = 'Easy' } }
        @{ Cmdlet = 'Measure-ShardSummary'; File = '-Plan'; Call = @{ Path = 'r2.json'; Plan = 'plan.json'; Index = 0; Count = 1; Keep = 'Easy' } }
    ) {
        $type = (Get-Command $Cmdlet).ImplementingType.FullName
        $e = { $blobs | & $Cmdlet @Call } | Should -Throw -ErrorId "ParameterNotApplicable,$type" -PassThru
        $e.Exception.Message | Should -Be "$File carries the whole policy the $(if ($File -eq '-Cut') { 'shard summaries' } else { 'round-1 summaries' }) were made with; remove -Keep."
        $e.TargetObject | Should -Be 'Keep'
    }
}

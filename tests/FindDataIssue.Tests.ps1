BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force

    # Four Gaussian classes of 60 in 12 dimensions (seeded), with 3 labels of every class moved
    # to the next class: records 7, 27, 47 of each class's sequence. Sets $noisy (the records)
    # and $flipped (the Ids of the flipped ones).
    function New-NoisyRecords {
        $rng = [Random]::new(21)
        $centres = foreach ($c in 0..3) { , [double[]]@(foreach ($j in 0..11) { 4 * ($rng.NextDouble() - 0.5) * 2 }) }
        $flipped = [Collections.Generic.List[string]]::new()
        $records = for ($i = 0; $i -lt 240; $i++) {
            $c = $i % 4
            $v = [float[]]::new(12)
            for ($j = 0; $j -lt 12; $j++) {
                $g = [Math]::Sqrt(-2 * [Math]::Log(1 - $rng.NextDouble())) * [Math]::Cos(2 * [Math]::PI * $rng.NextDouble())
                $v[$j] = $centres[$c][$j] + $g
            }
            $label = "class$c"
            if ([Math]::Floor($i / 4) % 20 -eq 7) { $label = "class$(($c + 1) % 4)"; $flipped.Add("r$i") }
            [pscustomobject]@{ Id = "r$i"; Label = $label; Vector = $v }
        }
        $script:noisy = @($records)
        $script:flipped = @($flipped)
    }
    New-NoisyRecords
}

Describe 'Find-DataIssue' {
    Context 'label errors' {
        BeforeAll { $script:checked = @($noisy | Find-DataIssue -Check Label -Classifier Probe -Seed 2) }

        It 'emits every record, in input order, annotated' {
            $checked.Id | Should -Be $noisy.Id
            $checked | ForEach-Object { $_.Issues -is [string[]] | Should -BeTrue; $_.LabelQuality | Should -Not -BeNullOrEmpty }
        }
        It 'flags the flipped labels and suggests the true class' {
            $flagged = @($checked | Where-Object { $_.Issues -contains 'LabelError' })
            $hits = @($flagged | Where-Object { $_.Id -in $flipped })
            $hits.Count | Should -BeGreaterOrEqual (0.8 * $flipped.Count)
            $hits.Count | Should -BeGreaterOrEqual (0.8 * $flagged.Count)
            foreach ($r in $hits) {
                $true_class = "class$([int]$r.Id.Substring(1) % 4)"
                $r.SuggestedLabel | Should -Be $true_class
                $r.IssueReason | Should -BeLike "label error: labelled '$($r.Label)' (out-of-sample p *); the probe says '$true_class' (*)"
            }
            # Unflagged records keep their own label as the suggestion and score it high on average.
            ($checked | Where-Object { $_.Issues.Count -eq 0 } | Measure-Object LabelQuality -Average).Average | Should -BeGreaterThan 0.8
        }
        It 'reports the noise matrix and the fit figures over the whole set' {
            $s = $checked[0].DataIssues
            [object]::ReferenceEquals($s, $checked[-1].DataIssues) | Should -BeTrue
            $flaggedCount = @($checked | Where-Object { $_.Issues -contains 'LabelError' }).Count
            ($s.NoiseMatrix | Where-Object { $_.Given -ne $_.Suggested } | Measure-Object Count -Sum).Sum | Should -Be $flaggedCount
            $s.Counts['LabelError'] | Should -Be $flaggedCount
            $s.Classes | Should -Be @('class0', 'class1', 'class2', 'class3')
            $s.CrossValidatedAccuracy | Should -BeGreaterThan 0.85
            $s.CrossValidatedAccuracy | Should -BeLessThan 0.99   # 5% of the labels are wrong
            $s.NeighborAgreement | Should -BeGreaterThan 0.8
            $s.FitWarning | Should -BeNullOrEmpty
        }
        It 'finds the flips with the neighbour classifier, the default, too' {
            $byNeighbours = @($noisy | Find-DataIssue -Check Label)
            $byNeighbours[0].DataIssues.Classifier | Should -Be 'Neighbors'
            $flagged = @($byNeighbours | Where-Object { $_.Issues -contains 'LabelError' })
            @($flagged | Where-Object { $_.Id -in $flipped }).Count | Should -BeGreaterOrEqual (0.8 * $flipped.Count)
            $flagged[0].IssueReason | Should -BeLike "label error: labelled '*' (out-of-sample p *); its neighbours say '*' (*)"
            { $noisy | Find-DataIssue -Check Label -Folds 3 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
        }
        It 'with -Classifier Both, scores each label by the mean of the probe and the neighbours, and needs a class as large as the folds' {
            $both = @($noisy | Find-DataIssue -Check Label -Classifier Both -Seed 2)
            $byNeighbours = @($noisy | Find-DataIssue -Check Label)
            $both[0].DataIssues.Classifier | Should -Be 'Both'
            $both[0].DataIssues.Folds | Should -Be 5
            for ($i = 0; $i -lt $noisy.Count; $i++) {
                $both[$i].LabelQuality | Should -Be (($checked[$i].LabelQuality + $byNeighbours[$i].LabelQuality) / 2) -Because $noisy[$i].Id
            }
            # The thresholds are the mean self-confidence of the averaged probabilities, not either one's.
            $thresholds = $both[0].DataIssues.ClassThresholds
            $class0 = @(0..($noisy.Count - 1) | Where-Object { $noisy[$_].Label -eq 'class0' })
            $thresholds[0] | Should -Be (($class0 | ForEach-Object { $both[$_].LabelQuality } | Measure-Object -Sum).Sum / $class0.Count)
            $flagged = @($both | Where-Object { $_.Issues -contains 'LabelError' })
            @($flagged | Where-Object { $_.Id -in $flipped }).Count | Should -BeGreaterOrEqual (0.8 * $flipped.Count)
            $flagged[0].IssueReason | Should -BeLike "label error: labelled '*' (out-of-sample p *); the probe and its neighbours say '*' (*)"
            @($noisy | Find-DataIssue -Check Label -Classifier Both -Folds 3 -Seed 2)[0].DataIssues.Folds | Should -Be 3
            { $noisy | Select-Object -First 200 | Find-DataIssue -Check Label -Classifier Both -Folds 100 -ErrorAction Stop } | Should -Throw -ErrorId 'ClassTooSmall,PruneCmdlets.Commands.FindDataIssueCommand'
            { $noisy | Find-DataIssue -Check Label -Classifier Both -SaveLabelModel (Join-Path $TestDrive 'both.json') -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
        }
        It 'warns that the embedding does not fit labels that are noise' {
            $shuffled = $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = "c$([int]$_.Id.Substring(1) % 3)"; Vector = $_.Vector } }
            $out = $shuffled | Find-DataIssue -Check Label -WarningVariable warned -WarningAction SilentlyContinue
            "$warned" | Should -BeLike '*fits these labels poorly*-ModelPath*'
            $out[0].DataIssues.CrossValidatedAccuracy | Should -BeLessThan 0.6
        }
        It 'gives the same bits with one thread or many' {
            $one = @($noisy | Find-DataIssue -Check Label -Classifier Probe -Seed 2 -MaxThreads 1)
            ($one | ForEach-Object { $_.LabelQuality.ToString('R') }) | Should -Be ($checked | ForEach-Object { $_.LabelQuality.ToString('R') })
        }
        It 'refuses <Case>' -ForEach @(
            @{ Case = 'a class smaller than the folds'; Id = 'ClassTooSmall'; Make = { $noisy | Select-Object -First 200; [pscustomobject]@{ Id = 'x'; Label = 'rare'; Vector = $noisy[0].Vector } } }
            @{ Case = 'a single class'; Id = 'SingleClass'; Make = { $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = 'one'; Vector = $_.Vector } } } }
            @{ Case = 'no labels at all'; Id = 'NoLabels'; Make = { $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Vector = $_.Vector } } } }
        ) {
            { & $Make | Find-DataIssue -Check Label -Classifier Probe -ErrorAction Stop } | Should -Throw -ErrorId "$Id,PruneCmdlets.Commands.FindDataIssueCommand"
        }
    }

    Context 'label errors in shards' {
        BeforeAll {
            # EmbeddingRecords (as Import-Embedding gives them), so Select-Shard can mark its shards.
            $parquet = Join-Path $TestDrive 'noisy.parquet'
            $noisy | Export-Embedding $parquet
            $script:records = @(Import-Embedding $parquet)
            $script:modelPath = Join-Path $TestDrive 'labels.json'
            # The fit step: the Id-hash sample, as k-means is fitted on it.
            $script:fit = @($records | Select-Shard -SampleFraction 0.5 | Find-DataIssue -Check Label -Classifier Probe -Seed 2 -SaveLabelModel $modelPath)
            $script:one = @($records | Find-DataIssue -LabelModel $modelPath)
            function script:Bits($r) { '{0}|{1}|{2}|{3}' -f ($r.Issues -join ','), $r.LabelQuality.ToString('R'), $r.SuggestedLabel, $r.IssueReason }
        }

        It 'gives the records of three shards exactly what one process gives them' {
            $fit.Count | Should -BeGreaterThan 60
            $fit.Count | Should -BeLessThan 180
            $one.Id | Should -Be $records.Id
            $sharded = @(0..2 | ForEach-Object { $records | Select-Shard -Index $_ -Count 3 | Find-DataIssue -LabelModel $modelPath -MaxThreads 1 })
            $sharded.Count | Should -Be $records.Count
            $byId = @{}; foreach ($r in $sharded) { $byId[$r.Id] = Bits $r }
            foreach ($r in $one) { $byId[$r.Id] | Should -BeExactly (Bits $r) -Because $r.Id }
            # Each shard counts its own records; the counts add up to one process's.
            $perShard = @($sharded | Group-Object { $_.DataIssues.GetHashCode() } | ForEach-Object { $_.Group[0].DataIssues.Counts['LabelError'] })
            $perShard.Count | Should -Be 3
            ($perShard | Measure-Object -Sum).Sum | Should -Be $one[0].DataIssues.Counts['LabelError']
            $one[0].DataIssues.Checks | Should -Be ([PruneCmdlets.Issues.DataCheck]'Label')
            $one[0].DataIssues.LabelModel | Should -Be (Get-Content $modelPath -Raw | ConvertFrom-Json).Checksum
            $fit[0].DataIssues.LabelModel | Should -BeNullOrEmpty
        }
        It 'gives the sample records their cross-validated verdicts, and finds the flips outside the sample' {
            $oneById = @{}; foreach ($r in $one) { $oneById[$r.Id] = $r }
            foreach ($r in $fit) { Bits $oneById[$r.Id] | Should -BeExactly (Bits $r) }
            $outside = @($one | Where-Object { $_.Id -notin $fit.Id })
            $flagged = @($outside | Where-Object { $_.Issues -contains 'LabelError' })
            $flips = @($outside | Where-Object { $_.Id -in $flipped })
            $hits = @($flagged | Where-Object { $_.Id -in $flipped })
            $hits.Count | Should -BeGreaterOrEqual (0.8 * $flips.Count)
            $hits.Count | Should -BeGreaterOrEqual (0.8 * $flagged.Count)
        }
        It 'refuses in a shard the checks that compare records with each other: <Case>' -ForEach @(
            @{ Case = 'Outlier'; Run = { $records | Select-Shard 1 3 | Find-DataIssue -Check Outlier -ErrorAction Stop }; Names = 'Outlier' }
            @{ Case = 'every check the input allows'; Run = { $records | Select-Shard 1 3 | Find-DataIssue -ErrorAction Stop }; Names = 'Label, Outlier, Duplicate' }
            @{ Case = 'a probe fitted on the shard'; Run = { $records | Select-Shard 1 3 | Find-DataIssue -Check Label -Classifier Probe -ErrorAction Stop }; Names = 'Label' }
            @{ Case = 'Duplicate beside the label model'; Run = { $records | Select-Shard 1 3 | Find-DataIssue -Check Label, Duplicate -LabelModel $modelPath -ErrorAction Stop }; Names = 'Duplicate' }
        ) {
            $e = { & $Run } | Should -Throw -ErrorId 'NotExactInShard,PruneCmdlets.Commands.FindDataIssueCommand' -PassThru
            $e.Exception.Message | Should -BeLike "*Select-Shard -Index 1 -Count 3*the $Names check*-PerShard*"
        }
        It 'runs in a shard what is exact there, and the rest with -PerShard or over every shard' {
            $shard = @($records | Select-Shard 1 3)
            @($shard | Find-DataIssue -Check Leak -Reference $records[0..9]).Count | Should -Be $shard.Count
            @($shard | Find-DataIssue -Check Outlier -PerShard).Count | Should -Be $shard.Count
            # Every shard of the count present: the whole set.
            @(0..2 | ForEach-Object { $records | Select-Shard $_ 3 } | Find-DataIssue -Check Outlier).Count | Should -Be $records.Count
            # Select-Shard marks a copy: the caller's records are not one shard's.
            @($records | Find-DataIssue -Check Outlier).Count | Should -Be $records.Count
        }
        It 'refuses outside Select-Shard too, where a job array says it is one task of many' {
            $env:SLURM_ARRAY_TASK_ID = '3'
            try {
                { $records | Find-DataIssue -Check Duplicate -ErrorAction Stop } | Should -Throw -ErrorId 'NotExactInShard,PruneCmdlets.Commands.FindDataIssueCommand'
                @($records | Find-DataIssue -LabelModel $modelPath).Count | Should -Be $records.Count
            }
            finally { Remove-Item Env:SLURM_ARRAY_TASK_ID }
        }
        It 'refuses a label model it cannot use: <Case>' -ForEach @(
            @{ Case = 'another dimension'; Id = 'LabelModelDimensionMismatch'; Make = { $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = $_.Label; Vector = [float[]]($_.Vector + 1) } } } }
            @{ Case = 'a label it does not know'; Id = 'UnknownLabel'; Make = { $noisy | Select-Object -First 5; [pscustomobject]@{ Id = 'new'; Label = 'class9'; Vector = $noisy[0].Vector } } }
            @{ Case = 'a sample record relabelled'; Id = 'LabelModelRecordChanged'; Make = { $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = $(if ($_.Id -ne $fit[0].Id) { $_.Label } elseif ($_.Label -eq 'class0') { 'class1' } else { 'class0' }); Vector = $_.Vector } } } }
        ) {
            { & $Make | Find-DataIssue -LabelModel $modelPath -ErrorAction Stop } | Should -Throw -ErrorId "$Id,PruneCmdlets.Commands.FindDataIssueCommand"
        }
        It 'refuses a label model file that is <Case>' -ForEach @(
            @{ Case = 'edited'; Id = 'CorruptLabelModel'; Edit = { param($p) (Get-Content $p -Raw) -replace '"Seed":2,', '"Seed":3,' | Set-Content $p -NoNewline }; Says = '*was edited or damaged*' }
            @{ Case = 'not a label model'; Id = 'CorruptLabelModel'; Edit = { param($p) '{"Format":"PruneCmdlets.ShardPlan"}' | Set-Content $p }; Says = '*is not a label model*' }
            @{ Case = 'missing'; Id = 'LabelModelNotFound'; Edit = { param($p) Remove-Item $p }; Says = '*Cannot read*' }
        ) {
            $copy = Join-Path $TestDrive "edited-$Id.json"
            Copy-Item $modelPath $copy
            & $Edit $copy
            $e = { $records | Find-DataIssue -LabelModel $copy -ErrorAction Stop } | Should -Throw -ErrorId "$Id,PruneCmdlets.Commands.FindDataIssueCommand" -PassThru
            $e.Exception.Message | Should -BeLike "*$copy*"
            $e.Exception.Message | Should -BeLike $Says
        }
        It 'refuses a label model from another embedding model' {
            $named = Join-Path $TestDrive 'named.json'
            $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = $_.Label; Vector = $_.Vector; Model = 'resnet18' } } |
                Find-DataIssue -Check Label -Classifier Probe -SaveLabelModel $named | Out-Null
            { $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = $_.Label; Vector = $_.Vector; Model = 'clip' } } | Find-DataIssue -LabelModel $named -ErrorAction Stop } |
                Should -Throw -ErrorId 'LabelModelModelMismatch,PruneCmdlets.Commands.FindDataIssueCommand'
        }
        It 'refuses -SaveLabelModel and -LabelModel where they do not apply' {
            { $noisy | Find-DataIssue -Check Label -SaveLabelModel (Join-Path $TestDrive 'x.json') -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
            { $noisy | Find-DataIssue -LabelModel $modelPath -Folds 3 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
            { $noisy | Find-DataIssue -Check Outlier -LabelModel $modelPath -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
            $whatIf = Join-Path $TestDrive 'whatif.json'
            @($noisy | Find-DataIssue -Check Label -Classifier Probe -SaveLabelModel $whatIf -WhatIf).Count | Should -Be $noisy.Count
            Test-Path $whatIf | Should -BeFalse
        }
    }

    Context 'defaults, outliers and duplicates' {
        It 'runs every check the input allows, and only those' {
            $unlabelled = $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Vector = $_.Vector } }
            $s = @($unlabelled | Find-DataIssue)[0].DataIssues
            $s.Checks | Should -Be ([PruneCmdlets.Issues.DataCheck]'Outlier, Duplicate')
            $s = @($noisy | Find-DataIssue)[0].DataIssues
            $s.Checks | Should -Be ([PruneCmdlets.Issues.DataCheck]'Label, Outlier, Duplicate')
        }
        It 'flags a planted outlier and a planted copy, and says why' {
            $far = [float[]]::new(12); $far[0] = -40; $far[5] = 35
            $copy = [float[]]$noisy[10].Vector.Clone(); $copy[0] += 0.0001
            $set = @($noisy) + [pscustomobject]@{ Id = 'far'; Label = 'class0'; Vector = $far } + [pscustomobject]@{ Id = 'zcopy'; Label = $noisy[10].Label; Vector = $copy }
            $out = @($set | Find-DataIssue -Check Outlier, Duplicate)
            $o = $out | Where-Object Id -EQ 'far'
            $o.Issues | Should -Be @('Outlier')
            $o.IssueReason | Should -BeLike 'outlier: mean cosine distance * to its 10 nearest neighbours, above *'
            $o.OutlierScore | Should -BeGreaterThan $o.DataIssues.OutlierThreshold
            @($out | Where-Object { $_.Issues -contains 'Outlier' }).Id | Should -Be @('far')
            # The copy and its original: one group, SemDeDup's keeper, only the other member flagged.
            $pair = @($out | Where-Object { $_.Id -in 'r10', 'zcopy' })
            $pair.DuplicateOf | Select-Object -Unique | Should -HaveCount 1
            @($pair | Where-Object { $_.Issues -contains 'Duplicate' }).Count | Should -Be 1
            @($out | Where-Object { $_.Issues -contains 'Duplicate' }).Count | Should -Be 1
        }
        It 'refuses a parameter of a check it does not run' {
            { $noisy | Find-DataIssue -Check Outlier -Folds 3 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
            { $noisy | Find-DataIssue -Check Leak -ErrorAction Stop } | Should -Throw -ErrorId 'ReferenceRequired,PruneCmdlets.Commands.FindDataIssueCommand'
            { $noisy | Find-DataIssue -Reference (New-VectorRecord -Id q -Vector @(1, 2, 3)) -ErrorAction Stop } | Should -Throw -ErrorId 'ReferenceDimensionMismatch,PruneCmdlets.Commands.FindDataIssueCommand'
        }
    }

    Context 'a reference with bad records' {
        It 'reports each bad reference record by name and checks against the rest' {
            $d = $noisy[0].Vector.Count
            $nan = [float[]]::new($d); $nan[0] = [float]::NaN
            $reference = @(
                [pscustomobject]@{ Id = 'broken'; Vector = $nan }
                [pscustomobject]@{ Id = 'blank'; Vector = [float[]]::new($d) }
                [pscustomobject]@{ Id = 'novector' }
                [pscustomobject]@{ Id = 'twin'; Vector = $noisy[3].Vector }
            )
            $out = @($noisy | Find-DataIssue -Check Leak -Reference $reference -ErrorVariable bad -ErrorAction SilentlyContinue)
            $cmd = 'PruneCmdlets.Commands.FindDataIssueCommand'
            $bad.FullyQualifiedErrorId | Sort-Object | Should -Be @("MissingVector,$cmd", "NonFiniteVector,$cmd", "ZeroVector,$cmd")
            ($bad | Where-Object FullyQualifiedErrorId -Like 'NonFinite*').Exception.Message | Should -BeLike "*'broken'*NaN*left out*"
            ($bad | Where-Object FullyQualifiedErrorId -Like 'ZeroVector*').Exception.Message | Should -BeLike "*'blank'*"
            $out | Should -HaveCount $noisy.Count
            $out[0].DataIssues.ReferenceRecords | Should -Be 1
            $leak = @($out | Where-Object { $_.Issues -contains 'Leak' })
            $leak.Id | Should -Contain $noisy[3].Id
            ($leak | Where-Object Id -EQ $noisy[3].Id).LeakOf | Should -Be 'twin'
        }
        It 'stops when no reference record is usable, or when the reference comes from another model' {
            $d = $noisy[0].Vector.Count
            { $noisy | Find-DataIssue -Check Leak -Reference ([pscustomobject]@{ Id = 'blank'; Vector = [float[]]::new($d) }) -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'EmptyReference,PruneCmdlets.Commands.FindDataIssueCommand'
            $records = $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = $_.Label; Vector = $_.Vector; Model = 'resnet18' } }
            $reference = @([pscustomobject]@{ Id = 'same'; Vector = $noisy[1].Vector; Model = 'resnet18' }, [pscustomobject]@{ Id = 'other'; Vector = $noisy[2].Vector; Model = 'clip' })
            { $records | Find-DataIssue -Check Leak -Reference $reference -ErrorAction Stop } |
                Should -Throw -ErrorId 'ReferenceModelMismatch,PruneCmdlets.Commands.FindDataIssueCommand'
            # The same reference without the stranger is accepted.
            @($records | Find-DataIssue -Check Leak -Reference $reference[0])[0].DataIssues.ReferenceRecords | Should -Be 1
        }
    }

    Context 'leaks between real image files' {
        BeforeAll {
            Initialize-SyntheticImages
            $S = [PruneCmdlets.Examples.SyntheticImages]
            $train = New-Item -ItemType Directory (Join-Path $TestDrive 'train') -Force
            $test = New-Item -ItemType Directory (Join-Path $TestDrive 'test') -Force
            # Photo-like scenes: distinct seeds give distinct layouts, as distinct photos do.
            foreach ($i in 0..9) { $S::SaveScene(100 + $i, 160, 120, (Join-Path $train "t$i.png")) }
            foreach ($i in 0..4) { $S::SaveScene(200 + $i, 160, 120, (Join-Path $test "q$i.png")) }
            # Test image q2, cropped by 3% a side, shrunk to 70%, brightened by 10% and re-encoded, planted in train.
            # (Brightened by 20%, its highlights clip and its pixels score 0.992, under -PixelThreshold; its embedding 0.92, under -LeakThreshold.)
            $S::SaveEditedCopy((Join-Path $test 'q2.png'), (Join-Path $train 'leaked.jpg'), 0.03, 0.7, 1.1, 70)
            $script:testRecords = @(Get-ChildItem $test -File | Get-Embedding)
            $script:trainRecords = @(Get-ChildItem $train -File | Get-Embedding)
            $script:leaks = @($trainRecords | Find-DataIssue -Check Leak -Reference $testRecords -PixelCheck)
        }
        It 'finds the edited copy, names its twin and confirms it by the pixels' {
            $flagged = @($leaks | Where-Object { $_.Issues -contains 'Leak' })
            $flagged.Id | Should -Be @((Join-Path $train 'leaked.jpg'))
            $flagged[0].LeakOf | Should -Be (Join-Path $test 'q2.png')
            $flagged[0].LeakPixelSimilarity | Should -BeGreaterOrEqual 0.9
            $flagged[0].IssueReason | Should -BeLike "leak: near-copy of reference record '*q2.png' (embedding cosine *, pixels *)"
            $leaks[0].DataIssues.LeakPixelChecks | Should -BeGreaterThan 0
        }
        It 'holds a pair of large images to -PixelAgreement' {
            # -PixelThreshold 1 leaves the copy to the agreement rule: embedding at -LeakThreshold or more, pixels at -PixelAgreement or more.
            $agreed = @($trainRecords | Find-DataIssue -Check Leak -Reference $testRecords -PixelCheck -PixelThreshold 1 | Where-Object { $_.Issues -contains 'Leak' })
            $agreed.Id | Should -Be @((Join-Path $train 'leaked.jpg'))
            $agreed[0].LeakSimilarity | Should -BeGreaterOrEqual $agreed[0].DataIssues.LeakThreshold
            $pixels = $agreed[0].LeakPixelSimilarity
            $pixels | Should -BeLessThan 1
            # A bar just above the copy's own pixel score vetoes it; one at it does not.
            $above = [Math]::Min(1.0, $pixels + 1e-9)
            $vetoed = @($trainRecords | Find-DataIssue -Check Leak -Reference $testRecords -PixelCheck -PixelThreshold 1 -PixelAgreement $above)
            @($vetoed | Where-Object { $_.Issues -contains 'Leak' }) | Should -HaveCount 0
            $vetoed[0].DataIssues.LeakPixelAgreement | Should -Be $above
            @($trainRecords | Find-DataIssue -Check Leak -Reference $testRecords -PixelCheck -PixelThreshold 1 -PixelAgreement $pixels | Where-Object { $_.Issues -contains 'Leak' }).Id |
                Should -Be @((Join-Path $train 'leaked.jpg'))
        }
        It 'refuses -PixelAgreement without -PixelCheck, which alone compares large images by their pixels' {
            { $trainRecords | Find-DataIssue -Check Leak -Reference $testRecords -PixelAgreement 0.8 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
            { $trainRecords | Find-DataIssue -Check Leak -Reference $testRecords -PixelCheck:$false -PixelAgreement 0.8 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.FindDataIssueCommand'
        }
        It 'finds nothing where the pixels differ, however close the embeddings' {
            # Same generator, other seeds: scenes alike in kind, other pixels.
            @($leaks | Where-Object { $_.Issues -contains 'Leak' -and $_.Id -notlike '*leaked.jpg' }) | Should -HaveCount 0
        }
    }

    Context 'leaks between small image files' {
        BeforeAll {
            Initialize-SyntheticImages
            $S = [PruneCmdlets.Examples.SyntheticImages]
            $train = New-Item -ItemType Directory (Join-Path $TestDrive 'small-train') -Force
            $test = New-Item -ItemType Directory (Join-Path $TestDrive 'small-test') -Force
            # 28×28 scenes, as Fashion-MNIST's images are small: the embedding sees them as a blur.
            foreach ($i in 0..11) { $S::SaveScene(500 + $i, 28, 28, (Join-Path $train "t$i.png")) }
            foreach ($i in 0..5) { $S::SaveScene(600 + $i, 28, 28, (Join-Path $test "q$i.png")) }
            # Test image q3 with one pixel cropped from each side, enlarged twice, darkened and saved as JPEG at quality 60.
            $S::SaveEditedCopy((Join-Path $test 'q3.png'), (Join-Path $train 'leaked.jpg'), 0.04, 2.0, 0.9, 60)
            $script:smallTest = @(Get-ChildItem $test -File | Get-Embedding)
            $script:smallTrain = @(Get-ChildItem $train -File | Get-Embedding)
            $script:byDefault = @($smallTrain | Find-DataIssue -Check Leak -Reference $smallTest)
        }
        It 'lets the pixels decide by default, and finds the copy' {
            $byDefault[0].DataIssues.LeakPixelScope | Should -Be 'Auto'
            $flagged = @($byDefault | Where-Object { $_.Issues -contains 'Leak' })
            $flagged.Id | Should -Be @((Join-Path $train 'leaked.jpg'))
            $flagged[0].LeakOf | Should -Be (Join-Path $test 'q3.png')
            $flagged[0].LeakPixelSimilarity | Should -BeGreaterOrEqual $byDefault[0].DataIssues.LeakPixelThreshold
            # Every other scene's best pixel match lies below the bar: with the bar at the copy's own score, still only the copy.
            $bar = $flagged[0].LeakPixelSimilarity
            @($smallTrain | Find-DataIssue -Check Leak -Reference $smallTest -PixelThreshold $bar | Where-Object { $_.Issues -contains 'Leak' }).Id | Should -Be @((Join-Path $train 'leaked.jpg'))
        }
        It 'leaves every pair to the embedding with -PixelCheck:$false' {
            $off = @($smallTrain | Find-DataIssue -Check Leak -Reference $smallTest -PixelCheck:$false)
            $off[0].DataIssues.LeakPixelScope | Should -BeNullOrEmpty
            $off[0].DataIssues.LeakPixelChecks | Should -Be 0
            @($off | Where-Object LeakPixelSimilarity) | Should -HaveCount 0
            # The embedding's verdict is its nearest reference at cosine 0.93 or more, record by record.
            $nearest = @($smallTrain | Find-DataIssue -Check Leak -Reference $smallTest -PixelCheck:$false -LeakThreshold -1)
            for ($i = 0; $i -lt $off.Count; $i++) { ($off[$i].Issues -contains 'Leak') | Should -Be ($nearest[$i].LeakSimilarity -ge 0.93) }
        }
    }

    Context 'pruning that keeps hard, not wrong' {
        BeforeAll {
            $script:scored = @($noisy | Find-DataIssue -Check Label -Seed 2 | Invoke-KMeans -K 4 -Seed 1 | Measure-Prototypicality)
            $script:flaggedIds = @($scored | Where-Object { $_.Issues -contains 'LabelError' }).Id
        }
        It 'prunes the flagged records first and keeps the fraction of every record' {
            $flaggedIds.Count | Should -BeGreaterThan 5
            $all = @($scored | Select-PrunedSet -KeepFraction 0.5 -Exclude LabelError -IncludePruned)
            $all.Id | Should -Be $scored.Id
            @($all | Where-Object Kept).Count | Should -Be 120
            foreach ($r in $all | Where-Object { $_.Id -in $flaggedIds }) {
                $r.Kept | Should -BeFalse
                $r.Reason | Should -BeLike 'pruned: label error: labelled*'
            }
            # The kept are the hardest of the others: every kept Distance is at least every pruned, non-excluded one.
            $minKept = ($all | Where-Object Kept | Measure-Object Distance -Minimum).Minimum
            $maxPruned = ($all | Where-Object { -not $_.Kept -and $_.Id -notin $flaggedIds } | Measure-Object Distance -Maximum).Maximum
            $minKept | Should -BeGreaterOrEqual $maxPruned
            # Without -Exclude the hard cut keeps some of the flagged records.
            @($scored | Select-PrunedSet -KeepFraction 0.5 | Where-Object { $_.Id -in $flaggedIds }).Count | Should -BeGreaterThan 0
        }
        It 'lets Test-PruningStrategy measure each candidate with and without the exclusion' {
            # The test set: the same vectors with their true labels.
            $truth = $noisy | ForEach-Object { [pscustomobject]@{ Id = $_.Id; Label = "class$([int]$_.Id.Substring(1) % 4)"; Vector = $_.Vector } }
            $out = @($scored | Test-PruningStrategy -TestSet $truth -KeepFraction 0.5 -Keep Hard -BalanceBy None -Exclude LabelError)
            $rows = @($out | Where-Object { $_ -is [PruneCmdlets.Probing.ProbeResult] })
            $rows | Should -HaveCount 2
            # The recommendation carries the exclusion of the row it chose, whichever that is.
            $chosen = $rows | Where-Object Recommended
            ($out[-1].Exclude -join ',') | Should -Be ($chosen.Exclude -join ',')
            $plain = $rows | Where-Object { $_.Exclude.Count -eq 0 }
            $excluding = $rows | Where-Object { $_.Exclude -contains 'LabelError' }
            $excluding.KeptCount | Should -Be $plain.KeptCount
            # Other records are kept: the flagged ones are moved out of the hard half, so the classes' shares change.
            ($excluding.ClassKeptFraction.Values | ForEach-Object { $_.ToString('R') }) -join ',' |
                Should -Not -Be (($plain.ClassKeptFraction.Values | ForEach-Object { $_.ToString('R') }) -join ',')
            { $noisy | Invoke-KMeans -K 4 -Seed 1 | Measure-Prototypicality | Test-PruningStrategy -TestSet $truth -Exclude LabelError -ErrorAction Stop } |
                Should -Throw -ErrorId 'MissingIssues,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'applies an exclusion the probe recommends' {
            $rec = [PruneCmdlets.Probing.PruningRecommendation]@{ KeepFraction = 0.5; Keep = 'Hard'; BalanceBy = 'None'; Exclude = [string[]]@('LabelError') }
            $all = @($scored | Select-PrunedSet -Keep Auto -Recommendation $rec -IncludePruned)
            @($all | Where-Object Kept).Count | Should -Be 120
            $all | Where-Object { $_.Id -in $flaggedIds } | ForEach-Object { $_.Kept | Should -BeFalse }
        }
        It 'excludes in a sharded run exactly what one process excludes, and keeps the same set' -ForEach @(
            @{ Balance = 'None' }, @{ Balance = 'Label' }
        ) {
            $one = @($scored | Select-PrunedSet -KeepFraction 0.4 -BalanceBy $Balance -Exclude LabelError -IncludePruned)
            $run = Join-Path $TestDrive "shards-$Balance"
            $null = New-Item -ItemType Directory -Force "$run/r1", "$run/r2"
            $shards = 0..2 | ForEach-Object { $k = $_; , @($scored | Where-Object { [int]$_.Id.Substring(1) % 3 -eq $k }) }
            for ($i = 0; $i -lt 3; $i++) { $shards[$i] | Measure-ShardSummary "$run/r1/$i.json" -KeepFraction 0.4 -BalanceBy $Balance -Exclude LabelError -Index $i -Count 3 }
            Merge-ShardSummary "$run/r1/*.json" "$run/plan.json"
            for ($i = 0; $i -lt 3; $i++) { $shards[$i] | Measure-ShardSummary "$run/r2/$i.json" -Plan "$run/plan.json" -Index $i -Count 3 }
            Merge-ShardSummary "$run/r2/*.json" -OutFile "$run/cut.json"
            $sharded = @(for ($i = 0; $i -lt 3; $i++) { $shards[$i] | Select-PrunedSet -Cut "$run/cut.json" -IncludePruned })
            $keptOne = @($one | Where-Object Kept).Id | Sort-Object
            @($sharded | Where-Object Kept).Id | Sort-Object | Should -Be $keptOne
            $keptOne.Count | Should -Be 96     # 0.4 of all 240, the excluded ones included
            foreach ($r in $sharded | Where-Object { $_.Id -in $flaggedIds }) { $r.Kept | Should -BeFalse; $r.Reason | Should -BeLike 'pruned: label error*' }
            # A shard summarised without the exclusion is another policy: the merge refuses to mix them.
            $shards[0] | Measure-ShardSummary "$run/r1/0.json" -KeepFraction 0.4 -BalanceBy $Balance -Index 0 -Count 3
            { Merge-ShardSummary "$run/r1/*.json" "$run/plan2.json" } | Should -Throw -ErrorId 'ShardSummaryMismatch,PruneCmdlets.Commands.MergeShardSummaryCommand'
        }
        It 'refuses to exclude by issues nobody looked for' {
            { $noisy | Invoke-KMeans -K 4 -Seed 1 | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.5 -Exclude Outlier -ErrorAction Stop } |
                Should -Throw -ErrorId 'MissingIssues,PruneCmdlets.Commands.SelectPrunedSetCommand'
        }
        It 'shows the data issues in the report and names the exclusion in Reproduce' {
            $path = Join-Path $TestDrive 'issues.html'
            $scored | Select-PrunedSet -KeepFraction 0.5 -Exclude LabelError -IncludePruned | Export-PruneReport $path
            $html = Get-Content $path -Raw
            $html | Should -Match '<section id="data-issues">'
            $html | Should -Match ('data-count="issue-LabelError">{0}<' -f $flaggedIds.Count)
            $html | Should -Match 'class="noise"'
            $html | Should -Match 'data-issue="label-errors"'
            $html | Should -Match 'Find-DataIssue -Check Label -Seed 2 \| Invoke-KMeans'
            $html | Should -Match 'Select-PrunedSet -KeepFraction 0\.5 -Exclude LabelError'
        }
        It 'carries the annotations through Parquet and back' {
            $parquet = Join-Path $TestDrive 'issues.parquet'
            $scored | Export-Embedding $parquet
            $back = @(Import-Embedding $parquet)
            ($back | Where-Object { $_.Issues -contains 'LabelError' }).Id | Should -Be $flaggedIds
            $back[0].LabelQuality | Should -Be $scored[0].LabelQuality
            $back[0].SuggestedLabel | Should -Be $scored[0].SuggestedLabel
            @($back | Where-Object { $null -eq $_.Issues }) | Should -HaveCount 0
        }
    }
}

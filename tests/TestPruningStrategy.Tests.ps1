BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    # Written against the enums, so strategies and balancings added to Select-PrunedSet are covered.
    $seededStrategies = @([enum]::GetNames([PruneCmdlets.Selection.KeepStrategy]) | Where-Object { $_ -notin 'Hard', 'Easy', 'Auto' } | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $centres = @(, @(0, 0, 0)) + @(, @(4, 0, 0)) + @(, @(0, 4, 0))
    # Three well-separated classes; the test points use another spread, so they are new points.
    $raw = @(New-BlobRecords -Centres $centres -PerBlob 30 -Spread 0.8)
    $train = @($raw | Measure-Prototypicality -Prototype Label -Metric Euclidean)
    $test = @(New-BlobRecords -Centres $centres -PerBlob 10 -Spread 0.6)
    $out = @($train | Test-PruningStrategy -TestSet $test)
    $rows = @($out | Where-Object { $_ -is [PruneCmdlets.Probing.ProbeResult] })
    $rec = $out[-1]
}

Describe 'Test-PruningStrategy' {
    Context 'end to end on separable blobs' {
        It 'emits one ProbeResult per candidate, then one PruningRecommendation' {
            $out | Should -HaveCount 31
            $rows | Should -HaveCount 30   # 5 fractions × Hard, Easy, Random × None, Label
            $rec | Should -BeOfType ([PruneCmdlets.Probing.PruningRecommendation])
            @($out | Where-Object { $_ -is [PruneCmdlets.Probing.PruningRecommendation] }) | Should -HaveCount 1
        }
        It 'lists fractions from the largest down with the Select-PrunedSet counts' {
            ($rows.KeepFraction | Select-Object -Unique) | Should -Be @(1.0, 0.8, 0.6, 0.4, 0.2)
            ($rows | Where-Object KeepFraction -EQ 0.2)[0].KeptCount | Should -Be 18
            $rows | ForEach-Object { $_.TotalCount | Should -Be 90 }
        }
        It 'classifies the held-out blobs perfectly with all the data' {
            $rec.FullDataAccuracy | Should -Be 1.0
            ($rows | Where-Object KeepFraction -EQ 1.0).TestAccuracy | ForEach-Object { $_ | Should -Be 1.0 }
        }
        It 'recommends the smallest fraction that stays within the tolerance, and marks its row' {
            $rec.KeepFraction | Should -Be 0.2
            $rec.Accuracy | Should -Be 1.0
            $rec.Tolerance | Should -Be 0.005
            $rec.TestCount | Should -Be 30
            $rec.Reason | Should -Match '20%'
            $marked = @($rows | Where-Object Recommended)
            $marked | Should -HaveCount 1
            $marked[0].KeepFraction | Should -Be $rec.KeepFraction
            $marked[0].Keep | Should -Be $rec.Keep
            $marked[0].BalanceBy | Should -Be $rec.BalanceBy
            $rec.Results | Should -HaveCount 30
        }
        It 'measures exactly the set Select-PrunedSet keeps' -ForEach @(
            @{ Keep = 'Hard'; Fraction = 0.4 }, @{ Keep = 'Easy'; Fraction = 0.2 }, @{ Keep = 'Random'; Fraction = 0.6 }
        ) {
            $row = $rows | Where-Object { $_.Keep -eq $Keep -and $_.KeepFraction -eq $Fraction -and $_.BalanceBy -eq 'None' }
            $kept = @($train | Select-PrunedSet -KeepFraction $Fraction -Keep $Keep -Seed 0)
            $row.KeptCount | Should -Be $kept.Count
            if ($Keep -ne 'Random') {
                # Random is the mean over three seeds; Hard and Easy are one exact set.
                foreach ($g in $train | Group-Object Label) {
                    $expected = @($kept | Where-Object Label -EQ $g.Name).Count / $g.Count
                    $row.ClassKeptFraction[$g.Name] | Should -Be $expected
                }
            }
        }
        It 'keeps the same fraction of every class when balanced by label' {
            foreach ($r in $rows | Where-Object BalanceBy -EQ 'Label') {
                foreach ($f in $r.ClassKeptFraction.Values) { $f | Should -Be $r.KeepFraction }
            }
        }
        It 'averages Random over -RandomTrials seeds' {
            ($rows | Where-Object Keep -EQ 'Random').Trials | ForEach-Object { $_ | Should -Be 3 }
            ($rows | Where-Object Keep -EQ 'Hard').Trials | ForEach-Object { $_ | Should -Be 1 }
        }
        It 'says what it chose and why with -Verbose' {
            $v = $train | Test-PruningStrategy -TestSet $test -KeepFraction 1, 0.5 -Keep Hard -BalanceBy Label -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            $text = $v.Message -join "`n"
            $text | Should -Match 'Probe: 90 training records × 3 dimensions in 3 classes; 30 test records'
            $text | Should -Match 'C=1'
            $text | Should -Match 'Recommendation: keep 0.5 with -Keep Hard -BalanceBy Label'
        }
    }

    Context 'parameters' {
        It 'measures only the candidates asked for' {
            $o = @($train | Test-PruningStrategy -TestSet $test -KeepFraction 0.7, 0.3 -Keep Easy -BalanceBy None)
            $o | Should -HaveCount 3
            $o[0].KeepFraction | Should -Be 0.7
            $o[1].KeepFraction | Should -Be 0.3
            $o[-1].Keep | Should -Be 'Easy'
        }
        It 'probes unscored records with -Keep Random, and -Seed and -RandomTrials shape the trials' {
            $a = @($raw | Test-PruningStrategy -TestSet $test -Keep Random -KeepFraction 0.3 -BalanceBy None -Seed 5 -RandomTrials 2)
            $b = @($raw | Test-PruningStrategy -TestSet $test -Keep Random -KeepFraction 0.3 -BalanceBy None -Seed 5 -RandomTrials 2)
            $a[0].Trials | Should -Be 2
            $a[0].Seed | Should -Be 5
            $a[0].TestAccuracy | Should -Be $b[0].TestAccuracy
            $a[0].ClassKeptFraction['blob0'] | Should -Be $b[0].ClassKeptFraction['blob0']
        }
        It 'balances by cluster when the records have clusters' {
            $clustered = $raw | Invoke-KMeans -K 3 -Metric Euclidean -Seed 1 | Measure-Prototypicality
            $o = @($clustered | Test-PruningStrategy -TestSet $test -KeepFraction 0.5 -Keep Hard -BalanceBy Cluster)
            $o[0].BalanceBy | Should -Be 'Cluster'
            $o[0].KeptCount | Should -Be 45
        }
        It '-C is the inverse penalty: a weak one separates the blobs, a strong one shrinks the probe to the majority class' {
            # 30, 10 and 10 training records. As the penalty ½‖W‖²/C grows, W goes to 0 and the
            # unpenalised intercepts to the log class frequencies, so every test point is called
            # blob0: 10 of the 30 balanced test records. A probe that ignored -C would score 1.
            $skewed = @($train | Where-Object Label -EQ 'blob0') + @($train | Where-Object Label -EQ 'blob1' | Select-Object -First 10) +
                @($train | Where-Object Label -EQ 'blob2' | Select-Object -First 10)
            $weak = @($skewed | Test-PruningStrategy -TestSet $test -KeepFraction 1 -Keep Hard -BalanceBy None -C 1)
            $strong = @($skewed | Test-PruningStrategy -TestSet $test -KeepFraction 1 -Keep Hard -BalanceBy None -C 1e-4)
            $weak[0].KeptCount, $strong[0].KeptCount | Should -Be 50, 50
            $weak[0].TestAccuracy | Should -Be 1.0
            $strong[0].TestAccuracy | Should -Be (10 / 30)
        }
        It 'averages the seeded strategy <Name> over -RandomTrials seeds' -ForEach $seededStrategies {
            $o = @($train | Test-PruningStrategy -TestSet $test -Keep $Name -KeepFraction 0.5 -BalanceBy Label -RandomTrials 2)
            $o[0].Trials | Should -Be 2
            $o[0].KeptCount | Should -Be 45
            $kept = @($train | Select-PrunedSet -KeepFraction 0.5 -Keep $Name -BalanceBy Label -Seed 0)
            $kept | Should -HaveCount 45
        }
        It 'warns when the iteration limit stops training' {
            $null = $train | Test-PruningStrategy -TestSet $test -KeepFraction 1 -Keep Hard -BalanceBy None -MaxIterations 1 -WarningVariable w -WarningAction SilentlyContinue
            "$w" | Should -Match 'MaxIterations'
        }
    }

    It 'shows candidate rows as a table with the recommended one marked' {
        $text = $train | Test-PruningStrategy -TestSet $test -KeepFraction 1, 0.5 -Keep Hard -BalanceBy None |
            Where-Object { $_ -is [PruneCmdlets.Probing.ProbeResult] } | Format-Table | Out-String
        $text | Should -Match 'Accuracy'
        $text | Should -Match 'True'
        $text | Should -Not -Match 'ClassKeptFraction'
    }

    Context 'errors' {
        It 'refuses -Keep Auto: it is the recommendation, not a candidate' {
            { $train | Test-PruningStrategy -TestSet $test -Keep Auto } | Should -Throw -ErrorId 'AutoNotMeasurable,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'refuses a test label no training record has, naming it' {
            $bad = @($test) + @(New-VectorRecord -Id z -Vector @(9, 9, 9) -Label zebra)
            $err = { $train | Test-PruningStrategy -TestSet $bad } | Should -Throw -ErrorId 'UnseenTestLabel,PruneCmdlets.Commands.TestPruningStrategyCommand' -PassThru
            $err.Exception.Message | Should -Match "'zebra'"
        }
        It 'needs distances for Hard and Easy' {
            { $raw | Test-PruningStrategy -TestSet $test } | Should -Throw -ErrorId 'MissingDistance,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'needs clusters to balance by cluster' {
            { $train | Test-PruningStrategy -TestSet $test -BalanceBy Cluster } | Should -Throw -ErrorId 'MissingCluster,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'refuses a keep fraction of <Value>' -ForEach @(@{ Value = 0 }, @{ Value = 1.5 }, @{ Value = -0.2 }) {
            # One error for one mistake: the same ErrorId and exception type as Select-PrunedSet's, naming the parameter.
            { $train | Test-PruningStrategy -TestSet $test -KeepFraction 0.5, $Value } | Should -Throw -ErrorId 'InvalidKeepFraction,PruneCmdlets.Commands.TestPruningStrategyCommand' -ExceptionType ([ArgumentOutOfRangeException]) -ExpectedMessage '-KeepFraction must be greater than 0 and at most 1; got*'
        }
        It 'measures -BalanceBy Density with the kept set Select-PrunedSet keeps' {
            # Blobs of very different spread: density shares differ from equal fractions, so a
            # probe that balanced by size or by label would report other per-class fractions.
            function New-Blob([double[]] $Centre, [double] $Spread, [string] $Label, [int] $Count) {
                New-BlobRecords -Centres @(, $Centre) -PerBlob $Count -Spread $Spread | ForEach-Object { New-VectorRecord -Id "$Label-$($_.Id)" -Vector $_.Vector -Label $Label }
            }
            $mixed = @((New-Blob @(0, 0, 0) 1.5 'wide' 30) + (New-Blob @(6, 0, 0) 0.1 'tight' 30) + (New-Blob @(0, 6, 0) 0.6 'mid' 30))
            $heldOut = @((New-Blob @(0, 0, 0) 1.2 'wide' 5) + (New-Blob @(6, 0, 0) 0.08 'tight' 5) + (New-Blob @(0, 6, 0) 0.5 'mid' 5))
            $clustered = @($mixed | Invoke-KMeans -K 3 -Metric Euclidean -Seed 1 | Measure-Prototypicality)
            $probe = @($clustered | Test-PruningStrategy -TestSet $heldOut -BalanceBy Density -Keep Hard -KeepFraction 0.4 -ErrorAction Stop |
                Where-Object { $_ -is [PruneCmdlets.Probing.ProbeResult] -and $_.KeepFraction -eq 0.4 })
            $probe | Should -HaveCount 1
            $kept = @($clustered | Select-PrunedSet -KeepFraction 0.4 -Keep Hard -BalanceBy Density)
            $fractions = foreach ($label in 'wide', 'tight', 'mid') {
                $f = @($kept | Where-Object Label -EQ $label).Count / 30
                $probe[0].ClassKeptFraction[$label] | Should -Be $f
                $f
            }
            $fractions[0] | Should -BeGreaterThan $fractions[1]   # the spread-out blob keeps more than the tight one
        }
        It 'needs the clusters'' model to balance by density' {
            { $train | Test-PruningStrategy -TestSet $test -BalanceBy Density } | Should -Throw -ErrorId 'MissingCluster,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'refuses a non-positive -C' {
            { $train | Test-PruningStrategy -TestSet $test -C 0 } | Should -Throw -ErrorId 'InvalidC,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'needs input' {
            { @() | Test-PruningStrategy -TestSet $test } | Should -Throw -ErrorId 'NoInput,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'needs two classes' {
            { $train | Where-Object Label -EQ 'blob0' | Test-PruningStrategy -TestSet $test } | Should -Throw -ErrorId 'TooFewClasses,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'refuses a test set from another model' {
            $other = @(New-VectorRecord -Id t -Vector @(1, 2) -Label blob0)
            { $train | Test-PruningStrategy -TestSet $other } | Should -Throw -ErrorId 'TestSetDimensionMismatch,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'reports unusable test items and stops when none is left' {
            $junk = @([pscustomobject]@{ Name = 'no vector' }, (New-VectorRecord -Id u -Vector @(1, 2, 3) -Label ''))
            { $train | Test-PruningStrategy -TestSet $junk -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'EmptyTestSet,PruneCmdlets.Commands.TestPruningStrategyCommand'
            $null = $train | Test-PruningStrategy -TestSet (@($test) + $junk) -KeepFraction 1 -Keep Hard -BalanceBy None -ErrorVariable e -ErrorAction SilentlyContinue
            $e.FullyQualifiedErrorId | Should -Contain 'InvalidTestRecord,PruneCmdlets.Commands.TestPruningStrategyCommand'
            $e.FullyQualifiedErrorId | Should -Contain 'MissingTestLabel,PruneCmdlets.Commands.TestPruningStrategyCommand'
        }
        It 'leaves out unlabelled training records with a MissingLabel error' {
            $unlabelled = [pscustomobject]@{ Id = 'nolabel'; Vector = [float[]](1, 1, 1); Distance = 0.5 }
            $o = @(@($train) + $unlabelled | Test-PruningStrategy -TestSet $test -KeepFraction 1 -Keep Hard -BalanceBy None -ErrorVariable e -ErrorAction SilentlyContinue)
            $e.FullyQualifiedErrorId | Should -Contain 'MissingLabel,PruneCmdlets.Commands.TestPruningStrategyCommand'
            $o[0].TotalCount | Should -Be 90
        }
    }

    Context 'help' {
        It 'documents every parameter' {
            $help = Get-Help Test-PruningStrategy -Full
            foreach ($p in 'InputObject', 'TestSet', 'KeepFraction', 'Keep', 'BalanceBy', 'Seed', 'RandomTrials', 'Tolerance', 'C', 'MaxIterations', 'MaxThreads') {
                ($help.parameters.parameter | Where-Object name -EQ $p).description.Text -join '' | Should -Not -BeNullOrEmpty -Because "-$p needs help"
            }
        }
    }
}

# The Kubernetes and remoting examples run here without a cluster or hosts: the Jobs'
# commands as their pods would run them (one process per pod, JOB_COMPLETION_INDEX and the
# ConfigMap's settings in its environment), and prune-remote.ps1 -Local. Each keeps exactly the
# Ids one process keeps; the remoting run stops at the first failing shard.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'YamlSubset.ps1')
    Initialize-SyntheticImages
    Import-Module $ManifestPath -Force
    # The volume the pods would mount at /data, with 80 images of five classes in images/.
    $data = Join-Path $TestDrive 'data'
    $images = Join-Path $data 'images'
    $classes = [PruneCmdlets.Examples.SyntheticImages]::Classes
    for ($c = 0; $c -lt $classes.Count; $c++) {
        $dir = New-Item -ItemType Directory -Force (Join-Path $images $classes[$c])
        for ($v = 0; $v -lt 16; $v++) { [PruneCmdlets.Examples.SyntheticImages]::SavePng($c, $v, 64, 64, (Join-Path $dir "$v.png")) }
    }
    # What one process keeps with the run's own model and policy, Ids sorted as kept.txt has them.
    function Get-SingleProcessKept([string] $Model, [hashtable] $Policy) {
        $kept = [string[]]@(Get-ChildItem $images -Recurse -File | Get-Embedding |
                Measure-Prototypicality -Model (Import-KMeansModel $Model) | Select-PrunedSet @Policy | ForEach-Object Id)
        [Array]::Sort($kept, [StringComparer]::Ordinal)
        , $kept
    }
}

Describe 'examples/kubernetes, its Jobs run as their pods would' {
    BeforeAll {
        $kube = Join-Path $RepoRoot 'examples/kubernetes'
        $setup = ConvertFrom-YamlSubset -Text (Get-Content -Raw (Join-Path $kube 'setup.yaml'))
        $settings = ($setup | Where-Object { $_.kind -eq 'ConfigMap' }).data
        $jobs = ConvertFrom-YamlSubset -Text (Get-Content -Raw (Join-Path $kube 'jobs.yaml'))
        $mount = $jobs[0].spec.template.spec.containers[0].volumeMounts[0].mountPath
        # The pod of one Job, index i: the container's command, `dotnet pwsh` being this pwsh,
        # in the repository (the image's workingDir), with the ConfigMap as environment and the
        # volume's paths pointing at TestDrive.
        function Start-Pod($Job, [int] $Index) {
            $c = $Job.spec.template.spec.containers[0]
            # No scheduler's variables from this process: only the pod's own index, if any.
            $environment = @{}
            foreach ($k in @([Environment]::GetEnvironmentVariables().Keys | Where-Object { $_ -like 'SLURM_*' -or $_ -eq 'JOB_COMPLETION_INDEX' })) { $environment[$k] = $null }
            foreach ($k in $settings.Keys) { $environment[$k] = $settings[$k].Replace($mount, $data) }
            if ($Job.spec.completionMode -eq 'Indexed') { $environment['JOB_COMPLETION_INDEX'] = "$Index" }
            $p = Start-ChildPwsh -ArgumentList @($c.command | Select-Object -Skip 2) -Environment $environment -WorkingDirectory $RepoRoot
            [pscustomobject]@{ Name = "$($Job.metadata.name)[$Index]"; Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
        }
        $log = [Text.StringBuilder]::new()
        $failed = $null
        foreach ($job in $jobs) {
            $pods = @(for ($i = 0; $i -lt $job.spec.completions; $i++) { Start-Pod $job $i })
            foreach ($pod in $pods) {
                $pod.Process.WaitForExit()
                $null = $log.AppendLine("== $($pod.Name) exit $($pod.Process.ExitCode)").AppendLine($pod.Out.Result).AppendLine($pod.Err.Result)
                if ($pod.Process.ExitCode -ne 0 -and -not $failed) { $failed = $pod.Name }
            }
            if ($failed) { break }
        }
        $work = $settings.PRUNE_WORK.Replace($mount, $data)
    }

    It 'completes every Job, one file per pod of the Indexed ones' {
        $failed | Should -BeNullOrEmpty -Because $log.ToString()
        $shards = [int]$settings.PRUNE_SHARDS
        foreach ($folder in 'emb', 'r1', 'r2', 'decided') {
            @(Get-ChildItem (Join-Path $work $folder) -File).Name | Sort-Object | Should -Be @(0..($shards - 1) | ForEach-Object { "$_.$(if ($folder -eq 'emb') { 'parquet' } elseif ($folder -eq 'decided') { 'csv' } else { 'json' })" })
        }
    }

    It 'keeps exactly the Ids that one process keeps with the ConfigMap''s policy' {
        $policy = @{ Keep = $settings.PRUNE_KEEP; KeepFraction = [double]::Parse($settings.PRUNE_KEEP_FRACTION, [cultureinfo]::InvariantCulture); BalanceBy = $settings.PRUNE_BALANCE_BY; Seed = [long]$settings.PRUNE_SEED }
        $single = Get-SingleProcessKept (Join-Path $work 'model.json') $policy
        $single.Count | Should -Be 40   # half of each class of 16
        [IO.File]::ReadAllLines((Join-Path $work 'kept.txt')) -join "`n" | Should -BeExactly ($single -join "`n")
    }

    It 'refuses a pod that has JOB_COMPLETION_INDEX but no shard count' {
        $out = Invoke-ChildPwsh -Command "try { & '$(Join-Path $RepoRoot 'examples/slurm/prune-step.ps1')' -Step Round2 } catch { 'Failed: ' + `$_.Exception.Message }" -Environment @{
            JOB_COMPLETION_INDEX = '1'; PRUNE_SHARDS = ''; PRUNE_IMAGES = $images; PRUNE_WORK = (Join-Path $TestDrive 'nocount')
        }
        $text = $out -join "`n"   # the message whole (caught and written), not as the console wraps an error
        $text | Should -Match 'The shard index comes from JOB_COMPLETION_INDEX 1, but nothing says how many shards there are'
        $text | Should -Match 'PRUNE_SHARDS'
        $text | Should -Match 'ShardCountRequired'
    }

    It 'refuses a Slurm task whose ID is not MIN plus a multiple of STEP, as Select-Shard does' {
        # The script once divided and rounded down on its own, so task 2 of --array=1-7:2 became
        # shard 0 beside task 1; it reads the variables through ShardEnvironment now, with its checks.
        $out = Invoke-ChildPwsh -Command "try { & '$(Join-Path $RepoRoot 'examples/slurm/prune-step.ps1')' -Step Round2 } catch { 'Failed: ' + `$_.Exception.Message }" -Environment @{
            SLURM_ARRAY_TASK_ID = '2'; SLURM_ARRAY_TASK_MIN = '1'; SLURM_ARRAY_TASK_STEP = '2'; SLURM_ARRAY_TASK_COUNT = '4'; JOB_COMPLETION_INDEX = ''
            PRUNE_SHARDS = ''; PRUNE_IMAGES = $images; PRUNE_WORK = (Join-Path $TestDrive 'uneven')
        }
        $text = $out -join "`n"
        $text | Should -Match 'SLURM_ARRAY_TASK_ID 2 is not MIN 1 plus a multiple of STEP 2'
        $text | Should -Match 'InvalidShardEnvironment'
        Test-Path (Join-Path $TestDrive 'uneven/r2') | Should -BeFalse
    }
}

Describe 'examples/remoting/prune-remote.ps1 -Local' {
    BeforeAll {
        $remote = Join-Path $RepoRoot 'examples/remoting/prune-remote.ps1'
        $work = Join-Path $TestDrive 'remote-run'
        # Three shards on two local workers: worker 0 runs shards 0 and 2.
        $lines = Invoke-ChildPwsh -Command "& '$remote' -Local -Images '$images' -Work '$work' -Shards 3 -ThrottleLimit 2 -K 5 -KeepFraction 0.4 -BalanceBy Label -Seed 2"
    }

    It 'runs the seven steps and keeps exactly the Ids that one process keeps' {
        $text = $lines -join "`n"
        foreach ($step in 'Fit', 'Shard', 'Plan', 'Round2', 'Cut', 'Select', 'Collect') { $text | Should -Match "(?m)^$step done in" }
        @(Get-ChildItem (Join-Path $work 'r2') -File).Name | Sort-Object | Should -Be @('0.json', '1.json', '2.json')
        $single = Get-SingleProcessKept (Join-Path $work 'model.json') @{ Keep = 'Hard'; KeepFraction = 0.4; BalanceBy = 'Label'; Seed = 2 }
        $single.Count | Should -Be 32   # 40 % of 80, by label: 6.4 of each class of 16, rounded by largest remainder
        [IO.File]::ReadAllLines((Join-Path $work 'kept.txt')) -join "`n" | Should -BeExactly ($single -join "`n")
    }

    It 'does nothing the second time' {
        $before = (Get-Item (Join-Path $work 'kept.txt')).LastWriteTimeUtc
        $again = Invoke-ChildPwsh -Command "& '$remote' -Local -Images '$images' -Work '$work' -Shards 3 -ThrottleLimit 2 -K 5 -KeepFraction 0.4 -BalanceBy Label -Seed 2"
        $text = $again -join "`n"
        $text | Should -Match 'Shard shard 2 already done'
        $text | Should -Match 'Collect already done'
        (Get-Item (Join-Path $work 'kept.txt')).LastWriteTimeUtc | Should -Be $before
    }

    It 'leaves an unreadable image out and lists it, as one process leaves it out, and finishes' {
        $withBroken = Join-Path $TestDrive 'images-broken'
        Copy-Item $images $withBroken -Recurse
        $broken = Join-Path $withBroken "$($classes[1])/broken.png"
        Set-Content $broken 'not an image'
        $run = Join-Path $TestDrive 'remote-broken'
        $out = Invoke-ChildPwsh -Command "& '$remote' -Local -Images '$withBroken' -Work '$run' -Shards 3 -ThrottleLimit 2 -K 5 -KeepFraction 0.4 -Seed 2"
        ($out -join "`n") | Should -Match '(?m)^Collect done in'
        $listed = @(Get-ChildItem (Join-Path $run 'unreadable') -Filter *.txt | ForEach-Object { [IO.File]::ReadAllLines($_.FullName) })
        $listed | Should -HaveCount 1
        ($listed[0] -split "`t")[0] | Should -Be $broken
        $single = [string[]]@(Get-ChildItem $withBroken -Recurse -File | Get-Embedding -ErrorAction SilentlyContinue |
                Measure-Prototypicality -Model (Import-KMeansModel (Join-Path $run 'model.json')) | Select-PrunedSet -Keep Hard -KeepFraction 0.4 -BalanceBy Label -Seed 2 | ForEach-Object Id)
        [Array]::Sort($single, [StringComparer]::Ordinal)
        $single.Count | Should -Be 32   # 40 % of the 80 readable images
        [IO.File]::ReadAllLines((Join-Path $run 'kept.txt')) -join "`n" | Should -BeExactly ($single -join "`n")
    }

    It 'fails the shard on a file it cannot read (an I/O error, not a bad image), so a scheduler retries it' {
        $withDangling = Join-Path $TestDrive 'images-dangling'
        Copy-Item $images $withDangling -Recurse
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $withDangling "$($classes[0])/gone.png") -Target (Join-Path $TestDrive 'no-such-file.png')
        $run = Join-Path $TestDrive 'remote-dangling'
        $out = Invoke-ChildPwsh -Command "try { & '$remote' -Local -Images '$withDangling' -Work '$run' -Shards 1 -ThrottleLimit 1 -K 5 -KeepFraction 0.4; 'FINISHED' } catch { 'STOPPED: ' + `$_ }"
        $text = $out -join "`n"
        $text | Should -Match 'STOPPED: Step Shard failed.*could not be read.*gone\.png'
        $text | Should -Not -Match 'FINISHED'
        Join-Path $run 'unreadable/0.txt' | Should -Not -Exist   # the shard is not marked as embedded
        Join-Path $run 'emb/0.parquet' | Should -Not -Exist
    }

    It 'runs shards that hold no image at all, and still keeps what one process keeps' {
        # Six images over 16 shards: at least ten shards are empty, through every step.
        $few = Join-Path $TestDrive 'images-few'
        foreach ($c in 0, 1) {
            $dir = New-Item -ItemType Directory -Force (Join-Path $few $classes[$c])
            Get-ChildItem (Join-Path $images $classes[$c]) -File | Sort-Object Name | Select-Object -First 3 | Copy-Item -Destination $dir
        }
        $run = Join-Path $TestDrive 'remote-few'
        $out = Invoke-ChildPwsh -Command "& '$remote' -Local -Images '$few' -Work '$run' -Shards 16 -ThrottleLimit 2 -K 2 -SampleFraction 1 -KeepFraction 0.5 -BalanceBy Density -Seed 2"
        ($out -join "`n") | Should -Match '(?m)^Collect done in'
        @(Get-ChildItem (Join-Path $run 'emb') -Filter *.none).Count | Should -BeGreaterOrEqual 10
        @(Get-ChildItem (Join-Path $run 'decided') -Filter *.csv).Count | Should -Be 16
        $single = [string[]]@(Get-ChildItem $few -Recurse -File | Get-Embedding |
                Measure-Prototypicality -Model (Import-KMeansModel (Join-Path $run 'model.json')) | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Density -Seed 2 | ForEach-Object Id)
        [Array]::Sort($single, [StringComparer]::Ordinal)
        $single.Count | Should -Be 3
        [IO.File]::ReadAllLines((Join-Path $run 'kept.txt')) -join "`n" | Should -BeExactly ($single -join "`n")
    }

    It 'with -Exclude LabelError, prunes what the sample''s label model flags first, and keeps what one process keeps with that model' {
        # Three images of the first class filed under the second: their folder is their label.
        $mislabelled = Join-Path $TestDrive 'images-mislabelled'
        Copy-Item $images $mislabelled -Recurse
        $moved = foreach ($v in 0, 5, 10) {
            $to = Join-Path $mislabelled "$($classes[1])/from-$($classes[0])-$v.png"
            Move-Item (Join-Path $mislabelled "$($classes[0])/$v.png") $to
            $to
        }
        $run = Join-Path $TestDrive 'remote-exclude'
        $out = Invoke-ChildPwsh -Command "& '$remote' -Local -Images '$mislabelled' -Work '$run' -Shards 3 -ThrottleLimit 2 -K 5 -SampleFraction 1 -KeepFraction 0.5 -BalanceBy Label -Seed 2 -Exclude LabelError"
        ($out -join "`n") | Should -Match '(?m)^Collect done in'
        Join-Path $run 'labels.json' | Should -Exist
        $policy = @{ Keep = 'Hard'; KeepFraction = 0.5; BalanceBy = 'Label'; Seed = 2 }
        $checked = @(Get-ChildItem $mislabelled -Recurse -File | Get-Embedding | Find-DataIssue -Check Label -LabelModel (Join-Path $run 'labels.json') |
                Measure-Prototypicality -Model (Import-KMeansModel (Join-Path $run 'model.json')))
        $flagged = @($checked | Where-Object { $_.Issues -contains 'LabelError' } | ForEach-Object Path)
        # Most of the planted ones are found (the synthetic classes overlap a little).
        $found = @($moved | Where-Object { $_ -in $flagged })
        $found.Count | Should -BeGreaterOrEqual 2
        $single = [string[]]@($checked | Select-PrunedSet @policy -Exclude LabelError | ForEach-Object Id)
        [Array]::Sort($single, [StringComparer]::Ordinal)
        $single.Count | Should -Be 40
        $keptPaths = @($checked | Where-Object { $_.Id -in $single } | ForEach-Object Path)
        foreach ($m in $flagged) { $m | Should -Not -BeIn $keptPaths }
        [IO.File]::ReadAllLines((Join-Path $run 'kept.txt')) -join "`n" | Should -BeExactly ($single -join "`n")
        # The exclusion changed the decision: without it, the same policy keeps a flagged record.
        $plain = @($checked | Select-PrunedSet @policy | ForEach-Object Path)
        @($flagged | Where-Object { $_ -in $plain }).Count | Should -BeGreaterThan 0
        # A second run with the label model in place does nothing.
        $again = Invoke-ChildPwsh -Command "& '$remote' -Local -Images '$mislabelled' -Work '$run' -Shards 3 -ThrottleLimit 2 -K 5 -SampleFraction 1 -KeepFraction 0.5 -BalanceBy Label -Seed 2 -Exclude LabelError"
        ($again -join "`n") | Should -Match 'Fit already done'
    }

    It 'stops at the first failing shard, names it, and starts no later step' {
        $bad = Join-Path $TestDrive 'remote-bad'
        $null = New-Item -ItemType Directory -Force (Join-Path $bad 'emb')
        Copy-Item (Join-Path $work 'model.json') $bad
        Set-Content (Join-Path $bad 'emb/1.parquet') 'not parquet'
        # With its list of unreadable images the shard counts as embedded, so it reads the damaged file.
        $null = New-Item -ItemType Directory -Force (Join-Path $bad 'unreadable')
        Set-Content (Join-Path $bad 'unreadable/1.txt') ''
        $out = Invoke-ChildPwsh -Command "try { & '$remote' -Local -Images '$images' -Work '$bad' -Shards 3 -ThrottleLimit 3 -K 5 -KeepFraction 0.4; 'FINISHED' } catch { 'STOPPED: ' + `$_ }"
        $text = $out -join "`n"
        $text | Should -Match 'STOPPED: Step Shard failed on localhost \(Shard 1\):.*1\.parquet'
        $text | Should -Not -Match 'FINISHED|Plan done'
        Join-Path $bad 'plan.json' | Should -Not -Exist
    }
}

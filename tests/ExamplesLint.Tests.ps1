# The examples a user copies but this machine cannot run as they stand (a Kubernetes cluster,
# SSH hosts), checked statically: every script parses, and the Kubernetes manifests, the Slurm
# submit script and the remoting script agree with prune-step.ps1 and with each other on the
# steps, which of them run per shard, the shard count, the settings and the paths.
# tests/ShardedExamples.Tests.ps1 runs them locally.
BeforeDiscovery {
    $repo = Split-Path $PSScriptRoot
    $script:scripts = @(Get-ChildItem (Join-Path $repo 'examples') -Recurse -File -Filter *.ps1 |
            ForEach-Object { @{ Name = [IO.Path]::GetRelativePath($repo, $_.FullName); Path = $_.FullName } })
    $script:shells = @(Get-ChildItem (Join-Path $repo 'examples') -Recurse -File -Filter *.sh |
            ForEach-Object { @{ Name = [IO.Path]::GetRelativePath($repo, $_.FullName); Path = $_.FullName } })
    $script:bash = Get-Command bash -CommandType Application -ErrorAction Ignore
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'YamlSubset.ps1')
    $kube = Join-Path $RepoRoot 'examples/kubernetes'
    $stepScript = Join-Path $RepoRoot 'examples/slurm/prune-step.ps1'

    function Get-ScriptAst([string] $Path) {
        $tokens = $errors = $null
        $ast = [Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        if ($errors) { throw "$Path does not parse: $($errors -join '; ')" }
        $ast
    }
    function Get-ValidateSet($ScriptAst, [string] $Parameter) {
        $p = $ScriptAst.ParamBlock.Parameters | Where-Object { $_.Name.VariablePath.UserPath -eq $Parameter }
        $attr = $p.Attributes | Where-Object { $_.TypeName.Name -eq 'ValidateSet' }
        @($attr.PositionalArguments | ForEach-Object { $_.Value })
    }
    $stepAst = Get-ScriptAst $stepScript
    $stepNames = Get-ValidateSet $stepAst 'Step'
    $stepParameters = @($stepAst.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath })
    # The steps examples/slurm/submit.sh submits as job arrays.
    $slurmArrays = @([regex]::Matches((Get-Content -Raw (Join-Path $RepoRoot 'examples/slurm/submit.sh')), '(?m)^\w+=\$\(submit (\w+) "[^"]*" --array=') |
            ForEach-Object { $_.Groups[1].Value })

    $setup = ConvertFrom-YamlSubset -Text (Get-Content -Raw (Join-Path $kube 'setup.yaml')) -Name setup.yaml
    $jobs = ConvertFrom-YamlSubset -Text (Get-Content -Raw (Join-Path $kube 'jobs.yaml')) -Name jobs.yaml
    $configMap = $setup | Where-Object { $_.kind -eq 'ConfigMap' }
    $claim = $setup | Where-Object { $_.kind -eq 'PersistentVolumeClaim' }
    $indexed = @($jobs | Where-Object { $_.spec.completionMode -eq 'Indexed' })
}

Describe 'Every example script' {
    It '<Name> parses as PowerShell' -ForEach $scripts {
        $tokens = $errors = $null
        $null = [Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        ($errors | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Message)" }) -join "`n" | Should -BeNullOrEmpty
    }
    # Not defined where bash is missing (a skipped test counts as failed in the Test task).
    It '<Name> passes bash -n' -ForEach $(if ($bash) { $shells } else { @() }) {
        $out = & bash -n $Path 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$out"
    }
    It 'include the three sharded-run examples' {
        $scripts.Name | Should -Contain ([IO.Path]::Combine('examples', 'remoting', 'prune-remote.ps1'))
        $shells.Name | Should -Contain ([IO.Path]::Combine('examples', 'kubernetes', 'run.sh'))
        $shells.Name | Should -Contain ([IO.Path]::Combine('examples', 'slurm', 'submit.sh'))
    }
}

Describe 'The YAML reader of these tests' {
    It 'reads mappings, sequences, flow lists and typed scalars exactly' {
        $doc = ConvertFrom-YamlSubset -Text "# c`na:`n  - x`n  - y: 1`n    z: [2, 'b c', `"d,e`"]`nq: 'it''s' # c`nn: `"4`"`n---`nb: true`n"
        $doc.Count | Should -Be 2
        $doc[0].a[0] | Should -BeExactly 'x'
        $doc[0].a[1].y | Should -BeOfType [long]
        $doc[0].a[1].z | Should -Be @(2, 'b c', 'd,e')
        $doc[0].q | Should -BeExactly "it's"
        $doc[0].n | Should -BeOfType [string]
        $doc[1].b | Should -BeTrue
    }
    It 'refuses <What> rather than guessing' -ForEach @(
        @{ What = 'an anchor'; Text = "a: &x 1" }
        @{ What = 'a block scalar'; Text = "a: |`n  text" }
        @{ What = 'a duplicate key'; Text = "a: 1`na: 2" }
        @{ What = 'a stray indentation'; Text = "a: 1`n   b: 2" }
        @{ What = 'a tab'; Text = "a:`n`tb: 1" }
    ) {
        { ConvertFrom-YamlSubset -Text $Text } | Should -Throw '*YAML subset*'
    }
}

Describe 'examples/kubernetes' {
    It 'every document has apiVersion, kind and metadata.name, unique per kind' {
        $all = @($setup) + @($jobs)
        $all.Count | Should -Be 9
        foreach ($d in $all) {
            $d.apiVersion | Should -Match '^(v1|batch/v1)$'
            $d.kind | Should -BeIn 'ConfigMap', 'PersistentVolumeClaim', 'Job'
            $d.metadata.name | Should -Match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' -Because 'names are DNS labels'
        }
        @($all | Group-Object { "$($_.kind)/$($_.metadata.name)" } | Where-Object Count -GT 1).Name | Should -BeNullOrEmpty
        @($jobs | Where-Object { $_.kind -ne 'Job' -or $_.apiVersion -ne 'batch/v1' }) | Should -BeNullOrEmpty
    }

    It 'has one Job per step of prune-step.ps1, in its order, named and labelled after it' {
        $stepNames.Count | Should -Be 7
        @($jobs | ForEach-Object { $_.metadata.labels['prunecmdlets/step'] }) | Should -Be $stepNames
        @($jobs | ForEach-Object { $_.metadata.name }) | Should -Be @($stepNames | ForEach-Object { "prune-$($_.ToLowerInvariant())" })
        foreach ($j in $jobs) { $j.spec.template.metadata.labels['prunecmdlets/step'] | Should -BeExactly $j.metadata.labels['prunecmdlets/step'] }
    }

    It 'runs the per-shard steps, the same as the Slurm arrays, as Indexed Jobs of PRUNE_SHARDS pods' {
        $slurmArrays | Should -Be @('Shard', 'Round2', 'Select')
        @($indexed | ForEach-Object { $_.metadata.labels['prunecmdlets/step'] }) | Should -Be $slurmArrays
        $configMap.data.PRUNE_SHARDS | Should -BeOfType [string] -Because 'ConfigMap values must be strings'
        $shards = [int]$configMap.data.PRUNE_SHARDS
        $shards | Should -BeGreaterThan 1
        foreach ($j in $indexed) {
            $j.spec.completions | Should -BeOfType [long]
            $j.spec.completions | Should -Be $shards -Because "$($j.metadata.name) runs one pod per shard"
            $j.spec.parallelism | Should -Be $j.spec.completions
        }
        foreach ($j in $jobs | Where-Object { $_ -notin $indexed }) {
            $j.spec.Contains('completionMode') | Should -BeFalse
            $j.spec.completions | Should -Be 1
            $j.spec.parallelism | Should -Be 1
        }
    }

    It 'starts prune-step.ps1 with a -Step it accepts, as a command line PowerShell parses' {
        $workdir = [regex]::Match((Get-Content -Raw (Join-Path $kube 'Dockerfile')), '(?m)^WORKDIR\s+(\S+)').Groups[1].Value
        $workdir | Should -Not -BeNullOrEmpty
        foreach ($j in $jobs) {
            $step = $j.metadata.labels['prunecmdlets/step']
            $pod = $j.spec.template.spec
            $pod.restartPolicy | Should -Be 'Never'
            $pod.containers.Count | Should -Be 1
            $c = $pod.containers[0]
            $c.workingDir | Should -BeExactly $workdir -Because 'the repository is where the Dockerfile copies it'
            $c.command[0..1] | Should -Be @('dotnet', 'pwsh') -Because 'the image has the pinned pwsh as a dotnet tool'
            $argv = @($c.command | Select-Object -Skip 2)
            $file = [array]::IndexOf($argv, '-File')
            $file | Should -BeGreaterOrEqual 0
            $path = $argv[$file + 1]
            Join-Path $RepoRoot $path | Should -Exist
            (Resolve-Path (Join-Path $RepoRoot $path)).ProviderPath | Should -Be (Resolve-Path $stepScript).ProviderPath
            # The script's arguments as the command line pwsh -File binds them.
            $line = "& '$path' " + (@($argv | Select-Object -Skip ($file + 2) | ForEach-Object { if ($_ -like '-*') { $_ } else { "'$($_ -replace "'", "''")'" } }) -join ' ')
            $tokens = $errors = $null
            $ast = [Management.Automation.Language.Parser]::ParseInput($line, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty
            $call = $ast.Find({ param($a) $a -is [Management.Automation.Language.CommandAst] }, $true)
            $named = @($call.CommandElements | Where-Object { $_ -is [Management.Automation.Language.CommandParameterAst] })
            foreach ($p in $named) { $p.ParameterName | Should -BeIn $stepParameters }
            $i = [array]::IndexOf([object[]]$call.CommandElements, ($named | Where-Object ParameterName -EQ 'Step'))
            $call.CommandElements[$i + 1].Value | Should -BeExactly $step
            $step | Should -BeIn $stepNames
        }
    }

    It 'gives every pod the settings and the shared volume, which holds the images and the work folder' {
        $claim.spec.accessModes | Should -Contain 'ReadWriteMany' -Because 'pods on different nodes share it'
        foreach ($j in $jobs) {
            $pod = $j.spec.template.spec
            $c = $pod.containers[0]
            $c.envFrom[0].configMapRef.name | Should -BeExactly $configMap.metadata.name
            $volume = $pod.volumes | Where-Object { $_.persistentVolumeClaim.claimName -eq $claim.metadata.name }
            $volume | Should -Not -BeNullOrEmpty
            $mount = $c.volumeMounts | Where-Object name -EQ $volume.name
            $configMap.data.PRUNE_IMAGES | Should -BeLike "$($mount.mountPath)/*"
            $configMap.data.PRUNE_WORK | Should -BeLike "$($mount.mountPath)/*"
            $c.image | Should -BeExactly $jobs[0].spec.template.spec.containers[0].image
        }
    }

    It 'sets only settings that prune-step.ps1 reads, each as a string' {
        $text = Get-Content -Raw $stepScript
        foreach ($key in $configMap.data.Keys) {
            $text | Should -Match ([regex]::Escape("`$env:$key") + '\b') -Because "a misspelt $key would be silently ignored"
            $configMap.data[$key] | Should -BeOfType [string] -Because 'Kubernetes refuses a ConfigMap with a number or boolean value'
        }
        foreach ($key in 'PRUNE_IMAGES', 'PRUNE_WORK', 'PRUNE_SHARDS') { $configMap.data.Keys | Should -Contain $key }
    }

    It 'run.sh applies setup.yaml, then each Job by its step label in the order of prune-step.ps1' {
        $run = Get-Content -Raw (Join-Path $kube 'run.sh')
        $order = [regex]::Match($run, '(?m)^for step in ([^;]+); do').Groups[1].Value -split '\s+'
        $order | Should -Be $stepNames
        $run | Should -Match ([regex]::Escape('apply -f "$here/setup.yaml"'))
        $run | Should -Match ([regex]::Escape('apply -f "$here/jobs.yaml" -l "prunecmdlets/step=$step"'))
        $run | Should -Match ([regex]::Escape('job=prune-$(echo "$step" | tr ''[:upper:]'' ''[:lower:]'')'))
        foreach ($m in [regex]::Matches($run, '\$here/([\w.-]+)')) { Join-Path $kube $m.Groups[1].Value | Should -Exist }
    }
}

Describe 'examples/remoting/prune-remote.ps1' {
    BeforeAll {
        $remote = Get-ScriptAst (Join-Path $RepoRoot 'examples/remoting/prune-remote.ps1')
        $assigned = { param($name) $remote.Find({ param($a) $a -is [Management.Automation.Language.AssignmentStatementAst] -and "$($a.Left)" -eq "`$$name" }, $true) }
        $table = (& $assigned 'Steps').Right.Find({ param($a) $a -is [Management.Automation.Language.HashtableAst] }, $true)
        $steps = [ordered]@{}
        foreach ($pair in $table.KeyValuePairs) { $steps[$pair.Item1.Value] = $pair.Item2.Find({ param($a) $a -is [Management.Automation.Language.StringConstantExpressionAst] }, $true).Value }
    }
    It 'runs the steps of prune-step.ps1 in its order, per shard where Slurm and Kubernetes do' {
        @($steps.Keys) | Should -Be $stepNames
        @($steps.Keys | Where-Object { $steps[$_] -eq 'Array' }) | Should -Be $slurmArrays
        @($steps.Keys | Where-Object { $steps[$_] -eq 'Array' }) | Should -Be @($indexed | ForEach-Object { $_.metadata.labels['prunecmdlets/step'] })
        @($steps.Values | Where-Object { $_ -notin 'One', 'Array' }) | Should -BeNullOrEmpty
    }
    It 'passes prune-step.ps1 only parameters it has, with the same choices' {
        $settings = (& $assigned 'settings').Right.Find({ param($a) $a -is [Management.Automation.Language.HashtableAst] }, $true)
        $keys = @($settings.KeyValuePairs | ForEach-Object { $_.Item1.Value })
        $keys | Should -Contain 'Count'
        foreach ($k in $keys + 'Index') { $k | Should -BeIn $stepParameters }
        foreach ($p in 'Keep', 'BalanceBy', 'Exclude') { Get-ValidateSet $remote $p | Should -Be (Get-ValidateSet $stepAst $p) }
    }
    It 'calls a prune-step.ps1 that exists' {
        $text = Get-Content -Raw (Join-Path $RepoRoot 'examples/remoting/prune-remote.ps1')
        $m = [regex]::Match($text, '\$stepScript = "\$RepoPath/([^"]+)"')
        $m.Success | Should -BeTrue
        (Resolve-Path (Join-Path $RepoRoot $m.Groups[1].Value)).ProviderPath | Should -Be (Resolve-Path $stepScript).ProviderPath
    }
}

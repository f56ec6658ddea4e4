# The GitHub Actions workflows cannot run here, so they are checked statically, as the Kubernetes
# manifests are (tests/ExamplesLint.Tests.ps1): CI runs the README's test command on Linux,
# Windows and macOS (Arm); every command a step runs is a file or a build.ps1 task of this
# repository; the release checks the tag against PruneCmdlets.psd1 and CHANGELOG.md before it
# publishes. The release check itself runs here, on copies, with right and wrong tags.
BeforeDiscovery {
    $repo = Split-Path $PSScriptRoot
    $script:workflows = @(Get-ChildItem (Join-Path $repo '.github/workflows') -File -Filter *.yml |
            ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'YamlSubset.ps1')
    $ci = ConvertFrom-YamlSubset -Text (Get-Content -Raw (Join-Path $RepoRoot '.github/workflows/ci.yml')) -Name ci.yml
    $release = ConvertFrom-YamlSubset -Text (Get-Content -Raw (Join-Path $RepoRoot '.github/workflows/release.yml')) -Name release.yml
    $readme = Get-Content -Raw (Join-Path $RepoRoot 'README.md')
    $testCommand = 'dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test'

    $buildAst = [Management.Automation.Language.Parser]::ParseFile((Join-Path $RepoRoot 'build.ps1'), [ref]$null, [ref]$null)
    $buildParameters = @($buildAst.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath })
    $taskParameter = $buildAst.ParamBlock.Parameters | Where-Object { $_.Name.VariablePath.UserPath -eq 'Task' }
    $buildTasks = @(($taskParameter.Attributes | Where-Object { $_.TypeName.Name -eq 'ValidateSet' }).PositionalArguments | ForEach-Object { $_.Value })

    function Get-Step($Workflow) { foreach ($job in $Workflow.jobs.Values) { foreach ($step in @($job.steps)) { if ($step) { $step } } } }

    # Why a command line is not this repository's: each part between && must start with dotnet
    # (tool restore, or pwsh running a script here with a task and parameters build.ps1 has) or
    # docker running a script here; any path it names must exist. Returns the problems found.
    function Test-RunLine([string] $Line) {
        foreach ($part in $Line -split '\s*&&\s*') {
            $words = @($part -split '\s+' | Where-Object { $_ })
            $paths = @($words | Where-Object { $_ -match '^\.{1,2}/|^\.ci/|\.(ps1|sh)$' })
            foreach ($p in $paths) { if (-not (Test-Path (Join-Path $RepoRoot $p))) { "'$p' is not in the repository ($part)" } }
            switch ($words[0]) {
                'dotnet' {
                    if ($words[1] -eq 'tool' -and $words[2] -eq 'restore') { break }
                    if ($words[1] -ne 'pwsh' -or $paths.Count -eq 0) { "'$part' runs no script of the repository"; break }
                    if ($words[2] -eq './build.ps1') {
                        for ($i = 3; $i -lt $words.Count; $i++) {
                            if ($words[$i] -match '^-(\w+)$' -and $Matches[1] -notin $buildParameters) { "build.ps1 has no parameter -$($Matches[1]) ($part)" }
                            if ($words[$i] -eq '-Task' -and $words[$i + 1] -notin $buildTasks) { "build.ps1 has no task $($words[$i + 1]) ($part)" }
                        }
                    }
                }
                'docker' { if ($paths.Count -eq 0) { "'$part' runs no script of the repository" } }
                default { "'$part' starts with '$($words[0])', not dotnet or docker running this repository's scripts" }
            }
        }
    }
}

Describe 'The workflow files' {
    It '<Name> is read whole by the YAML reader' -ForEach $workflows {
        { ConvertFrom-YamlSubset -Text (Get-Content -Raw $Path) -Name $Name } | Should -Not -Throw
    }
    It 'the lint refuses <What>' -ForEach @(
        @{ What = 'a script that is not there'; Line = 'dotnet pwsh ./missing.ps1' }
        @{ What = 'a task build.ps1 lacks'; Line = 'dotnet tool restore && dotnet pwsh ./build.ps1 -Task Deploy' }
        @{ What = 'a parameter build.ps1 lacks'; Line = 'dotnet pwsh ./build.ps1 -Task Test -Fast' }
        @{ What = 'a command from elsewhere'; Line = 'curl -sSL https://example.com/x.sh | bash' }
    ) {
        @(Test-RunLine $Line).Count | Should -BeGreaterThan 0
    }
    It 'every run step runs a file or a build.ps1 task of this repository' {
        $lines = @(foreach ($w in $ci, $release) { Get-Step $w | Where-Object { $_.Contains('run') } | ForEach-Object { $_.run } })
        $lines.Count | Should -BeGreaterOrEqual 4
        @($lines | ForEach-Object { Test-RunLine $_ }) | Should -BeNullOrEmpty
    }
    It 'every action is pinned to a major version, and a local workflow exists' {
        foreach ($w in $ci, $release) {
            foreach ($step in Get-Step $w | Where-Object { $_.Contains('uses') }) { $step.uses | Should -Match '^[\w-]+/[\w-]+@v\d+$' }
            foreach ($job in $w.jobs.Values | Where-Object { $_.Contains('uses') }) {
                $job.uses | Should -Match '^\./\.github/workflows/'
                Test-Path (Join-Path $RepoRoot $job.uses) | Should -BeTrue
            }
        }
    }
}

Describe 'CI (.github/workflows/ci.yml)' {
    It 'runs on Linux, Windows and macOS on Arm' {
        $matrix = @($ci.jobs.test.strategy.matrix.include)
        $matrix.Count | Should -Be 3
        @($matrix | Where-Object { $_.os -match '^ubuntu-' }).Count | Should -Be 1
        @($matrix | Where-Object { $_.os -match '^windows-' }).Count | Should -Be 1
        # macos-14 and later are Apple silicon (Arm64); macos-13 was the last Intel image.
        $mac = @($matrix | Where-Object { $_.os -match '^macos-(\d+)' })
        $mac.Count | Should -Be 1
        [int]($mac[0].os -replace '^macos-(\d+).*', '$1') | Should -BeGreaterOrEqual 14
        $ci.jobs.test.'runs-on' | Should -Be '${{ matrix.os }}'
        $ci.jobs.test.strategy.'fail-fast' | Should -BeFalse
    }
    It 'runs the README''s test command, verbatim, on every system' {
        $readme | Should -Match ([regex]::Escape($testCommand))
        $steps = @(Get-Step $ci)
        # Windows and macOS run it directly; Linux runs .ci/run in Debian, which ends with it.
        @($steps | Where-Object { $_.run -ceq $testCommand -and $_.if -eq "runner.os != 'Linux'" }).Count | Should -Be 1
        $linux = @($steps | Where-Object { $_.if -eq "runner.os == 'Linux'" -and $_.run -match '\.ci/run$' })
        $linux.Count | Should -Be 1
        (Get-Content (Join-Path $RepoRoot '.ci/run') | Where-Object { $_.Trim() } | Select-Object -Last 1) | Should -BeExactly $testCommand
        @($steps | Where-Object { $_.uses -like 'actions/setup-dotnet@*' -and $_.if -eq "runner.os != 'Linux'" }).Count | Should -Be 1
    }
    It 'can be called by the release workflow' {
        $ci.on.Contains('workflow_call') | Should -BeTrue
    }
}

Describe 'Release (.github/workflows/release.yml)' {
    It 'runs on a version tag, and publishes only after the tag check and CI on the three systems' {
        @($release.on.push.tags) | Should -Be @('v*')
        $release.jobs.ci.uses | Should -Be './.github/workflows/ci.yml'
        @($release.jobs.publish.needs) | Should -Contain 'check'
        @($release.jobs.publish.needs) | Should -Contain 'ci'
        $release.jobs.ci.needs | Should -Be 'check'
    }
    It 'checks the tag against PruneCmdlets.psd1 and CHANGELOG.md, then publishes with the key from a secret' {
        @($release.jobs.check.steps.run) -match '-Task CheckRelease -Tag "\$\{\{ github\.ref_name \}\}"' | Should -Not -BeNullOrEmpty
        $publish = @($release.jobs.publish.steps | Where-Object { $_.Contains('run') -and $_.run -match '-Task Publish' })
        $publish.Count | Should -Be 1
        $publish[0].run | Should -Match '-Tag "\$\{\{ github\.ref_name \}\}"'
        $publish[0].env.PSGALLERY_API_KEY | Should -BeExactly '${{ secrets.PSGALLERY_API_KEY }}'
    }
}

Describe 'build.ps1 -Task CheckRelease' {
    BeforeAll {
        $version = (Import-PowerShellDataFile $ManifestPath).ModuleVersion
        # A copy of what the check reads, so the changelog can be changed without touching the repository.
        function Invoke-Check([string] $Tag, [object] $Changelog) {
            $dir = Join-Path $TestDrive ([Guid]::NewGuid().ToString('N'))
            $null = New-Item -ItemType Directory $dir
            Copy-Item (Join-Path $RepoRoot 'build.ps1'), $ManifestPath $dir
            Copy-Item (Join-Path $RepoRoot 'tools') $dir -Recurse   # build.ps1 dot-sources its launcher
            if ($null -ne $Changelog) { Set-Content -LiteralPath (Join-Path $dir 'CHANGELOG.md') -Value $Changelog }
            (Invoke-ChildPwsh "try { & '$(Join-Path $dir 'build.ps1')' -Task CheckRelease -Tag '$Tag'; 'result=ok' } catch { 'result=' + `$_.Exception.Message }") -join "`n"
        }
    }
    It 'passes the repository as it is, for the tag v followed by the manifest''s version' {
        Invoke-Check "v$version" (Get-Content -Raw (Join-Path $RepoRoot 'CHANGELOG.md')) | Should -Match 'result=ok'
    }
    It 'refuses a tag that is not v followed by the manifest''s version' {
        Invoke-Check "v$version.1" "# Changelog`n`n## $version - today`n`n- things`n" | Should -Match "result=The tag 'v$([regex]::Escape($version)).1' does not match"
    }
    It 'refuses a changelog without an entry for the version' {
        Invoke-Check "v$version" "# Changelog`n`n## $version.1 - today`n`n- things`n" | Should -Match "result=CHANGELOG.md has no entry for $([regex]::Escape($version))"
    }
    It 'refuses an empty entry, and a missing changelog' {
        Invoke-Check "v$version" "# Changelog`n`n## $version`n`n## 0.0.1`n`n- old`n" | Should -Match 'result=The CHANGELOG.md entry .* is empty'
        Invoke-Check "v$version" $null | Should -Match 'result=CHANGELOG.md is missing'
    }
}

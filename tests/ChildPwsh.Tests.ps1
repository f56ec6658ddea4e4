# tools/ChildPwsh.ps1 starts every fresh pwsh of the build, the bench and the tests: a script
# with or without arguments, its output as lines or as JSON objects, and its exit code.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script = Join-Path $TestDrive 'child.ps1'
    Set-Content $script @'
param([string] $Name = 'nobody', [int] $Code = 0)
"plain line"
[pscustomobject]@{ Name = $Name; Args = $args.Count } | ConvertTo-Json -Compress
exit $Code
'@
}

Describe 'Invoke-ChildPwsh' {
    It 'runs a script file with no arguments, as the data-issues bench runs its timing child' {
        $out = @(Invoke-ChildPwsh -Json -File $script)
        $out.Count | Should -Be 1
        $out[0].Name | Should -Be 'nobody'
        $LASTEXITCODE | Should -Be 0
    }
    It 'passes arguments to a script file, and returns its lines without -Json' {
        $lines = @(Invoke-ChildPwsh -File $script -ArgumentList '-Name', 'a b "c"')
        $lines[0] | Should -Be 'plain line'
        ($lines[1] | ConvertFrom-Json).Name | Should -Be 'a b "c"'
    }
    It 'throws with the output when the child fails under -Json, and sets LASTEXITCODE' {
        { Invoke-ChildPwsh -Json -File $script -ArgumentList '-Code', '3' } | Should -Throw '*exited with code 3*plain line*'
        $null = Invoke-ChildPwsh -File $script -ArgumentList '-Code', '4'
        $LASTEXITCODE | Should -Be 4
    }
}

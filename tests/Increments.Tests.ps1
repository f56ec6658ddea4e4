BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'ApplyTestHelpers.ps1')
    Import-Module $ManifestPath -Force

    # Records of one day's batch: files $Root/<day>/f<i>.bin, every third one pruned.
    function New-Day {
        param([string] $Root, [string] $Day, [int] $Count, [int] $Seed)
        foreach ($i in 0..($Count - 1)) {
            $path = Join-Path $Root "$Day/f$i.bin"
            New-SourceFile -Path $path -Size (900 + $i) -Seed ($Seed + $i)
            [pscustomobject]@{ Id = "$Day/$i"; Path = $path; Kept = ($i % 3 -ne 2) }
        }
    }
}

Describe 'Export-PrunedSet -Increment' {
    BeforeAll {
        $script:root = Join-Path $TestDrive 'src'
        $script:dest = Join-Path $TestDrive 'out'
        $script:day1 = @(New-Day $root 'd1' 4 10)
        $script:day2 = @(New-Day $root 'd2' 3 50)
        $script:first = $day1 | Export-PrunedSet $dest -RelativeTo $root -Increment
        $script:before = @{}
        foreach ($f in 'manifest.csv', 'prune.json') { $before[$f] = Get-Sha256 (Join-Path $dest $f) }
        $script:second = $day2 | Export-PrunedSet $dest -RelativeTo $root -Increment -WarningVariable warned
        $script:warned = $warned
    }

    It 'writes the first apply as manifest.csv and a later one as manifest.2.csv, leaving the first''s files as they were' {
        $first.Increment, $second.Increment | Should -Be 1, 2
        Get-RelativeFiles $dest | Should -Be @('d1/f0.bin', 'd1/f1.bin', 'd1/f3.bin', 'd2/f0.bin', 'd2/f1.bin', 'manifest.2.csv', 'manifest.csv', 'prune-journal.jsonl', 'prune.2.json', 'prune.json')
        foreach ($f in 'manifest.csv', 'prune.json') { Get-Sha256 (Join-Path $dest $f) | Should -Be $before[$f] }
        (Import-Csv (Join-Path $dest 'manifest.2.csv')).Id | Should -Be 'd2/0', 'd2/1', 'd2/2'
        (Import-Csv (Join-Path $dest 'manifest.csv')).Id | Should -Be 'd1/0', 'd1/1', 'd1/2', 'd1/3'
        $warned | Should -BeNullOrEmpty -Because 'the files of the earlier apply are expected, not unlisted'
    }

    It 'records the increment and its decisions in its prune.json, and appends one run to the journal' {
        $json = Get-Content -Raw (Join-Path $dest 'prune.2.json') | ConvertFrom-Json
        $json.increment | Should -Be 2
        $json.decisionRun | Should -Be ([PruneCmdlets.Review.DecisionRun]::Id([System.ValueTuple[string, bool][]]@($day2 | ForEach-Object { [ValueTuple]::Create($_.Id, $_.Kept) })))
        @(Get-Content (Join-Path $dest 'prune-journal.jsonl') | Where-Object { $_ -like '{"kind":"run"*' }) | Should -HaveCount 2
    }

    It 'a re-run of the same increment finds its own files and adds nothing' {
        $journal = Get-Sha256 (Join-Path $dest 'prune-journal.jsonl')
        $again = $day2 | Export-PrunedSet $dest -RelativeTo $root -Increment
        $again.Increment, $again.Skipped, $again.Copied | Should -Be 2, 2, 0
        Get-Sha256 (Join-Path $dest 'prune-journal.jsonl') | Should -Be $journal
        Test-Path (Join-Path $dest 'manifest.3.csv') | Should -BeFalse
    }

    It 'refuses to replace a file of an earlier apply' {
        $other = Join-Path $TestDrive 'other'
        New-SourceFile -Path (Join-Path $other 'd1/f0.bin') -Size 700 -Seed 99
        $s = [pscustomobject]@{ Id = 'x'; Path = (Join-Path $other 'd1/f0.bin') } | Export-PrunedSet $dest -RelativeTo $other -Increment -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'TargetExists,*'
        Get-Sha256 (Join-Path $dest 'd1/f0.bin') | Should -Be (Get-Sha256 $day1[0].Path)
        { $day2 | Export-PrunedSet $dest -RelativeTo $root -Increment -Force } | Should -Throw -ErrorId 'ParameterNotApplicable,PruneCmdlets.Commands.ExportPrunedSetCommand'
    }
}

Describe 'Undo-PrunedSet -Last' {
    It 'takes back only the last apply, then the one before, then nothing is left' {
        $root = Join-Path $TestDrive 'src'
        $dest = Join-Path $TestDrive 'undo-last'
        $day1 = @(New-Day $root 'd1' 3 10)
        $day2 = @(New-Day $root 'd2' 3 50)
        $null = $day1 | Export-PrunedSet $dest -RelativeTo $root -Increment
        $afterDay1 = Get-RelativeFiles $dest
        $journal1 = Get-Sha256 (Join-Path $dest 'prune-journal.jsonl')
        $null = $day2 | Export-PrunedSet $dest -RelativeTo $root -Increment
        $u = Undo-PrunedSet $dest -Last
        $u.Removed, $u.JournalCut, $u.JournalRemoved | Should -Be 4, $true, $false
        Get-RelativeFiles $dest | Should -Be $afterDay1
        Get-Sha256 (Join-Path $dest 'prune-journal.jsonl') | Should -Be $journal1 -Because 'the journal is cut back to the first apply'
        $u = Undo-PrunedSet $dest -Last
        $u.JournalRemoved | Should -BeTrue
        Test-Path $dest | Should -BeFalse
    }

    It 'leaves a file an earlier apply made too, and names it' {
        $root = Join-Path $TestDrive 'src2'
        $dest = Join-Path $TestDrive 'undo-replaced'
        $day1 = @(New-Day $root 'd1' 2 10)
        $null = $day1 | Export-PrunedSet $dest -RelativeTo $root
        $changed = @($day1[0] | Select-Object Id, Path, @{ n = 'Kept'; e = { $false } }) + @($day1[1])
        $null = $changed | Export-PrunedSet $dest -RelativeTo $root -WarningAction SilentlyContinue   # a plain re-apply rewrites manifest.csv
        $u = Undo-PrunedSet $dest -Last -WarningVariable w -WarningAction SilentlyContinue
        $u.KeptEarlier | Should -Be 1
        ($w -join "`n") | Should -Match 'manifest\.csv.*an earlier apply made it too'
        Test-Path (Join-Path $dest 'manifest.csv') | Should -BeTrue
    }
}

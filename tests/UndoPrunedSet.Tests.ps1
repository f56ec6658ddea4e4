BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'ApplyTestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $script:Cmd = 'PruneCmdlets.Commands.UndoPrunedSetCommand'

    # n files under $Root/cls (and a few in cls/sub), each a record for Export-PrunedSet.
    function New-Tree {
        param([string] $Root, [int] $Count = 4)
        foreach ($i in 0..($Count - 1)) {
            $rel = if ($i % 3 -eq 2) { 'cls/sub/f{0:d3}.bin' -f $i } else { 'cls/f{0:d3}.bin' -f $i }
            $path = Join-Path $Root $rel
            New-SourceFile -Path $path -Size (1000 + $i) -Seed (100 + $i)
            [pscustomobject]@{ Path = $path }
        }
    }

    # Every file and folder under a tree (hidden included) with each file's hash: what "as it was" means.
    function Get-FullState {
        param([string] $Root)
        Get-ChildItem -LiteralPath $Root -Recurse -Force | Sort-Object FullName |
            ForEach-Object { if ($_.PSIsContainer) { "$($_.FullName)/" } else { '{0}|{1}' -f $_.FullName, (Get-Sha256 $_.FullName) } }
    }

}

Describe 'Undo-PrunedSet takes an apply back' {
    It 'removes everything an apply made into a new folder, the folder included, and leaves the sources as they were' {
        $root = Join-Path $TestDrive 'new/in'
        $dest = Join-Path $TestDrive 'new/out'
        $decision = New-Tree $root -Count 6
        $sources = Get-TreeState $root
        $null = $decision | Export-PrunedSet $dest -RelativeTo $root
        Get-RelativeFiles $dest | Should -Contain 'prune-journal.jsonl'
        $s = Undo-PrunedSet $dest
        Test-Path -LiteralPath $dest | Should -BeFalse
        $s.Removed, $s.KeptChanged, $s.KeptAdded, $s.FoldersRemoved, $s.JournalRemoved | Should -Be 8, 0, 0, 3, $true   # 6 files, manifest.csv, prune.json; cls/sub, cls, out
        $s.ToString() | Should -Be '8 removed, 0 kept (changed), 0 kept (added), 3 folders removed'
        Get-TreeState $root | Should -Be $sources
    }

    It 'leaves a destination that held other files exactly as it was, and takes the summary of Export-PrunedSet from the pipeline' {
        $root = Join-Path $TestDrive 'existing/in'
        $dest = Join-Path $TestDrive 'existing/out'
        $decision = New-Tree $root
        New-SourceFile (Join-Path $dest 'cls/mine.bin') -Size 10 -Seed 7
        New-SourceFile (Join-Path $dest 'notes.txt') -Size 20 -Seed 8
        $before = Get-FullState $dest
        $s = $decision | Export-PrunedSet $dest -RelativeTo $root -WarningAction SilentlyContinue | Undo-PrunedSet
        $s.Removed | Should -Be 6
        Get-FullState $dest | Should -Be $before
    }

    It 'keeps a changed file and an added one, names each in a warning, and finishes once they are dealt with' {
        $root = Join-Path $TestDrive 'changed/in'
        $dest = Join-Path $TestDrive 'changed/out'
        $null = New-Tree $root -Count 6 | Export-PrunedSet $dest -RelativeTo $root
        $changed = Join-Path $dest 'cls/f000.bin'
        $added = Join-Path $dest 'cls/sub/added.txt'
        [IO.File]::WriteAllBytes($changed, [byte[]]::new(1000))   # same size, other bytes
        Set-Content -LiteralPath $added -Value 'mine'
        $s = Undo-PrunedSet $dest -WarningVariable warned -WarningAction SilentlyContinue
        $s.Removed, $s.KeptChanged, $s.KeptAdded, $s.JournalRemoved | Should -Be 7, 1, 1, $false
        ($warned | Where-Object Message -Like "*'$changed'*SHA-256*") | Should -HaveCount 1
        ($warned | Where-Object Message -Like "*'$added'*not in the journal*") | Should -HaveCount 1
        Get-RelativeFiles $dest | Should -Be @('cls/f000.bin', 'cls/sub/added.txt', 'prune-journal.jsonl')

        Remove-Item -LiteralPath $changed, $added
        $done = Undo-PrunedSet $dest
        $done.AlreadyGone, $done.JournalRemoved | Should -Be 8, $true
        Test-Path -LiteralPath $dest | Should -BeFalse
    }

    It '-WhatIf shows every step and changes nothing' {
        $root = Join-Path $TestDrive 'whatif/in'
        $dest = Join-Path $TestDrive 'whatif/out'
        $null = New-Tree $root | Export-PrunedSet $dest -RelativeTo $root
        $before = Get-FullState $dest
        $s = Undo-PrunedSet $dest -WhatIf
        Get-FullState $dest | Should -Be $before
        # Each step offered and not taken: 4 files, manifest.csv, prune.json, cls/sub, cls, the journal, the folder itself.
        $s.NotRemoved, $s.Removed, $s.FoldersRemoved, $s.JournalRemoved | Should -Be 10, 0, 0, $false
    }

    It 'refuses a folder without a journal, and a corrupt journal naming its line, changing nothing' {
        $plain = Join-Path $TestDrive 'plain'
        New-SourceFile (Join-Path $plain 'a.bin') -Size 10
        { Undo-PrunedSet $plain } | Should -Throw -ErrorId "NoJournal,$Cmd" -ExpectedMessage '*not made by Export-PrunedSet*'
        Test-Path -LiteralPath (Join-Path $plain 'a.bin') | Should -BeTrue

        $root = Join-Path $TestDrive 'corrupt/in'
        $dest = Join-Path $TestDrive 'corrupt/out'
        $null = New-Tree $root | Export-PrunedSet $dest -RelativeTo $root
        $journal = Join-Path $dest 'prune-journal.jsonl'
        $lines = [Collections.Generic.List[string]](Get-Content -LiteralPath $journal)
        $lines.Insert(3, '{"kind":"copy","path":"cls/f0')
        Set-Content -LiteralPath $journal -Value $lines
        $before = Get-FullState $dest
        { Undo-PrunedSet $dest } | Should -Throw -ErrorId "JournalCorrupt,$Cmd" -ExpectedMessage "*'$journal' is corrupt at line 4*"
        Get-FullState $dest | Should -Be $before
    }
}

Describe 'Undo-PrunedSet after kill -9' {
    It 'removes what an apply killed in the middle of a copy made: the copied file, the partial temporary file, its folders' -Skip:$IsWindows {
        $root = Join-Path $TestDrive 'killapply/in'
        $dest = Join-Path $TestDrive 'killapply/out'
        $run = Start-BlockedExport -Root $root -Dest $dest
        Stop-BlockedExport $run
        Test-Path -LiteralPath (Join-Path $dest 'cls/a.bin') | Should -BeTrue
        Test-Path -LiteralPath $run.Partial.FullName | Should -BeTrue

        $s = Undo-PrunedSet $dest
        $s.Removed, $s.TemporaryFilesRemoved, $s.KeptChanged, $s.KeptAdded | Should -Be 1, 1, 0, 0
        Test-Path -LiteralPath $dest | Should -BeFalse
        Get-Sha256 (Join-Path $root 'cls/a.bin') | Should -Not -BeNullOrEmpty
        Test-Path -LiteralPath $run.Fifo | Should -BeTrue -Because 'the sources are never touched'
    }

    It 'an undo killed half-way finishes when run again' -Skip:$IsWindows {
        $root = Join-Path $TestDrive 'killundo/in'
        $dest = Join-Path $TestDrive 'killundo/out'
        # 40 files, then an empty one, then 40 more: the undo removes them in this order.
        $first = 0..39 | ForEach-Object { $p = Join-Path $root ('a/f{0:d2}.bin' -f $_); New-SourceFile $p -Size (500 + $_) -Seed $_; [pscustomobject]@{ Path = $p } }
        $empty = Join-Path $root 'b/empty.bin'
        $null = New-Item -ItemType File -Force $empty
        $last = 0..39 | ForEach-Object { $p = Join-Path $root ('c/f{0:d2}.bin' -f $_); New-SourceFile $p -Size (700 + $_) -Seed (50 + $_); [pscustomobject]@{ Path = $p } }
        $null = @($first) + @([pscustomobject]@{ Path = $empty }) + @($last) | Export-PrunedSet $dest -RelativeTo $root
        # The empty copy becomes a FIFO of size 0: the undo opens it to compare its SHA-256 and
        # waits there for a writer, with the first 40 removed and the last 40 not yet.
        $fifo = Join-Path $dest 'b/empty.bin'
        Remove-Item -LiteralPath $fifo
        mkfifo -- $fifo
        $child = Start-ChildPwsh "Import-Module '$ManifestPath'; Undo-PrunedSet '$dest'"
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while (@(Get-ChildItem -LiteralPath (Join-Path $dest 'a') -File).Count -gt 0 -and $clock.Elapsed.TotalSeconds -lt 60 -and -not $child.HasExited) { Start-Sleep -Milliseconds 50 }
            Start-Sleep -Milliseconds 200
            $child.HasExited | Should -BeFalse -Because 'the undo waits on the FIFO until it is killed'
            @(Get-ChildItem -LiteralPath (Join-Path $dest 'a') -File) | Should -HaveCount 0 -Because 'the first 40 files are gone'
            @(Get-ChildItem -LiteralPath (Join-Path $dest 'c') -File) | Should -HaveCount 40
        }
        finally {
            if (-not $child.HasExited) { $child.Kill($true) }   # SIGKILL
            $child.WaitForExit()
        }
        Test-Path -LiteralPath (Join-Path $dest 'prune-journal.jsonl') | Should -BeTrue
        # The FIFO is the empty file again; the same command finishes the job.
        Remove-Item -LiteralPath $fifo
        $null = New-Item -ItemType File $fifo
        $s = Undo-PrunedSet $dest
        $s.AlreadyGone, $s.Removed, $s.FoldersRemoved, $s.JournalRemoved | Should -Be 40, 43, 4, $true   # 41 files, manifest.csv, prune.json; a, b, c, out
        Test-Path -LiteralPath $dest | Should -BeFalse
        @(Get-ChildItem -LiteralPath $root -Recurse -File) | Should -HaveCount 81
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'ApplyTestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $script:Cmd = 'PruneCmdlets.Commands.ExportPrunedSetCommand'

    # An ImageFolder tree and a decision on it: cat/a kept, cat/b pruned, dog/c and dog/sub/d kept.
    function New-DecidedTree {
        param([string] $Root)
        $spec = [ordered]@{ 'cat/a.png' = $true; 'cat/b.png' = $false; 'dog/c.png' = $true; 'dog/sub/d.png' = $true }
        $i = 0
        foreach ($rel in $spec.Keys) {
            $path = Join-Path $Root $rel
            New-SourceFile -Path $path -Size (2000 + 100 * $i) -Seed (10 + $i)
            [pscustomobject]@{
                Id = "id-$i"; Path = $path; Label = ($rel -split '/')[0]; Cluster = $i % 2; Distance = 0.1 * $i + 1 / 3
                Percentile = $i / 4; Kept = $spec[$rel]; Model = 'test-model'
                Reason = if ($spec[$rel]) { 'kept: Hard side of the cut' } else { "pruned: Easy side of the cut, Distance 0.433 < 0.5 within label 'cat'" }
            }
            $i++
        }
    }

    function Get-Inode {
        param([string] $Path)
        if ($IsMacOS) { stat -f %i -- $Path } else { stat -c %i -- $Path }
    }
    function Get-Device {
        param([string] $Path)
        if ($IsMacOS) { stat -f %d -- $Path } else { stat -c %d -- $Path }
    }

    # Mounts a tmpfs with these options on a new folder (needs root on Linux); false where it cannot.
    function Mount-Tmpfs {
        param([string] $Path, [string] $Options)
        $null = New-Item -ItemType Directory -Force $Path
        if (-not $IsLinux) { return $false }
        mount -t tmpfs -o $Options tmpfs $Path 2>$null
        $LASTEXITCODE -eq 0
    }

}

Describe 'Export-PrunedSet lays out the kept files' {
    BeforeAll {
        $photos = Join-Path $TestDrive 'layout/photos'
        $decision = New-DecidedTree -Root $photos
    }

    It 'keeps the ImageFolder tree relative to the inputs'' common folder, and only the kept files' {
        $dest = Join-Path $TestDrive 'layout/pruned'
        $s = $decision | Export-PrunedSet -Destination $dest
        Get-RelativeFiles $dest | Should -Be @('cat/a.png', 'dog/c.png', 'dog/sub/d.png', 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
        foreach ($rel in 'cat/a.png', 'dog/c.png', 'dog/sub/d.png') {
            Get-Sha256 (Join-Path $dest $rel) | Should -Be (Get-Sha256 (Join-Path $photos $rel))
        }
        $s.RelativeTo | Should -Be $photos
        $s.Destination | Should -Be $dest
        $s.Records, $s.Kept, $s.Pruned, $s.Copied, $s.Failed | Should -Be 4, 3, 1, 3, 0
        $s.BytesCopied | Should -Be ((2000 + 2200 + 2300))
        # The copy keeps the source's modification time, as cp -p does.
        (Get-Item -LiteralPath (Join-Path $dest 'cat/a.png')).LastWriteTimeUtc | Should -Be (Get-Item -LiteralPath (Join-Path $photos 'cat/a.png')).LastWriteTimeUtc
    }

    It 'takes paths relative to -RelativeTo, so a single class folder keeps its name' {
        $cat = $decision | Where-Object Label -EQ 'cat'
        $plain = Join-Path $TestDrive 'layout/cat-default'
        $rooted = Join-Path $TestDrive 'layout/cat-rooted'
        $null = $cat | Export-PrunedSet $plain
        $null = $cat | Export-PrunedSet $rooted -RelativeTo $photos
        Get-RelativeFiles $plain | Should -Be @('a.png', 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
        Get-RelativeFiles $rooted | Should -Be @('cat/a.png', 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
    }

    It 'reports a kept file outside -RelativeTo as PathOutsideRoot, naming it, and places the rest' {
        $dest = Join-Path $TestDrive 'layout/dog-only'
        $s = $decision | Export-PrunedSet $dest -RelativeTo (Join-Path $photos 'dog') -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be "PathOutsideRoot,$Cmd"
        $err[0].TargetObject | Should -Be (Join-Path $photos 'cat/a.png')
        $err[0].Exception.Message | Should -BeLike "*$(Join-Path $photos 'cat/a.png')*"
        Get-RelativeFiles $dest | Should -Be @('c.png', 'manifest.csv', 'prune-journal.jsonl', 'prune.json', 'sub/d.png')
        $s.Copied, $s.Failed | Should -Be 2, 1
    }

    It 'takes Get-ChildItem output as it is: every file counts as kept' {
        $dest = Join-Path $TestDrive 'layout/all'
        $s = Get-ChildItem -LiteralPath $photos -Recurse -File | Export-PrunedSet $dest
        $s.Copied, $s.Pruned | Should -Be 4, 0
        Get-RelativeFiles $dest | Should -Be @('cat/a.png', 'cat/b.png', 'dog/c.png', 'dog/sub/d.png', 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
    }

    It 'reports an input without a Path as MissingPath and goes on with the rest' {
        $dest = Join-Path $TestDrive 'layout/missing'
        $s = @($decision) + [pscustomobject]@{ Id = 'no-path'; Kept = $true } | Export-PrunedSet $dest -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be "MissingPath,$Cmd"
        $err[0].Exception.Message | Should -BeLike "*'no-path'*"
        $s.Copied, $s.Failed | Should -Be 3, 1
        (Get-Content -Raw (Join-Path $dest 'prune.json') | ConvertFrom-Json).counts.failed | Should -Be 1
    }
}

Describe 'Export-PrunedSet with names at the file system''s limit' {
    It 'places a file whose name is 255 bytes (<Name>) and skips it on a re-run' -ForEach @(
        @{ Name = 'ASCII'; File = ('n' * 251) + '.png' }
        @{ Name = 'two-byte UTF-8'; File = ([string][char]0xE9 * 125) + '.png' }
    ) {
        [Text.Encoding]::UTF8.GetByteCount($File) | Should -BeGreaterOrEqual 254
        $root = Join-Path $TestDrive "long-$Name/in"
        $dest = Join-Path $TestDrive "long-$Name/out"
        $path = Join-Path $root "cls/$File"
        New-SourceFile $path -Size 2000 -Seed 4
        $s = [pscustomobject]@{ Path = $path } | Export-PrunedSet $dest -RelativeTo $root -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 0
        $s.Copied | Should -Be 1
        Get-Sha256 (Join-Path $dest "cls/$File") | Should -Be (Get-Sha256 $path)
        ([pscustomobject]@{ Path = $path } | Export-PrunedSet $dest -RelativeTo $root).Skipped | Should -Be 1
    }
}

Describe 'Export-PrunedSet with symbolically linked sources (Hugging Face cache, git-annex, DVC)' {
    BeforeAll {
        # blobs/<name> hold the bytes; snapshots/rev/<class>/<file> are relative links to them.
        $script:Cache = Join-Path $TestDrive 'hf'
        $script:Snap = Join-Path $Cache 'snapshots/rev'
        $i = 0
        $script:Linked = foreach ($rel in 'cat/a.png', 'cat/b.png', 'dog/c.png') {
            $name = $rel.Replace('/', '-')
            $blob = Join-Path $Cache "blobs/$name"
            New-SourceFile $blob -Size (3000 + 100 * $i) -Seed (20 + $i)
            $link = Join-Path $Snap $rel
            $null = New-Item -ItemType Directory -Force (Split-Path $link)
            $null = New-Item -ItemType SymbolicLink -Path $link -Target "../../../blobs/$name"
            [pscustomobject]@{ Path = $link; Blob = $blob; Rel = $rel }
            $i++
        }
        function Get-LinkedDecision { $Linked | ForEach-Object { [pscustomobject]@{ Path = $_.Path } } }
    }

    It 'records each blob''s size and hash, copies its bytes, and skips every file on the identical re-run' {
        $dest = Join-Path $TestDrive 'hf-copy'
        $s = Get-LinkedDecision | Export-PrunedSet $dest -RelativeTo $Snap
        $s.Copied, $s.Failed | Should -Be 3, 0
        $rows = @(Import-Csv (Join-Path $dest 'manifest.csv'))
        $rows.Size | Should -Be ($Linked | ForEach-Object { "$((Get-Item -LiteralPath $_.Blob).Length)" })
        $rows.Sha256 | Should -Be ($Linked | ForEach-Object { Get-Sha256 $_.Blob })
        foreach ($l in $Linked) {
            $placed = Get-Item -LiteralPath (Join-Path $dest $l.Rel)
            $placed.LinkTarget | Should -BeNullOrEmpty
            Get-Sha256 $placed.FullName | Should -Be (Get-Sha256 $l.Blob)
        }
        $again = Get-LinkedDecision | Export-PrunedSet $dest -RelativeTo $Snap -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 0
        $again.Skipped, $again.Failed | Should -Be 3, 0
        # The saved manifest re-applies too: the sizes it holds are the blobs'.
        $saved = Import-Csv (Join-Path $dest 'manifest.csv') | Export-PrunedSet $dest -RelativeTo $Snap -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 0
        $saved.Skipped | Should -Be 3
    }

    It 'HardLink links the blobs, not the links: each placed file is its blob' -Skip:$IsWindows {
        $dest = Join-Path $TestDrive 'hf-hard'
        $s = Get-LinkedDecision | Export-PrunedSet $dest -RelativeTo $Snap -Mode HardLink
        $s.Linked, $s.Failed | Should -Be 3, 0
        foreach ($l in $Linked) {
            $placed = Join-Path $dest $l.Rel
            (Get-Item -LiteralPath $placed).LinkTarget | Should -BeNullOrEmpty -Because 'a hard link to the relative link would dangle'
            Get-Inode $placed | Should -Be (Get-Inode $l.Blob)
        }
        (Get-LinkedDecision | Export-PrunedSet $dest -RelativeTo $Snap -Mode HardLink).Skipped | Should -Be 3
    }

    It 'reports a dangling link as SourceNotFound naming it, and places the rest' {
        $broken = Join-Path $Snap 'dog/gone.png'
        $null = New-Item -ItemType SymbolicLink -Path $broken -Target '../../../blobs/not-fetched'
        $dest = Join-Path $TestDrive 'hf-broken'
        try {
            $s = @(Get-LinkedDecision) + [pscustomobject]@{ Path = $broken } | Export-PrunedSet $dest -RelativeTo $Snap -ErrorVariable err -ErrorAction SilentlyContinue
        }
        finally { Remove-Item -LiteralPath $broken }
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be "SourceNotFound,$Cmd"
        $err[0].TargetObject | Should -Be $broken
        $err[0].Exception.Message | Should -BeLike "*'$broken'*not-fetched*"
        $s.Copied, $s.Failed | Should -Be 3, 1
        Test-Path -LiteralPath (Join-Path $dest 'dog/gone.png') | Should -BeFalse
    }
}

Describe 'Export-PrunedSet with hostile file names' {
    BeforeAll {
        $root = Join-Path $TestDrive 'hostile/in'
        # Names a shell, a CSV writer or a PowerShell wildcard would mangle. 'b.png' is what the
        # wildcard '[brackets].png' would match; it holds other bytes, so a wildcard read shows.
        $names = @('with space.png', 'quote"d.png', "it's.png", 'comma,name.png', "new`nline.png", 'ünïcødé 😀.png',
            '-leading-dash.png', '[brackets].png', 'b.png', 'star*.png', '$dollar `tick.png')
        if ($IsWindows) { $names = $names | Where-Object { $_ -notmatch '["*\n]' } }
        $folder = 'class, "one" [x]'
        if ($IsWindows) { $folder = 'class, one [x]' }
        $i = 0
        $decision = foreach ($n in $names) {
            $path = Join-Path $root $folder $n
            New-SourceFile -Path $path -Size (500 + $i) -Seed (100 + $i)
            [pscustomobject]@{ Id = "hostile-$i"; Path = $path; Label = "lab,`"el`"`n$i"; Kept = $true; Reason = "kept: `"quoted`", comma`nnewline" }
            $i++
        }
        $dest = Join-Path $TestDrive 'hostile/out [1]'
        $summary = $decision | Export-PrunedSet $dest -RelativeTo $root
    }

    It 'places every file under its exact name with its own bytes' {
        $summary.Copied | Should -Be $names.Count
        $summary.Failed | Should -Be 0
        foreach ($n in $names) {
            $target = Join-Path $dest $folder $n
            Test-Path -LiteralPath $target | Should -BeTrue -Because "'$n' is placed under its own name"
            Get-Sha256 $target | Should -Be (Get-Sha256 (Join-Path $root $folder $n)) -Because "'$n' holds its own bytes"
        }
        @(Get-RelativeFiles $dest).Count | Should -Be ($names.Count + 3)   # manifest.csv, prune.json, prune-journal.jsonl
    }

    It 'writes a manifest that Import-Csv reads back with the same names, labels and reasons' {
        $rows = @(Import-Csv -LiteralPath (Join-Path $dest 'manifest.csv'))
        $rows | Should -HaveCount $names.Count
        for ($k = 0; $k -lt $names.Count; $k++) {
            $rows[$k].Path | Should -BeExactly $decision[$k].Path
            $rows[$k].Destination | Should -BeExactly "$folder/$($names[$k])"
            $rows[$k].Label | Should -BeExactly $decision[$k].Label
            $rows[$k].Reason | Should -BeExactly $decision[$k].Reason
        }
    }

    It 're-applies its own manifest: every file is found again by its exact name and skipped' {
        $again = Import-Csv -LiteralPath (Join-Path $dest 'manifest.csv') | Export-PrunedSet $dest -RelativeTo $root
        $again.Skipped, $again.Copied, $again.Failed | Should -Be $names.Count, 0, 0
    }
}

Describe 'Export-PrunedSet after an interruption and on re-runs' {
    It 'after kill -9 in the middle of a copy leaves no partial file under a real name, and a re-run finishes the job' -Skip:$IsWindows {
        $root = Join-Path $TestDrive 'killed/in'
        $dest = Join-Path $TestDrive 'killed/out'
        $run = Start-BlockedExport -Root $root -Dest $dest
        Stop-BlockedExport $run
        Test-Path -LiteralPath (Join-Path $dest 'cls/b.bin') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $dest 'cls/c.bin') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $dest 'manifest.csv') | Should -BeFalse
        Get-Sha256 (Join-Path $dest 'cls/a.bin') | Should -Be (Get-Sha256 (Join-Path $root 'cls/a.bin'))

        Complete-KilledExport -Run $run -Root $root -Dest $dest
    }

    It 'refuses to start while another run writes into the destination, naming its process, and deletes none of its files; once it is killed its lock blocks nothing' -Skip:$IsWindows {
        $root = Join-Path $TestDrive 'locked/in'
        $dest = Join-Path $TestDrive 'locked/out'
        $run = Start-BlockedExport -Root $root -Dest $dest
        try {
            $second = $null
            try { $null = 'a', 'c' | ForEach-Object { [pscustomobject]@{ Path = "$root/cls/$_.bin" } } | Export-PrunedSet $dest -RelativeTo $root } catch { $second = $_ }
            $second.FullyQualifiedErrorId | Should -Be "DestinationLocked,$Cmd"
            $second.Exception.Message | Should -BeLike "*(process $($run.Child.Id)) is writing into '$dest'*"
            Test-Path -LiteralPath $run.Partial.FullName | Should -BeTrue -Because 'the live run''s temporary file is left alone'
            Test-Path -LiteralPath (Join-Path $dest 'cls/c.bin') | Should -BeFalse
        }
        finally { Stop-BlockedExport $run }
        # Killed: its lock file stays, but no process holds it, so the next run goes ahead.
        Test-Path -LiteralPath (Join-Path $dest '.prune-lock') | Should -BeTrue
        Complete-KilledExport -Run $run -Root $root -Dest $dest
    }

    It 'skips identical files on a re-run, counts them as skipped and rewrites none' {
        $root = Join-Path $TestDrive 'rerun/in'
        $dest = Join-Path $TestDrive 'rerun/out'
        $decision = New-DecidedTree -Root $root
        $null = $decision | Export-PrunedSet $dest
        $target = Join-Path $dest 'dog/c.png'
        $inode = Get-Inode $target
        $written = (Get-Item -LiteralPath $target).LastWriteTimeUtc
        $s = $decision | Export-PrunedSet $dest
        $s.Skipped, $s.Copied, $s.Failed, $s.Pruned | Should -Be 3, 0, 0, 1
        $s.ToString() | Should -BeLike '0 copied, 0 linked, 3 skipped, 0 failed*'
        Get-Inode $target | Should -Be $inode
        (Get-Item -LiteralPath $target).LastWriteTimeUtc | Should -Be $written
        (Get-Content -Raw (Join-Path $dest 'prune.json') | ConvertFrom-Json).counts.skipped | Should -Be 3
    }

    It 'reports a different file already at the target as TargetExists naming it, leaves it, and replaces it only with -Force' {
        $root = Join-Path $TestDrive 'exists/in'
        $dest = Join-Path $TestDrive 'exists/out'
        $decision = New-DecidedTree -Root $root
        # Same size, other bytes (only the hash tells), and a cut-off copy (a partial file).
        $sameSize = Join-Path $dest 'cat/a.png'
        New-SourceFile $sameSize -Size (Get-Item -LiteralPath (Join-Path $root 'cat/a.png')).Length -Seed 999
        $partial = Join-Path $dest 'dog/c.png'
        $null = [IO.Directory]::CreateDirectory((Split-Path $partial))
        [IO.File]::WriteAllBytes($partial, [IO.File]::ReadAllBytes((Join-Path $root 'dog/c.png'))[0..999])
        $before = $sameSize, $partial | ForEach-Object { Get-Sha256 $_ }

        $s = $decision | Export-PrunedSet $dest -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 2
        $err.FullyQualifiedErrorId | Should -Be "TargetExists,$Cmd", "TargetExists,$Cmd"
        $err[0].Exception.Message | Should -BeLike "*'$sameSize'*-Force*"
        $err[1].Exception.Message | Should -BeLike "*'$partial'*"
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $sameSize, $partial | ForEach-Object { Get-Sha256 $_ } | Should -Be $before
        $s.Copied, $s.Failed | Should -Be 1, 2
        Test-Path -LiteralPath (Join-Path $dest 'dog/sub/d.png') | Should -BeTrue

        $forced = $decision | Export-PrunedSet $dest -Force
        $forced.Copied, $forced.Skipped, $forced.Failed | Should -Be 2, 1, 0
        Get-Sha256 $sameSize | Should -Be (Get-Sha256 (Join-Path $root 'cat/a.png'))
        Get-Sha256 $partial | Should -Be (Get-Sha256 (Join-Path $root 'dog/c.png'))
    }

    It 'warns about files a different earlier decision left in the destination, and deletes none' {
        $root = Join-Path $TestDrive 'changed/in'
        $dest = Join-Path $TestDrive 'changed/out'
        $decision = New-DecidedTree -Root $root
        $null = $decision | Export-PrunedSet $dest
        # Decided again: a is pruned now, b kept.
        $again = $decision | ForEach-Object { $c = $_.PSObject.Copy(); if ($c.Path -like '*a.png' -or $c.Path -like '*b.png') { $c.Kept = -not $c.Kept }; $c }
        $s = $again | Export-PrunedSet $dest -WarningVariable warn -WarningAction SilentlyContinue
        $s.Copied, $s.Skipped, $s.Unlisted | Should -Be 1, 2, 1
        $warn | Should -HaveCount 1
        $warn[0].Message | Should -BeLike "1 file(s) under '$dest' are not part of this decision, e.g. '$(Join-Path $dest 'cat/a.png')'*"
        Test-Path -LiteralPath (Join-Path $dest 'cat/a.png') | Should -BeTrue
        (Import-Csv (Join-Path $dest 'manifest.csv') | Where-Object Kept -EQ 'True').Destination | Should -Be 'cat/b.png', 'dog/c.png', 'dog/sub/d.png'
    }

    It '-WhatIf touches nothing: no folder, no file, no manifest, no cleanup' {
        $root = Join-Path $TestDrive 'whatif/in'
        $decision = New-DecidedTree -Root $root
        $fresh = Join-Path $TestDrive 'whatif/fresh'
        $s = $decision | Export-PrunedSet $fresh -WhatIf
        Test-Path -LiteralPath $fresh | Should -BeFalse
        $s.NotWritten, $s.Copied | Should -Be 3, 0
        $s.Manifest | Should -BeNullOrEmpty

        # An existing destination with a stale file and a killed run's leftover stays exactly as it was.
        $used = Join-Path $TestDrive 'whatif/used'
        New-SourceFile (Join-Path $used 'cat/a.png') -Size 10 -Seed 5
        New-SourceFile (Join-Path $used 'cat/.b.png.0123456789abcdef0123456789abcdef.prune-tmp') -Size 10 -Seed 6
        $state = Get-TreeState $used
        $null = $decision | Export-PrunedSet $used -WhatIf -Force
        Get-TreeState $used | Should -Be $state
    }
}

Describe 'Export-PrunedSet links' {
    BeforeAll {
        $root = Join-Path $TestDrive 'links/in'
        $decision = New-DecidedTree -Root $root
    }

    It 'HardLink gives each kept file the source''s inode' -Skip:$IsWindows {
        $dest = Join-Path $TestDrive 'links/hard'
        $s = $decision | Export-PrunedSet $dest -Mode HardLink
        $s.Linked, $s.Copied, $s.BytesCopied | Should -Be 3, 0, 0
        foreach ($rel in 'cat/a.png', 'dog/c.png', 'dog/sub/d.png') {
            Get-Inode (Join-Path $dest $rel) | Should -Be (Get-Inode (Join-Path $root $rel))
        }
        $rows = Import-Csv (Join-Path $dest 'manifest.csv') | Where-Object Kept -EQ 'True'
        $rows[0].Sha256 | Should -Be (Get-Sha256 (Join-Path $root 'cat/a.png'))
        # Linked again: already the same file, so skipped.
        ($decision | Export-PrunedSet $dest -Mode HardLink).Skipped | Should -Be 3
    }

    It 'SymbolicLink makes links that point to the sources' {
        $dest = Join-Path $TestDrive 'links/sym'
        $s = $decision | Export-PrunedSet $dest -Mode SymbolicLink
        $s.Linked | Should -Be 3
        foreach ($rel in 'cat/a.png', 'dog/c.png', 'dog/sub/d.png') {
            $link = Get-Item -LiteralPath (Join-Path $dest $rel)
            $link.LinkTarget | Should -Be (Join-Path $root $rel)
            Get-Sha256 $link.FullName | Should -Be (Get-Sha256 (Join-Path $root $rel))
        }
        # Asked for copies now: each identical link is replaced by a real file, without -Force.
        $copies = $decision | Export-PrunedSet $dest
        $copies.Copied | Should -Be 3
        (Get-Item -LiteralPath (Join-Path $dest 'cat/a.png')).LinkTarget | Should -BeNullOrEmpty
    }

    It 'stops with HardLinkCrossDevice, naming the file and suggesting -Mode Copy, when the destination is on another file system' -Skip:$IsWindows {
        # /dev/shm is a tmpfs on Linux (CI has it); the test drive is on another file system.
        $device = Get-Device $root
        $other = @('/dev/shm', '/run/user', '/var/tmp', '/tmp') | Where-Object { (Test-Path -LiteralPath $_) -and (Get-Device $_) -ne $device } | Select-Object -First 1
        $other | Should -Not -BeNullOrEmpty -Because 'a second file system is needed to test a cross-device link (on Linux /dev/shm is one)'
        $dest = Join-Path $other "prunecmdlets-xdev-$PID-$([guid]::NewGuid().ToString('N'))"
        try {
            $stop = $null
            try { $null = $decision | Export-PrunedSet $dest -Mode HardLink -ErrorVariable err -ErrorAction SilentlyContinue } catch { $stop = $_ }
            $stop.FullyQualifiedErrorId | Should -Be "RunStopped,$Cmd"
            $err = @($err | Where-Object { $_ -is [Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -like 'HardLinkCrossDevice,*' })
            $err | Should -HaveCount 1 -Because 'the first failed link stops the run'
            $err[0].Exception.Message | Should -BeLike "*'$(Join-Path $root 'cat/a.png')'*-Mode Copy*"
            # No file placed: only the journal, which lists the folders the run created.
            @(Get-ChildItem -LiteralPath $dest -Recurse -File -Force -ErrorAction SilentlyContinue | Where-Object Name -ne 'prune-journal.jsonl') | Should -HaveCount 0
            # The cure it names works.
            ($decision | Export-PrunedSet $dest -Mode Copy).Copied | Should -Be 3
        }
        finally { Remove-Item -LiteralPath $dest -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Export-PrunedSet on a full disk' {
    BeforeAll {
        # A real full disk: a 1 MiB tmpfs (needs root, as on CI). The same path through a
        # simulated disk runs in the xunit tests (PrunedSetExporterTests) on every host.
        $script:Small = Join-Path $TestDrive 'full/small'
        $null = New-Item -ItemType Directory -Force $Small
        $script:Mounted = $false
        if ($IsLinux) { mount -t tmpfs -o size=1m tmpfs $Small 2>$null; $script:Mounted = $LASTEXITCODE -eq 0 }
        if (-not $Mounted -and $env:CI -eq 'true') { throw 'CI must run the full-disk test, but a 1 MiB tmpfs could not be mounted (run the tests as root).' }
        if (-not $Mounted) { Write-Host 'Export-PrunedSet full-disk test NOT RUN: cannot mount a tmpfs here (needs root on Linux).' -ForegroundColor Yellow }
    }
    AfterAll { if ($Mounted) { umount $Small } }

    It 'stops with DiskFull naming the folder when a folder cannot be created, writes the summary, then RunStopped' {
        # A tmpfs with few inodes: each file needs two folders (cls<n>/sub), so a folder runs out of them first
        # (4 go to the mount itself, the destination, its lock and its journal; 3 to each placed file).
        $inodes = Join-Path $TestDrive 'full/inodes'
        if (-not (Mount-Tmpfs $inodes 'size=1m,nr_inodes=10')) {
            if ($env:CI -eq 'true') { throw 'CI must run the full-disk test, but a tmpfs could not be mounted (run the tests as root).' }
            Set-ItResult -Skipped -Because 'a tmpfs cannot be mounted here (needs root on Linux)'; return
        }
        try {
            $root = Join-Path $TestDrive 'inodes/in'
            $decision = foreach ($i in 0..39) {
                $p = Join-Path $root ('cls{0:d2}/sub/x.bin' -f $i)
                New-SourceFile $p -Size 100 -Seed $i
                [pscustomobject]@{ Path = $p }
            }
            $dest = Join-Path $inodes 'pruned'
            $stop = $null
            $s = $null
            try { $null = $decision | Export-PrunedSet $dest -RelativeTo $root -OutVariable s -ErrorVariable err -ErrorAction SilentlyContinue } catch { $stop = $_ }
            $stop.FullyQualifiedErrorId | Should -Be "RunStopped,$Cmd"
            $s | Should -HaveCount 1 -Because 'the summary comes before RunStopped'
            $s = $s[0]
            $s.Stopped | Should -BeTrue
            $s.Copied | Should -BeGreaterThan 0
            $s.Failed | Should -Be 1
            $s.Copied + $s.Failed + $s.NotWritten | Should -Be 40
            $errors = @($err | Where-Object { $_ -is [Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -notlike 'RunStopped,*' })
            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -Be "DiskFull,$Cmd"
            $folder = Join-Path $dest ('cls{0:d2}' -f $s.Copied)
            $errors[0].Exception.Message | Should -BeLike "*the folder '$folder*' could not be created*"
        }
        finally { umount $inodes }
    }

    It 'fails the file that does not fit with DiskFull naming it, leaves no partial file and keeps what was placed' {
        if (-not $Mounted) { Set-ItResult -Skipped -Because 'a tmpfs cannot be mounted here (needs root on Linux)'; return }
        $root = Join-Path $TestDrive 'full/in'
        $files = [ordered]@{ 'cls/a.bin' = 100KB; 'cls/big1.bin' = 600KB; 'cls/big2.bin' = 600KB; 'cls/c.bin' = 100KB }
        $i = 0
        foreach ($rel in $files.Keys) { New-SourceFile (Join-Path $root $rel) -Size $files[$rel] -Seed (50 + $i); $i++ }
        $dest = Join-Path $Small 'pruned'
        $decision = $files.Keys | ForEach-Object { [pscustomobject]@{ Path = Join-Path $root $_ } }
        $stop = $null
        try { $null = $decision | Export-PrunedSet $dest -RelativeTo $root -ErrorVariable err -ErrorAction SilentlyContinue } catch { $stop = $_ }
        $stop.FullyQualifiedErrorId | Should -Be "RunStopped,$Cmd"
        $stop.Exception.Message | Should -BeLike '*stopped early (2 copied, 0 linked, 0 skipped, 1 failed, 0 pruned, 1 not written)*'
        $full = @($err | Where-Object { $_ -is [Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -like 'DiskFull,*' })
        $full | Should -HaveCount 1
        $full[0].Exception.Message | Should -BeLike "*'$(Join-Path $dest 'cls/big2.bin')'*"
        $full[0].TargetObject | Should -Be (Join-Path $root 'cls/big2.bin')
        # No partial file under any name, nothing after the stop, and what came before is whole.
        Get-RelativeFiles $dest | Should -Be @('cls/a.bin', 'cls/big1.bin', 'prune-journal.jsonl')
        Get-Sha256 (Join-Path $dest 'cls/a.bin') | Should -Be (Get-Sha256 (Join-Path $root 'cls/a.bin'))
        Get-Sha256 (Join-Path $dest 'cls/big1.bin') | Should -Be (Get-Sha256 (Join-Path $root 'cls/big1.bin'))
    }
}

Describe 'manifest.csv and prune.json' {
    BeforeAll {
        $root = Join-Path $TestDrive 'manifest/in'
        $decision = New-DecidedTree -Root $root
        $dest = Join-Path $TestDrive 'manifest/out'
        $null = $decision | Export-PrunedSet $dest
    }

    It 'lists every record, kept and pruned, in input order, with its columns, readable by Import-Csv' {
        $rows = @(Import-Csv (Join-Path $dest 'manifest.csv'))
        $rows[0].PSObject.Properties.Name | Should -Be 'Id', 'Path', 'Destination', 'Size', 'Sha256', 'Label', 'Cluster', 'Distance', 'Percentile', 'DuplicateOf', 'Similarity', 'Kept', 'Reason', 'Model', 'Issues', 'LabelQuality', 'SuggestedLabel', 'OutlierScore', 'LeakOf', 'Override'
        $rows | Should -HaveCount 4
        for ($k = 0; $k -lt 4; $k++) {
            $r = $rows[$k]; $d = $decision[$k]
            $r.Id | Should -Be $d.Id
            $r.Path | Should -Be $d.Path
            $r.Kept | Should -Be "$($d.Kept)"
            $r.Reason | Should -BeExactly $d.Reason
            $r.Label | Should -Be $d.Label
            $r.Model | Should -Be 'test-model'
            [int]$r.Cluster | Should -Be $d.Cluster
            [double]::Parse($r.Distance, [cultureinfo]::InvariantCulture) | Should -Be $d.Distance   # exact: written to round-trip
            [long]$r.Size | Should -Be (Get-Item -LiteralPath $d.Path).Length
            if ($d.Kept) {
                $r.Destination | Should -Be ([IO.Path]::GetRelativePath($root, $d.Path).Replace('\', '/'))
                $r.Sha256 | Should -Be (Get-Sha256 $d.Path)
            }
            else { $r.Destination | Should -BeNullOrEmpty }
        }
    }

    It 'writes prune.json that ConvertFrom-Json reads, with counts, parameters and versions' {
        $j = Get-Content -Raw (Join-Path $dest 'prune.json') | ConvertFrom-Json
        $j.counts.records, $j.counts.kept, $j.counts.pruned, $j.counts.copied, $j.counts.failed | Should -Be 4, 3, 1, 3, 0
        $j.parameters.mode | Should -Be 'Copy'
        $j.parameters.relativeTo | Should -Be $root
        $j.moduleVersion | Should -Be (Get-Module PruneCmdlets).Version.ToString(3)
        $j.versions.powershell | Should -Be $PSVersionTable.PSVersion.ToString()
        $j.models | Should -Be 'test-model'
        $j.decision | Should -BeNullOrEmpty -Because 'plain objects say nothing of k-means or a policy'
        [datetime]$j.finished | Should -BeGreaterOrEqual ([datetime]$j.started)
    }

    It '-ManifestOnly writes just the two files, with each kept file''s hash and destination' {
        $only = Join-Path $TestDrive 'manifest/only'
        $s = $decision | Export-PrunedSet $only -ManifestOnly
        Get-RelativeFiles $only | Should -Be @('manifest.csv', 'prune-journal.jsonl', 'prune.json')
        $s.NotWritten, $s.Copied | Should -Be 3, 0
        $kept = Import-Csv (Join-Path $only 'manifest.csv') | Where-Object Kept -EQ 'True'
        $kept.Sha256 | Should -Be ($decision | Where-Object Kept | ForEach-Object { Get-Sha256 $_.Path })
        $kept.Destination | Should -Be 'cat/a.png', 'dog/c.png', 'dog/sub/d.png'
    }

    It 'carries the decision from real records: model, k-means and policy in prune.json' {
        $vectors = New-BlobRecords -Centres @(@(0, 0), @(5, 5)) -PerBlob 4
        # Records with a Path: the vectors' ids become files.
        $files = Join-Path $TestDrive 'manifest/vec'
        $i = 0
        $withPath = foreach ($v in $vectors) {
            $p = Join-Path $files "$($v.Label)/$($v.Id).bin"
            New-SourceFile $p -Size 100 -Seed ($i++)
            [pscustomobject]@{ Id = $v.Id; Path = $p; Label = $v.Label; Vector = $v.Vector }
        }
        $decided = $withPath | Invoke-KMeans -K 2 -Seed 7 | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Label -IncludePruned
        @($decided | Where-Object { $_.Path }).Count | Should -Be 8
        $out = Join-Path $TestDrive 'manifest/vec-out'
        $s = $decided | Export-PrunedSet $out
        $s.Kept, $s.Pruned | Should -Be 4, 4
        $j = Get-Content -Raw (Join-Path $out 'prune.json') | ConvertFrom-Json
        $j.decision.k | Should -Be '2'
        $j.decision.kmeansSeed | Should -Be '7'
        $j.decision.keepFraction | Should -Be '0.5'
        $j.decision.balanceBy | Should -Be 'Label'
    }
}

Describe 'Export-PrunedSet re-applying a saved manifest' {
    It 'reports a source changed since the decision (same size other bytes, or other size) as SourceChanged, places it not, and places the rest' {
        $root = Join-Path $TestDrive 'reapply/in'
        $decision = New-DecidedTree -Root $root
        $first = Join-Path $TestDrive 'reapply/first'
        $null = $decision | Export-PrunedSet $first
        # a: one byte changed, size kept. c: grown by a byte.
        $a = Join-Path $root 'cat/a.png'; $c = Join-Path $root 'dog/c.png'
        $bytes = [IO.File]::ReadAllBytes($a); $bytes[100] = $bytes[100] -bxor 0xFF; [IO.File]::WriteAllBytes($a, $bytes)
        [IO.File]::WriteAllBytes($c, [IO.File]::ReadAllBytes($c) + [byte]7)

        $second = Join-Path $TestDrive 'reapply/second'
        $s = Import-Csv (Join-Path $first 'manifest.csv') | Export-PrunedSet $second -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 2
        $err.FullyQualifiedErrorId | Should -Be "SourceChanged,$Cmd", "SourceChanged,$Cmd"
        $err.TargetObject | Should -Be $a, $c
        $err[0].Exception.Message | Should -BeLike "*'$a'*SHA-256*"
        $err[1].Exception.Message | Should -BeLike "*'$c'*bytes now*"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        Get-RelativeFiles $second | Should -Be @('dog/sub/d.png', 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
        $s.Copied, $s.Failed, $s.Pruned | Should -Be 1, 2, 1
        (Get-Content -Raw (Join-Path $second 'prune.json') | ConvertFrom-Json).models | Should -Be 'test-model' -Because 'the manifest carries each record''s model'
        # Into the first folder too: the old copies there are left, the changed sources not copied over them.
        $firstA = Get-Sha256 (Join-Path $first 'cat/a.png')
        $null = Import-Csv (Join-Path $first 'manifest.csv') | Export-PrunedSet $first -Force -ErrorAction SilentlyContinue
        Get-Sha256 (Join-Path $first 'cat/a.png') | Should -Be $firstA
    }
}

# Export-PrunedSet and Export-PruneReport read a piped record through one reader: the same
# shapes are accepted, and Kept has one rule (missing or empty: kept; True/False as a bool or
# text; anything else: refused). Each case sends file a in one shape, b decided kept, c pruned.
Describe 'Export-PrunedSet and Export-PruneReport read Kept the same way' {
    BeforeAll {
        $root = Join-Path $TestDrive 'shapes/in'
        $files = foreach ($name in 'a', 'b', 'c') { $p = Join-Path $root "x/$name.png"; New-SourceFile -Path $p -Size 1500 -Seed ([int][char]$name); $p }
        $reportCmd = 'PruneCmdlets.Commands.ExportPruneReportCommand'
        # The row of file a as Import-Csv gives it back from a CSV with these columns and values.
        function ConvertTo-CsvRow([System.Collections.IDictionary] $Columns) {
            $csv = Join-Path $TestDrive "shapes/row-$([Guid]::NewGuid().ToString('N')).csv"
            [pscustomobject]$Columns | Export-Csv -LiteralPath $csv -NoTypeInformation
            Import-Csv -LiteralPath $csv
        }
        function Invoke-Both($Item, [string] $Name) {
            $inputs = @($Item, [pscustomobject]@{ Id = 'b'; Path = $files[1]; Kept = $true }, [pscustomobject]@{ Id = 'c'; Path = $files[2]; Kept = 'False' })
            $dest = Join-Path $TestDrive "shapes/out-$Name"
            $null = $inputs | Export-PrunedSet $dest -ErrorVariable applyErr -ErrorAction SilentlyContinue
            $report = Join-Path $TestDrive "shapes/$Name.html"
            $null = $inputs | Export-PruneReport $report -MapPoints 0 -ErrorVariable reportErr -ErrorAction SilentlyContinue -WarningVariable reportWarn -WarningAction SilentlyContinue
            [pscustomobject]@{
                Manifest = @(Import-Csv (Join-Path $dest 'manifest.csv')); Placed = Test-Path -LiteralPath (Join-Path $dest 'a.png')   # the deepest common folder, x, is the root
                ApplyErrors = @($applyErr); ReportErrors = @($reportErr); Warnings = @($reportWarn)
                KeptInReport = [int][regex]::Match((Get-Content -LiteralPath $report -Raw), 'data-count="kept">(\d+)<').Groups[1].Value
            }
        }
    }

    It 'reads <Name> as <Kept> in both, with no error' -ForEach @(
        @{ Name = 'a PSCustomObject without Kept'; Kept = $true; Undecided = $true; Make = { param($p) [pscustomobject]@{ Id = 'a'; Path = $p; Label = 'x' } } }
        @{ Name = 'an Import-Csv row without a Kept column'; Kept = $true; Undecided = $true; Make = { param($p) ConvertTo-CsvRow ([ordered]@{ Id = 'a'; Path = $p; Label = 'x' }) } }
        @{ Name = 'an Import-Csv row with an empty Kept'; Kept = $true; Undecided = $true; Make = { param($p) ConvertTo-CsvRow ([ordered]@{ Id = 'a'; Path = $p; Kept = '' }) } }
        @{ Name = 'Get-ChildItem output (FullName, no Id, no Kept)'; Kept = $true; Undecided = $true; Make = { param($p) Get-Item -LiteralPath $p } }
        @{ Name = 'an Import-Csv row with Kept false in lower case'; Kept = $false; Undecided = $false; Make = { param($p) ConvertTo-CsvRow ([ordered]@{ Id = 'a'; Path = $p; Kept = 'false' }) } }
        @{ Name = 'a PSCustomObject with Kept $false'; Kept = $false; Undecided = $false; Make = { param($p) [pscustomobject]@{ Id = 'a'; Path = $p; Kept = $false } } }
    ) {
        $r = Invoke-Both (& $Make $files[0]) ($Name -replace '\W', '')
        $r.ApplyErrors | Should -HaveCount 0
        $r.ReportErrors | Should -HaveCount 0
        $r.Manifest | Should -HaveCount 3
        $r.Manifest[0].Kept | Should -Be "$Kept"
        $r.Placed | Should -Be $Kept
        $r.KeptInReport | Should -Be $(if ($Kept) { 2 } else { 1 })
        if ($Undecided) { ($r.Warnings -join "`n") | Should -BeLike "*1 of 3 records carry no Kept decision and are shown as kept*" }
        else { ($r.Warnings -join "`n") | Should -Not -BeLike '*no Kept decision*' }
    }

    It 'refuses a Kept that is neither True nor False in both, naming the value, and goes on with the rest' {
        $r = Invoke-Both ([pscustomobject]@{ Id = 'a'; Path = $files[0]; Kept = 'maybe' }) 'maybe'
        $r.ApplyErrors | Should -HaveCount 1
        $r.ApplyErrors[0].FullyQualifiedErrorId | Should -Be "MissingPath,$Cmd"
        $r.ApplyErrors[0].Exception.Message | Should -BeLike "*Kept value 'maybe' of 'a'*"
        $r.ReportErrors | Should -HaveCount 1
        $r.ReportErrors[0].FullyQualifiedErrorId | Should -Be "MissingDecision,$reportCmd"
        $r.ReportErrors[0].Exception.Message | Should -BeLike "*Kept value 'maybe' of 'a'*"
        $r.Manifest.Id | Should -Be 'b', 'c'
        $r.KeptInReport | Should -Be 1
    }

    It 'writes Issues given as an array of names as the manifest''s ";" list' {
        $r = Invoke-Both ([pscustomobject]@{ Id = 'a'; Path = $files[0]; Kept = $true; Issues = @('Outlier', 'LabelIssue') }) 'issues'
        $r.Manifest[0].Issues | Should -BeExactly 'Outlier;LabelIssue'
    }
}

Describe 'Export-PrunedSet safety' {
    BeforeAll {
        $root = Join-Path $TestDrive 'safety/in'
        $decision = New-DecidedTree -Root $root
    }

    It 'refuses a destination inside the input tree (<Name>) and creates nothing' -ForEach @(
        @{ Name = 'a subfolder'; Rel = 'pruned' }
        @{ Name = 'a class folder'; Rel = 'cat/pruned' }
        @{ Name = 'the root itself'; Rel = '.' }
    ) {
        $dest = [IO.Path]::GetFullPath((Join-Path $root $Rel))
        $state = Get-TreeState $root
        { $decision | Export-PrunedSet $dest } | Should -Throw -ErrorId "DestinationInsideInput,$Cmd"
        Get-TreeState $root | Should -Be $state
        if ($Rel -ne '.') { Test-Path -LiteralPath $dest | Should -BeFalse }
    }

    It 'refuses a destination inside the input tree reached through a symbolic link (<Name>) and creates nothing' -ForEach @(
        @{ Name = 'a link to the tree'; Link = 'alias-in'; To = 'in'; Into = 'alias-in/pruned'; ViaLink = $false }
        @{ Name = 'a link to a class folder, below folders not made yet'; Link = 'alias-cat'; To = 'in/cat'; Into = 'alias-cat/new/pruned'; ViaLink = $false }
        @{ Name = 'a link to the folder above, which holds the sources'; Link = 'alias-up'; To = '.'; Into = 'alias-up'; ViaLink = $false }
        @{ Name = 'sources given through a link, the destination by its real path'; Link = 'alias-src'; To = 'in'; Into = 'in/pruned'; ViaLink = $true }
    ) {
        $safety = Join-Path $TestDrive 'safety'
        $link = Join-Path $safety $Link
        if (-not (Test-Path -LiteralPath $link)) { $null = New-Item -ItemType SymbolicLink -Path $link -Target ([IO.Path]::GetFullPath((Join-Path $safety $To))) }
        $items = if ($ViaLink) { $decision | ForEach-Object { $c = $_.PSObject.Copy(); $c.Path = $c.Path.Replace($root, $link); $c } } else { $decision }
        $dest = Join-Path $safety $Into
        $state = Get-TreeState $root
        { $items | Export-PrunedSet $dest } | Should -Throw -ErrorId "DestinationInsideInput,$Cmd"
        Get-TreeState $root | Should -Be $state
        if ($Into -ne 'alias-up') { Test-Path -LiteralPath $dest | Should -BeFalse }
    }

    It 'refuses a destination that is a file' {
        $file = Join-Path $TestDrive 'safety/a-file'
        Set-Content -LiteralPath $file 'x'
        { $decision | Export-PrunedSet $file } | Should -Throw -ErrorId "DestinationIsFile,$Cmd"
    }

    It 'stops at once with one DestinationNotWritable error naming a read-only destination' -Skip:$IsWindows {
        $dest = Join-Path $TestDrive 'safety/read-only'
        # Root writes through permissions: a read-only tmpfs then; otherwise a folder without write permission.
        $mounted = Mount-Tmpfs $dest 'ro,size=64k'
        if (-not $mounted) { chmod a-w $dest }
        try {
            $stop = $null
            try { $null = $decision | Export-PrunedSet $dest -ErrorVariable err -ErrorAction SilentlyContinue } catch { $stop = $_ }
            $stop.FullyQualifiedErrorId | Should -Be "DestinationNotWritable,$Cmd"
            $stop.Exception.Message | Should -BeLike "*'$dest'*"
            $stop.Exception.Message | Should -Not -BeLike '*prune-tmp*'
            @($err | Where-Object { $_ -is [Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -ne "DestinationNotWritable,$Cmd" }) | Should -HaveCount 0
        }
        finally { if ($mounted) { umount $dest } else { chmod u+w $dest } }
    }

    It 'never modifies, moves or deletes a source, whatever the mode' {
        $state = Get-TreeState $root
        $out = Join-Path $TestDrive 'safety/out'
        $null = $decision | Export-PrunedSet "$out-copy"
        if (-not $IsWindows) { $null = $decision | Export-PrunedSet "$out-hard" -Mode HardLink }
        $null = $decision | Export-PrunedSet "$out-sym" -Mode SymbolicLink
        # -Force over a different file, and a re-apply from the manifest.
        New-SourceFile "$out-copy/cat/a.png" -Size 50 -Seed 77
        $null = $decision | Export-PrunedSet "$out-copy" -Force
        $null = Import-Csv "$out-copy/manifest.csv" | Export-PrunedSet "$out-copy"
        Get-TreeState $root | Should -Be $state
    }
}

Describe 'Export-PrunedSet output' {
    BeforeAll {
        $root = Join-Path $TestDrive 'output/in'
        $decision = New-DecidedTree -Root $root
    }

    It 'writes one summary that reads as a line: copied, linked, skipped, failed' {
        $s = @($decision | Export-PrunedSet (Join-Path $TestDrive 'output/one'))
        $s | Should -HaveCount 1
        $s[0] | Should -BeOfType 'PruneCmdlets.Apply.PrunedSetSummary'
        $s[0].ToString() | Should -Be '3 copied, 0 linked, 0 skipped, 0 failed, 1 pruned'
        $table = $s[0] | Out-String
        $table | Should -Match 'Copied\s+Linked\s+Skipped\s+Failed\s+Pruned'
        $table | Should -Match '\s3\s+0\s+0\s+0\s+1\s'
        $verbose = $decision | Export-PrunedSet (Join-Path $TestDrive 'output/one') -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match '0 copied, 0 linked, 3 skipped, 0 failed'
    }

    It 'reports progress with files, files/s and bytes, and completes it' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript('param($m, $items, $dest) Import-Module $m; $items | Export-PrunedSet $dest').
                AddArgument($ManifestPath).AddArgument(@($decision)).AddArgument((Join-Path $TestDrive 'output/progress'))
            $result = $ps.Invoke()
            $ps.Streams.Error | Should -HaveCount 0
            $result[0].Copied | Should -Be 3
            $progress = @($ps.Streams.Progress | Where-Object Activity -EQ 'Export-PrunedSet')
            $progress.Count | Should -BeGreaterThan 1
            $status = $progress | Where-Object RecordType -EQ 'Processing' | Select-Object -Last 1
            $status.StatusDescription | Should -Match '^3 of 3 files, [\d.,]+ of [\d.,]+ MiB; [\d.,]+ files/s, [\d.,]+ MiB/s$'
            $status.PercentComplete | Should -Be 100
            $progress[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }
}

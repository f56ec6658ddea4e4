# Helpers shared by the apply and undo tests (dot-sourced in BeforeAll, after TestHelpers.ps1, which sets $ManifestPath).

# Files with distinct, seeded random bytes; sizes differ per file.
function New-SourceFile {
    param([string] $Path, [int] $Size = 3000, [int] $Seed = 1)
    $null = [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($Path))
    $bytes = [byte[]]::new($Size)
    [Random]::new($Seed).NextBytes($bytes)
    [IO.File]::WriteAllBytes($Path, $bytes)
}

# Every file under a folder, hidden ones included, as sorted '/'-separated relative paths.
function Get-RelativeFiles {
    param([string] $Folder)
    [string[]] $all = @(Get-ChildItem -LiteralPath $Folder -Recurse -File -Force | ForEach-Object { [IO.Path]::GetRelativePath($Folder, $_.FullName).Replace('\', '/') })
    [Array]::Sort($all, [StringComparer]::Ordinal)
    $all
}

function Get-Sha256 { param([string] $Path) (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

# A child pwsh applying cls/a.bin, b.bin and c.bin from $Root into $Dest, caught in the middle
# of b: b is a FIFO, so the copy reads what the writer sends, then waits for more. Returns the
# child, the writer and b's temporary file once 1 MB of b is on disk under it (a and c are
# 5 000 bytes, so the one temporary file that large is b's), the child still running.
function Start-BlockedExport {
    param([string] $Root, [string] $Dest)
    New-SourceFile (Join-Path $Root 'cls/a.bin') -Size 5000 -Seed 1
    New-SourceFile (Join-Path $Root 'cls/c.bin') -Size 5000 -Seed 3
    $b = Join-Path $Root 'cls/b.bin'
    mkfifo -- $b
    $writerInfo = [Diagnostics.ProcessStartInfo]::new('sh')
    foreach ($a in '-c', "exec 3>'$b'; head -c 3000000 /dev/urandom >&3; exec sleep 60") { $writerInfo.ArgumentList.Add($a) }
    $writerInfo.RedirectStandardOutput = $true   # so no process of it holds the test run's output open
    $writerInfo.RedirectStandardError = $true
    $writer = [Diagnostics.Process]::Start($writerInfo)
    $child = Start-ChildPwsh "Import-Module '$ManifestPath'; 'a', 'b', 'c' | ForEach-Object { [pscustomobject]@{ Path = '$Root/cls/' + `$_ + '.bin' } } | Export-PrunedSet '$Dest' -RelativeTo '$Root'"
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $partial = $null
    while (-not $partial -and $clock.Elapsed.TotalSeconds -lt 30 -and -not $child.HasExited) {
        Start-Sleep -Milliseconds 50
        $partial = Get-ChildItem -LiteralPath (Join-Path $Dest 'cls') -Force -File -ErrorAction SilentlyContinue |
            Where-Object { $_.Name -like '.*.prune-tmp' -and $_.Length -ge 1MB }
    }
    $run = [pscustomobject]@{ Child = $child; Writer = $writer; Partial = $partial; Fifo = $b }
    try {
        $child.HasExited | Should -BeFalse -Because 'the child waits on the FIFO until it is killed'
        $partial | Should -Not -BeNullOrEmpty -Because 'part of b reached the disk under a temporary name'
    }
    catch { Stop-BlockedExport $run; throw }
    $run
}
# After the blocked run is killed, b becomes a plain file again and the same command finishes
# the job: the leftover removed, a skipped, b and c copied, and nothing else left (no lock).
function Complete-KilledExport {
    param($Run, [string] $Root, [string] $Dest)
    Remove-Item -LiteralPath $Run.Fifo
    New-SourceFile $Run.Fifo -Size 4000 -Seed 2
    $s = 'a', 'b', 'c' | ForEach-Object { [pscustomobject]@{ Path = "$Root/cls/$_.bin" } } | Export-PrunedSet $Dest -RelativeTo $Root
    $s.TemporaryFilesRemoved, $s.Skipped, $s.Copied, $s.Failed | Should -Be 1, 1, 2, 0
    Get-RelativeFiles $Dest | Should -Be @('cls/a.bin', 'cls/b.bin', 'cls/c.bin', 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
    Get-Sha256 (Join-Path $Dest 'cls/b.bin') | Should -Be (Get-Sha256 $Run.Fifo)
}
function Stop-BlockedExport {
    param($Run)
    if (-not $Run.Child.HasExited) { $Run.Child.Kill($true) }   # SIGKILL: no catch, no finally runs in the child
    $Run.Child.WaitForExit()
    if (-not $Run.Writer.HasExited) { $Run.Writer.Kill($true) }
    $Run.Writer.WaitForExit()
}

# Hash and write time of every file under a tree, to prove the sources are left as they were.
function Get-TreeState {
    param([string] $Root)
    Get-ChildItem -LiteralPath $Root -Recurse -File -Force | Sort-Object FullName |
        ForEach-Object { '{0}|{1}|{2}' -f $_.FullName, (Get-Sha256 $_.FullName), $_.LastWriteTimeUtc.Ticks }
}

# examples/slurm on a real single-node Slurm cluster: the sharded pipeline (Fit, then job arrays
# with dependencies) on real Fashion-MNIST images keeps exactly the Ids one process keeps, and
# a re-submitted run changes nothing. .ci/run installs slurm-wlm, munge and the images; where
# they are missing the test is not defined and build.ps1 says so.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Slurm.ps1')
    $script:absence = Get-SlurmTestAbsence
    if ($script:absence) { Write-Host "Slurm test NOT RUN: $script:absence." -ForegroundColor Yellow }
}

# Not defined (rather than skipped, which the Test task counts as failed) where Slurm is missing.
if (-not $absence) {
Describe 'examples/slurm on a single-node Slurm cluster' -Tag Slurm {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        . (Join-Path $PSScriptRoot 'Slurm.ps1')
        Import-Module $ManifestPath -Force
        $repo = Split-Path $PSScriptRoot
        $slurmDir = Join-Path ([IO.Path]::GetTempPath()) ("prune-slurm-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))   # short: unix socket paths are limited
        $start = & bash (Join-Path $repo 'examples/slurm/local-slurm.sh') start $slurmDir 2>&1
        if ($LASTEXITCODE) { throw "Starting Slurm failed: $start" }
        $env:SLURM_CONF = Join-Path $slurmDir 'slurm.conf'

        $data = Join-Path $TestDrive 'fmnist'
        $made = Invoke-ChildPwsh "& '$(Join-Path $repo 'examples/fashion-mnist.ps1')' -OutputDirectory '$data' -Limit 400 -ImagesOnly"
        $images = Join-Path $data 'images/train'
        if (-not (Test-Path $images)) { throw "Writing the Fashion-MNIST images failed: $made" }
        $work = Join-Path $TestDrive 'run'

        $pwshCommand = (Get-ChildPwshCommand) -join ' '
        function Invoke-Submit([string] $Work = $work, [hashtable] $Policy = @{}) {
            $saved = @{}
            $settings = @{ PRUNE_WAIT = '1'; PRUNE_PWSH = $pwshCommand; PRUNE_K = '8'; PRUNE_KEEP = 'Hard'; PRUNE_KEEP_FRACTION = '0.4'; PRUNE_BALANCE_BY = 'Label'; PRUNE_SEED = '3' }
            foreach ($k in $Policy.Keys) { $settings[$k] = $Policy[$k] }
            foreach ($k in $settings.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $settings[$k]) }
            try { $out = & bash (Join-Path $repo 'examples/slurm/submit.sh') $images $Work 4 2>&1 }
            finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
            [pscustomobject]@{ Code = $LASTEXITCODE; Output = "$out" }
        }
        $first = Invoke-Submit
        $keptPath = Join-Path $work 'kept.txt'
        $firstBytes = if (Test-Path $keptPath) { [IO.File]::ReadAllBytes($keptPath) }
        $firstTime = if (Test-Path $keptPath) { (Get-Item $keptPath).LastWriteTimeUtc }
    }

    AfterAll {
        & bash (Join-Path $repo 'examples/slurm/local-slurm.sh') stop $slurmDir
        Remove-Item Env:SLURM_CONF -ErrorAction Ignore
        Remove-Item $slurmDir -Recurse -Force -ErrorAction Ignore
    }

    It 'runs every job of the chain to completion' {
        $logs = (Get-ChildItem (Join-Path $work 'logs') -File | ForEach-Object { "== $($_.Name)`n" + (Get-Content -Raw $_.FullName) }) -join "`n"
        $first.Code | Should -Be 0 -Because "$($first.Output)`n$logs"
        @(Get-ChildItem (Join-Path $work 'r1') -Filter *.json).Count | Should -Be 4
        @(Get-ChildItem (Join-Path $work 'r2') -Filter *.json).Count | Should -Be 4
        @(Get-ChildItem (Join-Path $work 'emb') -Filter *.parquet).Count | Should -Be 4
        $firstBytes | Should -Not -BeNullOrEmpty
    }

    It 'keeps exactly the Ids that one process keeps with the same model and policy' {
        $model = Import-KMeansModel (Join-Path $work 'model.json')
        $single = [string[]]@(Get-ChildItem $images -Recurse -File | Get-Embedding | Measure-Prototypicality -Model $model |
                Select-PrunedSet -Keep Hard -KeepFraction 0.4 -BalanceBy Label -Seed 3 | ForEach-Object Id)
        [Array]::Sort($single, [StringComparer]::Ordinal)
        $sharded = [IO.File]::ReadAllLines($keptPath)
        $single.Count | Should -Be 160   # 40 % of 400, per label
        $sharded.Count | Should -Be $single.Count
        ($sharded -join "`n") | Should -BeExactly ($single -join "`n")
        # Every shard held part of the data: the cut really was found from several summaries.
        foreach ($i in 0..3) { @(Import-Csv (Join-Path $work "decided/$i.csv")).Count | Should -BeGreaterThan 50 }
        # The records were balanced by label across shards: 40 % of each class, as one process does.
        $rows = Get-ChildItem (Join-Path $work 'decided') -Filter *.csv | ForEach-Object { Import-Csv $_.FullName }
        foreach ($g in $rows | Group-Object Label) {
            $kept = @($g.Group | Where-Object Kept -EQ 'True').Count
            [Math]::Abs($kept - 0.4 * $g.Count) | Should -BeLessOrEqual 1 -Because "label $($g.Name) keeps $kept of $($g.Count) records"
        }
    }

    It 'keeps what one process keeps for <Keep> balanced by <BalanceBy> too' -ForEach @(
        @{ Keep = 'Easy'; BalanceBy = 'None'; Fraction = '0.3'; Expected = 120 }
        @{ Keep = 'Random'; BalanceBy = 'Cluster'; Fraction = '0.5'; Expected = 200 }
        @{ Keep = 'Hard'; BalanceBy = 'Density'; Fraction = '0.6'; Expected = 240 }
    ) {
        # The same chain with another policy, on the first run's model and embeddings: Fit and the
        # embedding part of Shard see their outputs and skip, every summary and cut is new.
        $other = Join-Path $TestDrive "run-$Keep-$BalanceBy"
        foreach ($dir in 'emb', 'unreadable') { Copy-Item (Join-Path $work $dir) (Join-Path $other $dir) -Recurse -Force }
        Copy-Item (Join-Path $work 'model.json') $other
        $run = Invoke-Submit -Work $other -Policy @{ PRUNE_KEEP = $Keep; PRUNE_BALANCE_BY = $BalanceBy; PRUNE_KEEP_FRACTION = $Fraction }
        $run.Code | Should -Be 0 -Because $run.Output
        $model = Import-KMeansModel (Join-Path $other 'model.json')
        $single = [string[]]@(Import-Embedding (Join-Path $other 'emb') | Measure-Prototypicality -Model $model |
                Select-PrunedSet -Keep $Keep -KeepFraction ([double]$Fraction) -BalanceBy $BalanceBy -Seed 3 | ForEach-Object Id)
        [Array]::Sort($single, [StringComparer]::Ordinal)
        $single.Count | Should -Be $Expected
        ([IO.File]::ReadAllLines((Join-Path $other 'kept.txt')) -join "`n") | Should -BeExactly ($single -join "`n")
    }

    It 'does nothing when the finished run is submitted again' {
        $again = Invoke-Submit
        $again.Code | Should -Be 0 -Because $again.Output
        $logs = Get-ChildItem (Join-Path $work 'logs') -File | Where-Object Name -Like 'prune-Shard-*' | Sort-Object LastWriteTimeUtc | Select-Object -Last 1
        Get-Content -Raw $logs.FullName | Should -Match 'already done'
        [IO.File]::ReadAllBytes($keptPath) | Should -Be $firstBytes
        (Get-Item $keptPath).LastWriteTimeUtc | Should -Be $firstTime -Because 'Collect is skipped when kept.txt exists'
    }
}
}

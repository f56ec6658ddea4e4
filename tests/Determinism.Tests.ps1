BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force

    # 1800 records of 70 dimensions (four 16-lane chunks and a tail of 6) around 12 centres,
    # with values over several binades and every 15th record a near-copy of the one before, so
    # SemDeDup has pairs to find. Written once; every child process reads the same floats.
    $rng = [Random]::new(20)
    $centres = foreach ($c in 1..12) { , [double[]]@(foreach ($d in 1..70) { ($rng.NextDouble() - 0.5) * [Math]::Pow(2, $rng.Next(-2, 3)) }) }
    $records = [Collections.Generic.List[object]]::new()
    for ($i = 0; $i -lt 1800; $i++) {
        $v = [float[]]::new(70)
        if ($i % 15 -eq 14) {
            $prev = $records[$i - 1].Vector
            for ($d = 0; $d -lt 70; $d++) { $v[$d] = $prev[$d] * (1 + 1e-4 * ($rng.NextDouble() - 0.5)) }
        }
        else {
            $c = $centres[$i % 12]
            for ($d = 0; $d -lt 70; $d++) { $v[$d] = $c[$d] + 0.3 * ($rng.NextDouble() - 0.5) * [Math]::Pow(2, $rng.Next(-3, 2)) }
        }
        $records.Add((New-VectorRecord -Id "r$i" -Vector $v))
    }
    $script:npy = Join-Path $TestDrive 'x.npy'
    $script:ids = Join-Path $TestDrive 'ids.txt'
    $records | Export-Embedding -Path $npy -IdPath $ids

    # The pipeline of the README, in a fresh process; every Distance as its raw bits. The first
    # line says which vector width the process ran with, so a variable the runtime ignored
    # cannot pass for a different width. It names AVX-512 first: the distance kernels choose
    # their 16-float tiles by Avx512F.IsSupported, while Vector<float> stays at 8 floats on an
    # AVX-512 machine, so without it the default and AVX-512-off runs would read alike.
    function Invoke-Pipeline([hashtable] $Environment, [string] $Balance) {
        $script = @"
Import-Module '$ManifestPath'
'WIDTH ' + [Runtime.Intrinsics.X86.Avx512F]::IsSupported + ' ' + [Numerics.Vector]::IsHardwareAccelerated + ' ' + [Numerics.Vector[float]]::Count + ' ' + [Runtime.Intrinsics.Vector256]::IsHardwareAccelerated + ' ' + [Runtime.Intrinsics.Vector128]::IsHardwareAccelerated
`$out = Import-Embedding -Path '$npy' -IdPath '$ids' | Invoke-KMeans -K 12 -Seed 7 | Invoke-SemDeDup -Epsilon 0.001 -IncludePruned |
    Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.5 -BalanceBy $Balance -IncludePruned
'INERTIA ' + [BitConverter]::DoubleToInt64Bits(`$out[0].KMeansModel.Inertia)
foreach (`$r in `$out) { 'ROW ' + `$r.Id + ' ' + `$r.Cluster + ' ' + [BitConverter]::DoubleToInt64Bits(`$r.Distance) + ' ' + `$r.Kept }
"@
        $lines = Invoke-ChildPwsh -Command $script -Environment $Environment
        $rows = @($lines | Where-Object { $_ -like 'ROW *' })
        $rows.Count | Should -Be 1800 -Because ($lines | Select-Object -Last 5 | Out-String)
        [pscustomobject]@{
            Width   = $lines | Where-Object { $_ -like 'WIDTH *' }
            Inertia = $lines | Where-Object { $_ -like 'INERTIA *' }
            Rows    = $rows
        }
    }

    # Default (AVX2 here: 8 floats), AVX2 off (4 floats, as on Arm64), no SIMD at all; and AVX-512
    # off where the machine has it, so the default there is the 16-float width. .NET 10 reads
    # EnableAVX512 (F, BW, CD, DQ and VL as one); EnableAVX512F is the older name of the same.
    $script:settings = @(
        @{ DOTNET_EnableAVX2 = '0' }
        @{ DOTNET_EnableHWIntrinsic = '0' }
    )
    if ($IsLinux -and (Select-String -Path /proc/cpuinfo -Pattern '\bavx512f\b' -Quiet)) { $script:settings += @{ DOTNET_EnableAVX512 = '0'; DOTNET_EnableAVX512F = '0' } }
}

Describe 'The same bits on every vector width' {
    It 'gives bit-identical Cluster, Distance, Kept and inertia under -BalanceBy <Balance>' -ForEach @(
        @{ Balance = 'Density' }
        @{ Balance = 'Cluster' }
    ) {
        $reference = Invoke-Pipeline @{} $Balance
        # The run is worth comparing: more than the 900 the selection alone would prune, so
        # SemDeDup pruned near-copies too.
        @($reference.Rows | Where-Object { $_ -like '* False' }).Count | Should -BeGreaterThan 900
        $widths = @($reference.Width)
        foreach ($environment in $settings) {
            $other = Invoke-Pipeline $environment $Balance
            $widths += $other.Width
            $differ = @(for ($i = 0; $i -lt 1800; $i++) { if ($other.Rows[$i] -cne $reference.Rows[$i]) { "$($reference.Rows[$i]) / $($other.Rows[$i])" } })
            $differ.Count | Should -Be 0 -Because "$($environment.Keys) = 0 changes rows like $($differ | Select-Object -First 3)"
            $other.Inertia | Should -Be $reference.Inertia -Because "$($environment.Keys) = 0"
        }
        @($widths | Select-Object -Unique).Count | Should -Be $widths.Count -Because "each variable must change the width: $($widths -join '; ')"
    }
}

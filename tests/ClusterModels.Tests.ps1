BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force

    # Daily batches placed against one saved model: two Import-KMeansModel loads of one file are
    # two objects with one fingerprint. A model of another run has another fingerprint.
    $centres = @([double[]](4, 0, 0, 1), [double[]](0, 4, 1, 0), [double[]](0, 1, 0, 4))
    $blobs = @(New-BlobRecords -Centres $centres -PerBlob 10 -Spread 0.8)
    $fit = $blobs | Invoke-KMeans -K 3 -Seed 5
    $fit[0].KMeansModel | Save-KMeansModel (Join-Path $TestDrive 'model.json')
    ($blobs | Invoke-KMeans -K 3 -Seed 9 -Init Random)[0].KMeansModel | Save-KMeansModel (Join-Path $TestDrive 'other.json')
    $script:one = Import-KMeansModel (Join-Path $TestDrive 'model.json')
    $script:two = Import-KMeansModel (Join-Path $TestDrive 'model.json')
    $script:different = Import-KMeansModel (Join-Path $TestDrive 'other.json')

    $first = @($blobs[0..14] | Measure-Prototypicality -Model $one)
    $script:single = @($blobs | Measure-Prototypicality -Model $one)
    $script:twoLoads = $first + @($blobs[15..29] | Measure-Prototypicality -Model $two)
    $script:twoModels = $first + @($blobs[15..29] | Measure-Prototypicality -Model $different)

    # What each command emits, as text that holds every decision.
    function Get-Outcome([object[]] $Records) { $Records | ForEach-Object { "$($_.Id) $($_.Cluster) $($_.Distance) $($_.Kept)" } }
}

Describe 'One model, one rule' {
    It 'the fixture holds two objects of one model and one of another' {
        [object]::ReferenceEquals($one, $two) | Should -BeFalse
        $two.Fingerprint | Should -Be $one.Fingerprint
        $different.Fingerprint | Should -Not -Be $one.Fingerprint
    }

    Context '<Command>' -ForEach @(
        @{ Command = 'Invoke-SemDeDup'; Type = 'InvokeSemDeDupCommand'; Run = { param($r) $r | Invoke-SemDeDup -Epsilon 0.5 -IncludePruned } }
        @{ Command = 'Measure-Prototypicality'; Type = 'MeasurePrototypicalityCommand'; Run = { param($r) $r | Measure-Prototypicality } }
        @{ Command = 'Select-PrunedSet -BalanceBy Density'; Type = 'SelectPrunedSetCommand'; Run = { param($r) $r | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Density -IncludePruned } }
        @{ Command = 'Select-PrunedSet -BalanceBy Cluster'; Type = 'SelectPrunedSetCommand'; Run = { param($r) $r | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Cluster -IncludePruned } }
        @{ Command = 'Measure-ShardSummary'; Type = 'MeasureShardSummaryCommand'; Run = { param($r) $path = Join-Path $TestDrive "s-$([guid]::NewGuid()).json"; $r | Measure-ShardSummary $path -KeepFraction 0.5 -BalanceBy Cluster -Index 0 -Count 2; Get-Content -Raw $path } }
        @{ Command = 'Save-KMeansModel'; Type = 'SaveKMeansModelCommand'; Run = { param($r) $path = Join-Path $TestDrive "m-$([guid]::NewGuid()).json"; $r | Save-KMeansModel $path; Get-Content -Raw $path } }
    ) {
        It 'accepts two loads of one saved model, with the outcome of one load' {
            $got = & $Run $twoLoads
            $want = & $Run $single
            @($got).Count | Should -BeGreaterThan 0
            if ($got[0] -is [string]) { $got | Should -Be $want }
            else { Get-Outcome $got | Should -Be (Get-Outcome $want) }
        }
        It 'refuses two different models with MixedClusterModels' {
            { & $Run $twoModels } | Should -Throw -ErrorId "MixedClusterModels,PruneCmdlets.Commands.$Type"
        }
    }
}

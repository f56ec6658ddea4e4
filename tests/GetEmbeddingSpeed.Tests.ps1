# The fast paths of Get-Embedding give the same numbers as the slow ones they replace.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    Initialize-SyntheticImages
    $S = [PruneCmdlets.Examples.SyntheticImages]
    $models = Join-Path (Split-Path $ManifestPath) 'module/bin/models'
}

Describe 'Get-Embedding fast paths' {
    Context 'the embedded ResNet18 preprocessing graph, folded into the tensor build' {
        BeforeAll {
            $model = [PruneCmdlets.Embedding.ImageEmbeddingModel]::LoadDefault('Cpu', $models)
            $graph = [Microsoft.ML.OnnxRuntime.InferenceSession]::new((Join-Path $models 'ResNetPreprocess.onnx'))
            $rgb = $S::Draw(3, 1, 300, 200)
            $image = $rgb.CloneAs[SixLabors.ImageSharp.PixelFormats.Rgba32]()
            $preset = [PruneCmdlets.Embedding.ImagePreprocessing]::Presets['ResNet18']
            # What the graph gets: the preset's 0–255 RGB tensor.
            $plain = [float[]]::new($preset.TensorLength)
            [PruneCmdlets.Embedding.ImageResampler]::ToTensor($image, $preset, $plain)
            $shape = [long[]](1, 3, 224, 224)
            $value = [Microsoft.ML.OnnxRuntime.OrtValue]::CreateTensorValueFromMemory[float]($plain, $shape)
            $run = [Microsoft.ML.OnnxRuntime.RunOptions]::new()
            $expected = [float[]]::new($preset.TensorLength)
            $out = [Microsoft.ML.OnnxRuntime.OrtValue]::CreateTensorValueFromMemory[float]($expected, $shape)
            $graph.Run($run, [string[]]@($graph.InputMetadata.Keys), [Microsoft.ML.OnnxRuntime.OrtValue[]]@($value), [string[]]@($graph.OutputMetadata.Keys), [Microsoft.ML.OnnxRuntime.OrtValue[]]@($out))
            $folded = [float[]]::new($preset.TensorLength)
            [PruneCmdlets.Embedding.ImageResampler]::ToTensor($image, $model.Preprocessing, $folded)
        }
        AfterAll {
            $out.Dispose(); $value.Dispose(); $run.Dispose(); $graph.Dispose(); $model.Dispose(); $image.Dispose(); $rgb.Dispose()
        }
        It 'is folded: BGR with the mean image, no second session' {
            $model.Preprocessing.ChannelOrder | Should -Be 'BGR'
            $model.Preprocessing.MeanImage.Length | Should -Be (3 * 224 * 224)
        }
        It 'gives the tensor the graph gives, bit for bit' {
            $expected.Length | Should -Be $folded.Length
            $differ = 0
            for ($i = 0; $i -lt $folded.Length; $i++) { if ([BitConverter]::SingleToInt32Bits($folded[$i]) -ne [BitConverter]::SingleToInt32Bits($expected[$i])) { $differ++ } }
            $differ | Should -Be 0
            # The graph really does something here: its output is not the plain tensor.
            [Linq.Enumerable]::SequenceEqual($expected, $plain) | Should -BeFalse
        }
    }

    Context 'the optimised graph cache' {
        BeforeAll {
            $saved = [Environment]::GetEnvironmentVariable('PRUNECMDLETS_ORT_CACHE')
            $cacheDir = Join-Path $TestDrive 'ort'
            [Environment]::SetEnvironmentVariable('PRUNECMDLETS_ORT_CACHE', $cacheDir)
            $img = Join-Path $TestDrive 'cache-probe.png'
            $S::SavePng(1, 4, 96, 80, $img)
            function Invoke-Embedding { $r = Get-Embedding -LiteralPath $img -Verbose 4>&1; @{ Vector = ($r | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] }).Vector; Verbose = "$($r | Where-Object { $_ -is [Management.Automation.VerboseRecord] })" } }
            $first = Invoke-Embedding
            $entry = @(Get-ChildItem $cacheDir -Filter 'ResNet18-*.onnx')
            $second = Invoke-Embedding
        }
        AfterAll { [Environment]::SetEnvironmentVariable('PRUNECMDLETS_ORT_CACHE', $saved) }
        It 'saves the optimised graph once, under the model''s name, and says so' {
            $entry.Count | Should -Be 1
            $entry[0].Length | Should -BeGreaterThan 40MB
            $first.Verbose | Should -BeLike '*optimised from the source and saved to*'
            @(Get-ChildItem $cacheDir -Filter '*.tmp').Count | Should -Be 0
        }
        It 'loads it in the next session, with the same embedding bit for bit' {
            $second.Verbose | Should -BeLike "*optimised graph loaded from $($entry[0].FullName)*"
            [Linq.Enumerable]::SequenceEqual([float[]]$first.Vector, [float[]]$second.Vector) | Should -BeTrue
        }
        It 'replaces an entry that does not load and still embeds the same' {
            [IO.File]::WriteAllBytes($entry[0].FullName, [byte[]](1..100))
            $third = Invoke-Embedding
            $third.Verbose | Should -BeLike '*optimised from the source and saved to*'
            (Get-Item $entry[0].FullName).Length | Should -BeGreaterThan 40MB
            [Linq.Enumerable]::SequenceEqual([float[]]$first.Vector, [float[]]$third.Vector) | Should -BeTrue
        }
        It 'is off when the variable is empty' {
            [Environment]::SetEnvironmentVariable('PRUNECMDLETS_ORT_CACHE', '')
            try { (Invoke-Embedding).Verbose | Should -BeLike '*optimised from the source (no cache folder)*' }
            finally { [Environment]::SetEnvironmentVariable('PRUNECMDLETS_ORT_CACHE', $cacheDir) }
        }
    }
}

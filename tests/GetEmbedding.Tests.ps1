BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    Initialize-SyntheticImages
    $S = [PruneCmdlets.Examples.SyntheticImages]

    function Get-Cosine([float[]] $a, [float[]] $b) {
        $dot = 0.0; $na = 0.0; $nb = 0.0
        for ($i = 0; $i -lt $a.Length; $i++) { $dot += $a[$i] * $b[$i]; $na += $a[$i] * $a[$i]; $nb += $b[$i] * $b[$i] }
        $dot / [Math]::Sqrt($na * $nb)
    }

    $root = Join-Path $TestDrive 'set'
    foreach ($c in 0, 2) {
        $dir = New-Item -ItemType Directory -Force (Join-Path $root $S::Classes[$c])
        foreach ($v in 0..2) { $S::SavePng($c, $v, 64, 64, (Join-Path $dir "img$v.png")) }
    }
    $nested = New-Item -ItemType Directory -Force (Join-Path $root 'circles/deeper')
    $S::SaveJpeg(0, 9, 64, 48, (Join-Path $nested 'deep.jpg'), 90)
    Set-Content (Join-Path $root 'circles/readme.txt') 'not an image and not image-named'
}

Describe 'Get-Embedding' {
    Context 'records' {
        BeforeAll {
            $file = Join-Path $root 'circles/img0.png'
            $rec = Get-Embedding -LiteralPath $file
        }
        It 'emits a typed record with a 512-d vector from the embedded ResNet18' {
            $rec | Should -BeOfType ([PruneCmdlets.EmbeddingRecord])
            $rec.Vector | Should -HaveCount 512
            $rec.Vector.GetType() | Should -Be ([float[]])
            $rec.Model | Should -Be 'ResNet18'
        }
        It 'uses the full path as Id and Path and the parent folder as Label' {
            $rec.Id | Should -Be $file
            $rec.Path | Should -Be $file
            $rec.Label | Should -Be 'circles'
        }
        It 'produces a non-trivial, finite embedding' {
            ($rec.Vector | Where-Object { [float]::IsNaN($_) -or [float]::IsInfinity($_) }) | Should -BeNullOrEmpty
            ($rec.Vector | Measure-Object -Maximum).Maximum | Should -BeGreaterThan 0
            @($rec.Vector | Where-Object { $_ -ne 0 }).Count | Should -BeGreaterThan 100
        }
        It 'is deterministic for the same file' {
            $again = Get-Embedding -LiteralPath $file
            $again.Vector | Should -Be $rec.Vector
        }
        It '-Label overrides and -NoLabel clears the label' {
            (Get-Embedding -LiteralPath $file -Label 'cat').Label | Should -Be 'cat'
            (Get-Embedding -LiteralPath $file -NoLabel).Label | Should -BeNullOrEmpty
        }
        It 'refuses -Label with -NoLabel' {
            { Get-Embedding -LiteralPath $file -Label x -NoLabel } | Should -Throw -ErrorId 'LabelConflict,PruneCmdlets.Commands.GetEmbeddingCommand'
        }
    }

    Context 'input binding' {
        It 'takes Get-ChildItem output by property name, in input order' {
            $files = Get-ChildItem (Join-Path $root 'stripes') -File | Sort-Object Name
            $recs = $files | Get-Embedding
            $recs.Id | Should -Be $files.FullName
        }
        It 'expands a directory recursively to its image files only, sorted' {
            $recs = Get-Embedding -Path (Join-Path $root 'circles')
            $recs | Should -HaveCount 4
            $recs.Id | Should -Contain (Join-Path $root 'circles/deeper/deep.jpg')
            ($recs.Id -like '*readme.txt') | Should -BeNullOrEmpty
            $recs.Id | Should -Be ($recs.Id | Sort-Object { $_ } -CaseSensitive)
            ($recs | Where-Object Id -Like '*deep.jpg').Label | Should -Be 'deeper'
        }
        It 'resolves wildcards in -Path' {
            $recs = Get-Embedding -Path (Join-Path $root 'stripes/img[01].png')
            $recs | Should -HaveCount 2
        }
        It 'reports a missing path as PathNotFound and goes on' {
            $recs = Get-Embedding -LiteralPath (Join-Path $root 'nope.png'), (Join-Path $root 'circles/img1.png') -ErrorVariable err -ErrorAction SilentlyContinue
            $recs | Should -HaveCount 1
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
        }
    }

    Context 'embeddings carry meaning' {
        It 'places images of one class closer together than images of another' {
            $a = Get-Embedding -LiteralPath (Join-Path $root 'circles/img0.png')
            $b = Get-Embedding -LiteralPath (Join-Path $root 'circles/img1.png')
            $c = Get-Embedding -LiteralPath (Join-Path $root 'stripes/img0.png')
            (Get-Cosine $a.Vector $b.Vector) | Should -BeGreaterThan (Get-Cosine $a.Vector $c.Vector)
        }
    }

    Context 'pixel formats' {
        BeforeAll {
            $fmt = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'formats')
            $S::SavePng(1, 4, 96, 64, (Join-Path $fmt 'rgb.png'))
            $S::SaveGrey(1, 4, 96, 64, (Join-Path $fmt 'grey.png'))
            $S::SavePalette(1, 4, 96, 64, (Join-Path $fmt 'palette.png'))
            $S::Save16Bit(1, 4, 96, 64, (Join-Path $fmt 'rgb16.png'))
            $S::SaveAlpha(1, 4, 96, 64, (Join-Path $fmt 'alpha.png'))
            $S::SaveCmyk(1, 4, 96, 64, (Join-Path $fmt 'cmyk.jpg'))
            $S::SaveExifRotated(1, 4, 96, 64, (Join-Path $fmt 'exif6.jpg'))
            $S::SaveJpeg(1, 4, 96, 64, (Join-Path $fmt 'upright.jpg'), 95)
            $reference = Get-Embedding -LiteralPath (Join-Path $fmt 'rgb.png')
        }
        It 'embeds <Name> close to the RGB original' -ForEach @(
            @{ Name = 'palette.png'; Min = 0.95 }
            @{ Name = 'rgb16.png'; Min = 0.999 }
            @{ Name = 'alpha.png'; Min = 0.999 }
            @{ Name = 'cmyk.jpg'; Min = 0.9 }
            @{ Name = 'grey.png'; Min = 0.6 }
        ) {
            $rec = Get-Embedding -LiteralPath (Join-Path $fmt $Name)
            $rec.Vector | Should -HaveCount 512
            (Get-Cosine $rec.Vector $reference.Vector) | Should -BeGreaterThan $Min
        }
        It 'applies EXIF orientation (a rotated file embeds like the upright one, not like its stored pixels)' {
            $upright = Get-Embedding -LiteralPath (Join-Path $fmt 'upright.jpg')
            $rotated = Get-Embedding -LiteralPath (Join-Path $fmt 'exif6.jpg')
            (Get-Cosine $upright.Vector $rotated.Vector) | Should -BeGreaterThan 0.97
        }
    }

    Context 'bad files' {
        BeforeAll {
            $bad = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'bad')
            Set-Content (Join-Path $bad 'text.png') 'plain text'
            $null = New-Item -ItemType File (Join-Path $bad 'empty.jpg')
            $S::SavePng(3, 1, 64, 64, (Join-Path $bad 'good.png'))
            $S::SaveSolid(3000, 2000, (Join-Path $bad 'huge.png'))
        }
        It 'reports an undecodable file as ImageDecodeFailed naming it, and embeds the rest' {
            $recs = Get-Embedding -LiteralPath (Join-Path $bad 'text.png'), (Join-Path $bad 'good.png'), (Join-Path $bad 'empty.jpg') -ErrorVariable err -ErrorAction SilentlyContinue
            $recs | Should -HaveCount 1
            $recs.Id | Should -Be (Join-Path $bad 'good.png')
            $err | Should -HaveCount 2
            $err.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'ImageDecodeFailed,*' }
            $err[0].TargetObject | Should -Be (Join-Path $bad 'text.png')
            $err[0].Exception.Message | Should -BeLike '*text.png*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        }
        It 'reports a file it cannot read (a link to a file gone since the listing) as FileReadFailed, not ImageDecodeFailed' {
            $gone = Join-Path $bad 'gone.png'
            $null = New-Item -ItemType SymbolicLink -Path $gone -Target (Join-Path $TestDrive 'no-such-file.png')
            try {
                $recs = Get-ChildItem -LiteralPath $gone, (Join-Path $bad 'good.png') | Get-Embedding -ErrorVariable err -ErrorAction SilentlyContinue
                $recs.Id | Should -Be (Join-Path $bad 'good.png')
                $err | Should -HaveCount 1
                $err[0].FullyQualifiedErrorId | Should -BeLike 'FileReadFailed,*'
                $err[0].CategoryInfo.Category | Should -Be 'ReadError'
                $err[0].TargetObject | Should -Be $gone
                $err[0].Exception.Message | Should -BeLike "Cannot read '*gone.png'*"
            }
            finally { Remove-Item -LiteralPath $gone }
        }
        It 'refuses an image above the pixel budget before decoding it' {
            $recs = Get-Embedding -LiteralPath (Join-Path $bad 'huge.png'), (Join-Path $bad 'good.png') -MaxPixels 1000000 -ErrorVariable err -ErrorAction SilentlyContinue
            $recs | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageTooLarge,*'
            $err[0].Exception.Message | Should -BeLike '*3000*2000*'
            $err[0].TargetObject | Should -Be (Join-Path $bad 'huge.png')
        }
        It 'accepts the same image under the default budget' {
            (Get-Embedding -LiteralPath (Join-Path $bad 'huge.png')).Vector | Should -HaveCount 512
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $import = 'PruneCmdlets.Commands.ImportEmbeddingCommand'
    $export = 'PruneCmdlets.Commands.ExportEmbeddingCommand'
    $records = @(
        New-VectorRecord -Id 'img/a.png' -Vector @(1.5, -2, 0.25) -Label cat
        New-VectorRecord -Id 'img/b.png' -Vector @(0, 3.75, 1e-3) -Label dog
        New-VectorRecord -Id 'img/c.png' -Vector @(-7, 8, 9) -Label cat
    )

    # A hand-built .npy: magic, version, little-endian header length, header, data.
    function New-NpyBytes {
        param([string] $Header, [byte[]] $Data, [int] $Major = 1)
        $text = [Text.Encoding]::ASCII.GetBytes($Header + "`n")
        $prefix = [Collections.Generic.List[byte]]::new()
        $prefix.AddRange([byte[]](0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, $Major, 0))
        if ($Major -eq 1) { $prefix.AddRange([BitConverter]::GetBytes([uint16]$text.Length)) }
        else { $prefix.AddRange([BitConverter]::GetBytes([uint32]$text.Length)) }
        $prefix.AddRange($text)
        if ($Data) { $prefix.AddRange($Data) }
        , $prefix.ToArray()
    }
    function Get-FloatBytes([float[]] $Values) { , [byte[]]($Values | ForEach-Object { [BitConverter]::GetBytes($_) } | ForEach-Object { $_ }) }
}

Describe 'Export-Embedding and Import-Embedding' {
    It 'round-trips vectors, labels and ids exactly' {
        $npy = Join-Path $TestDrive 'x.npy'
        $records | Export-Embedding -Path $npy -LabelPath (Join-Path $TestDrive 'y.npy') -IdPath (Join-Path $TestDrive 'ids.txt')
        $back = Import-Embedding -Path $npy -LabelPath (Join-Path $TestDrive 'y.npy') -IdPath (Join-Path $TestDrive 'ids.txt')
        $back | Should -HaveCount 3
        for ($i = 0; $i -lt 3; $i++) {
            $back[$i].Vector | Should -Be $records[$i].Vector
            $back[$i].Label | Should -Be $records[$i].Label
            $back[$i].Id | Should -Be $records[$i].Id
        }
    }
    Context 'a matrix with its label and Id files is one set' {
        BeforeEach {
            $script:Set = Join-Path $TestDrive ([guid]::NewGuid())
            New-Item -ItemType Directory $Set | Out-Null
            $script:Other = for ($i = 0; $i -lt 3; $i++) { New-VectorRecord -Id "other/$i" -Vector @($i, $i, $i) -Label "label$i" }
            $records | Export-Embedding "$Set/x.npy" -LabelPath "$Set/labels.txt" -IdPath "$Set/ids.txt"
        }
        It 'refuses a set whose matrix is from another run, as a run stopped after its first rename leaves it' {
            New-Item -ItemType Directory "$Set/next" | Out-Null
            $Other | Export-Embedding "$Set/next/x.npy" -LabelPath "$Set/next/labels.txt" -IdPath "$Set/next/ids.txt"
            Copy-Item "$Set/next/x.npy" "$Set/x.npy" -Force
            $e = { Import-Embedding "$Set/x.npy" -LabelPath "$Set/labels.txt" -IdPath "$Set/ids.txt" } |
                Should -Throw -ErrorId "EmbeddingSetMismatch,$import" -PassThru
            $e.Exception.Message | Should -BeLike "*$Set/x.npy*$Set/labels.txt*$Set/ids.txt*"
            $e.Exception.Message | Should -BeLike "*delete '$Set/x.npy.set.json'*"
            $e.TargetObject | Should -Be "$Set/x.npy"
            # Deleting the record, as the message says, reads the files as given.
            Remove-Item "$Set/x.npy.set.json"
            (Import-Embedding "$Set/x.npy" -LabelPath "$Set/labels.txt" -IdPath "$Set/ids.txt").Id | Should -Be $records.Id
        }
        It 'refuses an Id file replaced since the set was written' {
            Set-Content "$Set/ids.txt" 'p', 'q', 'r'
            { Import-Embedding "$Set/x.npy" -LabelPath "$Set/labels.txt" -IdPath "$Set/ids.txt" } | Should -Throw -ErrorId "EmbeddingSetMismatch,$import" -ExpectedMessage "*$Set/ids.txt*"
        }
        It 'leaves the whole old set when writing its third file fails' {
            $before = 'x.npy', 'labels.txt' | ForEach-Object { , [IO.File]::ReadAllBytes("$Set/$_") }
            { $Other | Export-Embedding "$Set/x.npy" -LabelPath "$Set/labels.txt" -IdPath "$Set/no-such-folder/ids.txt" } | Should -Throw -ErrorId "ExportFailed,$export"
            [IO.File]::ReadAllBytes("$Set/x.npy") | Should -Be $before[0]
            [IO.File]::ReadAllBytes("$Set/labels.txt") | Should -Be $before[1]
            @(Get-ChildItem $Set -Force -Filter '*.prune-tmp') | Should -HaveCount 0
            $back = Import-Embedding "$Set/x.npy" -LabelPath "$Set/labels.txt" -IdPath "$Set/ids.txt"
            $back.Id | Should -Be $records.Id
            $back.Label | Should -Be $records.Label
        }
        It 'writes the record last, naming each file by size and SHA-256, and returns the three files with -PassThru' {
            $files = $Other | Export-Embedding "$Set/x.npy" -LabelPath "$Set/labels.txt" -IdPath "$Set/ids.txt" -PassThru
            $files.Name | Should -Be 'x.npy', 'labels.txt', 'ids.txt'
            $record = Get-Content "$Set/x.npy.set.json" -Raw | ConvertFrom-Json
            $record.Members.File | Should -Be 'x.npy', 'labels.txt', 'ids.txt'
            $record.Members[2].Sha256 | Should -Be (Get-FileHash "$Set/ids.txt" -Algorithm SHA256).Hash.ToLowerInvariant()
            (Get-Item "$Set/x.npy.set.json").LastWriteTimeUtc | Should -BeGreaterOrEqual (Get-Item "$Set/ids.txt").LastWriteTimeUtc
            Get-Content "$Set/ids.txt" | Should -Be $Other.Id
        }
        It 'writes a matrix alone without a record, and drops the record of an earlier set' {
            $Other | Export-Embedding "$Set/x.npy"
            "$Set/x.npy.set.json" | Should -Not -Exist
            Import-Embedding "$Set/x.npy" | Should -HaveCount 3
        }
        It 'refuses one path given for two files of the set' {
            { $Other | Export-Embedding "$Set/x.npy" -LabelPath "$Set/same.txt" -IdPath "$Set/same.txt" } | Should -Throw -ErrorId "SamePath,$export"
        }
    }
    It 'writes a numpy-compatible header: version 1.0, <f4, shape (3, 3), 64-byte aligned' {
        $npy = Join-Path $TestDrive 'h.npy'
        $records | Export-Embedding $npy
        $bytes = [IO.File]::ReadAllBytes($npy)
        $bytes[0..5] | Should -Be ([byte[]](0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59))
        $bytes[6] | Should -Be 1
        $headerLength = [BitConverter]::ToUInt16($bytes, 8)
        (10 + $headerLength) % 64 | Should -Be 0
        $header = [Text.Encoding]::ASCII.GetString($bytes, 10, $headerLength)
        $header | Should -BeLike "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }*"
        $header[-1] | Should -Be "`n"
        $bytes.Length | Should -Be (10 + $headerLength + 9 * 4)
        [BitConverter]::ToSingle($bytes, 10 + $headerLength + 4) | Should -Be -2
    }
    It 'uses the row index as Id and no label by default' {
        $npy = Join-Path $TestDrive 'plain.npy'
        $records | Export-Embedding $npy
        $back = Import-Embedding $npy
        $back.Id | Should -Be @('0', '1', '2')
        $back[0].Label | Should -BeNullOrEmpty
    }
    It 'reads labels from a text file, one per line' {
        $npy = Join-Path $TestDrive 't.npy'
        $records | Export-Embedding $npy -LabelPath (Join-Path $TestDrive 'labels.txt')
        (Import-Embedding $npy -LabelPath (Join-Path $TestDrive 'labels.txt')).Label | Should -Be @('cat', 'dog', 'cat')
    }
    It 'writes integer labels as int64 and reads them back' {
        $npy = Join-Path $TestDrive 'i.npy'
        $labels = '3', '-1', '42'
        $int = for ($i = 0; $i -lt 3; $i++) { New-VectorRecord -Id $records[$i].Id -Vector $records[$i].Vector -Label $labels[$i] }
        $int | Export-Embedding $npy -LabelPath (Join-Path $TestDrive 'iy.npy')
        $bytes = [IO.File]::ReadAllBytes((Join-Path $TestDrive 'iy.npy'))
        [Text.Encoding]::ASCII.GetString($bytes, 10, 40) | Should -BeLike "*'<i8'*"
        (Import-Embedding $npy -LabelPath (Join-Path $TestDrive 'iy.npy')).Label | Should -Be @('3', '-1', '42')
    }
    It 'reads float64 and Fortran-order matrices correctly' {
        # shape (2, 3) in Fortran order: memory holds column by column.
        $values = [double[]](1, 4, 2, 5, 3, 6)   # rows: (1,2,3), (4,5,6)
        $data = [byte[]]($values | ForEach-Object { [BitConverter]::GetBytes($_) } | ForEach-Object { $_ })
        $path = Join-Path $TestDrive 'f.npy'
        [IO.File]::WriteAllBytes($path, (New-NpyBytes "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }" $data))
        $back = Import-Embedding $path
        $back[0].Vector | Should -Be ([float[]](1, 2, 3))
        $back[1].Vector | Should -Be ([float[]](4, 5, 6))
    }
    It 'reads format version 2.0 and 3.0 headers' -ForEach @(@{ Major = 2 }, @{ Major = 3 }) {
        $path = Join-Path $TestDrive "v$Major.npy"
        [IO.File]::WriteAllBytes($path, (New-NpyBytes "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }" (Get-FloatBytes @(0.5, 7)) -Major $Major))
        (Import-Embedding $path).Vector | Should -Be ([float[]](0.5, 7))
    }

    Context 'errors' {
        It 'refuses a file without the npy magic' {
            $path = Join-Path $TestDrive 'bad.npy'
            Set-Content $path 'hello world, not numpy'
            { Import-Embedding $path } | Should -Throw -ErrorId "InvalidNpyFile,$import" -ExpectedMessage '*magic*'
        }
        It 'refuses a truncated file before emitting anything' {
            $path = Join-Path $TestDrive 'short.npy'
            [IO.File]::WriteAllBytes($path, (New-NpyBytes "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }" (Get-FloatBytes @(1, 2, 3))))
            $out = [Collections.Generic.List[object]]::new()
            { Import-Embedding $path | ForEach-Object { $out.Add($_) } } | Should -Throw -ErrorId "InvalidNpyFile,$import" -ExpectedMessage '*truncated*'
            $out | Should -HaveCount 0
        }
        It 'refuses a 1-D array, saying embeddings are 2-D' {
            $path = Join-Path $TestDrive 'one.npy'
            [IO.File]::WriteAllBytes($path, (New-NpyBytes "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" (Get-FloatBytes @(1, 2, 3))))
            { Import-Embedding $path } | Should -Throw -ErrorId "InvalidNpyFile,$import" -ExpectedMessage '*2-D*'
        }
        It 'refuses an object array' {
            $path = Join-Path $TestDrive 'obj.npy'
            [IO.File]::WriteAllBytes($path, (New-NpyBytes "{'descr': '|O', 'fortran_order': False, 'shape': (1, 1), }" ([byte[]]::new(8))))
            { Import-Embedding $path } | Should -Throw -ErrorId "InvalidNpyFile,$import" -ExpectedMessage '*object*'
        }
        It 'refuses an integer matrix' {
            $path = Join-Path $TestDrive 'int.npy'
            [IO.File]::WriteAllBytes($path, (New-NpyBytes "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }" ([byte[]]::new(8))))
            { Import-Embedding $path } | Should -Throw -ErrorId "InvalidNpyFile,$import" -ExpectedMessage '*float32 or float64*'
        }
        It 'refuses a header numpy refuses, or whose shape overflows, naming the file: <Case>' -ForEach @(
            @{ Case = 'a key given twice'; Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (3, 2), }"; Message = "*'shape' is given twice*" }
            @{ Case = 'trailing text'; Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x"; Message = '*text after the dictionary*' }
            @{ Case = 'an unknown key'; Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'rows': 2, }"; Message = "*unknown: 'rows'*" }
            @{ Case = 'a product past 64 bits'; Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4611686018427387905), }"; Message = '*more values than a 64-bit count*' }
            @{ Case = 'a width past an array'; Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296), }"; Message = '*more than one process can address*' }
        ) {
            $path = Join-Path $TestDrive 'lying.npy'
            [IO.File]::WriteAllBytes($path, (New-NpyBytes $Dict (Get-FloatBytes @(1, 2, 3, 4, 5, 6))))
            $out = [Collections.Generic.List[object]]::new()
            { Import-Embedding $path | ForEach-Object { $out.Add($_) } } | Should -Throw -ErrorId "InvalidNpyFile,$import" -ExpectedMessage "*lying.npy*"
            { Import-Embedding $path } | Should -Throw -ExpectedMessage $Message
            $out | Should -HaveCount 0
        }
        It 'reads text side files by their byte-order mark and refuses a line that is not valid text, naming it' {
            $npy = Join-Path $TestDrive 'side.npy'
            [IO.File]::WriteAllBytes($npy, (New-NpyBytes "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }" (Get-FloatBytes @(1, 2))))
            $ids = Join-Path $TestDrive 'ids16.txt'
            $be = [Text.UnicodeEncoding]::new($true, $true)
            [IO.File]::WriteAllBytes($ids, $be.GetPreamble() + $be.GetBytes("café`r`n日本`r`n"))
            (Import-Embedding $npy -IdPath $ids).Id | Should -Be 'café', '日本'
            $labels = Join-Path $TestDrive 'latin1.txt'
            [IO.File]::WriteAllBytes($labels, [byte[]](0x63, 0x61, 0x74, 0x0A, 0x63, 0x61, 0x66, 0xE9, 0x0A))
            { Import-Embedding $npy -LabelPath $labels } | Should -Throw -ErrorId "InvalidLabelFile,$import" -ExpectedMessage '*Line 2 of*latin1.txt*not valid UTF-8*'
        }
        It 'names a NaN or Inf row and imports the others' {
            $path = Join-Path $TestDrive 'nan.npy'
            [IO.File]::WriteAllBytes($path, (New-NpyBytes "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }" (Get-FloatBytes @(1, 2, [float]::NaN, 0, 5, [float]::PositiveInfinity))))
            $back = Import-Embedding $path -ErrorVariable err -ErrorAction SilentlyContinue
            $back | Should -HaveCount 1
            $back[0].Id | Should -Be '0'
            $err | Should -HaveCount 2
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NonFiniteVector,*'
            $err[0].Exception.Message | Should -BeLike 'Row 1 *'
            $err[1].Exception.Message | Should -BeLike 'Row 2 *'
        }
        It 'refuses a label file whose length does not match' {
            $npy = Join-Path $TestDrive 'm.npy'
            $records | Export-Embedding $npy
            Set-Content (Join-Path $TestDrive 'two.txt') 'a', 'b'
            { Import-Embedding $npy -LabelPath (Join-Path $TestDrive 'two.txt') } | Should -Throw -ErrorId "InvalidLabelFile,$import" -ExpectedMessage '*2 labels*3 rows*'
        }
        It 'refuses a missing file' {
            { Import-Embedding (Join-Path $TestDrive 'absent.npy') } | Should -Throw -ErrorId "PathNotFound,$import"
        }
        It 'reports ragged vectors on export by name and writes the rest' {
            $npy = Join-Path $TestDrive 'ragged.npy'
            @($records) + (New-VectorRecord -Id 'short' -Vector @(1)) | Export-Embedding $npy -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'DimensionMismatch,*'
            $err[0].Exception.Message | Should -BeLike "*'short'*"
            (Import-Embedding $npy) | Should -HaveCount 3
        }
        It 'honours -WhatIf' {
            $npy = Join-Path $TestDrive 'whatif.npy'
            $records | Export-Embedding $npy -WhatIf
            Test-Path $npy | Should -BeFalse
        }
        It 'refuses to overwrite with -NoClobber' {
            $npy = Join-Path $TestDrive 'exists.npy'
            $records | Export-Embedding $npy
            { $records | Export-Embedding $npy -NoClobber } | Should -Throw -ErrorId "FileExists,$export"
        }
    }
}

Describe 'Imported records read their rows in place' {
    BeforeAll {
        $blobs = @(New-BlobRecords -Centres @(@(0, 0, 0, 0), @(5, 5, 0, 0), @(0, 5, 5, 5)) -PerBlob 40 -Spread 0.8)
        $npy = Join-Path $TestDrive 'blobs.npy'
        $blobs | Export-Embedding $npy
    }
    It 'clusters an imported file exactly as it clusters the same vectors held in separate arrays' -ForEach @(@{ Metric = 'Euclidean' }, @{ Metric = 'Cosine' }) {
        # Euclidean clusters the imported block without copying it; Cosine copies and normalises.
        $fromFile = @(Import-Embedding $npy | Invoke-KMeans -K 3 -Metric $Metric -Seed 4)
        $fromArrays = @($blobs | Invoke-KMeans -K 3 -Metric $Metric -Seed 4)
        $fromFile.Cluster | Should -Be $fromArrays.Cluster
        $fromFile[0].KMeansModel.Inertia | Should -Be $fromArrays[0].KMeansModel.Inertia
        ($fromFile[0].KMeansModel.Centroids | ForEach-Object { $_ }) | Should -Be ($fromArrays[0].KMeansModel.Centroids | ForEach-Object { $_ })
    }
    It 'leaves the imported vectors untouched by clustering and scoring' {
        $records = @(Import-Embedding $npy)
        $scored = @($records | Invoke-KMeans -K 3 -Metric Euclidean -Seed 1 | Measure-Prototypicality)
        for ($i = 0; $i -lt $blobs.Count; $i += 17) {
            $records[$i].Vector | Should -Be $blobs[$i].Vector
            $scored[$i].Vector | Should -Be $blobs[$i].Vector
        }
        $records[5].Dimension | Should -Be 4
    }
    It 'uses a vector the user changed, and checks it again' {
        $records = @(Import-Embedding $npy)
        $records[3].Vector[0] = [float]::NaN          # the user's copy of row 3, not the file's block
        $out = @($records | Invoke-KMeans -K 3 -Metric Euclidean -Seed 1 -ErrorVariable bad -ErrorAction SilentlyContinue)
        $out | Should -HaveCount ($records.Count - 1)
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'NonFiniteVector*'
        $records[4].Vector[1] = 1000                   # an outlier only in the copy
        $moved = @($records | Where-Object Id -NE '3' | Invoke-KMeans -K 4 -Metric Euclidean -Seed 1)
        $alone = @($moved | Where-Object Id -EQ '4').Cluster
        @($moved | Where-Object Cluster -EQ $alone) | Should -HaveCount 1
    }
    It 'copies when records are a subset or out of order, and still clusters them correctly' {
        $records = @(Import-Embedding $npy)
        $subset = $records[1..($records.Count - 1)]             # row 0 missing: not a prefix of the block
        $reversed = $records[($records.Count - 1)..0]
        $a = @($subset | Invoke-KMeans -K 3 -Metric Euclidean -Seed 2)
        $b = @($blobs[1..($blobs.Count - 1)] | Invoke-KMeans -K 3 -Metric Euclidean -Seed 2)
        $a.Cluster | Should -Be $b.Cluster
        $r = @($reversed | Invoke-KMeans -K 3 -Metric Euclidean -Seed 2)
        $r.Id | Should -Be $reversed.Id
        # Three well-separated blobs: every blob lands in one cluster, whatever the order.
        for ($blob = 0; $blob -lt 3; $blob++) {
            @($r | Where-Object { $blobs[[int]$_.Id].Label -eq "blob$blob" } | Select-Object -ExpandProperty Cluster -Unique) | Should -HaveCount 1
        }
    }
}

Describe 'A file of 64 MiB or more is mapped, not copied' {
    BeforeAll {
        # 33 000 × 512 float32 = 67.6 MB, over the 64 MiB from which Import-Embedding maps the
        # file: 110 copies of 300 blob vectors, written by Export-Embedding itself.
        $blobs = @(New-BlobRecords -Centres @((@(0) * 512), (@(3) * 512), @((0..511) | ForEach-Object { $_ % 2 * 6 })) -PerBlob 100 -Spread 0.5)
        $big = Join-Path $TestDrive 'big.npy'
        $tiled = @(1..110 | ForEach-Object { $blobs })
        $tiled | Export-Embedding $big
        (Get-Item $big).Length | Should -BeGreaterThan 64MB
    }
    AfterAll {
        # Release the mappings before TestDrive is removed (Windows cannot delete a mapped file).
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
    }
    It 'clusters the mapped rows exactly as the same vectors held in arrays' {
        $fromFile = @(Import-Embedding $big | Invoke-KMeans -K 3 -Metric Euclidean -Seed 4)
        $fromArrays = @($tiled | Invoke-KMeans -K 3 -Metric Euclidean -Seed 4)
        $fromFile | Should -HaveCount 33000
        $fromFile.Cluster | Should -Be $fromArrays.Cluster
        $fromFile[0].KMeansModel.Inertia | Should -Be $fromArrays[0].KMeansModel.Inertia
        $fromFile[32999].Vector | Should -Be $tiled[32999].Vector
    }
    It 'names a NaN row of a mapped file and imports the others' {
        $nan = Join-Path $TestDrive 'big-nan.npy'
        Copy-Item $big $nan
        $header = (Get-Content $nan -AsByteStream -TotalCount 128)
        $headerLength = 10 + [BitConverter]::ToUInt16($header, 8)
        $f = [IO.File]::OpenWrite($nan)
        try { $f.Position = $headerLength + (20000 * 512 + 7) * 4; $f.Write([BitConverter]::GetBytes([float]::NaN), 0, 4) } finally { $f.Dispose() }
        $back = @(Import-Embedding $nan -ErrorVariable err -ErrorAction SilentlyContinue)
        $back | Should -HaveCount 32999
        $err | Should -HaveCount 1
        $err[0].Exception.Message | Should -BeLike 'Row 20000 *'
        $back[20000].Id | Should -Be '20001'
    }
    It 'stops with SourceFileChanged, instead of using other rows, when a mapped file is rewritten in place' {
        $rewritten = Join-Path $TestDrive 'big-rewritten.npy'
        Copy-Item $big $rewritten
        $records = @(Import-Embedding $rewritten)
        Start-Sleep -Milliseconds 20
        $f = [IO.File]::Open($rewritten, 'Open', 'Write', 'ReadWrite')
        try { $f.Position = $f.Length - 4; $f.Write([BitConverter]::GetBytes([float]-1), 0, 4) } finally { $f.Dispose() }
        { $records | Invoke-KMeans -K 3 -Metric Euclidean } | Should -Throw -ErrorId 'SourceFileChanged,PruneCmdlets.Commands.InvokeKMeansCommand' -ExpectedMessage "*$rewritten*written to after Import-Embedding*"
        { $records | Export-Embedding (Join-Path $TestDrive 'out.npy') } | Should -Throw -ErrorId 'SourceFileChanged,PruneCmdlets.Commands.ExportEmbeddingCommand'
        # Its rows are gone: reading Vector throws, which PowerShell shows as $null rather than other values.
        $records[7].Vector | Should -BeNullOrEmpty
        @(Import-Embedding $rewritten)[32999].Vector[511] | Should -Be -1   # imported again, the new rows are read
    }
    It 'keeps imported records intact when Export-Embedding replaces their file' {
        # Elsewhere the new file takes the old one's place and the mapped records keep the old
        # contents; Windows refuses to replace a mapped file, which Export-Embedding reports.
        $copy = Join-Path $TestDrive 'big-copy.npy'
        Copy-Item $big $copy
        $records = @(Import-Embedding $copy)
        if ($IsWindows) {
            { $records | Select-Object -First 5 | Export-Embedding $copy } | Should -Throw -ErrorId 'ExportFailed,PruneCmdlets.Commands.ExportEmbeddingCommand'
        }
        else {
            $records | Select-Object -First 5 | Export-Embedding $copy
            @(Import-Embedding $copy) | Should -HaveCount 5
        }
        $records[32999].Vector | Should -Be $tiled[32999].Vector
        @($records | Invoke-KMeans -K 3 -Metric Euclidean -Seed 4)[0].KMeansModel.Inertia | Should -Be @($tiled | Invoke-KMeans -K 3 -Metric Euclidean -Seed 4)[0].KMeansModel.Inertia
    }
}

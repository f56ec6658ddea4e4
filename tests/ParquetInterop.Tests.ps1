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
    # A file with bad rows, which Export-Embedding refuses to write: built with Parquet.Net's
    # column API (the module's own copy), rows [1,2], [3,4,5], [NaN,1], [6,7].
    if (-not ('PruneCmdlets.Tests.BadParquet' -as [type])) {
        $parquet = Join-Path $RepoRoot 'module/bin/Parquet.dll'
        Add-Type -ReferencedAssemblies $parquet, System.Runtime, System.Memory, System.Collections, System.Linq, System.Threading.Tasks -IgnoreWarnings -WarningAction SilentlyContinue -TypeDefinition @'
using Parquet; using Parquet.Schema;
namespace PruneCmdlets.Tests {
public static class BadParquet {
    public static void Write(string path) {
        var id = new DataField<string>("id");
        var element = new DataField<float>("element", nullable: false);
        var schema = new ParquetSchema(id, new ListField("embedding", element));
        var values = new float[] { 1, 2, 3, 4, 5, float.NaN, 1, 6, 7 };
        var rep = new[] { 0, 1, 0, 1, 1, 0, 1, 0, 1 };
        var def = new int[values.Length];
        System.Array.Fill(def, schema.GetDataFields()[1].MaxDefinitionLevel);
        using var stream = System.IO.File.Create(path);
        System.Threading.Tasks.Task.Run(async () => {
            await using var writer = await ParquetWriter.CreateAsync(schema, stream, null, false, default);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(schema.GetDataFields()[0], new[] { "r0", "r1", "r2", "r3" });
            await group.WriteAllPartsAsync<float>(schema.GetDataFields()[1], values, def, rep, default);
        }).GetAwaiter().GetResult();
    }

    /// <summary>One row group of rows of any lengths, ragged ones included.</summary>
    public static void WriteRows(string path, string[] ids, float[][] rows) {
        var id = new DataField<string>("id");
        var element = new DataField<float>("element", nullable: false);
        var schema = new ParquetSchema(id, new ListField("embedding", element));
        var values = new System.Collections.Generic.List<float>();
        var rep = new System.Collections.Generic.List<int>();
        foreach (var row in rows) for (int j = 0; j < row.Length; j++) { values.Add(row[j]); rep.Add(j == 0 ? 0 : 1); }
        var def = new int[values.Count];
        System.Array.Fill(def, schema.GetDataFields()[1].MaxDefinitionLevel);
        using var stream = System.IO.File.Create(path);
        System.Threading.Tasks.Task.Run(async () => {
            await using var writer = await ParquetWriter.CreateAsync(schema, stream, null, false, default);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(schema.GetDataFields()[0], ids);
            await group.WriteAllPartsAsync<float>(schema.GetDataFields()[1], values.ToArray(), def, rep.ToArray(), default);
        }).GetAwaiter().GetResult();
    }
}
}
'@
    }
}

Describe 'Export-Embedding and Import-Embedding in Parquet' {
    It 'round-trips ids, labels and vectors and reads back records of the same type' {
        $pq = Join-Path $TestDrive 'x.parquet'
        $file = $records | Export-Embedding $pq -PassThru
        $file.FullName | Should -Be $pq
        $back = Import-Embedding $pq
        $back | Should -HaveCount 3
        $back[0] | Should -BeOfType PruneCmdlets.EmbeddingRecord
        $back.Id | Should -Be 'img/a.png', 'img/b.png', 'img/c.png'
        $back.Label | Should -Be cat, dog, cat
        $back[1].Vector | Should -Be ([float[]](0, 3.75, 1e-3))
        $back[0].Model | Should -Be 'x'
    }

    It 'keeps every annotation of a pruning run: cluster, distance, percentile, prototype, kept, reason' {
        $scored = New-BlobRecords -Centres @(@(0, 0), @(5, 5)) -PerBlob 10 | Invoke-KMeans -K 2 -Seed 1 |
            Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.5 -Keep Hard -IncludePruned
        $pq = Join-Path $TestDrive 'scored.parquet'
        $scored | Export-Embedding $pq -RowGroupSize 7
        $back = Import-Embedding $pq
        $back | Should -HaveCount 20
        foreach ($p in 'Id', 'Label', 'Cluster', 'Distance', 'Percentile', 'Prototype', 'Kept', 'Reason') {
            $back.$p | Should -Be $scored.$p -Because "the $p column round-trips"
        }
        ($back | Where-Object Kept).Id | Should -Be ($scored | Where-Object Kept).Id
        ($back | Where-Object Kept) | Should -HaveCount 10
    }

    It 'reads several files, wildcards and a folder of part files as one set, rows numbered on' {
        $parts = New-Item -ItemType Directory (Join-Path $TestDrive 'parts')
        $noIds = $records | ForEach-Object { [pscustomobject]@{ Label = $_.Label; Vector = $_.Vector } }
        $noIds[0..1] | Export-Embedding (Join-Path $parts 'part-1.parquet')
        $noIds[2] | Export-Embedding (Join-Path $parts 'part-0.parquet')
        Set-Content (Join-Path $parts '_SUCCESS') ''
        $folder = Import-Embedding $parts
        $folder.Vector[0..2] | Should -Be $records[2].Vector   # part-0 first: name order
        $folder.Label | Should -Be cat, cat, dog
        $wild = Import-Embedding (Join-Path $parts 'part-*.parquet')
        $wild.Label | Should -Be $folder.Label
        $listed = Import-Embedding (Join-Path $parts 'part-1.parquet'), (Join-Path $parts 'part-0.parquet')
        $listed.Label | Should -Be cat, dog, cat
    }

    It 'maps other column names, reads -Format Parquet under any extension, and refuses npy-only options' {
        $pq = Join-Path $TestDrive 'named.bin'
        $records | Export-Embedding $pq -Format Parquet
        $r = Import-Embedding $pq -Format Parquet -IdColumn label -LabelColumn id
        $r.Id | Should -Be cat, dog, cat
        $r.Label | Should -Be 'img/a.png', 'img/b.png', 'img/c.png'
        { Import-Embedding $pq -Format Parquet -IdPath (Join-Path $TestDrive 'ids.txt') } | Should -Throw -ErrorId "SideFileOnParquet,$import"
        $npy = Join-Path $TestDrive 'plain.npy'
        $records | Export-Embedding $npy
        { Import-Embedding $npy -VectorColumn v } | Should -Throw -ErrorId "ColumnOnNpy,$import"
    }

    It 'reports bad rows by file:row with stable ErrorIds and keeps the good rows' {
        $bad = Join-Path $TestDrive 'bad.parquet'
        [PruneCmdlets.Tests.BadParquet]::Write($bad)
        $r = Import-Embedding $bad -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Id | Should -Be r0, r3
        $r[1].Vector | Should -Be ([float[]](6, 7))
        $errs | Should -HaveCount 2
        $errs[0].FullyQualifiedErrorId | Should -Be "RaggedVector,$import"
        $errs[0].TargetObject | Should -Be "${bad}:1"
        $errs[1].FullyQualifiedErrorId | Should -Be "NonFiniteVector,$import"
        $errs[1].Exception.Message | Should -Match "Row 2 of '.*bad\.parquet' holds NaN or infinity in 'embedding'"
    }

    It 'takes the most common vector length, not the length of the first row, in a folder of part files' {
        # part-0 starts with a 3-value row among 2-value ones: before, it set the length, went
        # on down the pipeline, and every good row of both files was refused.
        $folder = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'ragged-parts')
        [PruneCmdlets.Tests.BadParquet]::WriteRows((Join-Path $folder 'part-0.parquet'), [string[]]('bad', 'a', 'b'), [float[][]](([float[]](9, 9, 9)), ([float[]](1, 2)), ([float[]](3, 4))))
        [PruneCmdlets.Tests.BadParquet]::WriteRows((Join-Path $folder 'part-1.parquet'), [string[]]('c', 'd'), [float[][]](([float[]](5, 6)), ([float[]](7, 8))))
        $r = Import-Embedding $folder -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Id | Should -Be a, b, c, d
        $r[3].Vector | Should -Be ([float[]](7, 8))
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -Be "RaggedVector,$import"
        $errs[0].TargetObject | Should -Be "$(Join-Path $folder 'part-0.parquet'):0"
        $tie = Join-Path $TestDrive 'tie.parquet'
        [PruneCmdlets.Tests.BadParquet]::WriteRows($tie, [string[]]('x', 'y'), [float[][]](([float[]](1, 2, 3)), ([float[]](1, 2))))
        $r = Import-Embedding $tie -ErrorVariable errs -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be "AmbiguousDimension,$import"
        $errs[0].TargetObject | Should -Be $tie
    }

    It 'reports a missing column, a wrong column type and a truncated file, and goes on with the next file' {
        $good = Join-Path $TestDrive 'good.parquet'
        $records | Export-Embedding $good
        $truncated = Join-Path $TestDrive 'truncated.parquet'
        [IO.File]::WriteAllBytes($truncated, [IO.File]::ReadAllBytes($good)[0..199])
        $r = Import-Embedding $truncated, $good -ErrorVariable errs -ErrorAction SilentlyContinue
        $r | Should -HaveCount 3
        $errs[0].FullyQualifiedErrorId | Should -Be "InvalidParquetFile,$import"
        $errs[0].TargetObject | Should -Be $truncated
        $null = Import-Embedding $good -VectorColumn features -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be "MissingColumn,$import"
        $errs[0].Exception.Message | Should -Match "no 'features' column \(its columns: 'id', 'path', 'label', 'embedding'\); name the column with -VectorColumn"
        $null = Import-Embedding $good -VectorColumn label -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be "WrongColumnType,$import"
    }

    It 'honours -NoClobber and -WhatIf' {
        $pq = Join-Path $TestDrive 'once.parquet'
        $records | Export-Embedding $pq -WhatIf
        Test-Path $pq | Should -BeFalse
        $records | Export-Embedding $pq
        { $records | Export-Embedding $pq -NoClobber } | Should -Throw -ErrorId "FileExists,$export"
    }

    It 'loads Parquet.Net and its codecs in a fresh pwsh' {
        $pq = Join-Path $TestDrive 'fresh.parquet'
        $script = Join-Path $TestDrive 'fresh.ps1'
        Set-Content $script @"
Import-Module '$ManifestPath'
1..3 | ForEach-Object { [pscustomobject]@{ Id = "r`$_"; Vector = [float[]](`$_, 2) } } | Export-Embedding '$pq' -Compression Zstd
(Import-Embedding '$pq').Id -join ','
"@
        $out = Invoke-ChildPwsh "& '$script'"
        @($out)[-1] | Should -Be 'r1,r2,r3'
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    if (-not ('PruneCmdlets.Tests.TestOnnxModels' -as [type])) { Add-Type -Path (Join-Path $PSScriptRoot 'TestOnnxModels.cs') }
    $M = [PruneCmdlets.Tests.TestOnnxModels]
    $cmd = 'PruneCmdlets.Commands.GetTextEmbeddingCommand'
    $vocab = Join-Path $RepoRoot 'module/bin/models/all-MiniLM-L6-v2.vocab.txt'

    # The (id, mask) echo model: mean pooling gives (mean token id, 1), exactly.
    $echo = Join-Path $TestDrive 'echo.onnx'
    $M::SaveTokenEchoModel($echo, $true)
    # hello = 7592, world = 2088, [CLS] = 101, [SEP] = 102 in the shipped vocabulary.
    $helloWorld = [float]((101 + 7592 + 2088 + 102) / 4)
    $hello = [float]((101 + 7592 + 102) / 3)

    function Get-Cosine($a, $b) { $d = 0.0; for ($i = 0; $i -lt $a.Count; $i++) { $d += $a[$i] * $b[$i] }; $d }
    $files = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'files')
    function New-Utf8File([string] $Name, [string[]] $Lines) {
        $path = Join-Path $files $Name
        [IO.File]::WriteAllText($path, ($Lines -join "`n") + "`n", [Text.UTF8Encoding]::new($false))
        $path
    }
}

Describe 'Get-TextEmbedding with the embedded all-MiniLM-L6-v2' {
    It 'embeds strings from the pipeline into unit-length 384-d records, in input order' {
        $texts = 'A man is eating food.', 'A man is eating a piece of bread.', 'The girl is carrying a baby.'
        $recs = $texts | Get-TextEmbedding
        $recs | Should -HaveCount 3
        $recs[0] | Should -BeOfType PruneCmdlets.EmbeddingRecord
        $recs.Id | Should -Be '0', '1', '2'
        $recs.Text | Should -Be $texts
        $recs[0].Model | Should -Be 'all-MiniLM-L6-v2'
        $recs[0].Vector | Should -HaveCount 384
        [Math]::Sqrt((Get-Cosine $recs[0].Vector $recs[0].Vector)) | Should -BeGreaterThan 0.99999
        # sentence-transformers lists 0.7553 for this pair; the unrelated one scores far lower.
        [Math]::Round((Get-Cosine $recs[0].Vector $recs[1].Vector), 3) | Should -Be 0.755
        Get-Cosine $recs[0].Vector $recs[2].Vector | Should -BeLessThan 0.2
        $recs[0].TokenCount | Should -Be 8   # [CLS] a man is eating food . [SEP]
        $recs[0].TruncatedTokens | Should -Be 0
    }

    It 'binds Text, Id and Label from Import-Csv objects, and other names by parameter' {
        $csv = New-Utf8File 'tickets.csv' @('Id,Label,Text', 't1,billing,I was charged twice', 't2,login,I cannot log in')
        $recs = Import-Csv $csv | Get-TextEmbedding
        $recs.Id | Should -Be 't1', 't2'
        $recs.Label | Should -Be 'billing', 'login'
        $renamed = '{"content":"I was charged twice","key":"a","topic":"billing"}' | ConvertFrom-Json |
            Get-TextEmbedding -TextProperty content -IdProperty key -LabelProperty topic
        $renamed.Id | Should -Be 'a'
        $renamed.Label | Should -Be 'billing'
        $renamed.Vector | Should -Be $recs[0].Vector
    }

    It 'keeps a 100-character preview unless -IncludeText, and counts truncated word pieces' {
        $long = (@('hello world') * 150) -join ' '   # 300 word pieces
        $r = $long | Get-TextEmbedding
        $r.Text | Should -Be ($long.Substring(0, 100) + '…')
        $r.TokenCount | Should -Be 256
        $r.TruncatedTokens | Should -Be 46
        ($long | Get-TextEmbedding -IncludeText).Text | Should -Be $long
    }

    It 'gives the same vectors, bit for bit, on one worker or three' {
        $texts = 0..70 | ForEach-Object { "Ticket $_ reports that the $(('printer', 'VPN', 'laptop')[$_ % 3]) stopped working$('!' * ($_ % 4))" }
        $one = $texts | Get-TextEmbedding -ThrottleLimit 1 -BatchSize 8
        $three = $texts | Get-TextEmbedding -ThrottleLimit 3 -BatchSize 8
        $one.Id | Should -Be $three.Id
        for ($i = 0; $i -lt $texts.Count; $i++) { $three[$i].Vector | Should -Be $one[$i].Vector }
        $one[5].Text | Should -Be $texts[5]
    }

    It 'reuses the cache on a second run and stores it by content' {
        $cache = Join-Path $TestDrive 'cache'
        $texts = 'first text to cache', 'second text to cache'
        $a = $texts | Get-TextEmbedding -CacheDirectory $cache
        $out = $texts + 'a new one' | Get-TextEmbedding -CacheDirectory $cache -Verbose 4>&1
        $verbose = $out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose -join "`n") | Should -Match '\(2 from the cache\)'
        $b = $out | Where-Object { $_ -is [PruneCmdlets.EmbeddingRecord] }
        $b[1].Vector | Should -Be $a[1].Vector
        $b | Should -HaveCount 3
    }

    It 'feeds Invoke-SemDeDup and Invoke-KMeans unchanged' {
        $texts = 'The printer is out of toner.', 'The printer is out of toner.', 'My VPN disconnects every hour.', 'The VPN drops the connection hourly.', 'Lunch menu for Friday: pasta.'
        $recs = $texts | Get-TextEmbedding
        $clustered = $recs | Invoke-KMeans -K 2 -Seed 1
        $clustered.Cluster | Should -HaveCount 5
        $kept = $clustered | Invoke-SemDeDup -Epsilon 0.01
        # The exact duplicate goes; the paraphrase (cosine well under 0.99) stays.
        $kept | Should -HaveCount 4
        @($kept.Id | Where-Object { $_ -in '0', '1' }) | Should -HaveCount 1
        foreach ($id in '2', '3', '4') { $kept.Id | Should -Contain $id }
        $groups = @($clustered | Invoke-SemDeDup -Epsilon 0.01 -ShowDuplicates)
        $groups | Should -HaveCount 1
        @($groups[0].KeptId, $groups[0].DuplicateIds[0]) | Sort-Object | Should -Be '0', '1'
    }
}

Describe 'Get-TextEmbedding reading files' {
    It 'reads .txt one document per non-blank line, with file:line ids' {
        $txt = New-Utf8File 'lines.txt' @('hello world', '', '   ', 'hello')
        $recs = Get-TextEmbedding -Path $txt -ModelPath $echo -VocabPath $vocab -NoNormalize
        $recs.Id | Should -Be "${txt}:1", "${txt}:4"
        $recs[0].Path | Should -Be $txt
        $recs[0].Vector | Should -Be @($helloWorld, 1)
        $recs[1].Vector | Should -Be @($hello, 1)
    }

    It 'reads one document per file with -DocumentPerFile, labelled by folder' {
        $dir = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'corpus/sports')
        [IO.File]::WriteAllText((Join-Path $dir 'a'), "hello`nworld")
        $recs = Get-TextEmbedding -Path (Join-Path $TestDrive 'corpus') -DocumentPerFile -ModelPath $echo -VocabPath $vocab -NoNormalize
        $recs.Id | Should -Be (Join-Path $dir 'a')
        $recs.Label | Should -Be 'sports'
        $recs.Vector | Should -Be @($helloWorld, 1)
    }

    It 'reads .jsonl, reporting a malformed line by file and line and keeping the others' {
        $jsonl = New-Utf8File 'docs.jsonl' @('{"text":"hello world","id":"a","label":"x"}', '{"text": broken', '"hello"', '{"body":"no text field"}', '{"text":"hello","label":"y"}')
        $recs = Get-TextEmbedding -Path $jsonl -ModelPath $echo -VocabPath $vocab -NoNormalize -ErrorVariable errs -ErrorAction SilentlyContinue
        $recs.Id | Should -Be 'a', "${jsonl}:3", "${jsonl}:5"
        $recs.Label | Should -Be 'x', $null, 'y'
        $recs[1].Vector | Should -Be @($hello, 1)
        $errs | Should -HaveCount 2
        $errs[0].FullyQualifiedErrorId | Should -BeLike "MalformedJsonLine,$cmd"
        $errs[0].TargetObject | Should -Be "${jsonl}:2"
        $errs[1].FullyQualifiedErrorId | Should -BeLike "MissingTextField,$cmd"
        $errs[1].Exception.Message | Should -Match 'line 4 .* has no .Text. field \(it has: body\)'
    }

    It 'reads .csv with quoted fields that hold commas, quotes and line breaks' {
        $csv = New-Utf8File 'q.csv' @('id,text,label', 'r1,"hello, ""world""",a', 'r2,"hello', 'world",b', 'r3,hello,c')
        $recs = Get-TextEmbedding -Path $csv -ModelPath $echo -VocabPath $vocab -NoNormalize -IncludeText
        $recs.Id | Should -Be 'r1', 'r2', 'r3'
        $recs.Text | Should -Be 'hello, "world"', "hello`nworld", 'hello'
        $recs.Label | Should -Be 'a', 'b', 'c'
        $recs[1].Vector | Should -Be @($helloWorld, 1)
    }

    It 'skips a CSV without the text column with an error naming its header, and reads the next file' {
        $bad = New-Utf8File 'nocol.csv' @('id,body', '1,hello')
        $good = New-Utf8File 'good.csv' @('text', 'hello')
        $recs = Get-TextEmbedding -Path $bad, $good -ModelPath $echo -VocabPath $vocab -ErrorVariable errs -ErrorAction SilentlyContinue
        $recs | Should -HaveCount 1
        $recs.Id | Should -Be "${good}:2"
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike "MissingColumn,$cmd"
        $errs[0].Exception.Message | Should -Match "no 'Text' column \(its header: 'id', 'body'\)"
    }

    It 'reports a line of invalid UTF-8 by file and line and keeps the other lines' {
        $path = Join-Path $files 'latin1.txt'
        $bytes = [Text.Encoding]::UTF8.GetBytes("hello`n") + [byte[]](0x63, 0x61, 0x66, 0xE9, 0x0A) + [Text.Encoding]::UTF8.GetBytes("hello world`n")
        [IO.File]::WriteAllBytes($path, $bytes)
        $recs = Get-TextEmbedding -Path $path -ModelPath $echo -VocabPath $vocab -NoNormalize -ErrorVariable errs -ErrorAction SilentlyContinue
        $recs.Id | Should -Be "${path}:1", "${path}:3"
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike "InvalidUtf8,$cmd"
        $errs[0].TargetObject | Should -Be "${path}:2"
        $errs[0].Exception.Message | Should -Match 'column 4'
    }

    It 'reads a UTF-16 CSV by its byte-order mark, with a quote inside an unquoted field, and names a bad line' {
        # Notepad and Windows PowerShell 5.1 write UTF-16 LE with a mark; 5" is a character, not an opening quote.
        $path = Join-Path $files 'tickets16.csv'
        $utf16 = [Text.UnicodeEncoding]::new($false, $true)
        $bytes = $utf16.GetPreamble() + $utf16.GetBytes("Id,Text`r`nr1,hello 5`" world`r`nr2,hello`r`n") +
            [byte[]](0x00, 0xD8, 0x0A, 0x00) + $utf16.GetBytes("r4,world`r`n")
        [IO.File]::WriteAllBytes($path, $bytes)
        $recs = Get-TextEmbedding -Path $path -ModelPath $echo -VocabPath $vocab -NoNormalize -IncludeText -ErrorVariable errs -ErrorAction SilentlyContinue
        $recs.Id | Should -Be 'r1', 'r2', 'r4'
        $recs.Text | Should -Be 'hello 5" world', 'hello', 'world'
        $recs[1].Vector | Should -Be @($hello, 1)
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike "InvalidEncoding,$cmd"
        $errs[0].TargetObject | Should -Be "${path}:4"
        $errs[0].Exception.Message | Should -Match 'not valid UTF-16 LE'
    }

    It 'reads the text, id and label columns of a .parquet file, others by -TextProperty, and names a missing column' {
        # The module writes the file: records with their full text, ids and labels.
        $pq = Join-Path $files 'rows.parquet'
        'hello', 'hello world' | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -NoNormalize -IncludeText |
            ForEach-Object -Begin { $i = 0 } -Process { [pscustomobject]@{ Id = "doc$i"; Label = @('world', 'hello')[$i++]; Vector = $_.Vector } } |
            Export-Embedding $pq
        $recs = Get-TextEmbedding -Path $pq -ModelPath $echo -VocabPath $vocab -NoNormalize -TextProperty label
        $recs.Id | Should -Be 'doc0', 'doc1'
        $recs.Text | Should -Be 'world', 'hello'
        $recs[1].Vector[0] | Should -Be $hello
        $missing = Get-TextEmbedding -Path $pq -ModelPath $echo -VocabPath $vocab -ErrorVariable errs -ErrorAction SilentlyContinue
        $missing | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike "MissingColumn,$cmd"
        $errs[0].Exception.Message | Should -Match "no 'Text' column \(its columns: 'id', 'path', 'label', 'embedding'"
        $bad = Join-Path $files 'truncated.parquet'
        [IO.File]::WriteAllBytes($bad, [IO.File]::ReadAllBytes($pq)[0..99])
        $null = Get-TextEmbedding -Path $bad -ModelPath $echo -VocabPath $vocab -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike "ReadFailed,$cmd"
        $errs[0].Exception.Message | Should -Match 'truncated\.parquet.*not a readable Parquet file'
    }

    It 'reports a file it cannot read (a link to a file gone since the listing) as FileReadFailed, as Get-Embedding does' {
        $gone = Join-Path $files 'gone.txt'
        $null = New-Item -ItemType SymbolicLink -Path $gone -Target (Join-Path $TestDrive 'no-such-file.txt')
        $ok = New-Utf8File 'beside-gone.txt' @('hello')
        $recs = Get-ChildItem -LiteralPath $gone, $ok | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -NoNormalize -ErrorVariable errs -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath $gone
        $recs.Text | Should -Be 'hello'
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike "FileReadFailed,$cmd"
        $errs[0].CategoryInfo.Category | Should -Be 'ReadError'
        $errs[0].Exception.Message | Should -BeLike "Cannot read '*gone.txt'*"
    }

    It 'takes FileInfo objects from Get-ChildItem as files' {
        $txt = New-Utf8File 'gci.txt' @('hello')
        $recs = Get-ChildItem $txt | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -NoNormalize
        $recs.Id | Should -Be "${txt}:1"
    }
}

Describe 'Get-TextEmbedding pooling and batching (generated echo model)' {
    It 'averages only the real tokens, alone or batched with a much longer text' {
        $long = (@('world') * 200) -join ' '
        $alone = 'hello' | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -NoNormalize
        $batched = 'hello', $long, 'hello world' | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -NoNormalize -BatchSize 3
        $alone.Vector | Should -Be @($hello, 1)
        $batched[0].Vector | Should -Be @($hello, 1)
        $batched[1].Vector | Should -Be @([float]((101 + 200 * 2088 + 102) / 202), 1)
        $batched[2].Vector | Should -Be @($helloWorld, 1)
    }
    It 'takes [CLS] with -Pooling Cls and normalises by default' {
        ('hello world' | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -Pooling Cls -NoNormalize).Vector | Should -Be @(101, 1)
        $v = ('hello world' | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab).Vector
        $n = [Math]::Sqrt($helloWorld * $helloWorld + 1)
        [Math]::Abs($v[0] - $helloWorld / $n) | Should -BeLessThan 1e-6
        [Math]::Abs($v[1] - 1 / $n) | Should -BeLessThan 1e-6
    }
    It 'honours -MaxLength' {
        $r = 'hello world hello' | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -NoNormalize -MaxLength 4
        $r.TokenCount | Should -Be 4
        $r.TruncatedTokens | Should -Be 1
        $r.Vector | Should -Be @($helloWorld, 1)
    }
}

Describe 'Get-TextEmbedding bad input' {
    It 'reports $null, empty, whitespace and objects without the text property, and embeds the rest' {
        $inputs = @('hello', $null, '', "  `t ", [pscustomobject]@{ Body = 'x' }, [pscustomobject]@{ Text = $null; Id = 'n1' }, 'hello world')
        $recs = $inputs | Get-TextEmbedding -ModelPath $echo -VocabPath $vocab -NoNormalize -ErrorVariable errs -ErrorAction SilentlyContinue
        $recs.Id | Should -Be '0', '6'
        $errs.FullyQualifiedErrorId | Should -Be "NullInput,$cmd", "EmptyText,$cmd", "EmptyText,$cmd", "MissingTextProperty,$cmd", "EmptyText,$cmd"
        $errs[1].Exception.Message | Should -Match 'pipeline input 2'
        $errs[4].Exception.Message | Should -Match "Id 'n1'.* is missing"
        $errs[3].Exception.Message | Should -Match "no 'Text' property \(it has: Body\)"
    }
    It 'embeds a 5 MB document quickly from its start, with a warning naming it' {
        $big = 'The quick brown fox jumps over the lazy dog. ' * 116509
        $big.Length | Should -BeGreaterThan 5MB
        $r = $big | Get-TextEmbedding -WarningVariable warns -WarningAction SilentlyContinue
        $r.TokenCount | Should -Be 256
        $r.TruncatedTokens | Should -Be (116509 * 10 - 254)
        $warns | Should -HaveCount 1
        "$($warns[0])" | Should -Match 'pipeline input 0 is 5[,.]242[,.]905 characters'
        $r.Text.Length | Should -Be 101
    }
    It 'refuses a model without BERT inputs, naming what it takes' {
        $vec = Join-Path $TestDrive 'vector.onnx'
        $M::SaveVectorModel($vec)
        { 'x' | Get-TextEmbedding -ModelPath $vec -VocabPath $vocab } | Should -Throw -ErrorId "ModelLoadFailed,$cmd"
        try { 'x' | Get-TextEmbedding -ModelPath $vec -VocabPath $vocab } catch { $_.Exception.Message | Should -Match 'takes x Single\[-1,10\]; a BERT-family text model takes input_ids and attention_mask' }
    }
    It 'asks for a vocabulary when none is beside the model' {
        $lonely = Join-Path (New-Item -ItemType Directory -Force (Join-Path $TestDrive 'lonely')) 'm.onnx'
        $M::SaveTokenEchoModel($lonely, $false)
        { 'x' | Get-TextEmbedding -ModelPath $lonely } | Should -Throw -ErrorId "ModelLoadFailed,$cmd"
        Copy-Item $vocab (Join-Path $TestDrive 'lonely/vocab.txt')
        ('hello' | Get-TextEmbedding -ModelPath $lonely -NoNormalize).Vector | Should -Be @($hello, 1)
    }
    It 'refuses model options without -ModelPath, and -Label with -NoLabel' {
        { 'x' | Get-TextEmbedding -Pooling Cls } | Should -Throw -ErrorId "OptionWithoutModelPath,$cmd"
        { 'x' | Get-TextEmbedding -Label a -NoLabel } | Should -Throw -ErrorId "LabelConflict,$cmd"
    }
    It 'reports a path that does not exist and goes on' {
        $txt = New-Utf8File 'exists.txt' @('hello')
        $recs = Get-TextEmbedding -Path (Join-Path $files 'missing.txt'), $txt -ModelPath $echo -VocabPath $vocab -ErrorVariable errs -ErrorAction SilentlyContinue
        $recs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike "PathNotFound,$cmd"
    }
}

Describe 'Get-TextEmbedding stopping' {
    It 'stops within a batch when the pipeline is stopped (Ctrl+C), and returns what it had' {
        $ps = [powershell]::Create()
        # $read counts the texts handed to Get-TextEmbedding, so the test sees what was in flight.
        $null = $ps.AddScript("Import-Module '$ManifestPath'; 1..20000 | ForEach-Object { `$global:read = `$_; 'A ticket about a printer that jams on page ' + `$_ } | Get-TextEmbedding -BatchSize 8")
        $out = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $out)
        # Wait for the first records, so the workers are inside model runs when the stop comes.
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ($out.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $out.Count | Should -BeGreaterThan 0
        $ps.Stop()
        # A model run cut short by the stop ends as a stopped pipeline, not as an error.
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Streams.Error | Should -HaveCount 0
        $read = $ps.Runspace.SessionStateProxy.GetVariable('read')
        # The stop ended the input: 20 000 texts were not all read, and texts read but not yet
        # emitted (batches queued or running) were dropped, not embedded and emitted after it.
        $read | Should -BeLessThan 20000
        $out.Count | Should -BeLessThan $read
        # Reading stays a bounded distance ahead of the output, which is what lets a stop end the
        # input: at most 2 × ThrottleLimit + 1 queued chunks of 4 × BatchSize texts, the chunk
        # being emitted and the one being filled. A cmdlet that read on without bound would have
        # read thousands of texts ahead by the time the first records came.
        $read - $out.Count | Should -BeLessOrEqual ((2 * [Environment]::ProcessorCount + 3) * 4 * 8)
        # What it had is the first records, whole and in input order.
        for ($i = 0; $i -lt $out.Count; $i++) {
            $out[$i].Id | Should -Be "$i"
            $out[$i].Text | Should -Be "A ticket about a printer that jams on page $($i + 1)"
            $out[$i].Vector | Should -HaveCount 384
        }
        $ps.Dispose()
    }
}

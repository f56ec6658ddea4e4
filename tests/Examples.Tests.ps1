# Every script in examples/ runs here on small inputs, so a user who copies one gets a working start.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # A Fashion-MNIST look-alike in the idx format (gzip), three classes of drawn 28×28 patterns.
    function New-IdxGz([string] $Path, [int[]] $Header, [byte[]] $Body) {
        $ms = [IO.MemoryStream]::new()
        foreach ($h in $Header) { $b = [BitConverter]::GetBytes([int]$h); [Array]::Reverse($b); $ms.Write($b, 0, 4) }
        $ms.Write($Body, 0, $Body.Length)
        $file = [IO.File]::Create($Path)
        $gz = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionLevel]::Fastest)
        $bytes = $ms.ToArray(); $gz.Write($bytes, 0, $bytes.Length); $gz.Dispose(); $file.Dispose()
    }
    function New-FakeSplit([string] $Dir, [string] $Images, [string] $Labels, [int] $Count) {
        $pixels = [byte[]]::new($Count * 784)
        $labelBytes = [byte[]]::new($Count)
        for ($i = 0; $i -lt $Count; $i++) {
            $c = $i % 3; $labelBytes[$i] = $c
            for ($p = 0; $p -lt 784; $p++) {
                $x = $p % 28; $y = [Math]::Floor($p / 28)
                $on = switch ($c) { 0 { ($x + $i) % 7 -lt 3 } 1 { ($y + $i) % 7 -lt 3 } default { [Math]::Abs($x - 14) + [Math]::Abs($y - 14) -lt 8 + $i % 3 } }
                $pixels[$i * 784 + $p] = if ($on) { 220 } else { 20 }
            }
        }
        New-IdxGz (Join-Path $Dir $Images) @(0x803, $Count, 28, 28) $pixels
        New-IdxGz (Join-Path $Dir $Labels) @(0x801, $Count) $labelBytes
    }
    $data = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'idx')
    New-FakeSplit $data 'train-images-idx3-ubyte.gz' 'train-labels-idx1-ubyte.gz' 45
    New-FakeSplit $data 't10k-images-idx3-ubyte.gz' 't10k-labels-idx1-ubyte.gz' 24
    $fm = Join-Path $TestDrive 'fm'
}

Describe 'examples/fashion-mnist.ps1 and examples/paper-fashion-mnist.ps1' {
    It 'turns idx files into labelled .npy embeddings, resumably' {
        $lines = Invoke-ChildPwsh -Command "& '$(Join-Path $RepoRoot 'examples/fashion-mnist.ps1')' -DataDirectory '$data' -OutputDirectory '$fm'"
        ($lines -join "`n") | Should -Match 'Done in'
        Import-Module $ManifestPath -Force
        $train = Import-Embedding (Join-Path $fm 'fashion-mnist-train.npy') -LabelPath (Join-Path $fm 'fashion-mnist-train-labels.npy') -IdPath (Join-Path $fm 'fashion-mnist-train-ids.txt')
        $train | Should -HaveCount 45
        $train[0].Vector | Should -HaveCount 512
        # Rows follow the idx order: record i has class i mod 3 and the file for index i.
        $classes = 'tshirt-top', 'trouser', 'pullover'
        for ($i = 0; $i -lt 45; $i += 7) { $train[$i].Label | Should -Be $classes[$i % 3]; $train[$i].Id | Should -BeLike ('*{0:D5}.png' -f $i) }
        (Import-Embedding (Join-Path $fm 'fashion-mnist-test.npy')) | Should -HaveCount 24
        # A second run finds everything in the cache.
        $again = Invoke-ChildPwsh -Command "& '$(Join-Path $RepoRoot 'examples/fashion-mnist.ps1')' -DataDirectory '$data' -OutputDirectory '$fm' -Verbose"
        ($again -join "`n") | Should -Match '\(45 from the cache\)'
    }
    # In the same Describe: TestDrive, and so the embeddings above, last for one block.
    It 'examples/paper-fashion-mnist.ps1 writes the results table, the raw rows and the plot' {
        $docs = Join-Path $TestDrive 'docs'
        $lines = Invoke-ChildPwsh -Command "& '$(Join-Path $RepoRoot 'examples/paper-fashion-mnist.ps1')' -EmbeddingDirectory '$fm' -DocsDirectory '$docs' -Size 30,45 -K 3 -Seeds 2 -KeepFraction 1,0.5 -MaxIterations 50"
        ($lines -join "`n") | Should -Match 'Wrote'
        $rows = Import-Csv (Join-Path $docs 'paper-fashion-mnist.csv')
        # 30: two seeds; 45 (the full set): one; each: 2 prototypes × 2 fractions × 3 strategies × 2 balances.
        $rows.Count | Should -Be ((2 + 1) * 2 * 12)
        ($rows | Where-Object { $_.KeepFraction -eq 0.5 } | Select-Object -First 1).Kept | Should -Be 15
        $md = Get-Content (Join-Path $docs 'paper-fashion-mnist.md') -Raw
        $md | Should -Match '\| 30 \| Hard bal \|'
        $md | Should -Match 'Keep-hard minus keep-easy at keep 0.5'
        $md | Should -Match 'best prototypicality selection minus the better random one'
        $png = [IO.File]::ReadAllBytes((Join-Path $docs 'paper-fashion-mnist.png'))
        $png[1..3] | Should -Be ([byte[]][char[]]'PNG')
    }
}

Describe 'examples/bench.ps1' {
    It 'runs its determinism and seeding checks' {
        $out = Join-Path $TestDrive 'bench'
        $lines = Invoke-ChildPwsh -Command "& '$(Join-Path $RepoRoot 'examples/bench.ps1')' -Quick -Only Determinism, Init -OutputDirectory '$out'"
        $results = Get-Content (Join-Path $out 'bench-results.json') -Raw | ConvertFrom-Json
        ($results | Where-Object Benchmark -EQ 'determinism').Identical | Should -BeTrue
        ($results | Where-Object Benchmark -EQ 'init').InitInIterations | Should -BeGreaterThan 0
    }
}

Describe 'examples/text-corpus.ps1' {
    It 'embeds, deduplicates, prunes and probes a fortune-format corpus' {
        # Three small classes in the fortune format (cookies between lines of %), with one
        # cookie repeated word for word and one repeated with other whitespace.
        $dir = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'fortunes')
        $topics = @{
            cooking = 'The soup needs more salt and a slow simmer', 'Bake the bread until the crust is golden brown', 'Chop the onions finely before frying them in butter'
            space   = 'The rocket reached orbit after a long burn', 'Astronomers found a new planet around a distant star', 'The telescope photographed a spiral galaxy'
            law     = 'The court ruled that the contract was void', 'The judge asked the jury to return a verdict', 'A lawyer filed an appeal against the sentence'
        }
        foreach ($class in $topics.Keys) {
            $cookies = for ($i = 0; $i -lt 12; $i++) { "$($topics[$class][$i % 3]), number $i." }
            if ($class -eq 'space') { $cookies += $cookies[0]; $cookies += ($cookies[1] -replace ' ', "`n  ") }
            Set-Content (Join-Path $dir $class) (($cookies -join "`n%`n") + "`n%")
        }
        $csv = Join-Path $TestDrive 'text-pruning.csv'
        $lines = Invoke-ChildPwsh -Command "& '$(Join-Path $RepoRoot 'examples/text-corpus.ps1')' -FortuneDirectory '$dir' -Category cooking, space, law -K 3 -OutputDirectory '$(Join-Path $TestDrive 'text-out')' -ResultPath '$csv'"
        $text = $lines -join "`n"
        $text | Should -Match '38 cookies in 3 classes: cooking 12, law 12, space 14'
        $text | Should -Match 'Exact duplicates: 2 texts appear more than once \(2 surplus copies\)'
        $text | Should -Match 'Recommendation: '
        $text | Should -Match 'Done in'
        $rows = Import-Csv $csv
        $rows.Count | Should -Be (5 * 3 * 2)
        ($rows | Where-Object { $_.KeepFraction -eq 1 } | Select-Object -First 1).KeptCount | Should -BeGreaterThan 20
    }
}

Describe 'examples/increments.ps1' {
    It 'applies a second day as an increment without its copies of kept records, and takes it back alone' {
        $out = Join-Path $TestDrive 'increments'
        $lines = Invoke-ChildPwsh -Command "& '$(Join-Path $RepoRoot 'examples/increments.ps1')' -OutputDirectory '$out'"
        $text = $lines -join "`n"
        $text | Should -Match 'Day 1: 18 copied.*\(increment 1, manifest\.csv\)'
        $text | Should -Match '2 copy a kept record and are dropped: day2/copy-of-item\d+\.txt = day1/item\d+, day2/copy-of-item\d+\.txt = day1/item\d+'
        $text | Should -Match 'Day 2: \d+ copied.*\(increment 2, manifest\.2\.csv\)'
        $text | Should -Match 'In .*: manifest\.2\.csv, manifest\.csv, prune-journal\.jsonl, prune\.2\.json, prune\.json'
        $text | Should -Match 'Undo-PrunedSet -Last: .*day 1 stays: manifest\.csv, prune-journal\.jsonl, prune\.json'
        @(Get-ChildItem (Join-Path $out 'pruned/day1') -Recurse -File) | Should -HaveCount 18
        Test-Path (Join-Path $out 'pruned/day2') | Should -BeFalse
    }
}

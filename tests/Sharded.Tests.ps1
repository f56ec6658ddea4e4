# Sharded selection across separate pwsh processes: 4 shards of 20 000 records with many tied
# distances, every policy a sharded run supports, compared with Select-PrunedSet in one process.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force
    $script:Dir = (Join-Path $TestDrive 'sharded')
    New-Item -ItemType Directory $Dir | Out-Null
    $script:Shards = 4

    # 20 000 quantised 8-d vectors (entries 0 or 1, plus 1 in the first): 256 distinct vectors, so
    # about 80 exact copies of each and thousands of records tied at every cut.
    # Skewed labels so -MinPerGroup binds for the small ones. Written as .npy by hand.
    $n = 20000; $d = 8
    $rng = [Random]::new(12)
    $data = [float[]]::new($n * $d)
    for ($i = 0; $i -lt $data.Length; $i++) { $data[$i] = $rng.Next(0, 2) }
    for ($i = 0; $i -lt $n; $i++) { $data[$i * $d] += 1 } # no all-zero rows
    $header = "{'descr': '<f4', 'fortran_order': False, 'shape': ($n, $d), }"
    $header = $header.PadRight(64 * [Math]::Ceiling(($header.Length + 11) / 64) - 11) + "`n"
    $bytes = [Collections.Generic.List[byte]]::new()
    $bytes.AddRange([byte[]](0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0))
    $bytes.AddRange([BitConverter]::GetBytes([uint16]$header.Length))
    $bytes.AddRange([Text.Encoding]::ASCII.GetBytes($header))
    $raw = [byte[]]::new($data.Length * 4); [Buffer]::BlockCopy($data, 0, $raw, 0, $raw.Length); $bytes.AddRange($raw)
    [IO.File]::WriteAllBytes("$Dir/all.npy", $bytes.ToArray())
    $labelOf = { param($u) if ($u -lt 0.5) { 'L0' } elseif ($u -lt 0.75) { 'L1' } elseif ($u -lt 0.9) { 'L2' } elseif ($u -lt 0.97) { 'L3' } else { 'L4' } }
    [IO.File]::WriteAllLines("$Dir/labels.txt", [string[]](0..($n - 1) | ForEach-Object { & $labelOf $rng.NextDouble() }))
    [IO.File]::WriteAllLines("$Dir/ids.txt", [string[]](0..($n - 1) | ForEach-Object { 'img/{0:x5}-{1}.jpg' -f $rng.Next(1048576), $_ }))

    # Fit once on a sample fixed by the Ids.
    Import-Embedding "$Dir/all.npy" -IdPath "$Dir/ids.txt" -LabelPath "$Dir/labels.txt" |
        Select-Shard -SampleFraction 0.25 | Invoke-KMeans -K 8 -Seed 1 | Save-KMeansModel "$Dir/model.json"

    # Every strategy, amount, balance and floor a sharded run supports, each at least once (the
    # xunit tests run the full product in one process).
    $script:Policies = @(
        @{ Keep = 'Hard'; BalanceBy = 'None'; KeepFraction = 0.3 }
        @{ Keep = 'Easy'; BalanceBy = 'Label'; KeepCount = 4321 }
        @{ Keep = 'Random'; BalanceBy = 'Cluster'; KeepFraction = 0.3; Seed = 5 }
        @{ Keep = 'Hard'; BalanceBy = 'Density'; KeepFraction = 0.3 }
        @{ Keep = 'Hard'; BalanceBy = 'Label'; KeepFraction = 0.05; MinPerGroup = 100 }
        @{ Keep = 'Easy'; BalanceBy = 'Cluster'; KeepCount = 2000; MinPerGroup = 200 }
        @{ Keep = 'Random'; BalanceBy = 'Density'; KeepFraction = 0.05; MinPerGroup = 50; Temperature = 0.2; Seed = 3 }
        @{ Keep = 'Easy'; BalanceBy = 'None'; KeepCount = 777 }
    )
    ($Policies | ConvertTo-Json -Depth 3) | Set-Content "$Dir/policies.json"

    # One shard step, run as its own process: scores the shard against the saved model and runs
    # one round (1, 2, or 3 = select) of every policy.
    Set-Content "$Dir/shard.ps1" @'
param([int] $Round, [int] $Index, [int] $Count, [string] $Dir, [string] $Out, [string] $Manifest)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$model = Import-KMeansModel "$Dir/model.json"
$scored = Import-Embedding "$Dir/all.npy" -IdPath "$Dir/ids.txt" -LabelPath "$Dir/labels.txt" |
    Select-Shard -Index $Index -Count $Count | Measure-Prototypicality -Model $model
$policies = Get-Content "$Dir/policies.json" -Raw | ConvertFrom-Json
for ($p = 0; $p -lt $policies.Count; $p++) {
    $params = @{}
    foreach ($prop in $policies[$p].PSObject.Properties) { $params[$prop.Name] = $prop.Value }
    switch ($Round) {
        1 { $scored | Measure-ShardSummary "$Out/$p/r1/$Index.json" @params }
        2 { $scored | Measure-ShardSummary "$Out/$p/r2/$Index.json" -Plan "$Out/$p/plan.json" -Index $Index -Count $Count }
        3 { $scored | Select-PrunedSet -Cut "$Out/$p/cut.json" -IncludePruned | ForEach-Object { "$($_.Id)`t$($_.Kept)`t$($_.Reason)" } |
                Set-Content "$Out/$p/decided-$Index.txt" }
    }
}
'@

    function script:Start-Shard([int] $Round, [int] $Index, [string] $Out, [hashtable] $Environment = @{}) {
        $p = Start-ChildPwsh -File "$Dir/shard.ps1" -ArgumentList "$Round", "$Index", "$Shards", $Dir, $Out, $ManifestPath -Environment $Environment
        [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
    }
    function script:Wait-Shards($started) {
        foreach ($s in $started) {
            $s.Process.WaitForExit()
            if ($s.Process.ExitCode -ne 0) { throw "shard process failed ($($s.Process.ExitCode)): $($s.Err.Result) $($s.Out.Result)" }
        }
    }
    # Round 1 finds its shard the way a Slurm array task does (--array=1-4: ids 1 to 4, MIN 1).
    function script:Slurm([int] $Index) { @{ SLURM_ARRAY_TASK_ID = "$($Index + 1)"; SLURM_ARRAY_TASK_MIN = '1'; SLURM_ARRAY_TASK_COUNT = "$Shards" } }
    function script:Invoke-Round([int] $Round, [string] $Out) {
        Wait-Shards @(0..($Shards - 1) | ForEach-Object { Start-Shard $Round $_ $Out (Slurm $_) })
    }

    # The whole sharded run: 3 rounds of 4 processes each, two merges per policy in between.
    $script:Run = "$Dir/run"
    Invoke-Round 1 $Run
    for ($p = 0; $p -lt $Policies.Count; $p++) { Merge-ShardSummary "$Run/$p/r1/*.json" "$Run/$p/plan.json" }
    Invoke-Round 2 $Run
    for ($p = 0; $p -lt $Policies.Count; $p++) {
        # any order of the files gives the same cut
        Get-ChildItem "$Run/$p/r2" -Filter *.json | Sort-Object Name -Descending | Merge-ShardSummary -OutFile "$Run/$p/cut.json"
    }
    Invoke-Round 3 $Run

    $script:Scored = Import-Embedding "$Dir/all.npy" -IdPath "$Dir/ids.txt" -LabelPath "$Dir/labels.txt" |
        Measure-Prototypicality -Model (Import-KMeansModel "$Dir/model.json")
}

Describe 'Sharded selection in separate processes' {
    It 'has many tied distances and all five labels' {
        ($Scored.Distance | Sort-Object -Unique).Count | Should -BeLessThan 300
        ($Scored.Label | Sort-Object -Unique).Count | Should -Be 5
    }

    It 'keeps exactly the Ids and Reasons of one process: policy <Index>' -ForEach (0..7 | ForEach-Object { @{ Index = $_ } }) {
        $params = $Policies[$Index]
        $single = @{}
        $Scored | Select-PrunedSet @params -IncludePruned | ForEach-Object { $single[$_.Id] = "$($_.Kept)`t$($_.Reason)" }
        $lines = Get-ChildItem "$Run/$Index" -Filter 'decided-*.txt' | ForEach-Object { Get-Content $_ }
        $lines.Count | Should -Be 20000
        $kept = 0; $wrong = 0
        foreach ($line in $lines) {
            $id, $rest = $line -split "`t", 2
            if ($single[$id] -ne $rest) { $wrong++ }
            if ($rest.StartsWith('True')) { $kept++ }
        }
        $wrong | Should -Be 0
        $kept | Should -Be ($single.Values | Where-Object { $_.StartsWith('True') }).Count
        $kept | Should -BeGreaterThan 0
        $kept | Should -BeLessThan 20000
    }

    It 'put every record in exactly one shard' {
        $ids = Get-ChildItem "$Run/0" -Filter 'decided-*.txt' | ForEach-Object { Get-Content $_ | ForEach-Object { ($_ -split "`t")[0] } }
        ($ids | Sort-Object -Unique).Count | Should -Be 20000
        @(Get-ChildItem "$Run/0" -Filter 'decided-*.txt' | Where-Object Length -EQ 0).Count | Should -Be 0
    }

    It 'breaks the ties at a cut by Id' {
        $tied = Get-Content "$Run/0/decided-*.txt" | Where-Object { $_ -match 'tied with the cut' }
        $tied | Should -Not -BeNullOrEmpty
        $tied[0] | Should -Match 'Id order'
    }
}

Describe 'Restarting shard steps' {
    It 'rewrites nothing when a finished shard runs again, here in another process' {
        $before = Get-Item "$Run/0/r1/2.json"
        $bytes = [IO.File]::ReadAllBytes($before.FullName)
        Start-Sleep -Milliseconds 50
        $params = $Policies[0]
        $Scored | Select-Shard -Index 2 -Count $Shards | Measure-ShardSummary "$Run/0/r1/2.json" @params -Index 2 -Count $Shards
        $after = Get-Item "$Run/0/r1/2.json"
        $after.LastWriteTimeUtc | Should -Be $before.LastWriteTimeUtc
        [IO.File]::ReadAllBytes($after.FullName) | Should -Be $bytes
    }

    It 'writes the same bytes after kill -9 in the middle of a round' {
        $out = "$Dir/killed"
        $s = Start-Shard 1 1 $out (Slurm 1)
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-Path "$out/3/r1/1.json") -and [DateTime]::UtcNow -lt $deadline -and -not $s.Process.HasExited) { Start-Sleep -Milliseconds 20 }
        $s.Process.Kill() # SIGKILL on Linux and macOS
        $s.Process.WaitForExit()
        $written = @(Get-ChildItem $out -Recurse -Filter '*.json').Count
        $written | Should -BeLessThan $Policies.Count -Because 'the kill must land before the round finished'
        # what a killed writer can leave: a partial temporary file beside a target
        New-Item -ItemType Directory "$out/7/r1" -Force | Out-Null
        Set-Content "$out/7/r1/.1.json.0123456789abcdef0123456789abcdef.prune-tmp" '{"Format":"PruneCmdlets.Shard'
        Wait-Shards @(Start-Shard 1 1 $out (Slurm 1))
        for ($p = 0; $p -lt $Policies.Count; $p++) {
            [IO.File]::ReadAllBytes("$out/$p/r1/1.json") | Should -Be ([IO.File]::ReadAllBytes("$Run/$p/r1/1.json"))
        }
        # the stale temporary file is not a summary: a wildcard merge never sees it
        @(Get-ChildItem "$out/7/r1" -Filter '*.json').Name | Should -Be '1.json'
    }
}

Describe 'Merge-ShardSummary refuses incomplete or foreign summaries' {
    BeforeEach {
        $script:Case = Join-Path $TestDrive ([guid]::NewGuid())
        Copy-Item "$Run/0/r1" $Case -Recurse
    }
    It 'names a missing shard' {
        Remove-Item "$Case/2.json"
        { Merge-ShardSummary "$Case/*.json" "$Case/plan.json" } | Should -Throw -ErrorId 'ShardSummaryMissing,PruneCmdlets.Commands.MergeShardSummaryCommand'
        { Merge-ShardSummary "$Case/*.json" "$Case/plan.json" } | Should -Throw '*shard(s) 2*'
    }
    It 'names both files of a duplicate shard' {
        Copy-Item "$Case/1.json" "$Case/1-again.json"
        { Merge-ShardSummary "$Case/*.json" "$Case/plan.json" } | Should -Throw -ErrorId 'ShardSummaryDuplicate,PruneCmdlets.Commands.MergeShardSummaryCommand'
    }
    It 'refuses a summary of another policy' {
        Copy-Item "$Run/1/r1/3.json" "$Case/3.json" -Force
        { Merge-ShardSummary "$Case/*.json" "$Case/plan.json" } | Should -Throw -ErrorId 'ShardSummaryMismatch,PruneCmdlets.Commands.MergeShardSummaryCommand'
    }
    It 'refuses round-1 and round-2 summaries together' {
        Copy-Item "$Run/0/r2/3.json" "$Case/3.json" -Force
        { Merge-ShardSummary "$Case/*.json" "$Case/plan.json" } | Should -Throw -ErrorId 'ShardSummaryMismatch,PruneCmdlets.Commands.MergeShardSummaryCommand'
    }
    It 'refuses an edited policy' {
        (Get-Content "$Case/0.json" -Raw) -replace '"KeepFraction":0.3', '"KeepFraction":0.4' | Set-Content "$Case/0.json"
        { Merge-ShardSummary "$Case/*.json" "$Case/plan.json" } | Should -Throw -ErrorId 'CorruptShardFile,PruneCmdlets.Commands.MergeShardSummaryCommand'
    }
    It 'refuses a round-2 summary made against another plan' {
        Copy-Item "$Run/0/r2" "$Case-r2" -Recurse
        Copy-Item "$Run/1/r2/0.json" "$Case-r2/0.json" -Force
        { Merge-ShardSummary "$Case-r2/*.json" "$Case-r2/cut.json" } | Should -Throw -ErrorId 'ShardSummaryMismatch,PruneCmdlets.Commands.MergeShardSummaryCommand'
    }
}

Describe 'Shard files edited by hand, or with null or missing fields' {
    BeforeAll {
        # Edits a JSON shard file as a person (or a script) would: parse, change, write back.
        function script:Edit-ShardFile([string] $Path, [scriptblock] $Change) {
            $root = [System.Text.Json.Nodes.JsonNode]::Parse([IO.File]::ReadAllText($Path))
            & $Change $root
            [IO.File]::WriteAllText($Path, $root.ToJsonString())
        }
        function script:Copy-Run([string] $Name) {
            $case = Join-Path $TestDrive $Name
            Copy-Item "$Run/0" $case -Recurse
            $case
        }
    }
    It 'refuses a round-2 summary whose count was changed' {
        $case = Copy-Run 'edited-count'
        Edit-ShardFile "$case/r2/1.json" { param($j) $g = $j['Groups'][0]; $g['AtOrBelowLow'] = [int]$g['AtOrBelowLow'].GetValue[int]() + 5 }
        $e = { Merge-ShardSummary "$case/r2/*.json" "$case/cut2.json" } | Should -Throw -ErrorId 'CorruptShardFile,PruneCmdlets.Commands.MergeShardSummaryCommand' -PassThru
        $e.Exception.Message | Should -BeLike "*$case/r2/1.json*"
        $e.TargetObject | Should -Be "$case/r2/1.json"
        "$case/cut2.json" | Should -Not -Exist
    }
    It "refuses a cut whose key was changed" {
        $case = Copy-Run 'edited-cut'
        Edit-ShardFile "$case/cut.json" { param($j) $g = $j['Groups'][0]; $g['CutKey'] = $g['CutKey'].GetValue[uint64]() - 1000 }
        $e = { $Scored[0..99] | Select-PrunedSet -Cut "$case/cut.json" } | Should -Throw -ErrorId 'CorruptShardFile,PruneCmdlets.Commands.SelectPrunedSetCommand' -PassThru
        $e.Exception.Message | Should -BeLike "*$case/cut.json*"
    }
    It 'refuses <File> with <Field> null or missing, naming the file' -ForEach @(
        @{ File = 'r1/0.json'; Field = 'Policy'; Remove = $false; Step = 'Merge' }
        @{ File = 'r1/0.json'; Field = 'Groups'; Remove = $false; Step = 'Merge' }
        @{ File = 'r1/2.json'; Field = 'Groups/0'; Remove = $false; Step = 'Merge' }
        @{ File = 'r1/2.json'; Field = 'Groups/0/Key'; Remove = $false; Step = 'Merge' }
        @{ File = 'r1/3.json'; Field = 'Groups'; Remove = $true; Step = 'Merge' }
        @{ File = 'r2/0.json'; Field = 'Plan/Policy'; Remove = $false; Step = 'Merge2' }
        @{ File = 'plan.json'; Field = 'Policy'; Remove = $false; Step = 'Measure' }
        @{ File = 'plan.json'; Field = 'Groups/0/High'; Remove = $true; Step = 'Measure' }
        @{ File = 'cut.json'; Field = 'Groups/0/CutId'; Remove = $false; Step = 'Select' }
        @{ File = 'cut.json'; Field = 'Groups'; Remove = $false; Step = 'Select' }
        @{ File = 'cut.json'; Field = 'Policy'; Remove = $true; Step = 'Select' }
    ) {
        $case = Copy-Run ([guid]::NewGuid())
        $path = "$case/$File"
        Edit-ShardFile $path {
            param($j)
            $parts = $Field -split '/'
            $node = $j
            # Assigned in each branch: an if-expression's output would enumerate the JSON node.
            foreach ($p in $parts | Select-Object -SkipLast 1) { if ($p -match '^\d+$') { $node = $node.AsArray()[[int]$p] } else { $node = $node.AsObject()[$p] } }
            $last = $parts[-1]
            if ($last -match '^\d+$') { $node.AsArray()[[int]$last] = $null }
            elseif ($Remove) { [void]$node.AsObject().Remove($last) }
            else { $node.AsObject()[$last] = $null }
        }
        $command, $cmdlet = switch ($Step) {
            'Merge' { { Merge-ShardSummary "$case/r1/*.json" "$case/out.json" }, 'MergeShardSummaryCommand' }
            'Merge2' { { Merge-ShardSummary "$case/r2/*.json" "$case/out.json" }, 'MergeShardSummaryCommand' }
            'Measure' { { $Scored[0..99] | Measure-ShardSummary "$case/out.json" -Plan $path -Index 0 -Count 4 }, 'MeasureShardSummaryCommand' }
            'Select' { { $Scored[0..99] | Select-PrunedSet -Cut $path }, 'SelectPrunedSetCommand' }
        }
        $e = $command | Should -Throw -ErrorId "CorruptShardFile,PruneCmdlets.Commands.$cmdlet" -PassThru
        $e.Exception.Message | Should -BeLike "*$path*"
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
    }
}

Describe 'Score once, select later: records saved as Parquet keep their k-means model' {
    It 'names the model in a summary of re-imported records, and refuses to merge shards scored against two models' {
        $case = Join-Path $TestDrive 'parquet-models'
        New-Item -ItemType Directory $case | Out-Null
        $shard0 = $Scored | Select-Shard 0 2
        $shard1 = $Scored | Select-Shard 1 2
        # Shard 1 scored against another model (fitted on its own records), then saved and read back.
        $shard1Other = $shard1 | Invoke-KMeans -K 4 -Seed 9 | Measure-Prototypicality
        $shard0 | Export-Embedding "$case/0.parquet"
        $shard1Other | Export-Embedding "$case/1.parquet"
        $back0 = Import-Embedding "$case/0.parquet"
        $back0[0].KMeansModel | Should -BeNullOrEmpty
        $back0[0].KMeansModelFingerprint | Should -Be $Scored[0].KMeansModel.Fingerprint
        $back0 | Measure-ShardSummary "$case/s0.json" -KeepFraction 0.3 -Index 0 -Count 2
        Import-Embedding "$case/1.parquet" | Measure-ShardSummary "$case/s1.json" -KeepFraction 0.3 -Index 1 -Count 2
        (Get-Content "$case/s0.json" -Raw | ConvertFrom-Json).Model | Should -Be $Scored[0].KMeansModel.Fingerprint
        $e = { Merge-ShardSummary "$case/s*.json" "$case/plan.json" } | Should -Throw -ErrorId 'ShardSummaryMismatch,PruneCmdlets.Commands.MergeShardSummaryCommand' -PassThru
        $e.Exception.Message | Should -BeLike '*k-means model*'
        # Both shards from the one model, through Parquet: the merge goes on.
        $shard1 | Export-Embedding "$case/1.parquet"
        Import-Embedding "$case/1.parquet" | Measure-ShardSummary "$case/s1.json" -KeepFraction 0.3 -Index 1 -Count 2
        Merge-ShardSummary "$case/s*.json" "$case/plan.json"
        "$case/plan.json" | Should -Exist
    }
}

Describe 'Shard steps refuse what cannot be exact' {
    It 'refuses Stratified' {
        { $Scored[0..9] | Measure-ShardSummary "$TestDrive/s.json" -Keep Stratified -KeepFraction 0.5 -Index 0 -Count 2 } |
            Should -Throw -ErrorId 'ShardedPolicyNotSupported,PruneCmdlets.Commands.MeasureShardSummaryCommand'
    }
    It 'refuses distances to class means' {
        $byLabel = $Scored[0..99] | Measure-Prototypicality -Prototype Label
        { $byLabel | Measure-ShardSummary "$TestDrive/s.json" -KeepFraction 0.5 -Index 0 -Count 2 } |
            Should -Throw -ErrorId 'ShardedLabelPrototype,PruneCmdlets.Commands.MeasureShardSummaryCommand'
    }
    It 'refuses duplicate Ids in a shard' {
        $rows = Import-Embedding "$Dir/all.npy" | Select-Object -First 50 | Measure-Prototypicality -Model (Import-KMeansModel "$Dir/model.json")
        { @($rows) + @($rows[0]) | Measure-ShardSummary "$TestDrive/s.json" -KeepFraction 0.5 -Index 0 -Count 2 } |
            Should -Throw -ErrorId 'DuplicateId,PruneCmdlets.Commands.MeasureShardSummaryCommand'
    }
    It 'refuses a cut applied to records scored against another model' {
        $other = $Scored[0..199] | Invoke-KMeans -K 3 -Seed 2 | Measure-Prototypicality
        { $other | Select-PrunedSet -Cut "$Run/0/cut.json" } | Should -Throw -ErrorId 'ShardSummaryMismatch,PruneCmdlets.Commands.SelectPrunedSetCommand'
    }
}

Describe 'Invoke-SemDeDup sharded by cluster' {
    It 'removes exactly what one process removes, whatever the order' {
        $assigned = Import-Embedding "$Dir/all.npy" -IdPath "$Dir/ids.txt" | Select-Object -First 6000 |
            Invoke-KMeans -Model (Import-KMeansModel "$Dir/model.json")
        $single = $assigned | Invoke-SemDeDup -Epsilon 0.02 -IncludePruned | Where-Object Kept -EQ $false | ForEach-Object Id | Sort-Object
        $single.Count | Should -BeGreaterThan 100
        $sharded = foreach ($s in 0..3) {
            $part = @($assigned | Select-Shard -By Cluster -Index $s -Count 4)
            [array]::Reverse($part)
            if ($part.Count) { $part | Invoke-SemDeDup -Epsilon 0.02 -IncludePruned | Where-Object Kept -EQ $false | ForEach-Object Id }
        }
        ($sharded | Sort-Object) | Should -Be $single
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'ApplyTestHelpers.ps1')
    Import-Module $ManifestPath -Force

    # The run id the report stamps on its overrides: DecisionRun.Id over the records' Id and Kept.
    function Get-RunId {
        param([object[]] $Records)
        [PruneCmdlets.Review.DecisionRun]::Id([System.ValueTuple[string, bool][]]@($Records | ForEach-Object { [ValueTuple]::Create([string]$_.Id, $_.Kept -ne $false) }))
    }

    # overrides.csv written by hand to the contract: UTF-8 with a byte-order mark, CRLF, RFC 4180 quoting.
    function Write-Overrides {
        param([string] $Path, [string[]] $Lines)
        [IO.File]::WriteAllText($Path, (($Lines -join "`r`n") + "`r`n"), [Text.UTF8Encoding]::new($true))
        $Path
    }

    # cat/a kept, cat/b pruned, dog/c kept, dog/d kept.
    function New-Decided {
        param([string] $Root)
        $spec = [ordered]@{ 'cat/a.bin' = $true; 'cat/b.bin' = $false; 'dog/c.bin' = $true; 'dog/d.bin' = $true }
        $i = 0
        foreach ($rel in $spec.Keys) {
            $path = Join-Path $Root $rel
            New-SourceFile -Path $path -Size (1500 + 10 * $i) -Seed (40 + $i)
            [pscustomobject]@{ Id = "id-$i"; Path = $path; Label = ($rel -split '/')[0]; Kept = $spec[$rel]; Reason = if ($spec[$rel]) { 'kept: policy' } else { 'pruned: policy' } }
            $i++
        }
    }
}

Describe 'Export-PrunedSet -Override' {
    BeforeAll {
        $root = Join-Path $TestDrive 'src'
        $script:records = @(New-Decided $root)
        $run = Get-RunId $records
        $script:file = Write-Overrides (Join-Path $TestDrive 'overrides.csv') @(
            'Id,Kept,Note,RunId'
            "id-1,True,""rare, the """"only"""" one"",$run"
            "id-2,false,,$run")
        $script:dest = Join-Path $TestDrive 'out'
        $script:summary = $records | Export-PrunedSet $dest -Override $file -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [PruneCmdlets.Apply.PrunedSetSummary] }
        $script:verbose = @($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
    }

    It 'places the files the review keeps and not those it prunes' {
        Get-RelativeFiles $dest | Should -Be @('cat/a.bin', 'cat/b.bin', 'dog/d.bin', 'manifest.csv', 'prune-journal.jsonl', 'prune.json')
        Get-Sha256 (Join-Path $dest 'cat/b.bin') | Should -Be (Get-Sha256 $records[1].Path)
        $summary.Kept, $summary.Pruned | Should -Be 3, 1
    }

    It 'gives each flipped record the review as its Reason, and the file''s SHA-256 in the manifest' {
        $rows = @(Import-Csv (Join-Path $dest 'manifest.csv'))
        $rows.Kept | Should -Be 'True', 'True', 'False', 'True'
        $rows.Reason | Should -Be 'kept: policy', 'kept by review: rare, the "only" one', 'pruned by review', 'kept: policy'
        $rows.Override | Should -Be '', (Get-Sha256 $file), (Get-Sha256 $file), ''
    }

    It 'records the overrides file and what it changed in prune.json' {
        $json = Get-Content -Raw (Join-Path $dest 'prune.json') | ConvertFrom-Json
        $json.overrides.path | Should -Be $file
        $json.overrides.sha256 | Should -Be (Get-Sha256 $file)
        $json.overrides.lines, $json.overrides.keptByReview, $json.overrides.prunedByReview, $json.overrides.confirmed | Should -Be 2, 1, 1, 0
    }

    It 'says under -Verbose how many flipped each way' {
        $verbose -match '1 pruned record\(s\) kept by review, 1 kept record\(s\) pruned by review, 0 confirmed' | Should -HaveCount 1
    }

    It 'an override that keeps the decision only sets the Reason' {
        $f = Write-Overrides (Join-Path $TestDrive 'confirm.csv') @('Id,Kept,Note,RunId', "id-0,true,checked,$(Get-RunId $records)")
        $d = Join-Path $TestDrive 'confirmed'
        $records | Export-PrunedSet $d -Override $f | Out-Null
        $rows = @(Import-Csv (Join-Path $d 'manifest.csv'))
        $rows.Kept | Should -Be 'True', 'False', 'True', 'True'
        $rows[0].Reason | Should -Be 'kept by review: checked'
        (Get-Content -Raw (Join-Path $d 'prune.json') | ConvertFrom-Json).overrides.confirmed | Should -Be 1
    }

    It 'writes null overrides into prune.json without -Override' {
        $d = Join-Path $TestDrive 'plain'
        $records | Export-PrunedSet $d | Out-Null
        (Get-Content -Raw (Join-Path $d 'prune.json') | ConvertFrom-Json -AsHashtable).ContainsKey('overrides') | Should -BeTrue
        (Get-Content -Raw (Join-Path $d 'prune.json') | ConvertFrom-Json).overrides | Should -BeNullOrEmpty
    }

    It '-WhatIf names every flip and writes nothing' {
        $d = Join-Path $TestDrive 'whatif'
        # -WhatIf writes to the host, not to a stream: a child pwsh's output shows it.
        $saved = Join-Path $TestDrive 'records.csv'
        $records | Export-Csv -LiteralPath $saved
        $out = Invoke-ChildPwsh "Import-Module '$ManifestPath'; Import-Csv '$saved' | Export-PrunedSet '$d' -Override '$file' -WhatIf | Out-Null"
        ($out -join "`n") | Should -Match "Keep 'id-1' by review \(the decision pruned it\): kept by review: rare, the ""only"" one"
        ($out -join "`n") | Should -Match "Prune 'id-2' by review \(the decision kept it\): pruned by review"
        Test-Path $d | Should -BeFalse
    }

    Context 'a file that cannot be applied writes nothing' {
        It '<Name> is <ErrorId>' -ForEach @(
            @{ Name = 'another run'; ErrorId = 'OverrideRunMismatch'; Lines = { @('Id,Kept,Note,RunId', 'id-1,true,,0123456789abcdef0123456789abcdef') }; Says = 'reviewed for another run' }
            @{ Name = 'an unknown Id'; ErrorId = 'OverrideIdNotFound'; Lines = { param($r) @('Id,Kept,Note,RunId', "id-1,true,,$r", "nobody,false,,$r") }; Says = "Line 3 .*'nobody'" }
            @{ Name = 'the same Id twice'; ErrorId = 'DuplicateOverride'; Lines = { param($r) @('Id,Kept,Note,RunId', "id-1,true,,$r", "id-1,false,,$r") }; Says = 'lines 2 and 3' }
            @{ Name = 'a Kept that is not true or false'; ErrorId = 'InvalidOverrideKept'; Lines = { param($r) @('Id,Kept,Note,RunId', "id-1,yes,,$r") }; Says = "Line 2 .*'yes'" }
        ) {
            $f = Write-Overrides (Join-Path $TestDrive "bad-$ErrorId.csv") (& $Lines (Get-RunId $records))
            $d = Join-Path $TestDrive "bad-$ErrorId"
            $err = $null
            try { $records | Export-PrunedSet $d -Override $f | Out-Null } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
            $err.TargetObject | Should -Be $f
            $err.Exception.Message | Should -Match $Says
            Test-Path $d | Should -BeFalse
        }
    }
}

Describe 'Select-PrunedSet -Override' {
    BeforeAll {
        $raw = foreach ($x in 0, 1, 2, 3, 4, 5) { New-VectorRecord -Id "r$x" -Vector @($x) -Label A }
        $script:scored = @($raw | Measure-Prototypicality -Prototype Label -Metric Euclidean)
        # Distances 2.5, 1.5, 0.5, 0.5, 1.5, 2.5: Keep Hard 2 keeps r0 and r5.
        $script:decided = @($scored | Select-PrunedSet -KeepCount 2 -Keep Hard -IncludePruned)
        $run = Get-RunId $decided
        $script:file = Write-Overrides (Join-Path $TestDrive 'sel.csv') @('Id,Kept,Note,RunId', "r2,TRUE,""a, b"",$run", "r5,False,dup,$run")
    }

    It 'applies the review to the selection''s own decisions, in input order' {
        ($decided | Where-Object Kept).Id | Should -Be 'r0', 'r5'
        $out = @($scored | Select-PrunedSet -KeepCount 2 -Keep Hard -IncludePruned -Override $file)
        $out.Id | Should -Be 'r0', 'r1', 'r2', 'r3', 'r4', 'r5'
        $out.Kept | Should -Be $true, $false, $true, $false, $false, $false
        $out[2].Reason | Should -Be 'kept by review: a, b'
        $out[5].Reason | Should -Be 'pruned by review: dup'
    }

    It 'emits the kept records after the review without -IncludePruned, and the pruned with -Invert' {
        ($scored | Select-PrunedSet -KeepCount 2 -Keep Hard -Override $file).Id | Should -Be 'r0', 'r2'
        ($scored | Select-PrunedSet -KeepCount 2 -Keep Hard -Override $file -Invert).Id | Should -Be 'r1', 'r3', 'r4', 'r5'
    }

    It 'says under -Verbose how many flipped each way' {
        $v = $scored | Select-PrunedSet -KeepCount 2 -Keep Hard -Override $file -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] }
        @($v.Message -match '1 pruned record\(s\) kept by review, 1 kept record\(s\) pruned by review') | Should -HaveCount 1
    }

    It 'refuses overrides made for another selection' {
        { $scored | Select-PrunedSet -KeepCount 3 -Keep Hard -Override $file } | Should -Throw -ErrorId 'OverrideRunMismatch,PruneCmdlets.Commands.SelectPrunedSetCommand'
    }

    It 'refuses a missing file before reading any record' {
        { $scored | Select-PrunedSet -KeepCount 2 -Override (Join-Path $TestDrive 'none.csv') } | Should -Throw -ErrorId 'OverrideFileNotFound,PruneCmdlets.Commands.SelectPrunedSetCommand'
    }
}

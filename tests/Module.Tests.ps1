BeforeDiscovery {
    $cmdletNames = @('Export-Embedding', 'Find-DataIssue', 'Get-Embedding', 'Get-TextEmbedding', 'Import-Embedding', 'Invoke-KMeans', 'Measure-Prototypicality', 'Select-PrunedSet', 'Invoke-SemDeDup', 'Test-PruningStrategy', 'Select-Shard', 'Save-KMeansModel', 'Import-KMeansModel', 'Measure-ShardSummary', 'Merge-ShardSummary', 'Export-PrunedSet', 'Undo-PrunedSet') | Sort-Object
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $module = Import-Module $ManifestPath -Force -PassThru
    $expected = @('Export-Embedding', 'Find-DataIssue', 'Get-Embedding', 'Get-TextEmbedding', 'Import-Embedding', 'Invoke-KMeans', 'Measure-Prototypicality', 'Select-PrunedSet', 'Invoke-SemDeDup', 'Test-PruningStrategy', 'Export-PruneReport', 'Measure-SelectionStability', 'Select-Shard', 'Save-KMeansModel', 'Import-KMeansModel', 'Measure-ShardSummary', 'Merge-ShardSummary', 'Export-PrunedSet', 'Undo-PrunedSet') | Sort-Object
}

Describe 'PruneCmdlets module' {
    It 'has a valid manifest for PowerShell 7.4+ Core' {
        $m = Test-ModuleManifest $ManifestPath
        $m.PowerShellVersion | Should -Be ([version]'7.4')
        $m.CompatiblePSEditions | Should -Be @('Core')
        $m.ExportedFunctions.Count | Should -Be 0
        $m.ExportedAliases.Count | Should -Be 0
    }
    It 'exports exactly the documented cmdlets' {
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be $expected
    }
    It 'stamps the manifest version into the assembly' {
        $asm = [PruneCmdlets.EmbeddingRecord].Assembly.GetName()
        $asm.Version.ToString(3) | Should -Be $module.Version.ToString(3)
    }
    It 'declares an OutputType on <Name>' -ForEach ($cmdletNames | ForEach-Object { @{ Name = $_ } }) {
        (Get-Command $Name).OutputType | Should -Not -BeNullOrEmpty
    }
    It 'hides Vector from the default table view' {
        $text = New-VectorRecord -Id x -Vector @(1, 2) | Invoke-KMeans -K 1 | Format-Table | Out-String
        $text | Should -Match 'Cluster'
        $text | Should -Not -Match 'Vector'
    }
    It 'loads ONNX Runtime''s native library from bin/runtimes in a fresh process' {
        $image = Join-Path $TestDrive 'one.png'
        Initialize-SyntheticImages
        [PruneCmdlets.Examples.SyntheticImages]::SavePng(0, 0, 32, 32, $image)
        $out = Invoke-ChildPwsh -Command "Import-Module '$ManifestPath'; 'DIM ' + (Get-Embedding -LiteralPath '$image').Vector.Length"
        $out | Should -Contain 'DIM 512'
    }
    It 'loads the tokenizer and the text model in a fresh process, without the NuGet wrapper library' {
        $out = Invoke-ChildPwsh -Command "Import-Module '$ManifestPath'; 'DIM ' + ('hello world' | Get-TextEmbedding).Vector.Length; [AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -join ','"
        $out | Should -Contain 'DIM 384'
        ($out -join "`n") | Should -Match 'Microsoft\.ML\.Tokenizers'
        ($out -join "`n") | Should -Not -Match 'SentenceTransformers'
        Get-ChildItem (Join-Path $RepoRoot 'module/bin') -Recurse -Filter 'SentenceTransformers*' | Should -BeNullOrEmpty
    }
    It 'ships only the supported native runtimes' {
        $rids = (Get-ChildItem (Join-Path $RepoRoot 'module/bin/runtimes') -Directory).Name
        $rids | Should -Contain 'linux-x64'
        $rids | ForEach-Object { $_ | Should -BeIn @('linux-x64', 'linux-arm64', 'osx-arm64', 'osx-x64', 'win-x64') }
        Test-Path (Join-Path $RepoRoot 'module/bin/System.Management.Automation.dll') | Should -BeFalse
    }
    It 'completes -Model names' {
        $c = TabExpansion2 -inputScript 'Get-Embedding -Model Res' -cursorColumn 'Get-Embedding -Model Res'.Length
        $c.CompletionMatches.CompletionText | Should -Contain 'ResNet18'
    }
}

Describe 'Help' {
    It '<Name> has a synopsis, a description and at least one example' -ForEach ($cmdletNames | ForEach-Object { @{ Name = $_ } }) {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^$Name \[" # the syntax-only fallback repeats the syntax
        ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
        $help.examples.example[0].code | Should -Match $Name
    }
    It '<Name> describes every parameter' -ForEach ($cmdletNames | ForEach-Object { @{ Name = $_ } }) {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters
        $params = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }
        $help = Get-Help $Name -Full
        foreach ($p in $params) {
            $entry = $help.parameters.parameter | Where-Object name -EQ $p
            $entry | Should -Not -BeNullOrEmpty -Because "-$p of $Name needs help"
            ($entry.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$p of $Name needs a description"
        }
    }
    It 'has an about topic' {
        (Get-Help about_PruneCmdlets | Out-String) | Should -Match 'Measure-Prototypicality'
    }
}

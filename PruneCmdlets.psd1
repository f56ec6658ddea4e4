@{
    # The one source of truth for the version: build.ps1 stamps it into the assembly.
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0c2f9e-5b1e-4c55-9d57-3e1c4a8b7d21'
    RootModule           = 'module/bin/PruneCmdlets.dll'
    Author               = 'PruneCmdlets contributors'
    CompanyName          = 'PruneCmdlets'
    Copyright            = '(c) PruneCmdlets contributors. MIT License.'
    Description          = 'Prune training data sets from PowerShell: embed images with an ONNX model, cluster the embeddings with k-means, score every sample by its distance to its prototype and keep the part that teaches a model most (Sorscher et al. 2022).'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('module/PruneCmdlets.Format.ps1xml')
    CmdletsToExport      = @(
        'Get-Embedding'
        'Find-DataIssue'
        'Get-TextEmbedding'
        'Import-Embedding'
        'Export-Embedding'
        'Invoke-KMeans'
        'Measure-Prototypicality'
        'Select-PrunedSet'
        'Invoke-SemDeDup'
        'Test-PruningStrategy'
        'Export-PruneReport'
        'Measure-SelectionStability'
        'Select-Shard'
        'Save-KMeansModel'
        'Import-KMeansModel'
        'Measure-ShardSummary'
        'Merge-ShardSummary'
        'Export-PrunedSet'
        'Undo-PrunedSet'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('data-pruning', 'machine-learning', 'k-means', 'embeddings', 'onnx', 'dataset')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}

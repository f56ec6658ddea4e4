#Requires -Version 7.4
# Runs every Pester test in this folder in this (fresh) process and writes the counts as JSON
# for build.ps1, which adds them to the xunit counts for the closing "N passed, N failed" line.
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.CIFormat = 'None'
$result = Invoke-Pester -Configuration $config
[ordered]@{
    Passed           = $result.PassedCount
    Failed           = $result.FailedCount
    Skipped          = $result.SkippedCount
    NotRun           = $result.NotRunCount
    FailedContainers = $result.FailedContainersCount
    Total            = $result.TotalCount
} | ConvertTo-Json | Set-Content $ResultPath

#Requires -Version 7.4
<#
.SYNOPSIS
    Benchmarks; filled in by the k-means engine and embedding throughput work.
#>
param([string] $OutputDirectory = (Join-Path $PWD 'bench-output'))
Write-Host 'No benchmarks yet.'

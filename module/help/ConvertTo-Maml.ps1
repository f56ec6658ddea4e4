#Requires -Version 7.4
<#
.SYNOPSIS
    Generates the module's MAML help from Markdown in platyPS layout.
.DESCRIPTION
    platyPS is not available on every build machine, so this script does its one job here:
    it reads module/help/<Cmdlet>.md (SYNOPSIS, DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS,
    OUTPUTS, NOTES, RELATED LINKS) and writes PruneCmdlets.dll-Help.xml. Syntax, parameter
    types, positions, aliases and pipeline input come from the built cmdlets themselves, so the
    help cannot drift from the code; the Markdown supplies the words. A cmdlet or parameter
    without words is reported, and the help test fails on it.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ManifestPath,
    [Parameter(Mandatory)] [string] $MarkdownPath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

function Split-Sections {
    # Returns an ordered map heading -> body for headings of one level ('## ' or '### ').
    param([string] $Text, [string] $Marker)
    $sections = [ordered]@{}
    $current = $null
    $buffer = [Text.StringBuilder]::new()
    $inFence = $false
    foreach ($line in $Text -split "`r?`n") {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($Marker) -and -not $line.StartsWith("$Marker#")) {
            if ($null -ne $current) { $sections[$current] = $buffer.ToString().Trim() }
            $current = $line.Substring($Marker.Length).Trim()
            $null = $buffer.Clear()
            continue
        }
        if ($null -ne $current) { $null = $buffer.AppendLine($line) }
    }
    if ($null -ne $current) { $sections[$current] = $buffer.ToString().Trim() }
    $sections
}

function Get-Paragraphs {
    param([string] $Text)
    if ([string]::IsNullOrWhiteSpace($Text)) { return @() }
    @(($Text -split "(`r?`n){2,}") | ForEach-Object { ($_ -split "`r?`n" | ForEach-Object Trim) -join ' ' } |
        Where-Object { $_ -and $_ -notmatch '^\s*$' })
}

function Write-Paras {
    param([Xml.XmlWriter] $W, [string] $Text)
    foreach ($p in Get-Paragraphs $Text) { $W.WriteElementString('maml', 'para', 'http://schemas.microsoft.com/maml/2004/10', $p) }
}

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

$module = Import-Module $ManifestPath -PassThru -Force
$common = [Management.Automation.Cmdlet]::CommonParameters
$settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
$null = New-Item -ItemType Directory -Force (Split-Path $OutputPath)
$w = [Xml.XmlWriter]::Create($OutputPath, $settings)
$missing = [Collections.Generic.List[string]]::new()
try {
    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', 'http://msh')
    $w.WriteAttributeString('schema', 'maml')
    foreach ($cmd in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
        $mdFile = Join-Path $MarkdownPath "$($cmd.Name).md"
        $doc = if (Test-Path $mdFile) { Get-Content $mdFile -Raw } else { $missing.Add("$($cmd.Name): no Markdown file"); '' }
        $sections = Split-Sections $doc '## '
        $section = { param($name) if ($sections.Contains($name)) { $sections[$name] } else { '' } }
        $paramText = Split-Sections (& $section 'PARAMETERS') '### '

        $w.WriteStartElement('command', 'command', $command)
        $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
        $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
        $w.WriteStartElement('command', 'details', $command)
        $w.WriteElementString('command', 'name', $command, $cmd.Name)
        $w.WriteElementString('command', 'verb', $command, $cmd.Verb)
        $w.WriteElementString('command', 'noun', $command, $cmd.Noun)
        $w.WriteStartElement('maml', 'description', $maml); Write-Paras $w (& $section 'SYNOPSIS'); $w.WriteEndElement()
        $w.WriteEndElement()
        $w.WriteStartElement('maml', 'description', $maml); Write-Paras $w (& $section 'DESCRIPTION'); $w.WriteEndElement()

        $describe = {
            param($p, $set)
            $text = $null
            foreach ($key in @("-$($p.Name)", $p.Name)) { if ($paramText.Contains($key)) { $text = $paramText[$key] } }
            $type = $p.ParameterType
            $isSwitch = $type -eq [switch]
            $inner = [Nullable]::GetUnderlyingType($type)
            if ($inner) { $type = $inner }
            $typeName = $type.Name
            $pipeline = @()
            if ($set.ValueFromPipeline) { $pipeline += 'ByValue' }
            if ($set.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
            $w.WriteStartElement('command', 'parameter', $command)
            $w.WriteAttributeString('required', "$($set.IsMandatory)".ToLower())
            $w.WriteAttributeString('variableLength', "$($type.IsArray)".ToLower())
            $w.WriteAttributeString('globbing', "$([bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }))".ToLower())
            $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
            $w.WriteAttributeString('position', $(if ($set.Position -ge 0) { "$($set.Position)" } else { 'named' }))
            $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
            $w.WriteElementString('maml', 'name', $maml, $p.Name)
            $w.WriteStartElement('maml', 'description', $maml); Write-Paras $w $text; $w.WriteEndElement()
            if ($type.IsEnum) {
                $w.WriteStartElement('command', 'parameterValueGroup', $command)
                foreach ($v in [Enum]::GetNames($type)) {
                    $w.WriteStartElement('command', 'parameterValue', $command)
                    $w.WriteAttributeString('required', 'false'); $w.WriteAttributeString('variableLength', 'false')
                    $w.WriteString($v); $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }
            if (-not $isSwitch) {
                $w.WriteStartElement('command', 'parameterValue', $command)
                $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', "$($type.IsArray)".ToLower())
                $w.WriteString($typeName); $w.WriteEndElement()
            }
            $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $type.FullName); $w.WriteEndElement()
            $w.WriteElementString('dev', 'defaultValue', $dev, 'None')
            $w.WriteEndElement()
            $text
        }

        $w.WriteStartElement('command', 'syntax', $command)
        foreach ($set in $cmd.ParameterSets) {
            $w.WriteStartElement('command', 'syntaxItem', $command)
            $w.WriteElementString('maml', 'name', $maml, $cmd.Name)
            foreach ($p in $set.Parameters | Where-Object Name -NotIn $common) { $null = & $describe $p $p }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'parameters', $command)
        foreach ($p in $cmd.Parameters.Values | Where-Object Name -NotIn $common | Sort-Object Name) {
            $first = $cmd.ParameterSets.Parameters | Where-Object Name -EQ $p.Name | Select-Object -First 1
            $text = & $describe $first $first
            if ([string]::IsNullOrWhiteSpace($text)) { $missing.Add("$($cmd.Name) -$($p.Name): no description") }
        }
        $w.WriteEndElement()

        foreach ($kind in @(@('INPUTS', 'inputTypes', 'inputType'), @('OUTPUTS', 'returnValues', 'returnValue'))) {
            $w.WriteStartElement('command', $kind[1], $command)
            foreach ($entry in (Split-Sections (& $section $kind[0]) '### ').GetEnumerator()) {
                $w.WriteStartElement('command', $kind[2], $command)
                $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $entry.Key); $w.WriteEndElement()
                $w.WriteStartElement('maml', 'description', $maml); Write-Paras $w $entry.Value; $w.WriteEndElement()
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }

        $w.WriteStartElement('maml', 'alertSet', $maml)
        $w.WriteStartElement('maml', 'alert', $maml); Write-Paras $w (& $section 'NOTES'); $w.WriteEndElement()
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'examples', $command)
        $examples = Split-Sections (& $section 'EXAMPLES') '### '
        if ($examples.Count -eq 0) { $missing.Add("$($cmd.Name): no example") }
        foreach ($ex in $examples.GetEnumerator()) {
            $code = if ($ex.Value -match '(?s)```[a-zA-Z]*\r?\n(.*?)\r?\n```') { $Matches[1] } else { '' }
            $remarks = ($ex.Value -replace '(?s)```.*?```', '').Trim()
            $w.WriteStartElement('command', 'example', $command)
            $w.WriteElementString('maml', 'title', $maml, "-------------------------- $($ex.Key) --------------------------")
            $w.WriteElementString('dev', 'code', $dev, $code)
            $w.WriteStartElement('dev', 'remarks', $dev); Write-Paras $w $remarks; $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'relatedLinks', $command)
        foreach ($line in (& $section 'RELATED LINKS') -split "`r?`n" | Where-Object { $_ -match '^\s*[-*]\s*(.+)$' }) {
            $name = ($line -replace '^\s*[-*]\s*', '' -replace '^\[([^\]]+)\].*$', '$1').Trim()
            $w.WriteStartElement('maml', 'navigationLink', $maml)
            $w.WriteElementString('maml', 'linkText', $maml, $name)
            $w.WriteElementString('maml', 'uri', $maml, '')
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndElement() # command
    }
    $w.WriteEndElement()
    $w.WriteEndDocument()
}
finally { $w.Dispose() }

foreach ($m in $missing) { Write-Warning "help: $m" }
Write-Host "  help: $OutputPath"

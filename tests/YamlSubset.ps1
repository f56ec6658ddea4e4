# A reader for the YAML the Kubernetes example is written in, so the tests check its manifests
# without kubectl, Python or a YAML library: block mappings and sequences by indentation (spaces
# only), plain, 'single' and "double" quoted scalars, flow sequences of scalars ([a, "b"]),
# comments and `---` between documents. Anything else (anchors, aliases, tags, block scalars,
# flow mappings, tabs, duplicate keys, a line at an unexpected indentation) is an error rather
# than a guess, so a manifest the tests cannot read fails them instead of passing unread.
# Mappings become ordered dictionaries, sequences object[]; quoted scalars are strings, plain ones
# integers, floats, booleans, null or strings as YAML 1.2's core schema reads them.

function Remove-YamlComment([string] $Line) {
    $quote = [char]0
    for ($i = 0; $i -lt $Line.Length; $i++) {
        $c = $Line[$i]
        if ($quote) { if ($c -eq $quote) { $quote = [char]0 } elseif ($c -eq '\' -and $quote -eq '"') { $i++ } }
        elseif ($c -eq '"' -or $c -eq "'") { $quote = $c }
        elseif ($c -eq '#' -and ($i -eq 0 -or [char]::IsWhiteSpace($Line[$i - 1]))) { return $Line.Substring(0, $i).TrimEnd() }
    }
    $Line.TrimEnd()
}

function ConvertFrom-YamlScalar([string] $Text, [string] $Where) {
    $t = $Text.Trim()
    if ($t -match '^"((?:[^"\\]|\\.)*)"$') {
        return [regex]::Replace($Matches[1], '\\(.)', { param($m) switch ($m.Groups[1].Value) { 'n' { "`n" } 't' { "`t" } default { $m.Groups[1].Value } } })
    }
    if ($t -match "^'((?:[^']|'')*)'$") { return $Matches[1].Replace("''", "'") }
    if ($t.StartsWith('[')) {
        if (-not $t.EndsWith(']')) { throw "YAML subset: unterminated flow sequence at $Where" }
        $inner = $t.Substring(1, $t.Length - 2).Trim()
        if ($inner -eq '') { return , @() }
        $items = [Collections.Generic.List[object]]::new()
        foreach ($m in [regex]::Matches($inner, '\s*("(?:[^"\\]|\\.)*"|''(?:[^'']|'''')*''|[^,\[\]{}"'']+)\s*(,|$)')) {
            $items.Add((ConvertFrom-YamlScalar $m.Groups[1].Value $Where))
        }
        if (($items.Count -eq 0) -or ([regex]::Replace($inner, '\s*("(?:[^"\\]|\\.)*"|''(?:[^'']|'''')*''|[^,\[\]{}"'']+)\s*(,|$)', '') -ne '')) { throw "YAML subset: cannot read the flow sequence $t at $Where" }
        return , $items.ToArray()
    }
    if ($t -match '^[&*!|>{%@`]') { throw "YAML subset: '$t' at $Where uses a feature this reader does not take (anchor, alias, tag, block scalar or flow mapping)" }
    if ($t.StartsWith('"') -or $t.StartsWith("'")) { throw "YAML subset: unterminated quoted scalar at $Where" }
    # Plain scalars typed as the YAML 1.2 core schema types them (so a test can tell 4 from "4").
    if ($t -cmatch '^[-+]?[0-9]+$') { return [long]$t }
    if ($t -cmatch '^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$') { return [double]::Parse($t, [cultureinfo]::InvariantCulture) }
    if ($t -cmatch '^(true|True|TRUE|false|False|FALSE)$') { return $t -ieq 'true' }
    if ($t -cmatch '^(null|Null|NULL|~)$') { return $null }
    $t
}

$script:YamlKey = '^(?<k>"(?:[^"\\]|\\.)*"|''(?:[^'']|'''')*''|[^\s"''\[\]{}#&*!|>%@`-][^:#]*?|-[^\s:][^:#]*?)\s*:(?:\s+(?<v>.*))?$'

function Read-YamlBlock($Lines, [ref] $Pos, [int] $Indent, [string] $Name) {
    $line = $Lines[$Pos.Value]
    if ($line.Text -eq '-' -or $line.Text.StartsWith('- ')) {
        $list = [Collections.Generic.List[object]]::new()
        while ($Pos.Value -lt $Lines.Count -and $Lines[$Pos.Value].Indent -eq $Indent -and ($Lines[$Pos.Value].Text -eq '-' -or $Lines[$Pos.Value].Text.StartsWith('- '))) {
            $item = $Lines[$Pos.Value]
            $rest = $item.Text.Substring(1).TrimStart()
            if ($rest -eq '') {
                $Pos.Value++
                if ($Pos.Value -ge $Lines.Count -or $Lines[$Pos.Value].Indent -le $Indent) { $list.Add($null); continue }
                $list.Add((Read-YamlBlock $Lines $Pos $Lines[$Pos.Value].Indent $Name))
            }
            elseif ($rest -match $script:YamlKey) {
                # "- key: value" opens a mapping at the column of "key".
                $column = $Indent + $item.Text.Length - $rest.Length
                $Lines[$Pos.Value] = [pscustomobject]@{ Indent = $column; Text = $rest; Number = $item.Number }
                $list.Add((Read-YamlBlock $Lines $Pos $column $Name))
            }
            else { $list.Add((ConvertFrom-YamlScalar $rest "$Name line $($item.Number)")); $Pos.Value++ }
        }
        return , $list.ToArray()
    }
    $map = [ordered]@{}
    while ($Pos.Value -lt $Lines.Count -and $Lines[$Pos.Value].Indent -eq $Indent) {
        $entry = $Lines[$Pos.Value]
        if ($entry.Text -notmatch $script:YamlKey) { throw "YAML subset: expected 'key: value' at $Name line $($entry.Number): $($entry.Text)" }
        $key = ConvertFrom-YamlScalar $Matches.k "$Name line $($entry.Number)"
        $value = $Matches.v
        if ($map.Contains($key)) { throw "YAML subset: duplicate key '$key' at $Name line $($entry.Number)" }
        $Pos.Value++
        if ($value) { $map[$key] = ConvertFrom-YamlScalar $value "$Name line $($entry.Number)" }
        elseif ($Pos.Value -lt $Lines.Count -and ($Lines[$Pos.Value].Indent -gt $Indent -or
                ($Lines[$Pos.Value].Indent -eq $Indent -and ($Lines[$Pos.Value].Text -eq '-' -or $Lines[$Pos.Value].Text.StartsWith('- '))))) {
            $map[$key] = Read-YamlBlock $Lines $Pos $Lines[$Pos.Value].Indent $Name
        }
        else { $map[$key] = $null }
    }
    if ($Pos.Value -lt $Lines.Count -and $Lines[$Pos.Value].Indent -gt $Indent) {
        throw "YAML subset: unexpected indentation at $Name line $($Lines[$Pos.Value].Number)"
    }
    $map
}

# The documents of a YAML file (or text), empty ones left out.
function ConvertFrom-YamlSubset {
    param([Parameter(Mandatory)] [string] $Text, [string] $Name = 'YAML')
    $docs = [Collections.Generic.List[object]]::new()
    $lines = [Collections.Generic.List[object]]::new()
    $number = 0
    $flush = {
        if ($lines.Count) {
            $pos = 0
            $doc = Read-YamlBlock $lines ([ref]$pos) $lines[0].Indent $Name
            if ($pos -ne $lines.Count) { throw "YAML subset: unexpected indentation at $Name line $($lines[$pos].Number)" }
            $docs.Add($doc)
            $lines.Clear()
        }
    }
    foreach ($raw in $Text -split '\r?\n') {
        $number++
        if ($raw -match '^---\s*(#.*)?$') { . $flush; continue }
        if ($raw -match '^\s*\t') { throw "YAML subset: a tab indents $Name line $number" }
        $line = Remove-YamlComment $raw
        if ($line.Trim() -eq '') { continue }
        $lines.Add([pscustomobject]@{ Indent = $line.Length - $line.TrimStart(' ').Length; Text = $line.Trim(); Number = $number })
    }
    . $flush
    , $docs.ToArray()
}

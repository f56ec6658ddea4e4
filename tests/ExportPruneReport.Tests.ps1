# Export-PruneReport: the file itself, and the file as a real browser renders it.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Browser.ps1')
    # Without a browser the rendering tests cannot run; Linux CI installs chromium, so there it is an error.
    $script:HaveBrowser = [bool](Find-Chromium)
    if (-not $HaveBrowser -and $env:CI -eq 'true' -and $IsLinux) { throw 'CI must run the browser tests, but chromium is not installed (.ci/run installs it with apt).' }
    if (-not $HaveBrowser) { Write-Host "Export-PruneReport browser tests NOT RUN: $(Get-BrowserTestAbsence)." -ForegroundColor Yellow }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'Browser.ps1')
    Import-Module $ManifestPath -Force
    Initialize-SyntheticImages
    $cmd = 'PruneCmdlets.Commands.ExportPruneReportCommand'
    # Like Should -Match, without printing a whole report when it fails.
    function Assert-Finds([string] $Text, [string] $Pattern) {
        [regex]::IsMatch($Text, $Pattern) | Should -BeTrue -Because "the report ($($Text.Length) characters) should match /$Pattern/"
    }
    $hostileFile = '<img src=x onerror=alert(1)>.png'
    $labels = @('Café crème', 'emoji 🦊 "quoted"', "it's <b>bold")
    $root = Join-Path $TestDrive 'photos'
    for ($c = 0; $c -lt 3; $c++) {
        $dir = New-Item -ItemType Directory -Force (Join-Path $root $labels[$c])
        for ($v = 0; $v -lt 10; $v++) { [PruneCmdlets.Examples.SyntheticImages]::SavePng($c, $v, 64, 64, (Join-Path $dir "photo $v é.png")) }
        [PruneCmdlets.Examples.SyntheticImages]::SavePng($c, 10, 64, 64, (Join-Path $dir $hostileFile))
        [PruneCmdlets.Examples.SyntheticImages]::SaveNearDuplicate($c, 0, 64, 64, (Join-Path $dir 'photo 0 é copy.jpg'))
    }
    $clustered = @(Get-ChildItem $root -Recurse -File | Get-Embedding | Invoke-KMeans -K 3 -Seed 1)
    $decided = @($clustered | Invoke-SemDeDup -IncludePruned | Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.5 -BalanceBy Label -IncludePruned)
    $photoReport = Join-Path $TestDrive 'photos.html'
    $photoFile = $decided | Export-PruneReport $photoReport -ThumbnailsPerSection 2 -MaxGalleries 2 -MaxDuplicateGroups 5
    $photoHtml = Get-Content -LiteralPath $photoReport -Raw

    # Vectors only (as from Import-Embedding): Ids in place of thumbnails, a hostile label, a probe and stability.
    $centres = @(, @(0, 0, 0)) + @(, @(4, 0, 0)) + @(, @(0, 4, 0))
    $evil = "</script><script>document.title='pwned'</script>"
    $blobs = @(New-BlobRecords -Centres $centres -PerBlob 30 -Spread 0.8 | ForEach-Object {
            New-VectorRecord -Id $_.Id -Vector $_.Vector -Label ($_.Label -replace '^blob0$', $evil) })
    $test = @(New-BlobRecords -Centres $centres -PerBlob 8 -Spread 0.6 | ForEach-Object {
            New-VectorRecord -Id "t$($_.Id)" -Vector $_.Vector -Label ($_.Label -replace '^blob0$', $evil) })
    $vclustered = @($blobs | Invoke-KMeans -K 3 -Metric Euclidean -Seed 2 | Measure-Prototypicality)
    $probe = @($vclustered | Test-PruningStrategy -TestSet $test -KeepFraction 1, 0.6, 0.3)
    $stability = $vclustered | Measure-SelectionStability -KeepFraction 0.6 -K 3, 4 -Seed 0, 1
    $vectorReport = Join-Path $TestDrive 'vectors.html'
    $null = $vclustered | Select-PrunedSet -KeepFraction 0.6 -Keep Hard -IncludePruned |
        Export-PruneReport $vectorReport -ProbeResult $probe -Stability $stability -Title 'Blobs'
    $vectorHtml = Get-Content -LiteralPath $vectorReport -Raw
}

Describe 'Export-PruneReport file' {
    It 'writes one file and emits it' {
        $photoFile.FullName | Should -Be $photoReport
        Get-ChildItem $TestDrive -Filter '*.prune-tmp' -Force | Should -BeNullOrEmpty
    }
    It 'is self-contained: its own script only, allowed by hash, every src a data URI, a policy that forbids requests' {
        $scripts = [regex]::Matches($photoHtml, '<script([^>]*)>(.*?)</script>', 'Singleline')
        $scripts.Count | Should -Be 2
        $scripts[0].Groups[1].Value | Should -Be ' type="application/json" id="review-index"'   # data, never run
        $scripts[1].Groups[1].Value | Should -Be ''
        $hash = [Convert]::ToBase64String([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($scripts[1].Groups[2].Value)))
        $csp = [Net.WebUtility]::HtmlDecode([regex]::Match($photoHtml, '<meta http-equiv="Content-Security-Policy" content="([^"]*)"').Groups[1].Value)
        $csp | Should -BeExactly "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-$hash'"
        [regex]::Matches($photoHtml, '\ssrc="([^"]*)"') | ForEach-Object { $_.Groups[1].Value | Should -Match '^data:image/jpeg;base64,' }
        ($photoHtml -match 'https?://') | Should -BeFalse
    }
    It 'counts records in, kept, and pruned by reason' {
        Assert-Finds $photoHtml ('data-count="in">{0}<' -f $decided.Count)
        Assert-Finds $photoHtml ('data-count="kept">{0}<' -f @($decided | Where-Object Kept).Count)
        $dups = @($decided | Where-Object { -not $_.Kept -and $_.Reason -like 'pruned: near-duplicate*' }).Count
        $dups | Should -BeGreaterThan 0
        Assert-Finds $photoHtml ('data-count="duplicates">{0}<' -f $dups)
    }
    It 'states the parameters and the pipeline that reproduces the decision' {
        Assert-Finds $photoHtml 'Invoke-KMeans -K 3 -Metric Cosine -Seed 1'
        Assert-Finds $photoHtml 'Select-PrunedSet -KeepFraction 0.5 -Keep Hard -BalanceBy Label -IncludePruned'
        Assert-Finds $photoHtml '[0-9a-f]{64} \(ResNet18.onnx\)'
    }
    It 'names every stage that ran under Reproduce, SemDeDup and Find-DataIssue included when they found nothing' {
        # An epsilon no pair of these blobs reaches: SemDeDup removes nothing and marks no DuplicateOf.
        $ran = @($blobs | Find-DataIssue -Check Outlier | Invoke-KMeans -K 3 -Metric Euclidean -Seed 2 | Invoke-SemDeDup -Epsilon 1e-9 -IncludePruned |
            Measure-Prototypicality | Select-PrunedSet -KeepFraction 0.6 -IncludePruned)
        @($ran | Where-Object DuplicateOf) | Should -HaveCount 0
        $path = Join-Path $TestDrive 'stages.html'
        $null = $ran | Export-PruneReport $path -MapPoints 0
        $pipe = [Net.WebUtility]::HtmlDecode([regex]::Match((Get-Content -LiteralPath $path -Raw), '<pre class="pipeline">([^<]*)</pre>').Groups[1].Value)
        $pipe | Should -BeLike '* | Find-DataIssue -Check Outlier | Invoke-KMeans -K 3 -Metric Euclidean -Seed 2 | Invoke-SemDeDup -Epsilon 1E-09 -IncludePruned | Measure-Prototypicality | Select-PrunedSet *'
    }
    It 'shows a record without a decision as kept, as Export-PrunedSet places it, and names it in a warning' {
        $path = Join-Path $TestDrive 'partial.html'
        $undecided = $clustered[0]
        $null = @($undecided) + @($decided) | Export-PruneReport $path -ErrorVariable bad -ErrorAction SilentlyContinue -WarningVariable w -WarningAction SilentlyContinue
        $bad | Should -HaveCount 0
        ($w -join "`n") | Should -BeLike "*1 of $($decided.Count + 1) records carry no Kept decision*'$($undecided.Id)'*"
        $html = Get-Content $path -Raw
        Assert-Finds $html ('data-count="in">{0}<' -f ($decided.Count + 1))
        Assert-Finds $html ('data-count="kept">{0}<' -f (@($decided | Where-Object Kept).Count + 1))
    }
    It 'refuses a record whose Kept is not a decision, naming it, and keeps the rest' {
        $path = Join-Path $TestDrive 'not-a-decision.html'
        $odd = [pscustomobject]@{ Id = 'odd one'; Kept = 'perhaps'; Label = 'x' }
        $null = @($odd) + @($decided) | Export-PruneReport $path -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad | Should -HaveCount 1
        $bad[0].FullyQualifiedErrorId | Should -Be "MissingDecision,$cmd"
        $bad[0].Exception.Message | Should -BeLike "*'perhaps' of 'odd one'*"
        Assert-Finds (Get-Content $path -Raw) ('data-count="in">{0}<' -f $decided.Count)
    }
    It 'warns when nothing is pruned (the pruned records were left out)' {
        $null = $decided | Where-Object Kept | Export-PruneReport (Join-Path $TestDrive 'kept-only.html') -WarningVariable w -WarningAction SilentlyContinue
        $w | Should -Not -BeNullOrEmpty
    }
    It '-WhatIf writes nothing' {
        $path = Join-Path $TestDrive 'whatif.html'
        $decided | Export-PruneReport $path -WhatIf
        Test-Path $path | Should -BeFalse
    }
    It 'needs an existing folder' {
        { $decided | Export-PruneReport (Join-Path $TestDrive 'no/such/dir/r.html') } | Should -Throw -ErrorId "DirectoryNotFound,$cmd"
    }
    It 'reads a saved manifest back (Import-Csv rows with Kept and Reason)' {
        $csv = Join-Path $TestDrive 'decisions.csv'
        $decided | Select-Object Id, Path, Label, Cluster, Distance, Kept, Reason, DuplicateOf, Similarity | Export-Csv $csv
        $path = Join-Path $TestDrive 'from-csv.html'
        $null = Import-Csv $csv | Export-PruneReport $path -MapPoints 0
        Assert-Finds (Get-Content $path -Raw) ('data-count="kept">{0}<' -f @($decided | Where-Object Kept).Count)
    }
}

Describe 'Export-PruneReport with hostile sizes and directions' {
    It 'bounds the class table when every record is its own class, and says how many it shows' {
        # An Id file given as -LabelPath: as many classes as records.
        $rows = foreach ($i in 0..2999) { [pscustomobject]@{ Id = "id$i"; Label = "id$i"; Kept = ($i % 3 -ne 0); Distance = ($i % 97) / 97 } }
        $path = Join-Path $TestDrive 'many-classes.html'
        $null = $rows | Export-PruneReport $path -MaxClasses 20 -MapPoints 0
        $html = Get-Content -LiteralPath $path -Raw
        [regex]::Matches($html, '<tr class="group-row').Count | Should -Be 20
        Assert-Finds $html 'Showing 20 of 3,000 classes \(-MaxClasses 20\)'
        Assert-Finds $html ' 1,000 of 3,000 classes keep less than the floor'   # the count still covers every class
        [regex]::Matches($html, '<tr class="group-row below-floor"').Count | Should -Be 10
    }
    It 'isolates labels, Ids and paths with direction overrides, so the counts beside them keep their order' {
        $rlo = [char]0x202E; $pdi = [char]0x2069; $fsi = [char]0x2068
        $rows = foreach ($i in 0..11) {
            [pscustomobject]@{ Id = "id$rlo$i$pdi"; Path = "/x/$rlo$i.png"; Label = "abc${rlo}123"; Kept = ($i % 2 -eq 0); Distance = $i / 12; Reason = "r$rlo" }
        }
        $path = Join-Path $TestDrive 'bidi.html'
        $null = $rows | Export-PruneReport $path -MapPoints 0
        $html = Get-Content -LiteralPath $path -Raw -Encoding utf8
        $html.Contains("Class ${fsi}abc${rlo}123${pdi}: 12 records, 6 kept") | Should -BeTrue
        # Take out the machine-read data-* values (never shown, kept as the data is) and every
        # isolate (innermost first): no direction control may be left outside one.
        $outside = [regex]::Replace($html, '\sdata-[a-z-]+="[^"]*"', '')
        do { $before = $outside; $outside = [regex]::Replace($outside, '\u2068[^\u2068\u2069<"]*\u2069', '') } while ($outside -ne $before)
        [regex]::Matches($outside, '[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]').Count | Should -Be 0
        $html.IndexOf($rlo) | Should -BeGreaterThan 0
    }
}

# Not defined (rather than skipped, which the Test task counts as failed) where there is no browser.
if ($HaveBrowser) {
Describe 'Export-PruneReport in a browser' {
    BeforeAll {
        $profile = Join-Path $TestDrive 'chromium-profile'
        $netLog = Join-Path $TestDrive 'net.json'
        $dom = Invoke-Chromium -Page $photoReport -Profile $profile -NetLog $netLog
        $vdom = Invoke-Chromium -Page $vectorReport -Profile $profile
    }
    It 'renders one row per class, named as the folders are' {
        $rows = [regex]::Matches($dom, '<tr class="group-row[^"]*" data-group="([^"]*)"') | ForEach-Object { [Net.WebUtility]::HtmlDecode($_.Groups[1].Value) }
        $ordinal = [string[]]$labels.Clone(); [Array]::Sort($ordinal, [StringComparer]::Ordinal)
        $rows | Should -Be $ordinal
    }
    It 'renders the bounded number of thumbnails' {
        # Two galleries × four rows × two thumbnails, plus up to five duplicate groups of their members.
        $gallery = [regex]::Match($dom, '<section id="galleries">.*?</section>', 'Singleline').Value
        [regex]::Matches($gallery, '<img ').Count | Should -Be 16
        $dupCount = @($decided | Where-Object DuplicateOf).Count
        $dupSection = [regex]::Match($dom, '<section id="duplicates">.*?</section>', 'Singleline').Value
        [regex]::Matches($dupSection, '<img ').Count | Should -Be ([Math]::Min($dupCount, 5 * 6))
    }
    It 'makes no request beyond the file' {
        Get-PageRequest -NetLog $netLog | Should -BeNullOrEmpty
        # The check itself: a page that does reach out is caught.
        $leaky = Join-Path $TestDrive 'leaky.html'
        Set-Content $leaky '<html><body><img src="http://127.0.0.1:9/pixel.png"></body></html>'
        $leakLog = Join-Path $TestDrive 'leak.json'
        $null = Invoke-Chromium -Page $leaky -Profile $profile -NetLog $leakLog
        Get-PageRequest -NetLog $leakLog | Should -Be 'http://127.0.0.1:9/pixel.png'
    }
    It 'shows a hostile file name and hostile labels as text' {
        # Every img the browser built has only the report's own attributes, and a data: source.
        $imgs = [regex]::Matches($dom, '<img\b([^>]*)>')
        $imgs.Count | Should -BeGreaterThan 0
        foreach ($img in $imgs) {
            $names = [regex]::Matches($img.Groups[1].Value, '\s([a-zA-Z-]+)="[^"]*"') | ForEach-Object { $_.Groups[1].Value }
            ($names | Where-Object { $_ -notin 'src', 'alt', 'loading' }) | Should -BeNullOrEmpty
            ([regex]::Match($img.Groups[1].Value, '\ssrc="([^"]*)"').Groups[1].Value -like 'data:image/jpeg;base64,*') | Should -BeTrue
        }
        $dom.Contains('&lt;img src=x onerror=alert(1)&gt;.png') | Should -BeTrue
        $dom.Contains("it's &lt;b&gt;bold") | Should -BeTrue
        ($dom -match '<b>bold') | Should -BeFalse
        [regex]::Matches($vdom, '<script').Count | Should -Be 2   # the report's index and its script, no other
        $vdom.Contains('&lt;/script&gt;&lt;script&gt;document.title=''pwned''&lt;/script&gt;') | Should -BeTrue
        ($vdom -match '<title>\u2068Blobs\u2069</title>') | Should -BeTrue   # -Title is the user's text: isolated like data
    }
    It 'shows accents, emoji and quotes as they are' {
        $dom.Contains('Café crème') | Should -BeTrue
        ($dom -match 'emoji 🦊 (&quot;|")quoted(&quot;|")') | Should -BeTrue
    }
    It 'shows Ids in place of thumbnails for records without images, and every record on the map' {
        [regex]::Matches($vdom, '<img ').Count | Should -Be 0
        [regex]::Matches($vdom, 'class="noimg"').Count | Should -BeGreaterThan 0
        $map = [regex]::Match($vdom, '<section id="map">.*?</section>', 'Singleline').Value
        [regex]::Matches($map, '<circle').Count | Should -Be $blobs.Count
    }
    It 'draws the probe per strategy with the recommendation marked, and the stability matrix' {
        $section = [regex]::Match($vdom, '<section id="probe">.*?</section>', 'Singleline').Value
        $series = @($probe | Where-Object { $_ -is [PruneCmdlets.Probing.ProbeResult] } | ForEach-Object { "$($_.Keep)/$($_.BalanceBy)" } | Select-Object -Unique).Count
        [regex]::Matches($section, '<polyline').Count | Should -Be $series
        [regex]::Matches($section, 'class="marked"').Count | Should -Be 1
        $stab = [regex]::Match($vdom, '<section id="stability">.*?</section>', 'Singleline').Value
        [regex]::Matches($stab, '<tr>').Count | Should -Be 5   # a header row and one per run
        Assert-Finds $stab ('data-jaccard="{0}"' -f [regex]::Escape($stability.MeanJaccard.ToString('R', [cultureinfo]::InvariantCulture)))
    }
    It 'draws a label ending in a right-to-left override exactly as the same label without it' {
        # Not isolated, U+202E would reverse the report's own text after the label ("Class abc: 6
        # records, 4 kept", the class plot's "(6)"); isolated, it changes nothing on screen. The
        # core writes both reports with one date, so the two screenshots must match pixel for pixel.
        function Write-LabelReport([string] $Odd, [string] $Path) {
            $records = [PruneCmdlets.Report.ReportRecord[]]@(foreach ($i in 0..11) {
                    [PruneCmdlets.Report.ReportRecord]@{ Id = "r$i"; Label = $(if ($i % 2) { $Odd } else { 'plain' }); Kept = ($i % 3 -ne 0); Distance = $i / 12 } })
            $options = [PruneCmdlets.Report.ReportOptions]@{ Generated = [DateTimeOffset]::UnixEpoch; ModuleVersion = 'test'; MapPoints = 0 }
            [PruneCmdlets.Report.PruneReportWriter]::Write($Path, [PruneCmdlets.Report.ReportInput]@{ Records = $records }, $options, $null, [Threading.CancellationToken]::None)
        }
        $shots = foreach ($odd in "abc$([char]0x202E)", 'abc') {
            $page = Join-Path $TestDrive "label-$($odd.Length).html"
            Write-LabelReport $odd $page
            $png = Join-Path $TestDrive "label-$($odd.Length).png"
            $null = Invoke-Chromium -Page $page -Profile $profile -Screenshot $png -Width 1000 -Height 1300
            [SixLabors.ImageSharp.Image]::Load[SixLabors.ImageSharp.PixelFormats.Rgb24]([string]$png)
        }
        try {
            (Get-Content -LiteralPath (Join-Path $TestDrive 'label-4.html') -Raw -Encoding utf8).Contains([char]0x202E) | Should -BeTrue
            $differ = 0
            for ($y = 0; $y -lt $shots[0].Height; $y++) { for ($x = 0; $x -lt $shots[0].Width; $x++) { if ($shots[0][$x, $y] -ne $shots[1][$x, $y]) { $differ++ } } }
            $differ | Should -Be 0 -Because 'a direction override inside a label must not move the text around it'
        }
        finally { $shots | ForEach-Object Dispose }
    }
    It 'takes a screenshot that is not blank' {
        $png = Join-Path $TestDrive 'shot.png'
        $null = Invoke-Chromium -Page $photoReport -Profile $profile -Screenshot $png -Height 1600
        $image = [SixLabors.ImageSharp.Image]::Load[SixLabors.ImageSharp.PixelFormats.Rgb24]([string]$png)
        try {
            $colours = [Collections.Generic.HashSet[string]]::new()
            $dark = 0
            for ($y = 0; $y -lt $image.Height; $y += 16) {
                for ($x = 0; $x -lt $image.Width; $x += 16) {
                    $p = $image[$x, $y]
                    $null = $colours.Add("$($p.R),$($p.G),$($p.B)")
                    if ($p.R + $p.G + $p.B -lt 600) { $dark++ }
                }
            }
            $colours.Count | Should -BeGreaterThan 30
            $dark | Should -BeGreaterThan 100
        }
        finally { $image.Dispose() }
    }
}
Describe 'Export-PruneReport review in a browser' {
    BeforeAll {
        # 62 records in three clusters; one gallery of the largest shows 8 thumbnails, so most
        # records (find-me-007 among them) are reachable only through the search box.
        $hostileId = '<img src=x onerror=alert(1)>'
        $rows = [Collections.Generic.List[object]]::new()
        for ($i = 0; $i -lt 60; $i++) {
            $kept = $i % 3 -ne 0
            $rows.Add([pscustomobject]@{ Id = 'rec{0:d3}' -f $i; Label = ('a', 'b')[$i % 2]; Cluster = [int]($i -ge 30) + [int]($i -ge 50)
                    Distance = 0.01 + ($i % 30) / 30; Kept = $kept; Reason = $(if ($kept) { 'kept: Hard side of the cut' } else { 'pruned: Easy side of the cut' }) })
        }
        $rows.Add([pscustomobject]@{ Id = $hostileId; Label = '<b>bold</b>'; Cluster = 0; Distance = 0; Kept = $true; Reason = 'kept: Hard side of the cut' })
        $rows.Add([pscustomobject]@{ Id = 'find-me-007'; Label = 'b'; Cluster = 2; Distance = 0.5; Kept = $false; Reason = 'pruned: Easy side of the cut' })
        $reviewPage = Join-Path $TestDrive 'review.html'
        $null = $rows | Export-PruneReport $reviewPage -ThumbnailsPerSection 2 -MaxGalleries 1 -MapPoints 0

        # The run id as DecisionRun documents it, recomputed here: SHA-256 over the records sorted
        # by Id (ordinal), each as UTF-8 Id, U+001F, 1 or 0, U+001E; the first 32 hex digits.
        $ids = [string[]]@($rows.Id); $kepts = [bool[]]@($rows.Kept)
        [Array]::Sort($ids, $kepts, [StringComparer]::Ordinal)
        $bytes = [IO.MemoryStream]::new()
        for ($i = 0; $i -lt $ids.Count; $i++) {
            $bytes.Write([Text.Encoding]::UTF8.GetBytes($ids[$i]))
            $bytes.WriteByte(0x1F); $bytes.WriteByte($(if ($kepts[$i]) { 0x31 } else { 0x30 })); $bytes.WriteByte(0x1E)
        }
        $runId = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes.ToArray())).ToLowerInvariant().Substring(0, 32)

        function Figure([string] $Id) { "[...document.querySelectorAll('figure[data-id]')].find(f => f.dataset.id === $(ConvertTo-Json $Id))" }
        $barScript = "[...document.querySelectorAll('#review [data-review]')].map(e => e.dataset.review + '=' + e.textContent).join('; ')"
        $seen = @{}
        $downloads = (New-Item -ItemType Directory (Join-Path $TestDrive 'downloads')).FullName
        $cdp = Start-ChromiumDevTools -Profile (Join-Path $TestDrive 'cdp-profile') -Height 1400
        $null = Invoke-Cdp $cdp Browser.setDownloadBehavior @{ behavior = 'allow'; downloadPath = $downloads; eventsEnabled = $true } -Browser
        foreach ($domain in 'Network', 'Log', 'Runtime') { $null = Invoke-Cdp $cdp "$domain.enable" }
        Open-CdpPage $cdp $reviewPage

        $seen.DownloadDisabled = Invoke-CdpScript $cdp "document.getElementById('review-download').disabled"
        $seen.PageRunId = Invoke-CdpScript $cdp "document.querySelector('.review-run').dataset.runId"
        $seen.BarBefore = Invoke-CdpScript $cdp $barScript
        $seen.FindMeInGallery = Invoke-CdpScript $cdp "$(Figure 'find-me-007') !== undefined"
        # rec001 kept -> pruned with a note that needs quoting; rec027 pruned -> kept.
        Invoke-CdpClick $cdp "$(Figure 'rec001').querySelector('button.flip')"
        Invoke-CdpType $cdp "$(Figure 'rec001').querySelector('input.note')" 'not "hard", just blurry'
        $seen.BarAfterOne = Invoke-CdpScript $cdp $barScript
        $seen.Rec001 = Invoke-CdpScript $cdp "[$(Figure 'rec001').className, $(Figure 'rec001').querySelector('.badge').textContent]"
        Invoke-CdpClick $cdp "$(Figure 'rec027').querySelector('button.flip')"
        # rec029 flipped, noted, then taken back from the overrides list: no override any more.
        Invoke-CdpClick $cdp "$(Figure 'rec029').querySelector('button.flip')"
        Invoke-CdpType $cdp "$(Figure 'rec029').querySelector('input.note')" 'changed my mind'
        Invoke-CdpClick $cdp "document.querySelector('#review-overrides summary')"
        Invoke-CdpClick $cdp "[...document.querySelectorAll('#review-overrides button.undo')].find(b => b.dataset.undo === 'rec029')"
        Invoke-CdpClick $cdp "document.querySelector('#review-overrides summary')"
        # The hostile Id, flipped with a hostile note (it is shown twice: both copies follow).
        Invoke-CdpClick $cdp "$(Figure $hostileId).querySelector('button.flip')"
        Invoke-CdpType $cdp "$(Figure $hostileId).querySelector('input.note')" '<img src=y onerror=alert(2)>'
        $seen.HostileCopies = Invoke-CdpScript $cdp "[...document.querySelectorAll('figure[data-id]')].filter(f => f.dataset.id === $(ConvertTo-Json $hostileId)).map(f => f.querySelector('.badge').textContent + '|' + f.querySelector('input.note').value)"
        # Search: a prefix with more matches than are shown, then an Id no gallery shows.
        Invoke-CdpType $cdp "document.getElementById('review-search')" 'rec'
        $seen.RecResults = Invoke-CdpScript $cdp "[...document.querySelectorAll('#review-results li')].map(li => li.dataset.id)"
        $seen.RecFound = Invoke-CdpScript $cdp "document.getElementById('review-found').textContent"
        Invoke-CdpType $cdp "document.getElementById('review-search')" 'find-me-007'
        $seen.FindResults = Invoke-CdpScript $cdp "[...document.querySelectorAll('#review-results li')].map(li => li.dataset.id + '|' + li.textContent)"
        Invoke-CdpClick $cdp "document.querySelector('#review-results li button.flip')"
        Invoke-CdpType $cdp "document.querySelector('#review-results li input.note')" 'only one of its kind, keep it'
        Invoke-CdpType $cdp "document.getElementById('review-search')" '<img'
        $seen.HostileResults = Invoke-CdpScript $cdp "[...document.querySelectorAll('#review-results li')].map(li => li.querySelector('.cap-id').textContent + '|' + li.querySelector('.badge').textContent)"
        $seen.BarAfter = Invoke-CdpScript $cdp $barScript
        $seen.Listed = Invoke-CdpScript $cdp "[...document.querySelectorAll('#review-overrides li')].map(li => li.textContent)"
        $seen.InjectedImages = Invoke-CdpScript $cdp "document.querySelectorAll('img[src=""x""], img[src=""y""], b').length"
        $seen.BodyText = Invoke-CdpScript $cdp 'document.body.textContent'
        Invoke-CdpClick $cdp "document.getElementById('review-download')"
        $csvPath = Join-Path $downloads 'overrides.csv'
        Wait-Until { Test-Path -LiteralPath $csvPath } 'overrides.csv was not downloaded'
        $seen.Csv = [IO.File]::ReadAllBytes($csvPath)
        $seen.Events = @($cdp.Events)
    }
    AfterAll { Stop-ChromiumDevTools $cdp }

    It 'shows the run id of every decision, as DecisionRun defines it, in the header and the bar' {
        $seen.PageRunId | Should -BeExactly $runId
        $reviewHtml = Get-Content -LiteralPath $reviewPage -Raw
        $reviewHtml.Contains("<td>$runId (of these 62 decisions") | Should -BeTrue
        $listed = [PruneCmdlets.Review.DecisionRun]::Id([ValueTuple[string, bool][]]@($rows | ForEach-Object { [ValueTuple[string, bool]]::new($_.Id, $_.Kept) }))
        $listed | Should -BeExactly $runId
    }
    It 'downloads overrides.csv: one row per flipped record, sorted by Id, quoted as RFC 4180, with the run id' {
        $seen.DownloadDisabled | Should -BeTrue   # nothing to download before a flip
        $seen.Csv[0] | Should -Be ([byte][char]'I')   # no byte-order mark
        $expected = "Id,Kept,Note,RunId`n" +
            "<img src=x onerror=alert(1)>,false,<img src=y onerror=alert(2)>,$runId`n" +
            "find-me-007,true,""only one of its kind, keep it"",$runId`n" +
            "rec001,false,""not """"hard"""", just blurry"",$runId`n" +
            "rec027,true,,$runId`n"
        [Text.Encoding]::UTF8.GetString($seen.Csv) | Should -BeExactly $expected
    }
    It 'marks a flipped record wherever it is shown and counts the change in the bar' {
        $seen.BarBefore | Should -BeExactly 'overrides=No overrides; kept-before=41; kept-after=41; pruned-before=21; pruned-after=21'
        $seen.BarAfterOne | Should -BeExactly 'overrides=1 override; kept-before=41; kept-after=40; pruned-before=21; pruned-after=22'
        $seen.BarAfter | Should -BeExactly 'overrides=4 overrides; kept-before=41; kept-after=41; pruned-before=21; pruned-after=21'
        $seen.Rec001[0] | Should -Match '\bpruned\b'
        $seen.Rec001[0] | Should -Match '\bflipped\b'
        $seen.Rec001[1] | Should -BeExactly 'pruned (review)'
        $seen.HostileCopies | Should -Be @('pruned (review)|<img src=y onerror=alert(2)>', 'pruned (review)|<img src=y onerror=alert(2)>')
        $seen.Listed | Should -HaveCount 4
        ($seen.Listed -like '*rec029*') | Should -BeNullOrEmpty
    }
    It 'finds any Id in the index, one that no gallery shows too, and shows at most 50' {
        $seen.FindMeInGallery | Should -BeFalse
        @($seen.FindResults) | Should -HaveCount 1
        @($seen.FindResults)[0] | Should -BeLike 'find-me-007|find-me-007label: b · cluster 2 · pruned: Easy side of the cut*'
        $seen.RecResults | Should -Be @(0..49 | ForEach-Object { 'rec{0:d3}' -f $_ })
        $seen.RecFound | Should -BeLike 'The first 50 *'
    }
    It 'shows a hostile Id, label and note as text, in the page and in the search results' {
        $seen.InjectedImages | Should -Be 0
        $seen.BodyText.Contains($hostileId) | Should -BeTrue
        $seen.BodyText.Contains('<b>bold</b>') | Should -BeTrue
        $seen.HostileResults | Should -Be @("$hostileId|pruned (review)")
    }
    It 'makes no request but the file itself and the download, and breaks no rule of its policy' {
        $requests = @($seen.Events | Where-Object method -EQ 'Network.requestWillBeSent' | ForEach-Object { $_.params.request.url })
        $requests | Should -Contain ([Uri]::new($reviewPage).AbsoluteUri)   # the check sees the page's requests
        @($requests | Where-Object { $_ -notmatch '^(file|blob):' }) | Should -BeNullOrEmpty
        @($seen.Events | Where-Object { $_.method -eq 'Log.entryAdded' -and $_.params.entry.text -match 'Content Security Policy' }) | Should -BeNullOrEmpty
        @($seen.Events | Where-Object method -EQ 'Runtime.exceptionThrown') | Should -BeNullOrEmpty
    }
}
}

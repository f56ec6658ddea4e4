# Headless Chromium for the report tests: find it, load a file, return its rendered DOM, a
# screenshot or the requests the page made. The browser is kept off the network: background
# services are disabled and a proxy on a closed loopback port catches anything they still try,
# so nothing leaves the machine; the page's own requests are told apart by their file:// site.

function Find-Chromium {
    foreach ($name in 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable') {
        $c = Get-Command $name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($c) { return $c.Source }
    }
    $null
}

# Why the report's browser tests cannot run here, or $null when they can; build.ps1 prints it.
function Get-BrowserTestAbsence {
    if (Find-Chromium) { return $null }
    if ($IsLinux) { return 'chromium is not installed (apt-get install chromium, as .ci/run does)' }
    "they drive Debian's chromium, which CI installs on Linux only, and no chromium is on PATH here"
}

function Invoke-Chromium {
    param(
        [Parameter(Mandatory)] [string] $Page,
        [Parameter(Mandatory)] [string] $Profile,
        [string] $Screenshot,
        [string] $NetLog,
        [int] $Width = 1280,
        [int] $Height = 2400
    )
    $browser = Find-Chromium
    if (-not $browser) { throw 'Chromium is not installed: apt-get install chromium (.ci/run installs it).' }
    $flags = @('--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-sync',
        '--disable-background-networking', '--disable-component-update', '--disable-default-apps', '--disable-domain-reliability',
        '--disable-client-side-phishing-detection', '--no-pings', '--disable-breakpad', '--proxy-server=http://127.0.0.1:9',
        '--disable-features=Translate,OptimizationHints,MediaRouter,SpellCheck,AutofillServerCommunication',
        "--user-data-dir=$Profile", "--window-size=$Width,$Height")
    if ($NetLog) { $flags += "--log-net-log=$NetLog" }
    $flags += if ($Screenshot) { "--screenshot=$Screenshot" } else { '--dump-dom' }
    $uri = [Uri]::new((Resolve-Path -LiteralPath $Page).ProviderPath).AbsoluteUri
    $out = & $browser @flags $uri 2>$null
    if ($LASTEXITCODE -ne 0) { throw "Chromium exited with $LASTEXITCODE loading $uri." }
    $out -join "`n"
}

# URLs the page itself asked for (not the browser's own services), other than file: and data:.
function Get-PageRequest {
    param([Parameter(Mandatory)] [string] $NetLog)
    $log = Get-Content -LiteralPath $NetLog -Raw | ConvertFrom-Json
    @($log.events | Where-Object { $_.params.site_for_cookies -like '*site=file://*' -and $_.params.url -and $_.params.url -notmatch '^(file|data):' } |
        ForEach-Object { $_.params.url } | Select-Object -Unique)
}

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

# Headless, off the network, in its own profile.
function Get-ChromiumFlag {
    param([Parameter(Mandatory)] [string] $Profile, [int] $Width = 1280, [int] $Height = 2400)
    @('--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-sync',
        '--disable-background-networking', '--disable-component-update', '--disable-default-apps', '--disable-domain-reliability',
        '--disable-client-side-phishing-detection', '--no-pings', '--disable-breakpad', '--proxy-server=http://127.0.0.1:9',
        '--disable-features=Translate,OptimizationHints,MediaRouter,SpellCheck,AutofillServerCommunication',
        "--user-data-dir=$Profile", "--window-size=$Width,$Height")
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
    $flags = Get-ChromiumFlag -Profile $Profile -Width $Width -Height $Height
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

# ---- DevTools protocol ---------------------------------------------------------------------
# A page a person clicks is tested by clicking it: chromium runs with --remote-debugging-port=0,
# writes the port it chose to <profile>/DevToolsActivePort, and one WebSocket to the browser
# target carries every command (the page's through a flattened session). Waits poll with a
# generous limit that only turns a hang into a failure; no test asserts on time.

function Start-ChromiumDevTools {
    param([Parameter(Mandatory)] [string] $Profile, [int] $Width = 1280, [int] $Height = 1000, [int] $TimeoutSeconds = 120)
    $browser = Find-Chromium
    if (-not $browser) { throw 'Chromium is not installed: apt-get install chromium (.ci/run installs it).' }
    $null = New-Item -ItemType Directory -Force $Profile
    $portFile = Join-Path $Profile 'DevToolsActivePort'
    Remove-Item -LiteralPath $portFile -ErrorAction SilentlyContinue
    $start = [Diagnostics.ProcessStartInfo]::new($browser)
    foreach ($flag in (Get-ChromiumFlag -Profile $Profile -Width $Width -Height $Height) + '--remote-debugging-port=0' + 'about:blank') { $start.ArgumentList.Add($flag) }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [Diagnostics.Process]::Start($start)
    # Read (and drop) its chatter, so a full pipe never stalls it.
    $process.BeginOutputReadLine(); $process.BeginErrorReadLine()
    $session = [pscustomobject]@{ Process = $process; Socket = $null; NextId = 0; SessionId = $null; Events = [Collections.Generic.List[object]]::new(); TimeoutSeconds = $TimeoutSeconds }
    try {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $lines = $null
        while (-not $lines) {
            if ($process.HasExited) { throw "Chromium exited with $($process.ExitCode) before opening its DevTools port." }
            if ([DateTime]::UtcNow -gt $deadline) { throw "Chromium wrote no $portFile in $TimeoutSeconds s." }
            Start-Sleep -Milliseconds 100
            if (Test-Path -LiteralPath $portFile) {
                $read = @(Get-Content -LiteralPath $portFile -ErrorAction SilentlyContinue)
                if ($read.Count -ge 2 -and $read[1]) { $lines = $read }
            }
        }
        $socket = [Net.WebSockets.ClientWebSocket]::new()
        $socket.Options.Proxy = $null   # loopback, never through a proxy from the environment
        $null = $socket.ConnectAsync([Uri]"ws://127.0.0.1:$($lines[0])$($lines[1])", [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $session.Socket = $socket
        $page = (Invoke-Cdp $session Target.getTargets -Browser).targetInfos | Where-Object type -EQ 'page' | Select-Object -First 1
        if (-not $page) { throw 'Chromium opened no page.' }
        $session.SessionId = (Invoke-Cdp $session Target.attachToTarget @{ targetId = $page.targetId; flatten = $true } -Browser).sessionId
        $session
    }
    catch { Stop-ChromiumDevTools $session; throw }
}

# Sends one command and returns its result; events that arrive meanwhile are kept in $Session.Events.
function Invoke-Cdp {
    param([Parameter(Mandatory, Position = 0)] $Session, [Parameter(Mandatory, Position = 1)] [string] $Method,
        [Parameter(Position = 2)] [hashtable] $Params = @{}, [switch] $Browser)
    $id = ++$Session.NextId
    $message = @{ id = $id; method = $Method; params = $Params }
    if (-not $Browser) { $message.sessionId = $Session.SessionId }
    $bytes = [Text.Encoding]::UTF8.GetBytes(($message | ConvertTo-Json -Depth 20 -Compress))
    $cancel = [Threading.CancellationTokenSource]::new([TimeSpan]::FromSeconds($Session.TimeoutSeconds))
    try {
        $null = $Session.Socket.SendAsync([ArraySegment[byte]]::new($bytes), 'Text', $true, $cancel.Token).GetAwaiter().GetResult()
        $buffer = [byte[]]::new(1 -shl 16)
        while ($true) {
            $stream = [IO.MemoryStream]::new()
            do {
                $got = $Session.Socket.ReceiveAsync([ArraySegment[byte]]::new($buffer), $cancel.Token).GetAwaiter().GetResult()
                if ($got.MessageType -eq 'Close') { throw "Chromium closed the DevTools connection during $Method." }
                $stream.Write($buffer, 0, $got.Count)
            } until ($got.EndOfMessage)
            $reply = [Text.Encoding]::UTF8.GetString($stream.ToArray()) | ConvertFrom-Json -Depth 100
            if ($null -eq $reply.id) { $Session.Events.Add($reply); continue }
            if ($reply.id -ne $id) { continue }
            if ($reply.error) { throw "$Method failed: $($reply.error.message) $($reply.error.data)" }
            return $reply.result
        }
    }
    finally { $cancel.Dispose() }
}

# Evaluates a JavaScript expression in the page (as a user gesture) and returns its value.
function Invoke-CdpScript {
    param([Parameter(Mandatory, Position = 0)] $Session, [Parameter(Mandatory, Position = 1)] [string] $Expression)
    $r = Invoke-Cdp $Session Runtime.evaluate @{ expression = $Expression; returnByValue = $true; awaitPromise = $true; userGesture = $true }
    if ($r.exceptionDetails) { throw "The page threw evaluating $Expression : $($r.exceptionDetails.exception.description ?? $r.exceptionDetails.text)" }
    $r.result.value
}

# Loads a file and waits until the page has loaded.
function Open-CdpPage {
    param([Parameter(Mandatory, Position = 0)] $Session, [Parameter(Mandatory, Position = 1)] [string] $Path)
    $url = [Uri]::new((Resolve-Path -LiteralPath $Path).ProviderPath).AbsoluteUri
    $null = Invoke-Cdp $Session Page.navigate @{ url = $url }
    $check = "location.href === $(ConvertTo-Json $url) && document.readyState === 'complete'"
    Wait-Until { Invoke-CdpScript $Session $check } "the page $url did not load" $Session.TimeoutSeconds
}

# A real click: the mouse pressed and released over the middle of the element the expression returns.
function Invoke-CdpClick {
    param([Parameter(Mandatory, Position = 0)] $Session, [Parameter(Mandatory, Position = 1)] [string] $Element)
    $at = Invoke-CdpScript $Session "(() => { const e = $Element; if (!e) return null; e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
    if (-not $at) { throw "No element to click: $Element" }
    foreach ($type in 'mouseMoved', 'mousePressed', 'mouseReleased') {
        $null = Invoke-Cdp $Session Input.dispatchMouseEvent @{ type = $type; x = $at[0]; y = $at[1]; button = 'left'; buttons = $(if ($type -eq 'mousePressed') { 1 } else { 0 }); clickCount = 1 }
    }
}

# Types into the element the expression returns, as a keyboard would (input events included).
function Invoke-CdpType {
    param([Parameter(Mandatory, Position = 0)] $Session, [Parameter(Mandatory, Position = 1)] [string] $Element, [Parameter(Mandatory, Position = 2)] [string] $Text)
    Invoke-CdpClick $Session $Element
    $null = Invoke-CdpScript $Session 'document.activeElement.select()'   # typing replaces what is there
    $null = Invoke-Cdp $Session Input.insertText @{ text = $Text }
}

function Wait-Until {
    param([Parameter(Mandatory, Position = 0)] [scriptblock] $Condition, [Parameter(Mandatory, Position = 1)] [string] $Failure, [Parameter(Position = 2)] [int] $TimeoutSeconds = 120)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "$Failure (waited $TimeoutSeconds s)." }
        Start-Sleep -Milliseconds 100
    }
}

# Closes the connection and ends the browser this session started, by its process id.
function Stop-ChromiumDevTools {
    param([Parameter(Position = 0)] $Session)
    if (-not $Session) { return }
    if ($Session.Socket) { try { $Session.Socket.Dispose() } catch { } }
    $p = $Session.Process
    if ($p -and -not $p.HasExited) { try { $p.Kill($true); $null = $p.WaitForExit(30000) } catch { } }
    if ($p) { $p.Dispose() }
}

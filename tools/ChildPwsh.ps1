# The one way this repository starts a fresh pwsh: build.ps1, examples/bench.ps1 (and its parts)
# and the tests dot-source this file. A fresh process is how a loaded DLL never goes stale and how
# a figure or an environment variable (DOTNET_EnableAVX2, DOTNET_PROCESSOR_COUNT) applies to
# exactly one run.
#
# Start-ChildPwsh is the only function that starts one; Invoke-ChildPwsh waits on it and hands back
# its output lines (or shows them) with the exit code in $LASTEXITCODE; Get-ChildPwshCommand is the
# command line that starts this pwsh, for scripts that are given a command to run (Slurm's
# PRUNE_PWSH) or that run a container's command line.

# The program and first arguments that start this same pwsh. Under the pinned dotnet-tool pwsh
# (`dotnet pwsh`), the process is dotnet itself and pwsh.dll its first argument.
function Get-ChildPwshCommand {
    $exe = [Environment]::ProcessPath
    @($exe) + @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { [Environment]::GetCommandLineArgs()[0] })
}

# Starts a fresh pwsh and returns its [Diagnostics.Process] at once. -Command or -File (with
# -ArgumentList) run with -NoProfile -NonInteractive; -ArgumentList alone is pwsh's whole argument
# list as given (a container's command line, which carries its own switches). -Environment sets
# (or, with $null, removes) variables in the child only; -WorkingDirectory is where it starts
# (the current location by default, as for a native command). Standard output and error are
# redirected for the caller to read (ReadLine, ReadToEndAsync), unless -NoRedirect, when the child
# writes to this process's own console.
function Start-ChildPwsh {
    [CmdletBinding(DefaultParameterSetName = 'Command')]
    [OutputType([Diagnostics.Process])]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'Command')] [string] $Command,
        [Parameter(Mandatory, ParameterSetName = 'File')] [string] $File,
        # A script run with no arguments passes an empty list through Invoke-ChildPwsh.
        [Parameter(ParameterSetName = 'File')] [Parameter(Mandatory, ParameterSetName = 'Arguments')] [AllowEmptyCollection()] [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = (Get-Location -PSProvider FileSystem).ProviderPath,
        [switch] $NoRedirect
    )
    $ErrorActionPreference = 'Stop'
    $program, $prefix = Get-ChildPwshCommand
    $psi = [Diagnostics.ProcessStartInfo]::new($program)
    $arguments = @($prefix) + $(switch ($PSCmdlet.ParameterSetName) {
            'Command' { '-NoProfile', '-NonInteractive', '-Command', $Command }
            'File' { @('-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList }
            'Arguments' { $ArgumentList }
        })
    foreach ($a in $arguments) { if ($null -ne $a) { $psi.ArgumentList.Add($a) } }
    foreach ($k in $Environment.Keys) {
        if ($null -eq $Environment[$k]) { $null = $psi.Environment.Remove($k) } else { $psi.Environment[$k] = [string]$Environment[$k] }
    }
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = -not $NoRedirect
    $psi.RedirectStandardError = -not $NoRedirect
    [Diagnostics.Process]::Start($psi)
}

# Runs a fresh pwsh to its end (Start-ChildPwsh's parameters). Returns its output lines, standard
# output and error interleaved as they arrive, as strings; with -ToHost shows them on the console
# instead (not redirected: colours and live output as in a terminal) and returns nothing. The
# exit code is in $LASTEXITCODE, as after any native command; -Json returns instead the objects of
# the lines that are JSON objects (a child that ends in `ConvertTo-Json -Compress`), and throws
# with the whole output when the child exits non-zero or prints none.
function Invoke-ChildPwsh {
    [CmdletBinding(DefaultParameterSetName = 'Command')]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'Command')] [string] $Command,
        [Parameter(Mandatory, ParameterSetName = 'File')] [string] $File,
        [Parameter(ParameterSetName = 'File')] [AllowEmptyCollection()] [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = (Get-Location -PSProvider FileSystem).ProviderPath,
        [switch] $ToHost,
        [switch] $Json
    )
    $ErrorActionPreference = 'Stop'
    $start = @{ Environment = $Environment; WorkingDirectory = $WorkingDirectory; NoRedirect = $ToHost }
    if ($PSCmdlet.ParameterSetName -eq 'File') { $start.File = $File; $start.ArgumentList = $ArgumentList } else { $start.Command = $Command }
    $p = Start-ChildPwsh @start
    try {
        if ($ToHost) { $p.WaitForExit(); return }
        $lines = [Collections.Generic.List[string]]::new()
        # Both streams read at once, so neither fills its pipe and stalls the child; each line is
        # passed on when it arrives, which keeps the order a console would show.
        $readers = $p.StandardOutput, $p.StandardError
        $pending = @($readers[0].ReadLineAsync(), $readers[1].ReadLineAsync())
        while ($null -ne $pending[0] -or $null -ne $pending[1]) {
            $live = [Threading.Tasks.Task[]]@($pending | Where-Object { $null -ne $_ })
            $i = [Threading.Tasks.Task]::WaitAny($live, 500)   # a timeout, so Ctrl+C is seen between waits
            if ($i -lt 0) { continue }
            $k = [Array]::IndexOf($pending, $live[$i])
            $line = $pending[$k].GetAwaiter().GetResult()
            if ($null -eq $line) { $pending[$k] = $null; continue }
            $pending[$k] = $readers[$k].ReadLineAsync()
            if ($Json) { $lines.Add($line) } else { $line }
        }
        $p.WaitForExit()
    }
    finally {
        if (-not $p.HasExited) { $p.Kill($true); $p.WaitForExit() }   # stopped (Ctrl+C): no child left behind
        $global:LASTEXITCODE = $p.ExitCode
        $p.Dispose()
    }
    if ($Json) {
        $objects = @($lines | Where-Object { $_ -like '{*' } | ForEach-Object { $_ | ConvertFrom-Json })
        if ($LASTEXITCODE -ne 0 -or -not $objects) {
            throw "The child pwsh exited with code $LASTEXITCODE and printed $($objects.Count) JSON lines:`n$($lines -join "`n")"
        }
        $objects
    }
}

# What the Slurm test needs, shared by tests/Slurm.Tests.ps1 and build.ps1 (which says plainly
# when the test did not run, and why).
$script:FashionMnist = '/usr/share/datasets/fashion-mnist'

function Get-SlurmTestAbsence {
    if (-not $IsLinux) { return 'the single-node Slurm cluster runs on Linux only' }
    $missing = @('munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo') | Where-Object { -not (Get-Command $_ -ErrorAction Ignore) }
    if ($missing) { return "$($missing -join ', ') not found (apt-get install slurm-wlm munge, as .ci/run does)" }
    if (-not (Test-Path (Join-Path $script:FashionMnist 'train-images-idx3-ubyte.gz'))) { return "no Fashion-MNIST images in $script:FashionMnist (apt-get install dataset-fashion-mnist)" }
    $null
}

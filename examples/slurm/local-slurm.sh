#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on this machine, for trying examples/slurm and for the
# tests: munged, slurmctld and slurmd with every file (key, sockets, state, spool, logs) under
# one folder, on ports of their own, so nothing in /etc or /var is touched and a real cluster on
# the same host is not disturbed.
#
#   examples/slurm/local-slurm.sh start DIR   start it; prints `export SLURM_CONF=DIR/slurm.conf`
#   examples/slurm/local-slurm.sh stop DIR    stop what `start DIR` started, by its pids
#
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge). The daemons run as the
# calling user; slurmd needs root to start jobs as other users, so on a shared machine run it in
# a container or as a dedicated user. Slurm 22.05 (Debian 12) and later.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

stop_pid() { # $1: pid file. Stop the daemon politely, then firmly; never anything else.
    [ -f "$1" ] || return 0
    local pid; pid=$(cat "$1")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}

free_port() { # first port from $1 on that nothing listens on
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

case "$action" in
stop)
    stop_pid "$dir/slurmd.pid"
    stop_pid "$dir/slurmctld.pid"
    stop_pid "$dir/munged.pid"
    exit 0
    ;;
start) ;;
*) usage ;;
esac

for tool in munged slurmctld slurmd sbatch; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found: install Debian's slurm-wlm and munge (apt-get install slurm-wlm munge)." >&2; exit 3; }
done

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
host=$(hostname -s)

# munge: a fresh key for this cluster only.
if [ ! -s "$dir/munge/munge.key" ]; then
    head -c 1024 /dev/urandom > "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
fi
stop_pid "$dir/munged.pid"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

ctld_port=$(free_port "${SLURMCTLD_PORT:-16817}")
slurmd_port=$(free_port $((ctld_port + 1)))
# The node line as slurmd measures this machine (CPUs, sockets, cores, threads, memory).
node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host/")
user=$(id -un)

cat > "$dir/slurm.conf" <<CONF
ClusterName=prunecmdlets-local
SlurmctldHost=$host
SlurmUser=$user
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
$node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
echo "# No cgroup plugin is used (proctrack/linuxproc, task/none); slurmd reads this file anyway." > "$dir/cgroup.conf"

export SLURM_CONF="$dir/slurm.conf"
stop_pid "$dir/slurmd.pid"
stop_pid "$dir/slurmctld.pid"
slurmctld -i   # -i: ignore state from an earlier run in this folder
slurmd

# Ready when the node answers idle (or mixed/allocated once jobs run).
for _ in $(seq 100); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
    case "$state" in idle*|mix*|alloc*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
    sleep 0.2
done
echo "Slurm did not come up within 20 s; see $dir/slurmctld.log and $dir/slurmd.log" >&2
exit 4

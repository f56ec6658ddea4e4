#!/usr/bin/env bash
# Prunes an image folder as sharded Slurm jobs and keeps exactly what one process keeps.
#
#   examples/slurm/submit.sh IMAGES WORK [SHARDS]      (settings: the PRUNE_* variables below)
#
# Seven jobs, each starting when the one before it succeeded (--dependency=afterok):
#   Fit (1 task) -> Shard (array) -> Plan (1) -> Round2 (array) -> Cut (1) -> Select (array) -> Collect (1)
# What crosses the network between them: the k-means model (K x D floats), one summary of a few
# KB per shard and round, the cut (a few KB), and the per-shard decision lists; never an
# embedding (each shard's stay in WORK/emb/<i>.parquet, on the shared file system the shard's
# node writes them to). The result: WORK/kept.txt (the kept Ids, sorted) and
# WORK/decided/<i>.csv (every record of shard i with Kept and Reason).
#
# Prints the Collect job's id; with PRUNE_WAIT=1 waits for it and exits with its status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PRUNE_REPO=${PRUNE_REPO:-$(cd "$here/../.." && pwd)}
export PRUNE_IMAGES=${1:?usage: submit.sh IMAGES WORK [SHARDS]}
export PRUNE_WORK=${2:?usage: submit.sh IMAGES WORK [SHARDS]}
export PRUNE_SHARDS=${3:-${PRUNE_SHARDS:-4}}
export PRUNE_K=${PRUNE_K:-10} PRUNE_SAMPLE_FRACTION=${PRUNE_SAMPLE_FRACTION:-0.25}
export PRUNE_KEEP=${PRUNE_KEEP:-Hard} PRUNE_KEEP_FRACTION=${PRUNE_KEEP_FRACTION:-0.5}
export PRUNE_BALANCE_BY=${PRUNE_BALANCE_BY:-Label} PRUNE_SEED=${PRUNE_SEED:-1}
export PRUNE_EXCLUDE=${PRUNE_EXCLUDE:-None}   # LabelError: prune the labels the sample's label model finds wrong first
mkdir -p "$PRUNE_WORK/logs"
last=$((PRUNE_SHARDS - 1))
submit() { # $1: step, $2: dependency (job id or empty), rest: sbatch options
    local step=$1 after=$2; shift 2
    local log="$PRUNE_WORK/logs/%x-%j.out"
    case " $* " in *" --array="*) log="$PRUNE_WORK/logs/%x-%A_%a.out" ;; esac
    sbatch --parsable --job-name="prune-$step" --output="$log" \
        --kill-on-invalid-dep=yes ${after:+--dependency=afterok:$after} "$@" "$here/prune.sbatch" "$step" | cut -d';' -f1
}
fit=$(submit Fit "")
shard=$(submit Shard "$fit" --array=0-$last)
plan=$(submit Plan "$shard")
round2=$(submit Round2 "$plan" --array=0-$last)
cut=$(submit Cut "$round2")
select=$(submit Select "$cut" --array=0-$last)
wait_flag=()
[ "${PRUNE_WAIT:-0}" = 1 ] && wait_flag=(--wait)
collect=$(sbatch --parsable "${wait_flag[@]}" --job-name=prune-Collect --output="$PRUNE_WORK/logs/%x-%j.out" \
    --kill-on-invalid-dep=yes --dependency=afterok:$select "$here/prune.sbatch" Collect | cut -d';' -f1)
echo "$collect"

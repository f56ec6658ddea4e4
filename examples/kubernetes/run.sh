#!/usr/bin/env bash
# Prunes the images on the shared volume as Kubernetes Jobs, one per step, and keeps exactly
# what one process keeps.
#
#   examples/kubernetes/run.sh            (kubectl's current context and namespace; -n via KUBECTL)
#
# First: build and push the image (Dockerfile), set it as `image:` in jobs.yaml, set the
# settings and the shard count in setup.yaml (and completions/parallelism in jobs.yaml to
# match), and put the images on the volume at PRUNE_IMAGES.
#
# Seven Jobs, each applied when the one before it completed:
#   Fit (1 pod) -> Shard (Indexed, 1 pod per shard) -> Plan (1) -> Round2 (Indexed) -> Cut (1)
#   -> Select (Indexed) -> Collect (1)
# Stops at the first Job that fails, with its last log lines. Run it again after fixing the
# cause: completed Jobs are left as they are, and `kubectl delete job prune-<step>` lets a
# failed one run again; every step skips the work whose output is already on the volume.
# The result, on the volume: /data/run/kept.txt (the kept Ids, sorted) and
# /data/run/decided/<i>.csv (every record of shard i with Kept and Reason).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
read -r -a kubectl <<< "${KUBECTL:-kubectl}"   # e.g. KUBECTL="kubectl -n pruning"
timeout=${PRUNE_STEP_TIMEOUT:-86400}           # seconds one step may take

"${kubectl[@]}" apply -f "$here/setup.yaml"
for step in Fit Shard Plan Round2 Cut Select Collect; do
    job=prune-$(echo "$step" | tr '[:upper:]' '[:lower:]')
    "${kubectl[@]}" apply -f "$here/jobs.yaml" -l "prunecmdlets/step=$step"
    # Like `kubectl wait --for=condition=complete job/$job`, but it also returns when the Job
    # fails (a failed Job never completes).
    start=$SECONDS
    while :; do
        state=$("${kubectl[@]}" get job "$job" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
        case " $state " in
        *" Complete "*) echo "$step: complete in $((SECONDS - start)) s"; break ;;
        *" Failed "*)
            echo "$step: the Job $job failed; its last log lines:" >&2
            "${kubectl[@]}" logs "job/$job" --all-containers --tail=40 >&2 || true
            exit 1 ;;
        esac
        if [ $((SECONDS - start)) -ge "$timeout" ]; then echo "$step: not done after $timeout s" >&2; exit 1; fi
        sleep 5
    done
done
"${kubectl[@]}" logs job/prune-collect --tail=1

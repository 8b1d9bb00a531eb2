#!/usr/bin/env bash
# Smoke check of the local SLURM test cluster (scripts/slurm/cluster.sh).
# Run with the cluster started:
#   bash scripts/slurm/cluster.sh start && bash tests/slurm_cluster_check.sh
# Exits non-zero if any check fails; last line is "slurm-check: N passed, M failed".
set -uo pipefail

TIMEOUT="${SLURM_CHECK_TIMEOUT:-60}"   # seconds for a short job to finish
WORK=$(mktemp -d /tmp/slurm-check.XXXXXX)
PASSED=0
FAILED=0
JOBS=()

cleanup() {
    [ ${#JOBS[@]} -gt 0 ] && scancel "${JOBS[@]}" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

ok() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

submit() {  # submit SBATCH-ARGS...: prints the job id
    local out
    out=$(sbatch --parsable "$@") || return 1
    out=${out%%;*}
    JOBS+=("$out")
    echo "$out"
}

job_state() { squeue -h -j "$1" -o %T 2>/dev/null | head -n1; }
acct_state() { sacct -n -X -P -j "$1" -o State 2>/dev/null | head -n1; }

wait_acct() {  # wait_acct ID STATE SECS: sacct shows STATE
    local id=$1 want=$2 secs=$3 i st=""
    for i in $(seq 1 $((secs * 2))); do
        st=$(acct_state "$id")
        [ "${st%% *}" = "$want" ] && return 0
        sleep 0.5
    done
    echo "  job $id: sacct state '$st', wanted $want" >&2
    return 1
}

wait_running() {  # wait_running ID SECS
    local id=$1 secs=$2 i
    for i in $(seq 1 $((secs * 2))); do
        [ "$(job_state "$id")" = RUNNING ] && return 0
        sleep 0.5
    done
    echo "  job $id: state '$(job_state "$id")' reason '$(squeue -h -j "$id" -o %r)'" >&2
    return 1
}

# 0. cluster status
if bash "$(dirname "$0")/../scripts/slurm/cluster.sh" status; then
    ok "cluster status"
else
    bad "cluster status"; sinfo -N -l
fi

# 1. sbatch --wrap hostname completes, and sacct reports COMPLETED
if id=$(submit -o "$WORK/hostname.out" --wrap hostname) && wait_acct "$id" COMPLETED "$TIMEOUT"; then
    if grep -qx "$(hostname -s)" "$WORK/hostname.out"; then
        ok "sbatch --wrap hostname -> COMPLETED (job $id)"
    else
        bad "hostname job $id output: $(cat "$WORK/hostname.out" 2>/dev/null)"
    fi
else
    bad "sbatch --wrap hostname did not complete"
fi

# 2. sacct -j shows COMPLETED (checked directly)
if [ -n "${id:-}" ] && sacct -n -X -j "$id" -o JobID,State | grep -q COMPLETED; then
    ok "sacct -j $id shows COMPLETED"
else
    bad "sacct -j ${id:-?} does not show COMPLETED: $(sacct -j "${id:-0}" 2>&1)"
fi

# 3. 8 tasks x 8 fake GPUs: accepted, sees CUDA_VISIBLE_DEVICES=0..7 (batch + every task)
if id=$(submit -o "$WORK/gpu.out" --nodes=1 --ntasks-per-node=8 --gpus-per-node=8 --cpus-per-task=1 \
        --wrap 'echo "batch CVD=$CUDA_VISIBLE_DEVICES"; srun bash -c "echo task \$SLURM_PROCID CVD=\$CUDA_VISIBLE_DEVICES"') \
        && wait_acct "$id" COMPLETED "$TIMEOUT"; then
    if grep -qx 'batch CVD=0,1,2,3,4,5,6,7' "$WORK/gpu.out" \
        && [ "$(grep -c '^task [0-7] CVD=0,1,2,3,4,5,6,7$' "$WORK/gpu.out")" = 8 ]; then
        ok "8 tasks x 8 GPUs job $id sees CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7"
    else
        bad "GPU job $id output:"; cat "$WORK/gpu.out"
    fi
else
    bad "8 tasks x 8 GPUs job not accepted/completed"; cat "$WORK/gpu.out" 2>/dev/null
fi

# 4. unknown partition rejected at submit
if err=$(sbatch --parsable -p nope --wrap true 2>&1); then
    JOBS+=("${err%%;*}")
    bad "partition 'nope' accepted: $err"
else
    ok "partition 'nope' rejected at submit ($err)"
fi

# 5. requests that can never fit are rejected at submit (EnforcePartLimits), not left PENDING
if err=$(sbatch --parsable --gpus-per-node=9 --wrap true 2>&1); then
    JOBS+=("${err%%;*}")
    bad "--gpus-per-node=9 accepted: $err"
else
    ok "--gpus-per-node=9 rejected at submit ($err)"
fi

# 6. scontrol requeue of a running job -> RUNNING again within 20 s
if id=$(submit -o /dev/null --wrap 'sleep 300') && wait_running "$id" 30; then
    t0=$SECONDS
    if scontrol requeue "$id"; then
        # leave RUNNING first (requeue goes through COMPLETING/PENDING), then back
        for i in $(seq 1 20); do [ "$(job_state "$id")" != RUNNING ] && break; sleep 0.25; done
        if wait_running "$id" 20; then
            restarts=$(scontrol show job "$id" | grep -o 'Restarts=[0-9]*')
            ok "requeued job $id RUNNING again after $((SECONDS - t0)) s ($restarts)"
        else
            bad "requeued job $id not RUNNING within 20 s"
        fi
    else
        bad "scontrol requeue $id failed"
    fi
else
    bad "sleep job did not start"
fi

# 7. a job cancelled from outside is visible as CANCELLED in sacct (submitit relies on it)
if [ -n "${id:-}" ] && scancel "$id" && wait_acct "$id" CANCELLED 20; then
    ok "scancel'd job $id shows CANCELLED in sacct"
else
    bad "scancel'd job ${id:-?} not CANCELLED in sacct"
fi

echo "slurm-check: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]

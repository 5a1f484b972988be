#!/usr/bin/env bash
# Multi-host tests on one machine: two network namespaces, msA (198.18.0.1) and msB
# (198.18.0.2), joined by a veth pair stand in for two cluster nodes. mpirun runs inside msA
# with --host 198.18.0.1,198.18.0.2 and starts its remote daemon in msB through an rsh agent
# script (what ssh does on a real cluster); the ranks talk over TCP on 198.18.0.0/24 only.
#   1. a short 2-rank training across the two hosts finishes and writes its run directory;
#   2. its weights equal those of the same training with mpirun -n 2 on one host, and of one
#      process (relative difference at most 1e-4 per tensor); and a spatial group of 2 ranks
#      spanning the two hosts (each 64² image split into two strips, halos over TCP) ends with
#      the weights of one process;
#   3. a two-host run sent SIGUSR1 checkpoints and exits with 75 on both hosts, and resumed
#      on the two hosts it ends with the same weights again;
#   4. a lost host: kill -9 of every process in msB, or msB's link set down, mid-run ends the
#      job within 60 s with a message, and --resume auto with 2 ranks in msA alone ends with
#      the same weights.
# Needs root (ip netns). The namespaces are always deleted at the end; every run is killed
# after 120 s at most. The last line reads "N passed, M failed".
#
# Usage: launch/multihost-tests.sh
#   MSTRAIN_BIN         the mstrain-dist binary (default: release build in MSTRAIN_BUILD_DIR)
#   MSTRAIN_BUILD_DIR   swift build --scratch-path (default .build)
#   MSTRAIN_NETNS_A, MSTRAIN_NETNS_B   namespace names (default msA, msB)
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

[ "$(id -u)" -eq 0 ] || { echo "multihost-tests: needs root (ip netns)" >&2; exit 1; }
command -v ip >/dev/null || { echo "multihost-tests: ip (iproute2) not found" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "multihost-tests: mpirun not found; run launch/setup.sh" >&2; exit 1; }

source launch/lib.sh
bin=$(mstrain_binary multihost-tests) || exit 1

ns_a=${MSTRAIN_NETNS_A:-msA}
ns_b=${MSTRAIN_NETNS_B:-msB}
addr_a=198.18.0.1
addr_b=198.18.0.2
for ns in "$ns_a" "$ns_b"; do
    if ip netns list | grep -qw "^$ns"; then
        echo "multihost-tests: network namespace $ns exists already (another run?); remove it with: ip netns del $ns" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mstrain-multihost-tests.XXXXXX")
created=()
cleanup() {
    trap - EXIT INT TERM
    local ns pid
    [ -n "${current:-}" ] && kill -TERM "$current" 2>/dev/null
    [ -n "${runner:-}" ] && kill -TERM "$runner" 2>/dev/null
    for ns in "${created[@]}"; do
        # Processes this test left in the namespace (a stray daemon after a failure).
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null || echo "multihost-tests: could not delete namespace $ns" >&2
    done
    rm -rf "$work"
}
trap cleanup EXIT
exec 3>&1   # the script's own output, also while a run's output goes to a file
trap 'echo "multihost-tests: interrupted" >&3; exit 130' INT TERM

repository="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
finish() {
    echo "multihost-tests: $(($(date +%s) - started)) s"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# --- the two hosts ------------------------------------------------------------------------
veth_a="vA$$" veth_b="vB$$"
make_hosts() {
    ip netns add "$ns_a" && created+=("$ns_a") &&
    ip netns add "$ns_b" && created+=("$ns_b") &&
    ip link add "$veth_a" type veth peer name "$veth_b" &&
    ip link set "$veth_a" netns "$ns_a" && ip link set "$veth_b" netns "$ns_b" &&
    ip -n "$ns_a" addr add "$addr_a/24" dev "$veth_a" && ip -n "$ns_b" addr add "$addr_b/24" dev "$veth_b" &&
    ip -n "$ns_a" link set lo up && ip -n "$ns_b" link set lo up &&
    ip -n "$ns_a" link set "$veth_a" up && ip -n "$ns_b" link set "$veth_b" up &&
    { ! command -v ping >/dev/null || ip netns exec "$ns_a" ping -c 1 -W 2 "$addr_b"; }
}
if make_hosts >"$work/hosts.out" 2>&1; then
    pass "two hosts: $ns_a ($addr_a) and $ns_b ($addr_b) joined by a veth pair"
else
    fail "two hosts: network namespaces and veth pair" "$work/hosts.out"
    finish
fi

# The rsh agent: mpirun calls it as `AGENT [options] HOST COMMAND...` to start its daemon on
# HOST; it runs COMMAND in that host's namespace instead of logging in over ssh.
cat >"$work/rsh-agent" <<EOF
#!/bin/sh
while [ \$# -gt 0 ]; do
    case "\$1" in
        -o|-l|-p|-i|-F) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
host=\$1; shift
case "\$host" in
    $addr_a) ns=$ns_a ;;
    $addr_b) ns=$ns_b ;;
    *) echo "rsh-agent: unknown host \$host" >&2; exit 255 ;;
esac
echo "\$host \$ns" >>"$work/rsh-agent.log"
exec ip netns exec "\$ns" sh -c "\$*"
EOF
chmod +x "$work/rsh-agent"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export MSTRAIN_CACHE_DIR="$work/cache"
# Both "hosts" share this machine's cores: no binding (each would bind its rank to core 0).
two_hosts=(mpirun -n 2 --host "$addr_a,$addr_b" --bind-to none
           --mca plm_rsh_agent "$work/rsh-agent"
           --mca btl self,tcp --mca btl_tcp_if_include 198.18.0.0/24 --mca oob_tcp_if_include 198.18.0.0/24
           -x OPENBLAS_NUM_THREADS)
# TCP keepalive on mpirun's links to its daemons: a host cut off is noticed after about 7 s
# (3 s idle, then 2 probes 2 s apart) instead of Open MPI's default 300 + 9 × 20 s.
two_hosts+=(--mca oob_tcp_keepalive_time 3 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 2)
run_limit=120

if ! "$bin" data synth --output "$work/tiny.h5" --train-count 32 --valid-count 4 --size 16 >"$work/synth.out" 2>&1; then
    fail "tiny dataset" "$work/synth.out"; finish
fi
# A tiny UNet on 16×16 images, Full-Multiscale over 2 levels: 600 steps.
train=(--data "$work/tiny.h5" --width 8 --width-multipliers 1,2 --groups 4 --batch 2 --levels 2 --mode full-multiscale
       --iterations 200 --validate-every 200 --validation-count 4)

# same_weights A B: the parameters in two weights files agree (relative 1e-4 per tensor).
ensure_h5py || { echo "multihost-tests: h5py is needed to compare weights and could not be installed" >&2; exit 1; }
same_weights() { python3 "$repository/tools/compare_weights.py" "$1" "$2"; }
log_has() { tr '\r' '\n' <"$2" | grep -q "$1"; }
ran_in_both() {  # the run's output shows 2 ranks, and mpirun started a daemon in the second host
    log_has "2 rank(s)" "$1" && grep -q "^$addr_b $ns_b\$" "$work/rsh-agent.log" 2>/dev/null
}

# weights_match LABEL A B: passes LABEL when the weights files A and B agree (same_weights),
# with the difference and the seconds since $t0; fails it otherwise.
weights_match() {
    local detail
    if detail=$(same_weights "$2" "$3" 2>&1); then
        pass "$1 ($detail; $(($(date +%s) - t0)) s)"
    else
        fail "$1: $detail"
    fi
}

# resume_matches LABEL OUT RUN_DIR COMMAND...: runs the resuming COMMAND (bounded, output in OUT)
# and checks that it resumed and ended with the weights of the uninterrupted one-host run
# (the elapsed seconds are counted from $t0).
resume_matches() {
    local label=$1 out=$2 run=$3 status=0
    shift 3
    bounded "$@" >"$out" 2>&1 || status=$?
    if [ "$status" -eq 0 ] && log_has "^resumed from" "$out" && [ -s "$run/weights.h5" ]; then
        weights_match "$label ends with the uninterrupted weights" "$run/weights.h5" "$work/one-host/weights.h5"
    else
        fail "$label finishes (exit $status)" "$out"
    fi
}

# wait_bounded PID SECONDS: waits for a background job; kills it after SECONDS (status 124).
wait_bounded() {
    local pid=$1 limit=$2 i
    for ((i = 0; i < limit * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null; sleep 2; kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 124
    fi
    wait "$pid"
}
# bounded COMMAND...: runs COMMAND in the background (so that a signal to this script is
# handled at once) and waits for it at most $run_limit seconds.
current=""
bounded() {
    "$@" &
    current=$!
    local status=0
    wait_bounded "$current" "$run_limit" || status=$?
    current=""
    return "$status"
}

# --- 1. training across the two hosts -------------------------------------------------------
t0=$(date +%s)
status=0
bounded ip netns exec "$ns_a" "${two_hosts[@]}" "$bin" train "${train[@]}" --run-directory "$work/two-hosts" \
    >"$work/two-hosts.out" 2>&1 || status=$?
if [ "$status" -eq 0 ] && ran_in_both "$work/two-hosts.out" && [ -s "$work/two-hosts/summary.json" ] && [ -s "$work/two-hosts/weights.h5" ]; then
    pass "2 ranks on two hosts over TCP (198.18.0.0/24) finish and write summary.json, weights.h5 ($(($(date +%s) - t0)) s)"
else
    fail "2 ranks on two hosts over TCP finish (exit $status$([ "$status" -eq 124 ] && echo ': timed out'))" "$work/two-hosts.out"
    finish
fi

# --- 2. the same training on one host ------------------------------------------------------
t0=$(date +%s)
status=0
MSTRAIN_BIN="$bin" bounded launch/run-local.sh 2 "${train[@]}" --run-directory "$work/one-host" >"$work/one-host.out" 2>&1 || status=$?
if [ "$status" -eq 0 ] && [ -s "$work/one-host/weights.h5" ]; then
    weights_match "two hosts give the weights of 2 ranks on one host" "$work/two-hosts/weights.h5" "$work/one-host/weights.h5"
else
    fail "2 ranks on one host (launch/run-local.sh) finish (exit $status)" "$work/one-host.out"
fi
t0=$(date +%s)
status=0
bounded "$bin" train "${train[@]}" --threads 1 --run-directory "$work/one-process" >"$work/one-process.out" 2>&1 || status=$?
if [ "$status" -eq 0 ] && [ -s "$work/one-process/weights.h5" ]; then
    weights_match "two hosts give the weights of one process" "$work/two-hosts/weights.h5" "$work/one-process/weights.h5"
else
    fail "one process finishes (exit $status)" "$work/one-process.out"
fi

# --- 2b. a spatially sharded training across the two hosts ---------------------------------
# One group of 2 ranks, one on each host: every 64² image of the finest level is split into
# two strips whose halo rows cross the veth link.
t0=$(date +%s)
"$bin" data synth --output "$work/large.h5" --train-count 8 --valid-count 2 --size 64 >/dev/null
sharded=(--data "$work/large.h5" --width 8 --width-multipliers 1,2 --groups 4 --batch 2 --levels 2 --mode multiscale
         --iterations 10 --validate-every 10 --validation-count 2)
status=0
bounded ip netns exec "$ns_a" "${two_hosts[@]}" "$bin" train "${sharded[@]}" --spatial-shards 2 \
    --run-directory "$work/sharded-two-hosts" >"$work/sharded-two-hosts.out" 2>&1 || status=$?
bounded "$bin" train "${sharded[@]}" --threads 1 --run-directory "$work/sharded-one-process" >"$work/sharded-one-process.out" 2>&1 \
    || status=$?
if [ "$status" -eq 0 ] && log_has "0: 0..<2 (strip)" "$work/sharded-two-hosts.out" && [ -s "$work/sharded-one-process/weights.h5" ]; then
    weights_match "a spatial group of 2 ranks on two hosts (strips of each image) gives the weights of one process" \
        "$work/sharded-two-hosts/weights.h5" "$work/sharded-one-process/weights.h5"
else
    fail "a spatial group across two hosts trains on strips (exit $status)" "$work/sharded-two-hosts.out"
fi

# --- 3. stop on a signal across the two hosts, resume there --------------------------------
t0=$(date +%s)
stopped="$work/two-hosts-stopped"
# `ip netns exec` execs mpirun in place: $runner is mpirun's PID.
ip netns exec "$ns_a" "${two_hosts[@]}" "$bin" train "${train[@]}" --checkpoint-every 50 \
    --run-directory "$stopped" >"$work/stopped.out" 2>&1 &
runner=$!
for ((i = 0; i < 300; i++)); do
    compgen -G "$stopped/checkpoint-*.h5" >/dev/null && break
    kill -0 "$runner" 2>/dev/null || break
    sleep 0.2
done
# mpirun forwards SIGUSR1 to the ranks on both hosts.
kill -USR1 "$runner" 2>/dev/null
status=0
wait_bounded "$runner" "$run_limit" || status=$?
runner=""
if [ "$status" -eq 75 ] && log_has "^stopped on a signal before step" "$work/stopped.out" && [ -s "$stopped/latest" ] \
    && [ ! -e "$stopped/summary.json" ]; then
    pass "SIGUSR1 to mpirun: the ranks on both hosts stop with 75 after a checkpoint ($(cat "$stopped/latest"))"
    resume_matches "resumed on two hosts" "$work/resumed.out" "$stopped" ip netns exec "$ns_a" "${two_hosts[@]}" "$bin" \
        train --config "$stopped/config.yaml" --run-directory "$stopped" --resume auto
else
    fail "SIGUSR1 to mpirun: stop with 75 after a checkpoint (exit $status)" "$work/stopped.out"
fi

# --- 4. a lost host, mid-run: every process of the second host killed, or its link down ----
# lost_host HOW: HOW is "kill" (kill -9 of every process in msB) or "link" (msB's veth set down;
# the ranks' stall watchdog, MSTRAIN_STALL_TIMEOUT_SECONDS=10, must notice). The job must end
# within 60 s with a message; --resume auto with 2 ranks in msA alone must end with the weights
# of the uninterrupted run.
lost_host() {
    local how=$1 t0 lost="$work/lost-$1" victims at t_lost status ended message detail i
    t0=$(date +%s)
    ip netns exec "$ns_a" env MSTRAIN_STALL_TIMEOUT_SECONDS=10 "${two_hosts[@]}" -x MSTRAIN_STALL_TIMEOUT_SECONDS \
        "$bin" train "${train[@]}" --checkpoint-every 50 --run-directory "$lost" >"$work/lost.out" 2>&1 &
    runner=$!
    for ((i = 0; i < 300; i++)); do
        [ -s "$lost/latest" ] && break
        kill -0 "$runner" 2>/dev/null || break
        sleep 0.2
    done
    victims=$(ip netns pids "$ns_b" 2>/dev/null | tr '\n' ' ')
    if [ ! -s "$lost/latest" ] || [ -z "$victims" ] || ! kill -0 "$runner" 2>/dev/null; then
        kill -KILL "$runner" 2>/dev/null; wait "$runner" 2>/dev/null; runner=""
        fail "lost host ($how): no checkpoint, or no process in $ns_b, while the two-host run was going" "$work/lost.out"
        return
    fi
    at=$(cat "$lost/latest")
    t_lost=$(date +%s.%N)
    if [ "$how" = kill ]; then
        # shellcheck disable=SC2086
        kill -KILL $victims 2>/dev/null
    else
        ip -n "$ns_b" link set "$veth_b" down
    fi
    status=0
    wait_bounded "$runner" 60 || status=$?
    runner=""
    ended=$(awk -v a="$t_lost" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    # mpirun's or the watchdog's account of it, e.g. "ORTE has lost communication with a remote daemon."
    message=$(tr '\r' '\n' <"$work/lost.out" | grep -m1 -E 'ORTE|PRTE|mpirun noticed|lost communication|remote daemon|waited' | cut -c1-110)
    if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ -n "$message" ]; then
        pass "lost host ($how): $([ "$how" = kill ] && echo "kill -9 of every process of $ns_b" || echo "$ns_b's link down") after $at ends the job in ${ended} s (exit $status): $message"
    else
        fail "lost host ($how): the job ends within 60 s with a message (exit $status$([ "$status" -eq 124 ] && echo ': timed out'), ${ended} s)" "$work/lost.out"
    fi
    for pid in $(ip netns pids "$ns_b" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done   # a rank cut off by the link
    ip -n "$ns_b" link set "$veth_b" up
    # The remaining host finishes the run from the last checkpoint, with 2 ranks on its own.
    resume_matches "lost host ($how): --resume auto on $ns_a alone" "$work/lost-resumed.out" "$lost" \
        ip netns exec "$ns_a" env MSTRAIN_BIN="$bin" launch/run-local.sh 2 --config "$lost/config.yaml" \
        --run-directory "$lost" --resume auto
}
lost_host kill
lost_host link

# --- the namespaces go ---------------------------------------------------------------------
names=("${created[@]}")
cleanup_ns_ok=1
for ns in "${names[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null || cleanup_ns_ok=0
done
created=()
for ns in "${names[@]}"; do ip netns list | grep -qw "^$ns" && cleanup_ns_ok=0; done
if [ "$cleanup_ns_ok" -eq 1 ]; then pass "namespaces ${names[*]} deleted"; else fail "namespaces ${names[*]} deleted"; fi

finish

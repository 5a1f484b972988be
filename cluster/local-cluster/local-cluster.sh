#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests: munged, slurmctld and slurmd run as
# background root processes with every file (configuration, key, state, logs, PID files)
# under one state directory. Nothing is installed or changed outside it; no systemd needed.
#
# Usage (as root, with Debian's slurm-wlm and munge installed):
#   eval "$(cluster/local-cluster/local-cluster.sh start [STATE_DIR])"
#       starts the daemons and prints `export SLURM_CONF=... MSTRAIN_SLURM_DIR=...`;
#       STATE_DIR defaults to a new temporary directory.
#   cluster/local-cluster/local-cluster.sh status [STATE_DIR]
#   cluster/local-cluster/local-cluster.sh stop [STATE_DIR] [--keep]
#       cancels the cluster's jobs, stops the three daemons by their PIDs and removes the
#       state directory (kept with --keep, or when this script did not create it).
# STATE_DIR may also come from MSTRAIN_SLURM_DIR. MSTRAIN_SLURM_PORT picks the first port
# tried for slurmctld (default 16817; slurmd uses the next one; busy ports are skipped).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

say() { echo "local-cluster: $*" >&2; }
die() { say "error: $*"; exit 1; }

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# wait_for SECONDS COMMAND...: runs COMMAND once a second until it succeeds; fails after SECONDS.
wait_for() {
    local limit=$1; shift
    local i
    for ((i = 0; i < limit; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    local dir=${1:-${MSTRAIN_SLURM_DIR:-}}
    [ "$(id -u)" -eq 0 ] || die "must run as root (the daemons run as root)"
    local tool
    for tool in munged slurmctld slurmd sinfo; do
        command -v "$tool" >/dev/null || die "$tool not found: apt-get install slurm-wlm munge"
    done
    if [ -z "$dir" ]; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/mstrain-slurm.XXXXXX")
        touch "$dir/.created-by-local-cluster"
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir"
    if [ -e "$dir/slurmctld.pid" ] && pid_alive "$dir/slurmctld.pid"; then
        die "a cluster is already running in $dir (stop it first)"
    fi
    mkdir -p "$dir/ctld" "$dir/slurmd"

    # munged: a key of its own, its own socket. It runs as the munge user when there is one.
    local munge_user=root
    getent passwd munge >/dev/null && munge_user=munge
    mkdir -p "$dir/munge"
    chmod 755 "$dir/munge"
    if [ ! -s "$dir/munge/munge.key" ]; then
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    fi
    chmod 400 "$dir/munge/munge.key"
    chown -R "$munge_user" "$dir/munge"
    runuser -u "$munge_user" -- test -x "$dir/munge" \
        || die "$munge_user cannot reach $dir/munge: every directory above it must be searchable (chmod a+x)"
    local socket="$dir/munge/munge.socket"
    say "starting munged ($munge_user)"
    runuser -u "$munge_user" -- munged --socket="$socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" \
        || die "munged did not start; see $dir/munge/munged.log"
    wait_for 10 test -S "$socket" || die "munged socket $socket did not appear"
    cp "$dir/munge/munged.pid" "$dir/munged.pid"

    # Two free ports on 127.0.0.1.
    local port=${MSTRAIN_SLURM_PORT:-16817} tries
    for ((tries = 0; tries < 50; tries++)); do
        port_busy "$port" || port_busy $((port + 1)) || break
        port=$((port + 2))
    done

    # The node's CPUs and memory as slurmd sees them.
    local host cpus memory
    host=$(hostname -s)
    cpus=$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -n 1)
    memory=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -n 1)
    [ -n "$cpus" ] || cpus=$(nproc)
    [ -n "$memory" ] || memory=1000
    memory=$((memory * 9 / 10))
    sed -e "s|@HOST@|$host|g" -e "s|@STATE@|$dir|g" -e "s|@MUNGE_SOCKET@|$socket|g" \
        -e "s|@CTLD_PORT@|$port|g" -e "s|@SLURMD_PORT@|$((port + 1))|g" \
        -e "s|@CPUS@|$cpus|g" -e "s|@MEMORY_MB@|$memory|g" \
        "$here/slurm.conf.in" >"$dir/slurm.conf"
    export SLURM_CONF="$dir/slurm.conf"

    say "starting slurmctld (port $port) and slurmd on node $host ($cpus CPUs)"
    slurmctld -f "$SLURM_CONF" || die "slurmctld did not start; see $dir/slurmctld.log"
    wait_for 15 scontrol ping || die "slurmctld does not answer; see $dir/slurmctld.log"
    slurmd -f "$SLURM_CONF" || die "slurmd did not start; see $dir/slurmd.log"
    # The node is usable once sinfo reports it idle (or already allocated).
    node_up() { sinfo -h -n "$host" -o %T | grep -Eq '^(idle|mixed|allocated)'; }
    wait_for 30 node_up || die "node $host did not come up: $(sinfo -h -o '%T %E' 2>&1); see $dir/slurmd.log"
    say "up: $(sinfo -h -o '%P %D %T %c' | head -n 1)"
    echo "export SLURM_CONF='$SLURM_CONF' MSTRAIN_SLURM_DIR='$dir'"
}

# stop_pid NAME PIDFILE: SIGTERM, up to 10 s to exit, then SIGKILL.
stop_pid() {
    local name=$1 file=$2 pid i
    [ -s "$file" ] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        say "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 20; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name (pid $pid) did not exit; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

# job_pids DIR: PIDs of this cluster's job processes: the slurmstepd daemons and the job
# tasks, which carry this cluster's SLURM_CONF (and a SLURM_JOB_ID) in their environment.
job_pids() {
    local conf="SLURM_CONF=$1/slurm.conf" environ pid
    for environ in /proc/[0-9]*/environ; do
        pid=${environ#/proc/}; pid=${pid%/environ}
        [ "$pid" = "$$" ] && continue
        tr '\0' '\n' 2>/dev/null <"$environ" | grep -qxF "$conf" || continue
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slurmstepd ] \
            || tr '\0' '\n' 2>/dev/null <"$environ" | grep -q '^SLURM_JOB_ID='; then
            echo "$pid"
        fi
    done
}

stop() {
    local dir="" keep=0 arg i
    for arg in "$@"; do
        case "$arg" in
            --keep) keep=1 ;;
            *) dir=$arg ;;
        esac
    done
    dir=${dir:-${MSTRAIN_SLURM_DIR:-}}
    [ -n "$dir" ] || die "stop needs the state directory (argument or MSTRAIN_SLURM_DIR)"
    [ -d "$dir" ] || { say "no state directory $dir; nothing to stop"; return 0; }
    export SLURM_CONF="$dir/slurm.conf"
    # Cancel the cluster's jobs first, so that no job step outlives slurmd.
    if pid_alive "$dir/slurmctld.pid"; then
        local jobs
        jobs=$(timeout 10 squeue -h -o %i 2>/dev/null || true)
        if [ -n "$jobs" ]; then
            say "cancelling jobs: $(echo $jobs)"
            # shellcheck disable=SC2086
            timeout 10 scancel $jobs 2>/dev/null || true
            for ((i = 0; i < 20; i++)); do
                [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
                sleep 1
            done
        fi
    fi
    # Give the job steps a moment to wind down while slurmd still runs.
    local left
    for ((i = 0; i < 20; i++)); do
        left=$(job_pids "$dir")
        [ -z "$left" ] && break
        sleep 0.5
    done
    stop_pid slurmd "$dir/slurmd.pid"
    stop_pid slurmctld "$dir/slurmctld.pid"
    stop_pid munged "$dir/munged.pid"
    left=$(job_pids "$dir")
    if [ -n "$left" ]; then
        say "killing leftover job processes: $(echo $left)"
        # shellcheck disable=SC2086
        kill -KILL $left 2>/dev/null || true
    fi
    if [ "$keep" -eq 0 ] && [ -e "$dir/.created-by-local-cluster" ]; then
        rm -rf "$dir"
    else
        say "state and logs kept in $dir"
    fi
}

status() {
    local dir=${1:-${MSTRAIN_SLURM_DIR:-}}
    [ -n "$dir" ] && [ -d "$dir" ] || die "status needs the state directory (argument or MSTRAIN_SLURM_DIR)"
    local name
    for name in munged slurmctld slurmd; do
        if pid_alive "$dir/$name.pid"; then echo "$name: running (pid $(cat "$dir/$name.pid"))"
        else echo "$name: not running"; fi
    done
    SLURM_CONF="$dir/slurm.conf" sinfo 2>&1 || true
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    status) shift; status "$@" ;;
    *) echo "usage: $0 start [STATE_DIR] | status [STATE_DIR] | stop [STATE_DIR] [--keep]" >&2; exit 2 ;;
esac

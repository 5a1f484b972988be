#!/usr/bin/env bash
# Fault and bad-input checks of mstrain-dist on tiny 16x16 data (see docs/reliability.md):
#   1. kill -9 of one rank under mpirun (2 and 4 ranks), then --resume auto
#   2. kill -9 of a single-process run while it writes checkpoints (20 trials)
#   3. corrupted, empty, wrong-type, wrong-shape and unreadable dataset and checkpoint files
#      (1 and 2 ranks)
#   4. bad options (1 and 2 ranks: non-zero exit, the error printed once)
#   5. non-finite values (NaN pixels, also in one image seen by one rank, an absurd learning
#      rate) with --on-non-finite skip|stop
#   6. an unwritable or full run directory while checkpointing
#   9. byte-mutation fuzzing of dataset, weights and checkpoint files (tools/fuzz_files.py)
# (Cases 7, Slurm, and 8, a lost host, are in launch/slurm-tests.sh and launch/multihost-tests.sh.)
# Every run is bounded by `timeout`. Takes about 3 minutes on 2 cores. The last line reads
# "N passed, M failed"; the exit status is non-zero if any check failed.
#
# Usage: launch/fault-tests.sh   (after `swift build -c release`, or with MSTRAIN_BIN set)
#   FAULT_KILL_TRIALS   trials of case 2 (default 20)
#   FAULT_FUZZ_CASES    mutated files of case 9 (default 1200)
#   FAULT_FUZZ_SEED     seed of case 9 (default 1)
set -uo pipefail
cd "$(dirname "$0")/.."
source launch/lib.sh
bin=$(mstrain_binary fault-tests) || exit 1
work=$(mktemp -d)
mnt=""
cleanup() { [ -n "$mnt" ] && umount "$mnt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export MSTRAIN_CACHE_DIR="$work/cache" OPENBLAS_NUM_THREADS=1
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader --mca oob_tcp_if_include lo
    -x OPENBLAS_NUM_THREADS=1)
tiny=(--width 8 --width-multipliers 1,2 --groups 4 --batch 2 --validate-every 1000 --validation-count 4)
script_start=$(date +%s.%N)

if ! ensure_h5py; then
    echo "fault-tests: h5py is not installable; the HDF5 checks cannot run"
    echo "0 passed, 1 failed"
    exit 1
fi

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# error_lines FILE: how many error messages FILE holds ("error: ", "Error: ", "rank N: error: ")
error_lines() { grep -oE '(error|Error): ' "$1" | wc -l; }   # counts interleaved messages too
has_crash() { grep -qiE 'fatal error|stack dump|backtrac|program crashed|signal [0-9]+' "$1"; }
# clean_error FILE CODE [EXPECTED]: empty when CODE is EXPECTED (default: one of the error
# statuses 1, 64, 65, 66, 73 of `mstrain-dist train --help`) and FILE has an error line and no
# crash trace
clean_error() {
    local file=$1 code=$2 expected=${3:-"1 64 65 66 73"}
    if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then echo "hung (timeout)"
    elif [ "$code" -eq 0 ]; then echo "exit 0, expected an error"
    elif ! [[ " $expected " == *" $code "* ]]; then echo "exit $code (expected $expected)"
    elif has_crash "$file"; then echo "crash trace in the output"
    elif [ "$(error_lines "$file")" -eq 0 ]; then echo "no error: line"
    fi
}
h5_opens() { python3 -c 'import h5py, sys; h5py.File(sys.argv[1], "r").close()' "$1" 2>/dev/null; }
finite_weights() {
    python3 - "$1" <<'EOF'
import sys, h5py, numpy as np
bad = []
with h5py.File(sys.argv[1], "r") as f:
    f.visititems(lambda n, o: bad.append(n) if isinstance(o, h5py.Dataset) and o.dtype.kind == "f"
                 and not np.all(np.isfinite(o[()])) else None)
sys.exit(1 if bad else 0)
EOF
}

echo "fault-tests: tiny data in a temporary folder"
"$bin" data synth --size 16 --train-count 16 --valid-count 4 --output "$work/data.h5" >/dev/null 2>&1 \
    || { echo "fault-tests: data synth failed"; exit 1; }

# ---------------------------------------------------------------------------------------------
echo "== 1. kill -9 of one rank under mpirun, then --resume auto"
ms=(--data "$work/data.h5" --mode multiscale --levels 2 "${tiny[@]}" --iterations 200 --checkpoint-every 10)
for ranks in 2 4; do
    t=$(now)
    timeout 120 "${mpi[@]}" -n "$ranks" "$bin" train "${ms[@]}" --run-directory "$work/ref-$ranks" >"$work/ref.out" 2>&1
    code=$?
    ref_s=$(since "$t")
    [ "$code" -eq 0 ] || { fail "case 1, $ranks ranks: the uninterrupted run failed (exit $code)" "$work/ref.out"; continue; }
    run="$work/kill-$ranks"
    timeout 120 "${mpi[@]}" -n "$ranks" "$bin" train "${ms[@]}" --run-directory "$run" >"$work/kill.out" 2>&1 &
    wrapper=$!
    for _ in $(seq 200); do [ -s "$run/latest" ] && break; sleep 0.05; done
    launcher=$(pgrep -P "$wrapper" -x mpirun)
    victim=""
    for pid in $(pgrep -P "$launcher"); do   # the last rank
        [ "$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')" = "$((ranks - 1))" ] && victim=$pid
    done
    if [ ! -s "$run/latest" ] || [ -z "$victim" ]; then
        kill -9 "$wrapper" 2>/dev/null; wait "$wrapper"
        fail "case 1, $ranks ranks: no checkpoint or no rank process found" "$work/kill.out"; continue
    fi
    at=$(cat "$run/latest")
    t=$(now)
    kill -9 "$victim"
    wait "$wrapper"
    code=$?
    end_s=$(since "$t")
    if [ "$code" -ne 0 ] && [ "$code" -ne 124 ] && awk -v s="$end_s" 'BEGIN { exit !(s <= 30) }'; then
        pass "case 1, $ranks ranks: kill -9 of rank $((ranks - 1)) after $at ends the job in ${end_s} s (exit $code)"
    else
        fail "case 1, $ranks ranks: after kill -9 of rank $((ranks - 1)): exit $code in ${end_s} s" "$work/kill.out"
    fi
    t=$(now)
    timeout 120 "${mpi[@]}" -n "$ranks" "$bin" train --config "$run/config.yaml" --resume auto >"$work/resume.out" 2>&1
    code=$?
    res_s=$(since "$t")
    if [ "$code" -eq 0 ] && python3 tools/compare_weights.py "$run/weights.h5" "$work/ref-$ranks/weights.h5" >"$work/cmp.out" 2>&1; then
        pass "case 1, $ranks ranks: --resume auto finishes in ${res_s} s (uninterrupted ${ref_s} s), weights equal ($(cat "$work/cmp.out"))"
    else
        fail "case 1, $ranks ranks: resume exit $code, or weights differ" "$work/resume.out" "$work/cmp.out"
    fi
done

# ---------------------------------------------------------------------------------------------
echo "== 2. kill -9 of a single-process run during checkpoint writes"
trials=${FAULT_KILL_TRIALS:-20}
t=$(now)
problems=0 with_latest=0 leftovers=0 steps=""
for i in $(seq "$trials"); do
    run="$work/ckpt-$i"
    timeout 60 "$bin" train --data "$work/data.h5" --mode single --levels 2 "${tiny[@]}" --iterations 300 \
        --checkpoint-every 1 --run-directory "$run" >"$work/ckpt.out" 2>&1 &
    pid=$!
    # Once the run has started (config.yaml written), delays of 0.00 ... 1.52 s plus a per-trial
    # jitter of up to 30 ms.
    for _ in $(seq 400); do [ -s "$run/config.yaml" ] && break; sleep 0.05; done
    sleep "$(awk -v i="$i" -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.08 * (i - 1) + (r % 30) / 1000 }')"
    child=$(pgrep -P "$pid")   # the mstrain-dist process under timeout
    kill -9 ${child:-$pid} 2>/dev/null
    wait "$pid" 2>/dev/null
    verdict=""
    for f in "$run"/checkpoint-*.h5; do
        [ -e "$f" ] || continue
        h5_opens "$f" || verdict="${verdict}$(basename "$f") does not open; "
    done
    if [ -f "$run/latest" ]; then
        with_latest=$((with_latest + 1))
        named=$(cat "$run/latest")
        step=${named#checkpoint-}; step=${step%.h5}
        steps="$steps $((10#${step:-0}))"
        { [ -f "$run/$named" ] && h5_opens "$run/$named"; } || verdict="${verdict}latest names '$named', which is missing or unreadable; "
    fi
    leftovers=$((leftovers + $(find "$run" -name '.checkpoint-*' | wc -l)))
    if ! timeout 60 "$bin" train --config "$run/config.yaml" --resume auto --checkpoint-every 100 >"$work/ckpt-resume.out" 2>&1; then
        verdict="${verdict}--resume auto failed; "
    elif ! grep -q '"steps" *: *300,' "$run/summary.json" 2>/dev/null; then
        verdict="${verdict}the resumed run did not reach step 300; "
    elif [ -n "$(find "$run" -name '.checkpoint-*')" ]; then
        verdict="${verdict}the resumed run's checkpoints left the killed write's partial file; "
    fi
    if [ -n "$verdict" ]; then
        problems=$((problems + 1))
        echo "      trial $i: $verdict"
        tail -n 3 "$work/ckpt-resume.out" | sed 's/^/      | /'
    fi
    rm -rf "$run"
done
if [ "$problems" -eq 0 ]; then
    pass "case 2: $trials kill -9 trials ($with_latest with a checkpoint, at steps${steps:- none}; $leftovers partial temporary files left): every checkpoint opens, latest is complete, --resume auto finishes and its checkpoints remove the partial files ($(since "$t") s)"
else
    fail "case 2: $problems of $trials kill -9 trials left a damaged checkpoint state"
fi

# ---------------------------------------------------------------------------------------------
echo "== 3. corrupted, empty and wrong-type input files"
"$bin" train --data "$work/data.h5" --mode single --levels 2 "${tiny[@]}" --iterations 4 --checkpoint-every 2 \
    --run-directory "$work/good" >/dev/null 2>&1 || fail "case 3: the run that makes a valid checkpoint failed"
make_bad() {  # make_bad KIND SOURCE TARGET
    case $1 in
        truncated) head -c "$(( $(stat -c %s "$2") / 2 ))" "$2" >"$3" ;;
        bit-flipped) cp "$2" "$3"
            python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); m = len(b) // 2
for i in range(m - 8, m + 8): b[i] ^= 0xFF
open(p, "wb").write(b)' "$3" ;;
        empty) : >"$3" ;;
        text) printf 'images: 1 2 3\n' >"$3" ;;
        directory) mkdir -p "$3" ;;
    esac
}
# train_on RANKS DATA RUN_DIR: a 2-step run on DATA with RANKS ranks (1: no mpirun), bounded,
# its output in $work/bad.out; sets t (its start) and code (its exit status).
train_on() {
    local launch=(timeout 60)
    [ "$1" -gt 1 ] && launch+=("${mpi[@]}" -n "$1")
    t=$(now)
    "${launch[@]}" "$bin" train --data "$2" --mode single --levels 2 "${tiny[@]}" --iterations 2 --run-directory "$3" \
        >"$work/bad.out" 2>&1
    code=$?
}
for kind in truncated bit-flipped empty text directory; do
    make_bad "$kind" "$work/data.h5" "$work/data-$kind.h5"
    make_bad "$kind" "$work/good/checkpoint-00000002.h5" "$work/ckpt-$kind.h5"
    for ranks in 1 2; do
        launch=(timeout 60); [ "$ranks" -gt 1 ] && launch+=("${mpi[@]}" -n "$ranks")
        train_on "$ranks" "$work/data-$kind.h5" "$work/bad-data-$kind-$ranks"
        verdict=$(clean_error "$work/bad.out" "$code" 65)
        if [ -z "$verdict" ]; then
            pass "case 3: $kind dataset, $ranks rank(s): exit $code, clean error ($(since "$t") s): $(grep -m1 -oE '(error|Error): .{0,70}' "$work/bad.out")"
        elif [ "$kind" = bit-flipped ] && [ "$code" -eq 0 ]; then
            # The middle of the file is pixel data: flipped pixels are valid uint8 values.
            pass "case 3: $kind dataset, $ranks rank(s): trains (the flipped bytes are pixels, exit 0, $(since "$t") s)"
        else
            fail "case 3: $kind dataset, $ranks rank(s): $verdict" "$work/bad.out"
        fi
        t=$(now)
        "${launch[@]}" "$bin" train --config "$work/good/config.yaml" --run-directory "$work/bad-ckpt-$kind-$ranks" \
            --resume "$work/ckpt-$kind.h5" >"$work/bad.out" 2>&1
        code=$?
        verdict=$(clean_error "$work/bad.out" "$code" "$([ "$kind" = directory ] && echo 66 || echo 65)")
        if [ -z "$verdict" ]; then
            pass "case 3: $kind checkpoint, $ranks rank(s): exit $code, clean error ($(since "$t") s): $(grep -m1 -oE '(error|Error): .{0,70}' "$work/bad.out")"
        else
            fail "case 3: $kind checkpoint, $ranks rank(s): $verdict" "$work/bad.out"
        fi
    done
done
# --resume auto with only a damaged checkpoint in the run directory: refused, no fresh start.
mkdir -p "$work/auto-bad"
cp "$work/ckpt-bit-flipped.h5" "$work/auto-bad/checkpoint-00000002.h5"
echo "checkpoint-00000002.h5" >"$work/auto-bad/latest"
timeout 60 "$bin" train --config "$work/good/config.yaml" --run-directory "$work/auto-bad" --resume auto >"$work/bad.out" 2>&1
code=$?
verdict=$(clean_error "$work/bad.out" "$code" 65)
[ -z "$verdict" ] && pass "case 3: --resume auto with only a damaged checkpoint: exit $code, clean error" \
    || fail "case 3: --resume auto with only a damaged checkpoint: $verdict" "$work/bad.out"
# Wrong element type, wrong shapes, missing or empty splits (written with h5py): refused before
# MPI starts, the error printed once.
python3 - "$work" <<'EOF'
import sys, h5py, numpy as np
def write(name, train):
    with h5py.File(f"{sys.argv[1]}/{name}.h5", "w") as f:
        if train is not None:
            f.create_dataset("train/images", data=train)
        f.create_dataset("valid/images", data=np.zeros((4, 1, 16, 16), np.uint8))
write("int16-images", np.zeros((16, 1, 16, 16), np.int16))
write("3-axis-images", np.zeros((16, 16, 16), np.uint8))
write("2-channel-images", np.zeros((16, 2, 16, 16), np.uint8))
write("15x15-images", np.zeros((16, 1, 15, 15), np.uint8))
write("no-train-split", None)
write("empty-train-split", np.zeros((0, 1, 16, 16), np.uint8))
EOF
for kind in int16-images 3-axis-images 2-channel-images 15x15-images no-train-split empty-train-split; do
    for ranks in 1 2; do
        train_on "$ranks" "$work/$kind.h5" "$work/bad-shape-$kind-$ranks"
        verdict=$(clean_error "$work/bad.out" "$code" 65)
        [ -z "$verdict" ] && [ "$(error_lines "$work/bad.out")" -ne 1 ] && verdict="the error is printed $(error_lines "$work/bad.out") times"
        if [ -z "$verdict" ]; then
            pass "case 3: dataset with $kind, $ranks rank(s): exit $code, printed once ($(since "$t") s): $(grep -m1 -oE '(error|Error): .{0,70}' "$work/bad.out")"
        else
            fail "case 3: dataset with $kind, $ranks rank(s): $verdict" "$work/bad.out"
        fi
    done
done
# Unreadable files and an unwritable run directory, for an unprivileged user (as root every
# file is readable, so these runs drop to user nobody with setpriv).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    perm="$work/perm"
    mkdir -p "$perm/runs" "$perm/locked"
    chmod 711 "$work"   # nobody may enter $work/perm by name, not list $work
    chmod 755 "$perm" "$perm/locked"
    chmod 777 "$perm/runs"
    cp "$work/data.h5" "$perm/data.h5"
    cp "$work/data.h5" "$perm/unreadable-data.h5"
    cp "$work/good/checkpoint-00000002.h5" "$perm/unreadable-checkpoint.h5"
    cp "$work/good/config.yaml" "$perm/config.yaml"
    chmod 644 "$perm/data.h5" "$perm/config.yaml"
    chmod 000 "$perm/unreadable-data.h5" "$perm/unreadable-checkpoint.h5"
    permission_runs=(
        "unreadable dataset|--data $perm/unreadable-data.h5 --run-directory $perm/runs/a|permission denied|66"
        "unreadable checkpoint|--config $perm/config.yaml --data $perm/data.h5 --run-directory $perm/runs/b --resume $perm/unreadable-checkpoint.h5|permissions|66"
        "run directory in a read-only folder|--data $perm/data.h5 --run-directory $perm/locked/run|cannot write|73")
    for entry in "${permission_runs[@]}"; do
        IFS='|' read -r label options expected status <<<"$entry"
        read -r -a extra <<<"$options"
        t=$(now)
        setpriv --reuid=65534 --regid=65534 --clear-groups timeout 60 "$bin" train --mode single --levels 2 "${tiny[@]}" \
            --iterations 2 "${extra[@]}" >"$work/perm.out" 2>&1
        code=$?
        verdict=$(clean_error "$work/perm.out" "$code" "$status")
        [ -z "$verdict" ] && ! grep -q "$expected" "$work/perm.out" && verdict="the message does not say '$expected'"
        if [ -z "$verdict" ]; then
            pass "case 3: $label (user nobody): exit $code ($(since "$t") s): $(grep -m1 -oE '(error|Error): .{0,90}' "$work/perm.out" | sed "s|$work/||g")"
        else
            fail "case 3: $label (user nobody): $verdict" "$work/perm.out"
        fi
    done
    chmod 700 "$work"
else
    echo "      (unreadable permissions are not tested: they need root and setpriv to run as another user)"
fi

# ---------------------------------------------------------------------------------------------
echo "== 4. bad options"
bad_options=("--levels 0" "--batch 0" "--iterations=-1" "--learning-rate 0" "--dropout 1.5" "--micro-batch 0"
    "--checkpoint-every=-1" "--mode foo" "--task foo" "--mode multiscale --levels 6" "--mode single --stage-iterations 1,2"
    "--data $work/missing.h5")
for opt in "${bad_options[@]}"; do
    label=${opt//$work\//}
    read -r -a extra <<<"$opt"
    t=$(now)
    timeout 30 "$bin" train --data "$work/data.h5" "${tiny[@]}" --iterations 2 --run-directory "$work/bad-opt" "${extra[@]}" \
        >"$work/opt1.out" 2>&1
    code1=$?
    s1=$(since "$t")
    t=$(now)
    timeout 60 "${mpi[@]}" -n 2 "$bin" train --data "$work/data.h5" "${tiny[@]}" --iterations 2 --run-directory "$work/bad-opt" \
        "${extra[@]}" >"$work/opt2.out" 2>&1
    code2=$?
    s2=$(since "$t")
    count=$(error_lines "$work/opt2.out")
    status=64   # invalid options; a missing file (66) or options the data cannot take (65) are not
    [[ "$opt" == --data* ]] && status=66
    [[ "$opt" == "--mode multiscale --levels 6" ]] && status=65
    verdict=$(clean_error "$work/opt1.out" "$code1" $status)
    [ -z "$verdict" ] && verdict=$(clean_error "$work/opt2.out" "$code2" $status | sed 's/^/2 ranks: /')
    [ -z "$verdict" ] && grep -q MPI_ABORT "$work/opt2.out" && verdict="2 ranks: reported after MPI start-up (MPI_ABORT)"
    # A rank that prints after another has failed may be ended by mpirun first, so a message
    # printed by every rank shows up twice in most runs, not in all.
    [ -z "$verdict" ] && [ "$count" -ne 1 ] && verdict="2 ranks: the error is printed $count times"
    if [ -z "$verdict" ]; then
        pass "case 4: $label: exit $code1 / $code2 on 2 ranks (${s1} s / ${s2} s), printed once: $(grep -m1 -oE '(error|Error): .{0,60}' "$work/opt1.out")"
    else
        fail "case 4: $label: exit $code1 / $code2 on 2 ranks: $verdict" "$work/opt2.out"
    fi
done

# ---------------------------------------------------------------------------------------------
echo "== 5. non-finite values"
python3 - "$work/data.h5" "$work/nan.h5" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as src, h5py.File(sys.argv[2], "w") as dst:
    for k, v in src.attrs.items():
        dst.attrs[k] = v
    dst.attrs["value_range"] = "0..1"
    for split in ("train", "valid"):
        x = src[split]["images"][()].astype(np.float32) / 255
        if split == "train":
            x[:, :, 5, 7] = np.nan   # one NaN pixel in every training image
        dst.create_group(split).create_dataset("images", data=x)
EOF
nonfinite_case() {  # nonfinite_case NAME DATA EXTRA...
    local name=$1 data=$2; shift 2
    local t code skipped
    t=$(now)
    timeout 60 "$bin" train --data "$data" --mode multiscale --levels 2 "${tiny[@]}" --iterations 6 --on-non-finite skip \
        --run-directory "$work/nf-skip-$name" "$@" >"$work/nf.out" 2>&1
    code=$?
    skipped=$(grep -c '"skipped" *: *true\|"skipped":true' "$work/nf-skip-$name/log.jsonl" 2>/dev/null)
    if [ "$code" -eq 0 ] && [ "${skipped:-0}" -gt 0 ] && finite_weights "$work/nf-skip-$name/weights.h5"; then
        pass "case 5: $name, skip: finishes, $skipped of 6 steps logged as skipped, final weights finite ($(since "$t") s)"
    else
        fail "case 5: $name, skip: exit $code, ${skipped:-0} skipped steps logged, or non-finite weights" "$work/nf.out"
    fi
    for ranks in 1 2; do
        launch=(timeout 60); [ "$ranks" -gt 1 ] && launch+=("${mpi[@]}" -n "$ranks")
        t=$(now)
        "${launch[@]}" "$bin" train --data "$data" --mode multiscale --levels 2 "${tiny[@]}" --iterations 6 --on-non-finite stop \
            --run-directory "$work/nf-stop-$name-$ranks" "$@" >"$work/nf.out" 2>&1
        code=$?
        local verdict
        verdict=$(clean_error "$work/nf.out" "$code" 1)
        [ -z "$verdict" ] && [ "$(error_lines "$work/nf.out")" -ne 1 ] && verdict="$(error_lines "$work/nf.out") error lines, expected 1"
        if [ -z "$verdict" ]; then
            pass "case 5: $name, stop, $ranks rank(s): exit 1 ($(since "$t") s): $(grep -m1 -oE '(error|Error): .{0,70}' "$work/nf.out")"
        else
            fail "case 5: $name, stop, $ranks rank(s): $verdict" "$work/nf.out"
        fi
    done
}
nonfinite_case "NaN pixels in the dataset" "$work/nan.h5"
nonfinite_case "learning rate 1e30" "$work/data.h5" --learning-rate 1e30 --optimizer sgd
# One NaN pixel in training image 3 only: with --batch 2 on 2 ranks each rank takes one sample
# of a step, so only the rank that draws image 3 sees the NaN. Every rank must skip (or stop
# at) the same step as one process does, and the ranks' parameters stay identical.
python3 - "$work/data.h5" "$work/nan-one.h5" 3 <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as src, h5py.File(sys.argv[2], "w") as dst:
    for k, v in src.attrs.items():
        dst.attrs[k] = v
    dst.attrs["value_range"] = "0..1"
    for split in ("train", "valid"):
        x = src[split]["images"][()].astype(np.float32) / 255
        if split == "train":
            x[int(sys.argv[3]), :, 5, 7] = np.nan
        dst.create_group(split).create_dataset("images", data=x)
EOF
skipped_steps() { python3 -c 'import json, sys; print(*[r["step"] for r in map(json.loads, open(sys.argv[1])) if r.get("skipped")])' "$1" 2>/dev/null; }
one_rank=(--data "$work/nan-one.h5" --mode single --levels 1 "${tiny[@]}" --iterations 20)
t=$(now)
timeout 60 "$bin" train "${one_rank[@]}" --on-non-finite skip --run-directory "$work/nan-one-1" >"$work/nf.out" 2>&1
code1=$?
timeout 60 "${mpi[@]}" -n 2 "$bin" train "${one_rank[@]}" --on-non-finite skip --check-replicas --run-directory "$work/nan-one-2" \
    >"$work/nf2.out" 2>&1
code2=$?
steps1=$(skipped_steps "$work/nan-one-1/log.jsonl") steps2=$(skipped_steps "$work/nan-one-2/log.jsonl")
if [ "$code1" -eq 0 ] && [ "$code2" -eq 0 ] && [ -n "$steps1" ] && [ "$steps1" = "$steps2" ] && finite_weights "$work/nan-one-2/weights.h5" \
    && python3 tools/compare_weights.py "$work/nan-one-1/weights.h5" "$work/nan-one-2/weights.h5" >"$work/cmp.out" 2>&1; then
    pass "case 5: NaN in one image, seen by one of 2 ranks, skip: both ranks skip step(s) $steps2 as one process does; replicas identical (--check-replicas), weights finite and equal to one process's ($(cat "$work/cmp.out"); $(since "$t") s)"
else
    fail "case 5: NaN in one image on one of 2 ranks, skip: exit $code1 / $code2, skipped steps '$steps1' (1 rank) / '$steps2' (2 ranks)" "$work/nf2.out" "$work/cmp.out"
fi
t=$(now)
timeout 60 "${mpi[@]}" -n 2 "$bin" train "${one_rank[@]}" --on-non-finite stop --run-directory "$work/nan-one-stop" >"$work/nf.out" 2>&1
code=$?
first=${steps1%% *}
if [ "$code" -eq 1 ] && [ "$(error_lines "$work/nf.out")" -eq 1 ] && grep -q "error: step ${first:-none}:" "$work/nf.out" && ! has_crash "$work/nf.out"; then
    pass "case 5: NaN in one image, seen by one of 2 ranks, stop: exit 1 at step $first on every rank, printed once ($(since "$t") s)"
else
    fail "case 5: NaN in one image on one of 2 ranks, stop: exit $code, expected one error at step ${first:-?}" "$work/nf.out"
fi

# ---------------------------------------------------------------------------------------------
echo "== 6. unwritable or full run directory"
printf 'a file\n' >"$work/plain-file"
t=$(now)
timeout 60 "$bin" train --data "$work/data.h5" "${tiny[@]}" --iterations 2 --run-directory "$work/plain-file/run" >"$work/wr.out" 2>&1
code=$?
verdict=$(clean_error "$work/wr.out" "$code" 73)
[ -z "$verdict" ] && pass "case 6: run directory under a plain file: exit $code, clean error ($(since "$t") s): $(grep -m1 -oE '(error|Error): .{0,70}' "$work/wr.out")" \
    || fail "case 6: run directory under a plain file: $verdict" "$work/wr.out"
mkdir -p "$work/full"
ckpt_bytes=$(stat -c %s "$work/good/checkpoint-00000002.h5")
if mount -t tmpfs -o size=$(( (ckpt_bytes * 5 / 2) / 1024 ))k tmpfs "$work/full" 2>/dev/null; then
    mnt="$work/full"
    t=$(now)
    timeout 60 "$bin" train --data "$work/data.h5" --mode single --levels 2 "${tiny[@]}" --iterations 10 --checkpoint-every 2 \
        --run-directory "$work/full/run" >"$work/full.out" 2>&1
    code=$?
    verdict=$(clean_error "$work/full.out" "$code" 73)
    named=$(cat "$work/full/run/latest" 2>/dev/null)
    if [ -z "$verdict" ]; then
        if [ -n "$named" ] && h5_opens "$work/full/run/$named"; then
            mkdir -p "$work/from-full"
            cp "$work/full/run/$named" "$work/from-full/"
            if timeout 60 "$bin" train --config "$work/full/run/config.yaml" --run-directory "$work/from-full" --resume auto >"$work/ff.out" 2>&1; then
                pass "case 6: file system full at a checkpoint: exit $code, clean error ($(since "$t") s); latest ($named) intact and resumes: $(grep -m1 -oE '(error|Error): .{0,60}' "$work/full.out")"
            else
                fail "case 6: file system full: the previous checkpoint $named does not resume" "$work/ff.out"
            fi
        else
            fail "case 6: file system full: latest ('$named') missing or unreadable" "$work/full.out"
        fi
    else
        fail "case 6: file system full at a checkpoint: $verdict" "$work/full.out"
    fi
    umount "$work/full" && mnt=""
else
    echo "      (a full file system is not tested: mounting a small tmpfs is not permitted here)"
fi

# ---------------------------------------------------------------------------------------------
echo "== 9. fuzzing: mutated dataset, weights and checkpoint files"
t=$(now)
cases=${FAULT_FUZZ_CASES:-1200}   # 2/3 data info, 1/12 training on a dataset, 1/8 weights, 1/8 checkpoints
if python3 tools/fuzz_files.py "$bin" "$work/data.h5" "$work/good/weights.h5" "$work/good/checkpoint-00000002.h5" \
    "$work/good/config.yaml" "$work/fuzz" --seed "${FAULT_FUZZ_SEED:-1}" --dataset-cases $((cases * 2 / 3)) \
    --training-cases $((cases / 12)) --weights-cases $((cases / 8)) --checkpoint-cases $((cases / 8)) >"$work/fuzz.out" 2>&1; then
    pass "case 9: fuzzing, no crash or hang ($(since "$t") s): $(tail -n 1 "$work/fuzz.out")"
else
    fail "case 9: fuzzing found crashes or hangs ($(since "$t") s)"
    grep ' case [0-9]*: ' "$work/fuzz.out" | sed 's/^/      /'   # the full output is in tools/fuzz_files.py --case
fi
grep '^fuzz [a-z]*:' "$work/fuzz.out" | sed 's/^/      /'

echo "fault-tests: $(since "$script_start") s in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# End-to-end checks of the mstrain-dist command on tiny data: dataset tools, a short training
# run of each mode, evaluation, and clean errors for bad input. Uses the release build.
# Usage: launch/cli-tests.sh   (after `swift build -c release`)
set -uo pipefail
cd "$(dirname "$0")/.."
source launch/lib.sh
bin=$(mstrain_binary cli-tests) || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MSTRAIN_CACHE_DIR="$work/cache" OPENBLAS_NUM_THREADS=1

tiny=(--width 8 --width-multipliers 1,2 --groups 4 --batch 2 --iterations 2 --validate-every 2 --validation-count 4)
check "data synth" "$bin" data synth --output "$work/tiny.h5" --train-count 16 --valid-count 4 --size 16
check "data synth upsampled" "$bin" data synth --output "$work/up.h5" --train-count 4 --valid-count 2 --size 16 --regime upsampled
check "data info" "$bin" data info "$work/tiny.h5"
# Folder import at native resolution: PNGs of three sizes (one 16-bit) and a damaged file.
mkdir -p "$work/photos"
python3 - "$work/photos" <<'PY'
import struct, sys, zlib
def png(path, width, height, depth, grey):
    channels = 1 if grey else 3
    row = bytes(((x * 37) % 256 for x in range(width * channels * depth // 8)))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, depth, 0 if grey else 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(b"\0" + row for _ in range(height))))
                + chunk(b"IEND", b""))
png(sys.argv[1] + "/a.png", 40, 30, 8, False)
png(sys.argv[1] + "/b.png", 300, 17, 16, True)
png(sys.argv[1] + "/c.png", 24, 64, 8, True)
png(sys.argv[1] + "/d.png", 32, 32, 8, False)
open(sys.argv[1] + "/e.png", "wb").write(b"not a png")
PY
fails_cleanly "data import of a folder with a damaged file" "$bin" data import "$work/photos" --output "$work/photos.h5"
check "the failed import left no file" test ! -e "$work/photos.h5"
check "data import --skip-bad keeps native sizes" sh -c "'$bin' data import '$work/photos' --output '$work/photos.h5' --skip-bad \
    | grep -q 'images of 3 channels from 24×17 to 300×64 pixels (W×H) uint16 .*skipped 1 bad file: e.png'"
check "data info shows the size range" sh -c "'$bin' data info '$work/photos.h5' | grep -q '^train  *3 images of 3 channels, uint16, H 17–64, W 24–300'"
if ensure_h5py; then
    check "h5py reads an image of the per-image layout" python3 -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); \
        assert f['train/images/0000001'].shape == (3, 17, 300) and f['train/sizes'][:].tolist() == [[30, 40], [17, 300], [64, 24]]" \
        "$work/photos.h5"
fi
for mode in single multiscale full-multiscale progressive; do
    check "train $mode" "$bin" train --data "$work/tiny.h5" --mode "$mode" --levels 2 "${tiny[@]}" --run-directory "$work/run-$mode"
    check "train $mode wrote its run directory" test -s "$work/run-$mode/summary.json" -a -s "$work/run-$mode/log.jsonl" \
        -a -s "$work/run-$mode/weights.h5" -a -s "$work/run-$mode/config.yaml"
done
check "train from a config file" "$bin" train --config "$work/run-single/config.yaml" --run-directory "$work/run-config"
check "train --help shows the option groups" sh -c "'$bin' train --help >'$work/help.txt' && for heading in 'DATA AND TASK' \
    NETWORK SCHEDULE OPTIMIZER 'RUN AND CHECKPOINTS' DISTRIBUTION; do grep -qx \"\$heading:\" '$work/help.txt' || exit 1; done"
check "task options and renamed options reach config.yaml" "$bin" train --data "$work/tiny.h5" --task inpaint --mode multiscale \
    --levels 2 "${tiny[@]}" --inpaint-boxes 2 --inpaint-max-fraction 0.75 --level-batches adaptive --on-non-finite stop \
    --run-directory "$work/run-inpaint"
check "config.yaml holds them" sh -c "grep -qx '  inpaintBoxes: 2' '$work/run-inpaint/config.yaml' &&
    grep -qx '  inpaintMaxFraction: 7.5e-1' '$work/run-inpaint/config.yaml' &&
    grep -qx 'adaptiveLevelBatches: true' '$work/run-inpaint/config.yaml' &&
    grep -qx 'stopOnNonFinite: true' '$work/run-inpaint/config.yaml'"
check "options override the config file, nested task options key by key" "$bin" train \
    --config "$work/run-inpaint/config.yaml" --inpaint-boxes 3 --on-non-finite skip --run-directory "$work/run-override"
check "config.yaml of the override" sh -c "grep -qx '  inpaintBoxes: 3' '$work/run-override/config.yaml' &&
    grep -qx '  inpaintMaxFraction: 7.5e-1' '$work/run-override/config.yaml' &&
    grep -qx 'stopOnNonFinite: false' '$work/run-override/config.yaml'"
check "train with checkpoints" "$bin" train --data "$work/tiny.h5" --mode multiscale --levels 2 "${tiny[@]}" --iterations 4 \
    --checkpoint-every 2 --run-directory "$work/run-ckpt"
check "latest names the final checkpoint" grep -qx "checkpoint-00000004.h5" "$work/run-ckpt/latest"
check "resume auto of a finished run" "$bin" train --config "$work/run-ckpt/config.yaml" --resume auto
check "resume from an earlier checkpoint" "$bin" train --config "$work/run-ckpt/config.yaml" \
    --resume "$work/run-ckpt/checkpoint-00000002.h5"
if ensure_h5py; then
    check "h5py reads the checkpoint layout" python3 tools/check_checkpoint.py "$work/run-ckpt/checkpoint-00000004.h5" \
        unet.input.weight unet.down.0.res.conv1.weight unet.output.conv.weight
else
    failed=$((failed + 1)); echo "FAIL h5py is not installable: the checkpoint layout was not checked"
fi
# Resume on another rank count: 2 ranks with checkpoints, then resume the middle checkpoint on
# 1 rank; the result agrees with the uninterrupted 2-rank run to 1e-4.
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader --mca oob_tcp_if_include lo -x OPENBLAS_NUM_THREADS=1)
check "2-rank run with checkpoints" "${mpi[@]}" -n 2 "$bin" train --data "$work/tiny.h5" --mode multiscale --levels 2 "${tiny[@]}" \
    --iterations 6 --checkpoint-every 3 --run-directory "$work/run-2ranks"
mkdir -p "$work/run-1rank"
cp "$work/run-2ranks/checkpoint-00000003.h5" "$work/run-1rank/"
check "resume the 2-rank checkpoint on 1 rank" "$bin" train --config "$work/run-2ranks/config.yaml" \
    --run-directory "$work/run-1rank" --resume auto
if ensure_h5py; then
    check "1-rank resume equals the 2-rank run (1e-4)" python3 tools/compare_weights.py \
        "$work/run-1rank/weights.h5" "$work/run-2ranks/weights.h5"
fi
check "dry run prints the plan" sh -c "'$bin' train --data '$work/tiny.h5' --levels 2 --dry-run | grep -q 'imbalance'"
check "2-rank dry run prints the spatial groups and the tiled terms" sh -c "'$bin' data synth --output '$work/large.h5' \
    --train-count 4 --valid-count 2 --size 64 >/dev/null && ${mpi[*]} -n 2 '$bin' train --data '$work/large.h5' --mode multiscale \
    --levels 2 --spatial-shards 2 --dry-run | grep -q 'tiled terms (every rank of a group on a strip of each image): 0'"
check "mesh-free filters wider than a strip (6σ = 1.2 image heights) train in a spatial group of 2" ${mpi[*]} -n 2 "$bin" train \
    --data "$work/large.h5" --mode single --levels 1 --batch 2 --iterations 2 --width 8 --conv mfc --mfc-sigma 0.2 \
    --spatial-shards 2 --validation-count 1 --run-directory "$work/run-mfc-wide"
check "a step over the memory budget is refused before training, naming the option" sh -c "'$bin' train --data '$work/tiny.h5' \
    ${tiny[*]} --memory-budget-mb 1 --run-directory '$work/run-budget' 2>'$work/err'; [ \$? -ne 0 ] && [ ! -e '$work/run-budget' ] \
    && grep -q '^error: a training step needs about .* per rank .* raise --memory-budget-mb' '$work/err'"
check "dry run prints the predicted memory per rank" sh -c "'$bin' train --data '$work/tiny.h5' --levels 2 --dry-run \
    | grep -q '^predicted peak memory per rank .* budget '"
check "diagnose levels" sh -c "'$bin' diagnose levels --data '$work/tiny.h5' --levels 2 --samples 3 ${tiny[*]} | grep -q 'predicted fastest'"
check "bench kernels prints the selected layer with the machine's limits" sh -c "'$bin' bench kernels --tables conv \
    --layers 'enc2 skip' --batch 1 --size 32 --repeats 1 >'$work/kernels.txt' && grep -q 'sgemm 1024³: .* memory read: ' \
    '$work/kernels.txt' && [ \$(grep -c '%)' '$work/kernels.txt') -eq 1 ] && grep -q '^enc2 skip 1×1 .*%  *G G G · 2\$' '$work/kernels.txt'"
fails_cleanly "bench kernels with a layer the UNet lacks" "$bin" bench kernels --tables conv --layers attention
check "eval" "$bin" eval "$work/run-full-multiscale/weights.h5" --data "$work/tiny.h5" --output "$work/restored.h5"
check "eval wrote restored samples" test -s "$work/restored.h5"

fails_cleanly "missing data file" "$bin" train --data "$work/missing.h5" "${tiny[@]}" --run-directory "$work/bad"
printf 'not hdf5' >"$work/junk.h5"
fails_cleanly "not an HDF5 file" "$bin" train --data "$work/junk.h5" "${tiny[@]}" --run-directory "$work/bad"
fails_cleanly "too many levels for the images" "$bin" train --data "$work/tiny.h5" --mode multiscale --levels 5 "${tiny[@]}" --run-directory "$work/bad"
fails_cleanly "levels out of range" "$bin" train --data "$work/tiny.h5" --levels 0 --run-directory "$work/bad"
fails_cleanly "unknown network" "$bin" train --network vgg
check "a bad task option exits 64 naming the option" sh -c "'$bin' train --task superres --network espcn \
    --superres-factor 3 --dry-run 2>'$work/err'; [ \$? -eq 64 ] && grep -q '^error: --superres-factor must be a power of two' '$work/err'"
fails_cleanly "unknown config key" sh -c "printf 'bogus: 1\n' >'$work/bad.yaml'; '$bin' train --config '$work/bad.yaml'"
fails_cleanly "eval of a non-weights file" "$bin" eval "$work/tiny.h5"
head -c 3000 "$work/run-ckpt/checkpoint-00000004.h5" >"$work/truncated.h5"
fails_cleanly "resume from a truncated checkpoint" "$bin" train --config "$work/run-ckpt/config.yaml" --resume "$work/truncated.h5"
fails_cleanly "resume with another width" "$bin" train --config "$work/run-ckpt/config.yaml" --width 4 --resume auto

check "train with mesh-free convolutions" "$bin" train --data "$work/tiny.h5" --mode single --conv mfc "${tiny[@]}" \
    --run-directory "$work/run-mfc"
check "diagnose mesh prints the table and writes the plot" sh -c "'$bin' diagnose mesh --meshes 8,16 --width 4 \
    --width-multipliers 1,2 --groups 2 --plot '$work/mesh.svg' | grep -q 'mfc/white-noise' && grep -q '</svg>' '$work/mesh.svg'"

# Real photographs (Debian's mate-backgrounds, installed by launch/setup.sh): four imported at a
# quarter of their size, a few steps with patches on 2 ranks in one spatial group, then a whole
# validation photograph evaluated on one process and on strips of 2 ranks: the same output.
nature=/usr/share/backgrounds/mate/nature
mkdir -p "$work/nature"
check "the photographs are installed" cp "$nature/Aqua.jpg" "$nature/Dune.jpg" "$nature/GreenMeadow.jpg" "$nature/Storm.jpg" "$work/nature/"
check "data import of real photographs (downscaled 4×)" "$bin" data import "$work/nature" --output "$work/nature.h5" \
    --downscale 4 --valid-count 1
check "train on patches of the photographs, 2 ranks in one spatial group" "${mpi[@]}" -n 2 "$bin" train --data "$work/nature.h5" \
    --patch 64 --augment --mode multiscale --levels 2 "${tiny[@]}" --iterations 3 --validate-every 3 --spatial-shards 2 \
    --run-directory "$work/run-photos"
check "eval a whole photograph on one process" "$bin" eval "$work/run-photos/weights.h5" --whole-images \
    --output "$work/whole-1.h5"
check "eval the whole photograph on strips of 2 ranks" "${mpi[@]}" -n 2 "$bin" eval "$work/run-photos/weights.h5" \
    --whole-images --output "$work/whole-2.h5"
if ensure_h5py; then
    check "sharded and unsharded whole-image evaluations agree (1e-5)" python3 tools/compare_weights.py \
        "$work/whole-2.h5" "$work/whole-1.h5" 1e-5
fi
check "restore a photograph tile by tile writes its PNG at full size" sh -c "'$bin' restore '$work/run-photos/weights.h5' \
    '$work/nature/Storm.jpg' --output-folder '$work/restored' --tile 128 --overlap 16 | grep -q 'Storm.png (1920×1280)' \
    && test -s '$work/restored/Storm.png' -a -s '$work/restored/restored.h5'"

# The quality benchmark's quick preset (about 3 minutes on 2 cores; stopped after 8): every
# mode in both regimes, a run directory each, and the table with its columns.
check "bench quality --preset quick" timeout 480 "$bin" bench quality --preset quick --threads 1 --output "$work/bench"
check "bench quality wrote the table and the run directories" sh -c "
    grep -q '| regime | mode | batch | LR | steps | wall s | CPU s | WU | fine-mesh it. | MSE | PSNR dB | SSIM | s to target | CPU s to target | WU to target | CPU s (WU) to 80 % | CPU s (WU) to 90 % | CPU s (WU) to 95 % | CPU s (WU) to 99 % |' \
        '$work/bench/table.md' &&
    [ \$(grep -c '^| \\(native\\|upsampled\\) |' '$work/bench/table.md') -eq 14 ] &&
    [ \$(grep -c '^| \\(native\\|upsampled\\) \\(80\\|90\\|95\\|99\\) % |' '$work/bench/table.md') -eq 8 ] &&
    grep -q '\"targetWorkUnits\"' '$work/bench/table.json' && grep -q '\"speedUp\"' '$work/bench/table.json' &&
    grep -q '<path class=\"series\"' '$work/bench/psnr-cpu-native.svg' '$work/bench/psnr-cpu-upsampled.svg' &&
    test -s '$work/bench/native/full-multiscale-adaptive/log.jsonl' -a -s '$work/bench/upsampled/progressive/summary.json'"
# A small sweep with a horizon (a quarter epoch), then the other mode with --reuse: the
# finished runs are read back, not trained again.
sweep=(bench quality --preset quick --regimes native --sweep --batches 4,8 --learning-rates 1e-3,2e-3 --epochs 0.25
    --threads 1 --output "$work/sweep")
check "bench quality --sweep --epochs writes a run directory per batch and learning rate" sh -c "
    '$bin' ${sweep[*]} --modes single >/dev/null &&
    test -s '$work/sweep/native/single-b4-lr1e-3/summary.json' -a -s '$work/sweep/native/single-b8-lr2e-3/summary.json' &&
    [ \$(grep -c '^| native | single | ' '$work/sweep/table.md') -eq 4 ] &&
    grep -q '^| native 99 % | ' '$work/sweep/table.md'"
check "bench quality --reuse reads finished runs back and compares the new mode with them" sh -c "
    '$bin' ${sweep[*]} --modes single,progressive --reuse >'$work/reuse.out' 2>&1 &&
    grep -q 'single-b4-lr1e-3: read back' '$work/reuse.out' &&
    test -s '$work/sweep/native/progressive-b8-lr1e-3/summary.json' &&
    [ \$(grep -c '^| native | single † | ' '$work/sweep/table.md') -eq 4 ] &&
    [ \$(grep -c '^| native | progressive | 8 | ' '$work/sweep/table.md') -eq 2 ] &&
    grep -q '^| regime, target | PSNR dB | single | progressive |' '$work/sweep/table.md'"
fails_cleanly "bench quality --batches without --sweep" "$bin" bench quality --preset quick --batches 4
# Dead-leaves crops larger than the preset's 32² images come from a set of 64 + 4 images of
# twice the crop's side; the validation count and the number of validations are options.
check "bench quality cuts dead-leaves crops past the preset's size, with --validation-count and --validations" sh -c "
    '$bin' bench quality --preset quick --regimes native --patch 64 --sweep --batches 8 --learning-rates 2e-3 --epochs 0.1 \
        --validations 2 --validation-count 4 --modes single --threads 1 --output '$work/large-crops' >'$work/large-crops.out' 2>&1 &&
    grep -q '64+4 images of 128×128' '$work/large-crops.out' &&
    grep -q 'validationCount: 4' '$work/large-crops/native/single-b8-lr2e-3/config.yaml' &&
    grep -q 'patch: 64' '$work/large-crops/native/single-b8-lr2e-3/config.yaml' &&
    [ \$(grep -c '\"validation\"' '$work/large-crops/native/single-b8-lr2e-3/log.jsonl') -eq 2 ]"
fails_cleanly "bench quality --validations without --epochs" "$bin" bench quality --preset quick --validations 4
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Checks of `mstrain-dist report` in a real browser: trains tiny runs (seconds each), writes the
# report of one run and of a benchmark-style directory of runs (<regime>/<mode>/), renders both
# with Debian's headless Chromium and checks the screenshots (tools/check_screenshot.py: the page
# is drawn, and the series colours of its charts are on it), then checks clean errors for bad
# input. Installs chromium when missing (apt, non-interactive; needs root or sudo). Every
# browser call is bounded by a timeout. The last line reads "N passed, M failed".
#
# Usage: launch/report-tests.sh   (after `swift build -c release`)
#   MSTRAIN_BIN, MSTRAIN_BUILD_DIR   as for launch/cli-tests.sh
#   MSTRAIN_REPORT_SCREENSHOTS=DIR   keep the screenshots in DIR
set -uo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh chromium || { echo "report-tests: could not install chromium" >&2; exit 1; }
source launch/lib.sh
bin=$(mstrain_binary report-tests) || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MSTRAIN_CACHE_DIR="$work/cache" OPENBLAS_NUM_THREADS=1
started=$(date +%s)

# Series colours (LineChart.palette): the first, second and third series of a chart.
blue='#1f77b4' red='#d62728' green='#2ca02c'

# screenshot HTML PNG: renders HTML with headless Chromium into PNG (1400 × 2400 CSS pixels).
screenshot() {
    local browser
    browser=$(command -v chromium || command -v chromium-headless-shell) || { echo "no chromium on PATH"; return 1; }
    timeout 90 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/browser" \
        --window-size=1400,2400 --screenshot="$2" "file://$1" && test -s "$2"
}

tiny=(--width 8 --width-multipliers 1,2 --groups 4 --batch 2 --iterations 6 --validate-every 2 --validation-count 4 --levels 2)
check "data synth" "$bin" data synth --output "$work/tiny.h5" --train-count 16 --valid-count 4 --size 16
for mode in single multiscale full-multiscale; do
    check "train $mode" "$bin" train --data "$work/tiny.h5" --mode "$mode" "${tiny[@]}" --run-directory "$work/bench/denoise/$mode"
done

run="$work/bench/denoise/full-multiscale"
check "report of a run" "$bin" report "$run"
check "the run report has its charts and images inline" sh -c "
    test \$(grep -o '<svg' '$run/report.html' | wc -l) -ge 8 &&
    test \$(grep -o '<img src=\"data:image/png;base64,' '$run/report.html' | wc -l) -eq 12 &&
    grep -q 'Validation PSNR against work' '$run/report.html' && grep -q 'mode: full-multiscale' '$run/report.html' &&
    ! grep -q 'src=\"http\|href=\"http\|url(' '$run/report.html'"
check "screenshot of the run report" screenshot "$run/report.html" "$work/run.png"
# Full-Multiscale with 2 levels: stage 1 (level 1) in red, stage 2 (level 0) and the validation curve in blue.
check "the run report renders its curves" python3 tools/check_screenshot.py "$work/run.png" --colours "$blue,$red"

check "report of a benchmark directory" "$bin" report "$work/bench" --output "$work/bench.html"
check "the benchmark report overlays the three runs" sh -c "
    grep -q 'Validation PSNR, regime denoise' '$work/bench.html' &&
    grep -q 'data-series=\"single\"' '$work/bench.html' && grep -q 'data-series=\"multiscale\"' '$work/bench.html' &&
    grep -q 'data-series=\"full-multiscale\"' '$work/bench.html' && grep -q 'href=\"denoise/full-multiscale/report.html\"' '$work/bench.html'"
check "screenshot of the benchmark report" screenshot "$work/bench.html" "$work/bench.png"
check "the benchmark report renders one curve per run" python3 tools/check_screenshot.py "$work/bench.png" \
    --colours "$blue,$red,$green"

# The screenshot check can fail: a page without charts does not pass it.
printf '<!DOCTYPE html><html><body><p>no charts</p></body></html>' >"$work/blank.html"
check "screenshot of a page without charts" screenshot "$work/blank.html" "$work/blank.png"
check "the screenshot check rejects it" sh -c "! python3 tools/check_screenshot.py '$work/blank.png' --colours '$blue'"

mkdir -p "$work/unfinished"
cp "$run/log.jsonl" "$run/config.yaml" "$work/unfinished/"
check "a run without weights.h5 is reported without images" sh -c "
    '$bin' report '$work/unfinished' && grep -q 'no weights.h5' '$work/unfinished/report.html' &&
    ! grep -q '<img' '$work/unfinished/report.html'"
fails_cleanly "missing directory" "$bin" report "$work/missing"
mkdir -p "$work/empty/a/b/c"
fails_cleanly "directory without runs" "$bin" report "$work/empty"
mkdir -p "$work/novalidation"
grep -v '"validation"' "$run/log.jsonl" | head -n 1 >"$work/novalidation/log.jsonl"
fails_cleanly "log without validation records" "$bin" report "$work/novalidation"
printf '{"step": 0, "trunc' >"$work/novalidation/log.jsonl"
fails_cleanly "malformed log line" "$bin" report "$work/novalidation"
fails_cleanly "unwritable output" "$bin" report "$run" --output "$work/missing/dir/report.html"

if [ -n "${MSTRAIN_REPORT_SCREENSHOTS:-}" ]; then
    mkdir -p "$MSTRAIN_REPORT_SCREENSHOTS" && cp "$work"/*.png "$MSTRAIN_REPORT_SCREENSHOTS/"
fi
echo "report-tests: $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

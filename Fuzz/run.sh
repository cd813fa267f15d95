#!/usr/bin/env bash
# Fuzz/run.sh [SECONDS]: builds the fuzz driver (libFuzzer, coverage instrumentation, AddressSanitizer)
# and fuzzes every target for SECONDS each (default 60). Exits non-zero when any target crashed, hung,
# ran out of memory or broke a property; the input that did it is kept in Fuzz/Findings/<target>/.
#
#   FUZZ_TARGETS="json signature"   only these targets (default: every target the driver lists)
#   FUZZ_SCRATCH_PATH=.build        build in that folder (default .build-fuzz, so the normal build is untouched;
#                                   CI reuses .build, whose dependencies `swift test` has just built)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
scratch="${FUZZ_SCRATCH_PATH:-.build-fuzz}"
findings=Fuzz/Findings

echo "building the fuzz driver in $scratch"
mkdir -p "$scratch"
# gold warns about every ASan symbol it cannot export; only the rest of the output is worth showing.
if ! SWITCHBOARD_FUZZ=1 swift build --scratch-path "$scratch" >"$scratch/fuzz-build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$scratch/fuzz-build.log" >&2
    echo "the fuzz build failed" >&2
    exit 1
fi
grep -v "Cannot export local symbol" "$scratch/fuzz-build.log" | tail -1
driver="$(SWITCHBOARD_FUZZ=1 swift build --scratch-path "$scratch" --show-bin-path)/switchboard-fuzz"

# libFuzzer's crash handling, not the Swift runtime's backtracer (which would hold the run up).
export SWIFT_BACKTRACE=enable=no
targets="${FUZZ_TARGETS:-$("$driver" 2>&1 | sed -n 's/.*targets: //p' || true)}"
[ -n "$targets" ] || { echo "the fuzz driver lists no targets" >&2; exit 1; }

failed=()
passed=0
printf '%-32s %10s %8s %s\n' TARGET RUNS EXEC/S RESULT
for target in $targets; do
    seeds="Fuzz/Corpus/$target"
    [ -d "$seeds" ] || { echo "$target: no seed corpus in $seeds" >&2; failed+=("$target"); continue; }
    # New inputs go to a scratch corpus; the committed seeds are only read.
    work="$scratch/fuzz-corpus/$target"
    log="$scratch/fuzz-logs/$target.log"
    mkdir -p "$work" "$(dirname "$log")" "$findings/$target"
    status=0
    "$driver" "$target" -max_total_time="$seconds" -seed=1 -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$findings/$target/" "$work" "$seeds" >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
    if [ "$status" -eq 0 ]; then
        printf '%-32s %10s %8s %s\n' "$target" "${runs:-?}" "${speed:-?}" ok
        passed=$((passed + 1))
    else
        printf '%-32s %10s %8s %s\n' "$target" "${runs:-?}" "${speed:-?}" "FAILED (exit $status), see $log"
        grep -E "BROKEN|Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY|Test unit written" "$log" | head -8 >&2 || true
        failed+=("$target")
    fi
done

[ ${#failed[@]} -eq 0 ] || echo "fuzzing found problems in: ${failed[*]} (inputs in $findings/)" >&2
echo "fuzzing: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]

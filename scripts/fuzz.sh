#!/usr/bin/env bash
# Bounded fuzzing of the parsers of untrusted input (cargo fuzz, libFuzzer): statement bodies,
# the filter language, multipart/mixed bodies, statements query strings and `more` tokens
# (targets in fuzz/fuzz_targets/, seed inputs in fuzz/seeds/). Each target runs for
# CAIRN_FUZZ_SECONDS seconds (default 30); CAIRN_FUZZ_TARGETS narrows the list. A crash, a
# panic or an input slower than 5 s fails the step and leaves the input under
# fuzz/artifacts/<target>/ (replay: cargo fuzz run <target> <file>).
#
# cargo fuzz needs a nightly compiler: the nightly toolchain when rustup has it or can install
# it, else the installed toolchain with RUSTC_BOOTSTRAP=1. cargo-fuzz is installed from
# crates.io when missing.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo/fuzz"

seconds="${CAIRN_FUZZ_SECONDS:-30}"
read -r -a targets <<<"${CAIRN_FUZZ_TARGETS:-statements filter multipart query_params more_token}"
export CARGO_INCREMENTAL=0

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1 \
    || rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    echo "fuzz: no nightly toolchain; using $(rustc --version) with RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
fi

cargo "${toolchain[@]}" fuzz build -O
failed=()
for t in "${targets[@]}"; do
    echo "fuzz: $t for ${seconds}s"
    mkdir -p "corpus/$t"
    # The first directory collects what this machine found; the seeds are only read.
    if ! cargo "${toolchain[@]}" fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        2>"corpus/$t.log"; then
        tail -n 60 "corpus/$t.log" >&2
        failed+=("$t")
    else
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "corpus/$t.log" || true
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no failure"

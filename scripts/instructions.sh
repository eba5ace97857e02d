#!/usr/bin/env bash
# Server CPU per statement in instructions (repeatable on a busy machine, unlike seconds):
#
#   scripts/instructions.sh batch|single [COUNT]
#
# Builds the release example `ingest_instructions` (crates/server/examples), starts it under
# `valgrind --tool=callgrind` with instrumentation off, turns it on once the node is up (so
# start-up is not counted), posts COUNT statements (default 2000 at batch 100, 300 single POSTs)
# and waits until ClickHouse holds them all. Prints instructions per statement and the top
# functions (inclusive and self) of callgrind_annotate. Needs a ClickHouse on
# CAIRN_TEST_CLICKHOUSE_URL (see scripts/clickhouse.sh). Output under var/instructions/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mode="${1:?batch or single}"
default_count=2000
[ "$mode" = single ] && default_count=300
count="${2:-$default_count}"
export CARGO_INCREMENTAL=0
cargo build --release -q -p cairn-server --example ingest_instructions
out="$repo/var/instructions"
mkdir -p "$out"
cg="$out/callgrind.$mode.out"
rm -f "$cg"
fifo="$out/go.$mode"
rm -f "$fifo"; mkfifo "$fifo"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$cg" \
    target/release/examples/ingest_instructions "$mode" "$count" --wait <"$fifo" \
    >"$out/$mode.log" 2>"$out/$mode.valgrind.log" &
vg=$!
exec 3>"$fifo"
until grep -q '^ready' "$out/$mode.log" 2>/dev/null; do
    kill -0 "$vg" 2>/dev/null || { cat "$out/$mode.valgrind.log" "$out/$mode.log" >&2; exit 1; }
    sleep 0.5
done
callgrind_control -i on "$vg" >/dev/null
echo go >&3
exec 3>&-
wait "$vg"
rm -f "$fifo"
# Annotations written to files first: `head` closing a pipe early would fail the script.
callgrind_annotate "$cg" >"$out/$mode.self.full.txt" 2>/dev/null
callgrind_annotate --inclusive=yes "$cg" >"$out/$mode.inclusive.full.txt" 2>/dev/null
total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' "$out/$mode.self.full.txt")
echo "$mode: $count statements, $total instructions after start-up, $((total / count)) per statement"
sed -n '/^Ir/,$p' "$out/$mode.inclusive.full.txt" | sed -n 1,45p >"$out/$mode.inclusive.txt"
sed -n '/^Ir/,$p' "$out/$mode.self.full.txt" | sed -n 1,35p >"$out/$mode.self.txt"
echo "top functions: $out/$mode.inclusive.txt (inclusive), $out/$mode.self.txt (self)"

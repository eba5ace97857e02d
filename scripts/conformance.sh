#!/usr/bin/env bash
# Runs the ADL LRS conformance suite against a fresh Cairn node, for xAPI 1.0.3 and 2.0.0.
#
#   scripts/conformance.sh /path/to/lrs-conformance-test-suite
#
# The suite is public (github.com/adlnet/lrs-conformance-test-suite); clone it outside this
# repository and run `npm install` in it first. This script starts ClickHouse (scripts/clickhouse.sh),
# builds and starts Cairn on 127.0.0.1:8089 with a fresh data directory and database, runs the
# suite's console runner for both versions and prints each summary line.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="$(cd "${1:?usage: scripts/conformance.sh SUITE_DIR}" && pwd)"
cd "$repo"
scripts/clickhouse.sh start >/dev/null
cargo build --release --bin cairn
data="$(mktemp -d)"
db="cairn_conformance_$(date +%s)"
CAIRN_HTTP_ADDR=127.0.0.1:8089 CAIRN_DATA_DIR="$data" CAIRN_CLICKHOUSE_DATABASE="$db" \
CAIRN_DEFAULT_CLIENT_KEY=conformance CAIRN_DEFAULT_CLIENT_SECRET=conformance-secret CAIRN_LOG=warn \
    ./target/release/cairn serve >"$data.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
until curl -fs http://127.0.0.1:8089/health >/dev/null; do sleep 0.2; done
for v in 1.0.3 2.0.0; do
    (cd "$suite" && node bin/console_runner.js -e http://127.0.0.1:8089/xapi -a \
        -u conformance -p conformance-secret -x "$v" -z 2>/dev/null | grep '"total"' | tail -n 1)
done

#!/usr/bin/env bash
# Runs the ADL LRS conformance suite against a fresh Cairn node, for xAPI 1.0.3 and 2.0.0.
#
#   scripts/conformance.sh /path/to/lrs-conformance-test-suite [--cluster]
#
# The suite is public (github.com/adlnet/lrs-conformance-test-suite); clone it outside this
# repository and run `npm install` in it first. This script starts ClickHouse (scripts/clickhouse.sh),
# builds and starts Cairn on 127.0.0.1:8089 with a fresh data directory and database, runs the
# suite's console runner for both versions and prints each summary line.
#
# --cluster: the node's ClickHouse is a private cluster instead (ZooKeeper and two servers, two
# shards, started with scripts/clickhouse-cluster.sh in var/conformance-cluster on ports from
# CAIRN_CONFORMANCE_CLUSTER_BASE_PORT, default 18400, stopped and removed at the end), with
# clickhouse_cluster set. CAIRN_CONFORMANCE_ADDR (default 127.0.0.1:8089) and CAIRN_BIN (default:
# the release build) choose the node's address and binary.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="$(cd "${1:?usage: scripts/conformance.sh SUITE_DIR [--cluster]}" && pwd)"
cluster="${2:-}"
cd "$repo"
addr="${CAIRN_CONFORMANCE_ADDR:-127.0.0.1:8089}"
base="${CAIRN_CONFORMANCE_CLUSTER_BASE_PORT:-18400}"
cdir="$repo/var/conformance-cluster"
bin="${CAIRN_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --bin cairn
    bin=./target/release/cairn
fi
data="$(mktemp -d)"
db="cairn_conformance_$(date +%s)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$data"
    if [ "$cluster" = --cluster ]; then
        scripts/clickhouse-cluster.sh stop --dir "$cdir" --base-port "$base" >/dev/null 2>&1 || true
        rm -rf "$cdir"
    fi
}
trap cleanup EXIT
if [ "$cluster" = --cluster ]; then
    scripts/clickhouse-cluster.sh stop --dir "$cdir" --base-port "$base" >/dev/null 2>&1 || true
    rm -rf "$cdir"
    urls="$(scripts/clickhouse-cluster.sh start --dir "$cdir" --base-port "$base")"
    export CAIRN_CLICKHOUSE_URL="${urls%%$'\n'*}" CAIRN_CLICKHOUSE_CLUSTER=cairn
    echo "ClickHouse cluster: $(tr '\n' ' ' <<<"$urls")"
else
    scripts/clickhouse.sh start >/dev/null
fi
CAIRN_HTTP_ADDR="$addr" CAIRN_DATA_DIR="$data" CAIRN_CLICKHOUSE_DATABASE="$db" \
CAIRN_DEFAULT_CLIENT_KEY=conformance CAIRN_DEFAULT_CLIENT_SECRET=conformance-secret CAIRN_LOG=warn \
    "$bin" serve >"$data.log" 2>&1 &
pid=$!
until curl -fs "http://$addr/health" >/dev/null; do sleep 0.2; done
for v in 1.0.3 2.0.0; do
    (cd "$suite" && node bin/console_runner.js -e "http://$addr/xapi" -a \
        -u conformance -p conformance-secret -x "$v" -z 2>/dev/null | grep '"total"' | tail -n 1)
done

#!/usr/bin/env bash
# Runs the ADL LRS conformance suite against a fresh Cairn node, for xAPI 1.0.3 and 2.0.0.
#
#   scripts/conformance.sh /path/to/lrs-conformance-test-suite [--cluster] [--jetstream]
#
# The suite is public (github.com/adlnet/lrs-conformance-test-suite); clone it outside this
# repository and run `npm install` in it first. This script starts ClickHouse (scripts/clickhouse.sh),
# builds and starts Cairn on 127.0.0.1:8089 with a fresh data directory and database, runs the
# suite's console runner for both versions and prints each summary line.
#
# --cluster: the node's ClickHouse is a private cluster instead (ZooKeeper and two servers, two
# shards, started with scripts/clickhouse-cluster.sh in var/conformance-cluster on ports from
# CAIRN_CONFORMANCE_CLUSTER_BASE_PORT, default 18400, stopped and removed at the end), with
# clickhouse_cluster set.
#
# --jetstream: the node is one of two Cairn nodes in cluster mode: three nats-servers as one
# JetStream cluster (scripts/nats.sh, ports from CAIRN_CONFORMANCE_NATS_BASE_PORT, default 18560,
# in var/conformance-nats, stopped and removed at the end), both nodes sharing the log and one
# ClickHouse database (projection_shared); the second node listens on the next port and applies
# everything the suite writes through the first. Both flags together: the nodes' database is on
# the ClickHouse cluster.
#
# CAIRN_CONFORMANCE_ADDR (default 127.0.0.1:8089) and CAIRN_BIN (default:
# the release build) choose the node's address and binary.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="$(cd "${1:?usage: scripts/conformance.sh SUITE_DIR [--cluster] [--jetstream]}" && pwd)"
shift
cluster=""
jetstream=""
for a in "$@"; do
    case "$a" in
        --cluster) cluster=--cluster ;;
        --jetstream) jetstream=--jetstream ;;
        *) echo "unknown option $a" >&2; exit 2 ;;
    esac
done
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
data2="$(mktemp -d)"
db="cairn_conformance_$(date +%s)"
nbase="${CAIRN_CONFORMANCE_NATS_BASE_PORT:-18560}"
ndir="$repo/var/conformance-nats"
pid=""
pid2=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    if [ -n "$pid2" ]; then kill "$pid2" 2>/dev/null || true; wait "$pid2" 2>/dev/null || true; fi
    rm -rf "$data" "$data2"
    if [ "$jetstream" = --jetstream ]; then
        scripts/nats.sh stop --dir "$ndir" >/dev/null 2>&1 || true
        rm -rf "$ndir"
    fi
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
if [ "$jetstream" = --jetstream ]; then
    scripts/nats.sh stop --dir "$ndir" >/dev/null 2>&1 || true
    rm -rf "$ndir"
    nats_urls="$(scripts/nats.sh start --port "$nbase" --dir "$ndir")"
    echo "JetStream cluster: $nats_urls"
    export CAIRN_LOG_BACKEND=jetstream CAIRN_NATS_URLS="$nats_urls" CAIRN_PROJECTION_SHARED=true
fi
CAIRN_HTTP_ADDR="$addr" CAIRN_DATA_DIR="$data" CAIRN_CLICKHOUSE_DATABASE="$db" \
CAIRN_DEFAULT_CLIENT_KEY=conformance CAIRN_DEFAULT_CLIENT_SECRET=conformance-secret CAIRN_LOG=warn \
CAIRN_METRICS_ADDR=off "$bin" serve >"$data.log" 2>&1 &
pid=$!
until curl -fs "http://$addr/health" >/dev/null; do sleep 0.2; done
if [ "$jetstream" = --jetstream ]; then
    addr2="${addr%:*}:$((${addr##*:} + 1))"
    CAIRN_HTTP_ADDR="$addr2" CAIRN_DATA_DIR="$data2" CAIRN_CLICKHOUSE_DATABASE="$db" \
    CAIRN_DEFAULT_CLIENT_KEY=conformance CAIRN_DEFAULT_CLIENT_SECRET=conformance-secret \
    CAIRN_LOG=warn CAIRN_METRICS_ADDR=off "$bin" serve >"$data2.log" 2>&1 &
    pid2=$!
    until curl -fs "http://$addr2/health" >/dev/null; do sleep 0.2; done
    echo "second node on $addr2"
fi
for v in 1.0.3 2.0.0; do
    (cd "$suite" && node bin/console_runner.js -e "http://$addr/xapi" -a \
        -u conformance -p conformance-secret -x "$v" -z 2>/dev/null | grep '"total"' | tail -n 1)
done

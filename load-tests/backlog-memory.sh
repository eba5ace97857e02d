#!/usr/bin/env bash
# The server's memory in the worst case of the ingest back-pressure: ClickHouse unreachable, so
# nothing is projected and the in-memory tail fills to its bound, while cairn-loadgen ingests.
#
#   load-tests/backlog-memory.sh [MIB] [DURATION]
#
# MIB is `ingest_backlog_mib` (default 256; 0: only `ingest_backlog_max` bounds the tail).
# Prints the loadgen's report (the 503s once the tail is full, the CPU split, the server's
# resident memory) and the peak resident memory sampled every half second. Ports: the server
# on LOAD_HTTP_ADDR (default 127.0.0.1:18771); ClickHouse is pointed at 127.0.0.1:18779,
# where nothing must listen.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mib="${1:-256}"
duration="${2:-40}"
http="${LOAD_HTTP_ADDR:-127.0.0.1:18771}"
export CARGO_INCREMENTAL=0
cargo build --release -q -p cairn-server -p cairn-loadgen
data="$(mktemp -d)"
samples="$data/rss"
CAIRN_HTTP_ADDR="$http" CAIRN_DATA_DIR="$data/store" CAIRN_CLICKHOUSE_URL=http://127.0.0.1:18779 \
    CAIRN_CLICKHOUSE_DATABASE=backlog_memory CAIRN_DEFAULT_CLIENT_KEY=load \
    CAIRN_DEFAULT_CLIENT_SECRET=load-secret-load-secret CAIRN_LOG=warn CAIRN_METRICS_ADDR=off \
    CAIRN_INGEST_BACKLOG_MIB="$mib" CAIRN_INGEST_BACKLOG_WAIT_MS=200 \
    target/release/cairn serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do
    curl -fsS --max-time 1 "http://$http/health" >/dev/null 2>&1 && break
    sleep 0.1
done
(while kill -0 "$server" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null || true
    sleep 0.5
done) >"$samples" &
target/release/cairn-loadgen --addr "$http" --server-pid "$server" --clickhouse-pid "$server" \
    --clickhouse-addr 127.0.0.1:18779 --clickhouse-db backlog_memory \
    ingest --batch 100 --concurrency 8 --duration "$duration" 2>&1 | grep -v '^POST: 503' | tail -n 8
curl -sS -X POST -u load:load-secret-load-secret -H 'X-Experience-API-Version: 1.0.3' \
    -H 'Content-Type: application/json' -d '{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/o"}}' \
    "http://$http/xapi/statements" | head -c 300 || true
echo
echo "peak resident memory sampled: $(sort -n "$samples" | tail -n 1) KiB"

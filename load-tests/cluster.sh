#!/usr/bin/env bash
# The `cluster` scenario of load-tests/run.sh (which builds the release binaries and calls this;
# its header describes the options). Starts, under LOAD_VAR/cluster (default var/load/cluster):
#   - a private ClickHouse on 127.0.0.1:18700 (TCP 18701), stopped at the end unless it was
#     already running;
#   - three nats-servers as one JetStream cluster (scripts/nats.sh: clients 18710–18712, routes
#     18715–18717, monitoring 18720–18722), on an empty store;
#   - N `cairn` nodes (release build, `log_backend = "jetstream"`) on 127.0.0.1:18730…, node i
#     projecting into its own database cairn_cluster_<i>, its metrics on 127.0.0.1:18750…;
# runs `cairn-loadgen cluster` over the nodes, stops the nodes and the nats-servers, then runs the
# same offer against one embedded node (127.0.0.1:18740, database cairn_cluster_single) unless
# LOAD_SINGLE=0. Everything it started is stopped on exit, failure or interruption included.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
var="${LOAD_VAR:-$repo/var/load}/cluster"
nodes=3
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --nodes) nodes="$2"; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
[ "$nodes" -ge 1 ] && [ "$nodes" -le 9 ] || { echo "--nodes must be 1 to 9" >&2; exit 2; }
ch_port="${LOAD_CLUSTER_CLICKHOUSE_PORT:-18700}"
ch_url="http://127.0.0.1:$ch_port"
nats_base=18710
node_base=18730
single_addr=127.0.0.1:18740
loadgen="$target/release/cairn-loadgen"
mkdir -p "$var"

pids=()
gen=""
ch_started=""
# Stops the cairn processes and the nats-servers.
stop_cluster() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    pids=()
    scripts/nats.sh stop --port "$nats_base" --dir "$var/nats" >/dev/null 2>&1 || true
}
cleanup() {
    if [ -n "$gen" ]; then kill "$gen" 2>/dev/null || true; wait "$gen" 2>/dev/null || true; fi
    stop_cluster
    if [ -n "$ch_started" ]; then
        scripts/clickhouse.sh stop --port "$ch_port" --dir "$var/clickhouse" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/clickhouse.sh status --port "$ch_port" --dir "$var/clickhouse" >/dev/null 2>&1 || ch_started=1
scripts/clickhouse.sh start --port "$ch_port" --dir "$var/clickhouse" >/dev/null
ch_pid="$(cat "$var/clickhouse/clickhouse.pid")"

# The load generator, waited for in the background so that a signal stops the run at once.
loadgen_run() {
    "$loadgen" "$@" &
    gen=$!
    wait "$gen"
    gen=""
}

# One `cairn serve` in the background; its pid is appended to `pids`.
serve() {
    local name="$1" addr="$2" db="$3"
    shift 3
    rm -rf "${var:?}/$name"; mkdir -p "$var/$name"
    curl -fsS "$ch_url/" --data-binary "DROP DATABASE IF EXISTS $db" >/dev/null
    env CAIRN_HTTP_ADDR="$addr" CAIRN_DATA_DIR="$var/$name" CAIRN_CLICKHOUSE_URL="$ch_url" \
        CAIRN_CLICKHOUSE_DATABASE="$db" CAIRN_DEFAULT_CLIENT_KEY=load \
        CAIRN_DEFAULT_CLIENT_SECRET=load-secret-load-secret CAIRN_LOG="${CAIRN_LOG:-warn}" \
        CAIRN_METRICS_ADDR=off "$@" "$target/release/cairn" serve >"$var/$name.log" 2>&1 &
    pids+=($!)
    local pid=$!
    for _ in $(seq 1 900); do
        curl -fsS --max-time 1 "http://$addr/health" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "cairn $name did not start; see $var/$name.log" >&2
    tail -n 20 "$var/$name.log" >&2
    exit 1
}

scripts/nats.sh stop --port "$nats_base" --dir "$var/nats" >/dev/null 2>&1 || true
rm -rf "$var/nats"
scripts/nats.sh start --port "$nats_base" --dir "$var/nats" --monitor >/dev/null
nats_pids="$(cat "$var/nats"/n{0,1,2}.pid | paste -sd+)"
nats_urls="[\"nats://127.0.0.1:$nats_base\", \"nats://127.0.0.1:$((nats_base + 1))\", \"nats://127.0.0.1:$((nats_base + 2))\"]"

addrs=(); dbs=(); cpu=(); metrics=()
# One after the other: the first creates the stream and the default client.
for i in $(seq 1 "$nodes"); do
    addr="127.0.0.1:$((node_base + i - 1))"
    metrics_addr="127.0.0.1:$((node_base + 20 + i - 1))"
    serve "n$i" "$addr" "cairn_cluster_$i" CAIRN_LOG_BACKEND=jetstream CAIRN_NATS_URLS="$nats_urls" \
        CAIRN_METRICS_ADDR="$metrics_addr"
    addrs+=("$addr"); dbs+=("cairn_cluster_$i"); cpu+=(--cpu "node$i=${pids[-1]}")
    metrics+=("$metrics_addr")
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $nodes cairn nodes (pids ${pids[*]}), nats-servers $nats_pids, clickhouse $ch_pid"
loadgen_run --addr "$(IFS=,; echo "${addrs[*]}")" --clickhouse-pid "$ch_pid" \
    --clickhouse-addr "127.0.0.1:$ch_port" --clickhouse-db "${dbs[0]}" "${cpu[@]}" \
    --cpu "nats=$nats_pids" cluster --dbs "$(IFS=,; echo "${dbs[*]}")" \
    --jetstream-monitor "127.0.0.1:$((nats_base + 10))" --metrics "$(IFS=,; echo "${metrics[*]}")" \
    "${args[@]}"

[ "${LOAD_SINGLE:-1}" = 0 ] && exit 0
# The same offer against one node with the embedded log, the cluster stopped.
stop_cluster
serve single "$single_addr" cairn_cluster_single
echo
echo "one embedded node for comparison (pid ${pids[-1]}), clickhouse $ch_pid"
loadgen_run --addr "$single_addr" --server-pid "${pids[-1]}" --clickhouse-pid "$ch_pid" \
    --clickhouse-addr "127.0.0.1:$ch_port" --clickhouse-db cairn_cluster_single \
    cluster --dbs cairn_cluster_single "${args[@]}"

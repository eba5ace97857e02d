#!/usr/bin/env bash
# Load-test scenarios, one command per figure. Starts a private ClickHouse (port 18200, data under
# var/load-clickhouse), builds and starts the release server on 127.0.0.1:18280, runs
# cairn-loadgen against it, then stops the server (ClickHouse keeps running; stop it with
# `scripts/clickhouse.sh stop --port 18200 --dir var/load-clickhouse`).
#
#   load-tests/run.sh ingest [--batch 100] [--concurrency 8[,16…]] [--duration 60] [--rate N] [--lag]
#   load-tests/run.sh lag    [--rate 20000] …          (ingest at a fixed rate, projection lag probe)
#   load-tests/run.sh fill   [--count 10000000]        (builds the reusable store var/load/fill)
#   load-tests/run.sh reads  [--concurrency 8] [--duration 30]   (against var/load/fill)
#   load-tests/run.sh mixed  [--writers 4] [--readers 4] [--batch 10]
#   load-tests/run.sh aggregates [--concurrency 8] [--duration 30] [--days 90] [--tz Europe/Paris]
#                                [--source auto|aggregate|raw]   (against var/load/fill)
#   load-tests/run.sh forward [--rate 5000] [--duration 60] [--forward-batch 500]
#                             (paced ingest without, then with, a forwarder to a second Cairn
#                              on LOAD_TARGET_ADDR, default 127.0.0.1:18281, database
#                              cairn_forward_target: throughput drop, forwarding lag, delivered)
#   load-tests/run.sh dashboard   (an 8-widget dashboard in headless chromium, against var/load/fill:
#                                  cold load, refresh and each widget's query, p50/p95; LOAD_RUNS,
#                                  LOAD_QUERY_RUNS; report in var/load/dashboard-load.json)
#   load-tests/run.sh erase [--actor 2500] [--baseline 20]
#                                 (against var/load/fill: ingests as fast as the server takes it,
#                                  measures the rate, then erases one actor through the admin API:
#                                  the erasure's duration and stages, statements removed, ingest
#                                  rate and CPU split before and during it, and a check that
#                                  nothing of the actor stored before it is left)
#   load-tests/run.sh backup      (fills LOAD_BACKUP_COUNT statements (default 1000000) into
#                                  var/load/backup, then ingests while `cairn backup` writes a
#                                  full generation, then an incremental one: each one's duration,
#                                  the ingest rate before and during it, and the CPU split)
#   load-tests/run.sh cluster [--nodes 3] [--batch 100] [--concurrency 8] [--duration 60]
#                             [--rate N] [--accept-on K] [--readers 8] [--read-duration 30]
#                                 (cluster mode: three nats-servers as one JetStream cluster, a
#                                  private ClickHouse on 18700 and N cairn nodes with
#                                  log_backend = "jetstream", each projecting into its own
#                                  database; batch ingest round-robin over the nodes (only the
#                                  first K with --accept-on), then a read mix (by id, filtered
#                                  pages) over them. Prints acknowledged statements/s, 503s,
#                                  JetStream messages/s and statements per message, each node's
#                                  appends and retries, each node's projection lag when the
#                                  writers stop, read pages/s with p50/p99, and the CPU split by
#                                  process class (each node, the nats-servers, ClickHouse, the
#                                  generator, other) with CPU per statement. Then the same offer
#                                  against one embedded node (LOAD_SINGLE=0 skips it). Ports
#                                  18700–18759; everything it starts is stopped at the end, on
#                                  failure too; see load-tests/cluster.sh)
#
# ingest, lag and mixed start from an empty store (var/load/scratch, database cairn_scratch);
# fill, reads, aggregates, dashboard and erase share var/load/fill (database cairn_fill), so
# fills (and erase's ingest) accumulate until you delete var/load/fill. ingest, lag, mixed and fill end with the bytes on disk per statement
# (load-tests/disk.sh). aggregates, dashboard, forward and erase first make a site administrator on that data directory
# (`cairn admin site-admin`; LOAD_ADMIN_EMAIL, LOAD_ADMIN_PASSWORD) and lifts the admin API's
# per-user rate limit (CAIRN_RATE_LIMIT_USER_PER_SECOND=0 unless set). LOAD_VAR moves var/load
# elsewhere (a second fill store, for instance). Every CAIRN_* variable
# you set reaches the server (see docs/operations.md).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
scenario="${1:-}"
[ $# -gt 0 ] && shift
ch_port="${LOAD_CLICKHOUSE_PORT:-18200}"
ch_dir="${LOAD_CLICKHOUSE_DIR:-$repo/var/load-clickhouse}"
http="${LOAD_HTTP_ADDR:-127.0.0.1:18280}"
target="${CARGO_TARGET_DIR:-$repo/target}"
ch_url="http://127.0.0.1:$ch_port"
# Where the stores, logs and reports go (LOAD_VAR, default var/load).
var="${LOAD_VAR:-$repo/var/load}"

args=()
case "$scenario" in
    ingest|mixed|forward) mode=scratch; args=("$scenario") ;;
    lag) mode=scratch; args=(ingest --lag)
         case " $* " in *" --rate "*) ;; *) args+=(--rate 20000) ;; esac ;;
    fill|reads|aggregates|dashboard|erase) mode=fill; args=("$scenario") ;;
    cluster) mode=cluster ;;
    backup) mode=backup
            # The log position is read from the metrics endpoint.
            export CAIRN_METRICS_ADDR="${CAIRN_METRICS_ADDR:-127.0.0.1:18281}" ;;
    *) sed -n '2,55p' "$0" >&2; exit 2 ;;
esac

cargo build --release -q -p cairn-server -p cairn-loadgen
loadgen="$target/release/cairn-loadgen"
[ "$scenario" = cluster ] && exec load-tests/cluster.sh "$@"

scripts/clickhouse.sh start --port "$ch_port" --dir "$ch_dir" >/dev/null
ch_pid="$(cat "$ch_dir/clickhouse.pid")"
data="$var/$mode"
case "$scenario" in fill|reads|aggregates) LOAD_RECORD="${LOAD_RECORD:-$data/ids.jsonl}" ;; esac
db="cairn_$mode"
if [ "$mode" = scratch ] || [ "$mode" = backup ]; then
    rm -rf "$data"
    curl -fsS "$ch_url/" --data-binary "DROP DATABASE IF EXISTS $db" >/dev/null
fi
mkdir -p "$data"

if [ "$scenario" = dashboard ]; then
    # The web app, built once; chromium from Debian (scripts/test.sh installs it).
    [ -f dashboards/dist/index.html ] || (cd dashboards && npm ci --no-audit --no-fund && npm run build)
    [ -d dashboards/node_modules ] || (cd dashboards && npm ci --no-audit --no-fund)
fi
if [ "$scenario" = aggregates ] || [ "$scenario" = dashboard ] || [ "$scenario" = forward ] \
    || [ "$scenario" = erase ]; then
    # The CLI writes to the data directory directly: before the server opens it.
    export LOAD_ADMIN_PASSWORD="${LOAD_ADMIN_PASSWORD:-load-admin-password}"
    admin_email="${LOAD_ADMIN_EMAIL:-load-admin@example.com}"
    CAIRN_DATA_DIR="$data" CAIRN_CLICKHOUSE_URL="$ch_url" CAIRN_CLICKHOUSE_DATABASE="$db" \
        CAIRN_LOG=warn "$target/release/cairn" admin site-admin --email "$admin_email" \
        --password-stdin <<<"$LOAD_ADMIN_PASSWORD" >/dev/null
    export CAIRN_RATE_LIMIT_USER_PER_SECOND="${CAIRN_RATE_LIMIT_USER_PER_SECOND:-0}"
    args+=(--email "$admin_email")
fi

extra_pids=()
if [ "$scenario" = forward ]; then
    # The second Cairn that the forwarder sends to: its own data and database, the same client.
    target_http="${LOAD_TARGET_ADDR:-127.0.0.1:18281}"
    target_data="$var/forward-target"
    target_db=cairn_forward_target
    rm -rf "$target_data"; mkdir -p "$target_data"
    curl -fsS "$ch_url/" --data-binary "DROP DATABASE IF EXISTS $target_db" >/dev/null
    CAIRN_HTTP_ADDR="$target_http" CAIRN_DATA_DIR="$target_data" CAIRN_CLICKHOUSE_URL="$ch_url" \
        CAIRN_CLICKHOUSE_DATABASE="$target_db" CAIRN_DEFAULT_CLIENT_KEY=load \
        CAIRN_DEFAULT_CLIENT_SECRET=load-secret-load-secret CAIRN_LOG="${CAIRN_LOG:-warn}" \
        CAIRN_METRICS_ADDR=off "$target/release/cairn" serve >"$var/server-forward-target.log" 2>&1 &
    extra_pids+=($!)
    trap 'kill "${extra_pids[@]}" 2>/dev/null || true' EXIT
    for _ in $(seq 1 600); do
        curl -fsS --max-time 1 "http://$target_http/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    # The target is on loopback: the operator setting that allows private targets.
    export CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS=true
    args+=(--target-addr "$target_http" --target-db "$target_db" --target-pid "${extra_pids[0]}")
fi

log="$var/server-$scenario.log"
CAIRN_HTTP_ADDR="$http" CAIRN_DATA_DIR="$data" CAIRN_CLICKHOUSE_URL="$ch_url" \
    CAIRN_CLICKHOUSE_DATABASE="$db" CAIRN_DEFAULT_CLIENT_KEY=load \
    CAIRN_DEFAULT_CLIENT_SECRET=load-secret-load-secret CAIRN_LOG="${CAIRN_LOG:-warn}" \
    CAIRN_WEB_DIR="$repo/dashboards/dist" \
    "$target/release/cairn" serve >"$log" 2>&1 &
server=$!
trap 'for p in "$server" "${extra_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done' EXIT
for _ in $(seq 1 600); do
    curl -fsS --max-time 1 "http://$http/health" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { echo "server exited; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
    sleep 0.1
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); server pid $server, clickhouse pid $ch_pid; data $data"
if [ "$scenario" = dashboard ]; then
    cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
    s0="$(cpu "$server")"; c0="$(cpu "$ch_pid")"; t0="$(date +%s.%N)"
    (cd dashboards && LOAD_BASE="http://$http" LOAD_EMAIL="$admin_email" \
        LOAD_PASSWORD="$LOAD_ADMIN_PASSWORD" LOAD_REPORT="$var/dashboard-load.json" \
        npx playwright test -c playwright.load.config.ts)
    t1="$(date +%s.%N)"; tick="$(getconf CLK_TCK)"
    awk -v s="$(( $(cpu "$server") - s0 ))" -v c="$(( $(cpu "$ch_pid") - c0 ))" -v t="$t0" -v u="$t1" -v k="$tick" \
        'BEGIN { w = u - t; printf "cpu over %.0f s wall: cairn %.1f s, clickhouse %.1f s, load average %s\n", w, s / k, c / k, "'"$(cut -d' ' -f1-3 /proc/loadavg)"'" }'
    exit 0
fi
if [ "$scenario" = backup ]; then
    common=(--addr "$http" --server-pid "$server" --clickhouse-pid "$ch_pid"
            --clickhouse-addr "127.0.0.1:$ch_port" --clickhouse-db "$db")
    gens="$var/backup-generations"
    rm -rf "$gens"
    "$loadgen" "${common[@]}" fill --count "${LOAD_BACKUP_COUNT:-1000000}" \
        --record "$var/backup-ids.jsonl"
    position() { curl -fsS "http://$CAIRN_METRICS_ADDR/metrics" | awk '/^cairn_log_sequence / {printf "%d", $2}'; }
    cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
    busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
    # Ingest (8 connections, batches of 100) through both backups, stopped after them; the
    # rate is read from the log position over a quiet window first, then over each backup.
    "$loadgen" "${common[@]}" ingest --duration 3600 >/dev/null &
    gen=$!
    sleep 8
    p0="$(position)"; sleep 15; p1="$(position)"
    echo "ingest without a backup: $(( (p1 - p0) / 15 )) statements/s"
    tick="$(getconf CLK_TCK)"
    for kind in first second; do
        q0="$(position)"; s0="$(cpu "$server")"; c0="$(cpu "$ch_pid")"; g0="$(cpu "$gen")"; m0="$(busy)"
        t0="$(date +%s.%N)"
        out="$(CAIRN_DATA_DIR="$data" CAIRN_LOG=warn "$target/release/cairn" backup "$gens")"
        t1="$(date +%s.%N)"
        q1="$(position)"; s1="$(cpu "$server")"; c1="$(cpu "$ch_pid")"; g1="$(cpu "$gen")"; m1="$(busy)"
        echo "$kind backup: $out"
        awk -v t="$t0" -v u="$t1" -v q="$(( q1 - q0 ))" -v s="$(( s1 - s0 ))" -v c="$(( c1 - c0 ))" \
            -v g="$(( g1 - g0 ))" -v m="$(( m1 - m0 ))" -v k="$tick" 'BEGIN { w = u - t;
            printf "  %.1f s; ingest during it %.0f statements/s; cpu: cairn %.1f s, clickhouse %.1f s, loadgen %.1f s, rest of the machine %.1f s (of %.1f s busy)\n",
                w, q / w, s / k, c / k, g / k, (m - s - c - g) / k, m / k }'
        sleep 10
    done
    echo "backup on disk: $(du -sh "$gens" | cut -f1) ($(ls "$gens" | tr '\n' ' '))"
    echo "data directory: $(du -sh "$data/store" | cut -f1)"
    kill "$gen"
    exit 0
fi
"$loadgen" --addr "$http" --server-pid "$server" --clickhouse-pid "$ch_pid" \
    --clickhouse-addr "127.0.0.1:$ch_port" --clickhouse-db "$db" "${args[@]}" "$@" \
    ${LOAD_RECORD:+--record "$LOAD_RECORD"}

if [ "$scenario" = fill ]; then
    # Let the projector catch up before stopping, so reads start from a projected store.
    prev=""
    while :; do
        cur="$(curl -fsS "$ch_url/?database=$db" --data-binary 'SELECT max(seq) FROM statements')"
        [ "$cur" = "$prev" ] && break
        prev="$cur"
        sleep 3
    done
    echo "projected up to seq $cur"
fi
if [ "$scenario" != reads ] && [ "$scenario" != aggregates ] && [ "$scenario" != erase ]; then
    load-tests/disk.sh "$data" "$ch_url" "$db"
fi

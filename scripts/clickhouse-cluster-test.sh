#!/usr/bin/env bash
# Runs the ClickHouse adapter's tests (cairn-clickhouse: unit and integration) against a private
# ClickHouse cluster on loopback: one ZooKeeper and two ClickHouse servers (two shards), started
# with scripts/clickhouse-cluster.sh in var/test-clickhouse-cluster, and always stopped at the
# end, on failure too. Prints how long it took. scripts/test.sh runs it as its own step.
#
#   scripts/clickhouse-cluster-test.sh [extra cargo test arguments]
#
# CAIRN_TEST_CLUSTER_BASE_PORT (default 18300): ZooKeeper's port; the servers use the next
# ports (see scripts/clickhouse-cluster.sh). The fail-over test's own cluster takes the block from
# base + 50 (CAIRN_TEST_PRIVATE_CLUSTER_BASE_PORT), so a run stays within base .. base + 99.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

base="${CAIRN_TEST_CLUSTER_BASE_PORT:-18300}"
dir="$repo/var/test-clickhouse-cluster"
started=$SECONDS
finish() {
    local rc=$?
    scripts/clickhouse-cluster.sh stop --dir "$dir" --base-port "$base" >/dev/null 2>&1 || true
    printf 'ClickHouse cluster tests: %ss (exit %s)\n' "$((SECONDS - started))" "$rc"
}
trap finish EXIT
child=""
# On INT or TERM: the tests (their own process group, see below) are stopped first, so that
# nothing they started outlives the run; the fail-over test's cluster is stopped by its watchdog
# once the test process is gone.
stop_tests() {
    if [ -n "$child" ]; then
        kill -TERM -- "-$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    exit 130
}
trap stop_tests INT TERM

# A fresh cluster each run: nothing left from an earlier one (stopped first if it still runs).
scripts/clickhouse-cluster.sh stop --dir "$dir" --base-port "$base" >/dev/null 2>&1 || true
rm -rf "$dir"
urls="$(scripts/clickhouse-cluster.sh start --dir "$dir" --base-port "$base")"
printf 'cluster up after %ss:\n%s\n' "$((SECONDS - started))" "$urls"
CAIRN_TEST_CLICKHOUSE_URL="$(head -n 1 <<<"$urls")"
export CAIRN_TEST_CLICKHOUSE_URL
export CAIRN_TEST_CLICKHOUSE_CLUSTER=cairn
export CAIRN_TEST_PRIVATE_CLUSTER_BASE_PORT="${CAIRN_TEST_PRIVATE_CLUSTER_BASE_PORT:-$((base + 50))}"
set -m
cargo test -p cairn-clickhouse --tests "$@" &
child=$!
set +m
wait "$child"

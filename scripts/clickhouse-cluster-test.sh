#!/usr/bin/env bash
# Runs the ClickHouse adapter's tests (cairn-clickhouse: unit and integration), then the cluster
# mode crash test (three nats-servers and three Cairn nodes, crates/server/tests/cluster_crash.rs),
# against a private ClickHouse cluster on loopback: one ZooKeeper and two ClickHouse servers (two shards), started
# with scripts/clickhouse-cluster.sh in var/test-clickhouse-cluster, and always stopped at the
# end, on failure too. Prints how long it took and the CPU split (the tests, the cluster's
# servers, the whole machine). scripts/test.sh runs it as its own step.
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
# CPU seconds: the machine's busy time (all processes, from /proc/stat) and the cluster's own
# servers (from their pid files), so that a wall time can be read against the load around it.
tick="$(getconf CLK_TCK)"
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
cluster_cpu() {
    local f total=0 t
    for f in "$dir"/ch*/clickhouse.pid "$dir"/zk/zk.pid; do
        [ -f "$f" ] || continue
        t="$(awk '{print $14+$15}' "/proc/$(cat "$f")/stat" 2>/dev/null || echo 0)"
        total=$((total + t))
    done
    echo "$total"
}
busy0="$(machine_busy)"
finish() {
    local rc=$? servers tests
    servers="$(cluster_cpu)"
    scripts/clickhouse-cluster.sh stop --dir "$dir" --base-port "$base" >/dev/null 2>&1 || true
    # The second line of `times`: the user and system time of this script's finished children
    # (cargo, the compiler and the test processes; not the servers, which run detached).
    # (`times` itself in this shell: in a pipe or `$(…)` it would report a subshell's children.)
    times >"$repo/var/test-clickhouse-cluster-times"
    tests="$(tail -n 1 "$repo/var/test-clickhouse-cluster-times" | awk '{
        split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')"
    printf 'ClickHouse cluster tests: %ss (exit %s); CPU: cargo and tests %ss, cluster servers %ss, whole machine %ss busy on %s cores\n' \
        "$((SECONDS - started))" "$rc" "$tests" "$((servers / tick))" \
        "$((($(machine_busy) - busy0) / tick))" "$(nproc)"
}
trap finish EXIT
children=()
# On INT or TERM: the tests (each run in its own process group, see below) are stopped first, so
# that nothing they started outlives the run; the fail-over test's cluster is stopped by its
# watchdog once the test process is gone.
stop_tests() {
    local c
    for c in "${children[@]}"; do kill -TERM -- "-$c" 2>/dev/null || true; done
    for c in "${children[@]}"; do wait "$c" 2>/dev/null || true; done
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
# Built once, then two runs side by side: the fail-over test (its own cluster from base + 50;
# it mostly waits for a server to die and come back) and every other test of the crate against
# this cluster. Its output follows the others'.
cargo test -p cairn-clickhouse --tests --no-run "$@"
others=(--lib)
for f in crates/clickhouse/tests/*.rs; do
    name="$(basename "$f" .rs)"
    [ "$name" = cluster_failover ] || others+=(--test "$name")
done
failover_log="$repo/var/test-clickhouse-cluster-failover.log"
set -m
cargo test -p cairn-clickhouse --test cluster_failover "$@" >"$failover_log" 2>&1 &
children+=($!)
cargo test -p cairn-clickhouse "${others[@]}" "$@" &
children+=($!)
set +m
rc=0
wait "${children[1]}" || rc=$?
failover_rc=0
wait "${children[0]}" || failover_rc=$?
cat "$failover_log"
[ "$rc" = 0 ] || exit "$rc"
[ "$failover_rc" = 0 ] || exit "$failover_rc"
# Both clusters at once: three nats-servers as one JetStream cluster and three Cairn nodes, each
# keeping its database on this ClickHouse cluster; kill -9 of one node and one nats-server under
# load, then every acknowledged statement exactly once through each node and in ClickHouse.
# (In the background and waited for, so that INT or TERM stops it at once, as above.)
set -m
cargo test -p cairn-server --test cluster_crash "$@" &
children+=($!)
set +m
wait "${children[2]}"

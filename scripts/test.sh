#!/usr/bin/env bash
# Runs every test of Cairn on a fresh Debian machine: installs what is missing (ClickHouse,
# nats-server, chDB, ZooKeeper), starts a private ClickHouse on loopback under var/, then runs formatting and
# lint checks, every Rust test (unit, HTTP, real-ClickHouse integration, kill -9 durability), a
# ClickHouse outage under load, retention in a three-node cluster, and the ClickHouse adapter's
# tests against a private ClickHouse cluster (ZooKeeper and two servers), each its own step, run beside the fuzzing because they
# mostly wait for their servers, bounded fuzzing of the parsers
# (cargo fuzz, CAIRN_FUZZ_SECONDS per target), a client-library compatibility check
# (TinCanPython), schemathesis against the served OpenAPI document (no 5xx, answers as
# documented) and the schema + generated SQL on modern ClickHouse (chDB), then the web app's
# checks: lint, typecheck, Vitest, build, the committed OpenAPI document against the server's,
# and the Playwright end-to-end tests on Debian's chromium. `.ci/run` calls this.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# Each step's elapsed seconds are printed when the next one starts, and all of them with the
# total at the end, so that CI's log shows where the time goes.
suite_start=$SECONDS
step_name=""
step_start=$SECONDS
timings=""
end_step() {
    if [ -n "$step_name" ]; then
        local took=$((SECONDS - step_start))
        printf '<== %s: %ss\n' "$step_name" "$took"
        timings+="$(printf '%6ss  %s' "$took" "$step_name")"$'\n'
    fi
}
step() {
    end_step
    step_name="$*"
    step_start=$SECONDS
    printf '\n==> %s\n' "$*"
}
# On success and on failure alike: the failing step is the last one listed.
report_timings() {
    end_step
    step_name=""
    printf '\nseconds per step:\n%s%6ss  total\n' "$timings" "$((SECONDS - suite_start))"
}

# Incremental compilation only pays off on repeated local builds; in a one-shot run it costs disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "tools"
if ! command -v cargo >/dev/null 2>&1; then
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)"; exit 1; }
if ! command -v curl >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y curl
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "ClickHouse (private test instance)"
ch_dir="$repo/var/test-clickhouse"
ch_port="${CAIRN_TEST_CLICKHOUSE_PORT:-18123}"
scripts/clickhouse.sh start --port "$ch_port" --dir "$ch_dir"
# A step that runs in the background (the ClickHouse cluster tests) is stopped too when the run
# ends early; its script then stops its own servers.
background=()
stop_background() {
    local p
    for p in "${background[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${background[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap 'report_timings; stop_background; scripts/clickhouse.sh stop --port "$ch_port" --dir "$ch_dir" >/dev/null 2>&1 || true' EXIT
export CAIRN_TEST_CLICKHOUSE_URL="http://127.0.0.1:$ch_port"

step "nats-server (the cluster tests start their own JetStream clusters)"
# The cluster tests fail, never skip, without it: install it like clickhouse-server.
scripts/nats.sh install
# ZooKeeper and Java for the ClickHouse cluster tests, installed now rather than by the first of
# them while other tests run.
scripts/clickhouse-cluster.sh install
nats-server --version 2>/dev/null || /usr/sbin/nats-server --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

# The ClickHouse outage test and the cluster retention test run as their own steps below, so
# that a failure is named.
outage_test="the_lrs_outlasts_clickhouse"
retention_test="retention_runs_on_exactly_one_node_of_a_cluster"

step "cargo test"
cargo test --workspace -- --skip "$outage_test" --skip "$retention_test"

# The cluster tests spend most of their time waiting for ZooKeeper and the servers (about 0.6 of
# one core over three to four minutes), and the fuzzing that follows builds with both cores and
# then runs on one: side by side they take about the time of the fuzzing alone. The cluster's
# output is printed, and its failure fails the run, in the step after the fuzzing.
step "ClickHouse cluster: ZooKeeper + 2 servers, the ClickHouse adapter's tests against them (started in the background)"
cluster_log="$repo/var/test-clickhouse-cluster-step.log"
mkdir -p "$repo/var"
scripts/clickhouse-cluster-test.sh >"$cluster_log" 2>&1 &
cluster_pid=$!
background+=("$cluster_pid")

# The ClickHouse outage test mostly waits too (on its private ClickHouse, stopped and started
# under load), so it runs beside the fuzzing as well; its output and result come after it.
step "ClickHouse outage: a private ClickHouse stopped and started under load, degraded mode (started in the background)"
outage_log="$repo/var/test-clickhouse-outage-step.log"
cargo test -p cairn-server --test degraded_mode -- --exact "$outage_test" >"$outage_log" 2>&1 &
outage_pid=$!
background+=("$outage_pid")

# The cluster retention test (three nats-servers, three nodes, two to three minutes) mostly waits
# for the cluster's leases and removals: beside the fuzzing as well.
step "Cluster retention: three nats-servers and three nodes, one node archives (started in the background)"
retention_log="$repo/var/test-cluster-retention-step.log"
cargo test -p cairn-server --test cluster_retention -- --exact "$retention_test" >"$retention_log" 2>&1 &
retention_pid=$!
background+=("$retention_pid")

step "fuzzing: cargo fuzz on the parsers, ${CAIRN_FUZZ_SECONDS:-30}s per target"
scripts/fuzz.sh

step "ClickHouse outage, cluster retention, ClickHouse cluster: the results of the tests started before the fuzzing"
outage_rc=0
wait "$outage_pid" || outage_rc=$?
retention_rc=0
wait "$retention_pid" || retention_rc=$?
cluster_rc=0
wait "$cluster_pid" || cluster_rc=$?
background=()
printf -- '--- ClickHouse outage test ---\n'
cat "$outage_log"
printf -- '--- Cluster retention test ---\n'
cat "$retention_log"
printf -- '--- ClickHouse cluster tests ---\n'
cat "$cluster_log"
if [ "$outage_rc" != 0 ]; then
    echo "the ClickHouse outage test failed (exit $outage_rc); its output is above" >&2
    exit "$outage_rc"
fi
if [ "$retention_rc" != 0 ]; then
    echo "the cluster retention test failed (exit $retention_rc); its output is above" >&2
    exit "$retention_rc"
fi
if [ "$cluster_rc" != 0 ]; then
    echo "the ClickHouse cluster tests failed (exit $cluster_rc); their output is above" >&2
    exit "$cluster_rc"
fi

step "client compatibility (TinCanPython against a served Cairn)"
scripts/client_compat.sh

step "API conformance: schemathesis against the served OpenAPI document"
scripts/schemathesis.sh

step "schema and generated SQL on modern ClickHouse (chDB)"
python3 scripts/chdb_check.py

step "web app (dashboards/): npm ci, lint, typecheck, vitest, build"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
fi
if [ ! -x /usr/bin/chromium ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
# `cargo test --workspace` above already built target/debug/cairn; a separate `cargo build
# --bin cairn` would resolve features differently and compile much of the tree a second time.
[ -x target/debug/cairn ] || cargo test --workspace --no-run
(
    cd dashboards
    npm ci --no-audit --no-fund
    npm run lint
    npm run typecheck
    npm test
    npm run build
)

step "web app: API types match the server's OpenAPI document"
if ! ./target/debug/cairn openapi | cmp -s - dashboards/src/api/openapi.json; then
    echo "dashboards/src/api/openapi.json differs from \`cairn openapi\`: run" >&2
    echo "  target/debug/cairn openapi > dashboards/src/api/openapi.json && (cd dashboards && npm run gen:api)" >&2
    exit 1
fi
(
    cd dashboards
    npx openapi-typescript src/api/openapi.json -o "$repo/var/schema.d.ts" >/dev/null
    if ! cmp -s "$repo/var/schema.d.ts" src/api/schema.d.ts; then
        echo "dashboards/src/api/schema.d.ts is stale: run (cd dashboards && npm run gen:api)" >&2
        exit 1
    fi
)

step "web app: end-to-end tests (Playwright, chromium)"
(cd dashboards && CAIRN_BIN="$repo/target/debug/cairn" npm run e2e)

printf '\nall tests passed\n'

#!/usr/bin/env bash
# Runs every test of Cairn on a fresh Debian machine: installs what is missing (ClickHouse,
# nats-server, chDB, ZooKeeper), starts a private ClickHouse on loopback under var/, then runs formatting and
# lint checks, every Rust test (unit, HTTP, real-ClickHouse integration, kill -9 durability), a
# ClickHouse outage under load (its own step), the ClickHouse adapter's tests against a private
# ClickHouse cluster (ZooKeeper and two servers; its own step), bounded fuzzing of the parsers
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
trap 'report_timings; scripts/clickhouse.sh stop --port "$ch_port" --dir "$ch_dir" >/dev/null 2>&1 || true' EXIT
export CAIRN_TEST_CLICKHOUSE_URL="http://127.0.0.1:$ch_port"

step "nats-server (the cluster tests start their own JetStream clusters)"
# The cluster tests fail, never skip, without it: install it like clickhouse-server.
scripts/nats.sh install
nats-server --version 2>/dev/null || /usr/sbin/nats-server --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

# The ClickHouse outage test runs as its own step below, so that its failure is named.
outage_test="the_lrs_outlasts_clickhouse"

step "cargo test"
cargo test --workspace -- --skip "$outage_test"

step "ClickHouse outage: a private ClickHouse stopped and started under load (degraded mode)"
cargo test -p cairn-server --test degraded_mode -- --exact "$outage_test"

step "ClickHouse cluster: ZooKeeper + 2 servers, the ClickHouse adapter's tests against them"
scripts/clickhouse-cluster-test.sh

step "fuzzing: cargo fuzz on the parsers, ${CAIRN_FUZZ_SECONDS:-30}s per target"
scripts/fuzz.sh

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

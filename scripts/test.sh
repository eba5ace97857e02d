#!/usr/bin/env bash
# Runs every test of Cairn on a fresh Debian machine: installs what is missing (ClickHouse,
# chDB), starts a private ClickHouse on loopback under var/, then runs formatting and lint
# checks, every Rust test (unit, HTTP, real-ClickHouse integration, kill -9 durability) and the
# schema + generated SQL on modern ClickHouse (chDB). `.ci/run` calls this.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

step() { printf '\n==> %s\n' "$*"; }

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
trap 'scripts/clickhouse.sh stop --port "$ch_port" --dir "$ch_dir" >/dev/null 2>&1 || true' EXIT
export CAIRN_TEST_CLICKHOUSE_URL="http://127.0.0.1:$ch_port"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --workspace

step "schema and generated SQL on modern ClickHouse (chDB)"
python3 scripts/chdb_check.py

printf '\nall tests passed\n'

#!/usr/bin/env bash
# Client compatibility: runs TinCanPython (a widely used xAPI client library that knows only
# xAPI 1.0.x) against a served Cairn: about, save a statement, read it back by id and by query.
# Installs the library into a virtualenv under var/ (from PyPI), serves target/debug/cairn (built when
# absent: after changing the code, run `cargo build --bin cairn` first) on a
# free loopback port with a fresh data directory, and stops it afterwards.
#
# ClickHouse: CAIRN_TEST_CLICKHOUSE_URL when set (scripts/test.sh sets it), else the URL of
# `scripts/clickhouse.sh status`; Cairn would also serve without it (degraded mode).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="$repo/var/client-compat-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check tincan

# scripts/test.sh has built target/debug/cairn in its `cargo test` step: building it again here
# with `cargo build` resolves features differently and recompiles much of the tree.
[ -x target/debug/cairn ] || cargo build --quiet --bin cairn
ch_url="${CAIRN_TEST_CLICKHOUSE_URL:-}"
if [ -z "$ch_url" ]; then
    ch_url="$(scripts/clickhouse.sh status 2>/dev/null || echo http://127.0.0.1:8123)"
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data="$(mktemp -d "${TMPDIR:-/tmp}/cairn-client-compat.XXXXXX")"
key="compat"
secret="compat-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
CAIRN_HTTP_ADDR="127.0.0.1:$port" CAIRN_DATA_DIR="$data" CAIRN_CLICKHOUSE_URL="$ch_url" \
    CAIRN_CLICKHOUSE_DATABASE="cairn_compat_$port" CAIRN_DEFAULT_CLIENT_KEY="$key" \
    CAIRN_DEFAULT_CLIENT_SECRET="$secret" CAIRN_LOG=warn CAIRN_METRICS_ADDR=off \
    target/debug/cairn serve >"$data.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data" "$data.log"' EXIT
for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$data.log" >&2; exit 1; }
    sleep 0.1
done
"$venv/bin/python" scripts/client_compat.py "http://127.0.0.1:$port/xapi/" "$key" "$secret"

#!/usr/bin/env bash
# API conformance: schemathesis (from PyPI, into a virtualenv under var/) generates requests from
# the OpenAPI document that a served Cairn publishes (/api/v1/openapi.json) and checks that no
# answer is a 5xx, that every answer's status code, content type and body are the ones the
# document declares. Serves target/debug/cairn with a fresh data directory on a free loopback
# port, against ClickHouse (CAIRN_TEST_CLICKHOUSE_URL, which scripts/test.sh sets, else the URL
# of `scripts/clickhouse.sh status`), as a site administrator signed in with a personal token.
#
# Left out: logging out, revoking a token and changing or deleting a user, which would end the
# run's own sign-in (its stateful phase finds the user's id and token ids).
#
# CAIRN_SCHEMATHESIS_EXAMPLES: examples per operation (default 15, about 4 minutes); the run is also cut at
# CAIRN_SCHEMATHESIS_SECONDS (default 600).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

examples="${CAIRN_SCHEMATHESIS_EXAMPLES:-15}"
seconds="${CAIRN_SCHEMATHESIS_SECONDS:-600}"
# Not settings of Cairn (which warns about unknown CAIRN_* variables).
unset CAIRN_SCHEMATHESIS_EXAMPLES CAIRN_SCHEMATHESIS_SECONDS
venv="$repo/var/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi

[ -x target/debug/cairn ] || cargo build --quiet --bin cairn
ch_url="${CAIRN_TEST_CLICKHOUSE_URL:-}"
if [ -z "$ch_url" ]; then
    ch_url="$(scripts/clickhouse.sh status 2>/dev/null || echo http://127.0.0.1:8123)"
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data="$(mktemp -d "${TMPDIR:-/tmp}/cairn-schemathesis.XXXXXX")"
email="root@example.com"
password="schemathesis-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export CAIRN_HTTP_ADDR="127.0.0.1:$port" CAIRN_DATA_DIR="$data" CAIRN_CLICKHOUSE_URL="$ch_url" \
    CAIRN_CLICKHOUSE_DATABASE="cairn_schemathesis_$port" CAIRN_LOG=warn CAIRN_METRICS_ADDR=off \
    CAIRN_RATE_LIMIT_USER_PER_SECOND=0 CAIRN_LOGIN_ATTEMPTS_PER_MINUTE=0
printf '%s\n' "$password" | target/debug/cairn admin site-admin --email "$email" \
    --name Root --password-stdin >/dev/null
target/debug/cairn serve >"$data.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data" "$data.log"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
    curl -fsS "$base/health" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$data.log" >&2; exit 1; }
    sleep 0.1
done
# Sign in, then make a personal token (the session cookie would be ended by a generated logout).
token="$(python3 - "$base" "$email" "$password" <<'PY'
import json, sys, urllib.request
base, email, password = sys.argv[1:]
def call(path, body, cookie=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Origin": base})
    if cookie:
        req.add_header("Cookie", cookie)
    return urllib.request.urlopen(req)
res = call("/api/v1/auth/login", {"email": email, "password": password})
cookie = res.headers["Set-Cookie"].split(";", 1)[0]
print(json.load(call("/api/v1/me/tokens", {"name": "schemathesis"}, cookie))["secret"])
PY
)"
status=0
# Its cache and reports go under var/, not the working tree's root.
cd "$repo/var"
timeout "$seconds" "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$examples" --workers 2 --seed 1 --no-color \
    --exclude-path /api/v1/auth/logout --exclude-path /api/v1/me/tokens/{id} \
    --exclude-path /api/v1/users/{id} || status=$?
if grep -q "panicked" "$data.log"; then
    echo "the server panicked:" >&2
    grep -A5 "panicked" "$data.log" >&2
    status=1
fi
exit "$status"

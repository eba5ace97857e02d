#!/usr/bin/env bash
# Runs Cairn on this machine: installs and starts ClickHouse on loopback (data under var/),
# builds the web app (dashboards/dist) and the release binary, applies the schema migrations and
# starts the server, which prints the xAPI endpoint, the default store's client credentials and,
# on the first run, the one-time link that creates the site administrator in the browser.
# Ctrl-C stops Cairn (ClickHouse keeps running; `scripts/clickhouse.sh stop` stops it).
#
# Settings come from the environment (CAIRN_HTTP_ADDR, CAIRN_DATA_DIR, CAIRN_CLICKHOUSE_URL, ...,
# see docs/operations.md) or from a TOML file given as `scripts/run.sh --config cairn.toml`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if ! command -v cargo >/dev/null 2>&1; then
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)"; exit 1; }
if ! command -v curl >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y curl
fi

export CAIRN_DATA_DIR="${CAIRN_DATA_DIR:-$repo/var/data}"
# The default store's client: generated once into var/ (readable by this user only) so that every
# run uses the same working credentials. Set CAIRN_DEFAULT_CLIENT_KEY/SECRET to choose them.
if [ -z "${CAIRN_DEFAULT_CLIENT_KEY:-}" ]; then
    creds="$repo/var/default-client.env"
    if [ ! -f "$creds" ]; then
        mkdir -p "$repo/var"
        hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
        (umask 077; printf 'CAIRN_DEFAULT_CLIENT_KEY=%s\nCAIRN_DEFAULT_CLIENT_SECRET=%s\n' "$(hex 16)" "$(hex 24)" >"$creds")
    fi
    set -a
    . "$creds"
    set +a
fi
if [ -z "${CAIRN_CLICKHOUSE_URL:-}" ]; then
    scripts/clickhouse.sh start
    export CAIRN_CLICKHOUSE_URL="http://127.0.0.1:8123"
fi

# The web app: built into dashboards/dist, which `cairn serve` serves at / (setting web_dir).
if ! command -v npm >/dev/null 2>&1; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
fi
(cd dashboards && npm ci --no-audit --no-fund && npm run build)

cargo build --release --bin cairn
./target/release/cairn migrate "$@"

# The site administrator. On the first run there is none: `cairn serve` prints a one-time set-up
# link that creates them in the browser. A script may create them here instead with
# CAIRN_ADMIN_EMAIL/CAIRN_ADMIN_PASSWORD (an installation set up by an earlier run.sh keeps its
# generated password in var/site-admin.env, readable by this user only).
admin_file="$repo/var/site-admin.env"
if [ -z "${CAIRN_ADMIN_PASSWORD:-}" ] && [ -f "$admin_file" ]; then
    . "$admin_file"
fi
addr="${CAIRN_HTTP_ADDR:-127.0.0.1:8080}"
if [ -n "${CAIRN_ADMIN_PASSWORD:-}" ]; then
    CAIRN_ADMIN_EMAIL="${CAIRN_ADMIN_EMAIL:-admin@localhost}"
    ./target/release/cairn admin "$@" site-admin --email "$CAIRN_ADMIN_EMAIL" --password-stdin <<<"$CAIRN_ADMIN_PASSWORD" >/dev/null
    if [ -f "$admin_file" ]; then where="the password in var/site-admin.env"; else where="CAIRN_ADMIN_PASSWORD"; fi
    echo "Web app: http://$addr/ (sign in as $CAIRN_ADMIN_EMAIL with $where)"
else
    echo "Web app: http://$addr/ (first run: open the set-up link printed below to create the site"
    echo "         administrator; afterwards, sign in with the email and password chosen there)"
fi
if [ -n "${creds:-}" ]; then
    echo "xAPI client: key $CAIRN_DEFAULT_CLIENT_KEY, secret in var/default-client.env"
fi
exec ./target/release/cairn serve "$@"

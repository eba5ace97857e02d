#!/usr/bin/env bash
# Runs a private three-server NATS JetStream cluster on loopback for development and tests
# (cluster mode: `log_backend = "jetstream"`).
#
#   scripts/nats.sh install|start|stop|status [--port BASE] [--dir DIR] [--monitor]
#
# install installs nats-server when missing (apt-get, Debian package `nats-server`; needs root).
# start   installs it when missing, writes one config per server under DIR (listen on 127.0.0.1
#         only, JetStream on, file storage under DIR/nN), starts the three servers in the
#         background as the current user, waits until each accepts connections and prints the
#         value of `nats_urls`. Starting a running cluster is a no-op.
# stop    stops the servers whose pid files are in DIR and waits for them to exit.
# status  prints `nats_urls` and exits 0 when all three servers accept connections, else 1.
#
# Ports: clients BASE, BASE+1, BASE+2; cluster routes BASE+5 to BASE+7; with --monitor, the
# HTTP monitoring endpoints (/varz, /jsz…) on BASE+10 to BASE+12. Defaults: BASE 4222,
# DIR <repo>/var/nats (the repo ignores /var).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"
[ $# -gt 0 ] && shift
base=4222
dir="$repo/var/nats"
monitor=""
while [ $# -gt 0 ]; do
    case "$1" in
        --port) base="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --monitor) monitor=1; shift ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

server_bin() {
    local p
    for p in "$(command -v nats-server 2>/dev/null || true)" /usr/sbin/nats-server /usr/bin/nats-server; do
        if [ -n "$p" ] && [ -x "$p" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

install_server() {
    server_bin >/dev/null && return 0
    echo "nats-server not found; installing it with apt-get" >&2
    if [ "$(id -u)" != 0 ]; then
        echo "need root to apt-get install nats-server" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nats-server >/dev/null
    # The package may start a system-wide server on 4222: stop it so it doesn't compete.
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now nats-server >/dev/null 2>&1 || true
    fi
    server_bin >/dev/null
}

urls() {
    echo "[\"nats://127.0.0.1:$base\", \"nats://127.0.0.1:$((base + 1))\", \"nats://127.0.0.1:$((base + 2))\"]"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
    local pidfile="$dir/n$1.pid" pid
    [ -f "$pidfile" ] || return 1
    pid="$(cat "$pidfile")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

write_config() {
    local i="$1" routes=""
    for j in 0 1 2; do
        routes+="nats-route://127.0.0.1:$((base + 5 + j)) "
    done
    mkdir -p "$dir/n$i"
    cat >"$dir/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$((base + i))
${monitor:+http: 127.0.0.1:$((base + 10 + i))}
jetstream { store_dir: "$dir/n$i" }
cluster {
  name: cairn_local
  listen: 127.0.0.1:$((base + 5 + i))
  routes: [$(echo "$routes" | sed 's/ $//; s/ /, /g')]
}
CONF
}

start() {
    install_server
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    local bin i
    bin="$(server_bin)"
    for i in 0 1 2; do
        running_pid "$i" >/dev/null && continue
        if listening $((base + i)); then
            echo "port $((base + i)) is already in use; refusing to start" >&2
            exit 1
        fi
        write_config "$i"
        nohup "$bin" -c "$dir/n$i.conf" >"$dir/n$i.log" 2>&1 </dev/null &
        echo $! >"$dir/n$i.pid"
    done
    for i in 0 1 2; do
        for _ in $(seq 1 200); do
            listening $((base + i)) && break
            if ! running_pid "$i" >/dev/null; then
                echo "nats-server n$i exited; see $dir/n$i.log" >&2
                tail -n 20 "$dir/n$i.log" >&2 || true
                exit 1
            fi
            sleep 0.1
        done
        listening $((base + i)) || { echo "nats-server n$i did not listen within 20 s" >&2; exit 1; }
    done
    urls
}

stop() {
    local i pid
    for i in 0 1 2; do
        if pid="$(running_pid "$i")"; then
            kill "$pid"
            for _ in $(seq 1 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$dir/n$i.pid"
    done
    echo "stopped"
}

status() {
    local i
    for i in 0 1 2; do
        listening $((base + i)) || { echo "n$i is not listening on $((base + i))"; exit 1; }
    done
    urls
}

case "$cmd" in
    install) install_server ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 install|start|stop|status [--port BASE] [--dir DIR]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Runs a private ClickHouse server on loopback for development and tests.
#
#   scripts/clickhouse.sh start|stop|status [--port HTTP_PORT] [--tcp-port TCP_PORT] [--dir DIR]
#
# start   installs clickhouse-server when missing (apt-get; needs root), writes a minimal config
#         under DIR (listen 127.0.0.1 only; user `default`, no password, loopback only; data, logs
#         and tmp under DIR), starts the server in the background as the current user, waits
#         until /ping answers and prints the HTTP URL. Starting a running instance is a no-op.
# stop    stops the instance whose pid file is in DIR and waits for it to exit.
# status  prints the URL and exits 0 when the instance answers /ping, else exits 1.
#
# Defaults: HTTP port 8123, TCP port 9000, DIR <repo>/var/clickhouse (the repo ignores /var).
# With --port but no --tcp-port, the TCP port is HTTP port + 1 so private instances don't clash.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"
[ $# -gt 0 ] && shift
http_port=8123
tcp_port=""
dir="$repo/var/clickhouse"
while [ $# -gt 0 ]; do
    case "$1" in
        --port) http_port="$2"; shift 2 ;;
        --tcp-port) tcp_port="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
if [ -z "$tcp_port" ]; then
    if [ "$http_port" = 8123 ]; then tcp_port=9000; else tcp_port=$((http_port + 1)); fi
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
url="http://127.0.0.1:$http_port"
pidfile="$dir/clickhouse.pid"

ping() { curl -fsS --max-time 2 "$url/ping" >/dev/null 2>&1; }

running_pid() {
    [ -f "$pidfile" ] || return 1
    local pid
    pid="$(cat "$pidfile")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

server_bin() {
    if command -v clickhouse-server >/dev/null 2>&1; then
        echo "clickhouse-server"
    elif [ -x /usr/sbin/clickhouse-server ]; then
        echo "/usr/sbin/clickhouse-server"
    elif command -v clickhouse >/dev/null 2>&1; then
        echo "clickhouse server"
    else
        return 1
    fi
}

install_server() {
    server_bin >/dev/null && return 0
    echo "clickhouse-server not found; installing it with apt-get" >&2
    if [ "$(id -u)" != 0 ]; then
        echo "need root to apt-get install clickhouse-server" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq clickhouse-server >/dev/null
    # Debian's package may start a system-wide instance on 8123/9000 (systemd or init.d); stop
    # the service we just installed so it doesn't compete with ours.
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now clickhouse-server >/dev/null 2>&1 || true
    fi
    # Not `/etc/init.d/clickhouse-server stop`: it kills every process running the
    # clickhouse-server binary, private test instances included. Only the system instance's pid.
    if [ -f /var/run/clickhouse-server.pid ]; then
        kill "$(cat /var/run/clickhouse-server.pid)" 2>/dev/null || true
    fi
    server_bin >/dev/null
}

write_config() {
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
    cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
    cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http_port</http_port>
    <tcp_port>$tcp_port</tcp_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
XML
}

start() {
    if running_pid >/dev/null && ping; then
        echo "$url"
        return 0
    fi
    if ping; then
        echo "port $http_port already answers /ping but not from $dir; refusing to start" >&2
        exit 1
    fi
    install_server
    write_config
    local bin
    bin="$(server_bin)"
    # shellcheck disable=SC2086 # "clickhouse server" is two words on purpose
    nohup $bin --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 </dev/null &
    local launcher=$!
    echo "$launcher" >"$pidfile"
    for _ in $(seq 1 300); do
        if ping; then
            echo "$url"
            return 0
        fi
        if ! kill -0 "$launcher" 2>/dev/null; then
            echo "clickhouse-server exited; see $dir/log" >&2
            tail -n 20 "$dir/log/stdout.log" "$dir/log/clickhouse-server.err.log" 2>/dev/null >&2 || true
            exit 1
        fi
        sleep 0.1
    done
    echo "clickhouse-server did not answer $url/ping within 30 s; see $dir/log" >&2
    exit 1
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        echo "not running"
        return 0
    fi
    kill "$pid"
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "stopped"; return 0; }
        sleep 0.1
    done
    echo "clickhouse-server (pid $pid) did not stop within 30 s; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

status() {
    if ping; then
        echo "$url"
        return 0
    fi
    echo "not running ($url)" >&2
    return 1
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status [--port N] [--tcp-port N] [--dir DIR]" >&2; exit 2 ;;
esac

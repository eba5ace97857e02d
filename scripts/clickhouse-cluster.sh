#!/usr/bin/env bash
# Runs a private ClickHouse cluster on loopback for development and tests: one ZooKeeper and N
# ClickHouse 18.16 servers forming the cluster `cairn`.
#
#   scripts/clickhouse-cluster.sh start|stop|status --dir DIR --base-port P [--nodes N]
#
# Ports: ZooKeeper's client port is P; server i (1..N) listens for HTTP on P+10i, native TCP on
# P+10i+1 and replication traffic on P+10i+2, all on 127.0.0.1.
#
# Topology: server i belongs to shard ((i-1) mod 2)+1 as replica `r<i>`. With the default N = 2
# that is two shards of one replica each (sharding, with every table Replicated* so that
# ZooKeeper coordinates DDL and deduplicates inserts); with N = 3 shard 1 gets a second replica
# (server 3), which exercises replication and fail-over. The cluster's `remote_servers` entry sets
# internal_replication, so a Distributed insert writes one replica of a shard and replication
# copies it to the others.
#
# start   writes configs under DIR, starts ZooKeeper and the servers in the background as the
#         current user, waits until each answers and prints the HTTP URLs, one per line (the
#         first is the one to connect to). Starting a running cluster is a no-op.
# stop    stops the servers and ZooKeeper whose pid files are in DIR.
# status  prints the URLs and exits 0 when every server answers /ping.
# node-stop I / node-start I   stop (SIGKILL) or start server I alone (fail-over tests).
# install installs what `start` needs when missing (scripts/test.sh runs it before any test, so
#         that nothing is installed while tests run); needs no --dir nor --base-port.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"
[ $# -gt 0 ] && shift
arg=""
case "$cmd" in node-stop|node-start) arg="${1:-}"; shift ;; esac
dir=""
base=""
nodes=2
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir="$2"; shift 2 ;;
        --base-port) base="$2"; shift 2 ;;
        --nodes) nodes="$2"; shift 2 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
if [ "$cmd" = install ]; then
    dir="${dir:-/tmp}"
    base="${base:-0}"
fi
if [ -z "$dir" ] || [ -z "$base" ]; then
    echo "usage: $0 install | start|stop|status|node-stop I|node-start I --dir DIR --base-port P [--nodes N]" >&2
    exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
zk_port="$base"
http_port() { echo $((base + 10 * $1)); }
url() { echo "http://127.0.0.1:$(http_port "$1")"; }
ping_node() { curl -fsS --max-time 2 "$(url "$1")/ping" >/dev/null 2>&1; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# What `start` needs, installed with apt-get when missing (as scripts/clickhouse.sh does for
# clickhouse-server): Debian's `zookeeper` (the server's jars; Debian's `zookeeperd` service is
# not installed, so nothing else starts) and `clickhouse-server`.
install_missing() {
    local missing=""
    [ -f /usr/share/java/zookeeper.jar ] || missing="$missing zookeeper"
    command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
    command -v clickhouse-server >/dev/null 2>&1 || missing="$missing clickhouse-server"
    [ -z "$missing" ] && return 0
    echo "installing with apt-get:$missing" >&2
    local installs_server=no
    case "$missing" in *clickhouse-server*) installs_server=yes ;; esac
    if [ "$(id -u)" != 0 ]; then
        echo "need root to apt-get install$missing" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
    # Debian's clickhouse-server package may start a system-wide instance: stop it (only when
    # this run installed the package, so that nothing else is touched).
    [ "$installs_server" = yes ] || return 0
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now clickhouse-server >/dev/null 2>&1 || true
    fi
    # Not `/etc/init.d/clickhouse-server stop`: it kills every process running the
    # clickhouse-server binary, private test instances included. Only the system instance's pid.
    if [ -f /var/run/clickhouse-server.pid ]; then
        kill "$(cat /var/run/clickhouse-server.pid)" 2>/dev/null || true
    fi
}

zk_start() {
    alive "$dir/zk/zk.pid" && return 0
    mkdir -p "$dir/zk/data"
    cat >"$dir/zk/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/zk/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
    local cp=/etc/zookeeper/conf
    for j in zookeeper zookeeper-jute slf4j-api slf4j-simple netty-handler netty-common \
        netty-buffer netty-transport netty-codec netty-resolver; do
        cp="$cp:/usr/share/java/$j.jar"
    done
    nohup java -Xmx256m -cp "$cp" org.apache.zookeeper.server.ZooKeeperServerMain \
        "$dir/zk/zoo.cfg" >"$dir/zk/zk.log" 2>&1 </dev/null &
    echo $! >"$dir/zk/zk.pid"
    for _ in $(seq 1 150); do
        if [ "$(echo ruok | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$zk_port; cat >&3; cat <&3" 2>/dev/null)" = imok ]; then
            return 0
        fi
        sleep 0.2
    done
    echo "ZooKeeper did not answer on $zk_port; see $dir/zk/zk.log" >&2
    tail -n 20 "$dir/zk/zk.log" >&2
    exit 1
}

node_config() {
    local i=$1
    local d="$dir/ch$i"
    mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas" "$d/log"
    local shards="" s r
    for s in 1 2; do
        shards="$shards<shard><internal_replication>true</internal_replication>"
        for r in $(seq 1 "$nodes"); do
            if [ $(((r - 1) % 2 + 1)) = "$s" ]; then
                shards="$shards<replica><host>127.0.0.1</host><port>$(($(http_port "$r") + 1))</port></replica>"
            fi
        done
        shards="$shards</shard>"
    done
    cat >"$d/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
    </interval></default></quotas>
</yandex>
XML
    cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$d/log/clickhouse-server.log</log>
        <errorlog>$d/log/clickhouse-server.err.log</errorlog><size>100M</size><count>3</count></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$(http_port "$i")</http_port>
    <tcp_port>$(($(http_port "$i") + 1))</tcp_port>
    <interserver_http_port>$(($(http_port "$i") + 2))</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>134217728</uncompressed_cache_size>
    <mark_cache_size>134217728</mark_cache_size>
    <path>$d/data/</path>
    <tmp_path>$d/tmp/</tmp_path>
    <user_files_path>$d/user_files/</user_files_path>
    <format_schema_path>$d/format_schemas/</format_schema_path>
    <users_config>$d/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <remote_servers><cairn>$shards</cairn></remote_servers>
    <zookeeper><node><host>127.0.0.1</host><port>$zk_port</port></node>
        <session_timeout_ms>10000</session_timeout_ms></zookeeper>
    <macros><shard>$(((i - 1) % 2 + 1))</shard><replica>r$i</replica></macros>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
XML
}

node_start() {
    local i=$1
    local d="$dir/ch$i"
    if alive "$d/clickhouse.pid" && ping_node "$i"; then return 0; fi
    if ping_node "$i"; then
        echo "port $(http_port "$i") already answers /ping but not from $d; refusing" >&2
        exit 1
    fi
    node_config "$i"
    nohup clickhouse-server --config-file="$d/config.xml" >"$d/log/stdout.log" 2>&1 </dev/null &
    echo $! >"$d/clickhouse.pid"
}

node_wait() {
    local i=$1
    local d="$dir/ch$i"
    for _ in $(seq 1 600); do
        ping_node "$i" && return 0
        if ! alive "$d/clickhouse.pid"; then
            echo "clickhouse-server $i exited; see $d/log" >&2
            tail -n 20 "$d/log/stdout.log" "$d/log/clickhouse-server.err.log" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.1
    done
    echo "clickhouse-server $i did not answer within 60 s" >&2
    exit 1
}

query() { curl -fsS --max-time "${3:-10}" "$(url "$1")/" --data-binary "$2"; }

# Every server answers and runs ON CLUSTER statements: a no-op distributed DDL statement comes
# back from every server (their DDL workers have a ZooKeeper session). A server that exited in
# the meantime is started again; after 120 s the start fails.
cluster_wait() {
    local started=$SECONDS i
    while :; do
        for i in $(seq 1 "$nodes"); do
            if ! alive "$dir/ch$i/clickhouse.pid"; then
                echo "clickhouse-server $i exited while the cluster started; starting it again" >&2
                tail -n 5 "$dir/ch$i/log/clickhouse-server.err.log" >&2 2>/dev/null || true
                node_start "$i"
                node_wait "$i"
            fi
        done
        if query 1 "DROP DATABASE IF EXISTS cairn_cluster_ready ON CLUSTER cairn" 60 >/dev/null 2>&1; then
            return 0
        fi
        if [ $((SECONDS - started)) -gt 120 ]; then
            echo "the cluster did not run a distributed DDL statement within 120 s; see $dir/ch*/log" >&2
            exit 1
        fi
        sleep 1
    done
}

stop_pid() {
    local pidfile=$1 sig=${2:-TERM}
    alive "$pidfile" || { rm -f "$pidfile"; return 0; }
    local pid
    pid="$(cat "$pidfile")"
    kill -"$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

case "$cmd" in
    install) install_missing ;;
    start)
        install_missing
        zk_start
        # One server after the other: 18.16 servers that start together race to create the
        # distributed DDL queue in ZooKeeper, and the loser can crash (a NULL pointer in
        # ZooKeeper::createImpl, seen 1 start in 4 on a busy machine).
        for i in $(seq 1 "$nodes"); do node_start "$i"; node_wait "$i"; done
        cluster_wait
        for i in $(seq 1 "$nodes"); do url "$i"; done
        ;;
    stop)
        for i in $(seq 1 "$nodes"); do stop_pid "$dir/ch$i/clickhouse.pid"; done
        stop_pid "$dir/zk/zk.pid"
        echo stopped
        ;;
    status)
        for i in $(seq 1 "$nodes"); do ping_node "$i" || { echo "server $i not answering" >&2; exit 1; }; url "$i"; done
        ;;
    node-stop) stop_pid "$dir/ch$arg/clickhouse.pid" KILL ;;
    node-start) node_start "$arg"; node_wait "$arg"; url "$arg" ;;
    *) echo "usage: $0 install | start|stop|status|node-stop I|node-start I --dir DIR --base-port P [--nodes N]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Bytes on disk per stored statement: the data directory (by keyspace) and ClickHouse's active
# parts (by table), each divided by the number of statements ClickHouse holds.
#
#   load-tests/disk.sh DATA_DIR CLICKHOUSE_URL DATABASE
#
# load-tests/run.sh calls it after the ingest, lag and fill scenarios. Run it by hand after
# ClickHouse has merged (for example `OPTIMIZE TABLE … FINAL`, or minutes later) for the settled
# figure; right after an ingest, parts are not merged yet and the figure is higher.
set -euo pipefail
data="$1"; ch="$2"; db="$3"
q() { curl -fsS "$ch/?database=$db" --data-binary "$1"; }

n="$(q 'SELECT count() FROM statements')"
if [ "$n" -eq 0 ]; then echo "disk: no statements stored"; exit 0; fi
per() { awk -v b="$1" -v n="$n" 'BEGIN { printf "%.0f", b / n }'; }

dir_bytes="$(du -sb "$data" | cut -f1)"
ch_bytes="$(q "SELECT sum(bytes) FROM system.parts WHERE database = '$db' AND active")"
echo "disk: $n statements; $(per $((dir_bytes + ch_bytes))) B per statement" \
    "(data directory $(per "$dir_bytes"), ClickHouse $(per "$ch_bytes"))"

# fjall's write-ahead journal (*.jnl) is bounded by its size limit, whatever the store holds;
# the tables hold the statements, their indexes, documents and attachments.
jnl="$(find "$data" -name '*.jnl' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')"
echo "  data directory: tables $(per $((dir_bytes - jnl))), write-ahead journal $(per "$jnl")"
q "SELECT table, sum(bytes) FROM system.parts WHERE database = '$db' AND active
   GROUP BY table ORDER BY sum(bytes) DESC FORMAT TSV" |
    awk -v n="$n" 'BEGIN { printf "  ClickHouse by table:" }
                   { printf " %s %.0f", $1, $2 / n } END { print "" }'

//! The feeds of the fan-out views (schema/0010_feeds.sql) against the SQL they replaced: after an
//! insert through the projection, `query_values` and `statement_key_index` hold exactly what the old
//! views computed from `statements` (and what the `query_values` rebuild still computes).
mod common;

use cairn_clickhouse::{samples, values};
use cairn_core::Projection;

type ValueRow = (String, String, String, String, u64, i64, i64);
type KeyRow = (String, String, String, u64, u8);

const VALUES: &str = "SELECT toString(store), toString(month), path, value, \
     countMerge(statements), minMerge(first_seen_us), maxMerge(last_seen_us) FROM query_values \
     GROUP BY store, month, path, value ORDER BY store, month, path, value";

const KEYS: &str = "SELECT toString(store), kind, key, seq, direct FROM statement_key_index \
     ORDER BY store, kind, key, seq, direct";

/// The fan-out of `schema/0009_statement_keys.sql`, in SQL over `statements`.
const KEYS_FROM_STATEMENTS: &str = "SELECT toString(store), k.1 AS kind, k.2 AS key, seq, k.3 \
     FROM statements ARRAY JOIN arrayConcat(
        arrayMap(x -> ('agent', x, toUInt8(1)), agents),
        arrayMap(x -> ('agent', x, toUInt8(0)), related_agents),
        arrayMap(x -> ('verb', x, toUInt8(1)), verbs),
        arrayMap(x -> ('activity', x, toUInt8(1)), activities),
        arrayMap(x -> ('activity', x, toUInt8(0)), related_activities),
        arrayMap(x -> ('registration', x, toUInt8(1)), registrations)) AS k
     ORDER BY store, kind, key, seq, k.3";

async fn rows<T: clickhouse::RowOwned + clickhouse::RowRead>(
    p: &cairn_clickhouse::ClickHouseProjection,
    sql: &str,
) -> Vec<T> {
    p.client().query(sql).fetch_all().await.unwrap()
}

#[tokio::test]
async fn feeds_fill_the_views_exactly_as_the_sql_over_statements() {
    let p = common::fresh_projection().await;
    p.migrate().await.unwrap();
    let records = samples::records();
    let (first, second) = records.split_at(records.len() / 2);
    // Two inserts, so the aggregate states of one value are merged across parts too.
    p.insert(first, &[]).await.unwrap();
    p.insert(second, &[]).await.unwrap();

    let from_statements = format!(
        "SELECT toString(store), toString(month), path, value, count(), min(stored_us), \
         max(stored_us) FROM (SELECT store, toStartOfMonth(stored) AS month, pair.1 AS path, \
         pair.2 AS value, stored_us FROM statements {}) \
         GROUP BY store, month, path, value ORDER BY store, month, path, value",
        values::pairs()
    );
    let want: Vec<ValueRow> = rows(&p, &from_statements).await;
    let got: Vec<ValueRow> = rows(&p, VALUES).await;
    assert!(
        want.len() > 50,
        "the samples carry many values: {}",
        want.len()
    );
    assert!(
        want.iter().any(|r| r.2.contains("extensions.")),
        "the samples carry extensions"
    );
    assert_eq!(got, want);
    // The statement count of each month (path '') is what the reconcile compares.
    let months: u64 = got.iter().filter(|r| r.2.is_empty()).map(|r| r.4).sum();
    assert_eq!(months, records.len() as u64);

    let want: Vec<KeyRow> = rows(&p, KEYS_FROM_STATEMENTS).await;
    let got: Vec<KeyRow> = rows(&p, KEYS).await;
    assert!(want.len() > records.len(), "{}", want.len());
    assert_eq!(got, want);

    // The rebuild after `discard_after` (SQL over `statements`) lands on the same table.
    p.client()
        .query(&format!("TRUNCATE TABLE {}", p.mutable("query_values")))
        .execute()
        .await
        .unwrap();
    p.reconcile_values().await.unwrap();
    let rebuilt: Vec<ValueRow> = rows(&p, VALUES).await;
    let fed: Vec<ValueRow> = rows(&p, &from_statements).await;
    assert_eq!(rebuilt, fed);

    // The SQL fan-out, for rows written to `statements` directly, gives the same tables.
    for table in ["query_values", "statement_key_index"] {
        p.client()
            .query(&format!("TRUNCATE TABLE {}", p.mutable(table)))
            .execute()
            .await
            .unwrap();
    }
    p.feed_from_statements(0, u64::MAX).await.unwrap();
    let values: Vec<ValueRow> = rows(&p, VALUES).await;
    assert_eq!(values, fed);
    let keys: Vec<KeyRow> = rows(&p, KEYS).await;
    let want: Vec<KeyRow> = rows(&p, KEYS_FROM_STATEMENTS).await;
    assert_eq!(keys, want);
    common::cleanup(&p).await;
}

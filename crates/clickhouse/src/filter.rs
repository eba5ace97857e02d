//! Running the filter language (`cairn-filter`) on the projection: statements of a store that
//! match a filter, and the one way analytics queries reach ClickHouse ([`query`]).
use cairn_core::StoreId;
use cairn_filter::{Filter, Param};
use clickhouse::Client;
use clickhouse::query::Query;

/// ClickHouse's default `max_query_size` (bytes of SQL it parses).
const DEFAULT_MAX_QUERY_SIZE: usize = 256 << 10;

/// `SELECT seq … WHERE store = ? AND <filter>`: the sequence numbers of matching statements, each
/// once (rows replayed before a merge are grouped), in order.
pub fn matching_seqs(
    client: &Client,
    store: StoreId,
    filter: &Filter,
    now_us: i64,
    limit: u64,
) -> Query {
    let sql = filter.to_sql(now_us);
    let persona = crate::persona::filter_uses(filter);
    let join = if persona { crate::persona::JOIN } else { "" };
    let text = format!(
        "SELECT seq FROM statements{join} WHERE store = toUUID(?) AND {} GROUP BY seq ORDER BY seq LIMIT ?",
        sql.clause
    );
    let mut params = Vec::with_capacity(sql.params.len() + 3);
    if persona {
        params.push(Param::Str(store.0.to_string()));
    }
    params.push(Param::Str(store.0.to_string()));
    params.extend(sql.params);
    params.push(Param::I64(i64::try_from(limit).unwrap_or(i64::MAX)));
    query(client, &text, &params)
}

/// The query `sql` with its `?` placeholders replaced by `params` in placeholder order, in time
/// linear in the text and the values (binding them one by one with `Query::bind` costs time
/// quadratic in their number: 14 s for a 60,000-value `in`). Values are written as escaped
/// literals by [`cairn_filter::inline`]; the text is then sent as is. A text longer than
/// ClickHouse's default `max_query_size` raises that setting for this query, so a filter
/// within the configured limits is never refused by the database for its size.
pub fn query(client: &Client, sql: &str, params: &[Param]) -> Query {
    raw(client, cairn_filter::inline(sql, params))
}

/// Values in a query that [`query_off_runtime`] still binds on the calling task: below this,
/// writing them costs microseconds and a hop to the blocking pool would cost more.
pub const BIND_ON_TASK_MAX_PARAMS: usize = 64;

/// [`query`] for callers on the async runtime: a query with many values (a large `in` list, as
/// many as `filter_max_values` allows) is written on the blocking pool, so no worker is held
/// by its size.
pub async fn query_off_runtime(client: &Client, sql: String, params: Vec<Param>) -> Query {
    if params.len() <= BIND_ON_TASK_MAX_PARAMS {
        return query(client, &sql, &params);
    }
    let text = tokio::task::spawn_blocking(move || cairn_filter::inline(&sql, &params))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    raw(client, text)
}

fn raw(client: &Client, text: String) -> Query {
    let q = client.query_raw(&text);
    if text.len() + 4096 > DEFAULT_MAX_QUERY_SIZE {
        q.with_setting("max_query_size", (text.len() + (64 << 10)).to_string())
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Binding one placeholder at a time scanned every earlier one: a 60,000-value `in` took
    /// 14 s of an async worker. The whole query is now written in one pass (`inline`), every
    /// value escaped in place. (Its cost is measured by the `filter_sql` bench, not here.)
    #[test]
    fn a_long_in_list_is_written_whole_and_escaped() {
        let n = 200_000;
        let values: Vec<_> = (0..n).map(|i| format!("http://v/{i}?q='x'")).collect();
        let f = Filter::parse(&serde_json::json!({"field": "verb", "in": values})).unwrap();
        let q = matching_seqs(&Client::default(), StoreId::DEFAULT, &f, 0, 10);
        let sql = q.sql_display().to_string();
        assert!(sql.starts_with("SELECT seq FROM statements WHERE store = toUUID('"));
        assert!(sql.contains(r"(verb IN ('http://v/0?q=\'x\'', 'http://v/1?q=\'x\''"));
        assert!(sql.ends_with(r"'http://v/199999?q=\'x\'')) GROUP BY seq ORDER BY seq LIMIT 10"));
    }
}

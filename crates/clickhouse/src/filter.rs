//! Running the filter language (`cairn-filter`) on the projection: statements of a store that
//! match a filter, with every value bound as a parameter.
use cairn_core::StoreId;
use cairn_filter::{Filter, Param};
use clickhouse::Client;
use clickhouse::query::Query;

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
    let mut q = client.query(&text);
    if persona {
        q = q.bind(store.0.to_string());
    }
    let q = q.bind(store.0.to_string());
    bind_params(q, &sql.params).bind(limit)
}

/// Binds filter parameters in placeholder order.
pub fn bind_params(mut q: Query, params: &[Param]) -> Query {
    for p in params {
        q = match p {
            Param::Str(s) => q.bind(s.as_str()),
            Param::F64(x) => q.bind(*x),
            Param::I64(x) => q.bind(*x),
            Param::U8(x) => q.bind(*x),
        };
    }
    q
}

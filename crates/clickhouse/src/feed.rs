//! The narrow feeds of the fan-out views (schema/0010_feeds.sql). `query_values_mv` and
//! `statement_keys_mv` turn one statement into many rows with ARRAY JOIN, and ClickHouse 18.16
//! copies every column of the source block for each of those rows, the statement's JSON
//! included (about 40 copies of 3 KB per statement). So the projector computes each statement's
//! fan-out here, as parallel arrays, and inserts them into `Null` tables that hold only what the
//! views need; the views ARRAY JOIN those arrays.
use crate::row::StatementRow;
use crate::{ClickHouseProjection, err};
use cairn_core::ProjectionError;
use clickhouse::Row;
use serde::Serialize;
use uuid::Uuid;

/// One statement's (path, value) pairs for `query_values`: what `values::PAIRS_EXPR` computes in SQL
/// from `statements` (the rebuild after `discard_after` still runs that SQL; tests hold the two
/// equal).
#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct ValuesFeedRow<'a> {
    #[serde(with = "clickhouse::serde::uuid")]
    pub store: Uuid,
    pub stored: u32,
    pub stored_us: i64,
    pub paths: Vec<&'a str>,
    pub vals: Vec<&'a str>,
}

impl<'a> ValuesFeedRow<'a> {
    pub fn of(row: &'a StatementRow<'a>) -> Self {
        // At most: the leading empty pair, ten single values, the lists, two per extension.
        let most = 11
            + row.agents.len()
            + row.context_parent.len()
            + row.context_grouping.len()
            + row.context_category.len()
            + row.context_other.len()
            + 2 * row.ext_keys.len();
        let mut paths: Vec<&str> = Vec::with_capacity(most);
        let mut vals: Vec<&str> = Vec::with_capacity(most);
        paths.push("");
        vals.push("");
        let mut push = |path: &'a str, value: &'a str| {
            if !value.is_empty() {
                paths.push(path);
                vals.push(value);
            }
        };
        for (path, value) in [
            ("actor", &row.actor_ifi),
            ("verb", &row.verb),
            ("object.type", &row.object_type),
            ("object.id", &row.object_id),
            ("activity.type", &row.activity_type),
            ("registration", &row.registration),
            ("context.platform", &row.platform),
            ("context.language", &row.language),
            ("authority", &row.authority),
            ("version", &row.version),
        ] {
            push(path, value);
        }
        for (path, values) in [
            ("agents", row.agents),
            ("context.parent", row.context_parent),
            ("context.grouping", row.context_grouping),
            ("context.category", row.context_category),
            ("context.other", row.context_other),
        ] {
            for v in values {
                push(path, v);
            }
        }
        // Each extension key under its container, each value under its full path.
        for (key, value) in row.ext_keys.iter().zip(row.ext_values.iter()) {
            if let Some((container, iri)) = split_extension(key) {
                push(container, iri);
            }
            push(key, value);
        }
        ValuesFeedRow {
            store: row.store,
            stored: row.stored,
            stored_us: row.stored_us,
            paths,
            vals,
        }
    }
}

/// `result.extensions.<IRI>` → (`result.extensions`, `<IRI>`), split at the first
/// `extensions.` the way the SQL does (`position`, `substring`).
fn split_extension(key: &str) -> Option<(&str, &str)> {
    // One searcher for every key (`str::find` would build one per call).
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("extensions."));
    let at = FINDER.find(key.as_bytes())?;
    Some((
        &key[..at + "extensions".len()],
        &key[at + "extensions.".len()..],
    ))
}

/// One statement's entries in `statement_key_index`: every agent, verb, activity and registration,
/// with whether it is direct (the actor or object) or related (context, sub-statement).
#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct KeysFeedRow<'a> {
    #[serde(with = "clickhouse::serde::uuid")]
    pub store: Uuid,
    pub seq: u64,
    pub stored: u32,
    pub kinds: Vec<&'static str>,
    pub keys: Vec<&'a str>,
    pub directs: Vec<u8>,
}

impl<'a> KeysFeedRow<'a> {
    pub fn of(row: &'a StatementRow<'a>) -> Self {
        let n = row.agents.len()
            + row.related_agents.len()
            + row.verbs.len()
            + row.activities.len()
            + row.related_activities.len()
            + row.registrations.len();
        let mut out = KeysFeedRow {
            store: row.store,
            seq: row.seq,
            stored: row.stored,
            kinds: Vec::with_capacity(n),
            keys: Vec::with_capacity(n),
            directs: Vec::with_capacity(n),
        };
        for (kind, values, direct) in [
            ("agent", row.agents, 1),
            ("agent", row.related_agents, 0),
            ("verb", row.verbs, 1),
            ("activity", row.activities, 1),
            ("activity", row.related_activities, 0),
            ("registration", row.registrations, 1),
        ] {
            for v in values {
                out.kinds.push(kind);
                out.keys.push(v);
                out.directs.push(direct);
            }
        }
        out
    }
}

/// The same fan-outs in SQL, from the `statements` rows with `lo < seq <= hi` (bound `?`, `?`):
/// for rows written to `statements` by other means than the projector (tests, the chDB check).
/// `feeds_fill_the_views_exactly_as_the_sql_over_statements` holds them equal to the Rust ones.
pub fn from_statements_sql() -> [String; 2] {
    let kinds = "arrayConcat(arrayMap(x -> 'agent', agents), arrayMap(x -> 'agent', related_agents), \
         arrayMap(x -> 'verb', verbs), arrayMap(x -> 'activity', activities), \
         arrayMap(x -> 'activity', related_activities), arrayMap(x -> 'registration', registrations))";
    let keys = "arrayConcat(agents, related_agents, verbs, activities, related_activities, \
         registrations)";
    let directs = "arrayConcat(arrayMap(x -> toUInt8(1), agents), \
         arrayMap(x -> toUInt8(0), related_agents), arrayMap(x -> toUInt8(1), verbs), \
         arrayMap(x -> toUInt8(1), activities), arrayMap(x -> toUInt8(0), related_activities), \
         arrayMap(x -> toUInt8(1), registrations))";
    [
        format!(
            "INSERT INTO query_values_feed (store, stored, stored_us, paths, vals) \
             SELECT store, stored, stored_us, arrayMap(p -> p.1, pairs), arrayMap(p -> p.2, pairs) \
             FROM (SELECT store, stored, stored_us, {} AS pairs FROM statements \
             WHERE seq > ? AND seq <= ?)",
            crate::values::PAIRS_EXPR
        ),
        format!(
            "INSERT INTO statement_keys_feed (store, seq, stored, kinds, keys, directs) \
             SELECT store, seq, stored, {kinds}, {keys}, {directs} FROM statements \
             WHERE seq > ? AND seq <= ?"
        ),
    ]
}

impl ClickHouseProjection {
    /// Feeds the fan-out views from the `statements` rows with `lo < seq <= hi` (see
    /// [`from_statements_sql`]). Each row must be fed once.
    pub async fn feed_from_statements(&self, lo: u64, hi: u64) -> Result<(), ProjectionError> {
        for sql in from_statements_sql() {
            self.client()
                .query(&sql)
                .bind(lo)
                .bind(hi)
                .execute()
                .await
                .map_err(err("feed from statements"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_keys_split_at_their_container() {
        assert_eq!(
            split_extension("result.extensions.http://x.org/e.extensions.y"),
            Some(("result.extensions", "http://x.org/e.extensions.y"))
        );
        assert_eq!(
            split_extension("object.definition.extensions.urn:a"),
            Some(("object.definition.extensions", "urn:a"))
        );
        assert_eq!(split_extension("verb"), None);
    }
}

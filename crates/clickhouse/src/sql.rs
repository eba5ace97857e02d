//! The SQL behind `query_seqs`: a filtered, paged read of sequence numbers, with every value
//! bound through the client (`?` placeholders), never pasted into the text.
pub use crate::windows::{SeqRange, Windows};
use cairn_core::{Page, StatementQuery};
use clickhouse::{Client, query::Query};

// Every other statement the adapter sends (`?` is bound by the client; table names are bound as
// identifiers). `examples/print_sql.rs` exports them with values so chDB runs them too.
pub const CREATE_DATABASE: &str = "CREATE DATABASE IF NOT EXISTS ?";
pub const APPLIED_MIGRATIONS: &str =
    "SELECT version FROM schema_migrations GROUP BY version ORDER BY version";
pub const RECORD_MIGRATION: &str =
    "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, now())";
pub const MAX_SEQ: &str = "SELECT max(seq) FROM statements";
/// Whether a column exists (the migration runner's guard for `ADD COLUMN`).
pub const COLUMN_EXISTS: &str = "SELECT count() FROM system.columns \
     WHERE database = ? AND table = ? AND name = ?";
pub const DROP_TABLE: &str = "DROP TABLE IF EXISTS ?";
pub const TRUNCATE: &str = "TRUNCATE TABLE ?";
/// Rows of a table (first identifier) whose seq column (second identifier) is above a seq.
pub const COUNT_ABOVE: &str = "SELECT count() FROM ? WHERE ? > ?";
pub const DELETE_ABOVE: &str = "ALTER TABLE ? DELETE WHERE ? > ?";
/// Mutations of the seq-keyed tables still running (18.16 has no `mutations_sync`).
pub const PENDING_MUTATIONS: &str = "SELECT count() FROM system.mutations \
     WHERE database = ? AND table IN ('statements', 'voids', 'voided', 'actor_hours', \
     'statements_hourly', 'query_values', 'persona_identifiers', 'statement_key_index') AND is_done = 0";

/// A value bound to one `?` of a [`SeqQuery`].
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    U64(u64),
    I64(i64),
}

/// The SQL template and its parameters, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub struct SeqQuery {
    pub sql: String,
    pub params: Vec<Param>,
}

impl SeqQuery {
    /// Builds the read for `query` within `page`, scanning `statements`.
    ///
    /// `GROUP BY seq` returns each statement once even while a replayed insert has left two rows
    /// for it that ReplacingMergeTree has not merged yet. It is cheaper than `FINAL` (which
    /// merges every selected part), and unlike `SELECT DISTINCT seq` it is right on 18.16, whose
    /// DISTINCT returns duplicates when the WHERE clause holds an `IN (subquery)`.
    pub fn build(query: &StatementQuery, page: &Page) -> Self {
        let range = SeqRange::of(query, page);
        Self::build_with(query, range, page.limit, None)
    }

    /// [`SeqQuery::build`] within `range`, up to `limit` seqs. Reads without a key search the
    /// newest statements first in growing windows of seq (the table is ordered by seq).
    pub fn build_range(query: &StatementQuery, range: SeqRange, limit: usize) -> Self {
        Self::build_with(query, range, limit, None)
    }

    /// The key that drives a two-step read: a registration, an activity, an agent or a verb,
    /// in that order (the rarer kinds first), with whether only direct occurrences count.
    pub fn driver(query: &StatementQuery) -> Option<(&'static str, &String, bool)> {
        [
            ("registration", &query.registration, true),
            ("activity", &query.activity, !query.related_activities),
            ("agent", &query.agent, !query.related_agents),
            ("verb", &query.verb, true),
        ]
        .into_iter()
        .find_map(|(kind, v, direct)| v.as_ref().map(|v| (kind, v, direct)))
    }

    /// Step one of a two-step read: up to `n` seqs of the query's driving key within `range`,
    /// in the query's order, read from one primary-key range of `statement_key_index` (the seq bounds
    /// prune it to the granules of the window), voided statements left out. `None` when the
    /// query names no key.
    pub fn candidates(query: &StatementQuery, range: SeqRange, n: u64) -> Option<Self> {
        let (kind, key, direct) = Self::driver(query)?;
        let store = query.store.0.to_string();
        let mut sql = String::from(
            "SELECT seq FROM statement_key_index WHERE store = toUUID(?) AND kind = ? AND key = ? \
             AND seq > ? AND seq <= ?",
        );
        let mut params = vec![
            Param::Str(store.clone()),
            Param::Str(kind.into()),
            Param::Str(key.clone()),
            Param::U64(range.above),
            Param::U64(range.upto),
        ];
        if direct && matches!(kind, "agent" | "activity") {
            sql.push_str(" AND direct = 1");
        }
        sql.push_str(" AND seq NOT IN (SELECT seq FROM voided WHERE store = toUUID(?))");
        params.push(Param::Str(store));
        let order = if query.ascending { "ASC" } else { "DESC" };
        sql.push_str(&format!(" GROUP BY seq ORDER BY seq {order} LIMIT ?"));
        params.push(Param::U64(n));
        Some(SeqQuery { sql, params })
    }

    /// Whether the query's driving key is its only condition: then its candidates are the page
    /// (voided statements are dropped by the statement service, which asks again for more).
    pub fn key_only(query: &StatementQuery) -> bool {
        let keys = [
            &query.registration,
            &query.activity,
            &query.agent,
            &query.verb,
        ]
        .iter()
        .filter(|k| k.is_some())
        .count();
        keys == 1
            && query.since_us.is_none()
            && query.until_us.is_none()
            && query.authority.is_none()
    }

    /// Step two: the page's statements among `seqs` (candidates of step one), every condition
    /// of the query applied on `statements`; the literal list lets ClickHouse read only the
    /// granules that hold them. Seqs are numbers the server read back, inlined because 18.16
    /// rejects a bound array on the right of `IN`.
    pub fn build_in(query: &StatementQuery, page: &Page, seqs: &[u64]) -> Self {
        let range = SeqRange::of(query, page);
        Self::build_with(query, range, page.limit, Some(seqs))
    }

    fn build_with(
        query: &StatementQuery,
        range: SeqRange,
        limit: usize,
        seqs: Option<&[u64]>,
    ) -> Self {
        let store = query.store.0.to_string();
        let mut conds = vec!["store = toUUID(?)".to_string()];
        let mut params = vec![Param::Str(store.clone())];
        if range.above > 0 {
            conds.push("seq > ?".into());
            params.push(Param::U64(range.above));
        }
        conds.push("seq <= ?".into());
        params.push(Param::U64(range.upto));
        let mut has = |column: &str, value: &Option<String>| {
            if let Some(v) = value {
                conds.push(format!("has({column}, ?)"));
                params.push(Param::Str(v.clone()));
            }
        };
        has(
            if query.related_agents {
                "related_agents"
            } else {
                "agents"
            },
            &query.agent,
        );
        has("verbs", &query.verb);
        has(
            if query.related_activities {
                "related_activities"
            } else {
                "activities"
            },
            &query.activity,
        );
        has("registrations", &query.registration);
        if let Some(seqs) = seqs {
            let list: Vec<String> = seqs.iter().map(u64::to_string).collect();
            conds.push(format!("seq IN ({})", list.join(", ")));
        }
        if let Some(a) = &query.authority {
            conds.push("authority = ?".into());
            params.push(Param::Str(a.clone()));
        }
        if let Some(since) = query.since_us {
            conds.push("stored_us > ?".into());
            params.push(Param::I64(since));
        }
        if let Some(until) = query.until_us {
            conds.push("stored_us <= ?".into());
            params.push(Param::I64(until));
        }
        conds.push(
            "statement_id NOT IN (SELECT voided_id FROM voids WHERE store = toUUID(?))".into(),
        );
        params.push(Param::Str(store));
        params.push(Param::U64(limit as u64));
        let order = if query.ascending { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT seq FROM statements WHERE {} GROUP BY seq ORDER BY seq {order} LIMIT ?",
            conds.join(" AND ")
        );
        SeqQuery { sql, params }
    }

    /// The client query with every parameter bound.
    pub fn bind(&self, client: &Client) -> Query {
        self.params
            .iter()
            .fold(client.query(&self.sql), |q, p| match p {
                Param::Str(s) => q.bind(s.as_str()),
                Param::U64(n) => q.bind(*n),
                Param::I64(n) => q.bind(*n),
            })
    }

    /// The SQL with the values substituted the way the client substitutes them (for tests on
    /// other engines, such as scripts/chdb_check.py, and for logs).
    pub fn to_literal_sql(&self) -> String {
        self.bind(&Client::default()).sql_display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::StoreId;

    fn page() -> Page {
        Page {
            max_seq: 100,
            after: None,
            limit: 10,
        }
    }

    #[test]
    fn minimal_query_is_store_window_and_voids() {
        let q = SeqQuery::build(&StatementQuery::new(StoreId::DEFAULT), &page());
        assert_eq!(
            q.sql,
            "SELECT seq FROM statements WHERE store = toUUID(?) AND seq <= ? AND \
             statement_id NOT IN (SELECT voided_id FROM voids WHERE store = toUUID(?)) \
             GROUP BY seq ORDER BY seq DESC LIMIT ?"
        );
        assert_eq!(q.params.len(), 4);
        assert_eq!(q.sql.matches('?').count(), q.params.len());
    }

    #[test]
    fn every_filter_adds_a_bound_condition() {
        let mut sq = StatementQuery::new(StoreId::DEFAULT);
        sq.agent = Some("mbox:mailto:o'brien@example.com".into());
        sq.related_agents = true;
        sq.verb = Some("v".into());
        sq.activity = Some("a".into());
        sq.registration = Some("r".into());
        sq.since_us = Some(1);
        sq.until_us = Some(2);
        sq.ascending = true;
        let q = SeqQuery::build(
            &sq,
            &Page {
                after: Some(5),
                ..page()
            },
        );
        for c in [
            "seq > ?",
            "has(related_agents, ?)",
            "has(verbs, ?)",
            "has(activities, ?)",
            "has(registrations, ?)",
            "stored_us > ?",
            "stored_us <= ?",
            "ORDER BY seq ASC",
        ] {
            assert!(q.sql.contains(c), "{c} missing from {}", q.sql);
        }
        assert_eq!(q.sql.matches('?').count(), q.params.len());
        let literal = q.to_literal_sql();
        assert!(
            literal.contains(r"has(related_agents, 'mbox:mailto:o\'brien@example.com')"),
            "{literal}"
        );
        assert!(literal.ends_with("LIMIT 10"), "{literal}");
        assert!(!literal.contains('?'));
    }

    #[test]
    fn the_rarest_key_drives_a_key_range_read() {
        let mut sq = StatementQuery::new(StoreId::DEFAULT);
        let all = SeqRange {
            above: 0,
            upto: 100,
        };
        assert!(SeqQuery::candidates(&sq, all, 10).is_none());
        sq.verb = Some("v".into());
        assert!(SeqQuery::key_only(&sq));
        let q = SeqQuery::candidates(&sq, all, 10).expect("a verb drives");
        assert!(
            q.to_literal_sql()
                .contains("kind = 'verb' AND key = 'v' AND seq > 0 AND seq <= 100 AND seq NOT IN"),
            "{}",
            q.sql
        );
        assert_eq!(q.sql.matches('?').count(), q.params.len());
        sq.agent = Some("mbox:mailto:a@b.c".into());
        assert!(!SeqQuery::key_only(&sq));
        let literal = SeqQuery::candidates(
            &sq,
            SeqRange {
                above: 40,
                upto: 89,
            },
            7,
        )
        .expect("driver")
        .to_literal_sql();
        assert!(
            literal.contains(
                "kind = 'agent' AND key = 'mbox:mailto:a@b.c' AND seq > 40 AND seq <= 89 \
                 AND direct = 1"
            ),
            "{literal}"
        );
        assert!(literal.ends_with("ORDER BY seq DESC LIMIT 7"), "{literal}");
        sq.related_agents = true;
        sq.registration = Some("r".into());
        let literal = SeqQuery::candidates(&sq, all, 10)
            .expect("driver")
            .to_literal_sql();
        assert!(
            literal.contains("kind = 'registration' AND key = 'r'"),
            "{literal}"
        );
        assert!(!literal.contains("direct"), "{literal}");
        let two_step = SeqQuery::build_in(&sq, &page(), &[9, 4]).to_literal_sql();
        assert!(two_step.contains("seq IN (9, 4)"), "{two_step}");
        assert!(two_step.contains("has(verbs, 'v')"), "{two_step}");
    }

    #[test]
    fn descending_pages_go_down() {
        let q = SeqQuery::build(
            &StatementQuery::new(StoreId::DEFAULT),
            &Page {
                after: Some(50),
                ..page()
            },
        );
        let literal = q.to_literal_sql();
        assert!(literal.contains("seq <= 49") && literal.contains("ORDER BY seq DESC"));
    }
}

//! The SQL behind `query_seqs`: a filtered, paged read of sequence numbers, with every value
//! bound through the client (`?` placeholders), never pasted into the text.
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
     'statements_hourly', 'query_values', 'persona_identifiers', 'statement_keys') AND is_done = 0";

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
    /// Builds the read for `query` within `page`.
    ///
    /// `GROUP BY seq` returns each statement once even while a replayed insert has left two rows
    /// for it that ReplacingMergeTree has not merged yet. It is cheaper than `FINAL` (which
    /// merges every selected part), and unlike `SELECT DISTINCT seq` it is right on 18.16, whose
    /// DISTINCT returns duplicates when the WHERE clause holds an `IN (subquery)`.
    pub fn build(query: &StatementQuery, page: &Page) -> Self {
        Self::build_above(query, page, 0)
    }

    /// [`SeqQuery::build`], restricted to sequence numbers above `floor` (0: no restriction).
    /// Reads search the newest statements first in growing windows of seq, so a page touches
    /// only the parts of the table that hold its range (the table is ordered by seq).
    pub fn build_above(query: &StatementQuery, page: &Page, floor: u64) -> Self {
        Self::build_with(query, page, floor, None)
    }

    /// The key that drives a two-step read, when the query names a rare one: a registration,
    /// an activity or an agent (a verb covers too much of a store for that; see `query_seqs`).
    fn rare_driver(query: &StatementQuery) -> Option<(&'static str, &String, bool)> {
        [
            ("registration", &query.registration, true),
            ("activity", &query.activity, !query.related_activities),
            ("agent", &query.agent, !query.related_agents),
        ]
        .into_iter()
        .find_map(|(kind, v, direct)| v.as_ref().map(|v| (kind, v, direct)))
    }

    /// Step one of a two-step read: up to `n` seqs of the query's rare key beyond `bound` (the
    /// last candidate of the previous step, else the page's `after`), in the query's order,
    /// read from one primary-key range of `statement_keys`, voided statements left out. `None` when the query has no rare key.
    pub fn candidates(
        query: &StatementQuery,
        page: &Page,
        bound: Option<u64>,
        n: u64,
    ) -> Option<Self> {
        let (kind, key, direct) = Self::rare_driver(query)?;
        let mut sql = String::from(
            "SELECT seq FROM statement_keys WHERE store = toUUID(?) AND kind = ? AND key = ? \
             AND seq <= ?",
        );
        let mut params = vec![
            Param::Str(query.store.0.to_string()),
            Param::Str(kind.into()),
            Param::Str(key.clone()),
            Param::U64(page.max_seq),
        ];
        if direct && kind != "registration" {
            sql.push_str(" AND direct = 1");
        }
        sql.push_str(" AND seq NOT IN (SELECT seq FROM voided WHERE store = toUUID(?))");
        params.push(Param::Str(query.store.0.to_string()));
        if let Some(b) = bound.or(page.after) {
            sql.push_str(if query.ascending {
                " AND seq > ?"
            } else {
                " AND seq < ?"
            });
            params.push(Param::U64(b));
        }
        let order = if query.ascending { "ASC" } else { "DESC" };
        sql.push_str(&format!(" GROUP BY seq ORDER BY seq {order} LIMIT ?"));
        params.push(Param::U64(n));
        Some(SeqQuery { sql, params })
    }

    /// Whether the query's rare key is its only condition: then its candidates are the page
    /// (voided statements are dropped by the statement service, which asks again for more).
    pub fn key_only(query: &StatementQuery) -> bool {
        let keys = [&query.registration, &query.activity, &query.agent]
            .iter()
            .filter(|k| k.is_some())
            .count();
        keys == 1
            && query.verb.is_none()
            && query.since_us.is_none()
            && query.until_us.is_none()
            && query.authority.is_none()
    }

    /// Step two: the page's statements among `seqs` (candidates of step one), every condition
    /// of the query applied on `statements`; the literal list lets ClickHouse read only the
    /// granules that hold them. Seqs are numbers the server read back, inlined because 18.16
    /// rejects a bound array on the right of `IN`.
    pub fn build_in(query: &StatementQuery, page: &Page, seqs: &[u64]) -> Self {
        Self::build_with(query, page, 0, Some(seqs))
    }

    fn build_with(query: &StatementQuery, page: &Page, floor: u64, seqs: Option<&[u64]>) -> Self {
        let store = query.store.0.to_string();
        let mut conds = vec!["store = toUUID(?)".to_string(), "seq <= ?".to_string()];
        let mut params = vec![Param::Str(store.clone()), Param::U64(page.max_seq)];
        if floor > 0 {
            conds.push("seq > ?".into());
            params.push(Param::U64(floor));
        }
        if let Some(after) = page.after {
            conds.push(
                if query.ascending {
                    "seq > ?"
                } else {
                    "seq < ?"
                }
                .into(),
            );
            params.push(Param::U64(after));
        }
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
        // The driving key: the statements of one key are one range of `statement_keys`, read
        // within this window; the outer conditions then touch only the granules holding them.
        let driver = [
            ("registration", &query.registration, true),
            ("activity", &query.activity, !query.related_activities),
            ("agent", &query.agent, !query.related_agents),
            ("verb", &query.verb, true),
        ]
        .into_iter()
        .find_map(|(kind, v, direct)| v.as_ref().map(|v| (kind, v, direct)));
        if let Some(seqs) = seqs {
            let list: Vec<String> = seqs.iter().map(u64::to_string).collect();
            conds.push(format!("seq IN ({})", list.join(", ")));
        } else if let Some((kind, key, direct)) = driver {
            let mut sub = String::from(
                "seq IN (SELECT seq FROM statement_keys WHERE store = toUUID(?) AND kind = ? \
                 AND key = ? AND seq <= ?",
            );
            params.extend([
                Param::Str(store.clone()),
                Param::Str(kind.into()),
                Param::Str(key.clone()),
                Param::U64(page.max_seq),
            ]);
            if direct && matches!(kind, "agent" | "activity") {
                sub.push_str(" AND direct = 1");
            }
            if floor > 0 {
                sub.push_str(" AND seq > ?");
                params.push(Param::U64(floor));
            }
            if let Some(after) = page.after {
                sub.push_str(if query.ascending {
                    " AND seq > ?"
                } else {
                    " AND seq < ?"
                });
                params.push(Param::U64(after));
            }
            sub.push(')');
            conds.push(sub);
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
        params.push(Param::U64(page.limit as u64));
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
    fn the_most_selective_key_drives_a_key_range_read() {
        let mut sq = StatementQuery::new(StoreId::DEFAULT);
        sq.verb = Some("v".into());
        let q = SeqQuery::build(&sq, &page());
        assert!(
            q.sql.contains("kind = ? AND key = ? AND seq <= ?)"),
            "{}",
            q.sql
        );
        assert!(q.to_literal_sql().contains("kind = 'verb' AND key = 'v'"));
        sq.agent = Some("mbox:mailto:a@b.c".into());
        let literal = SeqQuery::build(&sq, &page()).to_literal_sql();
        assert!(
            literal.contains(
                "kind = 'agent' AND key = 'mbox:mailto:a@b.c' AND seq <= 100 AND direct = 1"
            ),
            "{literal}"
        );
        sq.related_agents = true;
        sq.registration = Some("r".into());
        let q = SeqQuery::build_above(
            &sq,
            &Page {
                after: Some(90),
                ..page()
            },
            40,
        );
        let literal = q.to_literal_sql();
        assert!(
            literal.contains(
                "kind = 'registration' AND key = 'r' AND seq <= 100 AND seq > 40 AND seq < 90)"
            ),
            "{literal}"
        );
        assert_eq!(q.sql.matches('?').count(), q.params.len());
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
        assert!(q.sql.contains("seq < ?") && q.sql.contains("ORDER BY seq DESC"));
    }
}

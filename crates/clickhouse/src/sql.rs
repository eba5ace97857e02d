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
     'statements_hourly', 'query_values', 'persona_identifiers', 'statement_key_index') AND is_done = 0";

/// A value bound to one `?` of a [`SeqQuery`].
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    U64(u64),
    I64(i64),
}

/// A range of sequence numbers: above `above` (exclusive), up to `upto` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub above: u64,
    pub upto: u64,
}

impl SeqRange {
    /// Everything a page may hold: up to `max_seq`, past `after` in the query's order.
    pub fn of_page(page: &Page, ascending: bool) -> Self {
        if ascending {
            SeqRange {
                above: page.after.unwrap_or(0),
                upto: page.max_seq,
            }
        } else {
            SeqRange {
                above: 0,
                upto: page
                    .after
                    .map_or(page.max_seq, |a| a.saturating_sub(1).min(page.max_seq)),
            }
        }
    }

    /// [`SeqRange::of_page`] within the log positions that the query's `since` / `until`
    /// imply (`seq_above`, `seq_upto`): the primary key prunes what the times would only filter.
    pub fn of(query: &StatementQuery, page: &Page) -> Self {
        let r = Self::of_page(page, query.ascending);
        SeqRange {
            above: r.above.max(query.seq_above),
            upto: query.seq_upto.map_or(r.upto, |u| u.min(r.upto)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.above >= self.upto
    }

    /// What is left of the range once everything up to `seq` (in read order) has been read.
    pub fn past(self, seq: u64, ascending: bool) -> Self {
        if ascending {
            SeqRange {
                above: seq.max(self.above),
                ..self
            }
        } else {
            SeqRange {
                upto: seq.saturating_sub(1).min(self.upto),
                ..self
            }
        }
    }
}

/// A range cut into windows in read order (newest first when descending), each `growth` times
/// the size of the one before: a page of recent matches then reads a few granules of a table
/// ordered by seq (or of one key's range of `statement_key_index`) instead of all of it.
#[derive(Debug, Clone)]
pub struct Windows {
    rest: SeqRange,
    ascending: bool,
    size: u64,
    growth: u64,
}

impl Windows {
    pub fn new(range: SeqRange, ascending: bool, first: u64, growth: u64) -> Self {
        Windows {
            rest: range,
            ascending,
            size: first.max(1),
            growth: growth.max(2),
        }
    }
}

impl Windows {
    /// The next window covers everything left (the matches so far were sparse).
    pub fn widen(&mut self) {
        self.size = u64::MAX;
    }
}

impl Iterator for Windows {
    type Item = SeqRange;

    fn next(&mut self) -> Option<SeqRange> {
        if self.rest.is_empty() {
            return None;
        }
        let w = if self.ascending {
            let top = self
                .rest
                .above
                .saturating_add(self.size)
                .min(self.rest.upto);
            let w = SeqRange {
                above: self.rest.above,
                upto: top,
            };
            self.rest.above = top;
            w
        } else {
            let floor = self
                .rest
                .upto
                .saturating_sub(self.size)
                .max(self.rest.above);
            let w = SeqRange {
                above: floor,
                upto: self.rest.upto,
            };
            self.rest.upto = floor;
            w
        };
        self.size = self.size.saturating_mul(self.growth);
        Some(w)
    }
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

    #[test]
    fn ranges_of_pages_exclude_after() {
        let p = Page {
            max_seq: 100,
            after: Some(50),
            limit: 1,
        };
        assert_eq!(
            SeqRange::of_page(&p, true),
            SeqRange {
                above: 50,
                upto: 100
            }
        );
        assert_eq!(
            SeqRange::of_page(&p, false),
            SeqRange { above: 0, upto: 49 }
        );
        let r = SeqRange {
            above: 10,
            upto: 20,
        };
        assert_eq!(
            r.past(15, true),
            SeqRange {
                above: 15,
                upto: 20
            }
        );
        assert_eq!(
            r.past(15, false),
            SeqRange {
                above: 10,
                upto: 14
            }
        );
        assert!(r.past(20, true).is_empty() && r.past(11, false).is_empty());
    }

    #[test]
    fn windows_cover_the_range_once_in_read_order_and_grow() {
        let r = SeqRange {
            above: 3,
            upto: 100,
        };
        let down: Vec<_> = Windows::new(r, false, 2, 4).collect();
        let up: Vec<_> = Windows::new(r, true, 2, 4).collect();
        assert_eq!(
            down[0],
            SeqRange {
                above: 98,
                upto: 100
            }
        );
        assert_eq!(
            down[1],
            SeqRange {
                above: 90,
                upto: 98
            }
        );
        assert_eq!(up[0], SeqRange { above: 3, upto: 5 });
        assert_eq!(up[1], SeqRange { above: 5, upto: 13 });
        for (ws, asc) in [(down, false), (up, true)] {
            // Read order: each window in the query's order, the windows one after the other.
            let mut seqs: Vec<u64> = Vec::new();
            for w in &ws {
                let mut inside: Vec<u64> = (w.above + 1..=w.upto).collect();
                if !asc {
                    inside.reverse();
                }
                seqs.extend(inside);
            }
            let mut expected: Vec<u64> = (4..=100).collect();
            if !asc {
                expected.reverse();
            }
            assert_eq!(seqs, expected, "ascending: {asc}");
        }
        assert_eq!(
            Windows::new(SeqRange { above: 5, upto: 5 }, true, 1, 8).count(),
            0
        );
    }
}

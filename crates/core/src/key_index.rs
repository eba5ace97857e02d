//! Filtered statement reads answered from the embedded key index (`LogStore::key_index_seqs`).
//!
//! The store keeps, for every statement, one entry per filter key it carries (store-wide,
//! registration, activity, agent, verb), ordered by (store, kind, key, log position). The
//! entries are written in the same batch as the statement's log entry, so the index is exactly
//! as current as the log: a page needs neither ClickHouse nor the in-memory tail. [`page`]
//! walks the rarest key the query names in the query's order, reads each candidate's record
//! from the log and keeps those that satisfy every condition ([`StatementQuery::matches`], which
//! also checks the key's text: the index stores a hash of it) and are not voided. A read that
//! would examine more than `read_index_scan_max` entries gives up (`None`) and the caller
//! answers it the other way (ClickHouse, or the log in degraded mode).
use crate::error::Error;
use crate::event::{FilterKeys, StatementRecord};
use crate::ids::StoreId;
use crate::ports::LogStore;
use crate::query::{Page, StatementQuery};
use std::sync::Arc;

/// The default of `read_index_scan_max`.
pub const SCAN_MAX: usize = 20_000;

/// What an index entry is keyed on. The numbers are stored: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum KeyKind {
    /// Every statement of the store (queries naming no key).
    StoreWide = 0,
    Registration = 1,
    /// The object's activity (direct) or any context activity (related only).
    Activity = 2,
    /// The actor or an agent object (direct), or any other agent of the statement (related).
    Agent = 3,
    Verb = 4,
}

/// One entry a statement is indexed under: its kind, its key text (none for
/// [`KeyKind::StoreWide`]) and whether a query without `related_*` matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry<'a> {
    pub kind: KeyKind,
    pub key: Option<&'a str>,
    pub direct: bool,
}

/// The entries of a statement with these filter keys. Related agents and activities share one
/// entry with the direct ones (`direct` tells them apart), so a statement costs one entry per
/// distinct key, not two.
pub fn entries(k: &FilterKeys) -> Vec<IndexEntry<'_>> {
    let mut out = Vec::new();
    for_each_entry(k, |e| out.push(e));
    out
}

/// [`entries`] without collecting them: `f` is called once per entry, in the same order (the
/// writer's hot path builds no list per statement).
pub fn for_each_entry<'a>(k: &'a FilterKeys, mut f: impl FnMut(IndexEntry<'a>)) {
    f(IndexEntry {
        kind: KeyKind::StoreWide,
        key: None,
        direct: true,
    });
    let none: &[String] = &[];
    for (kind, direct, related) in [
        (KeyKind::Registration, &k.registrations[..], none),
        (
            KeyKind::Activity,
            &k.activities[..],
            &k.related_activities[..],
        ),
        (KeyKind::Agent, &k.agents[..], &k.related_agents[..]),
        (KeyKind::Verb, &k.verbs[..], none),
    ] {
        for v in direct {
            f(IndexEntry {
                kind,
                key: Some(v.as_str()),
                direct: true,
            });
        }
        for v in related.iter().filter(|v| !direct.contains(v)) {
            f(IndexEntry {
                kind,
                key: Some(v.as_str()),
                direct: false,
            });
        }
    }
}

/// One range of the index: the entries of (store, kind, key) with log positions in
/// `above + 1 ..= upto`, read in the given order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexScan<'a> {
    pub store: StoreId,
    pub kind: KeyKind,
    pub key: Option<&'a str>,
    pub above: u64,
    pub upto: u64,
    pub ascending: bool,
}

/// The key that drives a query (the rarest it names, as the ClickHouse path picks it), and
/// whether only direct entries can match.
pub fn driver(q: &StatementQuery) -> (KeyKind, Option<&str>, bool) {
    if let Some(r) = &q.registration {
        (KeyKind::Registration, Some(r), false)
    } else if let Some(a) = &q.activity {
        (KeyKind::Activity, Some(a), !q.related_activities)
    } else if let Some(a) = &q.agent {
        (KeyKind::Agent, Some(a), !q.related_agents)
    } else if let Some(v) = &q.verb {
        (KeyKind::Verb, Some(v), false)
    } else {
        (KeyKind::StoreWide, None, false)
    }
}

/// Entries read from the index per call (the first call reads fewer: most pages are small).
const CHUNK_MIN: usize = 64;
const CHUNK_MAX: usize = 1024;

/// Statements found, with their log positions, in the query's order.
pub type Hits = Vec<(u64, Arc<StatementRecord>)>;

/// Up to `page.limit + 1` statements matching `q` (whose `seq_above` / `seq_upto` are already
/// set from its times) inside `page`, not voided, in the query's order; `None` when that would
/// take more than `scan_max` index entries. Blocking: call it from `spawn_blocking`.
pub fn page(
    log: &dyn LogStore,
    q: &StatementQuery,
    page: &Page,
    scan_max: usize,
) -> Result<Option<Hits>, Error> {
    let want = page.limit.saturating_add(1);
    let (kind, key, direct_only) = driver(q);
    let mut above = q.seq_above;
    let mut upto = page.max_seq.min(q.seq_upto.unwrap_or(u64::MAX));
    match (page.after, q.ascending) {
        (Some(a), true) => above = above.max(a),
        (Some(a), false) => upto = upto.min(a.saturating_sub(1)),
        (None, _) => {}
    }
    let mut out = Vec::new();
    let mut scanned = 0usize;
    let mut chunk = CHUNK_MIN.min(want.saturating_mul(2)).max(16);
    while above < upto {
        if scanned >= scan_max {
            return Ok(None);
        }
        let n = chunk.min(scan_max - scanned);
        let scan = IndexScan {
            store: q.store,
            kind,
            key,
            above,
            upto,
            ascending: q.ascending,
        };
        let hits = log.key_index_seqs(&scan, n)?;
        scanned += hits.len();
        match (hits.last(), q.ascending) {
            (Some((last, _)), true) => above = *last,
            (Some((last, _)), false) => upto = last.saturating_sub(1),
            (None, _) => break,
        }
        let seqs: Vec<u64> = hits
            .iter()
            .filter(|(_, direct)| *direct || !direct_only)
            .map(|(s, _)| *s)
            .collect();
        let records = log.statements_at(&seqs)?;
        for (seq, record) in seqs.into_iter().zip(records) {
            let Some(r) = record else { continue };
            if !q.matches(&r) || (r.voids.is_none() && log.voided_by(q.store, r.id)?.is_some()) {
                continue;
            }
            out.push((seq, r));
            if out.len() >= want {
                return Ok(Some(out));
            }
        }
        if hits.len() < n {
            break;
        }
        chunk = (chunk * 4).min(CHUNK_MAX);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_keys_share_the_direct_entry() {
        let k = FilterKeys {
            agents: vec!["a".into()],
            related_agents: vec!["a".into(), "auth".into()],
            verbs: vec!["v".into()],
            activities: vec!["x".into()],
            related_activities: vec!["x".into(), "parent".into()],
            registrations: vec!["r".into()],
        };
        let e = entries(&k);
        let find = |kind, key: &str| e.iter().find(|x| x.kind == kind && x.key == Some(key));
        assert_eq!(e.len(), 7);
        assert!(find(KeyKind::Agent, "a").unwrap().direct);
        assert!(!find(KeyKind::Agent, "auth").unwrap().direct);
        assert!(find(KeyKind::Activity, "x").unwrap().direct);
        assert!(!find(KeyKind::Activity, "parent").unwrap().direct);
        assert!(find(KeyKind::Registration, "r").is_some());
        assert!(find(KeyKind::Verb, "v").is_some());
        assert_eq!(e[0].kind, KeyKind::StoreWide);
    }

    #[test]
    fn the_rarest_named_key_drives() {
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        assert_eq!(driver(&q), (KeyKind::StoreWide, None, false));
        q.verb = Some("v".into());
        assert_eq!(driver(&q), (KeyKind::Verb, Some("v"), false));
        q.agent = Some("a".into());
        assert_eq!(driver(&q), (KeyKind::Agent, Some("a"), true));
        q.related_agents = true;
        assert_eq!(driver(&q), (KeyKind::Agent, Some("a"), false));
        q.activity = Some("x".into());
        assert_eq!(driver(&q), (KeyKind::Activity, Some("x"), true));
        q.registration = Some("r".into());
        assert_eq!(driver(&q), (KeyKind::Registration, Some("r"), false));
    }
}

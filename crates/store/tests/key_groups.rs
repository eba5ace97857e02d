//! The key index's entries group each written batch's statements per key: every window of
//! positions, in either order and with any limit, reads exactly the statements of that key, the
//! same before and after a purge takes positions out of the middle, the first and the last of
//! groups; and an index of the older format (one entry per statement) is dropped at open and
//! built again from the log.
use cairn_core::key_index::{IndexScan, KeyKind};
use cairn_core::ports::{LogStore, WriteSet};
use cairn_core::purge::{PurgePlan, PurgeReason, PurgeScope};
use cairn_core::{Event, FilterKeys, StatementRecord, StoreId};
use cairn_store::FjallStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

const VERB: &str = "http://example.com/verbs/did";

/// Statement `seq`: verb [`VERB`] on activity `a{seq % 4}`, actor `agent{seq % 3}`.
fn statement(seq: u64) -> Arc<Event> {
    Arc::new(Event::Statement(Arc::new(StatementRecord {
        store: StoreId::DEFAULT,
        id: Uuid::from_u128(seq as u128),
        stored_us: 1_700_000_000_000_000 + seq as i64,
        keys: FilterKeys {
            agents: vec![format!("agent{}", seq % 3)],
            related_agents: vec![format!("agent{}", seq % 3), "authority".into()],
            verbs: vec![VERB.into()],
            activities: vec![format!("a{}", seq % 4)],
            ..Default::default()
        },
        voids: None,
        attachments: vec![],
        body: b"{}".to_vec(),
        facts: None,
    })))
}

/// Commits statements 1..=n in batches of 1 to 7 statements.
fn write(s: &FjallStore, n: u64) {
    let mut seq = 1;
    let mut size = 1;
    while seq <= n {
        let mut ws = WriteSet::default();
        for _ in 0..size {
            if seq > n {
                break;
            }
            ws.events.push((seq, statement(seq)));
            seq += 1;
        }
        s.commit(&ws).unwrap();
        size = size % 7 + 1;
    }
}

fn scan(
    s: &FjallStore,
    kind: KeyKind,
    key: Option<&str>,
    w: (u64, u64, bool),
    limit: usize,
) -> Vec<(u64, bool)> {
    let scan = IndexScan {
        store: StoreId::DEFAULT,
        kind,
        key,
        above: w.0,
        upto: w.1,
        ascending: w.2,
    };
    s.key_index_seqs(&scan, limit).unwrap()
}

/// Whether a statement's position is one of a key's.
type OfKey<'a> = &'a dyn Fn(u64) -> bool;

/// Checks every window of a few keys against `live` (the positions not purged).
fn check(s: &FjallStore, live: &[u64]) {
    let agent1 = |seq: u64| seq % 3 == 1;
    let keys: [(KeyKind, Option<&str>, OfKey); 4] = [
        (KeyKind::StoreWide, None, &|_| true),
        (KeyKind::Verb, Some(VERB), &|_| true),
        (KeyKind::Activity, Some("a2"), &|seq| seq % 4 == 2),
        (KeyKind::Agent, Some("agent1"), &agent1),
    ];
    let n = live.iter().max().copied().unwrap_or(0) + 2;
    for (kind, key, of_key) in keys {
        for above in 0..n {
            for upto in (above + 1..=n).step_by(3) {
                for ascending in [true, false] {
                    for limit in [1, 2, 5, usize::MAX] {
                        let mut want: Vec<(u64, bool)> = live
                            .iter()
                            .filter(|seq| **seq > above && **seq <= upto && of_key(**seq))
                            .map(|seq| (*seq, true))
                            .collect();
                        if !ascending {
                            want.reverse();
                        }
                        want.truncate(limit);
                        let got = scan(s, kind, key, (above, upto, ascending), limit);
                        assert_eq!(
                            got, want,
                            "{kind:?} {key:?} ({above}, {upto}] {ascending} {limit}"
                        );
                    }
                }
            }
        }
    }
    // The authority is a related agent of every statement.
    let all = scan(
        s,
        KeyKind::Agent,
        Some("authority"),
        (0, u64::MAX, true),
        usize::MAX,
    );
    let want: Vec<(u64, bool)> = live.iter().map(|seq| (*seq, false)).collect();
    assert_eq!(all, want);
}

#[test]
fn every_window_reads_its_statements_before_and_after_a_purge() {
    let dir = tempfile::tempdir().unwrap();
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    write(&s, 60);
    let mut live: Vec<u64> = (1..=60).collect();
    check(&s, &live);
    // Batches are 1, 2, ..., 7 statements: 1 | 2-3 | 4-6 | 7-10 | 11-15 | 16-21 | 22-28 | 29 | …
    // Purge the first of a group (4), a middle one (13), the last (21), a whole group (2, 3)
    // and scattered ones, in one plan.
    let gone = [2, 3, 4, 13, 21, 30, 31, 44, 59, 60];
    let mut plan = PurgePlan::new(
        PurgeReason::Erasure,
        "test",
        PurgeScope::Entries {
            stores: vec![StoreId::DEFAULT],
        },
    );
    plan.seqs = gone.to_vec();
    assert_eq!(s.purge(&plan).unwrap(), gone.len() as u64);
    live.retain(|seq| !gone.contains(seq));
    check(&s, &live);
    // New statements after the purge form their own groups.
    let mut ws = WriteSet::default();
    for seq in 61..=64 {
        ws.events.push((seq, statement(seq)));
    }
    s.commit(&ws).unwrap();
    live.extend(61..=64);
    check(&s, &live);
}

#[test]
fn an_index_of_the_older_format_is_built_again() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
        write(&s, 30);
    }
    // Rewrite the index as format 1 had it: one entry per statement and key, the value the
    // direct flag; the meta row says format 1, complete.
    {
        let db = fjall::Database::builder(dir.path()).open().unwrap();
        let ks = db
            .keyspace("statement_keys", fjall::KeyspaceCreateOptions::default)
            .unwrap();
        let old: BTreeMap<Vec<u8>, Vec<u8>> = ks
            .iter()
            .map(|kv| {
                let (k, _) = kv.into_inner().unwrap();
                (k.to_vec(), vec![1])
            })
            .collect();
        for k in old.keys() {
            ks.remove(k.as_slice()).unwrap();
            let mut single = k.clone();
            single[25..].copy_from_slice(&999u64.to_be_bytes());
            ks.insert(single, [1]).unwrap();
        }
        let meta = db
            .keyspace("meta", fjall::KeyspaceCreateOptions::default)
            .unwrap();
        meta.insert("statement_keys.built", [1, 1]).unwrap();
        db.persist(fjall::PersistMode::SyncAll).unwrap();
    }
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    assert!(!s.key_index_ready(), "an index of format 1 is not used");
    assert!(
        scan(
            &s,
            KeyKind::StoreWide,
            None,
            (0, u64::MAX, true),
            usize::MAX
        )
        .is_empty()
    );
    assert_eq!(s.build_key_index().unwrap(), 30);
    assert!(s.key_index_ready());
    check(&s, &(1..=30).collect::<Vec<_>>());
    assert_eq!(
        s.meta_get("statement_keys.built").unwrap(),
        Some(vec![cairn_store::keys::FORMAT, 1])
    );
}

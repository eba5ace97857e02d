//! The statement key index on the embedded store: written with the log, removed with it by
//! purges (an erased agent's key hash leaves the keyspace), whole stores deleted, built from
//! the log for a data directory made before it existed, and rebuilt by a backup's restore.
use cairn_core::key_index::{IndexScan, KeyKind};
use cairn_core::ports::{LogStore, WriteSet};
use cairn_core::purge::{PurgePlan, PurgeReason, PurgeScope};
use cairn_core::{Event, FilterKeys, StatementRecord, StoreId};
use cairn_store::FjallStore;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

const ALICE: &str = "mbox:mailto:alice.erased@example.com";
const BOB: &str = "mbox:mailto:bob.kept@example.com";
const OTHER: StoreId = StoreId(Uuid::from_u128(0xB));

fn statement(store: StoreId, seq: u64, who: &str) -> Arc<Event> {
    Arc::new(Event::Statement(Arc::new(StatementRecord {
        store,
        id: Uuid::from_u128(seq as u128),
        stored_us: 1_700_000_000_000_000 + seq as i64,
        keys: FilterKeys {
            agents: vec![who.into()],
            related_agents: vec![who.into(), "mbox:mailto:authority@example.com".into()],
            verbs: vec!["http://example.com/verbs/did".into()],
            activities: vec![format!("http://example.com/a{}", seq % 3)],
            ..Default::default()
        },
        voids: None,
        attachments: vec![],
        body: b"{}".to_vec(),
        facts: None,
    })))
}

/// Statements 1..=n: odd ones Alice's, even ones Bob's; every 5th in the other store.
fn write_set(n: u64) -> WriteSet {
    let mut ws = WriteSet::default();
    for seq in 1..=n {
        let who = if seq % 2 == 1 { ALICE } else { BOB };
        let store = if seq.is_multiple_of(5) {
            OTHER
        } else {
            StoreId::DEFAULT
        };
        ws.events.push((seq, statement(store, seq, who)));
        ws.statement_ids
            .push((store, Uuid::from_u128(seq as u128), seq));
    }
    ws
}

fn seqs(s: &FjallStore, store: StoreId, kind: KeyKind, key: Option<&str>) -> Vec<u64> {
    let scan = IndexScan {
        store,
        kind,
        key,
        above: 0,
        upto: u64::MAX,
        ascending: true,
    };
    s.key_index_seqs(&scan, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(seq, _)| seq)
        .collect()
}

/// The key hashes (bytes 17..25) of every entry of the `statement_keys` keyspace, read from
/// the data directory's files by fjall itself.
fn hashes_on_disk(dir: &Path) -> Vec<[u8; 8]> {
    let db = fjall::Database::builder(dir).open().unwrap();
    let ks = db
        .keyspace("statement_keys", fjall::KeyspaceCreateOptions::default)
        .unwrap();
    ks.iter()
        .map(|kv| kv.key().unwrap()[17..25].try_into().unwrap())
        .collect()
}

fn hash(key: &str) -> [u8; 8] {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes()).to_be_bytes()
}

#[test]
fn the_index_is_written_with_the_log_and_direct_entries_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    assert!(s.key_index_ready());
    s.commit(&write_set(20)).unwrap();
    let default: Vec<u64> = (1..=20).filter(|s| s % 5 != 0).collect();
    assert_eq!(
        seqs(&s, StoreId::DEFAULT, KeyKind::StoreWide, None),
        default
    );
    assert_eq!(seqs(&s, OTHER, KeyKind::StoreWide, None), [5, 10, 15, 20]);
    let alice: Vec<u64> = default.iter().copied().filter(|s| s % 2 == 1).collect();
    assert_eq!(
        seqs(&s, StoreId::DEFAULT, KeyKind::Agent, Some(ALICE)),
        alice
    );
    let authority = "mbox:mailto:authority@example.com";
    let scan = IndexScan {
        store: StoreId::DEFAULT,
        kind: KeyKind::Agent,
        key: Some(authority),
        above: 3,
        upto: 9,
        ascending: false,
    };
    assert_eq!(
        s.key_index_seqs(&scan, 10).unwrap(),
        [(9, false), (8, false), (7, false), (6, false), (4, false)],
        "the authority is a related agent only; bounds are exclusive below, inclusive above"
    );
    assert_eq!(s.key_index_seqs(&scan, 2).unwrap().len(), 2);
}

#[test]
fn an_erasure_removes_the_erased_agents_entries() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
        s.commit(&write_set(40)).unwrap();
        let alice = seqs(&s, StoreId::DEFAULT, KeyKind::Agent, Some(ALICE));
        assert_eq!(alice.len(), 16);
        let mut plan = PurgePlan::new(
            PurgeReason::Erasure,
            "test",
            PurgeScope::Entries {
                stores: vec![StoreId::DEFAULT],
            },
        );
        plan.seqs = alice.clone();
        assert_eq!(s.purge(&plan).unwrap(), 16);
        assert!(seqs(&s, StoreId::DEFAULT, KeyKind::Agent, Some(ALICE)).is_empty());
        let wide = seqs(&s, StoreId::DEFAULT, KeyKind::StoreWide, None);
        assert!(wide.iter().all(|seq| !alice.contains(seq)) && wide.len() == 16);
        assert_eq!(
            seqs(&s, StoreId::DEFAULT, KeyKind::Agent, Some(BOB)).len(),
            16,
            "the rest stays"
        );
        // The other store's statements of Alice were not in the plan.
        assert_eq!(seqs(&s, OTHER, KeyKind::Agent, Some(ALICE)).len(), 4);
        // Deleting the other store removes its entries too.
        assert_eq!(
            s.purge(&PurgePlan::new(
                PurgeReason::StoreDeletion,
                "test",
                PurgeScope::Store(OTHER),
            ))
            .unwrap(),
            8
        );
        assert!(seqs(&s, OTHER, KeyKind::StoreWide, None).is_empty());
    }
    let on_disk = hashes_on_disk(dir.path());
    assert!(!on_disk.is_empty());
    assert!(!on_disk.contains(&hash(ALICE)), "no entry of Alice is left");
    assert!(on_disk.contains(&hash(BOB)));
}

/// A data directory written before the index existed: a log and no `statement_keys`.
fn old_data_directory(dir: &Path, n: u64) {
    let db = fjall::Database::builder(dir).open().unwrap();
    let log = db
        .keyspace("log", fjall::KeyspaceCreateOptions::default)
        .unwrap();
    for (seq, e) in write_set(n).events {
        log.insert(seq.to_be_bytes(), e.encode()).unwrap();
    }
    db.persist(fjall::PersistMode::SyncAll).unwrap();
}

#[test]
fn an_existing_data_directory_is_indexed_from_its_log() {
    let dir = tempfile::tempdir().unwrap();
    old_data_directory(dir.path(), 25_000);
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    assert!(!s.key_index_ready(), "the old log is not indexed yet");
    assert!(seqs(&s, StoreId::DEFAULT, KeyKind::StoreWide, None).is_empty());
    // Statements written meanwhile are indexed as they are committed.
    let mut ws = WriteSet::default();
    ws.events
        .push((25_001, statement(StoreId::DEFAULT, 25_001, ALICE)));
    s.commit(&ws).unwrap();
    assert_eq!(s.build_key_index().unwrap(), 25_000);
    assert!(s.key_index_ready());
    let alice = seqs(&s, StoreId::DEFAULT, KeyKind::Agent, Some(ALICE));
    let want: Vec<u64> = (1..=25_001)
        .filter(|seq| seq % 2 == 1 && seq % 5 != 0)
        .collect();
    assert_eq!(alice, want);
    assert_eq!(s.build_key_index().unwrap(), 0, "built once");
    drop(s);
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    assert!(
        s.key_index_ready(),
        "a reopened store remembers it is built"
    );
}

#[test]
fn a_restored_backup_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    {
        let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
        s.commit(&write_set(30)).unwrap();
        s.backup(
            backups.path(),
            cairn_store::backup::BackupOptions { full_every: 3 },
            &mut |_, _| {},
        )
        .unwrap();
    }
    let restored = tempfile::tempdir().unwrap();
    cairn_store::backup::restore(
        backups.path(),
        restored.path(),
        None,
        8 << 20,
        &mut |_, _| {},
    )
    .unwrap();
    let s = FjallStore::open(restored.path(), 8 << 20).unwrap();
    assert!(s.key_index_ready());
    let alice: Vec<u64> = (1..=30)
        .filter(|seq| seq % 2 == 1 && seq % 5 != 0)
        .collect();
    assert_eq!(
        seqs(&s, StoreId::DEFAULT, KeyKind::Agent, Some(ALICE)),
        alice
    );
}

use super::*;
use crate::FjallStore;
use bytes::Bytes;
use cairn_core::ports::{LOG_REWRITES_KEY, LogStore, WriteSet};
use cairn_core::projector::CHECKPOINT_KEY;
use cairn_core::{Event, FilterKeys, StatementRecord, StoreId};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

const OPTIONS: BackupOptions = BackupOptions { full_every: 3 };

fn manifest(generation: u64, full: bool, seq: u64) -> Manifest {
    Manifest {
        format: MANIFEST_FORMAT,
        generation,
        full,
        after_seq: 0,
        seq,
        last_entry_sha256: Some("e".into()),
        log_rewrites: None,
        created_us: 0,
        files: vec![],
    }
}

#[test]
fn the_kind_of_the_next_generation() {
    let now = Now {
        seq: 10,
        log_rewrites: None,
        entry_at_previous: Some("e".into()),
    };
    assert_eq!(decide(None, 0, &now, 3), Kind::Full(FullReason::First));
    let prev = manifest(1, true, 5);
    assert_eq!(
        decide(Some(&prev), 1, &now, 3),
        Kind::Incremental { after_seq: 5 }
    );
    assert_eq!(
        decide(Some(&prev), 3, &now, 3),
        Kind::Full(FullReason::ChainComplete)
    );
    let rewritten = Now {
        log_rewrites: Some("01".into()),
        ..now.clone()
    };
    assert_eq!(
        decide(Some(&prev), 1, &rewritten, 3),
        Kind::Full(FullReason::LogRewritten)
    );
    let other = Now {
        entry_at_previous: Some("f".into()),
        ..now.clone()
    };
    assert_eq!(
        decide(Some(&prev), 1, &other, 3),
        Kind::Full(FullReason::OtherLog)
    );
    let shorter = Now { seq: 4, ..now };
    assert_eq!(
        decide(Some(&prev), 1, &shorter, 3),
        Kind::Full(FullReason::OtherLog)
    );
}

#[test]
fn pruning_keeps_the_newest_restorable() {
    let gens = [(1, true), (2, false), (3, false), (4, true), (5, false)];
    // Keeping 2 (4, 5): everything before full generation 4 goes.
    assert_eq!(prune(&gens, 2), vec![1, 2, 3]);
    // Keeping 3 (3, 4, 5): 3 needs 1 and 2.
    assert_eq!(prune(&gens, 3), Vec::<u64>::new());
    assert_eq!(prune(&gens, 1), vec![1, 2, 3]);
    assert_eq!(prune(&gens, 9), Vec::<u64>::new());
    assert_eq!(prune(&[(1, true), (2, true), (3, true)], 1), vec![1, 2]);
}

fn statement(n: u64, attachment: Option<&str>) -> (Uuid, Arc<Event>) {
    let id = Uuid::from_u128(n as u128);
    let e = Event::Statement(Arc::new(StatementRecord {
        store: StoreId::DEFAULT,
        id,
        stored_us: n as i64,
        keys: FilterKeys::default(),
        voids: None,
        attachments: attachment.into_iter().map(String::from).collect(),
        body: format!(r#"{{"id":"{id}","n":{n}}}"#).into_bytes(),
        facts: None,
    }));
    (id, Arc::new(e))
}

/// Appends statements `from..to` (one with an attachment), and a changed entity.
fn ingest(s: &FjallStore, from: u64, to: u64) {
    let mut ws = WriteSet::default();
    for n in from..to {
        let sha = format!("{n:064x}");
        let (id, e) = statement(n, (n == from).then_some(sha.as_str()));
        ws.events.push((n, e));
        ws.statement_ids.push((StoreId::DEFAULT, id, n));
        if n == from {
            let body = Bytes::from(format!("attachment {n}"));
            ws.attachments.push((StoreId::DEFAULT, sha, body));
        }
    }
    ws.entities
        .push((b"state".to_vec(), Some(format!("at {to}").into_bytes())));
    s.commit(&ws).unwrap();
}

type Dump = BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>;

/// Every keyspace's rows; the key index's as one row per statement and key (its entries
/// group the statements of each written batch, and a restore writes other batches).
fn dump(s: &FjallStore) -> Dump {
    s.keyspaces()
        .into_iter()
        .map(|(name, ks)| {
            let rows = ks
                .iter()
                .flat_map(|kv| {
                    let (k, v) = kv.into_inner().unwrap();
                    if name != "statement_keys" {
                        return vec![(k.to_vec(), v.to_vec())];
                    }
                    let first = u64::from_be_bytes(k[25..].try_into().unwrap());
                    let group = crate::key_groups::decode(first, &v).unwrap();
                    group
                        .into_iter()
                        .map(|(seq, direct)| {
                            let mut row = k[..25].to_vec();
                            row.extend_from_slice(&seq.to_be_bytes());
                            (row, vec![u8::from(direct)])
                        })
                        .collect()
                })
                .filter(|(k, _)| k != CHECKPOINT_KEY.as_bytes())
                .collect();
            (name.to_string(), rows)
        })
        .collect()
}

fn entries(m: &Manifest, keyspace: &str) -> u64 {
    m.files
        .iter()
        .find(|f| f.keyspace == keyspace)
        .unwrap()
        .entries
}

#[test]
fn incremental_generations_restore_the_same_store() {
    let data = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let s = FjallStore::open(data.path(), 8 << 20).unwrap();
    ingest(&s, 1, 101);
    s.meta_put(CHECKPOINT_KEY, &100u64.to_be_bytes()).unwrap();
    let mut seen = Vec::new();
    let g1 = s
        .backup(backup.path(), OPTIONS, &mut |d, t| seen.push((d, t)))
        .unwrap();
    assert!(g1.full);
    assert_eq!((g1.seq, entries(&g1, "log")), (100, 100));
    assert_eq!(seen.last(), Some(&(100, 100)));
    let at_g1 = dump(&s);
    ingest(&s, 101, 151);
    let g2 = s.backup(backup.path(), OPTIONS, &mut |_, _| {}).unwrap();
    assert!(!g2.full);
    assert_eq!((g2.after_seq, g2.seq), (100, 150));
    assert_eq!(entries(&g2, "log"), 50);
    assert_eq!(entries(&g2, "statement_ids"), 50);
    assert_eq!(entries(&g2, "attachments"), 1);
    assert_eq!(entries(&g2, "entities"), 1);
    // An interrupted backup leaves a partial generation: the next one starts over cleanly.
    std::fs::create_dir_all(backup.path().join("generation-000003.partial")).unwrap();
    ingest(&s, 151, 160);
    // A voiding statement whose target is in the first generation: its index entry is in the
    // third, found from the new log entry.
    let (voiding, e) = statement(160, None);
    let Event::Statement(r) = &*e else {
        unreachable!()
    };
    let mut r = (**r).clone();
    r.voids = Some(Uuid::from_u128(5));
    let mut ws = WriteSet::default();
    ws.events
        .push((160, Arc::new(Event::Statement(Arc::new(r)))));
    ws.statement_ids.push((StoreId::DEFAULT, voiding, 160));
    ws.voided.push((StoreId::DEFAULT, Uuid::from_u128(5), 160));
    s.commit(&ws).unwrap();
    let g3 = s.backup(backup.path(), OPTIONS, &mut |_, _| {}).unwrap();
    assert_eq!(
        (g3.generation, g3.full, entries(&g3, "log")),
        (3, false, 10)
    );
    assert_eq!(
        (entries(&g3, "statement_ids"), entries(&g3, "voided")),
        (10, 1)
    );
    assert!(!backup.path().join("generation-000003.partial").exists());
    let now = dump(&s);

    let restored = tempfile::tempdir().unwrap();
    let m = restore(
        backup.path(),
        restored.path(),
        None,
        8 << 20,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(m.generation, 3);
    let r = FjallStore::open(restored.path(), 8 << 20).unwrap();
    assert_eq!(dump(&r), now);
    assert_eq!(r.meta_get(CHECKPOINT_KEY).unwrap(), None, "projected again");
    drop(r);
    let older = tempfile::tempdir().unwrap();
    restore(
        backup.path(),
        older.path(),
        Some(1),
        8 << 20,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(
        dump(&FjallStore::open(older.path(), 8 << 20).unwrap()),
        at_g1
    );

    // The chain reached `full_every`: the next is full.
    let g4 = s.backup(backup.path(), OPTIONS, &mut |_, _| {}).unwrap();
    assert!(g4.full);
    assert_eq!(prune_dir(backup.path(), 1).unwrap(), vec![1, 2, 3]);
    // A rewritten log (erasure, retention) makes the next generation full.
    ingest(&s, 161, 171);
    s.meta_put(LOG_REWRITES_KEY, &1u64.to_be_bytes()).unwrap();
    let g5 = s.backup(backup.path(), OPTIONS, &mut |_, _| {}).unwrap();
    assert!(g5.full);
    assert_eq!(entries(&g5, "log"), 170);
}

#[test]
fn a_damaged_or_incomplete_backup_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let s = FjallStore::open(data.path(), 8 << 20).unwrap();
    ingest(&s, 1, 11);
    s.backup(backup.path(), OPTIONS, &mut |_, _| {}).unwrap();
    ingest(&s, 11, 21);
    s.backup(backup.path(), OPTIONS, &mut |_, _| {}).unwrap();

    let missing = restore(
        backup.path(),
        tempfile::tempdir().unwrap().path(),
        Some(7),
        8 << 20,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("no generation 7 in the backup (it has: 1, 2)"),
        "{missing}"
    );

    let log = generation_dir(backup.path(), 2).join("log.zst");
    let mut bytes = std::fs::read(&log).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&log, bytes).unwrap();
    let damaged = restore(
        backup.path(),
        tempfile::tempdir().unwrap().path(),
        None,
        8 << 20,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(
        damaged.to_string().contains("does not match its checksum"),
        "{damaged}"
    );

    std::fs::remove_dir_all(generation_dir(backup.path(), 1)).unwrap();
    let gap = restore(
        backup.path(),
        tempfile::tempdir().unwrap().path(),
        Some(2),
        8 << 20,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(
        gap.to_string()
            .contains("needs generation 1, which is missing"),
        "{gap}"
    );
}

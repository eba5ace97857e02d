//! Purging from the embedded store: the listed entries, their indexes, documents, attachments
//! and personas are removed, the log-rewrite counter grows, everything else stays, and after
//! the compaction no byte of the removed data is left in any file of the data directory.
use bytes::Bytes;
use cairn_core::documents::{DocumentKey, DocumentRecord};
use cairn_core::ports::{LOG_REWRITES_KEY, LogStore, WriteSet};
use cairn_core::purge::{PurgePlan, PurgeReason, PurgeScope};
use cairn_core::{Event, FilterKeys, StatementRecord, StoreId};
use cairn_store::FjallStore;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

const ALICE: &str = "mbox:mailto:alice.erased@example.com";
const BOB: &str = "mbox:mailto:bob.kept@example.com";

fn statement(store: StoreId, id: Uuid, who: &str, marker: &str) -> Arc<Event> {
    let body = format!(r#"{{"id":"{id}","actor":"{who}","result":{{"response":"{marker}"}}}}"#);
    Arc::new(Event::Statement(Arc::new(StatementRecord {
        store,
        id,
        stored_us: 1_700_000_000_000_000,
        keys: FilterKeys {
            agents: vec![who.into()],
            ..Default::default()
        },
        voids: None,
        attachments: vec![],
        body: body.into_bytes(),
        facts: None,
    })))
}

/// A marker no compressor can shorten: 32 random hex digits.
fn marker(tag: &str) -> String {
    format!("{tag}-{}", Uuid::new_v4().simple())
}

/// Every file under `dir`: path and bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p.display().to_string(), bytes));
            }
        }
    }
    out
}

/// The files whose bytes contain `needle`.
fn containing(files: &[(String, Vec<u8>)], needle: &str) -> Vec<String> {
    files
        .iter()
        .filter(|(_, b)| memchr::memmem::find(b, needle.as_bytes()).is_some())
        .map(|(p, _)| p.clone())
        .collect()
}

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    containing(&files(dir), std::str::from_utf8(needle).unwrap())
}

/// The data directory's files keep a purged entry until the compaction.
#[test]
fn without_the_compaction_the_bytes_stay() {
    let dir = tempfile::tempdir().unwrap();
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    let m = marker("alice");
    let id = Uuid::new_v4();
    s.commit(&WriteSet {
        events: vec![(1, statement(StoreId::DEFAULT, id, ALICE, &m))],
        statement_ids: vec![(StoreId::DEFAULT, id, 1)],
        ..Default::default()
    })
    .unwrap();
    let mut plan = PurgePlan::new(
        PurgeReason::BatchDelete,
        "test",
        PurgeScope::Entries {
            stores: vec![StoreId::DEFAULT],
        },
    );
    plan.seqs = vec![1];
    assert_eq!(s.purge(&plan).unwrap(), 1);
    assert!(s.event(1).unwrap().is_none());
    assert!(s.statement_seq(StoreId::DEFAULT, id).unwrap().is_none());
    assert!(!files_containing(dir.path(), m.as_bytes()).is_empty());
}

fn rewrites(s: &FjallStore) -> u64 {
    s.meta_get(LOG_REWRITES_KEY)
        .unwrap()
        .map(|v| u64::from_be_bytes(v.try_into().unwrap()))
        .unwrap_or(0)
}

#[test]
fn purged_entries_leave_every_file_and_the_rest_stays() {
    let dir = tempfile::tempdir().unwrap();
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    let store = StoreId::DEFAULT;
    let doc_key = DocumentKey::agent_profile(ALICE, "prefs");
    let doc_secret = marker("alice-profile");
    let attachment_secret = marker("alice-attachment");
    let mut alice_markers = vec![doc_secret.clone(), attachment_secret.clone()];
    let mut bob = Vec::new();
    let mut ws = WriteSet::default();
    for i in 0..400u64 {
        let id = Uuid::new_v4();
        let (who, m) = if i % 2 == 0 {
            (ALICE, marker("alice"))
        } else {
            (BOB, marker("bob"))
        };
        ws.events.push((i + 1, statement(store, id, who, &m)));
        ws.statement_ids.push((store, id, i + 1));
        if who == ALICE {
            alice_markers.push(m);
        } else {
            bob.push((i + 1, id, m));
        }
    }
    ws.documents.push((
        store,
        doc_key.clone(),
        Some(Arc::new(DocumentRecord::new(
            doc_key.clone(),
            "text/plain".into(),
            doc_secret.clone().into_bytes(),
            1,
        ))),
    ));
    ws.attachments.push((
        store,
        "aa11".into(),
        Bytes::from(attachment_secret.clone().into_bytes()),
    ));
    s.commit(&ws).unwrap();
    assert!(
        !files_containing(dir.path(), alice_markers[5].as_bytes()).is_empty(),
        "the data is on disk before the purge (the search works)"
    );

    let mut plan = PurgePlan::new(
        PurgeReason::Erasure,
        "test",
        PurgeScope::Entries {
            stores: vec![store],
        },
    );
    plan.identifiers = vec![ALICE.into()];
    plan.seqs = (1..=400).step_by(2).collect();
    plan.statements = 200;
    plan.documents = vec![(store, doc_key.clone())];
    plan.attachments = vec![(store, "aa11".into())];
    assert_eq!(s.purge(&plan).unwrap(), 200);
    assert_eq!(rewrites(&s), 1);
    assert_eq!(s.purge(&plan).unwrap(), 0, "repeating a purge is harmless");
    assert_eq!(rewrites(&s), 2);
    s.compact().unwrap();

    // Every marker and the identifier contain "alice", and nothing else does: one search.
    assert!(alice_markers.iter().all(|m| m.contains("alice")));
    assert_eq!(
        files_containing(dir.path(), b"alice"),
        Vec::<String>::new(),
        "some of the purged data is still on disk"
    );
    assert!(s.document(store, &doc_key).unwrap().is_none());
    assert!(s.attachment(store, "aa11").unwrap().is_none());
    assert!(s.event(1).unwrap().is_none());
    for (seq, id, m) in &bob {
        assert_eq!(s.statement_seq(store, *id).unwrap(), Some(*seq));
        let e = s.event(*seq).unwrap().unwrap();
        let body = String::from_utf8(e.as_statement().unwrap().body.clone()).unwrap();
        assert!(body.contains(m.as_str()));
    }
    drop(s);
    // Reopened: the same.
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    assert_eq!(s.events_after(0, 1000).unwrap().len(), 200);
    assert_eq!(rewrites(&s), 2);
}

#[test]
fn a_whole_store_is_purged() {
    let dir = tempfile::tempdir().unwrap();
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    let gone = StoreId(Uuid::from_u128(7));
    let kept = StoreId::DEFAULT;
    let secret = marker("gone-store");
    let mut ws = WriteSet::default();
    for (i, store) in [gone, kept, gone].into_iter().enumerate() {
        let id = Uuid::new_v4();
        let m = if store == gone {
            secret.clone()
        } else {
            "kept".into()
        };
        ws.events
            .push((i as u64 + 1, statement(store, id, BOB, &m)));
        ws.statement_ids.push((store, id, i as u64 + 1));
    }
    ws.attachments.push((
        gone,
        "bb22".into(),
        Bytes::from(secret.clone().into_bytes()),
    ));
    s.commit(&ws).unwrap();
    let plan = PurgePlan::new(PurgeReason::StoreDeletion, "test", PurgeScope::Store(gone));
    assert_eq!(s.purge(&plan).unwrap(), 2);
    s.compact().unwrap();
    assert!(files_containing(dir.path(), secret.as_bytes()).is_empty());
    let left = s.events_after(0, 10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1.store(), Some(kept));
    assert!(s.attachment(gone, "bb22").unwrap().is_none());
    assert!(rewrites(&s) >= 1);
}

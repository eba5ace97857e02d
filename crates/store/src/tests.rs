//! The store's commit and reads, round-tripped through a reopen.
use super::*;
use cairn_core::{FilterKeys, StatementRecord};
use std::sync::Arc;

pub(crate) fn record(id: Uuid) -> Arc<Event> {
    Arc::new(Event::Statement(Arc::new(StatementRecord {
        store: StoreId::DEFAULT,
        id,
        stored_us: 5,
        keys: FilterKeys::default(),
        voids: None,
        attachments: vec![],
        body: br#"{"id":"x"}"#.to_vec(),
        facts: None,
    })))
}

#[test]
fn commit_then_read_back_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let a = Uuid::new_v4();
    let b = Uuid::new_v4();
    {
        let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
        assert_eq!(s.last_seq().unwrap(), 0);
        let ws = WriteSet {
            events: vec![(1, record(a)), (2, record(b))],
            statement_ids: vec![(StoreId::DEFAULT, a, 1), (StoreId::DEFAULT, b, 2)],
            voided: vec![(StoreId::DEFAULT, a, 2)],
            attachments: vec![(StoreId::DEFAULT, "ABC".into(), Bytes::from_static(b"hi"))],
            ..Default::default()
        };
        s.commit(&ws).unwrap();
    }
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    assert_eq!(s.last_seq().unwrap(), 2);
    assert_eq!(s.statement_seq(StoreId::DEFAULT, b).unwrap(), Some(2));
    assert_eq!(s.statement_seq(StoreId(Uuid::new_v4()), b).unwrap(), None);
    assert_eq!(s.voided_by(StoreId::DEFAULT, a).unwrap(), Some(2));
    assert_eq!(
        s.attachment(StoreId::DEFAULT, "abc").unwrap().unwrap(),
        "hi"
    );
    let before = s.events_before(3, 10).unwrap();
    assert_eq!(before.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(s.events_before(2, 10).unwrap().len(), 1);
    assert!(s.events_before(1, 10).unwrap().is_empty());
    let after = s.events_after(1, 10).unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].0, 2);
    let r = after[0].1.as_statement().unwrap();
    assert_eq!(r.id, b);
}

#[test]
fn meta_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    assert_eq!(s.meta_get("k").unwrap(), None);
    s.meta_put("k", b"v").unwrap();
    assert_eq!(s.meta_get("k").unwrap(), Some(b"v".to_vec()));
}

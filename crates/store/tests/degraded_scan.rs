//! Degraded-mode reads on the embedded store: the log's matches in query order inside the
//! page's window, and the bound on the entries one read may scan (`degraded_read_scan_max`).
use cairn_core::degraded::scan_log;
use cairn_core::ports::{LogStore, WriteSet};
use cairn_core::{Error, Event, FilterKeys, Page, StatementQuery, StatementRecord, StoreId};
use cairn_store::FjallStore;
use std::sync::Arc;

fn record(seq: u64) -> Arc<Event> {
    Arc::new(Event::Statement(Arc::new(StatementRecord {
        store: StoreId::DEFAULT,
        id: uuid::Uuid::from_u128(seq as u128),
        stored_us: seq as i64,
        keys: FilterKeys {
            verbs: vec![
                if seq.is_multiple_of(3) {
                    "three"
                } else {
                    "other"
                }
                .into(),
            ],
            ..Default::default()
        },
        voids: None,
        attachments: vec![],
        body: b"{}".to_vec(),
        facts: None,
    })))
}

fn seqs(hits: &[(u64, Arc<StatementRecord>)]) -> Vec<u64> {
    hits.iter().map(|(s, _)| *s).collect()
}

#[test]
fn scans_the_window_in_order_within_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    let n = 3000u64;
    s.commit(&WriteSet {
        events: (1..=n).map(|seq| (seq, record(seq))).collect(),
        ..Default::default()
    })
    .unwrap();
    let mut q = StatementQuery::new(StoreId::DEFAULT);
    q.verb = Some("three".into());
    let page = Page {
        max_seq: 2500,
        after: Some(2200),
        limit: 5,
    };
    let mut budget = 100;
    let hits = scan_log(&s, &q, &page, &mut budget, 100).unwrap();
    assert_eq!(seqs(&hits), [2199, 2196, 2193, 2190, 2187]);
    assert_eq!(budget, 100 - 13, "stops at the last match it needs");
    q.ascending = true;
    let mut budget = 100;
    let hits = scan_log(&s, &q, &page, &mut budget, 100).unwrap();
    assert_eq!(seqs(&hits), [2202, 2205, 2208, 2211, 2214]);
    // The end of the window: fewer than the limit, nothing past max_seq.
    let page = Page {
        max_seq: 2500,
        after: Some(2490),
        limit: 50,
    };
    let mut budget = 100;
    let hits = scan_log(&s, &q, &page, &mut budget, 100).unwrap();
    assert_eq!(seqs(&hits), [2493, 2496, 2499]);
    // A rare match far back needs more than the budget: 503 naming the setting.
    q.ascending = false;
    q.verb = Some("nowhere".into());
    let page = Page {
        max_seq: n,
        after: None,
        limit: 10,
    };
    let mut budget = 1000;
    match scan_log(&s, &q, &page, &mut budget, 1000) {
        Err(Error::Unavailable(m)) => assert!(m.contains("degraded_read_scan_max (1000)"), "{m}"),
        other => panic!("expected 503, got {:?}", other.map(|h| seqs(&h))),
    }
    let mut budget = 5000;
    assert!(
        scan_log(&s, &q, &page, &mut budget, 5000)
            .unwrap()
            .is_empty()
    );
    assert_eq!(budget, 5000 - n as usize);
}

//! Tests of the in-memory tail.
use super::*;
use crate::event::FilterKeys;
use crate::ids::StoreId;
use uuid::Uuid;

fn rec(verb: &str) -> Arc<StatementRecord> {
    Arc::new(StatementRecord {
        store: StoreId::DEFAULT,
        id: Uuid::new_v4(),
        stored_us: 1,
        keys: FilterKeys {
            verbs: vec![verb.into()],
            ..Default::default()
        },
        voids: None,
        attachments: vec![],
        body: b"{}".to_vec(),
        facts: None,
    })
}

#[test]
fn advance_trims_and_query_orders() {
    let t = Tail::new(0);
    for s in 1..=5 {
        t.push(s, rec(if s % 2 == 0 { "even" } else { "odd" }));
    }
    let mut q = StatementQuery::new(StoreId::DEFAULT);
    q.verb = Some("odd".into());
    let page = Page {
        max_seq: 5,
        after: None,
        limit: 10,
    };
    let (wm, got) = t.query(&q, &page);
    assert_eq!(wm, 0);
    assert_eq!(
        got.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![5, 3, 1]
    );
    t.advance(3);
    let (wm, got) = t.query(&q, &page);
    assert_eq!(wm, 3);
    assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![5]);
    assert_eq!(t.len(), 2);
    t.push(2, rec("odd"));
    assert_eq!(t.len(), 2, "entries at or below the watermark are not kept");
}

#[test]
fn push_all_keeps_a_group_above_the_watermark() {
    let t = Tail::new(2);
    let group: Vec<_> = (1..=4).map(|s| (s, rec("v"))).collect();
    t.push_all(&group);
    assert_eq!(t.len(), 2, "seqs 1 and 2 are at or below the watermark");
    let b = t
        .batch(0, 2, 4, 10)
        .expect("the tail holds everything after 2");
    assert_eq!(
        b.statements.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(Arc::ptr_eq(&b.statements[0].1, &group[2].1));
}

#[test]
fn batches_merge_statements_and_persona_changes_up_to_head() {
    let t = Tail::new(0);
    for s in [1, 2, 4] {
        t.push(s, rec("v"));
    }
    let persona = Arc::new(PersonaEvent {
        store: StoreId::DEFAULT,
        at_us: 1,
        change: crate::personas::PersonaChange::Deleted {
            id: Uuid::new_v4(),
            released: vec![],
        },
    });
    t.push_persona(3, persona);
    // Seq 5 is a document (never in the tail), 6 is committed but past `head`.
    t.push(6, rec("v"));
    let seqs = |b: &TailBatch| {
        (
            b.statements.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            b.personas.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            b.last,
        )
    };
    let all = t.batch(0, 0, 5, 10).expect("the tail covers it");
    assert_eq!(seqs(&all), (vec![1, 2, 4], vec![3], 5));
    let two = t.batch(0, 0, 5, 2).expect("covered");
    assert_eq!(
        seqs(&two),
        (vec![1, 2], vec![], 2),
        "stops before the third event"
    );
    let one = t.batch(0, 2, 5, 1).expect("covered");
    assert_eq!(seqs(&one), (vec![], vec![3], 3));
    t.advance(3);
    assert!(
        t.batch(0, 1, 5, 10).is_none(),
        "below the watermark: read the log"
    );
    assert_eq!(
        seqs(&t.batch(0, 3, 6, 10).expect("covered")),
        (vec![4, 6], vec![], 6)
    );
}

#[test]
fn queries_match_outside_the_lock_across_chunks() {
    let t = Tail::new(0);
    let n = 3 * QUERY_CHUNK as u64 + 7;
    for s in 1..=n {
        t.push(s, rec(if s % 3 == 0 { "three" } else { "other" }));
    }
    // The predicate runs while a writer could take the lock: acknowledgements never wait
    // for a large tail query (defect 14).
    let free = |r: &StatementRecord| {
        assert!(
            t.inner.try_write().is_ok(),
            "the tail's lock is held while matching"
        );
        r.keys.verbs[0] == "three"
    };
    let all = Page {
        max_seq: n,
        after: None,
        limit: usize::MAX,
    };
    let (_, desc) = t.query_with(StoreId::DEFAULT, false, &all, free);
    let want: Vec<u64> = (1..=n).rev().filter(|s| s % 3 == 0).collect();
    assert_eq!(desc.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want);
    let (_, asc) = t.query_with(StoreId::DEFAULT, true, &all, free);
    let mut want_asc = want.clone();
    want_asc.reverse();
    assert_eq!(asc.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want_asc);
    // A window in the middle, both directions, with a limit that ends inside a chunk.
    let page = Page {
        max_seq: n - 5,
        after: Some(2000),
        limit: 100,
    };
    let (_, got) = t.query_with(StoreId::DEFAULT, false, &page, free);
    let want: Vec<u64> = (1..2000).rev().filter(|s| s % 3 == 0).take(100).collect();
    assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want);
    let (_, got) = t.query_with(StoreId::DEFAULT, true, &page, free);
    let want: Vec<u64> = (2001..=n - 5).filter(|s| s % 3 == 0).take(100).collect();
    assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want);
}

fn statements(n: usize) -> Bound {
    Bound {
        statements: n,
        bytes: 0,
    }
}

#[tokio::test]
async fn admit_waits_for_the_projection_to_make_room() {
    let t = Arc::new(Tail::new(0));
    for s in 1..=3 {
        t.push(s, rec("v"));
    }
    assert!(
        t.admit(Bound::default(), Duration::ZERO).await,
        "0 is no bound"
    );
    assert!(t.admit(statements(4), Duration::ZERO).await);
    assert!(
        !t.admit(statements(3), Duration::from_millis(20)).await,
        "a full tail refuses after the wait"
    );
    let waiter = tokio::spawn({
        let t = t.clone();
        async move { t.admit(statements(3), Duration::from_secs(30)).await }
    });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    t.advance(1);
    assert!(
        waiter.await.expect("waiter"),
        "an advance lets the writer in"
    );
}

#[tokio::test]
async fn the_tail_counts_its_bytes_and_admits_within_them() {
    let t = Tail::new(0);
    let big = |n: usize| {
        let mut r = (*rec("v")).clone();
        r.body = vec![b' '; n];
        Arc::new(r)
    };
    t.push(1, big(10_000));
    t.push(2, big(20_000));
    let (len, bytes) = t.size();
    assert_eq!(len, 2);
    assert!((30_000..31_000).contains(&bytes), "{bytes}");
    assert_eq!(
        bytes,
        big(10_000).approx_bytes() + big(20_000).approx_bytes()
    );
    // Pushed again (a replay), an entry is counted once.
    t.push(2, big(20_000));
    assert_eq!(t.size().1, bytes);
    let within = |b| Bound {
        statements: 100,
        bytes: b,
    };
    assert!(t.admit(within(bytes + 1), Duration::ZERO).await);
    assert!(
        !t.admit(within(bytes), Duration::ZERO).await,
        "full by its bytes"
    );
    t.advance(1);
    assert_eq!(t.size(), (1, big(20_000).approx_bytes()));
    assert!(t.admit(within(bytes), Duration::ZERO).await);
    t.advance(2);
    assert_eq!(t.size(), (0, 0));
}

/// Two stores in different partitions of `P = 2`.
fn stores_in_two_partitions() -> (StoreId, StoreId) {
    let mut found: [Option<StoreId>; 2] = [None, None];
    while found.iter().any(Option::is_none) {
        let s = StoreId(Uuid::new_v4());
        found[partition_of(s, 2) as usize].get_or_insert(s);
    }
    (
        found[0].expect("partition 0"),
        found[1].expect("partition 1"),
    )
}

fn rec_in(store: StoreId) -> Arc<StatementRecord> {
    let mut r = (*rec("v")).clone();
    r.store = store;
    Arc::new(r)
}

#[test]
fn partitions_advance_and_answer_apart() {
    let (a, b) = stores_in_two_partitions();
    let t = Tail::partitioned(vec![0, 2]);
    assert_eq!(t.partitions(), 2);
    for s in 1..=6 {
        t.push(s, rec_in(if s % 2 == 0 { b } else { a }));
    }
    assert_eq!(
        t.len(),
        5,
        "b's seq 2 is at or below partition 1's watermark"
    );
    assert_eq!(t.watermark(), 0, "the lowest partition's watermark");
    let seqs = |b: &TailBatch| b.statements.iter().map(|(s, _)| *s).collect::<Vec<_>>();
    let first = t
        .batch(0, 0, 6, 10)
        .expect("partition 0 holds everything after 0");
    assert_eq!(seqs(&first), vec![1, 3, 5]);
    assert_eq!(first.last, 6);
    assert!(
        t.batch(1, 0, 6, 10).is_none(),
        "below partition 1's watermark"
    );
    assert_eq!(seqs(&t.batch(1, 2, 6, 10).expect("covered")), vec![4, 6]);
    assert_eq!(
        t.advance_partition_stores(0, 5),
        [a],
        "the stores that left the tail"
    );
    assert_eq!(t.advance_partition_stores(0, 5), [], "nothing left twice");
    assert_eq!(t.len(), 2, "only partition 0's entries left the tail");
    assert_eq!((t.partition_watermark(0), t.partition_watermark(1)), (5, 2));
    assert_eq!(t.watermark(), 2);
    let page = Page {
        max_seq: 6,
        after: None,
        limit: 10,
    };
    let (wm, got) = t.query(&StatementQuery::new(b), &page);
    assert_eq!(wm, 2, "a store's reads take its partition's watermark");
    assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![6, 4]);
    let (wm, got) = t.query(&StatementQuery::new(a), &page);
    assert_eq!((wm, got.len()), (5, 0));
    t.advance(6);
    assert!(t.is_empty());
    assert_eq!(t.watermark(), 6);
}

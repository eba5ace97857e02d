//! Restored ranges (statements restored from an archive with their old `stored`): the writer
//! records them with the statements, so they survive a restart, and in cluster mode every node
//! that applies the replicated log learns them, so `until` queries on any node keep the
//! restored statements inside their log-position bounds. The replicated log here is an
//! in-memory one with JetStream's expected-position rule; the cluster tests run the real one.
mod mem_log;

use cairn_core::StoreId;
use cairn_core::ports::LogStore;
use cairn_core::query::StatementQuery;
use cairn_core::tail::Tail;
use cairn_core::timeline::restored::{RESTORED_META, load};
use cairn_core::timeline::{Restored, Timeline};
use cairn_core::writer::{AppendRequest, NewStatement, Writer, WriterConfig, WriterHandle};
use cairn_store::FjallStore;
use mem_log::MemLog;
use std::sync::Arc;
use uuid::Uuid;

/// July 2025, in µs: the restored statements' `stored` times.
const OLD_US: i64 = 1_751_328_000_000_000;

fn statement(n: u128, restored: Option<i64>) -> NewStatement {
    let id = Uuid::from_u128(n);
    NewStatement {
        id,
        definitions: Vec::new(),
        body: format!(r#"{{"id":"{id}"}}"#).into_bytes(),
        keys: Default::default(),
        voids: None,
        ref_target: None,
        attachments: Vec::new(),
        lrs_timestamp: false,
        restored_stored_us: restored,
        facts: None,
    }
}

fn append(statements: Vec<NewStatement>) -> AppendRequest {
    AppendRequest {
        store: StoreId::DEFAULT,
        statements,
        attachments: Vec::new(),
        own_only: None,
    }
}

/// Three statements restored with `stored` in July 2025, numbered from `from`.
fn restore(from: u128) -> AppendRequest {
    append(
        (0..3)
            .map(|i| statement(from + i, Some(OLD_US + 1_000 * i as i64)))
            .collect(),
    )
}

struct Node {
    log: Arc<dyn LogStore>,
    timeline: Arc<Timeline>,
    writer: WriterHandle,
}

fn node(dir: &std::path::Path, replicated: Option<Arc<MemLog>>) -> Node {
    let log: Arc<dyn LogStore> = Arc::new(FjallStore::open(dir, 8 << 20).unwrap());
    let timeline = Arc::new(Timeline::load(&*log).unwrap());
    let w = Writer::new(log.clone(), Arc::new(Tail::new(0)), WriterConfig::default())
        .with_timeline(timeline.clone());
    let w = match replicated {
        Some(r) => w.with_replicated(r),
        None => w,
    };
    let (writer, _join) = w.spawn().unwrap();
    Node {
        log,
        timeline,
        writer,
    }
}

/// The positions a query with `until` (end of July 2025) may read, by the node's timeline.
fn upto_of_until(n: &Node) -> Option<u64> {
    let mut q = StatementQuery::new(StoreId::DEFAULT);
    q.until_us = Some(OLD_US + 31 * 86_400_000_000);
    let last = n.log.last_seq().unwrap();
    n.timeline.bounds(&*n.log, &q, last).unwrap().seq_upto
}

#[tokio::test]
async fn a_restore_records_its_range_with_the_statements() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path(), None);
    n.writer
        .append(append(vec![statement(1, None)]))
        .await
        .unwrap();
    let last = n.writer.append(restore(10)).await.unwrap();
    n.writer
        .append(append(vec![statement(2, None)]))
        .await
        .unwrap();
    let ranges = n.timeline.restored();
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    let r: Restored = ranges[0];
    assert_eq!((r.first, r.last), (last - 2, last));
    assert_eq!(r.min_stored_us, OLD_US);
    assert!(r.at_us > OLD_US && r.max_stored_us >= r.at_us, "{r:?}");
    assert_eq!(load(&*n.log).unwrap(), ranges, "the same ranges in meta");
    assert_eq!(upto_of_until(&n), Some(last));

    // A second restore right after merges with the first; the ranges survive a restart.
    let last = n.writer.append(restore(20)).await.unwrap();
    let ranges = n.timeline.restored();
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    assert_eq!((ranges[0].first, ranges[0].last), (r.first, last));
    drop(n);
    // (The writer thread stops once its handle is gone; the store closes with it.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let reopened = loop {
        match FjallStore::open(dir.path(), 8 << 20) {
            Ok(s) => break s,
            Err(e) if std::time::Instant::now() > deadline => panic!("reopen: {e}"),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    };
    assert_eq!(Timeline::load(&reopened).unwrap().restored(), ranges);
}

#[tokio::test]
async fn every_node_of_a_cluster_learns_a_range_restored_through_another() {
    let shared = Arc::new(MemLog::default());
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(da.path(), Some(shared.clone()));
    let b = node(db.path(), Some(shared.clone()));
    // Statements of now before and after the restored ones (of July 2025).
    let now: Vec<_> = (1..=4).map(|i| statement(i, None)).collect();
    b.writer.append(append(now)).await.unwrap();
    a.writer
        .append(append(vec![statement(5, None)]))
        .await
        .unwrap();
    let last = a.writer.append(restore(10)).await.unwrap();
    b.writer
        .append(append(vec![statement(6, None)]))
        .await
        .unwrap();

    assert_eq!(b.log.last_seq().unwrap(), last + 1, "b applied a's restore");
    let (ra, rb) = (a.timeline.restored(), b.timeline.restored());
    assert_eq!(ra.len(), 1, "{ra:?}");
    assert_eq!(rb, ra, "b knows the range a restored");
    assert_eq!((rb[0].first, rb[0].last), (last - 2, last));
    assert_eq!(
        b.log.meta_get(RESTORED_META).unwrap(),
        a.log.meta_get(RESTORED_META).unwrap()
    );
    // On b, a query until the end of July 2025 reads up to the restored statements.
    assert_eq!(upto_of_until(&b), Some(last));
    // Without the range the search would stop before them.
    let mut q = StatementQuery::new(StoreId::DEFAULT);
    q.until_us = Some(OLD_US + 31 * 86_400_000_000);
    let unaware = Timeline::new().bounds(&*b.log, &q, last + 1).unwrap();
    assert!(unaware.seq_upto.is_none_or(|u| u < last), "{unaware:?}");
}

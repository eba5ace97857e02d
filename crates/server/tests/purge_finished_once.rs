//! A purge gets exactly one Finished event in a cluster's log, whichever nodes append it and
//! when: the deciding node, nodes taking over from a decider that never came back, all at
//! once, or the decider coming back late. The writer skips a Finished event the log holds
//! (`cairn_core::purge::finish::write`), deciding against the whole log: an append decided behind
//! the log is refused and decided again. The replicated log here is an in-memory one with
//! JetStream's expected-position rule; `cluster_erase.rs` runs the real one with real nodes.
mod mem_log;

use cairn_core::Event;
use cairn_core::StoreId;
use cairn_core::ports::LogStore;
use cairn_core::purge::finish::finished_key;
use cairn_core::purge::{PurgeEvent, PurgePhase, PurgePlan, PurgeReason, PurgeScope};
use cairn_core::replicated::decode_group;
use cairn_core::tail::Tail;
use cairn_core::writer::{PurgeWrite, Writer, WriterConfig, WriterHandle};
use cairn_store::FjallStore;
use mem_log::MemLog;
use std::sync::Arc;

impl MemLog {
    /// The purge events of `id` in `phase` that the log holds.
    fn events(&self, id: uuid::Uuid, phase: PurgePhase) -> Vec<PurgeEvent> {
        let m = self.0.lock().unwrap();
        m.iter()
            .flat_map(|p| decode_group(p).unwrap().events)
            .filter_map(|(_, e)| match &*e {
                Event::Purge(p) if p.id == id && p.phase == phase => Some((**p).clone()),
                _ => None,
            })
            .collect()
    }
}

struct Node {
    log: Arc<dyn LogStore>,
    writer: WriterHandle,
    _dir: tempfile::TempDir,
}

fn node(replicated: &Arc<MemLog>) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn LogStore> = Arc::new(FjallStore::open(dir.path(), 8 << 20).unwrap());
    let w = Writer::new(log.clone(), Arc::new(Tail::new(0)), WriterConfig::default())
        .with_replicated(replicated.clone());
    let (writer, _join) = w.spawn().unwrap();
    Node {
        log,
        writer,
        _dir: dir,
    }
}

fn finished(plan: &PurgePlan) -> PurgeWrite {
    PurgeWrite::of(plan, PurgePhase::Finished, Vec::new())
}

#[tokio::test]
async fn a_purge_gets_one_finished_event_whoever_appends_it() {
    let shared = Arc::new(MemLog::default());
    let nodes: Vec<Node> = (0..3).map(|_| node(&shared)).collect();
    let mut plan = PurgePlan::new(
        PurgeReason::Erasure,
        "admin",
        PurgeScope::Entries {
            stores: vec![StoreId::DEFAULT],
        },
    );
    plan.identifiers = vec!["mbox:mailto:gone@example.com".into()];
    plan.statements = 7;
    nodes[0]
        .writer
        .purge(PurgeWrite::of(&plan, PurgePhase::Begun, Vec::new()))
        .await
        .unwrap();

    // Nodes 1 and 2 take over at once (neither has applied anything yet: each decides behind
    // the log at first), several times each.
    let mut writes = tokio::task::JoinSet::new();
    for _ in 0..3 {
        for n in &nodes[1..] {
            let (writer, write) = (n.writer.clone(), finished(&plan));
            writes.spawn(async move { writer.purge(write).await });
        }
    }
    for r in writes.join_all().await {
        r.unwrap();
    }
    let events = shared.events(plan.id, PurgePhase::Finished);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].statements, 7);
    assert!(!events[0].identifiers.contains(&plan.identifiers[0]));

    // The deciding node comes back late: it skips the event and still succeeds.
    nodes[0].writer.purge(finished(&plan)).await.unwrap();
    assert_eq!(shared.events(plan.id, PurgePhase::Finished).len(), 1);
    assert_eq!(shared.events(plan.id, PurgePhase::Begun).len(), 1);

    // Every node records that the purge has its event, a node that joins later too.
    let late = node(&shared);
    late.writer.catch_up().await.unwrap();
    for n in nodes.iter().chain([&late]) {
        n.writer.catch_up().await.unwrap();
        let row = n.log.meta_get(&finished_key(plan.id)).unwrap();
        let event: PurgeEvent = cairn_core::codec::decode(&row.expect("the mark")).unwrap();
        assert_eq!(event, events[0]);
    }
    late.writer.purge(finished(&plan)).await.unwrap();
    assert_eq!(shared.events(plan.id, PurgePhase::Finished).len(), 1);

    // Another purge is not mistaken for this one.
    let other = PurgePlan::new(
        PurgeReason::BatchDelete,
        "admin",
        PurgeScope::Store(StoreId::DEFAULT),
    );
    nodes[2].writer.purge(finished(&other)).await.unwrap();
    assert_eq!(shared.events(other.id, PurgePhase::Finished).len(), 1);
}

#[tokio::test]
async fn a_single_node_skips_a_second_finished_event_too() {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn LogStore> = Arc::new(FjallStore::open(dir.path(), 8 << 20).unwrap());
    let w = Writer::new(log.clone(), Arc::new(Tail::new(0)), WriterConfig::default());
    let (writer, _join) = w.spawn().unwrap();
    let plan = PurgePlan::new(
        PurgeReason::Retention,
        "cli",
        PurgeScope::Store(StoreId::DEFAULT),
    );
    let first = writer.purge(finished(&plan)).await.unwrap();
    let second = writer.purge(finished(&plan)).await.unwrap();
    assert_eq!(first, second, "nothing appended the second time");
    let purges = log
        .events_after(0, 100)
        .unwrap()
        .into_iter()
        .filter(|(_, e)| matches!(e, Event::Purge(_)))
        .count();
    assert_eq!(purges, 1);
}

//! A purge holds the projector back only while it rebuilds aggregates: while the projection
//! deletes the purged rows (ClickHouse mutations that take minutes on a large store), new
//! statements are still projected, so ingest is not refused by the back-pressure for that
//! long. The projection here records what it is given and blocks in `purge_rows` until the
//! test lets it go.
use cairn_core::projector::{Projector, ProjectorConfig};
use cairn_core::purge::run::Purger;
use cairn_core::purge::{PurgePlan, PurgeReason, PurgeScope};
use cairn_core::tail::Tail;
use cairn_core::writer::{AppendRequest, NewStatement, Writer, WriterConfig};
use cairn_core::{
    Page, PersonaLink, Projection, ProjectionError, Retraction, StatementQuery, StatementRecord,
    StoreId,
};
use cairn_store::FjallStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

struct Held {
    /// Log positions inserted, in order, and a mark where each purge step began and ended.
    seen: Mutex<Vec<String>>,
    inserted: Notify,
    rows_entered: Notify,
    release_rows: Semaphore,
    aggregates_entered: Notify,
}

impl Held {
    fn new() -> Self {
        Held {
            seen: Mutex::default(),
            inserted: Notify::new(),
            rows_entered: Notify::new(),
            release_rows: Semaphore::new(0),
            aggregates_entered: Notify::new(),
        }
    }
    fn note(&self, what: String) {
        self.seen.lock().unwrap().push(what);
    }
}

#[async_trait::async_trait]
impl Projection for Held {
    async fn migrate(&self) -> Result<(), ProjectionError> {
        Ok(())
    }
    async fn ping(&self) -> Result<(), ProjectionError> {
        Ok(())
    }
    async fn insert(
        &self,
        rows: &[(u64, Arc<StatementRecord>)],
        _: &[Retraction],
    ) -> Result<(), ProjectionError> {
        for (seq, _) in rows {
            self.note(format!("insert {seq}"));
        }
        self.inserted.notify_waiters();
        Ok(())
    }
    async fn link_personas(&self, _: &[PersonaLink]) -> Result<(), ProjectionError> {
        Ok(())
    }
    async fn discard_after(&self, _: u64) -> Result<(), ProjectionError> {
        Ok(())
    }
    async fn query_seqs(&self, _: &StatementQuery, _: &Page) -> Result<Vec<u64>, ProjectionError> {
        Ok(Vec::new())
    }
    async fn purge_rows(&self, _: &PurgePlan) -> Result<(), ProjectionError> {
        self.note("rows begin".into());
        self.rows_entered.notify_waiters();
        let _go = self.release_rows.acquire().await.unwrap();
        self.note("rows end".into());
        Ok(())
    }
    async fn purge_aggregates(&self, _: &PurgePlan) -> Result<(), ProjectionError> {
        self.note("aggregates begin".into());
        self.aggregates_entered.notify_waiters();
        // Long enough for a batch to slip in if the gate let it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.note("aggregates end".into());
        Ok(())
    }
}

fn statement(n: u128) -> NewStatement {
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
        restored_stored_us: None,
        facts: None,
    }
}

fn append(n: u128) -> AppendRequest {
    AppendRequest {
        store: StoreId::DEFAULT,
        statements: vec![statement(n)],
        attachments: Vec::new(),
        own_only: None,
    }
}

async fn until_seen(held: &Held, what: &str) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let notified = held.inserted.notified();
            if held.seen.lock().unwrap().iter().any(|s| s == what) {
                return;
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never saw {what:?}: {:?}", held.seen.lock().unwrap()));
}

#[tokio::test]
async fn new_statements_are_projected_while_a_purge_deletes_rows() {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn cairn_core::ports::LogStore> =
        Arc::new(FjallStore::open(dir.path(), 8 << 20).unwrap());
    let tail = Arc::new(Tail::new(0));
    let held = Arc::new(Held::new());
    let gate = Arc::new(tokio::sync::Mutex::new(()));
    let projector = Projector::new(
        log.clone(),
        held.clone(),
        tail.clone(),
        ProjectorConfig {
            batch_min: 1,
            batch_linger: Duration::from_millis(1),
            ..ProjectorConfig::default()
        },
    )
    .with_gate(gate.clone());
    projector.recover().await.unwrap();
    let (writer, _join) = Writer::new(log.clone(), tail, WriterConfig::default())
        .spawn()
        .unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(projector.run(writer.subscribe(), shutdown));

    for n in 1..=2 {
        writer.append(append(n)).await.unwrap();
    }
    until_seen(&held, "insert 2").await;

    let purger = Arc::new(Purger::new(log, held.clone(), writer.clone(), gate));
    let mut plan = PurgePlan::new(
        PurgeReason::Erasure,
        "test",
        PurgeScope::Entries {
            stores: vec![StoreId::DEFAULT],
        },
    );
    plan.seqs = vec![1];
    plan.statements = 1;
    let entered = held.rows_entered.notified();
    let purge = tokio::spawn({
        let purger = purger.clone();
        async move { purger.run(plan).await }
    });
    tokio::time::timeout(Duration::from_secs(10), entered)
        .await
        .expect("the purge never reached the projection");

    // The rows are being deleted: a new statement is projected all the same.
    let seq = writer.append(append(3)).await.unwrap();
    until_seen(&held, &format!("insert {seq}")).await;
    assert!(
        !held.seen.lock().unwrap().iter().any(|s| s == "rows end"),
        "the row deletion was still running"
    );

    // The aggregates are being rebuilt: a new statement waits for the end of it.
    let rebuilding = held.aggregates_entered.notified();
    held.release_rows.add_permits(1);
    tokio::time::timeout(Duration::from_secs(10), rebuilding)
        .await
        .expect("the purge never rebuilt the aggregates");
    let during = writer.append(append(4)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), purge)
        .await
        .expect("the purge did not finish")
        .unwrap()
        .unwrap();
    until_seen(&held, &format!("insert {during}")).await;
    let seen = held.seen.lock().unwrap().clone();
    let at = |what: &str| seen.iter().position(|s| *s == what).unwrap();
    assert!(
        at(&format!("insert {during}")) > at("aggregates end"),
        "a batch was inserted while the aggregates were rebuilt: {seen:?}"
    );
    stop.send(true).unwrap();
    running.await.unwrap();
}

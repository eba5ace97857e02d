//! Defect 14: the projector never calls the embedded store (blocking disk I/O) on an async
//! worker. The log is wrapped so that every call records whether it ran on the runtime's own
//! thread (a current-thread runtime: its one worker is the test's thread).
use bytes::Bytes;
use cairn_core::documents::{DocumentKey, DocumentRecord, DocumentScope};
use cairn_core::ports::{EntityRow, LogStore, StoreError, WriteSet};
use cairn_core::projector::{Projector, ProjectorConfig};
use cairn_core::tail::Tail;
use cairn_core::{
    Event, FilterKeys, Page, PersonaLink, Projection, ProjectionError, Retraction, StatementQuery,
    StatementRecord, StoreId,
};
use cairn_store::FjallStore;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use uuid::Uuid;

struct Watched {
    inner: FjallStore,
    runtime_thread: ThreadId,
    on_runtime: Mutex<Vec<&'static str>>,
}

impl Watched {
    fn check(&self, call: &'static str) {
        if std::thread::current().id() == self.runtime_thread {
            self.on_runtime.lock().unwrap().push(call);
        }
    }
}

impl LogStore for Watched {
    fn last_seq(&self) -> Result<u64, StoreError> {
        self.check("last_seq");
        self.inner.last_seq()
    }
    fn commit(&self, ws: &WriteSet) -> Result<(), StoreError> {
        self.check("commit");
        self.inner.commit(ws)
    }
    fn event(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        self.check("event");
        self.inner.event(seq)
    }
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError> {
        self.check("events_after");
        self.inner.events_after(after, limit)
    }
    fn events_before(&self, before: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError> {
        self.check("events_before");
        self.inner.events_before(before, limit)
    }
    fn statement_seq(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError> {
        self.check("statement_seq");
        self.inner.statement_seq(store, id)
    }
    fn voided_by(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError> {
        self.check("voided_by");
        self.inner.voided_by(store, id)
    }
    fn attachment(&self, store: StoreId, sha2: &str) -> Result<Option<Bytes>, StoreError> {
        self.check("attachment");
        self.inner.attachment(store, sha2)
    }
    fn document(&self, s: StoreId, k: &DocumentKey) -> Result<Option<DocumentRecord>, StoreError> {
        self.check("document");
        self.inner.document(s, k)
    }
    fn documents(&self, s: StoreId, sc: &DocumentScope) -> Result<Vec<DocumentRecord>, StoreError> {
        self.check("documents");
        self.inner.documents(s, sc)
    }
    fn activity(&self, store: StoreId, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check("activity");
        self.inner.activity(store, id)
    }
    fn entities(&self) -> Result<Vec<EntityRow>, StoreError> {
        self.check("entities");
        self.inner.entities()
    }
    fn personas(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.check("personas");
        self.inner.personas()
    }
    fn dashboards(&self) -> Result<Vec<EntityRow>, StoreError> {
        self.check("dashboards");
        self.inner.dashboards()
    }
    fn forwarders(&self) -> Result<Vec<EntityRow>, StoreError> {
        self.inner.forwarders()
    }
    fn forwarding_rows(&self, prefix: &[u8]) -> Result<Vec<EntityRow>, StoreError> {
        self.inner.forwarding_rows(prefix)
    }
    fn forwarding_write(&self, rows: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<(), StoreError> {
        self.inner.forwarding_write(rows)
    }
    fn audit_before(
        &self,
        before: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<cairn_core::ports::EntityRow>, StoreError> {
        self.inner.audit_before(before, limit)
    }
    fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check("meta_get");
        self.inner.meta_get(key)
    }
    fn meta_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check("meta_put");
        self.inner.meta_put(key, value)
    }
}

/// A projection that keeps what it is given.
#[derive(Default)]
struct Kept {
    rows: Mutex<Vec<u64>>,
    retractions: Mutex<Vec<Retraction>>,
    inserted: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl Projection for Kept {
    async fn migrate(&self) -> Result<(), ProjectionError> {
        Ok(())
    }
    async fn ping(&self) -> Result<(), ProjectionError> {
        Ok(())
    }
    async fn insert(
        &self,
        rows: &[(u64, Arc<StatementRecord>)],
        retractions: &[Retraction],
    ) -> Result<(), ProjectionError> {
        self.rows
            .lock()
            .unwrap()
            .extend(rows.iter().map(|(s, _)| *s));
        self.retractions
            .lock()
            .unwrap()
            .extend_from_slice(retractions);
        self.inserted.notify_one();
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
}

fn statement(id: u128, voids: Option<Uuid>) -> Arc<Event> {
    Arc::new(Event::Statement(Arc::new(StatementRecord {
        store: StoreId::DEFAULT,
        id: Uuid::from_u128(id),
        stored_us: 1,
        keys: FilterKeys::default(),
        voids,
        attachments: vec![],
        body: b"{}".to_vec(),
        facts: None,
    })))
}

#[tokio::test(flavor = "current_thread")]
async fn the_projector_reads_the_store_off_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let inner = FjallStore::open(dir.path(), 8 << 20).unwrap();
    let d = StoreId::DEFAULT;
    inner
        .commit(&WriteSet {
            events: vec![
                (1, statement(1, None)),
                (2, statement(2, None)),
                (3, statement(3, Some(Uuid::from_u128(1)))),
            ],
            statement_ids: vec![
                (d, Uuid::from_u128(1), 1),
                (d, Uuid::from_u128(2), 2),
                (d, Uuid::from_u128(3), 3),
            ],
            voided: vec![(d, Uuid::from_u128(1), 3)],
            ..Default::default()
        })
        .unwrap();
    let log = Arc::new(Watched {
        inner,
        runtime_thread: std::thread::current().id(),
        on_runtime: Mutex::new(Vec::new()),
    });
    let kept = Arc::new(Kept::default());
    let projector = Projector::new(
        log.clone(),
        kept.clone(),
        Arc::new(Tail::new(0)),
        ProjectorConfig {
            batch_min: 1,
            ..ProjectorConfig::default()
        },
    );
    assert_eq!(projector.recover().await.unwrap(), 0);
    let (_committed_tx, committed) = tokio::sync::watch::channel(3u64);
    let (shutdown_tx, shutdown) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(projector.run(committed, shutdown));
    kept.inserted.notified().await;
    shutdown_tx.send(true).unwrap();
    run.await.unwrap();
    assert_eq!(*kept.rows.lock().unwrap(), [1, 2, 3]);
    assert_eq!(
        kept.retractions.lock().unwrap().len(),
        1,
        "statement 3 voids 1"
    );
    assert_eq!(
        cairn_core::projector::read_checkpoint(&log.inner).unwrap(),
        3,
        "the checkpoint moved"
    );
    assert_eq!(
        *log.on_runtime.lock().unwrap(),
        Vec::<&str>::new(),
        "store calls made on the async worker"
    );
}

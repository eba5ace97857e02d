//! An embedded store that refuses a write (as fjall does, poisoning itself, when an fsync
//! fails) makes the node not ready, says why in `/health/ready` and `/metrics`, and tells the
//! binary to exit so that a supervisor restarts it (`Running::store_failed`).
mod common;

use bytes::Bytes;
use cairn_core::documents::{DocumentKey, DocumentRecord, DocumentScope};
use cairn_core::ports::{EntityRow, LogStore, StoreError, WriteSet};
use cairn_core::{Event, StoreId};
use common::{statement, test_config};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// The embedded store, with commits that fail once `broken` is set.
struct Breakable {
    inner: Arc<cairn_store::FjallStore>,
    broken: AtomicBool,
}

impl LogStore for Breakable {
    fn last_seq(&self) -> Result<u64, StoreError> {
        self.inner.last_seq()
    }
    fn commit(&self, ws: &WriteSet) -> Result<(), StoreError> {
        if self.broken.load(Ordering::Acquire) {
            return Err(StoreError("Poisoned: fsync failed (injected)".into()));
        }
        self.inner.commit(ws)
    }
    fn event(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        self.inner.event(seq)
    }
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError> {
        self.inner.events_after(after, limit)
    }
    fn events_before(&self, before: u64, limit: usize) -> Result<Vec<(u64, Event)>, StoreError> {
        self.inner.events_before(before, limit)
    }
    fn statement_seq(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError> {
        self.inner.statement_seq(store, id)
    }
    fn voided_by(&self, store: StoreId, id: Uuid) -> Result<Option<u64>, StoreError> {
        self.inner.voided_by(store, id)
    }
    fn attachment(&self, store: StoreId, sha2: &str) -> Result<Option<Bytes>, StoreError> {
        self.inner.attachment(store, sha2)
    }
    fn document(
        &self,
        store: StoreId,
        key: &DocumentKey,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        self.inner.document(store, key)
    }
    fn documents(
        &self,
        store: StoreId,
        scope: &DocumentScope,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.inner.documents(store, scope)
    }
    fn activity(&self, store: StoreId, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.activity(store, id)
    }
    fn entities(&self) -> Result<Vec<EntityRow>, StoreError> {
        self.inner.entities()
    }
    fn personas(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.personas()
    }
    fn dashboards(&self) -> Result<Vec<EntityRow>, StoreError> {
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
        self.inner.meta_get(key)
    }
    fn meta_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.meta_put(key, value)
    }
}

#[tokio::test]
async fn a_store_that_refused_a_write_is_not_ready_and_stops_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.metrics_addr = "127.0.0.1:0".to_owned().try_into().unwrap();
    let store = Arc::new(Breakable {
        inner: cairn_server::app::open_store(&cfg).unwrap(),
        broken: AtomicBool::new(false),
    });
    let mut running = cairn_server::app::start_on(cfg, store.clone())
        .await
        .expect("starts");
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let post = || {
        http.post(format!("{base}/xapi/statements"))
            .basic_auth("tester", Some("s3cret-s3cret-s3cret"))
            .header("X-Experience-API-Version", "1.0.3")
            .json(&statement(
                "http://example.com/verbs/did",
                "http://example.com/a",
            ))
            .send()
    };
    assert_eq!(post().await.unwrap().status(), 200);
    let ready = http
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    store.broken.store(true, Ordering::Release);
    let res = post().await.unwrap();
    assert_eq!(res.status(), 500, "the write is refused, not acknowledged");
    let failure = tokio::time::timeout(Duration::from_secs(10), running.store_failed())
        .await
        .expect("the node is told to stop");
    assert!(failure.contains("fsync failed"), "{failure}");

    let ready = http
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["store"]["ok"], false);
    let why = body["store"]["error"].as_str().unwrap();
    assert!(
        why.contains("refused a write") && why.contains("fsync failed"),
        "{why}"
    );

    let metrics = running.metrics_addr.unwrap();
    let text = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.lines().any(|l| l == "cairn_store_failed 1"), "{text}");
    running.stop().await;
}

//! The shared dead letters on an in-memory bucket with JetStream's revisions (one counter for
//! the whole bucket); the real one is exercised by `crates/server/tests/cluster_forwarding.rs`.
use super::*;
use crate::projection_lease::LeaseStore;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
struct Kv {
    rows: BTreeMap<String, (Vec<u8>, u64)>,
    last: u64,
}

#[derive(Default, Clone)]
struct Bucket(Arc<Mutex<Kv>>);

struct Record(Bucket, String);

#[async_trait::async_trait]
impl LeaseStore for Record {
    async fn read(&self) -> Result<Option<(Vec<u8>, u64)>, String> {
        Ok(self.0.0.lock().unwrap().rows.get(&self.1).cloned())
    }
    async fn create(&self, value: Vec<u8>) -> Result<u64, CasError> {
        let mut kv = self.0.0.lock().unwrap();
        if kv.rows.contains_key(&self.1) {
            return Err(CasError::Conflict);
        }
        kv.last += 1;
        let r = kv.last;
        kv.rows.insert(self.1.clone(), (value, r));
        Ok(r)
    }
    async fn update(&self, value: Vec<u8>, revision: u64) -> Result<u64, CasError> {
        let mut kv = self.0.0.lock().unwrap();
        match kv.rows.get(&self.1) {
            Some((_, r)) if *r == revision => {
                kv.last += 1;
                let r = kv.last;
                kv.rows.insert(self.1.clone(), (value, r));
                Ok(r)
            }
            _ => Err(CasError::Conflict),
        }
    }
}

impl LeaseBucket for Bucket {
    fn record(&self, key: &str) -> Arc<dyn LeaseStore> {
        Arc::new(Record(self.clone(), key.to_owned()))
    }
}

#[async_trait::async_trait]
impl BucketRecords for Bucket {
    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>, u64)>, String> {
        let kv = self.0.lock().unwrap();
        Ok(kv
            .rows
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, (v, r))| (k.clone(), v.clone(), *r))
            .collect())
    }
    async fn remove(&self, key: &str, revision: u64) -> Result<(), CasError> {
        let mut kv = self.0.lock().unwrap();
        match kv.rows.get(key) {
            Some((_, r)) if *r == revision => {
                kv.rows.remove(key);
                kv.last += 1;
                Ok(())
            }
            _ => Err(CasError::Conflict),
        }
    }
}

fn shared() -> SharedDeadLetters {
    let b = Bucket::default();
    SharedDeadLetters::new(Arc::new(b.clone()), Arc::new(b))
}

fn letter(forwarder: u128, id: Uuid) -> DeadLetter {
    DeadLetter {
        id,
        forwarder: Uuid::from_u128(forwarder),
        seqs: vec![7, 8, 9],
        attempts: 1,
        status: Some(422),
        error: "refused".into(),
        created_us: 1_700_000_000_000_000,
        last_attempt_us: 1_700_000_000_500_000,
    }
}

/// The record's bytes are frozen: a change to [`DeadLetter`] that breaks this needs a new format
/// version (records written by older nodes stay in the bucket and in nodes' keyspaces).
#[test]
fn dead_letters_keep_their_format() {
    let dl = letter(1, Uuid::from_u128(2));
    // Version 1; the id and the forwarder (16 bytes each); the seqs 7, 8, 9; 1 attempt;
    // status 422; "refused"; the two times.
    let frozen = concat!(
        "c1",
        "1000000000000000000000000000000002",
        "1000000000000000000000000000000001",
        "03070809",
        "01",
        "01a603",
        "0772656675736564",
        "8080f28183898506",
        "c084af8283898506",
    );
    let bytes = crate::codec::encode(&dl);
    assert_eq!(hex::encode(&bytes), frozen);
    assert_eq!(
        crate::codec::decode::<DeadLetter>(&hex::decode(frozen).unwrap()).unwrap(),
        dl
    );
}

#[test]
fn keys_are_per_forwarder_and_sort_in_creation_order() {
    let (f, g) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    assert!(key(f, a).starts_with(&prefix(f)));
    assert!(!key(g, a).starts_with(&prefix(f)));
    assert!(key(f, a) < key(f, b));
    assert!(prefix(f).ends_with('.'));
    // Letters, digits and dots only: a valid key of JetStream's key-value store.
    assert!(
        key(f, a)
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.')
    );
}

#[test]
fn a_retry_delivered_removes_the_letter_and_a_failed_one_keeps_the_new_answer() {
    let dl = letter(1, Uuid::from_u128(2));
    assert_eq!(
        after_retry(dl.clone(), Outcome::Acked, 5),
        RetryEnd::Delivered
    );
    let refused = Outcome::Refused {
        status: Some(400),
        error: "bad".into(),
    };
    let RetryEnd::Kept(kept) = after_retry(dl.clone(), refused, 5) else {
        panic!("kept")
    };
    assert_eq!(
        (
            kept.attempts,
            kept.last_attempt_us,
            kept.status,
            kept.error.as_str()
        ),
        (2, 5, Some(400), "bad")
    );
    assert_eq!(
        (kept.id, kept.seqs.clone(), kept.created_us),
        (dl.id, dl.seqs, dl.created_us)
    );
    let down = Outcome::Retry {
        status: None,
        error: "connection refused".into(),
        retry_after: None,
    };
    let RetryEnd::Kept(kept) = after_retry(kept, down, 6) else {
        panic!("kept")
    };
    assert_eq!((kept.attempts, kept.status), (3, None));
}

#[test]
fn a_letter_is_retried_only_once_the_log_holds_it() {
    assert!(in_log(&[7, 8, 9], 9));
    assert!(!in_log(&[7, 8, 9], 8));
    assert!(in_log(&[], 0));
}

#[tokio::test]
async fn every_node_sees_one_set_and_a_second_discard_finds_nothing() {
    let s = shared();
    let (a, b) = (letter(1, Uuid::now_v7()), letter(1, Uuid::now_v7()));
    let other = letter(2, Uuid::now_v7());
    for dl in [&b, &a, &other] {
        s.record(dl).await.unwrap();
    }
    // Recorded again (an answer lost, a migration run twice): still one.
    s.record(&a).await.unwrap();
    assert_eq!(
        s.list(a.forwarder).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(s.count(a.forwarder).await.unwrap(), 2);

    s.discard(a.forwarder, a.id).await.unwrap();
    assert!(matches!(
        s.discard(a.forwarder, a.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        s.get(a.forwarder, a.id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(s.list(a.forwarder).await.unwrap(), vec![b.clone()]);

    s.forget(b.forwarder).await.unwrap();
    assert_eq!(s.count(b.forwarder).await.unwrap(), 0);
    assert_eq!(s.list(other.forwarder).await.unwrap(), vec![other]);
}

#[tokio::test]
async fn a_retry_settles_on_the_letter_as_it_is_now() {
    let s = shared();
    let dl = letter(1, Uuid::now_v7());
    s.record(&dl).await.unwrap();
    let (_, seen) = s.get(dl.forwarder, dl.id).await.unwrap();

    // A failed retry keeps the new answer.
    let kept = RetryEnd::Kept(DeadLetter {
        attempts: 2,
        ..dl.clone()
    });
    s.settle(dl.forwarder, dl.id, seen, &kept).await.unwrap();
    let (now, r2) = s.get(dl.forwarder, dl.id).await.unwrap();
    assert_eq!(now.attempts, 2);

    // Another node's answer came in between (an older revision): delivered still removes it.
    s.settle(dl.forwarder, dl.id, seen, &RetryEnd::Delivered)
        .await
        .unwrap();
    assert!(matches!(
        s.get(dl.forwarder, dl.id).await,
        Err(Error::NotFound)
    ));
    // Delivered once more (gone already): fine. Kept where it was discarded: not found.
    s.settle(dl.forwarder, dl.id, r2, &RetryEnd::Delivered)
        .await
        .unwrap();
    assert!(matches!(
        s.settle(dl.forwarder, dl.id, r2, &kept).await,
        Err(Error::NotFound)
    ));
    assert_eq!(s.count(dl.forwarder).await.unwrap(), 0);
}

use super::keeper::{Keeper, Role};
use super::*;
use std::sync::{Arc, Mutex};

const T: Times = Times {
    lease_ms: 10_000,
    renew_ms: 2_500,
    margin_ms: 5_000,
};

fn seen(owner: &str, since: u64, written: bool) -> Observed {
    Observed {
        lease: Lease {
            owner: owner.into(),
            checkpoint: 42,
        },
        revision: 7,
        since,
        written,
    }
}

#[test]
fn no_record_is_created() {
    assert_eq!(decide(0, None, "a", &T), Action::Create);
}

#[test]
fn another_holder_is_waited_for_the_whole_lease_then_taken() {
    let o = seen("b", 1_000, false);
    assert_eq!(
        decide(1_000, Some(&o), "a", &T),
        Action::Wait { checkpoint: 42 }
    );
    assert_eq!(
        decide(10_999, Some(&o), "a", &T),
        Action::Wait { checkpoint: 42 }
    );
    assert_eq!(
        decide(11_000, Some(&o), "a", &T),
        Action::Take { checkpoint: 42 }
    );
}

#[test]
fn a_released_lease_is_taken_at_once() {
    let o = seen("", 1_000, false);
    assert_eq!(
        decide(1_000, Some(&o), "a", &T),
        Action::Take { checkpoint: 42 }
    );
}

#[test]
fn the_holder_writes_until_the_margin_and_renews_after_a_quarter() {
    let o = seen("a", 1_000, true);
    assert_eq!(
        decide(1_000, Some(&o), "a", &T),
        Action::Hold {
            checkpoint: 42,
            until: 6_000
        }
    );
    assert_eq!(
        decide(3_500, Some(&o), "a", &T),
        Action::Renew {
            checkpoint: 42,
            until: Some(6_000)
        }
    );
    // Past the margin: no more writes until a renewal is confirmed.
    assert_eq!(
        decide(6_000, Some(&o), "a", &T),
        Action::Renew {
            checkpoint: 42,
            until: None
        }
    );
}

#[test]
fn the_holders_lease_ends_before_anyone_else_can_take_it() {
    // The holder counts from when it sent its write; the others from when they read it, which
    // is later. Its last write starts before `until` and ends within the write timeout.
    let sent = 1_000;
    let read_by_other = 1_001;
    let until = T.write_until(sent);
    let last_write_ends = until - 1 + T.write_timeout().as_millis() as u64;
    let other = seen("a", read_by_other, false);
    let first_take = (read_by_other..)
        .find(|now| matches!(decide(*now, Some(&other), "b", &T), Action::Take { .. }))
        .unwrap();
    assert!(
        last_write_ends < first_take,
        "{last_write_ends} < {first_take}"
    );
}

#[test]
fn an_unconfirmed_own_revision_vouches_for_nothing() {
    // This node's write timed out but took effect: it reads its own id back. When it took
    // effect is unknown, so it renews before writing into ClickHouse.
    let o = seen("a", 1_000, false);
    assert_eq!(
        decide(1_000, Some(&o), "a", &T),
        Action::Renew {
            checkpoint: 42,
            until: None
        }
    );
}

#[test]
fn lease_records_keep_their_bytes() {
    let lease = Lease {
        owner: "n1".into(),
        checkpoint: 300,
    };
    let bytes = lease.encode();
    assert_eq!(bytes, [0xC1, 2, b'n', b'1', 0xAC, 2], "{bytes:?}");
    assert_eq!(Lease::decode(&bytes).unwrap(), lease);
    assert!(Lease::decode(&[0xC1]).is_err());
}

/// A compare-and-set record in memory, standing in for JetStream's key-value store (the real
/// one is exercised by the cluster tests of `cairn-server`).
#[derive(Default)]
struct Memory(Mutex<Option<(Vec<u8>, u64)>>);

#[async_trait::async_trait]
impl LeaseStore for Memory {
    async fn read(&self) -> Result<Option<(Vec<u8>, u64)>, String> {
        Ok(self.0.lock().unwrap().clone())
    }
    async fn create(&self, value: Vec<u8>) -> Result<u64, CasError> {
        let mut g = self.0.lock().unwrap();
        if g.is_some() {
            return Err(CasError::Conflict);
        }
        *g = Some((value, 1));
        Ok(1)
    }
    async fn update(&self, value: Vec<u8>, revision: u64) -> Result<u64, CasError> {
        let mut g = self.0.lock().unwrap();
        match &*g {
            Some((_, r)) if *r == revision => {
                *g = Some((value, revision + 1));
                Ok(revision + 1)
            }
            _ => Err(CasError::Conflict),
        }
    }
}

fn times(lease_ms: u64) -> Times {
    Times::for_lease(lease_ms)
}

#[tokio::test]
async fn one_keeper_holds_the_other_takes_over_when_it_stops_renewing() {
    let store = Arc::new(Memory::default());
    let a = Keeper::new(store.clone(), "a".into(), times(400));
    let b = Keeper::new(store.clone(), "b".into(), times(400));
    a.tick().await;
    b.tick().await;
    assert!(matches!(*a.role().borrow(), Role::Holder { term: 1, .. }));
    assert_eq!(*b.role().borrow(), Role::Standby { checkpoint: 0 });
    a.advance(17).await.unwrap();
    b.tick().await;
    assert_eq!(*b.role().borrow(), Role::Standby { checkpoint: 17 });
    assert!(b.window().is_err(), "a stand-by may not write");
    // `a` stops renewing (a paused or killed node): `b` takes over after the lease, keeping
    // the checkpoint, and `a`'s next advance fails.
    let started = std::time::Instant::now();
    while !matches!(*b.role().borrow(), Role::Holder { .. }) {
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        b.tick().await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(400));
    assert_eq!(b.role().borrow().checkpoint(), 17);
    assert!(a.window().is_err(), "past its margin, `a` writes nothing");
    assert!(a.advance(18).await.is_err());
    a.tick().await;
    assert_eq!(*a.role().borrow(), Role::Standby { checkpoint: 17 });
}

#[tokio::test]
async fn a_purge_may_write_only_in_a_term_whose_clean_up_is_done() {
    let store = Arc::new(Memory::default());
    let a = Keeper::new(store.clone(), "a".into(), times(400));
    let b = Keeper::new(store.clone(), "b".into(), times(400));
    a.tick().await;
    b.tick().await;
    assert_eq!(a.ready(), None, "held, but not cleaned up yet");
    a.prepared(Some(1));
    assert_eq!(a.ready(), Some(1));
    assert!(a.window_in(1).is_ok());
    assert!(a.window_in(2).is_err());
    b.prepared(Some(1));
    assert_eq!(b.ready(), None, "a stand-by never writes");
    // A failed write of the projector: no purge writes until the next clean-up.
    a.prepared(None);
    assert!(a.window_in(1).is_err());
    a.prepared(Some(1));
    // Handed over: `b` holds it in its own first term, and must clean up in it first.
    a.release().await;
    assert_eq!(a.ready(), None);
    b.tick().await;
    assert!(matches!(*b.role().borrow(), Role::Holder { term: 1, .. }));
    b.prepared(None);
    assert_eq!(b.ready(), None);
    b.prepared(Some(1));
    assert_eq!(b.ready(), Some(1));
}

#[tokio::test]
async fn a_renewing_holder_keeps_the_lease_and_a_release_hands_it_over() {
    let store = Arc::new(Memory::default());
    let a = Keeper::new(store.clone(), "a".into(), times(400));
    let b = Keeper::new(store.clone(), "b".into(), times(400));
    a.tick().await;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        a.tick().await;
        b.tick().await;
        assert!(a.window().is_ok());
        assert!(matches!(*b.role().borrow(), Role::Standby { .. }));
    }
    a.advance(5).await.unwrap();
    a.release().await;
    assert!(a.window().is_err());
    b.tick().await;
    assert_eq!(
        *b.role().borrow(),
        Role::Holder {
            checkpoint: 5,
            term: 1,
            release: false,
        }
    );
}

#[tokio::test]
async fn partition_leases_are_shared_within_each_nodes_quota() {
    // Four partitions, two live nodes (a quota of two each): each takes two, whoever ticks
    // first.
    let stores: Vec<Arc<Memory>> = (0..4).map(|_| Arc::new(Memory::default())).collect();
    let keepers = |me: &str| -> Vec<Keeper> {
        stores
            .iter()
            .map(|s| Keeper::new(s.clone(), me.into(), times(400)))
            .collect()
    };
    let (a, b) = (keepers("a"), keepers("b"));
    async fn round(node: &[Keeper], quota: u32) -> Vec<usize> {
        let mut held = vec![];
        for (k, keeper) in node.iter().enumerate() {
            if keeper.tick_within(held.len() as u32, quota).await {
                held.push(k);
            }
        }
        held
    }
    assert_eq!(round(&a, 2).await, [0, 1]);
    assert_eq!(round(&b, 2).await, [2, 3]);
    // Renewing keeps the same split.
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        assert_eq!(round(&a, 2).await, [0, 1]);
        assert_eq!(round(&b, 2).await, [2, 3]);
    }
    // `b` stops (killed): once its leases expire, `a`, now alone, takes them too.
    let started = std::time::Instant::now();
    let mut held = round(&a, 4).await;
    while held.len() < 4 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{held:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        held = round(&a, 4).await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(held, [0, 1, 2, 3]);
}

/// Presence records in memory: each node's revision.
#[derive(Default)]
struct Nodes(Mutex<std::collections::HashMap<String, u64>>);

struct Present {
    nodes: Arc<Nodes>,
    me: String,
}

#[async_trait::async_trait]
impl Presence for Present {
    async fn beat(&self) -> Result<(), String> {
        *self
            .nodes
            .0
            .lock()
            .unwrap()
            .entry(self.me.clone())
            .or_default() += 1;
        Ok(())
    }
    async fn nodes(&self) -> Result<Vec<(String, u64)>, String> {
        Ok(self.nodes.0.lock().unwrap().clone().into_iter().collect())
    }
    async fn forget(&self, id: &str) -> Result<(), String> {
        self.nodes.0.lock().unwrap().remove(id);
        Ok(())
    }
}

/// A bucket of in-memory records, one per key.
#[derive(Default)]
struct Bucket(Mutex<std::collections::HashMap<String, Arc<Memory>>>);

impl LeaseBucket for Bucket {
    fn record(&self, key: &str) -> Arc<dyn LeaseStore> {
        self.0
            .lock()
            .unwrap()
            .entry(key.to_owned())
            .or_default()
            .clone()
    }
}

#[tokio::test]
async fn a_node_that_joins_gets_its_share_and_a_node_that_stops_hands_it_back() {
    use super::set::LeaseSet;
    let leases: Vec<Arc<Memory>> = (0..4).map(|_| Arc::new(Memory::default())).collect();
    let nodes = Arc::new(Nodes::default());
    let node = |me: &str| {
        let keepers = leases
            .iter()
            .map(|s| Arc::new(Keeper::new(s.clone(), me.into(), times(400))))
            .collect();
        let presence = Arc::new(Present {
            nodes: nodes.clone(),
            me: me.into(),
        });
        LeaseSet::new(keepers, presence, me.into(), times(400))
    };
    // What a projector does when its role asks for a release: hand the lease back.
    async fn release_asked(set: &LeaseSet) {
        for k in set.keepers() {
            if matches!(*k.role().borrow(), Role::Holder { release: true, .. }) {
                assert!(k.hand_back().await);
            }
        }
    }
    let a = node("a");
    assert_eq!(
        a.tick().await,
        [0, 1, 2, 3],
        "alone, a node takes every partition"
    );
    let b = node("b");
    assert_eq!(b.tick().await, Vec::<u32>::new(), "every lease is a's");
    // `a` sees `b`: over its quota of two, it asks its projectors to release 2 and 3.
    assert_eq!(a.tick().await, [0, 1, 2, 3]);
    release_asked(&a).await;
    assert_eq!(a.tick().await, [0, 1], "released leases are left to b");
    assert_eq!(b.tick().await, [2, 3], "b takes released leases at once");
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        assert_eq!(a.tick().await, [0, 1]);
        assert_eq!(b.tick().await, [2, 3]);
    }
    // `b` stops (killed): once its presence and its leases are a lease old, `a` takes all.
    let started = std::time::Instant::now();
    let mut held = a.tick().await;
    while held.len() < 4 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{held:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        held = a.tick().await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    // Long gone, its presence record is removed.
    while nodes.0.lock().unwrap().contains_key("b") {
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        a.tick().await;
    }
}

#[tokio::test]
async fn the_forwarding_lease_is_a_second_key_and_a_released_keeper_stays_out() {
    let bucket = Bucket::default();
    let projection = Keeper::new(bucket.record(Kind::PROJECTION.key), "a".into(), times(400));
    let forwarding = |me: &str| {
        Keeper::of_kind(
            bucket.record(Kind::FORWARDING.key),
            me.into(),
            times(400),
            Kind::FORWARDING,
        )
    };
    let (fb, fa) = (forwarding("b"), forwarding("a"));
    fb.tick().await;
    projection.tick().await;
    fa.tick().await;
    assert!(projection.holding(), "node a projects");
    assert!(
        fb.holding() && !fa.holding(),
        "node b forwards, a stands by"
    );
    fb.release().await;
    assert!(!fb.holding());
    fb.tick().await;
    assert!(
        !fb.holding(),
        "a released keeper does not take the lease again"
    );
    fa.tick().await;
    assert!(fa.holding(), "the released lease is taken at once");
    assert!(
        projection.holding(),
        "the projection lease is another record"
    );
}

//! The in-memory tail: statements (and persona changes) committed to the log but not yet
//! projected into ClickHouse. Filtered reads combine ClickHouse (up to the watermark) with this
//! tail, so a statement is readable the moment it is acknowledged; the projector takes its
//! batches from here instead of reading them back from the log ([`Tail::batch`]).
use crate::event::StatementRecord;
use crate::personas::PersonaEvent;
use crate::query::{Page, StatementQuery};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    /// Every statement with a sequence number at or below this is in the projection.
    watermark: u64,
    entries: BTreeMap<u64, Arc<StatementRecord>>,
    /// Persona changes not yet projected (the projector links identifiers to personas).
    personas: BTreeMap<u64, Arc<PersonaEvent>>,
}

/// What the projector takes from the tail: statements and persona changes in `(after, last]`.
pub struct TailBatch {
    pub statements: Vec<(u64, Arc<StatementRecord>)>,
    pub personas: Vec<(u64, Arc<PersonaEvent>)>,
    /// The checkpoint once the batch is projected (events in between are never projected).
    pub last: u64,
}

#[derive(Default)]
pub struct Tail {
    inner: RwLock<Inner>,
    /// Woken whenever the watermark moves (writers waiting for room, see [`Tail::admit`]).
    advanced: Notify,
}

impl Tail {
    pub fn new(watermark: u64) -> Self {
        Tail {
            inner: RwLock::new(Inner {
                watermark,
                entries: BTreeMap::new(),
                personas: BTreeMap::new(),
            }),
            advanced: Notify::new(),
        }
    }

    pub fn push(&self, seq: u64, rec: Arc<StatementRecord>) {
        let mut g = self.inner.write().expect("tail lock");
        if seq > g.watermark {
            g.entries.insert(seq, rec);
        }
    }

    /// A committed group's statements, under one lock hold.
    pub fn push_all<'a>(&self, records: impl IntoIterator<Item = &'a (u64, Arc<StatementRecord>)>) {
        let mut g = self.inner.write().expect("tail lock");
        let watermark = g.watermark;
        for (seq, rec) in records {
            if *seq > watermark {
                g.entries.insert(*seq, rec.clone());
            }
        }
    }

    pub fn push_persona(&self, seq: u64, event: Arc<PersonaEvent>) {
        let mut g = self.inner.write().expect("tail lock");
        if seq > g.watermark {
            g.personas.insert(seq, event);
        }
    }

    /// Up to `limit` events after `after`, up to `head`, when the tail holds all of them: the
    /// writer pushes every statement and persona change before it announces `head`, and nothing
    /// else in the log is projected. `None` when `after` is below the watermark (the log has
    /// them).
    pub fn batch(&self, after: u64, head: u64, limit: usize) -> Option<TailBatch> {
        let g = self.inner.read().expect("tail lock");
        if after < g.watermark {
            return None;
        }
        let range = (
            std::ops::Bound::Excluded(after),
            std::ops::Bound::Included(head),
        );
        let mut statements = g.entries.range(range).peekable();
        let mut personas = g.personas.range(range).peekable();
        let mut out = TailBatch {
            statements: Vec::new(),
            personas: Vec::new(),
            last: head,
        };
        for taken in 0.. {
            let next_statement = statements.peek().map(|(s, _)| **s);
            let next_persona = personas.peek().map(|(s, _)| **s);
            let next = match (next_statement, next_persona) {
                (None, None) => break,
                (a, b) => a.unwrap_or(u64::MAX).min(b.unwrap_or(u64::MAX)),
            };
            if taken == limit {
                // Full: the checkpoint stops before the first event left for the next batch.
                out.last = next - 1;
                break;
            }
            if let Some((s, r)) = statements.next_if(|(s, _)| **s == next) {
                out.statements.push((*s, r.clone()));
            } else if let Some((s, p)) = personas.next() {
                out.personas.push((*s, p.clone()));
            }
        }
        Some(out)
    }

    /// The projection now holds everything up to `watermark`: drop those entries.
    pub fn advance(&self, watermark: u64) {
        let mut g = self.inner.write().expect("tail lock");
        if watermark > g.watermark {
            g.watermark = watermark;
            g.entries = g.entries.split_off(&(watermark + 1));
            g.personas = g.personas.split_off(&(watermark + 1));
        }
        drop(g);
        self.advanced.notify_waiters();
    }

    /// Waits, up to `wait`, until the tail holds fewer than `max` statements (0: no bound).
    /// Writers call it before appending, so that ingest faster than projection slows down to
    /// the projection's pace instead of growing the tail without bound. `false`: still full.
    pub async fn admit(&self, max: usize, wait: Duration) -> bool {
        // The common case, on every statement write: room, without registering a waiter.
        if max == 0 || self.len() < max {
            return true;
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before the check, so an advance between the check and the wait is seen.
            let notified = self.advanced.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.len() < max {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.len() < max;
            }
        }
    }

    pub fn watermark(&self) -> u64 {
        self.inner.read().expect("tail lock").watermark
    }

    pub fn len(&self) -> usize {
        self.inner.read().expect("tail lock").entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Unprojected statements, and the `stored` time (µs) of the oldest of them.
    pub fn pending(&self) -> (usize, Option<i64>) {
        let g = self.inner.read().expect("tail lock");
        let oldest = g.entries.first_key_value().map(|(_, r)| r.stored_us);
        (g.entries.len(), oldest)
    }

    /// Matching tail entries inside `page`, in query order, up to `page.limit`, together with a
    /// watermark: the projection answers for everything at or below it.
    ///
    /// Acknowledgements wait for this lock, so it is held only to copy a chunk of
    /// [`QUERY_CHUNK`] entries at a time (reference counts, not records); the predicate runs
    /// outside it. The watermark returned is the one read with the last chunk: entries at or
    /// below it that the projector trimmed between chunks are in the projection, and entries
    /// above it were in the tail for every chunk.
    pub fn query(
        &self,
        q: &StatementQuery,
        page: &Page,
    ) -> (u64, Vec<(u64, Arc<StatementRecord>)>) {
        self.query_with(q.ascending, page, |r| q.matches(r))
    }

    fn query_with(
        &self,
        ascending: bool,
        page: &Page,
        matches: impl Fn(&StatementRecord) -> bool,
    ) -> (u64, Vec<(u64, Arc<StatementRecord>)>) {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let mut out = Vec::new();
        // The part of the key space still to scan, in query order.
        let mut lower = match page.after {
            Some(a) if ascending => Excluded(a),
            _ => Unbounded,
        };
        let mut upper = match page.after {
            Some(a) if !ascending => Excluded(a.min(page.max_seq.saturating_add(1))),
            _ => Included(page.max_seq),
        };
        let mut chunk: Vec<(u64, Arc<StatementRecord>)> = Vec::with_capacity(QUERY_CHUNK);
        loop {
            chunk.clear();
            let watermark = {
                let g = self.inner.read().expect("tail lock");
                let range = g.entries.range((lower, upper));
                let copy = |(s, r): (&u64, &Arc<StatementRecord>)| (*s, r.clone());
                if ascending {
                    chunk.extend(range.take(QUERY_CHUNK).map(copy));
                } else {
                    chunk.extend(range.rev().take(QUERY_CHUNK).map(copy));
                }
                g.watermark
            };
            let full = chunk.len() == QUERY_CHUNK;
            if let Some((last, _)) = chunk.last() {
                if ascending {
                    lower = Excluded(*last);
                } else {
                    upper = Excluded(*last);
                }
            }
            for (s, r) in chunk.drain(..) {
                if out.len() == page.limit {
                    break;
                }
                if page.contains(s, ascending) && matches(&r) {
                    out.push((s, r));
                }
            }
            if !full || out.len() == page.limit {
                return (watermark, out);
            }
        }
    }
}

/// Tail entries copied per hold of the lock by [`Tail::query`].
pub const QUERY_CHUNK: usize = 1024;

#[cfg(test)]
mod tests {
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
            .batch(2, 4, 10)
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
        let all = t.batch(0, 5, 10).expect("the tail covers it");
        assert_eq!(seqs(&all), (vec![1, 2, 4], vec![3], 5));
        let two = t.batch(0, 5, 2).expect("covered");
        assert_eq!(
            seqs(&two),
            (vec![1, 2], vec![], 2),
            "stops before the third event"
        );
        let one = t.batch(2, 5, 1).expect("covered");
        assert_eq!(seqs(&one), (vec![], vec![3], 3));
        t.advance(3);
        assert!(
            t.batch(1, 5, 10).is_none(),
            "below the watermark: read the log"
        );
        assert_eq!(
            seqs(&t.batch(3, 6, 10).expect("covered")),
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
        let (_, desc) = t.query_with(false, &all, free);
        let want: Vec<u64> = (1..=n).rev().filter(|s| s % 3 == 0).collect();
        assert_eq!(desc.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want);
        let (_, asc) = t.query_with(true, &all, free);
        let mut want_asc = want.clone();
        want_asc.reverse();
        assert_eq!(asc.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want_asc);
        // A window in the middle, both directions, with a limit that ends inside a chunk.
        let page = Page {
            max_seq: n - 5,
            after: Some(2000),
            limit: 100,
        };
        let (_, got) = t.query_with(false, &page, free);
        let want: Vec<u64> = (1..2000).rev().filter(|s| s % 3 == 0).take(100).collect();
        assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want);
        let (_, got) = t.query_with(true, &page, free);
        let want: Vec<u64> = (2001..=n - 5).filter(|s| s % 3 == 0).take(100).collect();
        assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want);
    }

    #[tokio::test]
    async fn admit_waits_for_the_projection_to_make_room() {
        let t = Arc::new(Tail::new(0));
        for s in 1..=3 {
            t.push(s, rec("v"));
        }
        assert!(t.admit(0, Duration::ZERO).await, "0 is no bound");
        assert!(t.admit(4, Duration::ZERO).await);
        assert!(
            !t.admit(3, Duration::from_millis(20)).await,
            "a full tail refuses after the wait"
        );
        let waiter = tokio::spawn({
            let t = t.clone();
            async move { t.admit(3, Duration::from_secs(30)).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        t.advance(1);
        assert!(
            waiter.await.expect("waiter"),
            "an advance lets the writer in"
        );
    }
}

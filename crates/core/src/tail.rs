//! The in-memory tail: statements (and persona changes) committed to the log but not yet
//! projected into ClickHouse. Filtered reads combine ClickHouse (up to the watermark) with this
//! tail, so a statement is readable the moment it is acknowledged; the projector takes its
//! batches from here instead of reading them back from the log ([`Tail::batch`]). With
//! projection partitions each partition has its own part and watermark ([`Tail::partitioned`]).
use crate::event::StatementRecord;
use crate::ids::StoreId;
use crate::personas::PersonaEvent;
use crate::projection_lease::partition::partition_of;
use crate::query::{Page, StatementQuery};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Notify;

/// One projection partition's part of the tail (`projection_partitions`, docs/ARCHITECTURE.md
/// "Cluster mode"): the statements and persona changes of its stores, and its watermark. A
/// single node, and a cluster with one partition, have one part.
#[derive(Default)]
struct Part {
    /// Every statement of this part with a sequence number at or below this is in the
    /// projection.
    watermark: u64,
    entries: BTreeMap<u64, Arc<StatementRecord>>,
    /// About how much memory `entries` hold ([`StatementRecord::approx_bytes`]).
    bytes: usize,
    /// Persona changes not yet projected (the projector links identifiers to personas).
    personas: BTreeMap<u64, Arc<PersonaEvent>>,
}

/// What an advance took out of the tail, dropped once the lock is released.
type Removed = (
    BTreeMap<u64, Arc<StatementRecord>>,
    BTreeMap<u64, Arc<PersonaEvent>>,
);

impl Part {
    fn insert(&mut self, seq: u64, rec: Arc<StatementRecord>) {
        if seq <= self.watermark {
            return;
        }
        let bytes = rec.approx_bytes();
        match self.entries.insert(seq, rec) {
            None => self.bytes += bytes,
            Some(old) => self.bytes = self.bytes + bytes - old.approx_bytes(),
        }
    }

    /// Moves the watermark up to `watermark`; answers the entries it removes (`None`: it was
    /// there already).
    fn advance(&mut self, watermark: u64) -> Option<Removed> {
        if watermark <= self.watermark {
            return None;
        }
        self.watermark = watermark;
        let entries = self.entries.split_off(&(watermark + 1));
        let entries = std::mem::replace(&mut self.entries, entries);
        let personas = self.personas.split_off(&(watermark + 1));
        let personas = std::mem::replace(&mut self.personas, personas);
        let freed: usize = entries.values().map(|r| r.approx_bytes()).sum();
        self.bytes = self.bytes.saturating_sub(freed);
        Some((entries, personas))
    }
}

struct Inner {
    /// One per projection partition; a store's entries are in part
    /// [`partition_of`]`(store, parts.len())`.
    parts: Vec<Part>,
}

impl Inner {
    fn part(&self, store: StoreId) -> usize {
        match self.parts.len() {
            1 => 0,
            n => partition_of(store, n as u32) as usize,
        }
    }
}

/// How much the tail may hold before writers wait ([`Tail::admit`]); 0: no bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bound {
    pub statements: usize,
    pub bytes: usize,
}

/// What the projector takes from the tail: statements and persona changes in `(after, last]`.
pub struct TailBatch {
    pub statements: Vec<(u64, Arc<StatementRecord>)>,
    pub personas: Vec<(u64, Arc<PersonaEvent>)>,
    /// The checkpoint once the batch is projected (events in between are never projected).
    pub last: u64,
}

pub struct Tail {
    inner: RwLock<Inner>,
    /// Woken whenever the watermark moves (writers waiting for room, see [`Tail::admit`]).
    advanced: Notify,
}

impl Default for Tail {
    fn default() -> Self {
        Tail::new(0)
    }
}

impl Tail {
    pub fn new(watermark: u64) -> Self {
        Tail::partitioned(vec![watermark])
    }

    /// A tail split by projection partition, partition `k` starting at `watermarks[k]`
    /// (at least one partition).
    pub fn partitioned(watermarks: Vec<u64>) -> Self {
        let mut parts: Vec<Part> = watermarks
            .into_iter()
            .map(|watermark| Part {
                watermark,
                ..Part::default()
            })
            .collect();
        if parts.is_empty() {
            parts.push(Part::default());
        }
        Tail {
            inner: RwLock::new(Inner { parts }),
            advanced: Notify::new(),
        }
    }

    /// How many projection partitions the tail is split into.
    pub fn partitions(&self) -> u32 {
        self.inner.read().expect("tail lock").parts.len() as u32
    }

    pub fn push(&self, seq: u64, rec: Arc<StatementRecord>) {
        let mut g = self.inner.write().expect("tail lock");
        let k = g.part(rec.store);
        g.parts[k].insert(seq, rec);
    }

    /// A committed group's statements, under one lock hold.
    pub fn push_all<'a>(&self, records: impl IntoIterator<Item = &'a (u64, Arc<StatementRecord>)>) {
        let mut g = self.inner.write().expect("tail lock");
        for (seq, rec) in records {
            let k = g.part(rec.store);
            g.parts[k].insert(*seq, rec.clone());
        }
    }

    pub fn push_persona(&self, seq: u64, event: Arc<PersonaEvent>) {
        let mut g = self.inner.write().expect("tail lock");
        let k = g.part(event.store);
        let part = &mut g.parts[k];
        if seq > part.watermark {
            part.personas.insert(seq, event);
        }
    }

    /// Up to `limit` events of partition `k` after `after`, up to `head`, when the tail holds
    /// all of them: the writer pushes every statement and persona change before it announces
    /// `head`, and nothing else in the log is projected. `None` when `after` is below the
    /// partition's watermark (the log has them).
    pub fn batch(&self, k: u32, after: u64, head: u64, limit: usize) -> Option<TailBatch> {
        let g = self.inner.read().expect("tail lock");
        let part = &g.parts[k as usize];
        if after < part.watermark {
            return None;
        }
        let range = (
            std::ops::Bound::Excluded(after),
            std::ops::Bound::Included(head),
        );
        let mut statements = part.entries.range(range).peekable();
        let mut personas = part.personas.range(range).peekable();
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
        let removed: Vec<Removed> = g
            .parts
            .iter_mut()
            .filter_map(|p| p.advance(watermark))
            .collect();
        drop(g);
        drop(removed);
        self.advanced.notify_waiters();
    }

    /// [`Tail::advance_partition`], answering the stores whose statements or persona changes
    /// left the tail (a node that does not project tells live dashboards from these).
    pub fn advance_partition_stores(&self, k: u32, watermark: u64) -> Vec<StoreId> {
        let mut g = self.inner.write().expect("tail lock");
        let part = &mut g.parts[k as usize];
        let upto = (
            std::ops::Bound::Unbounded,
            std::ops::Bound::Included(watermark),
        );
        let mut stores: Vec<StoreId> = part
            .entries
            .range(upto)
            .map(|(_, r)| r.store)
            .chain(part.personas.range(upto).map(|(_, p)| p.store))
            .collect();
        let removed = part.advance(watermark);
        drop(g);
        stores.sort_unstable();
        stores.dedup();
        if removed.is_some() {
            self.advanced.notify_waiters();
        }
        stores
    }

    /// The projection now holds partition `k`'s events up to `watermark`: drop those entries.
    pub fn advance_partition(&self, k: u32, watermark: u64) {
        let removed = self.inner.write().expect("tail lock").parts[k as usize].advance(watermark);
        if removed.is_some() {
            self.advanced.notify_waiters();
        }
    }

    /// Waits, up to `wait`, until the tail holds fewer than `max.statements` statements and
    /// fewer than `max.bytes` bytes of them (0: no bound). Writers call it before appending, so
    /// that ingest faster than projection slows down to the projection's pace instead of
    /// growing the tail without bound. `false`: still full.
    pub async fn admit(&self, max: Bound, wait: Duration) -> bool {
        // The common case, on every statement write: room, without registering a waiter.
        if self.has_room(max) {
            return true;
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before the check, so an advance between the check and the wait is seen.
            let notified = self.advanced.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.has_room(max) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.has_room(max);
            }
        }
    }

    fn has_room(&self, max: Bound) -> bool {
        let (len, bytes) = self.size();
        (max.statements == 0 || len < max.statements) && (max.bytes == 0 || bytes < max.bytes)
    }

    /// Unprojected statements, and about how much memory they take.
    pub fn size(&self) -> (usize, usize) {
        let g = self.inner.read().expect("tail lock");
        g.parts
            .iter()
            .fold((0, 0), |(n, b), p| (n + p.entries.len(), b + p.bytes))
    }

    /// The position up to which the projection holds the whole log (the lowest partition's
    /// watermark).
    pub fn watermark(&self) -> u64 {
        let g = self.inner.read().expect("tail lock");
        g.parts.iter().map(|p| p.watermark).min().unwrap_or(0)
    }

    /// Partition `k`'s watermark.
    pub fn partition_watermark(&self, k: u32) -> u64 {
        self.inner.read().expect("tail lock").parts[k as usize].watermark
    }

    pub fn len(&self) -> usize {
        let g = self.inner.read().expect("tail lock");
        g.parts.iter().map(|p| p.entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Unprojected statements, and the `stored` time (µs) of the oldest of them.
    pub fn pending(&self) -> (usize, Option<i64>) {
        let g = self.inner.read().expect("tail lock");
        let oldest = g
            .parts
            .iter()
            .filter_map(|p| p.entries.first_key_value().map(|(_, r)| r.stored_us))
            .min();
        (g.parts.iter().map(|p| p.entries.len()).sum(), oldest)
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
        self.query_with(q.store, q.ascending, page, |r| q.matches(r))
    }

    fn query_with(
        &self,
        store: StoreId,
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
                let part = &g.parts[g.part(store)];
                let range = part.entries.range((lower, upper));
                let copy = |(s, r): (&u64, &Arc<StatementRecord>)| (*s, r.clone());
                if ascending {
                    chunk.extend(range.take(QUERY_CHUNK).map(copy));
                } else {
                    chunk.extend(range.rev().take(QUERY_CHUNK).map(copy));
                }
                part.watermark
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
#[path = "tail_tests.rs"]
mod tests;

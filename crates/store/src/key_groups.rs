//! The key index's entries, one per index key per written batch (format 2 of
//! `statement_keys`; see [`crate::keys`]).
//!
//! A batch's statements that share a key (the store-wide key, a verb, a category, the client's
//! authority: most of a batch) share one entry: its key is `prefix ‖ seq` of the group's first
//! statement, its value the group's log positions in ascending order, each as a postcard varint
//! of `(distance from the previous position) << 1 | direct` (the first measured from the key's
//! own position). Groups of one key never overlap: a batch's positions are above every earlier
//! batch's. A purge rewrites the groups it takes positions from ([`Removals`]), keeping their
//! keys, so a group's key is at or below each of its positions.
use crate::keys::{KEY_LEN, PREFIX_LEN, prefix};
use crate::{err, seq_of};
use cairn_core::key_index::for_each_entry;
use cairn_core::{StatementRecord, StoreError};
use fjall::{Keyspace, OwnedWriteBatch};
// foldhash: the batch's key map is hashed per statement and key, SipHash's cost shows there.
use foldhash::HashMap;

/// A group's entry key: the key prefix, then the first position (u64 BE).
pub(crate) fn group_key(p: &[u8; PREFIX_LEN], seq: u64) -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    k[..PREFIX_LEN].copy_from_slice(p);
    k[PREFIX_LEN..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The value of a group starting at `first`: its positions (ascending, none below `first`).
pub(crate) fn encode(first: u64, seqs: &[(u64, bool)]) -> Vec<u8> {
    let mut prev = first;
    let steps: Vec<u64> = seqs
        .iter()
        .map(|&(s, direct)| {
            let step = ((s - prev) << 1) | u64::from(direct);
            prev = s;
            step
        })
        .collect();
    postcard::to_allocvec(&steps).expect("a list of integers always encodes")
}

/// The positions of the group whose entry key ends in `first`, with their direct flags.
pub(crate) fn decode(first: u64, v: &[u8]) -> Result<Vec<(u64, bool)>, StoreError> {
    let steps: Vec<u64> = postcard::from_bytes(v)
        .map_err(|e| err(format!("key index group at {first} cannot be decoded: {e}")))?;
    let mut prev = first;
    Ok(steps
        .into_iter()
        .map(|step| {
            prev += step >> 1;
            (prev, step & 1 == 1)
        })
        .collect())
}

/// A group's positions with their direct flags.
type Positions = Vec<(u64, bool)>;

/// One batch's index entries, grouped by key (first seen, first written).
#[derive(Default)]
pub(crate) struct Groups {
    slots: HashMap<[u8; PREFIX_LEN], usize>,
    groups: Vec<([u8; PREFIX_LEN], Positions)>,
}

impl Groups {
    /// Adds statement `r` at `seq`; statements are added in ascending `seq`.
    pub(crate) fn add(&mut self, seq: u64, r: &StatementRecord) {
        let Groups { slots, groups } = self;
        for_each_entry(&r.keys, |e| {
            let p = prefix(r.store, e.kind, e.key);
            let i = *slots.entry(p).or_insert_with(|| {
                groups.push((p, Vec::with_capacity(4)));
                groups.len() - 1
            });
            let seqs = &mut groups[i].1;
            match seqs.last_mut() {
                // The same key twice in one statement (or two keys of one hash): one position.
                Some((last, direct)) if *last == seq => *direct |= e.direct,
                _ => seqs.push((seq, e.direct)),
            }
        });
    }

    /// The batch's entries: one per key, its key and value.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = ([u8; KEY_LEN], Vec<u8>)> {
        self.groups.into_iter().map(|(p, mut seqs)| {
            if !seqs.is_sorted_by_key(|(s, _)| *s) {
                seqs.sort_unstable_by_key(|(s, _)| *s);
                seqs.dedup_by(|later, kept| {
                    let same = later.0 == kept.0;
                    kept.1 |= same && later.1;
                    same
                });
            }
            let first = seqs[0].0;
            (group_key(&p, first), encode(first, &seqs))
        })
    }

    /// Adds one entry per group to `b`.
    pub(crate) fn write(self, ks: &Keyspace, b: &mut OwnedWriteBatch) {
        for (k, v) in self.into_entries() {
            b.insert(ks, k, v);
        }
    }
}

/// The positions a purge takes out of the index, by key prefix.
#[derive(Default)]
pub(crate) struct Removals(HashMap<[u8; PREFIX_LEN], Vec<u64>>);

impl Removals {
    /// Adds the removal of statement `r` at `seq`.
    pub(crate) fn add(&mut self, seq: u64, r: &StatementRecord) {
        for_each_entry(&r.keys, |e| {
            self.0
                .entry(prefix(r.store, e.kind, e.key))
                .or_default()
                .push(seq);
        });
    }

    /// Adds to `b` the rewrite (or removal, once empty) of every group holding a removed
    /// position. Reads the groups: call it once per batch, after every [`Removals::add`].
    pub(crate) fn write(self, ks: &Keyspace, b: &mut OwnedWriteBatch) -> Result<(), StoreError> {
        for (p, mut seqs) in self.0 {
            seqs.sort_unstable();
            seqs.dedup();
            let mut i = 0;
            while i < seqs.len() {
                // The group holding seqs[i], if any: the last whose key is at or below it.
                let found = ks
                    .range(group_key(&p, 0)..=group_key(&p, seqs[i]))
                    .next_back();
                let Some(kv) = found else {
                    i += 1;
                    continue;
                };
                let (k, v) = kv.into_inner().map_err(err)?;
                let first = seq_of(&k[PREFIX_LEN..])?;
                let mut group = decode(first, &v)?;
                let last = group.last().map_or(first, |(s, _)| *s);
                let end = i + seqs[i..].partition_point(|s| *s <= last);
                let gone = &seqs[i..end];
                let before = group.len();
                group.retain(|(s, _)| gone.binary_search(s).is_err());
                if group.is_empty() {
                    b.remove(ks, k);
                } else if group.len() != before {
                    b.insert(ks, k, encode(first, &group));
                }
                i = end.max(i + 1);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_round_trips_and_its_bytes_are_frozen() {
        let seqs = [(7, true), (8, false), (300, true)];
        let v = encode(7, &seqs);
        // 0 << 1 | 1, 1 << 1 | 0, 292 << 1 | 1 (585 = varint 0xC9 0x04), after the length 3.
        assert_eq!(v, [3, 1, 2, 0xC9, 0x04]);
        assert_eq!(decode(7, &v).unwrap(), seqs);
        // A group whose first position was purged keeps its key.
        assert_eq!(decode(5, &encode(5, &seqs[1..])).unwrap(), seqs[1..]);
        assert!(decode(1, &[3, 1]).is_err());
    }
}

//! The replicated log port (cluster mode): an ordered, replicated sequence of messages, one per
//! group commit, that every node applies to its own embedded store in the same order.
//!
//! The writer commits a group by appending its write set on the condition that the log's last
//! message is the last one this node applied (optimistic concurrency). When another node
//! appended first the append is refused with [`AppendError::Behind`]: the writer applies the
//! messages it missed and decides the same requests again against the new committed state. So
//! every rule the single writer enforces (statement id conflicts, voiding, document
//! compare-and-set, tenancy) holds across nodes: each commit is decided against the whole log
//! before it. See docs/ARCHITECTURE.md, "Cluster mode".
use crate::ports::{StoreError, WriteSet};

/// The `meta` key holding the position (big-endian u64) of the last replicated-log message this
/// node's embedded store has applied. Written in the same batch as the message's write set.
pub const APPLIED_META: &str = "replicated.applied";

/// A `meta` row that only a seeded log's messages carry (`cairn cluster-seed`): the log position
/// (big-endian u64) the message's entries continue from. A single node's log may have holes
/// where erasure or retention removed entries, so such a message may start further on; any
/// other message must start right after the last position applied. Never stored.
pub const CONTINUES_META: &str = "replicated.continues";

/// Where a message's log entries must start, given the last position applied: right after it,
/// or, for a seeded message that names the position it continues from, anywhere after it as long
/// as that named position is the one applied. An error says how the message does not continue
/// this node's log.
pub fn continues(ws: &WriteSet, applied_seq: u64) -> Result<(), String> {
    let Some((first, _)) = ws.events.first() else {
        return Ok(());
    };
    let named = ws
        .meta
        .iter()
        .find(|(k, _)| k == CONTINUES_META)
        .and_then(|(_, v)| v.as_deref())
        .and_then(|v| v.try_into().ok())
        .map(u64::from_be_bytes);
    match named {
        None if *first == applied_seq + 1 => Ok(()),
        Some(from) if from == applied_seq && *first > applied_seq => Ok(()),
        None => Err(format!(
            "starts at log position {first}, expected {}",
            applied_seq + 1
        )),
        Some(from) => Err(format!(
            "continues the log from position {from}, but this node's log ends at {applied_seq}"
        )),
    }
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another node appended after the position this node expected: catch up and decide again.
    #[error("the replicated log has messages this node has not applied")]
    Behind,
    /// The log could not be reached or did not confirm in time. The message may or may not
    /// have been appended; catching up later tells.
    #[error("replicated log: {0}")]
    Unavailable(String),
}

/// An ordered log replicated across machines (NATS JetStream in `cairn-nats`). Calls block: the
/// writer thread is their only caller.
pub trait ReplicatedLog: Send + Sync + 'static {
    /// Appends `payload` if the last message in the log is at `expected_last`; answers the new
    /// message's position once a quorum of replicas holds it.
    fn append(&self, expected_last: u64, payload: Vec<u8>) -> Result<u64, AppendError>;
    /// Messages after position `after`, in order, at most `limit`: a replaced message as its
    /// copy ([`ReplicatedLog::replace`]). A message with an empty payload carries nothing to
    /// apply (the log's opening marker, or a message erased with nothing in its place).
    fn read_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
    /// The largest payload an append may carry (the servers refuse larger messages): the writer
    /// splits a group whose message would be larger.
    fn max_message_bytes(&self) -> usize {
        usize::MAX
    }
    /// Replaces message `at` by `payload`, a redacted copy ([`crate::purge::rewrite`]): the
    /// copy is stored first, then the message it replaces (the original, or an earlier copy)
    /// is erased for good; [`ReplicatedLog::read_after`] answers the copy from then on. Answers
    /// `false`, changing nothing, when another node replaced the message since it was read.
    fn replace(&self, at: u64, payload: Vec<u8>) -> Result<bool, StoreError> {
        let _ = (at, payload);
        Err(StoreError(
            "this replicated log cannot replace messages".into(),
        ))
    }
}

/// One group commit as carried by the replicated log: its write set, format-versioned
/// ([`crate::codec`]). The follower applies it to its store exactly as the writer that decided
/// it did.
pub fn encode_group(ws: &WriteSet) -> Vec<u8> {
    crate::codec::encode(ws)
}

/// Decodes a message written by [`encode_group`].
pub fn decode_group(bytes: &[u8]) -> Result<WriteSet, StoreError> {
    crate::codec::decode(bytes)
        .map_err(|e| StoreError(format!("replicated log message cannot be decoded: {e}")))
}

/// The applied position recorded in a store's meta (0 when none).
pub fn applied(log: &dyn crate::ports::LogStore) -> Result<u64, StoreError> {
    Ok(log
        .meta_get(APPLIED_META)?
        .and_then(|v| v.try_into().ok())
        .map_or(0, u64::from_be_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, FilterKeys, StatementRecord};
    use crate::ids::StoreId;
    use std::sync::Arc;
    use uuid::Uuid;

    /// Frozen bytes: a group message as written by this version must keep decoding, and
    /// encoding must keep producing the same bytes.
    #[test]
    fn group_messages_keep_their_bytes() {
        let rec = Arc::new(StatementRecord {
            store: StoreId::DEFAULT,
            id: Uuid::from_u128(7),
            stored_us: 1_700_000_000_000_000,
            keys: FilterKeys::default(),
            voids: None,
            attachments: vec![],
            body: b"{}".to_vec(),
            facts: None,
        });
        let ws = WriteSet {
            events: vec![(5, Arc::new(Event::Statement(rec)))],
            statement_ids: vec![(StoreId::DEFAULT, Uuid::from_u128(7), 5)],
            ..WriteSet::default()
        };
        let bytes = encode_group(&ws);
        let frozen: &[u8] = &FROZEN;
        assert_eq!(bytes, frozen, "{bytes:?}");
        let back = decode_group(frozen).unwrap();
        assert_eq!(back.events.len(), 1);
        assert_eq!(back.events[0].0, 5);
        assert_eq!(back.statement_ids, ws.statement_ids);
        assert!(decode_group(&[0xC9, 0]).is_err());
    }

    const FROZEN: [u8; 103] = [
        193, 1, 5, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 16, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 7, 128, 128, 242, 129, 131, 137, 133, 6, 0, 0, 0, 0, 0, 0, 0, 0, 2,
        123, 125, 1, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 16, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 7, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
}

#[cfg(test)]
mod continuation {
    use super::*;
    use crate::event::{Event, StatementRecord};
    use std::sync::Arc;

    fn starting_at(first: u64, continues_from: Option<u64>) -> WriteSet {
        let record = StatementRecord {
            store: crate::StoreId::DEFAULT,
            id: uuid::Uuid::nil(),
            stored_us: 0,
            keys: Default::default(),
            voids: None,
            attachments: Vec::new(),
            body: b"{}".to_vec(),
            facts: None,
        };
        let mut ws = WriteSet {
            events: vec![(first, Arc::new(Event::Statement(Arc::new(record))))],
            ..Default::default()
        };
        if let Some(from) = continues_from {
            ws.meta
                .push((CONTINUES_META.into(), Some(from.to_be_bytes().to_vec())));
        }
        ws
    }

    #[test]
    fn a_message_continues_right_after_the_last_position_applied() {
        assert!(continues(&starting_at(8, None), 7).is_ok());
        assert!(continues(&WriteSet::default(), 7).is_ok());
        let e = continues(&starting_at(9, None), 7).unwrap_err();
        assert!(e.contains("starts at log position 9, expected 8"), "{e}");
        assert!(continues(&starting_at(7, None), 7).is_err());
    }

    #[test]
    fn a_seeded_message_may_skip_the_holes_of_the_log_it_continues() {
        // Positions 8 and 9 were erased on the single node: the message says it continues 7.
        assert!(continues(&starting_at(10, Some(7)), 7).is_ok());
        // A node that has not applied up to 7 (or has gone past it) refuses it.
        let e = continues(&starting_at(10, Some(7)), 6).unwrap_err();
        assert!(e.contains("from position 7"), "{e}");
        assert!(continues(&starting_at(10, Some(7)), 9).is_err());
        // Its entries must still come after the position it continues.
        assert!(continues(&starting_at(7, Some(7)), 7).is_err());
    }
}

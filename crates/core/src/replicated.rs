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
    /// Messages after position `after`, in order, at most `limit`. A message with an empty
    /// payload carries nothing to apply (the log's opening marker).
    fn read_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
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

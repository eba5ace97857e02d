//! The bucket's records listed by key prefix and removed by revision
//! ([`cairn_core::projection_lease::BucketRecords`]): the forwarders' dead letters in cluster
//! mode. A listing is one ordered consumer on the bucket's stream, filtered to the prefix, that
//! delivers the last message of each key (values included) and ends once none is pending.
use super::JetStreamLease;
use async_nats::jetstream::consumer::{DeliverPolicy, ReplayPolicy, push::OrderedConfig};
use cairn_core::projection_lease::{BucketRecords, CasError};
use futures_util::StreamExt;

/// The header JetStream's key-value store marks removals with (`DEL` or `PURGE`).
const KV_OPERATION: &str = "KV-Operation";

#[async_trait::async_trait]
impl BucketRecords for JetStreamLease {
    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>, u64)>, String> {
        let listed = tokio::time::timeout(self.timeout, self.list(prefix)).await;
        listed.map_err(|_| format!("listing {prefix}* took longer than {:?}", self.timeout))?
    }

    async fn remove(&self, key: &str, revision: u64) -> Result<(), CasError> {
        use async_nats::jetstream::kv::UpdateErrorKind;
        self.kv
            .delete_expect_revision(key, Some(revision))
            .await
            .map_err(|e| match e.kind() {
                UpdateErrorKind::WrongLastRevision => CasError::Conflict,
                _ => CasError::Unavailable(e.to_string()),
            })
    }
}

impl JetStreamLease {
    async fn list(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>, u64)>, String> {
        let consumer = self
            .kv
            .stream
            .create_consumer(OrderedConfig {
                deliver_subject: self.client.new_inbox(),
                description: Some("cairn: records by prefix".to_owned()),
                filter_subject: format!("{}{prefix}>", self.kv.prefix),
                replay_policy: ReplayPolicy::Instant,
                deliver_policy: DeliverPolicy::LastPerSubject,
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        if consumer.cached_info().num_pending == 0 {
            return Ok(out);
        }
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        while let Some(m) = messages.next().await {
            let m = m.map_err(|e| e.to_string())?;
            let info = m.info().map_err(|e| e.to_string())?;
            let (revision, pending) = (info.stream_sequence, info.pending);
            let removed = m
                .headers
                .as_ref()
                .and_then(|h| h.get(KV_OPERATION))
                .is_some_and(|op| matches!(op.as_str(), "DEL" | "PURGE"));
            if !removed && let Some(key) = m.subject.strip_prefix(self.kv.prefix.as_str()) {
                out.push((key.to_owned(), m.payload.to_vec(), revision));
            }
            if pending == 0 {
                break;
            }
        }
        Ok(out)
    }
}

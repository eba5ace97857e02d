//! The replicated log on NATS JetStream (cluster mode): implements
//! [`cairn_core::replicated::ReplicatedLog`] with one stream (file storage, replicated) holding
//! one message per group commit. An append carries `Nats-Expected-Last-Sequence`, so JetStream
//! refuses it when another node appended since this node last applied; it is acknowledged once
//! a quorum of the stream's replicas holds it.
use async_nats::jetstream::{self, context::PublishErrorKind, stream};
use cairn_core::ports::StoreError;
use cairn_core::projection_lease::partition::node_key;
use cairn_core::projection_lease::{CasError, LeaseBucket, LeaseStore, Presence};
use cairn_core::replicated::{AppendError, ReplicatedLog};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::runtime::Handle;

mod records;
mod rewritten;

/// Where the log is and how it is kept.
#[derive(Debug, Clone)]
pub struct JetStreamConfig {
    /// The NATS servers (any of the cluster's; the client finds the others).
    pub urls: Vec<String>,
    /// The stream's name; its subject is `cairn.log.<name>`.
    pub stream: String,
    /// Copies JetStream keeps of each message (1, 3 or 5); an append is acknowledged once a
    /// majority of them has it.
    pub replicas: usize,
    /// How long a connection attempt, an append or a read may take.
    pub timeout: Duration,
}

/// The stream's opening marker: an empty message, so that every append has a position to
/// expect (JetStream does not check an expected last sequence of 0).
const OPENED_ID: &str = "cairn-log-opened";
/// Bytes of a message's `max_payload` left for the headers of an append (the expected last
/// sequence): payloads may use the rest.
const HEADER_ROOM: usize = 1024;
/// Opening the stream is tried for this many timeouts (a new cluster elects its leaders).
const OPEN_TRIES: u32 = 6;

/// A connection to the log's stream. Its blocking calls run on the runtime it was created on.
pub struct JetStreamLog {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: String,
    subject: String,
    runtime: Handle,
    /// How long one request may take (`JetStreamConfig::timeout`).
    timeout: Duration,
}

impl JetStreamLog {
    /// Connects, creates the stream when missing and writes its opening marker.
    pub async fn connect(cfg: &JetStreamConfig) -> Result<Self, String> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(cfg.timeout)
            .request_timeout(Some(cfg.timeout))
            .retry_on_initial_connect()
            .connect(cfg.urls.as_slice())
            .await
            .map_err(|e| format!("cannot connect to NATS at {:?}: {e}", cfg.urls))?;
        let mut js = jetstream::new(client.clone());
        js.set_timeout(cfg.timeout);
        let subject = format!("cairn.log.{}", cfg.stream);
        // A cluster that has just started elects its leaders first: try for a while.
        let deadline = tokio::time::Instant::now() + cfg.timeout * OPEN_TRIES;
        let mut s = loop {
            let opened = js
                .get_or_create_stream(stream::Config {
                    name: cfg.stream.clone(),
                    subjects: vec![subject.clone()],
                    num_replicas: cfg.replicas,
                    storage: stream::StorageType::File,
                    ..Default::default()
                })
                .await;
            // The stream of redacted copies (cluster purges) is opened with the log's.
            let opened = match opened {
                Ok(s) => js
                    .get_or_create_stream(rewritten::config(&cfg.stream, cfg.replicas))
                    .await
                    .map(|_| s),
                Err(e) => Err(e),
            };
            match opened {
                Ok(s) => break s,
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    return Err(format!(
                        "cannot open the JetStream stream {}: {e}",
                        cfg.stream
                    ));
                }
                Err(e) => {
                    tracing::info!(error = %e, "JetStream not ready yet");
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
            }
        };
        let info = s
            .info()
            .await
            .map_err(|e| format!("cannot read the stream {}: {e}", cfg.stream))?;
        if info.state.last_sequence == 0 {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, OPENED_ID);
            js.publish_with_headers(subject.clone(), headers, Default::default())
                .await
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| format!("cannot open the stream {}: {e}", cfg.stream))?;
        }
        Ok(JetStreamLog {
            client,
            js,
            stream: cfg.stream.clone(),
            subject,
            runtime: Handle::current(),
            timeout: cfg.timeout,
        })
    }

    /// Calls `notify` whenever a message is appended to the stream (by any node), until `stop`
    /// turns true. Core NATS delivery is at most once: callers also catch up on a timer.
    pub async fn watch(
        &self,
        notify: impl Fn() + Send + 'static,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), String> {
        let mut sub = self
            .client
            .subscribe(self.subject.clone())
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    m = sub.next() => match m {
                        Some(_) => notify(),
                        None => return,
                    },
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        });
        Ok(())
    }

    async fn read(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let mut s = self
            .js
            .get_stream(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        let last = s
            .info()
            .await
            .map_err(|e| e.to_string())?
            .state
            .last_sequence;
        let mut out = Vec::new();
        let s = self
            .js
            .get_stream_no_info(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        for seq in after + 1..=last.min(after.saturating_add(limit as u64)) {
            out.push((seq, self.effective(&s, seq).await?));
        }
        Ok(out)
    }
}

impl ReplicatedLog for JetStreamLog {
    fn append(&self, expected_last: u64, payload: Vec<u8>) -> Result<u64, AppendError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            async_nats::header::NATS_EXPECTED_LAST_SEQUENCE,
            expected_last.to_string().as_str(),
        );
        let published = self.runtime.block_on(async {
            self.js
                .publish_with_headers(self.subject.clone(), headers, payload.into())
                .await?
                .await
        });
        match published {
            Ok(ack) => Ok(ack.sequence),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Err(AppendError::Behind),
            Err(e) => Err(AppendError::Unavailable(format!(
                "the replicated log did not confirm the append: {e}"
            ))),
        }
    }

    /// The servers' `max_payload`, less room for the append's headers.
    fn max_message_bytes(&self) -> usize {
        self.client
            .server_info()
            .max_payload
            .saturating_sub(HEADER_ROOM)
            .max(1)
    }

    fn read_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.runtime
            .block_on(self.read(after, limit))
            .map_err(|e| StoreError(format!("replicated log: {e}")))
    }

    fn replace(&self, at: u64, payload: Vec<u8>) -> Result<bool, StoreError> {
        self.runtime
            .block_on(self.replace_message(at, payload))
            .map_err(|e| StoreError(format!("replicated log: {e}")))
    }
}

/// A record in the cluster's key-value bucket `cairn_projection_<stream>` (replicated like the
/// log): the projection lease (key `all`), the forwarding lease (key `forwarding`), a
/// forwarder's shared cursor or one of its dead letters (listed through `records.rs`). Implements [`cairn_core::projection_lease::LeaseStore`]; the
/// bucket itself is a [`LeaseBucket`].
#[derive(Clone)]
pub struct JetStreamLease {
    kv: jetstream::kv::Store,
    key: String,
    /// For the listings of [`cairn_core::projection_lease::BucketRecords`] (`records.rs`).
    client: async_nats::Client,
    timeout: Duration,
}

/// The projection lease's key (one lease for the whole log).
const LEASE_KEY: &str = "all";

impl JetStreamLease {
    /// The record `key` of the same bucket, with its own revisions and compare-and-set (a
    /// projection partition's lease, `cairn_core::projection_lease::partition::lease_key`).
    pub fn for_key(&self, key: &str) -> JetStreamLease {
        JetStreamLease {
            key: key.to_owned(),
            ..self.clone()
        }
    }

    /// This node's presence record in the same bucket (key `node-<me>`, holding the node's
    /// address, format-versioned), for counting the live nodes of projection partitions.
    pub fn presence(&self, me: &str, address: &str) -> JetStreamPresence {
        JetStreamPresence {
            kv: self.kv.clone(),
            me: me.to_owned(),
            address: address.to_owned(),
        }
    }
}

/// A node's presence record in the projection lease's bucket
/// ([`cairn_core::projection_lease::Presence`]).
pub struct JetStreamPresence {
    kv: jetstream::kv::Store,
    me: String,
    address: String,
}

#[async_trait::async_trait]
impl Presence for JetStreamPresence {
    async fn beat(&self) -> Result<(), String> {
        let value = cairn_core::codec::encode(&self.address);
        self.kv
            .put(node_key(&self.me), value.into())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn nodes(&self) -> Result<Vec<(String, u64)>, String> {
        let mut keys = self.kv.keys().await.map_err(|e| e.to_string())?;
        let mut ids = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| e.to_string())?;
            if let Some(id) = key.strip_prefix(&node_key("")) {
                ids.push(id.to_owned());
            }
        }
        let mut nodes = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(e) = self
                .kv
                .entry(node_key(&id))
                .await
                .map_err(|e| e.to_string())?
                && e.operation == jetstream::kv::Operation::Put
            {
                nodes.push((id, e.revision));
            }
        }
        Ok(nodes)
    }

    async fn forget(&self, id: &str) -> Result<(), String> {
        self.kv.purge(node_key(id)).await.map_err(|e| e.to_string())
    }
}

impl JetStreamLog {
    async fn open_bucket(
        &self,
        bucket: &str,
        replicas: usize,
    ) -> Result<jetstream::kv::Store, String> {
        self.js
            .get_or_create_stream(stream::Config {
                name: format!("KV_{bucket}"),
                subjects: vec![format!("$KV.{bucket}.>")],
                max_messages_per_subject: 10,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                discard: stream::DiscardPolicy::New,
                num_replicas: replicas,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("cannot create the key-value bucket {bucket}: {e}"))?;
        self.js
            .get_key_value(bucket)
            .await
            .map_err(|e| format!("cannot open the key-value bucket {bucket}: {e}"))
    }
}

impl LeaseBucket for JetStreamLease {
    fn record(&self, key: &str) -> std::sync::Arc<dyn LeaseStore> {
        std::sync::Arc::new(self.for_key(key))
    }
}

impl JetStreamLog {
    /// Opens the cluster's key-value bucket, creating it when missing; answers its projection
    /// lease record (other keys through [`LeaseBucket::record`]). The bucket's stream is
    /// created here with the key-value store's own settings (what `create_key_value` would
    /// send): that call first reads the account's limits, which `async-nats` cannot parse from
    /// the nats-server 2.9 of Debian.
    ///
    /// Tried for a while, as the log's stream is: after a nats-server was lost, the bucket's
    /// stream elects a new leader first.
    pub async fn lease(&self, replicas: usize) -> Result<JetStreamLease, String> {
        let bucket = format!("cairn_projection_{}", self.stream);
        let deadline = tokio::time::Instant::now() + self.timeout * OPEN_TRIES;
        let kv = loop {
            match self.open_bucket(&bucket, replicas).await {
                Ok(kv) => break kv,
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(e) => {
                    tracing::info!(error = %e, "the key-value bucket is not ready yet");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        };
        Ok(JetStreamLease {
            kv,
            key: LEASE_KEY.to_owned(),
            client: self.client.clone(),
            timeout: self.timeout,
        })
    }
}

#[async_trait::async_trait]
impl LeaseStore for JetStreamLease {
    async fn read(&self) -> Result<Option<(Vec<u8>, u64)>, String> {
        let entry = self.kv.entry(&self.key).await.map_err(|e| e.to_string())?;
        Ok(entry.and_then(|e| match e.operation {
            jetstream::kv::Operation::Put => Some((e.value.to_vec(), e.revision)),
            _ => None,
        }))
    }

    async fn create(&self, value: Vec<u8>) -> Result<u64, CasError> {
        self.kv
            .create(&self.key, value.into())
            .await
            .map_err(|e| match e.kind() {
                jetstream::kv::CreateErrorKind::AlreadyExists => CasError::Conflict,
                _ => CasError::Unavailable(e.to_string()),
            })
    }

    async fn update(&self, value: Vec<u8>, revision: u64) -> Result<u64, CasError> {
        self.kv
            .update(&self.key, value.into(), revision)
            .await
            .map_err(|e| match e.kind() {
                jetstream::kv::UpdateErrorKind::WrongLastRevision => CasError::Conflict,
                _ => CasError::Unavailable(e.to_string()),
            })
    }
}

//! Forwarders as data: where a store's statements are sent (another xAPI LRS or a webhook),
//! which of them (a filter of the filter language), in batches of what size, and whether
//! forwarding runs. The changes recorded in the log carry the whole new forwarder (or the id
//! they remove), so replaying the log needs no lookups. The delivery records (cursor, dead
//! letters) are not in the log: they live beside it ([`crate::ports::LogStore::forwarding_rows`]).
use crate::ids::StoreId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Format version of every encoded forwarder row and event.
pub const FORMAT_VERSION: u8 = 1;

/// The xAPI version a target LRS speaks (sent as `X-Experience-API-Version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum XapiVersion {
    V103,
    V200,
}

impl XapiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            XapiVersion::V103 => "1.0.3",
            XapiVersion::V200 => "2.0.0",
        }
    }

    pub fn parse(s: &str) -> Option<XapiVersion> {
        match s {
            "1.0.3" => Some(XapiVersion::V103),
            "2.0.0" => Some(XapiVersion::V200),
            _ => None,
        }
    }
}

/// How the forwarder authenticates to a target LRS. Secrets are never shown by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer { token: String },
}

/// Where a forwarder sends its batches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Another LRS: each batch is `POST <endpoint>/statements`, a JSON array with the
    /// statements' own ids (a retry is idempotent there).
    Xapi {
        /// The LRS's xAPI endpoint (the URL `statements` is relative to).
        endpoint: String,
        version: XapiVersion,
        auth: Auth,
        /// Extra request headers (name, value); the values are secret.
        headers: Vec<(String, String)>,
    },
    /// A webhook: each batch is one JSON object, signed with HMAC-SHA256 (`secret`).
    Webhook {
        url: String,
        secret: String,
        headers: Vec<(String, String)>,
    },
}

impl Target {
    /// The URL requests go to (checked against the address policy before each connection).
    pub fn url(&self) -> &str {
        match self {
            Target::Xapi { endpoint, .. } => endpoint,
            Target::Webhook { url, .. } => url,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Target::Xapi { .. } => "xapi",
            Target::Webhook { .. } => "webhook",
        }
    }
}

/// One forwarder of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forwarder {
    pub id: Uuid,
    pub store: StoreId,
    pub name: String,
    /// The filter (filter language JSON text); `None` forwards every statement.
    pub filter: Option<String>,
    pub target: Target,
    /// Statements per request, at most.
    pub batch_size: u32,
    /// `false`: paused (the cursor stays where it is; statements wait in the log).
    pub enabled: bool,
    pub created_us: i64,
    pub updated_us: i64,
}

/// A change to the forwarders, as recorded in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ForwarderChange {
    /// A forwarder created or changed: the whole new version.
    Put(Forwarder),
    Deleted(Uuid),
}

/// The log entry of a forwarder change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForwarderEvent {
    /// [`FORMAT_VERSION`] when written.
    pub v: u8,
    pub store: StoreId,
    pub at_us: i64,
    pub change: ForwarderChange,
}

/// Every forwarder, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForwarderState {
    pub by_id: BTreeMap<Uuid, Forwarder>,
}

impl ForwarderState {
    pub fn apply(&mut self, change: &ForwarderChange) {
        match change {
            ForwarderChange::Put(f) => {
                self.by_id.insert(f.id, f.clone());
            }
            ForwarderChange::Deleted(id) => {
                self.by_id.remove(id);
            }
        }
    }

    /// The rows of the `forwarders` keyspace a change writes (key, record or `None` to delete).
    pub fn effects(change: &ForwarderChange) -> (Vec<u8>, Option<Vec<u8>>) {
        match change {
            ForwarderChange::Put(f) => (f.id.as_bytes().to_vec(), Some(encode(f))),
            ForwarderChange::Deleted(id) => (id.as_bytes().to_vec(), None),
        }
    }

    pub fn of_store(&self, store: StoreId) -> impl Iterator<Item = &Forwarder> {
        self.by_id.values().filter(move |f| f.store == store)
    }
}

/// A forwarder row: the format-version byte, then postcard ([`crate::codec`]).
pub fn encode(f: &Forwarder) -> Vec<u8> {
    crate::codec::encode(f)
}

pub fn decode(bytes: &[u8]) -> Result<Forwarder, String> {
    crate::codec::decode(bytes)
}

/// Where a forwarder stands in the log: every statement at or below `seq` was acknowledged by
/// the target (or dead-lettered). Stored in the `forwarding` keyspace under [`cursor_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub seq: u64,
    pub updated_us: i64,
}

/// The target's last failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    pub at_us: i64,
    /// The target's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The start of its body, or the transport error.
    pub message: String,
}

/// What a forwarder's delivery status keeps across restarts, stored in the `forwarding`
/// keyspace under [`health_key`]. It is written with the cursor (one write per batch) and after
/// each failed try, never once per statement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub last_success_us: Option<i64>,
    pub last_error: Option<LastError>,
    /// Failed tries since the last success.
    pub consecutive_failures: u32,
}

/// A batch the target refused for good (a 4xx retrying cannot fix), or that still failed when
/// the retry limits were reached: the statements (by log position) and the target's last answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: Uuid,
    pub forwarder: Uuid,
    /// Log positions of the batch's statements, in order.
    pub seqs: Vec<u64>,
    pub attempts: u32,
    /// The target's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong: the target's body (an excerpt) or the transport error.
    pub error: String,
    pub created_us: i64,
    pub last_attempt_us: i64,
}

/// `c` ‖ forwarder id.
pub fn cursor_key(forwarder: Uuid) -> Vec<u8> {
    let mut k = vec![b'c'];
    k.extend_from_slice(forwarder.as_bytes());
    k
}

/// `s` ‖ forwarder id.
pub fn health_key(forwarder: Uuid) -> Vec<u8> {
    let mut k = vec![b's'];
    k.extend_from_slice(forwarder.as_bytes());
    k
}

/// `d` ‖ forwarder id: the prefix of a forwarder's dead letters.
pub fn dead_prefix(forwarder: Uuid) -> Vec<u8> {
    let mut k = vec![b'd'];
    k.extend_from_slice(forwarder.as_bytes());
    k
}

/// `d` ‖ forwarder id ‖ dead letter id (v7: in creation order).
pub fn dead_key(forwarder: Uuid, id: Uuid) -> Vec<u8> {
    let mut k = dead_prefix(forwarder);
    k.extend_from_slice(id.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarder() -> Forwarder {
        Forwarder {
            id: Uuid::from_u128(1),
            store: StoreId::DEFAULT,
            name: "f".into(),
            filter: None,
            target: Target::Webhook {
                url: "https://example.com/hook".into(),
                secret: "s".repeat(16),
                headers: vec![],
            },
            batch_size: 10,
            enabled: true,
            created_us: 1,
            updated_us: 1,
        }
    }

    #[test]
    fn rows_round_trip_with_a_format_version() {
        let f = forwarder();
        let (key, row) = ForwarderState::effects(&ForwarderChange::Put(f.clone()));
        assert_eq!(key, f.id.as_bytes().to_vec());
        let row = row.unwrap();
        assert_eq!(row[0], crate::codec::V1);
        assert_eq!(decode(&row).unwrap(), f);
    }

    #[test]
    fn apply_puts_and_deletes() {
        let mut st = ForwarderState::default();
        let f = forwarder();
        st.apply(&ForwarderChange::Put(f.clone()));
        assert_eq!(st.of_store(StoreId::DEFAULT).count(), 1);
        st.apply(&ForwarderChange::Deleted(f.id));
        assert!(st.by_id.is_empty());
    }

    #[test]
    fn dead_keys_share_the_forwarders_prefix() {
        let (f, d) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(dead_key(f, d).starts_with(&dead_prefix(f)));
        assert_ne!(cursor_key(f)[0], dead_prefix(f)[0]);
        assert_ne!(health_key(f)[0], dead_prefix(f)[0]);
        assert_ne!(health_key(f)[0], cursor_key(f)[0]);
    }

    /// Frozen bytes: a health record as written by this version must keep decoding (a change
    /// to [`Health`] that breaks this needs a new format version).
    #[test]
    fn health_records_keep_their_format() {
        let h = Health {
            last_success_us: Some(1_700_000_000_000_000),
            last_error: Some(LastError {
                at_us: 1_700_000_001_000_000,
                status: Some(503),
                message: "down".into(),
            }),
            consecutive_failures: 3,
        };
        let frozen = "c1018080f28183898506018089ec828389850601f70304646f776e03";
        let bytes = crate::codec::encode(&h);
        assert_eq!(hex::encode(&bytes), frozen);
        assert_eq!(
            crate::codec::decode::<Health>(&hex::decode(frozen).unwrap()).unwrap(),
            h
        );
        assert_eq!(crate::codec::decode::<Health>(&bytes).unwrap(), h);
        assert_eq!(
            crate::codec::decode::<Health>(&crate::codec::encode(&Health::default())).unwrap(),
            Health::default()
        );
    }
}

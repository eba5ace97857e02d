//! Filtered statement queries: the parameters of `GET /statements`, the page window, and the
//! in-process predicate that the in-memory tail uses (ClickHouse evaluates the same rules in SQL).
use crate::event::StatementRecord;
use crate::ids::StoreId;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A statements query, already validated. Agents are IFI keys, as in [`crate::FilterKeys`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementQuery {
    pub store: StoreId,
    pub agent: Option<String>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub registration: Option<String>,
    pub related_activities: bool,
    pub related_agents: bool,
    /// Only statements stored strictly after this (epoch µs).
    pub since_us: Option<i64>,
    /// Only statements stored at or before this (epoch µs).
    pub until_us: Option<i64>,
    pub ascending: bool,
    /// Only statements whose authority has this IFI key (`statements/read/mine`).
    pub authority: Option<String>,
    /// Log positions that `since` and `until` imply ([`crate::timeline`]): every statement
    /// stored after `since` is above `seq_above`, every one stored at or before `until` is at or
    /// below `seq_upto`. Set per request for the projection, never carried in a cursor.
    #[serde(skip)]
    pub seq_above: u64,
    #[serde(skip)]
    pub seq_upto: Option<u64>,
}

impl StatementQuery {
    pub fn new(store: StoreId) -> Self {
        StatementQuery {
            store,
            agent: None,
            verb: None,
            activity: None,
            registration: None,
            related_activities: false,
            related_agents: false,
            since_us: None,
            until_us: None,
            ascending: false,
            authority: None,
            seq_above: 0,
            seq_upto: None,
        }
    }

    /// The predicate on one record (voiding is checked separately).
    pub fn matches(&self, r: &StatementRecord) -> bool {
        let k = &r.keys;
        r.store == self.store
            && self.agent.as_ref().is_none_or(|a| {
                let set = if self.related_agents {
                    &k.related_agents
                } else {
                    &k.agents
                };
                set.contains(a)
            })
            && self.verb.as_ref().is_none_or(|v| k.verbs.contains(v))
            && self.activity.as_ref().is_none_or(|a| {
                let set = if self.related_activities {
                    &k.related_activities
                } else {
                    &k.activities
                };
                set.contains(a)
            })
            && self
                .registration
                .as_ref()
                .is_none_or(|g| k.registrations.contains(g))
            && self.since_us.is_none_or(|s| r.stored_us > s)
            && self.until_us.is_none_or(|u| r.stored_us <= u)
            && self
                .authority
                .as_ref()
                .is_none_or(|a| authority_key(&r.body).as_deref() == Some(a.as_str()))
    }
}

/// The IFI key of a stored statement's authority (the LRS always sets one).
pub fn authority_key(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct OnlyAuthority {
        authority: Option<cairn_xapi::Actor>,
    }
    serde_json::from_slice::<OnlyAuthority>(body)
        .ok()?
        .authority?
        .ifi_key()
}

/// A window over the log: statements with sequence numbers up to `max_seq` (fixed when the first
/// page was asked for, so pages stay stable while statements arrive), strictly after `after` in the
/// query's direction, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub max_seq: u64,
    pub after: Option<u64>,
    pub limit: usize,
}

impl Page {
    /// Is `seq` inside the window, given the direction?
    pub fn contains(&self, seq: u64, ascending: bool) -> bool {
        seq <= self.max_seq
            && match self.after {
                None => true,
                Some(a) if ascending => seq > a,
                Some(a) => seq < a,
            }
    }
}

/// The state behind a `more` link: the query and where the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub query: StatementQuery,
    pub page: Page,
    pub format: u8,
    pub attachments: bool,
}

/// The key that signs `more` tokens (HMAC-SHA256): 32 random bytes, generated once and kept in
/// the data directory, so tokens stay valid across restarts.
#[derive(Clone)]
pub struct CursorKey(std::sync::Arc<[u8; 32]>);

impl CursorKey {
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        CursorKey(std::sync::Arc::new(bytes))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        CursorKey(std::sync::Arc::new(bytes))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0[..]).expect("HMAC takes any key length")
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// The first byte of a token: its format.
const CURSOR_FORMAT: u8 = 1;
/// HMAC-SHA256 tag length.
const TAG_LEN: usize = 32;

impl Cursor {
    /// The format byte, the postcard-encoded cursor and its HMAC, as URL-safe base64 (no `+`,
    /// `/` or `=`, so clients that mangle `+` cannot break it). A client cannot change a token
    /// (its page size, its store, its query) without the key.
    pub fn encode(&self, key: &CursorKey) -> String {
        let mut bytes = vec![CURSOR_FORMAT];
        postcard::to_io(self, &mut bytes).expect("cursors always serialize");
        let mut mac = key.mac();
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The cursor of a token this server signed; None for anything else.
    pub fn decode(s: &str, key: &CursorKey) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim())
            .ok()?;
        let body_len = bytes.len().checked_sub(TAG_LEN)?;
        let (body, tag) = bytes.split_at(body_len);
        let mut mac = key.mac();
        mac.update(body);
        mac.verify_slice(tag).ok()?;
        let (&format, cursor) = body.split_first()?;
        if format != CURSOR_FORMAT {
            return None;
        }
        postcard::from_bytes(cursor).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FilterKeys;
    use uuid::Uuid;

    fn rec(stored_us: i64, keys: FilterKeys) -> StatementRecord {
        StatementRecord {
            store: StoreId::DEFAULT,
            id: Uuid::new_v4(),
            stored_us,
            keys,
            voids: None,
            attachments: vec![],
            body: b"{}".to_vec(),
            facts: None,
        }
    }

    #[test]
    fn agent_filter_respects_related_flag() {
        let r = rec(
            10,
            FilterKeys {
                agents: vec!["a".into()],
                related_agents: vec!["a".into(), "auth".into()],
                ..Default::default()
            },
        );
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.agent = Some("auth".into());
        assert!(!q.matches(&r));
        q.related_agents = true;
        assert!(q.matches(&r));
    }

    #[test]
    fn time_bounds_are_exclusive_since_inclusive_until() {
        let r = rec(10, FilterKeys::default());
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.since_us = Some(10);
        assert!(!q.matches(&r));
        q.since_us = Some(9);
        q.until_us = Some(10);
        assert!(q.matches(&r));
    }

    #[test]
    fn authority_filter_reads_the_body() {
        let mut r = rec(10, FilterKeys::default());
        r.body = br#"{"id":"x","authority":{"objectType":"Agent","account":{"homePage":"https://h","name":"k1"}}}"#.to_vec();
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.authority = authority_key(&r.body);
        assert_eq!(q.authority.as_deref(), Some("account:https://h|k1"));
        assert!(q.matches(&r));
        q.authority = Some("account:https://h|k2".into());
        assert!(!q.matches(&r));
    }

    #[test]
    fn other_store_never_matches() {
        let r = rec(10, FilterKeys::default());
        let q = StatementQuery::new(StoreId(Uuid::new_v4()));
        assert!(!q.matches(&r));
    }

    #[test]
    fn cursor_round_trips_and_is_url_safe() {
        let mut q = StatementQuery::new(StoreId::DEFAULT);
        q.verb = Some("http://example.com/verbs/+plus".into());
        let c = Cursor {
            query: q,
            page: Page {
                max_seq: 99,
                after: Some(42),
                limit: 10,
            },
            format: 0,
            attachments: false,
        };
        let key = CursorKey::generate();
        let s = c.encode(&key);
        assert!(!s.contains(['+', '/', '=']));
        assert_eq!(Cursor::decode(&s, &key), Some(c));
        assert_eq!(Cursor::decode("not a cursor!", &key), None);
    }

    /// A forged token could ask for any page size (only first pages applied `page_max`): a
    /// token is now signed, and any change to it, or another server's key, is refused.
    #[test]
    fn forged_and_tampered_cursors_are_refused() {
        let key = CursorKey::generate();
        let mut c = Cursor {
            query: StatementQuery::new(StoreId::DEFAULT),
            page: Page {
                max_seq: 99,
                after: None,
                limit: 10,
            },
            format: 0,
            attachments: false,
        };
        let good = c.encode(&key);
        c.page.limit = usize::MAX;
        let unsigned = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(postcard::to_stdvec(&c).unwrap());
        assert_eq!(
            Cursor::decode(&unsigned, &key),
            None,
            "the old, unsigned form"
        );
        assert_eq!(
            Cursor::decode(&c.encode(&CursorKey::generate()), &key),
            None,
            "signed with another key"
        );
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&good)
            .unwrap();
        for i in 0..bytes.len() {
            bytes[i] ^= 1;
            let t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(Cursor::decode(&t, &key), None, "byte {i} flipped");
            bytes[i] ^= 1;
        }
        assert!(Cursor::decode(&good, &key).is_some());
        assert_eq!(Cursor::decode("", &key), None);
    }

    #[test]
    fn page_direction() {
        let p = Page {
            max_seq: 10,
            after: Some(5),
            limit: 1,
        };
        assert!(p.contains(6, true) && !p.contains(5, true) && !p.contains(11, true));
        assert!(p.contains(4, false) && !p.contains(6, false));
    }
}

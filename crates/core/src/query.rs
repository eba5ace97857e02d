//! Filtered statement queries: the parameters of `GET /statements`, the page window, and the
//! in-process predicate that the in-memory tail uses (ClickHouse evaluates the same rules in SQL).
use crate::event::StatementRecord;
use crate::ids::StoreId;
use base64::Engine;
use serde::{Deserialize, Serialize};

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

impl Cursor {
    /// URL-safe base64 (no `+`, `/` or `=`), so clients that mangle `+` cannot break it.
    pub fn encode(&self) -> String {
        let bytes = postcard::to_stdvec(self).expect("cursors always serialize");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim())
            .ok()?;
        postcard::from_bytes(&bytes).ok()
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
        let s = c.encode();
        assert!(!s.contains(['+', '/', '=']));
        assert_eq!(Cursor::decode(&s), Some(c));
        assert_eq!(Cursor::decode("not a cursor!"), None);
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

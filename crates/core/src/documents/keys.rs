//! Addressing documents: the resource kind, the key of one document and the scope of a list,
//! encoded so that a scope is a byte prefix of every key inside it.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which document resource a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocumentKind {
    State,
    ActivityProfile,
    AgentProfile,
}

impl DocumentKind {
    fn tag(self) -> u8 {
        match self {
            DocumentKind::State => 1,
            DocumentKind::ActivityProfile => 2,
            DocumentKind::AgentProfile => 3,
        }
    }
}

/// The address of one document within a store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentKey {
    pub kind: DocumentKind,
    /// State and Activity Profile.
    pub activity_id: Option<String>,
    /// IFI key of the agent (see `cairn_xapi::Actor::ifi_key`): State and Agent Profile.
    pub agent: Option<String>,
    /// State only.
    pub registration: Option<Uuid>,
    /// The stateId or profileId.
    pub id: String,
}

/// A set of documents listed or deleted together: all documents of one activity/agent
/// (and, for State, of one registration when it is given, else of every registration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentScope {
    pub kind: DocumentKind,
    pub activity_id: Option<String>,
    pub agent: Option<String>,
    pub registration: Option<Uuid>,
}

fn push_lp(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn push_registration(out: &mut Vec<u8>, r: Option<Uuid>) {
    match r {
        None => out.push(0),
        Some(u) => {
            out.push(1);
            out.extend_from_slice(u.as_bytes());
        }
    }
}

impl DocumentKey {
    pub fn state(
        activity_id: &str,
        agent: &str,
        registration: Option<Uuid>,
        state_id: &str,
    ) -> Self {
        DocumentKey {
            kind: DocumentKind::State,
            activity_id: Some(activity_id.to_owned()),
            agent: Some(agent.to_owned()),
            registration,
            id: state_id.to_owned(),
        }
    }

    pub fn activity_profile(activity_id: &str, profile_id: &str) -> Self {
        DocumentKey {
            kind: DocumentKind::ActivityProfile,
            activity_id: Some(activity_id.to_owned()),
            agent: None,
            registration: None,
            id: profile_id.to_owned(),
        }
    }

    pub fn agent_profile(agent: &str, profile_id: &str) -> Self {
        DocumentKey {
            kind: DocumentKind::AgentProfile,
            activity_id: None,
            agent: Some(agent.to_owned()),
            registration: None,
            id: profile_id.to_owned(),
        }
    }

    /// The store-independent part of the storage key: kind ‖ length-prefixed parts, laid out so
    /// that [`DocumentScope::prefix`] is a byte prefix of the keys of every document in scope.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.scope_prefix(true);
        push_lp(&mut out, &self.id);
        out
    }

    fn scope_prefix(&self, with_registration: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.id.len());
        out.push(self.kind.tag());
        if let Some(a) = &self.activity_id {
            push_lp(&mut out, a);
        }
        if let Some(a) = &self.agent {
            push_lp(&mut out, a);
        }
        if self.kind == DocumentKind::State && with_registration {
            push_registration(&mut out, self.registration);
        }
        out
    }

    pub fn in_scope(&self, scope: &DocumentScope) -> bool {
        self.encode().starts_with(&scope.prefix())
    }
}

impl DocumentScope {
    pub fn state(activity_id: &str, agent: &str, registration: Option<Uuid>) -> Self {
        DocumentScope {
            kind: DocumentKind::State,
            activity_id: Some(activity_id.to_owned()),
            agent: Some(agent.to_owned()),
            registration,
        }
    }

    pub fn activity_profiles(activity_id: &str) -> Self {
        DocumentScope {
            kind: DocumentKind::ActivityProfile,
            activity_id: Some(activity_id.to_owned()),
            agent: None,
            registration: None,
        }
    }

    pub fn agent_profiles(agent: &str) -> Self {
        DocumentScope {
            kind: DocumentKind::AgentProfile,
            activity_id: None,
            agent: Some(agent.to_owned()),
            registration: None,
        }
    }

    /// Byte prefix (after the store id) of every document key in the scope.
    pub fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(self.kind.tag());
        if let Some(a) = &self.activity_id {
            push_lp(&mut out, a);
        }
        if let Some(a) = &self.agent {
            push_lp(&mut out, a);
        }
        if self.kind == DocumentKind::State && self.registration.is_some() {
            push_registration(&mut out, self.registration);
        }
        out
    }
}

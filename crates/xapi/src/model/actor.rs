//! Actors: Agents and Groups (identified or anonymous), and their IFIs.

use super::nn;
use serde::{Deserialize, Serialize, Serializer};

/// The `objectType` of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorType {
    /// `"Agent"`
    Agent,
    /// `"Group"`
    Group,
}

/// The literal `"Agent"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgentTag {
    /// `"Agent"`
    Agent,
}

/// The literal `"Group"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupTag {
    /// `"Group"`
    Group,
}

/// An account IFI: a user name on a system identified by its home page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The canonical home page (an IRL) of the system the account is on.
    #[serde(rename = "homePage")]
    pub home_page: String,
    /// The unique id or name used to log in to this account.
    pub name: String,
}

/// An individual.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// `"Agent"` when the client sent it (optional except where an Agent is a statement object).
    #[serde(
        rename = "objectType",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_type: Option<AgentTag>,
    /// Full name.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// `mailto:` IRI IFI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub mbox: Option<String>,
    /// Hex SHA1 of the mailto IRI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub mbox_sha1sum: Option<String>,
    /// OpenID URI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub openid: Option<String>,
    /// Account IFI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub account: Option<Account>,
}

/// A group of Agents; identified (has an IFI) or anonymous (has none, lists `member`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Always `"Group"`.
    #[serde(rename = "objectType")]
    pub object_type: GroupTag,
    /// Name of the group.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// `mailto:` IRI IFI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub mbox: Option<String>,
    /// Hex SHA1 of the mailto IRI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub mbox_sha1sum: Option<String>,
    /// OpenID URI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub openid: Option<String>,
    /// Account IFI.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub account: Option<Account>,
    /// The members (Agents only; unordered).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub member: Option<Vec<Agent>>,
}

/// An Agent or a Group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawActor")]
pub enum Actor {
    /// An individual.
    Agent(Agent),
    /// A group.
    Group(Group),
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Actor::Agent(a) => a.serialize(s),
            Actor::Group(g) => g.serialize(s),
        }
    }
}

/// The union of every property an actor may have, before `objectType` decides which apply.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawActor {
    #[serde(rename = "objectType", default, deserialize_with = "nn")]
    object_type: Option<ActorType>,
    #[serde(default, deserialize_with = "nn")]
    name: Option<String>,
    #[serde(default, deserialize_with = "nn")]
    mbox: Option<String>,
    #[serde(default, deserialize_with = "nn")]
    mbox_sha1sum: Option<String>,
    #[serde(default, deserialize_with = "nn")]
    openid: Option<String>,
    #[serde(default, deserialize_with = "nn")]
    account: Option<Account>,
    #[serde(default, deserialize_with = "nn")]
    member: Option<Vec<Agent>>,
}

impl TryFrom<RawActor> for Actor {
    type Error = String;
    fn try_from(r: RawActor) -> Result<Self, String> {
        match r.object_type {
            Some(ActorType::Group) => Ok(Actor::Group(Group {
                object_type: GroupTag::Group,
                name: r.name,
                mbox: r.mbox,
                mbox_sha1sum: r.mbox_sha1sum,
                openid: r.openid,
                account: r.account,
                member: r.member,
            })),
            t => {
                if r.member.is_some() {
                    return Err("`member` is only allowed in a Group (objectType \"Group\")".into());
                }
                Ok(Actor::Agent(Agent {
                    object_type: t.map(|_| AgentTag::Agent),
                    name: r.name,
                    mbox: r.mbox,
                    mbox_sha1sum: r.mbox_sha1sum,
                    openid: r.openid,
                    account: r.account,
                }))
            }
        }
    }
}

/// Canonical IFI key string (see [`Actor::ifi_key`]); `None` without exactly one IFI.
fn ifi_key_of(
    mbox: &Option<String>,
    sha1: &Option<String>,
    openid: &Option<String>,
    account: &Option<Account>,
) -> Option<String> {
    if ifi_count(mbox, sha1, openid, account) != 1 {
        return None;
    }
    if let Some(m) = mbox {
        return Some(format!("mbox:{m}"));
    }
    if let Some(s) = sha1 {
        return Some(format!("mbox_sha1sum:{}", s.to_ascii_lowercase()));
    }
    if let Some(o) = openid {
        return Some(format!("openid:{o}"));
    }
    account
        .as_ref()
        .map(|a| format!("account:{}|{}", a.home_page, a.name))
}

pub(crate) fn ifi_count(
    mbox: &Option<String>,
    sha1: &Option<String>,
    openid: &Option<String>,
    account: &Option<Account>,
) -> usize {
    mbox.is_some() as usize
        + sha1.is_some() as usize
        + openid.is_some() as usize
        + account.is_some() as usize
}

impl Agent {
    /// An Agent identified by a `mailto:` IRI.
    pub fn with_mbox(mbox: impl Into<String>) -> Self {
        Agent {
            object_type: Some(AgentTag::Agent),
            mbox: Some(mbox.into()),
            ..Default::default()
        }
    }

    /// An Agent identified by an account.
    pub fn with_account(home_page: impl Into<String>, name: impl Into<String>) -> Self {
        Agent {
            object_type: Some(AgentTag::Agent),
            account: Some(Account {
                home_page: home_page.into(),
                name: name.into(),
            }),
            ..Default::default()
        }
    }

    /// Canonical IFI key: `mbox:mailto:x@y`, `mbox_sha1sum:<lower hex>`, `openid:<iri>`,
    /// `account:<homePage>|<name>`; `None` unless exactly one IFI is present.
    pub fn ifi_key(&self) -> Option<String> {
        ifi_key_of(&self.mbox, &self.mbox_sha1sum, &self.openid, &self.account)
    }

    pub(crate) fn ifi_count(&self) -> usize {
        ifi_count(&self.mbox, &self.mbox_sha1sum, &self.openid, &self.account)
    }
}

impl Group {
    /// An anonymous Group of the given members (e.g. an OAuth authority: client + user).
    pub fn anonymous(members: Vec<Agent>) -> Self {
        Group {
            object_type: GroupTag::Group,
            name: None,
            mbox: None,
            mbox_sha1sum: None,
            openid: None,
            account: None,
            member: Some(members),
        }
    }

    /// Canonical IFI key of an identified Group; `None` for an anonymous one.
    pub fn ifi_key(&self) -> Option<String> {
        ifi_key_of(&self.mbox, &self.mbox_sha1sum, &self.openid, &self.account)
    }

    pub(crate) fn ifi_count(&self) -> usize {
        ifi_count(&self.mbox, &self.mbox_sha1sum, &self.openid, &self.account)
    }

    /// The members (empty when absent).
    pub fn members(&self) -> &[Agent] {
        self.member.as_deref().unwrap_or(&[])
    }
}

impl Actor {
    /// Canonical IFI key (see [`Agent::ifi_key`]); `None` for anonymous groups.
    pub fn ifi_key(&self) -> Option<String> {
        match self {
            Actor::Agent(a) => a.ifi_key(),
            Actor::Group(g) => g.ifi_key(),
        }
    }

    /// The display name, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Actor::Agent(a) => a.name.as_deref(),
            Actor::Group(g) => g.name.as_deref(),
        }
    }

    /// Group members (empty for Agents and groups without members).
    pub fn members(&self) -> &[Agent] {
        match self {
            Actor::Agent(_) => &[],
            Actor::Group(g) => g.members(),
        }
    }
}

impl From<Agent> for Actor {
    fn from(a: Agent) -> Self {
        Actor::Agent(a)
    }
}

impl From<Group> for Actor {
    fn from(g: Group) -> Self {
        Actor::Group(g)
    }
}

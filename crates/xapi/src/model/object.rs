//! Statement objects: Activity, Agent/Group, StatementRef, SubStatement.

use super::{Account, Actor, Agent, AgentTag, Attachment, Context, Group, GroupTag};
use super::{ActivityDefinition, Verb, XapiResult, de_uuid, nn};
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

/// Every `objectType` a statement object may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectType {
    /// `"Activity"` (the default when absent)
    Activity,
    /// `"Agent"`
    Agent,
    /// `"Group"`
    Group,
    /// `"StatementRef"`
    StatementRef,
    /// `"SubStatement"`
    SubStatement,
}

/// The literal `"Activity"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityTag {
    /// `"Activity"`
    Activity,
}

/// The literal `"StatementRef"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatementRefTag {
    /// `"StatementRef"`
    StatementRef,
}

/// The literal `"SubStatement"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubStatementTag {
    /// `"SubStatement"`
    SubStatement,
}

/// An activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// `"Activity"` when the client sent it.
    #[serde(
        rename = "objectType",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_type: Option<ActivityTag>,
    /// The activity IRI.
    pub id: String,
    /// Metadata.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub definition: Option<ActivityDefinition>,
}

impl Activity {
    /// An activity with just an id.
    pub fn new(id: impl Into<String>) -> Self {
        Activity {
            object_type: None,
            id: id.into(),
            definition: None,
        }
    }
}

/// A reference to another statement by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementRef {
    /// Always `"StatementRef"`.
    #[serde(rename = "objectType")]
    pub object_type: StatementRefTag,
    /// The referenced statement's id.
    #[serde(deserialize_with = "de_uuid")]
    pub id: Uuid,
}

/// A statement nested as the object of another statement.
#[derive(Debug, Clone, Serialize)]
pub struct SubStatement {
    /// Always `"SubStatement"`.
    #[serde(rename = "objectType")]
    pub object_type: SubStatementTag,
    /// Who.
    pub actor: Actor,
    /// Did.
    pub verb: Verb,
    /// What (never another SubStatement).
    pub object: Box<StatementObject>,
    /// Outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<XapiResult>,
    /// Context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// When.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Attachment metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

/// The object of a statement, chosen by `objectType`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawObject")]
pub enum StatementObject {
    /// An activity (default).
    Activity(Activity),
    /// An Agent (objectType required).
    Agent(Agent),
    /// A Group.
    Group(Group),
    /// A statement reference.
    StatementRef(StatementRef),
    /// A sub-statement.
    SubStatement(Box<SubStatement>),
}

impl Serialize for StatementObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StatementObject::Activity(a) => a.serialize(s),
            StatementObject::Agent(a) => a.serialize(s),
            StatementObject::Group(g) => g.serialize(s),
            StatementObject::StatementRef(r) => r.serialize(s),
            StatementObject::SubStatement(x) => x.serialize(s),
        }
    }
}

impl StatementObject {
    /// The activity, if the object is one.
    pub fn as_activity(&self) -> Option<&Activity> {
        match self {
            StatementObject::Activity(a) => Some(a),
            _ => None,
        }
    }

    /// The statement reference, if the object is one.
    pub fn as_statement_ref(&self) -> Option<&StatementRef> {
        match self {
            StatementObject::StatementRef(r) => Some(r),
            _ => None,
        }
    }

    /// The effective objectType.
    pub fn object_type(&self) -> ObjectType {
        match self {
            StatementObject::Activity(_) => ObjectType::Activity,
            StatementObject::Agent(_) => ObjectType::Agent,
            StatementObject::Group(_) => ObjectType::Group,
            StatementObject::StatementRef(_) => ObjectType::StatementRef,
            StatementObject::SubStatement(_) => ObjectType::SubStatement,
        }
    }
}

/// The union of every property any kind of statement object may have.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObject {
    #[serde(rename = "objectType", default, deserialize_with = "nn")]
    object_type: Option<ObjectType>,
    #[serde(default, deserialize_with = "nn")]
    id: Option<String>,
    #[serde(default, deserialize_with = "nn")]
    definition: Option<ActivityDefinition>,
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
    #[serde(default, deserialize_with = "nn")]
    actor: Option<Actor>,
    #[serde(default, deserialize_with = "nn")]
    verb: Option<Verb>,
    #[serde(default, deserialize_with = "nn")]
    object: Option<Box<StatementObject>>,
    #[serde(default, deserialize_with = "nn")]
    result: Option<XapiResult>,
    #[serde(default, deserialize_with = "nn")]
    context: Option<Context>,
    #[serde(default, deserialize_with = "nn")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "nn")]
    attachments: Option<Vec<Attachment>>,
}

impl RawObject {
    fn present(&self) -> [(&'static str, bool); 16] {
        [
            ("objectType", self.object_type.is_some()),
            ("id", self.id.is_some()),
            ("definition", self.definition.is_some()),
            ("name", self.name.is_some()),
            ("mbox", self.mbox.is_some()),
            ("mbox_sha1sum", self.mbox_sha1sum.is_some()),
            ("openid", self.openid.is_some()),
            ("account", self.account.is_some()),
            ("member", self.member.is_some()),
            ("actor", self.actor.is_some()),
            ("verb", self.verb.is_some()),
            ("object", self.object.is_some()),
            ("result", self.result.is_some()),
            ("context", self.context.is_some()),
            ("timestamp", self.timestamp.is_some()),
            ("attachments", self.attachments.is_some()),
        ]
    }

    fn only(&self, kind: &str, allowed: &[&str]) -> Result<(), String> {
        for (name, present) in self.present() {
            if present && !allowed.contains(&name) {
                return Err(format!(
                    "`{name}` is not allowed in an object of objectType \"{kind}\""
                ));
            }
        }
        Ok(())
    }
}

const AGENT_FIELDS: &[&str] = &[
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];
const GROUP_FIELDS: &[&str] = &[
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
    "member",
];

impl TryFrom<RawObject> for StatementObject {
    type Error = String;
    fn try_from(r: RawObject) -> Result<Self, String> {
        match r.object_type {
            None | Some(ObjectType::Activity) => {
                r.only("Activity", &["objectType", "id", "definition"])?;
                let id =
                    r.id.ok_or("missing field `id` (an Activity requires an id)")?;
                Ok(StatementObject::Activity(Activity {
                    object_type: r.object_type.map(|_| ActivityTag::Activity),
                    id,
                    definition: r.definition,
                }))
            }
            Some(ObjectType::Agent) => {
                r.only("Agent", AGENT_FIELDS)?;
                Ok(StatementObject::Agent(Agent {
                    object_type: Some(AgentTag::Agent),
                    name: r.name,
                    mbox: r.mbox,
                    mbox_sha1sum: r.mbox_sha1sum,
                    openid: r.openid,
                    account: r.account,
                }))
            }
            Some(ObjectType::Group) => {
                r.only("Group", GROUP_FIELDS)?;
                Ok(StatementObject::Group(Group {
                    object_type: GroupTag::Group,
                    name: r.name,
                    mbox: r.mbox,
                    mbox_sha1sum: r.mbox_sha1sum,
                    openid: r.openid,
                    account: r.account,
                    member: r.member,
                }))
            }
            Some(ObjectType::StatementRef) => {
                r.only("StatementRef", &["objectType", "id"])?;
                let id =
                    r.id.ok_or("missing field `id` (a StatementRef requires an id)")?;
                let id = parse_ref_id(&id)?;
                Ok(StatementObject::StatementRef(StatementRef {
                    object_type: StatementRefTag::StatementRef,
                    id,
                }))
            }
            Some(ObjectType::SubStatement) => {
                r.only(
                    "SubStatement",
                    &[
                        "objectType",
                        "actor",
                        "verb",
                        "object",
                        "result",
                        "context",
                        "timestamp",
                        "attachments",
                    ],
                )?;
                let actor = r.actor.ok_or("missing field `actor` in SubStatement")?;
                let verb = r.verb.ok_or("missing field `verb` in SubStatement")?;
                let object = r.object.ok_or("missing field `object` in SubStatement")?;
                if matches!(*object, StatementObject::SubStatement(_)) {
                    return Err("a SubStatement must not contain another SubStatement".into());
                }
                Ok(StatementObject::SubStatement(Box::new(SubStatement {
                    object_type: SubStatementTag::SubStatement,
                    actor,
                    verb,
                    object,
                    result: r.result,
                    context: r.context,
                    timestamp: r.timestamp,
                    attachments: r.attachments,
                })))
            }
        }
    }
}

fn parse_ref_id(s: &str) -> Result<Uuid, String> {
    if s.len() != 36 {
        return Err(format!("StatementRef id `{s}` is not a hyphenated UUID"));
    }
    Uuid::try_parse(s).map_err(|_| format!("StatementRef id `{s}` is not a valid UUID"))
}

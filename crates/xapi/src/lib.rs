//! PLACEHOLDER until the xapi branch lands: the exact public API surface of cairn-xapi, minimal bodies.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XapiVersion {
    V1_0_3,
    V2_0_0,
}
impl XapiVersion {
    pub fn from_header(s: &str) -> Option<Self> {
        let s = s.trim();
        if s == "1.0" || s.starts_with("1.0.") {
            Some(Self::V1_0_3)
        } else if s == "2.0" || s.starts_with("2.0.") {
            Some(Self::V2_0_0)
        } else {
            None
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_0_3 => "1.0.3",
            Self::V2_0_0 => "2.0.0",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub path: String,
    pub message: String,
}
impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}
impl std::error::Error for ValidationError {}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexKeys {
    pub agents: Vec<String>,
    pub related_agents: Vec<String>,
    pub verb: String,
    pub activities: Vec<String>,
    pub related_activities: Vec<String>,
    pub registration: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Exact,
    Ids,
    Canonical,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Actor(pub serde_json::Value);
impl Actor {
    pub fn ifi_key(&self) -> Option<String> {
        let v = &self.0;
        if let Some(m) = v.get("mbox").and_then(|m| m.as_str()) {
            return Some(format!("mbox:{m}"));
        }
        if let Some(a) = v.get("account") {
            return Some(format!("account:{}|{}", a["homePage"].as_str()?, a["name"].as_str()?));
        }
        None
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(rename = "usageType")]
    pub usage_type: String,
    #[serde(rename = "contentType")]
    pub content_type: String,
    pub length: u64,
    pub sha2: String,
    #[serde(rename = "fileUrl", default)]
    pub file_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement(pub serde_json::Value);
impl Statement {
    pub fn id(&self) -> Option<uuid::Uuid> {
        self.0.get("id").and_then(|v| v.as_str()).and_then(|s| s.parse().ok())
    }
    pub fn set_id(&mut self, id: uuid::Uuid) {
        self.0["id"] = serde_json::Value::String(id.to_string());
    }
    pub fn set_authority(&mut self, authority: Actor) {
        self.0["authority"] = authority.0;
    }
    pub fn set_version_if_missing(&mut self, v: &str) {
        if self.0.get("version").is_none() {
            self.0["version"] = v.into();
        }
    }
    pub fn clear_stored(&mut self) {
        if let Some(o) = self.0.as_object_mut() {
            o.remove("stored");
        }
    }
    pub fn set_timestamp_if_missing(&mut self, ts: &str) {
        if self.0.get("timestamp").is_none() {
            self.0["timestamp"] = ts.into();
        }
    }
    pub fn voided_target(&self) -> Option<uuid::Uuid> {
        if self.0.pointer("/verb/id").and_then(|v| v.as_str())
            == Some("http://adlnet.gov/expapi/verbs/voided")
        {
            self.statement_ref_target()
        } else {
            None
        }
    }
    pub fn statement_ref_target(&self) -> Option<uuid::Uuid> {
        if self.0.pointer("/object/objectType").and_then(|v| v.as_str()) == Some("StatementRef") {
            self.0.pointer("/object/id").and_then(|v| v.as_str()).and_then(|s| s.parse().ok())
        } else {
            None
        }
    }
    pub fn attachments(&self) -> &[Attachment] {
        &[]
    }
    pub fn signature_attachments(&self) -> impl Iterator<Item = &Attachment> {
        self.attachments().iter().filter(|a| a.usage_type == "http://adlnet.gov/expapi/attachments/signature")
    }
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.0).unwrap_or_default()
    }
}

fn err(path: &str, message: impl Into<String>) -> ValidationError {
    ValidationError { path: path.into(), message: message.into() }
}

pub fn parse_statements(body: &[u8], _version: XapiVersion) -> Result<Vec<Statement>, ValidationError> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| err("body", e.to_string()))?;
    match v {
        serde_json::Value::Array(a) => Ok(a.into_iter().map(Statement).collect()),
        o @ serde_json::Value::Object(_) => Ok(vec![Statement(o)]),
        _ => Err(err("body", "expected a statement or an array of statements")),
    }
}
pub fn parse_statement(body: &[u8], version: XapiVersion) -> Result<Statement, ValidationError> {
    let mut v = parse_statements(body, version)?;
    if v.len() != 1 {
        return Err(err("body", "expected one statement"));
    }
    Ok(v.remove(0))
}
pub fn equivalent(a: &Statement, b: &Statement) -> bool {
    a.0 == b.0
}
pub fn parse_agent_param(json: &str, _version: XapiVersion) -> Result<Actor, ValidationError> {
    serde_json::from_str(json).map(Actor).map_err(|e| err("agent", e.to_string()))
}
pub fn index_keys(s: &Statement) -> IndexKeys {
    let v = &s.0;
    IndexKeys {
        agents: Actor(v["actor"].clone()).ifi_key().into_iter().collect(),
        verb: v.pointer("/verb/id").and_then(|v| v.as_str()).unwrap_or_default().into(),
        ..Default::default()
    }
}
pub fn format_statement(json: &[u8], _format: Format, _langs: &[String]) -> Result<Vec<u8>, ValidationError> {
    Ok(json.to_vec())
}
pub fn verify_signature(_statement: &Statement, _jws: &[u8]) -> Result<(), ValidationError> {
    Ok(())
}

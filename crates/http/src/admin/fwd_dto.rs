//! The forwarders API's bodies. Targets are given with their secrets and shown without them.
use crate::error::ApiError;
use cairn_core::forwarding::{
    Auth, AuthInput, DeadLetter, Forwarder, StatusView, Target, TargetInput, XapiVersion,
};
use cairn_core::time_fmt::format_us;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A request header a forwarder adds. Its value is write-only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderBody {
    pub name: String,
    /// Absent on a change: the stored value is kept.
    pub value: Option<String>,
}

/// How the forwarder authenticates to a target LRS. Passwords and tokens are write-only;
/// absent on a change, the stored one is kept.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum AuthBody {
    None,
    Basic {
        user: String,
        password: Option<String>,
    },
    Bearer {
        token: Option<String>,
    },
}

/// Where batches go: another xAPI LRS (`POST <endpoint>/statements`), or a webhook (a signed
/// JSON batch, docs/forwarding.md).
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum TargetBody {
    Xapi {
        /// The LRS's xAPI endpoint, e.g. `https://lrs.example.com/xapi/`.
        endpoint: String,
        /// `1.0.3` or `2.0.0` (default), sent as `X-Experience-API-Version`.
        version: Option<String>,
        auth: Option<AuthBody>,
        headers: Option<Vec<HeaderBody>>,
    },
    Webhook {
        url: String,
        /// The HMAC-SHA256 signing secret (at least 16 characters). Absent on a change: kept.
        secret: Option<String>,
        headers: Option<Vec<HeaderBody>>,
    },
}

fn headers(h: Option<Vec<HeaderBody>>) -> Vec<(String, Option<String>)> {
    h.unwrap_or_default()
        .into_iter()
        .map(|h| (h.name, h.value))
        .collect()
}

impl TargetBody {
    pub fn into_input(self) -> Result<TargetInput, ApiError> {
        Ok(match self {
            TargetBody::Xapi {
                endpoint,
                version,
                auth,
                headers: h,
            } => TargetInput::Xapi {
                endpoint,
                version: match version.as_deref() {
                    None => XapiVersion::V200,
                    Some(v) => XapiVersion::parse(v).ok_or_else(|| {
                        ApiError::bad_request("/target/version: expected 1.0.3 or 2.0.0")
                    })?,
                },
                auth: match auth.unwrap_or(AuthBody::None) {
                    AuthBody::None => AuthInput::None,
                    AuthBody::Basic { user, password } => AuthInput::Basic { user, password },
                    AuthBody::Bearer { token } => AuthInput::Bearer { token },
                },
                headers: headers(h),
            },
            TargetBody::Webhook {
                url,
                secret,
                headers: h,
            } => TargetInput::Webhook {
                url,
                secret,
                headers: headers(h),
            },
        })
    }
}

/// A target as shown: no secrets, header names only.
#[derive(Serialize, ToSchema)]
pub struct TargetDto {
    /// `xapi` or `webhook`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The endpoint (xapi) or URL (webhook).
    pub url: String,
    /// xapi: the version sent.
    pub version: Option<String>,
    /// xapi: `none`, `basic` or `bearer`.
    pub auth: Option<String>,
    /// xapi with basic auth: the user name.
    pub user: Option<String>,
    pub header_names: Vec<String>,
}

impl From<&Target> for TargetDto {
    fn from(t: &Target) -> Self {
        match t {
            Target::Xapi {
                endpoint,
                version,
                auth,
                headers,
            } => TargetDto {
                kind: "xapi".into(),
                url: endpoint.clone(),
                version: Some(version.as_str().into()),
                auth: Some(
                    match auth {
                        Auth::None => "none",
                        Auth::Basic { .. } => "basic",
                        Auth::Bearer { .. } => "bearer",
                    }
                    .into(),
                ),
                user: match auth {
                    Auth::Basic { user, .. } => Some(user.clone()),
                    _ => None,
                },
                header_names: headers.iter().map(|(n, _)| n.clone()).collect(),
            },
            Target::Webhook { url, headers, .. } => TargetDto {
                kind: "webhook".into(),
                url: url.clone(),
                version: None,
                auth: None,
                user: None,
                header_names: headers.iter().map(|(n, _)| n.clone()).collect(),
            },
        }
    }
}

/// The target's last failure.
#[derive(Serialize, ToSchema)]
pub struct LastErrorDto {
    pub at: String,
    /// The target's HTTP status (absent: no answer, e.g. refused, reset or timed out).
    pub status: Option<u16>,
    /// The start of the target's body, or the transport error.
    pub message: String,
}

/// How delivery goes.
#[derive(Serialize, ToSchema)]
pub struct StatusDto {
    /// Every statement up to this log position was acknowledged (or dead-lettered).
    pub cursor: u64,
    /// The log's last position.
    pub head: u64,
    /// Statements waiting to be forwarded.
    pub lag_statements: u64,
    /// The lag count stopped at `forward_lag_count_max` log entries: there are more.
    pub lag_capped: bool,
    /// Age of the oldest statement waiting to be forwarded, in seconds (0: caught up).
    pub lag_seconds: f64,
    pub last_success: Option<String>,
    pub last_error: Option<LastErrorDto>,
    /// Failed tries since the last success.
    pub consecutive_failures: u32,
    pub dead_letters: u64,
    /// Statements acknowledged since the server started.
    pub delivered: u64,
}

impl From<&StatusView> for StatusDto {
    fn from(v: &StatusView) -> Self {
        let s = &v.status;
        StatusDto {
            cursor: s.cursor,
            head: v.head,
            lag_statements: v.lag_statements,
            lag_capped: v.lag_capped,
            lag_seconds: v.lag_seconds,
            last_success: s.last_success_us.map(format_us),
            last_error: s.last_error.as_ref().map(|e| LastErrorDto {
                at: format_us(e.at_us),
                status: e.status,
                message: e.message.clone(),
            }),
            consecutive_failures: s.consecutive_failures,
            dead_letters: s.dead_letters,
            delivered: s.delivered,
        }
    }
}

/// A forwarder with its delivery status.
#[derive(Serialize, ToSchema)]
pub struct ForwarderDto {
    pub id: String,
    pub store: String,
    pub name: String,
    /// The filter (filter language JSON); absent: every statement of the store.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
    pub target: TargetDto,
    pub batch_size: u32,
    /// `false`: paused.
    pub enabled: bool,
    pub created: String,
    pub updated: String,
    pub status: StatusDto,
}

impl ForwarderDto {
    pub fn new(f: &Forwarder, s: &StatusView) -> Self {
        ForwarderDto {
            id: f.id.to_string(),
            store: f.store.0.to_string(),
            name: f.name.clone(),
            filter: f
                .filter
                .as_deref()
                .map(|t| serde_json::from_str(t).unwrap_or(serde_json::Value::Null)),
            target: TargetDto::from(&f.target),
            batch_size: f.batch_size,
            enabled: f.enabled,
            created: format_us(f.created_us),
            updated: format_us(f.updated_us),
            status: StatusDto::from(s),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ForwarderPage {
    pub items: Vec<ForwarderDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateForwarder {
    pub name: String,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
    pub target: TargetBody,
    /// Statements per request (default 100, at most `forward_batch_max`).
    pub batch_size: Option<u32>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Absent fields are kept; `"filter": null` removes the filter.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateForwarder {
    pub name: Option<String>,
    #[serde(default, with = "serde_with_null")]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Option<serde_json::Value>>,
    pub target: Option<TargetBody>,
    pub batch_size: Option<u32>,
    pub enabled: Option<bool>,
}

/// `null` is `Some(None)`, absent is `None`.
mod serde_with_null {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<serde_json::Value>>, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(Some((!v.is_null()).then_some(v)))
    }
}

/// Where to forward again from: a log position, or a time (ISO 8601); exactly one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    pub from_seq: Option<u64>,
    pub from_time: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReplayDto {
    /// The new cursor: statements after it are forwarded again.
    pub cursor: u64,
}

/// A batch the target refused for good, or that failed until the retry limits.
#[derive(Serialize, ToSchema)]
pub struct DeadLetterDto {
    pub id: String,
    /// The log positions of its statements.
    pub seqs: Vec<u64>,
    pub attempts: u32,
    /// The target's last HTTP status (absent: it did not answer).
    pub status: Option<u16>,
    /// The start of the target's last body, or the transport error.
    pub error: String,
    pub created: String,
    pub last_attempt: String,
}

impl From<&DeadLetter> for DeadLetterDto {
    fn from(d: &DeadLetter) -> Self {
        DeadLetterDto {
            id: d.id.to_string(),
            seqs: d.seqs.clone(),
            attempts: d.attempts,
            status: d.status,
            error: d.error.clone(),
            created: format_us(d.created_us),
            last_attempt: format_us(d.last_attempt_us),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeadLetterList {
    pub items: Vec<DeadLetterDto>,
}

/// What a retry did: delivered (the dead letter is gone), or not (it stays, with this answer).
#[derive(Serialize, ToSchema)]
pub struct RetryDto {
    pub delivered: bool,
    pub dead_letter: Option<DeadLetterDto>,
}

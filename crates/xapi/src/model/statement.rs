//! The statement itself, its verb and its result.

use super::{
    Actor, Attachment, Context, Extensions, LanguageMap, StatementObject, de_opt_uuid, nn,
};
use serde::{Deserialize, Serialize};
use serde_json::Number;
use uuid::Uuid;

/// The verb IRI that voids a statement.
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

/// The action of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verb {
    /// The verb IRI.
    pub id: String,
    /// Human-readable display.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub display: Option<LanguageMap>,
}

/// A score. Numbers are kept as sent (`95` stays `95`, `0.950` is `0.95`); use the
/// accessor methods for their `f64` values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// Scaled score in [-1, 1].
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub scaled: Option<Number>,
    /// Raw score, between min and max.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub raw: Option<Number>,
    /// Lowest possible score.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub min: Option<Number>,
    /// Highest possible score.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<Number>,
}

impl Score {
    /// Scaled score.
    pub fn scaled(&self) -> Option<f64> {
        self.scaled.as_ref().and_then(Number::as_f64)
    }
    /// Raw score.
    pub fn raw(&self) -> Option<f64> {
        self.raw.as_ref().and_then(Number::as_f64)
    }
    /// Minimum.
    pub fn min(&self) -> Option<f64> {
        self.min.as_ref().and_then(Number::as_f64)
    }
    /// Maximum.
    pub fn max(&self) -> Option<f64> {
        self.max.as_ref().and_then(Number::as_f64)
    }
    /// Equal by numeric value (`1` == `1.0`).
    pub(crate) fn same_values(&self, o: &Score) -> bool {
        self.scaled() == o.scaled()
            && self.raw() == o.raw()
            && self.min() == o.min()
            && self.max() == o.max()
    }
}

/// The outcome of a statement (the xAPI "Result" object).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XapiResult {
    /// Score.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<Score>,
    /// Success.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub success: Option<bool>,
    /// Completion.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub completion: Option<bool>,
    /// Response.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub response: Option<String>,
    /// ISO 8601 duration.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<String>,
    /// Extensions.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub extensions: Option<Extensions>,
}

/// An xAPI statement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Statement id.
    #[serde(
        default,
        deserialize_with = "de_opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<Uuid>,
    /// Who.
    pub actor: Actor,
    /// Did.
    pub verb: Verb,
    /// What.
    pub object: StatementObject,
    /// Outcome.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub result: Option<XapiResult>,
    /// Context.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<Context>,
    /// When the experience happened (kept as sent; ISO 8601).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<String>,
    /// When the LRS stored it (set by the LRS).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub stored: Option<String>,
    /// Who vouches for it (set by the LRS).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub authority: Option<Actor>,
    /// xAPI version of the statement.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub version: Option<String>,
    /// Attachment metadata.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub attachments: Option<Vec<Attachment>>,
}

impl Statement {
    /// The statement id, when present.
    pub fn id(&self) -> Option<Uuid> {
        self.id
    }

    /// Set the id (the LRS assigns one when the client did not).
    pub fn set_id(&mut self, id: Uuid) {
        self.id = Some(id);
    }

    /// Overwrite the authority (the LRS sets it from the credentials).
    pub fn set_authority(&mut self, authority: Actor) {
        self.authority = Some(authority);
    }

    /// Set `version` when the client sent none.
    pub fn set_version_if_missing(&mut self, v: &str) {
        if self.version.is_none() {
            self.version = Some(v.to_owned());
        }
    }

    /// Remove `stored` (the store splices the LRS-assigned value in).
    pub fn clear_stored(&mut self) {
        self.stored = None;
    }

    /// Set `timestamp` when the client sent none (the LRS uses `stored`).
    pub fn set_timestamp_if_missing(&mut self, ts: &str) {
        if self.timestamp.is_none() {
            self.timestamp = Some(ts.to_owned());
        }
    }

    /// The voided statement's id when this is a voiding statement
    /// (verb `http://adlnet.gov/expapi/verbs/voided` with a StatementRef object).
    pub fn voided_target(&self) -> Option<Uuid> {
        if self.verb.id == VOIDED_VERB {
            self.statement_ref_target()
        } else {
            None
        }
    }

    /// The referenced statement's id when the object is a StatementRef.
    pub fn statement_ref_target(&self) -> Option<Uuid> {
        self.object.as_statement_ref().map(|r| r.id)
    }

    /// Attachment metadata (empty when absent).
    pub fn attachments(&self) -> &[Attachment] {
        self.attachments.as_deref().unwrap_or(&[])
    }

    /// The JWS signature attachments.
    pub fn signature_attachments(&self) -> impl Iterator<Item = &Attachment> {
        self.attachments().iter().filter(|a| a.is_signature())
    }

    /// Compact JSON, spec property names, absent properties omitted.
    pub fn to_json(&self) -> Vec<u8> {
        self.to_json_with(&mut Vec::new())
    }

    /// [`to_json`](Self::to_json), written in `scratch` first (emptied, and kept for the next
    /// statement of a batch: it grows once instead of for each statement). The result is
    /// allocated at its exact size: a stored body is held in memory by the tail and the caches.
    pub fn to_json_with(&self, scratch: &mut Vec<u8>) -> Vec<u8> {
        scratch.clear();
        // Serialization of this model cannot fail (string keys only, no non-finite floats
        // after validation); fall back to an empty body rather than panic.
        match serde_json::to_writer(&mut *scratch, self) {
            Ok(()) => scratch.as_slice().to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

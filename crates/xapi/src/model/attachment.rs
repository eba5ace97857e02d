//! Attachment metadata.

use super::{LanguageMap, nn};
use serde::{Deserialize, Serialize};

/// The usageType of a JWS statement signature attachment.
pub const SIGNATURE_USAGE_TYPE: &str = "http://adlnet.gov/expapi/attachments/signature";

/// Metadata of one attachment (the content travels in a multipart body or at `fileUrl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// IRI saying what the attachment is for.
    #[serde(rename = "usageType")]
    pub usage_type: String,
    /// Display name.
    pub display: LanguageMap,
    /// Description.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<LanguageMap>,
    /// MIME type of the content.
    #[serde(rename = "contentType")]
    pub content_type: String,
    /// Length of the content in octets.
    pub length: u64,
    /// Hex SHA-2 hash of the content.
    pub sha2: String,
    /// IRL where the content can be fetched.
    #[serde(
        rename = "fileUrl",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub file_url: Option<String>,
}

impl Attachment {
    /// Whether this is a JWS signature attachment.
    pub fn is_signature(&self) -> bool {
        self.usage_type == SIGNATURE_USAGE_TYPE
    }
}

//! # cairn-xapi
//!
//! The pure core of Cairn: the xAPI (1.0.3 and 2.0.0) statement data model and
//! everything that can be decided from a statement alone, with no I/O:
//!
//! * typed parsing of statement bodies with full validation ([`parse_statements`],
//!   [`parse_statement`], [`parse_agent_param`]) — every failure is a
//!   [`ValidationError`] saying what is wrong and where;
//! * statement comparison for repeated ids and signatures ([`equivalent`]);
//! * the keys filtered queries match on ([`index_keys`]);
//! * the `exact` / `ids` / `canonical` response formats ([`format_statement`]);
//! * statements stored as received: the client's bytes, minified, with the LRS-set
//!   properties spliced in ([`ReceivedBatch`]);
//! * JWS signed-statement verification ([`verify_signature`]);
//! * version negotiation helpers ([`XapiVersion`]) and query-parameter checks
//!   ([`parse_uuid_param`], [`parse_iri_param`], [`parse_timestamp_param`], [`parse_accept_language`]).
//!
//! Storage, HTTP, multipart parsing and authentication live in other crates.

mod compare;
mod error;
mod format;
mod keys;
mod model;
mod params;
mod received;
mod signature;
mod validate;
mod version;

pub use compare::equivalent;
pub use error::ValidationError;
pub use format::{Format, format_statement};
pub use keys::{IndexKeys, index_keys};
pub use model::*;
pub use params::{parse_accept_language, parse_iri_param, parse_timestamp_param, parse_uuid_param};
pub use received::{ReceivedBatch, Stamp};
pub use signature::verify_signature;
pub use version::XapiVersion;

/// The usageType of signature attachments.
pub const SIGNATURE_USAGE_TYPE: &str = "http://adlnet.gov/expapi/attachments/signature";
/// The verb that voids statements.
pub const VOIDED_VERB_ID: &str = "http://adlnet.gov/expapi/verbs/voided";

use error::{Path, from_serde};

fn first_non_ws(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Typed parse. The fast path checks the body's UTF-8 once, in bulk, and parses it as text
/// with plain serde_json (parsing bytes would check each string again); only when it fails is
/// the body parsed again with path tracking, to say where the problem is.
fn typed<'de, T: serde::Deserialize<'de>>(
    body: &'de [u8],
    root: &str,
) -> Result<T, ValidationError> {
    if let Ok(text) = std::str::from_utf8(body)
        && let Ok(v) = serde_json::from_str(text)
    {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let v = serde_path_to_error::deserialize(&mut de).map_err(|e| from_serde(root, e))?;
    de.end()
        .map_err(|e| ValidationError::new(root, format!("malformed JSON: {e}")))?;
    Ok(v)
}

/// Parse and fully validate a POST/PUT statements body: one statement object or an
/// array of them. Rules depend on `version` (e.g. `contextAgents` is 2.0-only, 2.0
/// timestamps need a timezone). Ids repeated within one batch are rejected.
pub fn parse_statements(
    body: &[u8],
    version: XapiVersion,
) -> Result<Vec<Statement>, ValidationError> {
    let body = strip_bom(body);
    match first_non_ws(body) {
        Some(b'[') => {
            let list: Vec<Statement> = typed(body, "statement")?;
            let root = Path::root("statement");
            // Ids seen so far: a batch may hold hundreds of thousands of statements.
            let mut ids = std::collections::HashSet::with_capacity(list.len());
            for (i, st) in list.iter().enumerate() {
                validate::validate_statement(st, version, &root.index(i))?;
                if let Some(id) = st.id
                    && !ids.insert(id)
                {
                    return Err(root
                        .index(i)
                        .key("id")
                        .err(format!("id {id} is used more than once in the batch")));
                }
            }
            Ok(list)
        }
        Some(b'{') => parse_statement(body, version).map(|s| vec![s]),
        Some(_) => Err(ValidationError::new(
            "statement",
            "body must be a statement object or an array of statements",
        )),
        None => Err(ValidationError::new("statement", "body is empty")),
    }
}

/// Parse and fully validate exactly one statement object (e.g. a PUT body).
pub fn parse_statement(body: &[u8], version: XapiVersion) -> Result<Statement, ValidationError> {
    let body = strip_bom(body);
    if first_non_ws(body) != Some(b'{') {
        return Err(ValidationError::new(
            "statement",
            "must be a single statement object",
        ));
    }
    let st: Statement = typed(body, "statement")?;
    validate::validate_statement(&st, version, &Path::root("statement"))?;
    Ok(st)
}

/// Parse a statement without validating it (e.g. one read back from storage).
pub fn parse_stored_statement(json: &[u8]) -> Result<Statement, ValidationError> {
    typed(strip_bom(json), "statement")
}

/// Parse and validate the `agent` query parameter (JSON of an Agent or identified Group).
pub fn parse_agent_param(json: &str, version: XapiVersion) -> Result<Actor, ValidationError> {
    let _ = version; // the Agent/Group rules are the same in 1.0.3 and 2.0.0
    let actor: Actor = typed(json.as_bytes(), "agent")?;
    validate::validate_agent_param(&actor, &Path::root("agent"))?;
    Ok(actor)
}

//! Signed statements (xAPI Data 2.6): verification of the JWS carried in a signature attachment.

use crate::compare::equivalent;
use crate::error::ValidationError;
use crate::model::Statement;
use crate::parse_stored_statement;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

const PATH: &str = "signature";

fn err(message: impl Into<String>) -> ValidationError {
    ValidationError::new(PATH, message)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Option<Vec<String>>,
}

#[derive(Clone, Copy)]
enum Alg {
    Rs256,
    Rs384,
    Rs512,
}

fn b64url(part: &str, what: &str) -> Result<Vec<u8>, ValidationError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| err(format!("JWS {what} is not base64url: {e}")))
}

/// Verify a signed statement: `jws` is the compact JWS (the content of the attachment whose
/// usageType is `http://adlnet.gov/expapi/attachments/signature`).
///
/// * the algorithm must be RS256, RS384 or RS512;
/// * the payload must be a statement [`equivalent`] to `statement` (attachments, authority,
///   stored, version are ignored as the comparison rules say);
/// * when the header has an `x5c` chain, the signature must verify with the first
///   certificate's RSA public key. Without `x5c` there is no key to check against, so a
///   well-formed JWS with a matching payload is accepted.
pub fn verify_signature(statement: &Statement, jws: &[u8]) -> Result<(), ValidationError> {
    let text = std::str::from_utf8(jws)
        .map_err(|_| err("JWS is not ASCII text"))?
        .trim();
    let mut parts = text.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(err(
            "JWS must be in compact serialization (header.payload.signature)",
        ));
    };
    let header_bytes = b64url(h, "header")?;
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|e| err(format!("JWS header is not valid JSON: {e}")))?;
    let alg = match header.alg.as_str() {
        "RS256" => Alg::Rs256,
        "RS384" => Alg::Rs384,
        "RS512" => Alg::Rs512,
        other => {
            return Err(err(format!(
                "JWS algorithm must be RS256, RS384 or RS512, not `{other}`"
            )));
        }
    };
    let payload = b64url(p, "payload")?;
    let signed = parse_stored_statement(&payload)
        .map_err(|e| err(format!("JWS payload is not a valid statement: {e}")))?;
    let sig = b64url(s, "signature")?;
    if sig.is_empty() {
        return Err(err("JWS signature is empty"));
    }
    if let Some(chain) = header.x5c.as_deref() {
        let first = chain
            .first()
            .ok_or_else(|| err("JWS x5c header is empty"))?;
        let key = public_key_from_x5c(first)?;
        let signing_input = &text.as_bytes()[..h.len() + 1 + p.len()];
        verify_rsa(alg, key, signing_input, &sig)?;
    }
    if !equivalent(statement, &signed) {
        return Err(err("JWS payload does not match the statement it signs"));
    }
    Ok(())
}

fn public_key_from_x5c(b64: &str) -> Result<RsaPublicKey, ValidationError> {
    let der = STANDARD
        .decode(b64)
        .map_err(|e| err(format!("x5c certificate is not base64: {e}")))?;
    let cert = Certificate::from_der(&der)
        .map_err(|e| err(format!("x5c certificate is not valid DER: {e}")))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| err(format!("x5c certificate public key: {e}")))?;
    RsaPublicKey::from_public_key_der(&spki)
        .map_err(|e| err(format!("x5c certificate key is not RSA: {e}")))
}

fn verify_rsa(alg: Alg, key: RsaPublicKey, msg: &[u8], sig: &[u8]) -> Result<(), ValidationError> {
    let sig =
        Signature::try_from(sig).map_err(|e| err(format!("JWS signature is malformed: {e}")))?;
    let ok = match alg {
        Alg::Rs256 => VerifyingKey::<sha2::Sha256>::new(key)
            .verify(msg, &sig)
            .is_ok(),
        Alg::Rs384 => VerifyingKey::<sha2::Sha384>::new(key)
            .verify(msg, &sig)
            .is_ok(),
        Alg::Rs512 => VerifyingKey::<sha2::Sha512>::new(key)
            .verify(msg, &sig)
            .is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(err(
            "JWS signature does not verify with the x5c certificate's key",
        ))
    }
}

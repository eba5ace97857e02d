//! JWS signed-statement verification, signing the way the ADL suite does.

mod common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cairn_xapi::{XapiVersion, parse_statement, verify_signature};
use common::{base, bytes, with};
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/jws/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs1_pem(&fixture("suite_key.pem")).unwrap()
}

/// Compact JWS of `payload` with `header`, signed with the suite key.
fn sign(header: &Value, payload: &[u8]) -> String {
    let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
    let p = URL_SAFE_NO_PAD.encode(payload);
    let input = format!("{h}.{p}");
    let alg = header["alg"].as_str().unwrap();
    let sig = match alg {
        "RS256" => SigningKey::<sha2::Sha256>::new(key())
            .sign(input.as_bytes())
            .to_vec(),
        "RS384" => SigningKey::<sha2::Sha384>::new(key())
            .sign(input.as_bytes())
            .to_vec(),
        "RS512" => SigningKey::<sha2::Sha512>::new(key())
            .sign(input.as_bytes())
            .to_vec(),
        _ => b"not-really-a-signature".to_vec(),
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn statement_value() -> Value {
    with(|s| s["id"] = json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0"))
}

/// The statement as posted: the signed payload plus the signature attachment.
fn posted(v: &Value, jws: &str) -> cairn_xapi::Statement {
    let mut v = v.clone();
    let sha = {
        use sha2::Digest;
        hex(&sha2::Sha256::digest(jws.as_bytes()))
    };
    v["attachments"] = json!([{"usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "Signed by the Test Suite"}, "contentType": "application/octet-stream",
        "length": jws.len(), "sha2": sha}]);
    parse_statement(&bytes(&v), XapiVersion::V1_0_3).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn accepts_rs256_rs384_rs512_like_the_suite() {
    let v = statement_value();
    for alg in ["RS256", "RS384", "RS512"] {
        let jws = sign(&json!({"alg": alg}), &bytes(&v));
        verify_signature(&posted(&v, &jws), jws.as_bytes())
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
}

#[test]
fn rejects_other_algorithms() {
    let v = statement_value();
    let jws = sign(&json!({"alg": "HS256"}), &bytes(&v));
    let e = verify_signature(&posted(&v, &jws), jws.as_bytes()).unwrap_err();
    assert!(e.message.contains("RS256"), "{e}");
    let jws = sign(&json!({"alg": "none"}), &bytes(&v));
    assert!(verify_signature(&posted(&v, &jws), jws.as_bytes()).is_err());
}

#[test]
fn rejects_broken_json_payload() {
    // the suite's breakJson: first '"' replaced with '\''
    let v = statement_value();
    let broken = serde_json::to_string(&v).unwrap().replacen('"', "'", 1);
    let jws = sign(&json!({"alg": "RS256"}), broken.as_bytes());
    let e = verify_signature(&posted(&v, &jws), jws.as_bytes()).unwrap_err();
    assert!(e.message.contains("payload"), "{e}");
}

#[test]
fn rejects_payload_that_differs_from_the_statement() {
    let v = statement_value();
    let other = with(|s| {
        s["id"] = json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0");
        s["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
    });
    let jws = sign(&json!({"alg": "RS256"}), &bytes(&other));
    let e = verify_signature(&posted(&v, &jws), jws.as_bytes()).unwrap_err();
    assert!(e.message.contains("does not match"), "{e}");
}

#[test]
fn durations_compare_to_hundredths() {
    // 2.0 4.2.7: the signature carries 0.12S, the statement 0.1237S
    let short = with(|s| s["result"] = json!({"duration": "P1DT12H36M0.12S"}));
    let full = with(|s| s["result"] = json!({"duration": "P1DT12H36M0.1237S"}));
    let jws = sign(&json!({"alg": "RS256"}), &bytes(&short));
    verify_signature(&posted(&full, &jws), jws.as_bytes()).unwrap();
}

#[test]
fn x5c_certificate_key_is_checked() {
    let v = statement_value();
    let good = fixture("suite_cert.b64");
    let jws = sign(&json!({"alg": "RS256", "x5c": [good.trim()]}), &bytes(&v));
    verify_signature(&posted(&v, &jws), jws.as_bytes()).unwrap();

    let other = fixture("other_cert.b64");
    let jws = sign(&json!({"alg": "RS512", "x5c": [other.trim()]}), &bytes(&v));
    let e = verify_signature(&posted(&v, &jws), jws.as_bytes()).unwrap_err();
    assert!(e.message.contains("does not verify"), "{e}");

    // tampered signature with the right certificate
    let jws = sign(&json!({"alg": "RS256", "x5c": [good.trim()]}), &bytes(&v));
    let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
    let mut sig = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
    sig[10] ^= 1;
    parts[2] = URL_SAFE_NO_PAD.encode(sig);
    let tampered = parts.join(".");
    assert!(verify_signature(&posted(&v, &tampered), tampered.as_bytes()).is_err());

    let jws = sign(
        &json!({"alg": "RS256", "x5c": [STANDARD.encode(b"garbage")]}),
        &bytes(&v),
    );
    assert!(verify_signature(&posted(&v, &jws), jws.as_bytes()).is_err());
}

#[test]
fn rejects_malformed_jws() {
    let s = parse_statement(&bytes(&base()), XapiVersion::V1_0_3).unwrap();
    for jws in [
        &b""[..],
        b"abc",
        b"a.b",
        b"a.b.c.d",
        b"!!.??.**",
        b"\xff\xfe",
        b"e30.e30.AA",
    ] {
        assert!(
            verify_signature(&s, jws).is_err(),
            "{}",
            String::from_utf8_lossy(jws)
        );
    }
}

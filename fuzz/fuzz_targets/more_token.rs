//! `more` tokens: any text is refused unless signed, and any signed body (as a client holding
//! the key could forge) decodes to a cursor or is refused, never a panic; a cursor that decodes
//! encodes back to a token that decodes to the same cursor.
#![no_main]
use base64::Engine;
use cairn_core::query::{Cursor, CursorKey};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

fuzz_target!(|data: &[u8]| {
    let key = CursorKey::from_bytes([7; 32]);
    let _ = Cursor::decode(&String::from_utf8_lossy(data), &key);
    // The same bytes signed with the key, behind the format byte.
    let mut body = vec![1u8];
    body.extend_from_slice(data);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes()).unwrap();
    mac.update(&body);
    body.extend_from_slice(&mac.finalize().into_bytes());
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body);
    if let Some(cursor) = Cursor::decode(&token, &key) {
        let again = Cursor::decode(&cursor.encode(&key), &key);
        assert_eq!(again.as_ref(), Some(&cursor));
    }
});

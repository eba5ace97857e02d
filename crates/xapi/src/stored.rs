//! The body the LRS stores for a statement: the JSON object the client sent, compacted, with
//! the LRS's own properties spliced in, so a statement is not serialized a second time.
//!
//! The client's members are kept in their order and as sent (strings with their escapes,
//! numbers as written, extension values as they are), minus whitespace. `id`, `stored` and
//! `authority` are the LRS's: the client's are dropped and `id` (lowercase, hyphenated) opens
//! the object, `authority` follows the client's members, then `version` and `timestamp` when
//! the LRS fills them in. Duplicate member names cannot reach this point where the typed model
//! has fields (the parser refuses them); inside extension values, which the xAPI leaves free,
//! they are kept as sent, and a reader takes the last.
use crate::Actor;
use uuid::Uuid;

/// What the LRS splices into a client's statement.
pub struct Splice<'a> {
    pub id: Uuid,
    pub authority: &'a Actor,
    /// `Some` when the client sent no `version`.
    pub version: Option<&'a str>,
    /// `Some` when the client sent no `timestamp`.
    pub timestamp: Option<&'a str>,
}

/// The stored body of the statement the client sent as `raw` (one JSON object, already
/// parsed and validated). `None` when `raw` is not a JSON object (never expected: the caller
/// then serializes the typed statement instead).
pub fn stored_body(raw: &[u8], splice: &Splice<'_>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len() + 160);
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(
        splice
            .id
            .hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    out.push(b'"');
    let mut i = skip_ws(raw, 0);
    if raw.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(raw, i + 1);
    if raw.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let key_start = i;
            i = string_end(raw, i)?;
            let key = &raw[key_start..i];
            i = skip_ws(raw, i);
            if raw.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(raw, i + 1);
            let lrs_owned = is_lrs_member(key);
            if !lrs_owned {
                out.push(b',');
                out.extend_from_slice(key);
                out.push(b':');
            }
            i = value(raw, i, (!lrs_owned).then_some(&mut out))?;
            i = skip_ws(raw, i);
            match raw.get(i) {
                Some(b',') => i = skip_ws(raw, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    if skip_ws(raw, i) != raw.len() {
        return None;
    }
    out.extend_from_slice(b",\"authority\":");
    serde_json::to_writer(&mut out, splice.authority).ok()?;
    for (name, v) in [("version", splice.version), ("timestamp", splice.timestamp)] {
        if let Some(v) = v {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            serde_json::to_writer(&mut out, v).ok()?;
        }
    }
    out.push(b'}');
    Some(out)
}

/// `id`, `stored` and `authority` (a member name written with escapes included).
fn is_lrs_member(quoted: &[u8]) -> bool {
    let name: std::borrow::Cow<'_, str> = if quoted.contains(&b'\\') {
        match serde_json::from_slice::<String>(quoted) {
            Ok(s) => s.into(),
            Err(_) => return false,
        }
    } else {
        String::from_utf8_lossy(&quoted[1..quoted.len() - 1])
    };
    matches!(&*name, "id" | "stored" | "authority")
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(raw: &[u8], mut i: usize) -> usize {
    while raw.get(i).copied().is_some_and(is_ws) {
        i += 1;
    }
    i
}

/// The index just past the string starting at `i` (its opening quote).
fn string_end(raw: &[u8], i: usize) -> Option<usize> {
    if raw.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match raw.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The index just past the value starting at `i`; the value, without its whitespace, is
/// appended to `out` when given.
fn value(raw: &[u8], i: usize, mut out: Option<&mut Vec<u8>>) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    loop {
        let b = *raw.get(j)?;
        let from = j;
        match b {
            b'"' => j = string_end(raw, j)?,
            b'{' | b'[' => {
                depth += 1;
                j += 1;
            }
            b'}' | b']' => {
                if depth == 0 {
                    return Some(j);
                }
                depth -= 1;
                j += 1;
            }
            b',' if depth == 0 => return Some(j),
            _ if is_ws(b) => {
                j = skip_ws(raw, j);
                if depth == 0 {
                    return Some(j);
                }
                continue;
            }
            _ => j += 1,
        }
        if let Some(out) = out.as_deref_mut() {
            out.extend_from_slice(&raw[from..j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority() -> Actor {
        serde_json::from_str(r#"{"mbox":"mailto:lrs@example.com"}"#).unwrap()
    }

    fn splice(raw: &str, version: Option<&str>, timestamp: Option<&str>) -> String {
        let a = authority();
        let s = Splice {
            id: Uuid::from_u128(0xABCD),
            authority: &a,
            version,
            timestamp,
        };
        String::from_utf8(stored_body(raw.as_bytes(), &s).unwrap()).unwrap()
    }

    #[test]
    fn keeps_the_clients_members_compacted_and_splices_the_lrs_fields() {
        let raw = "{ \"ID\" : 1,\n\t\"actor\": {\"mbox\" : \"mailto:a@b.c\", \"name\": \"A \\\" b\"},\r\n \
                   \"id\": \"6690E6C9-3EF0-4ED3-8B37-7F3964730BEE\", \"stored\": \"2020-01-01T00:00:00Z\",\
                   \"\\u0061uthority\": {\"mbox\": \"mailto:x@y.z\"}, \
                   \"result\": {\"score\": {\"raw\": 1E2, \"scaled\" : 0.950}, \"response\": \"a , b } ]\"},\
                   \"x\": [ 1 , [ ] , { } , true, null ] }";
        assert_eq!(
            splice(raw, Some("2.0.0"), Some("2026-12-07T00:00:00Z")),
            "{\"id\":\"00000000-0000-0000-0000-00000000abcd\",\"ID\":1,\
             \"actor\":{\"mbox\":\"mailto:a@b.c\",\"name\":\"A \\\" b\"},\
             \"result\":{\"score\":{\"raw\":1E2,\"scaled\":0.950},\"response\":\"a , b } ]\"},\
             \"x\":[1,[],{},true,null],\
             \"authority\":{\"mbox\":\"mailto:lrs@example.com\"},\
             \"version\":\"2.0.0\",\"timestamp\":\"2026-12-07T00:00:00Z\"}"
        );
    }

    #[test]
    fn an_empty_object_and_what_is_not_one() {
        assert_eq!(
            splice(" {  } ", None, None),
            "{\"id\":\"00000000-0000-0000-0000-00000000abcd\",\
             \"authority\":{\"mbox\":\"mailto:lrs@example.com\"}}"
        );
        let a = authority();
        let s = Splice {
            id: Uuid::nil(),
            authority: &a,
            version: None,
            timestamp: None,
        };
        for bad in [
            "",
            "[]",
            "{\"a\":1} x",
            "{\"a\" 1}",
            "{\"a\":\"",
            "{\"a\":[1",
            "{\"a\":1,",
        ] {
            assert_eq!(stored_body(bad.as_bytes(), &s), None, "{bad}");
        }
    }
}

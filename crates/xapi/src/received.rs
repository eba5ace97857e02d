//! Statements stored as the client sent them: each statement's bytes in the request body,
//! minified, with the properties the LRS sets spliced in (`id`, `authority`, `version`,
//! `timestamp`) and `stored` removed. This spares serializing the typed statement again.
//!
//! The body must already have been accepted by [`crate::parse_statements`] (or
//! [`crate::parse_statement`]): the splice follows its structure without validating it again.
//! Where the typed model would write something other than what was received (a UUID in upper
//! case, a single context activity not in an array, `-0`), [`ReceivedBatch::splice_next`] says
//! so, and the caller serializes the typed statement instead. Everything else the typed model
//! changes is only spelling (whitespace, string escapes, `1e2` for `100.0`, property order):
//! both bodies parse to the same JSON value.

use uuid::Uuid;

/// What the LRS sets in a statement it stores.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// The statement id (replaces the client's spelling of it, when it sent one).
    pub id: Uuid,
    /// The authority, as compact JSON (always replaces the client's).
    pub authority: &'a [u8],
    /// The `version` when the client sent none.
    pub version: &'a str,
    /// The `timestamp` when the client sent none.
    pub timestamp: &'a str,
}

/// Where the statements of a received body are, in order, for [`Self::splice_next`].
pub struct ReceivedBatch<'a> {
    body: &'a [u8],
    pos: usize,
    /// False once the body cannot be followed (then every later statement is serialized).
    ok: bool,
    stack: Vec<Frame>,
}

/// What a key means to the splice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Other,
    /// `id` or `registration`: a UUID in the typed model (written in lower case).
    Uuid,
    /// `contextActivities`: its lists are arrays in the typed model.
    ContextActivities,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    object: bool,
    /// The key of the member being read (objects only).
    key: Key,
    /// The next string is a key (objects only).
    expect_key: bool,
    /// This object is the value of a `contextActivities` member.
    context_activities: bool,
}

/// One statement object, spliced: how far it went and whether the result can be stored.
struct Spliced {
    end: usize,
    same: bool,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|b| is_ws(*b)) {
        i += 1;
    }
    i
}

/// The index just past the string starting with the quote at `i`, and whether it holds an
/// escape. Eight bytes at a time: a statement is mostly strings.
fn string_end(s: &[u8], i: usize) -> Option<(usize, bool)> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    // Bytes of `w` equal to zero get their high bit set (the lowest one is exact).
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        while let Some(chunk) = s.get(j..j + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let hits = zero(w ^ QUOTES) | zero(w ^ BACKSLASHES);
            if hits != 0 {
                j += (hits.trailing_zeros() / 8) as usize;
                break;
            }
            j += 8;
        }
        match *s.get(j)? {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
}

/// The text of the string literal `lit` (quotes included): borrowed when it has no escape.
fn text(lit: &[u8], escaped: bool) -> Option<std::borrow::Cow<'_, [u8]>> {
    if escaped {
        let s: String = serde_json::from_slice(lit).ok()?;
        Some(std::borrow::Cow::Owned(s.into_bytes()))
    } else {
        Some(std::borrow::Cow::Borrowed(&lit[1..lit.len() - 1]))
    }
}

/// A UUID the typed model would write differently (it writes lower case).
fn upper_case_uuid(t: &[u8]) -> bool {
    t.len() == 36 && t.iter().any(|b| b.is_ascii_uppercase())
}

/// Writes `s` as a JSON string.
fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing a string to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

impl<'a> ReceivedBatch<'a> {
    /// The statements of `body`: one statement object, or an array of them (a UTF-8 byte
    /// order mark and whitespace around them are allowed, as in parsing).
    pub fn new(body: &'a [u8]) -> Self {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let start = skip_ws(body, 0);
        let (pos, ok) = match body.get(start) {
            Some(b'[') => (start + 1, true),
            Some(b'{') => (start, true),
            _ => (start, false),
        };
        ReceivedBatch {
            body,
            pos,
            ok,
            stack: Vec::with_capacity(16),
        }
    }

    /// Writes the next statement, minified and with `stamp` spliced in, to `out` (emptied
    /// first). False when it must be serialized from the typed model instead: the typed model
    /// would write it differently, or the body cannot be followed (then for every later
    /// statement too).
    pub fn splice_next(&mut self, stamp: &Stamp, out: &mut Vec<u8>) -> bool {
        out.clear();
        if !self.ok {
            return false;
        }
        let s = self.body;
        let mut i = skip_ws(s, self.pos);
        if s.get(i) == Some(&b',') {
            i = skip_ws(s, i + 1);
        }
        match self.statement(i, stamp, out) {
            Some(r) => {
                self.pos = r.end;
                r.same
            }
            None => {
                self.ok = false;
                false
            }
        }
    }

    /// The statement object at `i`.
    fn statement(&mut self, mut i: usize, stamp: &Stamp, out: &mut Vec<u8>) -> Option<Spliced> {
        let s = self.body;
        if s.get(i) != Some(&b'{') {
            return None;
        }
        out.extend_from_slice(b"{\"id\":\"");
        out.extend_from_slice(
            stamp
                .id
                .hyphenated()
                .encode_lower(&mut Uuid::encode_buffer())
                .as_bytes(),
        );
        out.push(b'"');
        let (mut version, mut timestamp, mut same) = (false, false, true);
        i += 1;
        loop {
            i = skip_ws(s, i);
            match *s.get(i)? {
                b',' => {
                    i += 1;
                    continue;
                }
                b'}' => {
                    i += 1;
                    break;
                }
                b'"' => {}
                _ => return None,
            }
            let (key_end, escaped) = string_end(s, i)?;
            let lit = &s[i..key_end];
            let name = text(lit, escaped)?;
            let colon = skip_ws(s, key_end);
            if s.get(colon) != Some(&b':') {
                return None;
            }
            let at = skip_ws(s, colon + 1);
            match &*name {
                b"id" | b"authority" | b"stored" => {
                    i = self.value(at, Key::Other, None)?.end;
                    continue;
                }
                b"version" => version = true,
                b"timestamp" => timestamp = true,
                _ => {}
            }
            out.push(b',');
            out.extend_from_slice(lit);
            out.push(b':');
            let v = self.value(at, key_of(&name), Some(out))?;
            same &= v.same;
            i = v.end;
        }
        out.extend_from_slice(b",\"authority\":");
        out.extend_from_slice(stamp.authority);
        if !version {
            out.extend_from_slice(b",\"version\":");
            write_str(out, stamp.version);
        }
        if !timestamp {
            out.extend_from_slice(b",\"timestamp\":");
            write_str(out, stamp.timestamp);
        }
        out.push(b'}');
        Some(Spliced { end: i, same })
    }

    /// The value at `i` (the value of a member named `key`), minified into `out` when there is
    /// one.
    fn value(&mut self, mut i: usize, key: Key, mut out: Option<&mut Vec<u8>>) -> Option<Spliced> {
        let s = self.body;
        let stack = &mut self.stack;
        stack.clear();
        let mut same = true;
        // Bytes from `run` to `i` are yet to be copied.
        let mut run = i;
        // The key of the value starting next, and whether it is a member of a
        // contextActivities object.
        let (mut vkey, mut in_lists) = (key, false);
        loop {
            let b = *s.get(i)?;
            match b {
                b'"' => {
                    let (end, escaped) = string_end(s, i)?;
                    match stack.last_mut() {
                        Some(f) if f.expect_key => {
                            f.expect_key = false;
                            f.key = key_of(&text(&s[i..end], escaped)?);
                        }
                        _ => {
                            if vkey == Key::Uuid && upper_case_uuid(&text(&s[i..end], escaped)?) {
                                same = false;
                            }
                        }
                    }
                    i = end;
                }
                b':' => {
                    let f = stack.last()?;
                    (vkey, in_lists) = (f.key, f.context_activities);
                    i += 1;
                    continue;
                }
                b',' => {
                    match stack.last_mut() {
                        Some(f) if f.object => f.expect_key = true,
                        _ => (vkey, in_lists) = (Key::Other, false),
                    }
                    i += 1;
                    continue;
                }
                b'{' | b'[' => {
                    let object = b == b'{';
                    // A single activity where the typed model keeps a list.
                    if object && in_lists {
                        same = false;
                    }
                    stack.push(Frame {
                        object,
                        key: Key::Other,
                        expect_key: object,
                        context_activities: vkey == Key::ContextActivities,
                    });
                    (vkey, in_lists) = (Key::Other, false);
                    i += 1;
                    continue;
                }
                b'}' | b']' => {
                    stack.pop()?;
                    i += 1;
                }
                b' ' | b'\t' | b'\n' | b'\r' => {
                    if let Some(o) = &mut out {
                        o.extend_from_slice(&s[run..i]);
                    }
                    i = skip_ws(s, i);
                    run = i;
                    continue;
                }
                _ => {
                    let len = s[i..]
                        .iter()
                        .position(|&c| matches!(c, b',' | b'}' | b']') || is_ws(c))
                        .unwrap_or(s.len() - i);
                    // `-0` is an integer to JSON but the typed model may write it as `0`.
                    if &s[i..i + len] == b"-0" {
                        same = false;
                    }
                    i += len;
                }
            }
            if stack.is_empty() {
                if let Some(o) = &mut out {
                    o.extend_from_slice(&s[run..i]);
                }
                return Some(Spliced { end: i, same });
            }
        }
    }
}

fn key_of(name: &[u8]) -> Key {
    match name {
        b"id" | b"registration" => Key::Uuid,
        b"contextActivities" => Key::ContextActivities,
        _ => Key::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHORITY: &[u8] = br#"{"mbox":"mailto:lrs@example.com"}"#;

    fn stamp(n: u128) -> Stamp<'static> {
        Stamp {
            id: Uuid::from_u128(n),
            authority: AUTHORITY,
            version: "2.0.0",
            timestamp: "2026-12-07T00:00:00Z",
        }
    }

    fn next(batch: &mut ReceivedBatch, n: u128) -> (bool, String) {
        let mut out = vec![b'x'];
        let same = batch.splice_next(&stamp(n), &mut out);
        (same, String::from_utf8(out).unwrap())
    }

    #[test]
    fn splices_the_lrs_properties_into_the_minified_statement() {
        let body = "\u{feff} [ {\n \"id\" : \"00000000-0000-0000-0000-00000000000A\",\n \"actor\": { \"mbox\" : \"mailto:a@b.c\" },\r\n\t\"stored\": \"2020-01-01T00:00:00Z\", \"verb\":{\"id\":\"http://v/ x\"},\n \"authority\": {\"mbox\": \"mailto:me@b.c\"}, \"object\": {\"id\": \"http://a/\\\" }\"},\"version\": \"1.0.3\" } ,\n{\"timestamp\":\"2020-01-01T00:00:00Z\",\"actor\":{\"mbox\":\"mailto:a@b.c\"},\"verb\":{\"id\":\"http://v/x\"},\"object\":{\"id\":\"http://a/1\"}} ]";
        let mut batch = ReceivedBatch::new(body.as_bytes());
        assert_eq!(
            next(&mut batch, 10),
            (
                true,
                r#"{"id":"00000000-0000-0000-0000-00000000000a","actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://v/ x"},"object":{"id":"http://a/\" }"},"version":"1.0.3","authority":{"mbox":"mailto:lrs@example.com"},"timestamp":"2026-12-07T00:00:00Z"}"#
                    .into()
            )
        );
        assert_eq!(
            next(&mut batch, 11),
            (
                true,
                r#"{"id":"00000000-0000-0000-0000-00000000000b","timestamp":"2020-01-01T00:00:00Z","actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://v/x"},"object":{"id":"http://a/1"},"authority":{"mbox":"mailto:lrs@example.com"},"version":"2.0.0"}"#
                    .into()
            )
        );
    }

    #[test]
    fn a_single_statement_object_is_a_batch_of_one() {
        let mut batch = ReceivedBatch::new(
            br#"{"actor":{"mbox":"mailto:a@b.c"},"result":{"score":{"raw":-0.5,"min":-1}}}"#,
        );
        let (same, out) = next(&mut batch, 1);
        assert!(same);
        assert!(
            out.contains(r#""result":{"score":{"raw":-0.5,"min":-1}}"#),
            "{out}"
        );
    }

    #[test]
    fn a_body_that_cannot_be_followed_is_serialized_not_spliced() {
        for body in [
            &b""[..],
            b"  ",
            b"\"x\"",
            b"[1]",
            b"{\"a\":",
            b"[{\"a\":[}]",
            b"{\"a\" 1}",
        ] {
            let mut batch = ReceivedBatch::new(body);
            for n in 0..2 {
                let mut out = Vec::new();
                assert!(!batch.splice_next(&stamp(n), &mut out), "{body:?}");
                assert!(out.is_empty() || !batch.ok, "{body:?}");
            }
        }
    }

    #[test]
    fn minified_output_keeps_string_contents() {
        let mut out = Vec::new();
        let mut batch =
            ReceivedBatch::new(b"{\"a\" : [ \"x \\\\\" , \" \\\" ] \" ], \"b\" : { } }");
        assert!(batch.splice_next(&stamp(1), &mut out));
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(r#""a":["x \\"," \" ] "],"b":{}"#), "{out}");
    }
}

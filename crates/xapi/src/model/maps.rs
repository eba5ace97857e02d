//! Order-preserving language maps and extension maps.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;

/// Most entries accepted in one language map or extensions object.
pub const MAX_MAP_KEYS: usize = 1_000;
/// Deepest nesting (arrays and objects) accepted in one extension value. Deeper values could
/// not be read back by the projection, so they are refused rather than stored.
pub const MAX_EXTENSION_DEPTH: usize = 64;

/// Nesting depth of a JSON text (its arrays and objects), and whether it has whitespace
/// outside its strings, in one pass over its bytes.
fn shape(json: &str) -> (usize, bool) {
    let (mut depth, mut max, mut in_str, mut escaped, mut ws) =
        (0usize, 0usize, false, false, false);
    for b in json.bytes() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b' ' | b'\t' | b'\n' | b'\r' => ws = true,
            _ => {}
        }
    }
    (max, ws)
}

/// `json` without its whitespace outside strings (a stored statement is one compact line).
fn minify(json: &str) -> String {
    let (mut out, mut in_str, mut escaped) = (String::with_capacity(json.len()), false, false);
    for c in json.chars() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        } else if c == '"' {
            in_str = true;
        }
        out.push(c);
    }
    out
}

/// Up to this many entries, a repeated key is found by comparing with the earlier ones (no
/// hashing, no copies of the keys); past it, by a hash set built once.
const SCAN_UP_TO: usize = 16;

/// Whether `key` is among the keys of `earlier` (`seen` holds them once there are many).
fn is_repeated<V>(earlier: &[(String, V)], seen: &mut HashSet<String>, key: &str) -> bool {
    if earlier.len() < SCAN_UP_TO {
        return earlier.iter().any(|(k, _)| k == key);
    }
    if seen.is_empty() {
        seen.extend(earlier.iter().map(|(k, _)| k.clone()));
    }
    !seen.insert(key.to_owned())
}

fn too_many<E: serde::de::Error>(what: &str) -> E {
    E::custom(format!(
        "more than {MAX_MAP_KEYS} entries in one {what} (the limit)"
    ))
}

/// An xAPI language map: RFC 5646 language tag => text. Order is kept as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LanguageMap(pub Vec<(String, String)>);

impl LanguageMap {
    /// The text for a language tag (compared case-insensitively, as tags are).
    pub fn get(&self, tag: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(tag))
            .map(|(_, v)| v.as_str())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterate over (tag, text).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Insert (or replace) an entry.
    pub fn insert(&mut self, tag: impl Into<String>, text: impl Into<String>) {
        let tag = tag.into();
        let text = text.into();
        match self.0.iter_mut().find(|(k, _)| *k == tag) {
            Some(slot) => slot.1 = text,
            None => self.0.push((tag, text)),
        }
    }
}

impl Serialize for LanguageMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for LanguageMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LanguageMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a language map (object of language tag => string)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LanguageMap, A::Error> {
                let mut out: Vec<(String, String)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(1).min(MAX_MAP_KEYS));
                let mut seen = HashSet::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<String>()?;
                    if out.len() == MAX_MAP_KEYS {
                        return Err(too_many("language map"));
                    }
                    if is_repeated(&out, &mut seen, &k) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate language tag `{k}`"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(LanguageMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// xAPI extensions: IRI => any JSON value (including `null`). Values are kept raw.
#[derive(Debug, Clone, Default)]
pub struct Extensions(pub Vec<(String, Box<RawValue>)>);

impl Extensions {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no extensions.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The raw JSON of one extension.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| &**v)
    }
}

/// Hashes what the JSON says: each key and its value's (minified) text, in order.
impl std::hash::Hash for Extensions {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_usize(self.0.len());
        for (k, v) in &self.0 {
            k.hash(h);
            v.get().hash(h);
        }
    }
}

impl Serialize for Extensions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Extensions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Extensions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an extensions object (IRI => any JSON value)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Extensions, A::Error> {
                let mut out: Vec<(String, Box<RawValue>)> = Vec::new();
                let mut seen = HashSet::new();
                while let Some(k) = map.next_key::<String>()? {
                    let mut v = map.next_value::<Box<RawValue>>()?;
                    if out.len() == MAX_MAP_KEYS {
                        return Err(too_many("extensions object"));
                    }
                    let (depth, ws) = shape(v.get());
                    if ws {
                        // Kept compact, as the rest of a stored statement.
                        v = RawValue::from_string(minify(v.get()))
                            .map_err(serde::de::Error::custom)?;
                    }
                    if depth > MAX_EXTENSION_DEPTH {
                        return Err(serde::de::Error::custom(format!(
                            "extension `{k}` is nested deeper than {MAX_EXTENSION_DEPTH} levels (the limit)"
                        )));
                    }
                    if is_repeated(&out, &mut seen, &k) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate extension `{k}`"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(Extensions(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_keys_are_checked_in_linear_time_and_bounded() {
        // Duplicate checking compared every key with every earlier one: 100k extension keys
        // cost 13.8 s. Up to the limit it is now a hash-set lookup; beyond it, a refusal.
        let body = |n: usize| {
            let entries: Vec<String> = (0..n).map(|i| format!("\"http://x/{i}\": {i}")).collect();
            format!("{{{}}}", entries.join(","))
        };
        let e: Extensions = serde_json::from_str(&body(MAX_MAP_KEYS)).unwrap();
        assert_eq!(e.len(), MAX_MAP_KEYS);
        let started = std::time::Instant::now();
        let err = serde_json::from_str::<Extensions>(&body(100_000)).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(err.to_string().contains("more than 1000 entries"), "{err}");
        let langs: Vec<String> = (0..=MAX_MAP_KEYS)
            .map(|i| format!("\"x-{i}\": \"t\""))
            .collect();
        let err =
            serde_json::from_str::<LanguageMap>(&format!("{{{}}}", langs.join(","))).unwrap_err();
        assert!(err.to_string().contains("language map"), "{err}");
        let err = serde_json::from_str::<Extensions>(r#"{"http://x/a": 1, "http://x/a": 2}"#)
            .unwrap_err();
        assert!(err.to_string().contains("duplicate extension"), "{err}");
        // A repeat is found among few entries (compared) and among many (hashed).
        for n in [
            2,
            SCAN_UP_TO - 1,
            SCAN_UP_TO,
            SCAN_UP_TO + 1,
            3 * SCAN_UP_TO,
        ] {
            for repeated in [0, n / 2, n - 1] {
                let mut entries: Vec<String> =
                    (0..n).map(|i| format!("\"http://x/{i}\": {i}")).collect();
                entries.push(format!("\"http://x/{repeated}\": 0"));
                let body = format!("{{{}}}", entries.join(","));
                let err = serde_json::from_str::<Extensions>(&body).unwrap_err();
                assert!(err.to_string().contains("duplicate extension"), "{n} {err}");
                let tags: Vec<String> = (0..n).map(|i| format!("\"x-{i}\": \"t\"")).collect();
                let body = format!("{{{},\"x-{repeated}\": \"u\"}}", tags.join(","));
                let err = serde_json::from_str::<LanguageMap>(&body).unwrap_err();
                assert!(
                    err.to_string().contains("duplicate language tag"),
                    "{n} {err}"
                );
            }
            let tags: Vec<String> = (0..=n).map(|i| format!("\"x-{i}\": \"t\"")).collect();
            let map = serde_json::from_str::<LanguageMap>(&format!("{{{}}}", tags.join(",")));
            assert_eq!(map.unwrap().len(), n + 1);
        }
    }

    #[test]
    fn extension_values_are_kept_compact() {
        let e: Extensions = serde_json::from_str(
            "{\"http://x/a\": {\n  \"k\" : [ 1,\t2 ],\r\n  \"s\": \" a \\\" b \"\n}, \"http://x/b\": \" \"}",
        )
        .unwrap();
        assert_eq!(
            e.get("http://x/a").unwrap().get(),
            r#"{"k":[1,2],"s":" a \" b "}"#
        );
        assert_eq!(e.get("http://x/b").unwrap().get(), r#"" ""#);
    }

    #[test]
    fn deeply_nested_extension_values_are_refused_not_projected_as_null() {
        let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let ok = format!(r#"{{"http://x/a": {}}}"#, nested(MAX_EXTENSION_DEPTH));
        serde_json::from_str::<Extensions>(&ok).unwrap();
        let deep = format!(r#"{{"http://x/a": {}}}"#, nested(MAX_EXTENSION_DEPTH + 1));
        let err = serde_json::from_str::<Extensions>(&deep).unwrap_err();
        assert!(err.to_string().contains("deeper than 64 levels"), "{err}");
        // Brackets inside strings are text, not nesting.
        let text = format!(r#"{{"http://x/a": {{"s": "{}\\\"]"}}}}"#, "[".repeat(200));
        serde_json::from_str::<Extensions>(&text).unwrap();
    }
}

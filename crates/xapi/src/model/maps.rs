//! Order-preserving language maps and extension maps.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;

/// An xAPI language map: RFC 5646 language tag => text. Order is kept as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
                    Vec::with_capacity(map.size_hint().unwrap_or(1));
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<String>()?;
                    if out.iter().any(|(e, _)| *e == k) {
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
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<Box<RawValue>>()?;
                    if out.iter().any(|(e, _)| *e == k) {
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

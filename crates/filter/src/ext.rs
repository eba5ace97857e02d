//! Extension paths (`result.extensions.<IRI>`, `context.extensions.<IRI>`,
//! `object.definition.extensions.<IRI>`) and the text and number an extension value has in the
//! projection.
//!
//! The projection stores every extension of a statement in two parallel columns: `ext_keys`
//! (the full path) and `ext_values` (the value as text). The text of a JSON string is its
//! content; the text of any other JSON value is serde_json's compact output of the parsed value
//! ([`value_text`]: numbers as serde_json prints them, object keys sorted), so `1.50`, `1.5` and
//! `15e-1` are all `1.5`. A filter's `eq` / `in` values go through the same function.
//!
//! A value is numeric when its text is a JSON number ([`NUMBER_PATTERN`]); its number is the
//! text parsed as `f64`. ClickHouse computes it as `toFloat64OrNull(extract(text, pattern))`:
//! the pattern keeps both engines (and 18.16 and current ClickHouse) to the same texts, since
//! `toFloat64OrNull` alone also reads `inf`, `.5` or `00012`.
use serde_json::Value as Json;
use std::sync::LazyLock;

/// Where extensions live in a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    Result,
    Context,
    /// The object activity's `definition.extensions`.
    Activity,
}

impl Container {
    pub const ALL: [Container; 3] = [Container::Result, Container::Context, Container::Activity];

    /// The container's path, e.g. `result.extensions`.
    pub const fn path(self) -> &'static str {
        match self {
            Container::Result => "result.extensions",
            Container::Context => "context.extensions",
            Container::Activity => "object.definition.extensions",
        }
    }

    /// The container whose path is `path`.
    pub fn from_path(path: &str) -> Option<Container> {
        Container::ALL.into_iter().find(|c| c.path() == path)
    }
}

/// One extension path: a container and an absolute IRI. Its [`key`](Extension::key) is what
/// `ext_keys` holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    container: Container,
    key: String,
}

impl Extension {
    /// The extension `iri` of `container`; `Err` names what is wrong when `iri` is not an
    /// absolute IRI.
    pub fn new(container: Container, iri: &str) -> Result<Extension, String> {
        oxiri::Iri::parse(iri).map_err(|e| format!("{iri:?} is not an absolute IRI: {e}"))?;
        Ok(Extension {
            container,
            key: format!("{}.{iri}", container.path()),
        })
    }

    /// `None` when `path` names no extension container; else the extension or why its IRI is
    /// wrong.
    pub fn parse(path: &str) -> Option<Result<Extension, String>> {
        Container::ALL.into_iter().find_map(|c| {
            let iri = path.strip_prefix(c.path())?.strip_prefix('.')?;
            Some(Extension::new(c, iri))
        })
    }

    pub fn container(&self) -> Container {
        self.container
    }

    /// The full path, e.g. `context.extensions.http://example.com/ext/level`.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn iri(&self) -> &str {
        &self.key[self.container.path().len() + 1..]
    }
}

/// An extension value's text: a string's content, else serde_json's compact output.
pub fn value_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// [`value_text`] of a JSON text (an extension value as received), without building a tree for
/// the common values: a string without escapes is its content; `true`, `false`, `null` and an
/// integer of up to 18 digits (no leading zero, not `-0`) are their text, which is what
/// serde_json prints for them. Anything else is parsed and printed as [`value_text`] does; text
/// that is not JSON (never expected: extension values are validated) gives `null`.
pub fn value_text_raw(raw: &str) -> String {
    let raw = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let b = raw.as_bytes();
    if let [b'"', inner @ .., b'"'] = b
        && !inner.contains(&b'\\')
        && !inner.contains(&b'"')
    {
        return raw[1..raw.len() - 1].to_owned();
    }
    if matches!(raw, "true" | "false" | "null") || is_small_integer(b) {
        return raw.to_owned();
    }
    value_text(&serde_json::from_str(raw).unwrap_or_default())
}

/// `-?[1-9][0-9]{0,17}` or `0`: serde_json reads it as an integer and prints it unchanged.
fn is_small_integer(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if b == b"0" {
        return true;
    }
    matches!(digits.first(), Some(b'1'..=b'9'))
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
}

/// A JSON number, whole text. No `?` is needed in SQL: the pattern is a bound parameter.
pub const NUMBER_PATTERN: &str = r"^-?(?:0|[1-9][0-9]*)(?:[.][0-9]+)?(?:[eE][+-]?[0-9]+)?$";

static NUMBER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(NUMBER_PATTERN).expect("valid pattern"));

/// The number of an extension value's text, when the text is a JSON number (out-of-range
/// exponents give ±infinity, as in ClickHouse).
pub fn number(text: &str) -> Option<f64> {
    NUMBER.is_match(text).then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_need_a_container_and_an_absolute_iri() {
        let e = Extension::parse("object.definition.extensions.http://x.org/a.b")
            .unwrap()
            .unwrap();
        assert_eq!(e.container(), Container::Activity);
        assert_eq!(e.iri(), "http://x.org/a.b");
        assert_eq!(e.key(), "object.definition.extensions.http://x.org/a.b");
        assert!(
            Extension::parse("result.extensions.urn:x:y")
                .unwrap()
                .is_ok()
        );
        for bad in [
            "result.extensions.",
            "result.extensions.no-scheme",
            "context.extensions.http://x/with space",
        ] {
            assert!(Extension::parse(bad).unwrap().is_err(), "{bad}");
        }
        for other in [
            "result.extensions",
            "result.extensionsX",
            "verb",
            "extensions.a:b",
        ] {
            assert!(Extension::parse(other).is_none(), "{other}");
        }
        assert_eq!(
            Container::from_path("context.extensions"),
            Some(Container::Context)
        );
    }

    #[test]
    fn text_is_the_string_or_compact_json() {
        let parse = |t: &str| serde_json::from_str::<Json>(t).unwrap();
        assert_eq!(value_text(&json!("a b")), "a b");
        assert_eq!(value_text(&parse("1.50")), "1.5");
        assert_eq!(value_text(&parse("15e-1")), "1.5");
        assert_eq!(value_text(&parse("3")), "3");
        assert_eq!(value_text(&parse("-0")), "-0.0");
        assert_eq!(value_text(&parse("1E+2")), "100.0");
        assert_eq!(value_text(&parse("1e23")), "1e+23");
        assert_eq!(value_text(&parse("3.0")), "3.0");
        assert_eq!(value_text(&parse("true")), "true");
        assert_eq!(value_text(&parse("null")), "null");
        assert_eq!(
            value_text(&parse(r#"{ "b": [1, 2], "a": "x" }"#)),
            r#"{"a":"x","b":[1,2]}"#
        );
    }

    #[test]
    fn raw_text_gives_the_parsed_values_text() {
        let cases = [
            r#""a b""#,
            r#""""#,
            r#""caf\u00e9 \"q\"""#,
            r#""tab\tnew\nline""#,
            "0",
            "-0",
            "7",
            "-42",
            "123456789012345678",
            "-123456789012345678",
            "1234567890123456789",
            "18446744073709551616",
            "-9223372036854775809",
            "1.50",
            "15e-1",
            "3.0",
            "1E+2",
            "true",
            "false",
            "null",
            " 12 ",
            r#"{ "b": [1, 2.50], "a": "x" }"#,
            r#"[ "x", {"k": null} ]"#,
        ];
        for raw in cases {
            let parsed: Json = serde_json::from_str(raw).unwrap();
            assert_eq!(value_text_raw(raw), value_text(&parsed), "{raw}");
        }
    }

    proptest::proptest! {
        #[test]
        fn raw_text_equals_the_parsed_text_for_any_json(value in json_value()) {
            for raw in [serde_json::to_string(&value).unwrap(), serde_json::to_string_pretty(&value).unwrap()] {
                let parsed: Json = serde_json::from_str(&raw).unwrap();
                proptest::prop_assert_eq!(value_text_raw(&raw), value_text(&parsed));
            }
        }

        #[test]
        fn raw_integer_text_equals_the_parsed_text(n in proptest::num::i64::ANY, digits in "-?[0-9]{1,22}") {
            for raw in [n.to_string(), digits] {
                if let Ok(parsed) = serde_json::from_str::<Json>(&raw) {
                    proptest::prop_assert_eq!(value_text_raw(&raw), value_text(&parsed), "{}", raw);
                }
            }
        }
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Json> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::from),
            any::<i64>().prop_map(Json::from),
            any::<u64>().prop_map(Json::from),
            (-1e12f64..1e12).prop_map(Json::from),
            ".{0,12}".prop_map(Json::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                proptest::collection::btree_map(".{0,6}", inner, 0..4)
                    .prop_map(|m| Json::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn numbers_are_json_numbers_only() {
        assert_eq!(number("1.5"), Some(1.5));
        assert_eq!(number("-2E+2"), Some(-200.0));
        assert_eq!(number("1e400"), Some(f64::INFINITY));
        for not in [
            "", "inf", "NaN", ".5", "1.", "+1", "00012", " 1", "1 ", "0x10", "true",
        ] {
            assert_eq!(number(not), None, "{not}");
        }
    }
}

//! Bounds on a filter's size, checked on the submitted JSON before it is parsed, so a huge
//! filter is refused with an error naming the limit instead of costing CPU and reaching the
//! database. Every bound is a setting of the server (`filter_max_nodes`, `filter_max_values`,
//! `filter_max_string_bytes`); [`Limits::default`] holds the documented defaults.
use crate::parse::FilterError;
use serde_json::Value as Json;

/// How large a filter may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `and`, `or`, `not` and condition nodes, all counted.
    pub max_nodes: usize,
    /// Values compared against, all conditions counted (each `in` item, each `eq`).
    pub max_values: usize,
    /// Bytes of the longest string anywhere in the filter (values, prefixes, field paths).
    pub max_string_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 500,
            max_values: 2_000,
            max_string_bytes: 4_096,
        }
    }
}

struct Count<'a> {
    limits: &'a Limits,
    nodes: usize,
    values: usize,
}

fn err(pointer: &str, message: String) -> FilterError {
    FilterError {
        pointer: pointer.to_owned(),
        message,
    }
}

impl Limits {
    /// Checks the JSON form of a filter against the bounds. Linear in the size of the JSON and
    /// stops at the first bound crossed; whatever else is wrong is left to the parser.
    pub fn check(&self, json: &Json) -> Result<(), FilterError> {
        let mut c = Count {
            limits: self,
            nodes: 0,
            values: 0,
        };
        c.node(json, "", 0)
    }
}

impl Count<'_> {
    fn node(&mut self, json: &Json, at: &str, depth: usize) -> Result<(), FilterError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(err(
                at,
                format!(
                    "the filter has more than {} nodes (filter_max_nodes)",
                    self.limits.max_nodes
                ),
            ));
        }
        let Some(obj) = json.as_object() else {
            return Ok(());
        };
        // Deeper nesting is refused by the parser; stop walking here.
        if depth > crate::parse::MAX_DEPTH {
            return Ok(());
        }
        for (key, v) in obj {
            let here = format!("{at}/{key}");
            self.string(key, at)?;
            match (key.as_str(), v) {
                ("and" | "or", Json::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        self.node(item, &format!("{here}/{i}"), depth + 1)?;
                    }
                }
                ("not", inner) => self.node(inner, &here, depth + 1)?,
                ("in", Json::Array(items)) => {
                    self.values(items.len(), &here)?;
                    for (i, item) in items.iter().enumerate() {
                        self.value(item, &format!("{here}/{i}"))?;
                    }
                }
                ("eq", v) => {
                    self.values(1, &here)?;
                    self.value(v, &here)?;
                }
                (_, v) => self.value(v, &here)?,
            }
        }
        Ok(())
    }

    fn values(&mut self, n: usize, at: &str) -> Result<(), FilterError> {
        self.values += n;
        if self.values > self.limits.max_values {
            return Err(err(
                at,
                format!(
                    "the filter compares with more than {} values (filter_max_values)",
                    self.limits.max_values
                ),
            ));
        }
        Ok(())
    }

    fn string(&self, s: &str, at: &str) -> Result<(), FilterError> {
        if s.len() > self.limits.max_string_bytes {
            return Err(err(
                at,
                format!(
                    "a string of {} bytes is longer than {} bytes (filter_max_string_bytes)",
                    s.len(),
                    self.limits.max_string_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Any JSON value: its strings (keys included) are bounded, and so is its size as text.
    fn value(&self, v: &Json, at: &str) -> Result<(), FilterError> {
        match v {
            Json::String(s) => self.string(s, at),
            Json::Array(_) | Json::Object(_) => {
                // An extension value compared as its compact JSON text.
                let text = serde_json::to_string(v).unwrap_or_default();
                self.string(&text, at)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> Limits {
        Limits {
            max_nodes: 10,
            max_values: 20,
            max_string_bytes: 16,
        }
    }

    #[test]
    fn filters_within_the_bounds_pass() {
        let f = json!({"and": [
            {"field": "verb", "in": ["a", "b", "c"]},
            {"not": {"field": "actor", "eq": "x"}},
            {"field": "result.score.raw", "range": {"gte": 1}}
        ]});
        limits().check(&f).unwrap();
    }

    #[test]
    fn each_bound_is_named_where_it_is_crossed() {
        let many: Vec<_> = (0..21).map(|i| json!(format!("v{i}"))).collect();
        let e = limits()
            .check(&json!({"or": [{"field": "verb", "in": many}]}))
            .unwrap_err();
        assert_eq!(e.pointer, "/or/0/in");
        assert!(e.message.contains("filter_max_values"), "{e}");

        let branches: Vec<_> = (0..20)
            .map(|_| json!({"field": "verb", "eq": "a"}))
            .collect();
        let e = limits().check(&json!({"or": branches})).unwrap_err();
        assert!(
            e.message.contains("more than 10 nodes (filter_max_nodes)"),
            "{e}"
        );

        let e = limits()
            .check(&json!({"field": "verb", "eq": "x".repeat(17)}))
            .unwrap_err();
        assert_eq!(e.pointer, "/eq");
        assert!(e.message.contains("17 bytes"), "{e}");
        assert!(e.message.contains("filter_max_string_bytes"), "{e}");

        // An object compared as text is bounded by its text.
        let e = limits()
            .check(&json!({"field": "result.extensions.http://x/a", "eq": {"k": "0123456789"}}))
            .unwrap_err();
        assert!(e.message.contains("filter_max_string_bytes"), "{e}");
        let e = limits()
            .check(&json!({"field": "verb", "prefix": "y".repeat(40)}))
            .unwrap_err();
        assert_eq!(e.pointer, "/prefix");
    }

    #[test]
    fn a_huge_in_list_is_refused_quickly() {
        let many: Vec<_> = (0..60_000).map(|i| json!(format!("v{i}"))).collect();
        let e = Limits::default()
            .check(&json!({"field": "verb", "in": many}))
            .unwrap_err();
        assert!(e.message.contains("2000 values"), "{e}");
    }
}

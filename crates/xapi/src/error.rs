//! The one error type of this crate: what is wrong, and where.

use std::fmt;

/// A validation failure: `path` locates the offending value (e.g. `statement[2].actor.mbox`),
/// `message` says what is wrong with it. Displays as `path: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Where the problem is, in a JavaScript-like path (`statement.context.team`).
    pub path: String,
    /// What the problem is.
    pub message: String,
}

impl ValidationError {
    /// Build an error from a path and a message.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ValidationError {}

/// One step of a [`Path`].
#[derive(Clone, Copy)]
pub(crate) enum Seg<'a> {
    /// The name of the root value (`statement`, `agent`).
    Root(&'a str),
    /// A property name.
    Key(&'static str),
    /// An array index.
    Index(usize),
    /// A map key chosen by the client (extensions, language maps).
    MapKey(&'a str),
}

/// A cheap, stack-allocated path used while validating; only rendered to a
/// string when an error is reported.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    seg: Seg<'a>,
    parent: Option<&'a Path<'a>>,
}

impl<'a> Path<'a> {
    pub(crate) fn root(name: &'a str) -> Self {
        Self {
            seg: Seg::Root(name),
            parent: None,
        }
    }

    pub(crate) fn key(&'a self, k: &'static str) -> Path<'a> {
        Path {
            seg: Seg::Key(k),
            parent: Some(self),
        }
    }

    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            seg: Seg::Index(i),
            parent: Some(self),
        }
    }

    pub(crate) fn map_key(&'a self, k: &'a str) -> Path<'a> {
        Path {
            seg: Seg::MapKey(k),
            parent: Some(self),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root(r) => out.push_str(r),
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
                Seg::MapKey(k) => {
                    out.push('[');
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(']');
                }
            }
        }
        out
    }

    /// A [`ValidationError`] at this path.
    pub(crate) fn err(&self, message: impl Into<String>) -> ValidationError {
        ValidationError {
            path: self.render(),
            message: message.into(),
        }
    }
}

/// Convert a typed-parse failure into a [`ValidationError`] whose path starts at `root`.
pub(crate) fn from_serde(
    root: &str,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> ValidationError {
    use serde_path_to_error::Segment;
    let mut path = String::from(root);
    for seg in e.path().iter() {
        match seg {
            Segment::Seq { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
            Segment::Map { key } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Segment::Enum { variant } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(variant);
            }
            Segment::Unknown => path.push_str(".?"),
        }
    }
    let inner = e.into_inner();
    let message = if inner.is_syntax() || inner.is_eof() {
        format!("malformed JSON: {inner}")
    } else {
        inner.to_string()
    };
    ValidationError { path, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_paths() {
        let root = Path::root("statement");
        let arr = root.index(2);
        let actor = arr.key("actor");
        let mbox = actor.key("mbox");
        let e = mbox.err("must be a mailto: IRI");
        assert_eq!(
            e.to_string(),
            "statement[2].actor.mbox: must be a mailto: IRI"
        );
        let ext = root.key("context");
        let ext = ext.key("extensions");
        let k = ext.map_key("http://x");
        assert_eq!(k.render(), "statement.context.extensions[\"http://x\"]");
        assert_eq!(
            ValidationError::new("", "empty body").to_string(),
            "empty body"
        );
    }
}

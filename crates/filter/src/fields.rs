//! The statement fields a filter can name, the projection column behind each, and the
//! in-process row the predicate reads (the same values the projection stores).
use crate::ext::{Container, Extension};

/// How a field's column behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// `String` column; absent is `''`.
    Str,
    /// `Array(String)` column; absent is `[]`.
    StrArray,
    /// `Nullable(Float64)` column.
    Num,
    /// `Nullable(UInt8)` column holding 0 or 1.
    Bool,
    /// `Int64` epoch microseconds.
    Time,
}

/// A filterable field: its name in filters and its column in `statements`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub path: &'static str,
    pub column: &'static str,
    pub kind: FieldKind,
}

const fn f(path: &'static str, column: &'static str, kind: FieldKind) -> Field {
    Field { path, column, kind }
}

/// Every field, in a fixed order (the order of [`Row`]'s accessors).
pub const FIELDS: &[Field] = &[
    f("actor", "actor_ifi", FieldKind::Str),
    f("persona", PERSONA_COLUMN, FieldKind::Str),
    f("agents", "agents", FieldKind::StrArray),
    f("verb", "verb", FieldKind::Str),
    f("object.type", "object_type", FieldKind::Str),
    f("object.id", "object_id", FieldKind::Str),
    f("activity.type", "activity_type", FieldKind::Str),
    f("registration", "registration", FieldKind::Str),
    f("context.parent", "context_parent", FieldKind::StrArray),
    f("context.grouping", "context_grouping", FieldKind::StrArray),
    f("context.category", "context_category", FieldKind::StrArray),
    f("context.other", "context_other", FieldKind::StrArray),
    f("context.platform", "platform", FieldKind::Str),
    f("context.language", "language", FieldKind::Str),
    f("result.score.scaled", "score_scaled", FieldKind::Num),
    f("result.score.raw", "score_raw", FieldKind::Num),
    f("result.score.min", "score_min", FieldKind::Num),
    f("result.score.max", "score_max", FieldKind::Num),
    f("result.success", "success", FieldKind::Bool),
    f("result.completion", "completion", FieldKind::Bool),
    f("result.duration_ms", "duration_ms", FieldKind::Num),
    f("authority", "authority", FieldKind::Str),
    f("version", "version", FieldKind::Str),
    f("timestamp", "timestamp_us", FieldKind::Time),
    f("stored", "stored_us", FieldKind::Time),
];

/// The persona of a statement's actor: the id of the persona holding the actor's identifier, or
/// the identifier itself (its implicit persona). Not a column of `statements`: queries that name
/// it join the store's identifier → persona table, which provides `persona_id` (`''` when no
/// persona holds the identifier).
pub const PERSONA_COLUMN: &str = "if(persona_id = '', actor_ifi, persona_id)";

pub fn field(path: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.path == path)
}

/// What a condition, a group-by or a measure reads: one of [`FIELDS`] or an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    Field(&'static Field),
    Extension(Extension),
}

impl FieldRef {
    /// A field of [`FIELDS`] or an extension path; `Err` says why `path` is neither.
    pub fn parse(path: &str) -> Result<FieldRef, String> {
        if let Some(f) = field(path) {
            return Ok(FieldRef::Field(f));
        }
        match Extension::parse(path) {
            Some(e) => e.map(FieldRef::Extension),
            None => {
                let known: Vec<_> = FIELDS.iter().map(|f| f.path).collect();
                Err(format!(
                    "unknown field {path:?}; known fields: {}, and extensions: \
                     {}.<IRI>",
                    known.join(", "),
                    Container::ALL.map(Container::path).join(".<IRI>, ")
                ))
            }
        }
    }

    /// The path as written in filters.
    pub fn path(&self) -> &str {
        match self {
            FieldRef::Field(f) => f.path,
            FieldRef::Extension(e) => e.key(),
        }
    }

    /// Whether `sum` / `avg` / `min` / `max` apply (numeric fields, and extensions, whose
    /// numeric values count).
    pub fn is_numeric(&self) -> bool {
        match self {
            FieldRef::Field(f) => f.kind == FieldKind::Num,
            FieldRef::Extension(_) => true,
        }
    }
}

/// One projected statement, as the predicate sees it. Field values mirror the projection's
/// columns exactly (`''` / `[]` for absent strings and lists, `None` for absent numbers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub actor_ifi: String,
    /// The actor's persona as the store's persona mapping resolves it (see [`PERSONA_COLUMN`]).
    pub persona: String,
    pub agents: Vec<String>,
    pub verb: String,
    pub object_type: String,
    pub object_id: String,
    pub activity_type: String,
    pub registration: String,
    pub context_parent: Vec<String>,
    pub context_grouping: Vec<String>,
    pub context_category: Vec<String>,
    pub context_other: Vec<String>,
    pub platform: String,
    pub language: String,
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    pub success: Option<bool>,
    pub completion: Option<bool>,
    pub duration_ms: Option<f64>,
    pub authority: String,
    pub version: String,
    pub timestamp_us: i64,
    pub stored_us: i64,
    /// `(ext_keys[i], ext_values[i])`: every extension's full path and value text.
    pub extensions: Vec<(String, String)>,
}

/// A column's value in a row.
pub(crate) enum Cell<'a> {
    Str(&'a str),
    StrArray(&'a [String]),
    Num(Option<f64>),
    Bool(Option<bool>),
    Time(i64),
}

impl Row {
    pub(crate) fn cell(&self, column: &str) -> Cell<'_> {
        match column {
            "actor_ifi" => Cell::Str(&self.actor_ifi),
            PERSONA_COLUMN => Cell::Str(&self.persona),
            "agents" => Cell::StrArray(&self.agents),
            "verb" => Cell::Str(&self.verb),
            "object_type" => Cell::Str(&self.object_type),
            "object_id" => Cell::Str(&self.object_id),
            "activity_type" => Cell::Str(&self.activity_type),
            "registration" => Cell::Str(&self.registration),
            "context_parent" => Cell::StrArray(&self.context_parent),
            "context_grouping" => Cell::StrArray(&self.context_grouping),
            "context_category" => Cell::StrArray(&self.context_category),
            "context_other" => Cell::StrArray(&self.context_other),
            "platform" => Cell::Str(&self.platform),
            "language" => Cell::Str(&self.language),
            "score_scaled" => Cell::Num(self.score_scaled),
            "score_raw" => Cell::Num(self.score_raw),
            "score_min" => Cell::Num(self.score_min),
            "score_max" => Cell::Num(self.score_max),
            "success" => Cell::Bool(self.success),
            "completion" => Cell::Bool(self.completion),
            "duration_ms" => Cell::Num(self.duration_ms),
            "authority" => Cell::Str(&self.authority),
            "version" => Cell::Str(&self.version),
            "timestamp_us" => Cell::Time(self.timestamp_us),
            "stored_us" => Cell::Time(self.stored_us),
            other => unreachable!("no column {other} in FIELDS"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_cell_and_unique_path() {
        let row = Row::default();
        for (i, f) in FIELDS.iter().enumerate() {
            let _ = row.cell(f.column);
            assert!(
                FIELDS[..i].iter().all(|g| g.path != f.path),
                "{} twice",
                f.path
            );
        }
        assert_eq!(field("verb").unwrap().column, "verb");
        assert!(field("nope").is_none());
    }

    #[test]
    fn field_refs_are_fields_or_extensions() {
        assert_eq!(
            FieldRef::parse("verb"),
            Ok(FieldRef::Field(field("verb").unwrap()))
        );
        let e = FieldRef::parse("context.extensions.http://x/level").unwrap();
        assert_eq!(e.path(), "context.extensions.http://x/level");
        assert!(e.is_numeric() && !FieldRef::parse("verb").unwrap().is_numeric());
        assert!(
            FieldRef::parse("nope")
                .unwrap_err()
                .contains("result.extensions.<IRI>")
        );
        assert!(
            FieldRef::parse("result.extensions.x")
                .unwrap_err()
                .contains("absolute IRI")
        );
    }
}

//! `cairn-filter` owns Cairn's one filter language: a JSON AST over statement fields (`and`,
//! `or`, `not`; `eq`, `in`, `range`, `exists`, `prefix`; absolute and relative time ranges in a
//! time zone). Fields are the fixed [`FIELDS`] or extension paths (`result.extensions.<IRI>`,
//! `context.extensions.<IRI>`, `object.definition.extensions.<IRI>`, see [`Extension`]), read
//! through a [`FieldRef`]. A filter is parsed and validated once ([`Filter::parse`], errors point at the
//! offending node with a JSON pointer), then either compiled to a parameterised ClickHouse
//! `WHERE` clause over the `statements` projection ([`Filter::to_sql`]: values are always
//! parameters, written into the SQL only as escaped literals by [`inline`], in one pass) or
//! evaluated in process against a projected row ([`Filter::matches`]). Both give the same answer for every row; property tests in
//! `cairn-clickhouse` prove it against a real ClickHouse.
//!
//! The size of a filter is bounded ([`Limits`]) before it is parsed.
//!
//! Pure: no I/O. "Now" is an argument, so relative ranges are reproducible.

mod ast;
mod eval;
mod ext;
mod fields;
mod limits;
mod parse;
mod sql;

pub use ast::{Filter, Op, Value};
pub use ext::{Container, Extension, NUMBER_PATTERN, number, value_text, value_text_raw};
pub use fields::{FIELDS, Field, FieldKind, FieldRef, PERSONA_COLUMN, Row};
pub use limits::Limits;
pub use parse::FilterError;
pub use sql::{Param, Sql, inline};

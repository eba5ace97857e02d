//! Semantic validation of a typed statement (everything the serde parse cannot
//! express): IRIs, IFIs, ranges, formats, cross-property and version rules.

pub(crate) mod formats;
mod rules;

pub(crate) use rules::{validate_agent_param, validate_statement};

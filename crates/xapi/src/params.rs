//! Validation of query-parameter values "to the same standards required for values of the
//! same types in Statements" (xAPI Data 2.2.s4.b4), for the HTTP layer.

use crate::error::ValidationError;
use crate::validate::formats::{is_iri, parse_timestamp};
use uuid::Uuid;

/// A UUID parameter (`statementId`, `voidedStatementId`, `registration`): the hyphenated form.
pub fn parse_uuid_param(name: &str, value: &str) -> Result<Uuid, ValidationError> {
    if value.len() == 36
        && let Ok(u) = Uuid::try_parse(value)
    {
        return Ok(u);
    }
    Err(ValidationError::new(
        name,
        format!("`{value}` is not a hyphenated UUID"),
    ))
}

/// An IRI parameter (`verb`, `activity`, `activityId`): an absolute IRI.
pub fn parse_iri_param<'a>(name: &str, value: &'a str) -> Result<&'a str, ValidationError> {
    if is_iri(value) {
        Ok(value)
    } else {
        Err(ValidationError::new(
            name,
            format!("`{value}` is not an absolute IRI"),
        ))
    }
}

/// A timestamp parameter (`since`, `until`) or property: ISO 8601 date-time, returned as
/// nanoseconds since the Unix epoch (UTC; a missing offset is read as UTC).
pub fn parse_timestamp_param(name: &str, value: &str) -> Result<i128, ValidationError> {
    parse_timestamp(value)
        .map(|t| t.unix_nanos)
        .map_err(|m| ValidationError::new(name, format!("`{value}` {m}")))
}

/// Parse an `Accept-Language` header into language ranges in preference order
/// (by q-value, stable for ties; `q=0` ranges dropped), for [`crate::format_statement`].
pub fn parse_accept_language(header: &str) -> Vec<String> {
    let mut ranges: Vec<(String, u16)> = Vec::new();
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        if tag.is_empty() {
            continue;
        }
        let mut q = 1000u16;
        for p in parts {
            if let Some(v) = p
                .trim()
                .strip_prefix("q=")
                .or_else(|| p.trim().strip_prefix("Q="))
            {
                q = v
                    .trim()
                    .parse::<f32>()
                    .map(|f| (f.clamp(0.0, 1.0) * 1000.0) as u16)
                    .unwrap_or(0);
            }
        }
        if q > 0 {
            ranges.push((tag.to_owned(), q));
        }
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.1));
    ranges.into_iter().map(|(t, _)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(parse_uuid_param("statementId", "8f87ccde-bb56-4c2e-ab83-44982ef22df0").is_ok());
        for bad in [
            "",
            "8f87ccdebb564c2eab8344982ef22df0",
            "{8f87ccde-bb56-4c2e-ab83-44982ef22df0}",
            "x",
        ] {
            let e = parse_uuid_param("statementId", bad).unwrap_err();
            assert_eq!(e.path, "statementId");
        }
    }

    #[test]
    fn iris_and_timestamps() {
        assert!(parse_iri_param("verb", "http://adlnet.gov/expapi/verbs/voided").is_ok());
        assert!(parse_iri_param("verb", "adlnet.gov/expapi/verbs/voided").is_err());
        let a = parse_timestamp_param("since", "2023-05-04T12:00:00-05:00").unwrap();
        let b = parse_timestamp_param("since", "2023-05-04T17:00:00.000Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_timestamp_param("until", "yesterday").is_err());
    }

    #[test]
    fn accept_language() {
        assert_eq!(parse_accept_language("en-GB"), vec!["en-GB"]);
        assert_eq!(
            parse_accept_language("fr;q=0.5, en-US, de;q=0.8, x;q=0"),
            vec!["en-US", "de", "fr"]
        );
        assert_eq!(parse_accept_language(" , *;q=0.1"), vec!["*"]);
        assert!(parse_accept_language("").is_empty());
    }
}

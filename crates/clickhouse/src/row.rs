//! One `statements` row: a [`StatementRecord`]'s filter keys as they are, and the typed columns
//! that analytics read, from the statement's [`StatementFacts`] (carried from the request, or
//! parsed from the stored JSON when the record was read from the log).
use cairn_core::StatementRecord;
use cairn_core::facts::StatementFacts;
pub use cairn_core::facts::duration_ms;
use clickhouse::Row;
use serde::Serialize;
use uuid::Uuid;

/// The columns of `statements` (schema/0002_statements.sql, and later migrations: 0013 drops
/// the statement's JSON, which Cairn reads from its log), in table order. Inserted as plain
/// RowBinary, so field order and types must match the table exactly; the integration tests
/// read every column back to prove it.
#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct StatementRow<'a> {
    #[serde(with = "clickhouse::serde::uuid")]
    pub store: Uuid,
    pub seq: u64,
    #[serde(with = "clickhouse::serde::uuid")]
    pub statement_id: Uuid,
    pub stored: u32,
    pub stored_us: i64,
    pub timestamp: u32,
    pub timestamp_us: i64,
    pub version: &'a str,
    pub actor_ifi: &'a str,
    pub verb: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub activity_type: &'a str,
    pub registration: &'a str,
    pub agents: &'a [String],
    pub related_agents: &'a [String],
    pub verbs: &'a [String],
    pub activities: &'a [String],
    pub related_activities: &'a [String],
    pub registrations: &'a [String],
    pub context_parent: &'a [String],
    pub context_grouping: &'a [String],
    pub context_category: &'a [String],
    pub context_other: &'a [String],
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    pub success: Option<u8>,
    pub completion: Option<u8>,
    pub duration_ms: Option<i64>,
    pub platform: &'a str,
    pub language: &'a str,
    pub authority: &'a str,
    pub voids: String,
    pub attachments: &'a [String],
    /// Every extension's full path (`result.extensions.<IRI>`, …), added by 0006.
    pub ext_keys: &'a [String],
    /// Each extension's value text, parallel to `ext_keys` (see `cairn_filter::value_text`).
    pub ext_values: &'a [String],
}

impl<'a> StatementRow<'a> {
    /// Builds the row for `record` at sequence number `seq`, with the statement's `facts`
    /// (`record.facts()`: carried from the request, or parsed from the stored body).
    pub fn new(seq: u64, record: &'a StatementRecord, facts: &'a StatementFacts) -> Self {
        let timestamp_us = facts.timestamp_us.unwrap_or(record.stored_us);
        StatementRow {
            store: record.store.0,
            seq,
            statement_id: record.id,
            stored: epoch_seconds(record.stored_us),
            stored_us: record.stored_us,
            timestamp: epoch_seconds(timestamp_us),
            timestamp_us,
            version: &facts.version,
            actor_ifi: &facts.actor_ifi,
            verb: &facts.verb,
            object_type: &facts.object_type,
            object_id: &facts.object_id,
            activity_type: &facts.activity_type,
            registration: &facts.registration,
            agents: &record.keys.agents,
            related_agents: &record.keys.related_agents,
            verbs: &record.keys.verbs,
            activities: &record.keys.activities,
            related_activities: &record.keys.related_activities,
            registrations: &record.keys.registrations,
            context_parent: &facts.context_parent,
            context_grouping: &facts.context_grouping,
            context_category: &facts.context_category,
            context_other: &facts.context_other,
            score_scaled: facts.score_scaled,
            score_raw: facts.score_raw,
            score_min: facts.score_min,
            score_max: facts.score_max,
            success: facts.success.map(u8::from),
            completion: facts.completion.map(u8::from),
            duration_ms: facts.duration_ms,
            platform: &facts.platform,
            language: &facts.language,
            authority: &facts.authority,
            voids: record.voids.map(|u| u.to_string()).unwrap_or_default(),
            attachments: &record.attachments,
            ext_keys: &facts.ext_keys,
            ext_values: &facts.ext_values,
        }
    }
}

impl StatementRow<'_> {
    /// The row as the filter language's in-process predicate sees it (same values as the columns).
    /// `persona` is the actor's implicit persona; callers that know the store's persona mapping
    /// set it.
    pub fn filter_row(&self) -> cairn_filter::Row {
        cairn_filter::Row {
            actor_ifi: self.actor_ifi.to_owned(),
            persona: self.actor_ifi.to_owned(),
            agents: self.agents.to_vec(),
            verb: self.verb.to_owned(),
            object_type: self.object_type.to_owned(),
            object_id: self.object_id.to_owned(),
            activity_type: self.activity_type.to_owned(),
            registration: self.registration.to_owned(),
            context_parent: self.context_parent.to_vec(),
            context_grouping: self.context_grouping.to_vec(),
            context_category: self.context_category.to_vec(),
            context_other: self.context_other.to_vec(),
            platform: self.platform.to_owned(),
            language: self.language.to_owned(),
            score_scaled: self.score_scaled,
            score_raw: self.score_raw,
            score_min: self.score_min,
            score_max: self.score_max,
            success: self.success.map(|b| b != 0),
            completion: self.completion.map(|b| b != 0),
            duration_ms: self.duration_ms.map(|d| d as f64),
            authority: self.authority.to_owned(),
            version: self.version.to_owned(),
            timestamp_us: self.timestamp_us,
            stored_us: self.stored_us,
            extensions: self
                .ext_keys
                .iter()
                .cloned()
                .zip(self.ext_values.iter().cloned())
                .collect(),
        }
    }
}

/// Epoch seconds for a `DateTime` column (clamped to its range, 1970..2106).
fn epoch_seconds(us: i64) -> u32 {
    us.div_euclid(1_000_000).clamp(0, u32::MAX as i64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::{FilterKeys, StoreId};

    #[test]
    fn extracts_typed_columns() {
        let body = serde_json::json!({
            "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "http://example.com/a", "definition": {"type": "http://example.com/t",
                       "extensions": {"http://x/n": {"z": [1, 2.0], "a": null}}}},
            "result": {"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
                       "success": true, "completion": false, "duration": "PT1M",
                       "extensions": {"http://x/n": 1.50, "http://x/s": "a \"b\""}},
            "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                        "platform": "web", "language": "en-GB",
                        "contextActivities": {"parent": {"id": "http://example.com/p"},
                                              "grouping": [{"id": "http://example.com/g1"},
                                                           {"id": "http://example.com/g2"}]},
                        "extensions": {"http://x/n": true}},
            "timestamp": "2025-01-02T03:04:05.678Z",
            "authority": {"mbox": "mailto:auth@example.com"},
            "version": "1.0.3"
        });
        let record = StatementRecord {
            store: StoreId::DEFAULT,
            id: Uuid::new_v4(),
            stored_us: 1_750_000_000_123_456,
            keys: FilterKeys {
                verbs: vec!["v".into()],
                ..Default::default()
            },
            voids: None,
            attachments: vec![],
            body: serde_json::to_vec(&body).unwrap(),
            facts: None,
        };
        let facts = record.facts();
        let row = StatementRow::new(7, &record, &facts);
        assert_eq!(row.seq, 7);
        assert_eq!(row.stored, 1_750_000_000);
        assert_eq!(row.timestamp_us, 1_735_787_045_678_000);
        assert_eq!(row.timestamp, 1_735_787_045);
        assert_eq!(row.actor_ifi, "mbox:mailto:a@example.com");
        assert_eq!(row.authority, "mbox:mailto:auth@example.com");
        assert_eq!(row.verb, "http://adlnet.gov/expapi/verbs/completed");
        assert_eq!(
            (row.object_type, row.object_id),
            ("Activity", "http://example.com/a")
        );
        assert_eq!(row.activity_type, "http://example.com/t");
        assert_eq!(row.registration, "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
        assert_eq!(row.context_parent, vec!["http://example.com/p"]);
        assert_eq!(row.context_grouping.len(), 2);
        assert!(row.context_other.is_empty());
        assert_eq!(
            (
                row.score_scaled,
                row.score_raw,
                row.score_min,
                row.score_max
            ),
            (Some(0.5), Some(5.0), Some(0.0), Some(10.0))
        );
        assert_eq!(
            (row.success, row.completion, row.duration_ms),
            (Some(1), Some(0), Some(60_000))
        );
        assert_eq!((row.platform, row.language), ("web", "en-GB"));
        assert_eq!(row.version, "1.0.3");
        assert_eq!(row.voids, "");
        assert_eq!(row.verbs, ["v".to_string()]);
        // The same IRI in three containers: three paths.
        assert_eq!(
            row.ext_keys,
            [
                "result.extensions.http://x/n",
                "result.extensions.http://x/s",
                "context.extensions.http://x/n",
                "object.definition.extensions.http://x/n"
            ]
        );
        assert_eq!(
            row.ext_values,
            ["1.5", "a \"b\"", "true", r#"{"a":null,"z":[1,2.0]}"#]
        );
        assert_eq!(row.filter_row().extensions[1].1, "a \"b\"");
    }

    #[test]
    fn extensions_of_a_non_activity_object_are_not_its_definitions() {
        // Raw text as a client sent it: spaces and `1E2` are normalised.
        let record = StatementRecord {
            store: StoreId::DEFAULT,
            id: Uuid::nil(),
            stored_us: 0,
            keys: FilterKeys::default(),
            voids: None,
            attachments: vec![],
            body:
                br#"{"object": {"objectType": "Agent", "mbox": "mailto:b@example.com"},
                       "result": {"extensions": {"http://x/raw": 1E2, "http://x/o": { "b" : 1 }}}}"#
                    .to_vec(),
            facts: None,
        };
        let facts = record.facts();
        let row = StatementRow::new(1, &record, &facts);
        assert_eq!(
            row.ext_keys,
            [
                "result.extensions.http://x/o",
                "result.extensions.http://x/raw"
            ]
        );
        assert_eq!(row.ext_values, [r#"{"b":1}"#, "100.0"]);
    }

    #[test]
    fn missing_fields_default() {
        let record = StatementRecord {
            store: StoreId::DEFAULT,
            id: Uuid::nil(),
            stored_us: -5,
            keys: FilterKeys::default(),
            voids: Some(Uuid::from_u128(9)),
            attachments: vec![],
            body: b"{}".to_vec(),
            facts: None,
        };
        let facts = record.facts();
        let row = StatementRow::new(1, &record, &facts);
        assert_eq!(row.stored, 0);
        assert_eq!(row.timestamp_us, -5);
        assert_eq!(row.object_type, "Activity");
        assert_eq!(row.actor_ifi, "");
        assert_eq!(row.score_raw, None);
        assert_eq!(row.voids, "00000000-0000-0000-0000-000000000009");
    }
}

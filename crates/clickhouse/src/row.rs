//! One `statements` row, extracted from a [`StatementRecord`]: the filter keys as they are, and
//! the typed columns that analytics read, pulled out of the statement's JSON.
use crate::doc::{Doc, ObjectHead};
use cairn_core::StatementRecord;
use cairn_filter::{Container, value_text};
use clickhouse::Row;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
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
    pub version: String,
    pub actor_ifi: String,
    pub verb: String,
    pub object_type: String,
    pub object_id: String,
    pub activity_type: String,
    pub registration: String,
    pub agents: &'a [String],
    pub related_agents: &'a [String],
    pub verbs: &'a [String],
    pub activities: &'a [String],
    pub related_activities: &'a [String],
    pub registrations: &'a [String],
    pub context_parent: Vec<String>,
    pub context_grouping: Vec<String>,
    pub context_category: Vec<String>,
    pub context_other: Vec<String>,
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    pub success: Option<u8>,
    pub completion: Option<u8>,
    pub duration_ms: Option<i64>,
    pub platform: String,
    pub language: String,
    pub authority: String,
    pub voids: String,
    pub attachments: &'a [String],
    /// Every extension's full path (`result.extensions.<IRI>`, …), added by 0006.
    pub ext_keys: Vec<String>,
    /// Each extension's value text, parallel to `ext_keys` (see `cairn_filter::value_text`).
    pub ext_values: Vec<String>,
}

impl<'a> StatementRow<'a> {
    /// Builds the row for `record` at sequence number `seq`. A body that is not a JSON object
    /// (which the writer never produces) yields empty typed columns but keeps keys and JSON.
    pub fn new(seq: u64, record: &'a StatementRecord) -> Self {
        let doc = Doc::parse(&record.body);
        let own =
            |v: &Option<std::borrow::Cow<'_, str>>| v.as_deref().unwrap_or_default().to_owned();
        let timestamp_us = doc
            .timestamp
            .as_deref()
            .and_then(cairn_core::time_fmt::parse_us)
            .unwrap_or(record.stored_us);
        let object = ObjectHead::parse(doc.object);
        let object_type = object
            .object_type
            .as_deref()
            .unwrap_or("Activity")
            .to_string();
        let result = doc.result.unwrap_or_default();
        let context = doc.context.unwrap_or_default();
        let definition = object.definition.unwrap_or_default();
        let mut ext = Vec::new();
        for (container, map) in [
            (Container::Result, &result.extensions),
            (Container::Context, &context.extensions),
            (Container::Activity, &definition.extensions),
        ] {
            if container == Container::Activity && object_type != "Activity" {
                continue;
            }
            for (iri, raw) in map.iter().flatten() {
                let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                ext.push((format!("{}.{iri}", container.path()), value_text(&value)));
            }
        }
        let (ext_keys, ext_values) = ext.into_iter().unzip();
        let object_id = match object_type.as_str() {
            "Agent" | "Group" => doc.object.map(ifi).unwrap_or_default(),
            "SubStatement" => String::new(),
            _ => own(&object.id),
        };
        let lists = context.context_activities.unwrap_or_default();
        let strings =
            |v: Vec<std::borrow::Cow<'_, str>>| v.into_iter().map(|s| s.into_owned()).collect();
        let score = result.score.unwrap_or_default();
        StatementRow {
            store: record.store.0,
            seq,
            statement_id: record.id,
            stored: epoch_seconds(record.stored_us),
            stored_us: record.stored_us,
            timestamp: epoch_seconds(timestamp_us),
            timestamp_us,
            version: own(&doc.version),
            actor_ifi: doc.actor.map(ifi).unwrap_or_default(),
            verb: doc.verb.map(|v| own(&v.id)).unwrap_or_default(),
            object_id,
            object_type,
            activity_type: own(&definition.kind),
            registration: own(&context.registration),
            agents: &record.keys.agents,
            related_agents: &record.keys.related_agents,
            verbs: &record.keys.verbs,
            activities: &record.keys.activities,
            related_activities: &record.keys.related_activities,
            registrations: &record.keys.registrations,
            context_parent: strings(lists.parent),
            context_grouping: strings(lists.grouping),
            context_category: strings(lists.category),
            context_other: strings(lists.other),
            score_scaled: score.scaled,
            score_raw: score.raw,
            score_min: score.min,
            score_max: score.max,
            success: result.success.map(u8::from),
            completion: result.completion.map(u8::from),
            duration_ms: result.duration.as_deref().and_then(duration_ms),
            platform: own(&context.platform),
            language: own(&context.language),
            authority: doc.authority.map(ifi).unwrap_or_default(),
            voids: record.voids.map(|u| u.to_string()).unwrap_or_default(),
            attachments: &record.attachments,
            ext_keys,
            ext_values,
        }
    }
}

impl StatementRow<'_> {
    /// The row as the filter language's in-process predicate sees it (same values as the columns).
    /// `persona` is the actor's implicit persona; callers that know the store's persona mapping
    /// set it.
    pub fn filter_row(&self) -> cairn_filter::Row {
        cairn_filter::Row {
            actor_ifi: self.actor_ifi.clone(),
            persona: self.actor_ifi.clone(),
            agents: self.agents.to_vec(),
            verb: self.verb.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            activity_type: self.activity_type.clone(),
            registration: self.registration.clone(),
            context_parent: self.context_parent.clone(),
            context_grouping: self.context_grouping.clone(),
            context_category: self.context_category.clone(),
            context_other: self.context_other.clone(),
            platform: self.platform.clone(),
            language: self.language.clone(),
            score_scaled: self.score_scaled,
            score_raw: self.score_raw,
            score_min: self.score_min,
            score_max: self.score_max,
            success: self.success.map(|b| b != 0),
            completion: self.completion.map(|b| b != 0),
            duration_ms: self.duration_ms.map(|d| d as f64),
            authority: self.authority.clone(),
            version: self.version.clone(),
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

/// The agent's IFI key (as in the filter keys); for an identified-by-members group with no IFI,
/// its compact JSON, so the column is never silently empty for an authority.
fn ifi(agent: &RawValue) -> String {
    if agent.get() == "null" {
        return String::new();
    }
    serde_json::from_str::<cairn_xapi::Actor>(agent.get())
        .ok()
        .and_then(|a| a.ifi_key())
        .unwrap_or_else(|| {
            serde_json::from_str::<Value>(agent.get())
                .map(|v| v.to_string())
                .unwrap_or_else(|_| agent.get().to_owned())
        })
}

/// An ISO 8601 duration (`P1DT2H3M4.5S`, `PT90S`, `P2W`) in milliseconds. Years and months
/// have no fixed length; they count as 365 and 30 days, which is what analytics want.
pub fn duration_ms(s: &str) -> Option<i64> {
    let rest = s.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    const DAY: f64 = 86_400_000.0;
    let date_units = [
        ('Y', 365.0 * DAY),
        ('M', 30.0 * DAY),
        ('W', 7.0 * DAY),
        ('D', DAY),
    ];
    let time_units = [('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)];
    let mut total = sum_units(date, &date_units)?;
    if let Some(t) = time {
        total += sum_units(t, &time_units)?;
    }
    if date.is_empty() && time.is_none() {
        return None;
    }
    Some(total.round() as i64)
}

/// Sums `<number><unit>` pairs whose units appear in `units`' order.
fn sum_units(mut s: &str, units: &[(char, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut next_unit = 0;
    while !s.is_empty() {
        let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
        let number: f64 = s[..end].replace(',', ".").parse().ok()?;
        let unit = s[end..].chars().next()?;
        let pos = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        total += number * units[pos].1;
        next_unit = pos + 1;
        s = &s[end + unit.len_utf8()..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::{FilterKeys, StoreId};

    #[test]
    fn durations() {
        assert_eq!(duration_ms("PT1H2M3.5S"), Some(3_723_500));
        assert_eq!(duration_ms("P1D"), Some(86_400_000));
        assert_eq!(duration_ms("P1W"), Some(7 * 86_400_000));
        assert_eq!(duration_ms("PT0,25S"), Some(250));
        assert_eq!(duration_ms("P1DT1S"), Some(86_401_000));
        for bad in ["", "P", "PT", "1H", "PT1X", "PT1S2M", "PTS"] {
            assert_eq!(duration_ms(bad), None, "{bad}");
        }
    }

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
        };
        let row = StatementRow::new(7, &record);
        assert_eq!(row.seq, 7);
        assert_eq!(row.stored, 1_750_000_000);
        assert_eq!(row.timestamp_us, 1_735_787_045_678_000);
        assert_eq!(row.timestamp, 1_735_787_045);
        assert_eq!(row.actor_ifi, "mbox:mailto:a@example.com");
        assert_eq!(row.authority, "mbox:mailto:auth@example.com");
        assert_eq!(row.verb, "http://adlnet.gov/expapi/verbs/completed");
        assert_eq!(
            (row.object_type.as_str(), row.object_id.as_str()),
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
        assert_eq!(
            (row.platform.as_str(), row.language.as_str()),
            ("web", "en-GB")
        );
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
        };
        let row = StatementRow::new(1, &record);
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
        };
        let row = StatementRow::new(1, &record);
        assert_eq!(row.stored, 0);
        assert_eq!(row.timestamp_us, -5);
        assert_eq!(row.object_type, "Activity");
        assert_eq!(row.actor_ifi, "");
        assert_eq!(row.score_raw, None);
        assert_eq!(row.voids, "00000000-0000-0000-0000-000000000009");
    }
}

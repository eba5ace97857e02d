//! What the projection's `statements` row needs of a statement beyond its record (the typed
//! columns that analytics read), extracted once.
//!
//! Two ways to the same [`StatementFacts`]: [`StatementFacts::of`] from the typed statement the
//! request already parsed (the hot path: the facts travel with the record through the writer and
//! the in-memory tail to the projector), and [`StatementFacts::from_body`] from the stored JSON
//! (the projector reading the log: restart, catch-up, reprojection, a cluster node applying
//! another node's writes). Both must give equal facts for every stored statement; the tests hold
//! them equal on the conformance suite's statements and on random ones.
mod body;

use cairn_xapi::{Actor, Extensions, Statement, StatementObject};
use std::borrow::Cow;

/// The typed columns of one statement (`cairn_clickhouse::StatementRow` adds the record's
/// fields). Strings are empty where the statement has no such value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementFacts {
    pub version: String,
    /// The statement's `timestamp`, when it parses (the row falls back to `stored`).
    pub timestamp_us: Option<i64>,
    pub actor_ifi: String,
    pub verb: String,
    /// `Activity`, `Agent`, `Group`, `StatementRef` or `SubStatement`.
    pub object_type: Cow<'static, str>,
    pub object_id: String,
    pub activity_type: String,
    pub registration: String,
    pub context_parent: Vec<String>,
    pub context_grouping: Vec<String>,
    pub context_category: Vec<String>,
    pub context_other: Vec<String>,
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    pub success: Option<bool>,
    pub completion: Option<bool>,
    pub duration_ms: Option<i64>,
    pub platform: String,
    pub language: String,
    pub authority: String,
    /// Every extension's full path (`result.extensions.<IRI>`, …): result, context, then the
    /// activity's definition, each in IRI order.
    pub ext_keys: Vec<String>,
    /// Each extension's value text, parallel to `ext_keys` (see `cairn_filter::value_text`).
    pub ext_values: Vec<String>,
}

impl StatementFacts {
    /// About how many bytes of memory the facts take (their strings with the allocations' own
    /// size), for the tail's memory bound (`StatementRecord::approx_bytes`).
    pub fn approx_bytes(&self) -> usize {
        const STRING: usize = std::mem::size_of::<String>();
        let one = [
            &self.version,
            &self.actor_ifi,
            &self.verb,
            &self.object_id,
            &self.activity_type,
            &self.registration,
            &self.platform,
            &self.language,
            &self.authority,
        ];
        let many = [
            &self.context_parent,
            &self.context_grouping,
            &self.context_category,
            &self.context_other,
            &self.ext_keys,
            &self.ext_values,
        ];
        std::mem::size_of::<Self>()
            + one.iter().map(|s| s.capacity()).sum::<usize>()
            + many
                .iter()
                .map(|v| v.capacity() * STRING + v.iter().map(String::capacity).sum::<usize>())
                .sum::<usize>()
    }

    /// The facts of a statement as the request parsed it (with the LRS's fields set).
    pub fn of(st: &Statement) -> Self {
        let result = st.result.as_ref();
        let context = st.context.as_ref();
        let score = result.and_then(|r| r.score.as_ref());
        let (object_type, object_id, definition) = match &st.object {
            StatementObject::Activity(a) => ("Activity", a.id.clone(), a.definition.as_ref()),
            StatementObject::Agent(a) => ("Agent", key_or_json(a.ifi_key(), a), None),
            StatementObject::Group(g) => ("Group", key_or_json(g.ifi_key(), g), None),
            StatementObject::StatementRef(r) => ("StatementRef", r.id.to_string(), None),
            StatementObject::SubStatement(_) => ("SubStatement", String::new(), None),
        };
        let lists = context.and_then(|c| c.context_activities.as_ref());
        let ids = |list: Option<&Vec<cairn_xapi::Activity>>| -> Vec<String> {
            list.map(|l| l.iter().map(|a| a.id.clone()).collect())
                .unwrap_or_default()
        };
        let mut ext = Extracted::default();
        ext.add(
            "result.extensions",
            result.and_then(|r| r.extensions.as_ref()),
        );
        ext.add(
            "context.extensions",
            context.and_then(|c| c.extensions.as_ref()),
        );
        ext.add(
            "object.definition.extensions",
            definition.and_then(|d| d.extensions.as_ref()),
        );
        StatementFacts {
            version: st.version.clone().unwrap_or_default(),
            timestamp_us: st.timestamp.as_deref().and_then(crate::time_fmt::parse_us),
            actor_ifi: actor_key(&st.actor),
            verb: st.verb.id.clone(),
            object_type: Cow::Borrowed(object_type),
            object_id,
            activity_type: definition
                .and_then(|d| d.activity_type.clone())
                .unwrap_or_default(),
            registration: context
                .and_then(|c| c.registration)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            context_parent: ids(lists.and_then(|l| l.parent.as_ref())),
            context_grouping: ids(lists.and_then(|l| l.grouping.as_ref())),
            context_category: ids(lists.and_then(|l| l.category.as_ref())),
            context_other: ids(lists.and_then(|l| l.other.as_ref())),
            score_scaled: score.and_then(|s| s.scaled()),
            score_raw: score.and_then(|s| s.raw()),
            score_min: score.and_then(|s| s.min()),
            score_max: score.and_then(|s| s.max()),
            success: result.and_then(|r| r.success),
            completion: result.and_then(|r| r.completion),
            duration_ms: result
                .and_then(|r| r.duration.as_deref())
                .and_then(duration_ms),
            platform: context.and_then(|c| c.platform.clone()).unwrap_or_default(),
            language: context.and_then(|c| c.language.clone()).unwrap_or_default(),
            authority: st.authority.as_ref().map(actor_key).unwrap_or_default(),
            ext_keys: ext.keys,
            ext_values: ext.values,
        }
    }

    /// The facts of a stored statement's JSON, parsed in one borrowing pass. A body that is not
    /// a statement (which the writer never stores) gives empty facts.
    pub fn from_body(body: &[u8]) -> Self {
        body::facts(body)
    }
}

/// Extension paths and value texts, container by container.
#[derive(Default)]
struct Extracted {
    keys: Vec<String>,
    values: Vec<String>,
}

impl Extracted {
    fn add(&mut self, container: &str, map: Option<&Extensions>) {
        let Some(map) = map else { return };
        let mut sorted: Vec<_> = map.0.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (iri, raw) in sorted {
            self.push(container, iri, raw.get());
        }
    }

    fn push(&mut self, container: &str, iri: &str, raw: &str) {
        let mut key = String::with_capacity(container.len() + 1 + iri.len());
        key.push_str(container);
        key.push('.');
        key.push_str(iri);
        self.keys.push(key);
        self.values.push(cairn_filter::value_text_raw(raw));
    }
}

/// The agent's IFI key (as in the filter keys); for a group identified by its members only,
/// its compact JSON (keys in order), so the column is never silently empty for an authority.
pub fn actor_key(actor: &Actor) -> String {
    key_or_json(actor.ifi_key(), actor)
}

fn key_or_json(ifi: Option<String>, actor: &impl serde::Serialize) -> String {
    ifi.unwrap_or_else(|| {
        serde_json::to_value(actor)
            .map(|v| v.to_string())
            .unwrap_or_default()
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
mod tests;

//! Names instead of IRIs: activity names and verb displays from the definitions the LRS has seen
//! (merged by the writer, `crate::activities`), in the asked language when there is one. Point
//! reads of the embedded store, one or two per id: microseconds each.
use super::{AggregateRow, Dimension};
use crate::Error;
use crate::ids::StoreId;
use crate::ports::LogStore;
use cairn_filter::FieldRef;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// An id and its name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Name {
    pub id: String,
    pub name: String,
}

/// The text of a language map in `lang` when present (case-insensitive), else in the same
/// primary language (`en` for `en-GB`), else `en-US`, then `en`, then any English, then the first
/// language. `None` for an empty map.
pub fn pick(map: &Map<String, Value>, lang: Option<&str>) -> Option<String> {
    let texts: Vec<(&String, &str)> = map
        .iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?)))
        .collect();
    let primary = |l: &str| l.split('-').next().unwrap_or("").to_ascii_lowercase();
    let exact = |want: &str| {
        texts
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(want))
            .map(|(_, t)| t.to_string())
    };
    let same_primary = |want: &str| {
        texts
            .iter()
            .find(|(k, _)| primary(k) == primary(want))
            .map(|(_, t)| t.to_string())
    };
    lang.and_then(exact)
        .or_else(|| lang.and_then(same_primary))
        .or_else(|| exact("en-US"))
        .or_else(|| exact("en"))
        .or_else(|| same_primary("en"))
        .or_else(|| texts.first().map(|(_, t)| t.to_string()))
}

/// The name of one id: its activity's `name`, else the verb's `display`.
fn name_of(
    log: &dyn LogStore,
    store: StoreId,
    id: &str,
    lang: Option<&str>,
) -> Result<Option<String>, Error> {
    for (key, property) in [
        (id.to_string(), "name"),
        (crate::activities::verb_key(id), "display"),
    ] {
        let Some(bytes) = log.activity(store, &key)? else {
            continue;
        };
        if let Ok(Value::Object(def)) = serde_json::from_slice::<Value>(&bytes)
            && let Some(Value::Object(map)) = def.get(property)
            && let Some(name) = pick(map, lang)
        {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The names of `ids` (each at most once, in the order asked; ids without a name are left
/// out). Synchronous: async callers go through [`lookup`].
pub fn names(
    log: &dyn LogStore,
    store: StoreId,
    ids: &[String],
    lang: Option<&str>,
) -> Result<Vec<Name>, Error> {
    let mut out: Vec<Name> = Vec::new();
    for id in ids {
        if out.iter().any(|n| &n.id == id) {
            continue;
        }
        if let Some(name) = name_of(log, store, id, lang)? {
            out.push(Name {
                id: id.clone(),
                name,
            });
        }
    }
    Ok(out)
}

/// [`names`] on a blocking thread (the embedded store may touch disk); no ids, no thread.
pub async fn lookup(
    log: Arc<dyn LogStore>,
    store: StoreId,
    ids: Vec<String>,
    lang: Option<String>,
) -> Result<Vec<Name>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    tokio::task::spawn_blocking(move || names(&*log, store, &ids, lang.as_deref()))
        .await
        .map_err(|e| Error::Internal(format!("names: {e}")))?
}

/// Whether a dimension's keys are verb or activity ids (or lists of activity ids).
fn named(d: &Dimension) -> bool {
    match d {
        Dimension::Verb | Dimension::Activity => true,
        Dimension::Path(FieldRef::Field(f)) => matches!(
            f.path,
            "verb"
                | "object.id"
                | "activity.type"
                | "context.parent"
                | "context.grouping"
                | "context.category"
                | "context.other"
        ),
        _ => false,
    }
}

/// The keys of `rows` that are verb or activity ids (by the dimensions of `group_by`), each
/// once, sorted.
pub fn named_keys(group_by: &[Dimension], rows: &[AggregateRow]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (i, d) in group_by.iter().enumerate() {
        if named(d) {
            ids.extend(rows.iter().filter_map(|r| r.keys.get(i).cloned()));
        }
    }
    ids.sort();
    ids.dedup();
    ids.retain(|id| !id.is_empty());
    ids
}

/// The names of the keys of `rows` that are verb or activity ids, as `{id: name}`: what a
/// widget's data carries next to its rows.
pub async fn for_rows(
    log: Arc<dyn LogStore>,
    store: StoreId,
    group_by: &[Dimension],
    rows: &[AggregateRow],
    lang: Option<String>,
) -> Result<BTreeMap<String, String>, Error> {
    let ids = named_keys(group_by, rows);
    Ok(lookup(log, store, ids, lang)
        .await?
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn picks_the_language_then_english_then_any() {
        let m = map(json!({"fr-FR": "terminé", "en-GB": "finished", "en-US": "completed"}));
        assert_eq!(pick(&m, Some("fr-fr")).as_deref(), Some("terminé"));
        assert_eq!(pick(&m, Some("fr")).as_deref(), Some("terminé"));
        assert_eq!(pick(&m, Some("en-GB")).as_deref(), Some("finished"));
        assert_eq!(pick(&m, Some("de")).as_deref(), Some("completed"));
        assert_eq!(pick(&m, None).as_deref(), Some("completed"));
        let m = map(json!({"de-DE": "fertig", "en-AU": "done"}));
        assert_eq!(pick(&m, Some("es")).as_deref(), Some("done"));
        let m = map(json!({"de-DE": "fertig"}));
        assert_eq!(pick(&m, Some("es")).as_deref(), Some("fertig"));
        assert_eq!(pick(&Map::new(), Some("en")), None);
    }

    #[test]
    fn names_the_keys_of_verb_and_activity_dimensions() {
        let row = |k: [&str; 2]| AggregateRow {
            keys: k.iter().map(|s| s.to_string()).collect(),
            values: vec![Some(1.0)],
            previous: None,
        };
        let rows = [
            row(["http://v/2", "mbox:mailto:a@b.c"]),
            row(["http://v/1", "mbox:mailto:a@b.c"]),
            row(["http://v/2", ""]),
        ];
        assert_eq!(
            named_keys(&[Dimension::Verb, Dimension::Actor], &rows),
            ["http://v/1", "http://v/2"]
        );
        let parent = FieldRef::parse("context.parent").unwrap();
        assert_eq!(
            named_keys(&[Dimension::Actor, Dimension::Path(parent)], &rows),
            ["mbox:mailto:a@b.c"]
        );
        assert!(named_keys(&[Dimension::Actor], &rows).is_empty());
    }
}

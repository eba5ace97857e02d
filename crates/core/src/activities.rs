//! Activity definitions seen in statements, merged per activity id, for the Activities resource.
//! The writer records the merged definition at append time; definitions are kept as JSON objects
//! so that the stored form does not depend on the model's Rust types.
//!
//! Verb displays are kept the same way, merged language by language, under [`verb_key`] (a key
//! that is never an IRI, so no activity id can name it), from every statement whatever the
//! client's scopes: they label charts (`analytics::names`), they are not canonical definitions.
use crate::ids::StoreId;
use crate::ports::LogStore;
use cairn_xapi::{Activity, Statement, StatementObject};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Merged definitions by (store, activity id).
pub type Definitions = HashMap<(StoreId, String), Map<String, Value>>;

/// Properties whose values are maps merged key by key (language maps, extensions; `display`
/// is a verb's).
const MERGED: [&str; 4] = ["name", "description", "extensions", "display"];

/// Where a verb's displays are kept among the activity definitions: a leading space, which no
/// IRI (hence no activity id) has.
pub fn verb_key(verb: &str) -> String {
    format!(" verb {verb}")
}

/// The statement's verb display, as a definition `{"display": {lang: text}}` under
/// [`verb_key`] (`None` when the verb has none).
pub fn verb_display(st: &Statement) -> Option<(String, Map<String, Value>)> {
    let display = st.verb.display.as_ref()?;
    let Ok(Value::Object(m)) = serde_json::to_value(display) else {
        return None;
    };
    if m.is_empty() {
        return None;
    }
    let mut def = Map::new();
    def.insert("display".into(), Value::Object(m));
    Some((verb_key(&st.verb.id), def))
}

/// Every activity of a statement that carries a definition: (id, definition as a JSON object).
pub fn definitions(st: &Statement) -> Vec<(String, Map<String, Value>)> {
    let mut out = Vec::new();
    let mut add = |a: &Activity| {
        if let Some(def) = &a.definition
            && let Ok(Value::Object(m)) = serde_json::to_value(def)
            && !m.is_empty()
        {
            out.push((a.id.clone(), m));
        }
    };
    let visit = |object: &StatementObject,
                 context: Option<&cairn_xapi::Context>,
                 add: &mut dyn FnMut(&Activity)| {
        if let StatementObject::Activity(a) = object {
            add(a);
        }
        if let Some(ca) = context.and_then(|c| c.context_activities.as_ref()) {
            for (_, list) in ca.lists() {
                list.iter().for_each(&mut *add);
            }
        }
    };
    visit(&st.object, st.context.as_ref(), &mut add);
    if let StatementObject::SubStatement(sub) = &st.object {
        visit(&sub.object, sub.context.as_ref(), &mut add);
    }
    out
}

/// Merges a newer definition into an older one: language maps and extensions key by key,
/// every other property replaced when the newer one has it.
pub fn merge(old: &mut Map<String, Value>, new: Map<String, Value>) {
    for (k, v) in new {
        match (MERGED.contains(&k.as_str()), old.get_mut(&k), v) {
            (true, Some(Value::Object(into)), Value::Object(from)) => {
                for (lk, lv) in from {
                    into.insert(lk, lv);
                }
            }
            (_, _, v) => {
                old.insert(k, v);
            }
        }
    }
}

/// Whether merging `new` into `old` would change `old`.
pub fn changes(old: &Map<String, Value>, new: &Map<String, Value>) -> bool {
    new.iter().any(
        |(k, v)| match (MERGED.contains(&k.as_str()), old.get(k), v) {
            (true, Some(Value::Object(into)), Value::Object(from)) => {
                from.iter().any(|(lk, lv)| into.get(lk) != Some(lv))
            }
            (_, existing, v) => existing != Some(v),
        },
    )
}

/// Merges one activity definition of an accepted statement into what is known (`pending`: the
/// group's changes, else `committed`: the writer's cache, else the store) and keeps it in
/// `pending` only when it changed something. Never fails the request: a definition whose stored
/// version cannot be read is skipped (and logged).
pub fn record(
    pending: &mut Definitions,
    committed: &Definitions,
    log: &dyn LogStore,
    store: StoreId,
    id: String,
    def: Map<String, Value>,
) {
    let key = (store, id);
    if let Some(slot) = pending.get_mut(&key) {
        merge(slot, def);
        return;
    }
    let mut current = match committed.get(&key) {
        Some(known) if !changes(known, &def) => return,
        Some(known) => known.clone(),
        None => match log.activity(store, &key.1) {
            Ok(Some(b)) => match serde_json::from_slice(&b) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
            Ok(None) => Map::new(),
            Err(e) => {
                tracing::warn!(error = %e, activity = %key.1, "cannot read the activity definition");
                return;
            }
        },
    };
    merge(&mut current, def);
    pending.insert(key, current);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_language_maps_and_replaces_the_rest() {
        let mut old = json!({"name":{"en-US":"a"},"type":"http://t/1","moreInfo":"http://m"});
        let new = json!({"name":{"fr-FR":"b"},"type":"http://t/2"});
        let (Value::Object(o), Value::Object(n)) = (&mut old, new) else {
            unreachable!()
        };
        assert!(changes(o, &n));
        merge(o, n.clone());
        assert!(!changes(o, &n), "merging again changes nothing");
        assert!(!changes(o, &Map::new()));
        assert_eq!(
            old,
            json!({"name":{"en-US":"a","fr-FR":"b"},"type":"http://t/2","moreInfo":"http://m"})
        );
    }

    #[test]
    fn finds_object_and_context_activities() {
        let st = cairn_xapi::parse_statement(
            br#"{"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://v"},
                "object":{"id":"http://o","definition":{"name":{"en":"o"}}},
                "context":{"contextActivities":{"parent":{"id":"http://p","definition":{"type":"http://t"}},
                "grouping":[{"id":"http://g"}]}}}"#,
            cairn_xapi::XapiVersion::V1_0_3,
        )
        .unwrap();
        let defs = definitions(&st);
        let ids: Vec<&str> = defs.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, vec!["http://o", "http://p"]);
    }

    #[test]
    fn verb_displays_merge_by_language_under_a_key_no_iri_has() {
        let st = |display: &str| {
            cairn_xapi::parse_statement(
                format!(
                    r#"{{"actor":{{"mbox":"mailto:a@b.c"}},"verb":{{"id":"http://v","display":{display}}},
                    "object":{{"id":"http://o"}}}}"#
                )
                .as_bytes(),
                cairn_xapi::XapiVersion::V1_0_3,
            )
            .unwrap()
        };
        let (key, mut def) = verb_display(&st(r#"{"en-US":"did"}"#)).unwrap();
        assert_eq!(key, " verb http://v");
        assert!(
            !key.starts_with(|c: char| c.is_ascii_alphabetic()),
            "not an IRI"
        );
        let (_, fr) = verb_display(&st(r#"{"fr-FR":"a fait"}"#)).unwrap();
        assert!(changes(&def, &fr));
        merge(&mut def, fr);
        assert_eq!(
            Value::Object(def),
            serde_json::json!({"display": {"en-US": "did", "fr-FR": "a fait"}})
        );
    }
}

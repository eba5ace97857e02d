//! Activity definitions seen in statements, merged per activity id, for the Activities resource.
//! The writer records the merged definition at append time; definitions are kept as JSON objects
//! so that the stored form does not depend on the model's Rust types.
//!
//! Verb displays are kept the same way, merged language by language, under [`verb_key`] (a key
//! that is never an IRI, so no activity id can name it), from every statement whatever the
//! client's scopes: they label charts (`analytics::names`), they are not canonical definitions.
//!
//! A statement carries each definition as it was parsed, with a hash of it ([`Carried`]); the
//! writer remembers, per activity, the hash of the last definition that merging left unchanged
//! ([`Known::settled`]), so the same definition sent again (most statements of an activity)
//! costs a hash comparison: no JSON written or parsed, no comparison of JSON trees, no write.
use crate::ids::StoreId;
use crate::ports::LogStore;
use cairn_xapi::{Activity, ActivityDefinition, LanguageMap, Statement, StatementObject};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// Merged definitions by (store, activity id).
pub type Definitions = HashMap<(StoreId, String), Known>;

/// A merged definition, and the hash of a carried definition that merging into it changes
/// nothing (0: none known). Merging is idempotent, so that stays true until the definition
/// changes.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub def: Map<String, Value>,
    pub settled: Cell<u64>,
}

/// What a statement carries for an activity id: an activity's definition, or a verb's displays
/// (kept under [`verb_key`]).
#[derive(Debug, Clone, Hash)]
pub enum Definition {
    Activity(Box<ActivityDefinition>),
    VerbDisplay(LanguageMap),
}

/// An activity definition (or a verb's displays, under [`verb_key`]) as a statement carries
/// it: the activity id, the definition as parsed (taken out of the statement, not copied), and
/// a hash of it.
#[derive(Debug, Clone)]
pub struct Carried {
    pub id: String,
    pub def: Definition,
    /// Never 0. Seeded at random per process (foldhash, a fast hash for many short strings):
    /// equal definitions give equal hashes, and no client can aim a collision at it without
    /// the process's seed. A collision would only make one changed definition look settled
    /// until the next change.
    pub hash: u64,
}

impl Carried {
    pub fn new(id: String, def: Definition) -> Self {
        static SEED: OnceLock<foldhash::quality::RandomState> = OnceLock::new();
        let hash = SEED.get_or_init(Default::default).hash_one(&def) | 1;
        Carried { id, def, hash }
    }

    /// The definition as a JSON object (`None` if it cannot be written as one, which the
    /// parser's types never produce).
    pub fn parse(&self) -> Option<Map<String, Value>> {
        let value = match &self.def {
            Definition::Activity(d) => serde_json::to_value(d),
            Definition::VerbDisplay(display) => serde_json::to_value(display).map(|d| {
                let mut m = Map::new();
                m.insert("display".into(), d);
                Value::Object(m)
            }),
        };
        match value {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        }
    }
}

/// Properties whose values are maps merged key by key (language maps, extensions; `display`
/// is a verb's).
const MERGED: [&str; 4] = ["name", "description", "extensions", "display"];

/// Where a verb's displays are kept among the activity definitions: a leading space, which no
/// IRI (hence no activity id) has.
pub fn verb_key(verb: &str) -> String {
    format!(" verb {verb}")
}

/// The statement's verb display, taken out of it, as a definition `{"display": {lang: text}}`
/// under [`verb_key`] (`None` when the verb has none, or an empty one).
pub fn verb_display(st: &mut Statement) -> Option<Carried> {
    let display = st.verb.display.take().filter(|d| !d.0.is_empty())?;
    Some(Carried::new(
        verb_key(&st.verb.id),
        Definition::VerbDisplay(display),
    ))
}

/// Every activity of a statement that carries a (non-empty) definition, taken out of it.
pub fn definitions(st: &mut Statement) -> Vec<Carried> {
    let mut out = Vec::new();
    let mut add = |a: &mut Activity| {
        if let Some(def) = a.definition.take().filter(|d| !is_empty(d)) {
            out.push(Carried::new(
                a.id.clone(),
                Definition::Activity(Box::new(def)),
            ));
        }
    };
    let mut visit = |object: &mut StatementObject, context: Option<&mut cairn_xapi::Context>| {
        if let StatementObject::Activity(a) = object {
            add(a);
        }
        if let Some(ca) = context.and_then(|c| c.context_activities.as_mut()) {
            ca.lists_mut().flatten().for_each(&mut add);
        }
    };
    visit(&mut st.object, st.context.as_mut());
    if let StatementObject::SubStatement(sub) = &mut st.object {
        visit(&mut sub.object, sub.context.as_mut());
    }
    out
}

/// Whether a definition has no property at all (`{}`), which adds nothing to what is known.
fn is_empty(d: &ActivityDefinition) -> bool {
    let ActivityDefinition {
        name,
        description,
        activity_type,
        more_info,
        interaction_type,
        correct_responses_pattern,
        choices,
        scale,
        source,
        target,
        steps,
        extensions,
    } = d;
    name.is_none()
        && description.is_none()
        && activity_type.is_none()
        && more_info.is_none()
        && interaction_type.is_none()
        && correct_responses_pattern.is_none()
        && choices.is_none()
        && scale.is_none()
        && source.is_none()
        && target.is_none()
        && steps.is_none()
        && extensions.is_none()
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
    carried: Carried,
) {
    record_with(pending, committed, store, carried, |id| {
        log.activity(store, id)
    });
}

/// [`record`] over `stored`, the stored definition of an activity id.
pub fn record_with(
    pending: &mut Definitions,
    committed: &Definitions,
    store: StoreId,
    carried: Carried,
    stored: impl FnOnce(&str) -> Result<Option<Vec<u8>>, crate::ports::StoreError>,
) {
    let hash = carried.hash;
    let key = (store, carried.id.clone());
    if let Some(slot) = pending.get_mut(&key) {
        if slot.settled.get() != hash
            && let Some(def) = carried.parse()
        {
            merge(&mut slot.def, def);
            slot.settled.set(hash);
        }
        return;
    }
    let known = committed.get(&key);
    if known.is_some_and(|k| k.settled.get() == hash) {
        return;
    }
    let Some(def) = carried.parse() else { return };
    let mut current = match known {
        Some(k) if !changes(&k.def, &def) => {
            k.settled.set(hash);
            return;
        }
        Some(k) => k.def.clone(),
        None => match stored(&key.1) {
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
    pending.insert(
        key,
        Known {
            def: current,
            settled: Cell::new(hash),
        },
    );
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

    fn carried(json: serde_json::Value) -> Carried {
        Carried::new(
            "http://o".into(),
            Definition::Activity(serde_json::from_value(json).unwrap()),
        )
    }

    /// The same definition again is settled by its hash: nothing parsed, read nor written.
    #[test]
    fn a_definition_seen_again_costs_only_its_hash() {
        let key = (StoreId::DEFAULT, "http://o".to_string());
        let mut committed = Definitions::new();
        let mut pending = Definitions::new();
        let en = carried(json!({"name": {"en": "o"}}));
        let reads = Cell::new(0);
        let stored = |_: &str| {
            reads.set(reads.get() + 1);
            Ok(None)
        };
        record_with(
            &mut pending,
            &committed,
            StoreId::DEFAULT,
            en.clone(),
            stored,
        );
        assert_eq!(reads.get(), 1, "unknown: read from the store once");
        assert_eq!(pending[&key].settled.get(), en.hash);
        committed.extend(pending.drain());

        // Sent again: settled, nothing pending, nothing read.
        let never = |_: &str| -> Result<Option<Vec<u8>>, crate::ports::StoreError> {
            panic!("read from the store")
        };
        record_with(
            &mut pending,
            &committed,
            StoreId::DEFAULT,
            en.clone(),
            never,
        );
        assert!(pending.is_empty());

        // Another definition that merging leaves unchanged (a language already known, sent
        // alone after a richer one): compared once, settled without a write.
        let spaced = carried(json!({"name": {"en": "o"}, "type": "http://t"}));
        committed
            .get_mut(&key)
            .unwrap()
            .def
            .insert("type".into(), json!("http://t"));
        assert_ne!(spaced.hash, en.hash);
        record_with(
            &mut pending,
            &committed,
            StoreId::DEFAULT,
            spaced.clone(),
            never,
        );
        assert!(pending.is_empty());
        assert_eq!(committed[&key].settled.get(), spaced.hash);

        // A new language is merged once, then settled in the group too.
        let fr = carried(json!({"name": {"fr": "o"}}));
        record_with(
            &mut pending,
            &committed,
            StoreId::DEFAULT,
            fr.clone(),
            never,
        );
        assert_eq!(
            Value::Object(pending[&key].def.clone()),
            json!({"name": {"en": "o", "fr": "o"}, "type": "http://t"})
        );
        record_with(&mut pending, &committed, StoreId::DEFAULT, fr, never);
        assert_eq!(pending.len(), 1);
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
        let mut st = st;
        let defs = definitions(&mut st);
        let ids: Vec<&str> = defs.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["http://o", "http://p"]);
        assert_eq!(
            defs[0].parse().map(Value::Object),
            Some(serde_json::json!({"name": {"en": "o"}}))
        );
        let StatementObject::Activity(o) = &st.object else {
            unreachable!()
        };
        assert!(o.definition.is_none(), "taken out, not copied");
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
        let en = verb_display(&mut st(r#"{"en-US":"did"}"#)).unwrap();
        let (key, mut def) = (en.id.clone(), en.parse().unwrap());
        assert_eq!(key, " verb http://v");
        assert!(
            !key.starts_with(|c: char| c.is_ascii_alphabetic()),
            "not an IRI"
        );
        let fr = verb_display(&mut st(r#"{"fr-FR":"a fait"}"#))
            .unwrap()
            .parse()
            .unwrap();
        assert!(changes(&def, &fr));
        merge(&mut def, fr);
        assert_eq!(
            Value::Object(def),
            serde_json::json!({"display": {"en-US": "did", "fr-FR": "a fait"}})
        );
    }
}

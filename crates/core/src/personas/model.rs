//! Personas as data: the persona, its identifiers (IFI keys, as the projection stores actors),
//! the changes recorded in the log, and the state they build.
use crate::ids::StoreId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A person as the LRS knows them: a name, free attributes and every agent identifier they use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    pub id: Uuid,
    pub store: StoreId,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    /// IFI keys (`mbox:mailto:…`, `mbox_sha1sum:…`, `openid:…`, `account:<homePage>|<name>`),
    /// in the order they were added.
    pub identifiers: Vec<String>,
    pub created_us: i64,
    pub updated_us: i64,
}

impl Persona {
    /// Whether a search text matches this persona: a case-insensitive substring of its name, of
    /// one of its identifiers (as IFI keys, so `ada@example.com` finds `mbox:mailto:ada@…` and
    /// `lms.example.com` an account's home page) or of an attribute value. Blank text matches
    /// every persona.
    pub fn matches(&self, text: &str) -> bool {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return true;
        }
        let has = |s: &str| s.to_lowercase().contains(&needle);
        has(&self.name)
            || self.identifiers.iter().any(|i| has(i))
            || self.attributes.values().any(|v| has(v))
    }
}

/// One change to the personas of a store. Each names the identifiers whose persona it changes,
/// so the projection of the mapping never needs the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PersonaChange {
    Created {
        id: Uuid,
        name: String,
        attributes: BTreeMap<String, String>,
        identifiers: Vec<String>,
    },
    Renamed {
        id: Uuid,
        name: String,
    },
    AttributesReplaced {
        id: Uuid,
        attributes: BTreeMap<String, String>,
    },
    IdentifierAdded {
        id: Uuid,
        ifi: String,
    },
    IdentifierRemoved {
        id: Uuid,
        ifi: String,
    },
    /// `from`'s identifiers now belong to `into`; `from` is gone.
    Merged {
        from: Uuid,
        into: Uuid,
        moved: Vec<String>,
    },
    /// A new persona `id` takes `moved` out of `from`.
    Split {
        from: Uuid,
        id: Uuid,
        name: String,
        moved: Vec<String>,
    },
    /// The persona is gone; its identifiers fall back to implicit personas.
    Deleted {
        id: Uuid,
        released: Vec<String>,
    },
}

/// A persona change as appended to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonaEvent {
    pub store: StoreId,
    pub at_us: i64,
    pub change: PersonaChange,
}

impl PersonaChange {
    /// Identifiers whose persona this change sets (`Some`) or releases (`None`).
    pub fn links(&self) -> Vec<(&str, Option<Uuid>)> {
        match self {
            PersonaChange::Created {
                id, identifiers, ..
            } => identifiers
                .iter()
                .map(|i| (i.as_str(), Some(*id)))
                .collect(),
            PersonaChange::Renamed { .. } | PersonaChange::AttributesReplaced { .. } => vec![],
            PersonaChange::IdentifierAdded { id, ifi } => vec![(ifi.as_str(), Some(*id))],
            PersonaChange::IdentifierRemoved { ifi, .. } => vec![(ifi.as_str(), None)],
            PersonaChange::Merged { into, moved, .. } => {
                moved.iter().map(|i| (i.as_str(), Some(*into))).collect()
            }
            PersonaChange::Split { id, moved, .. } => {
                moved.iter().map(|i| (i.as_str(), Some(*id))).collect()
            }
            PersonaChange::Deleted { released, .. } => {
                released.iter().map(|i| (i.as_str(), None)).collect()
            }
        }
    }
}

/// What a change does to the stored personas: new versions (or `None` to remove).
pub(crate) fn effects(
    lookup: &dyn Lookup,
    store: StoreId,
    change: &PersonaChange,
    at_us: i64,
) -> Vec<(Uuid, Option<Persona>)> {
    let get = |id: &Uuid| lookup.persona(store, *id);
    let touch = |mut p: Persona, f: &dyn Fn(&mut Persona)| {
        f(&mut p);
        p.updated_us = at_us;
        p
    };
    match change {
        PersonaChange::Created {
            id,
            name,
            attributes,
            identifiers,
        } => vec![(
            *id,
            Some(Persona {
                id: *id,
                store,
                name: name.clone(),
                attributes: attributes.clone(),
                identifiers: identifiers.clone(),
                created_us: at_us,
                updated_us: at_us,
            }),
        )],
        PersonaChange::Renamed { id, name } => get(id)
            .map(|p| (*id, Some(touch(p, &|p| p.name = name.clone()))))
            .into_iter()
            .collect(),
        PersonaChange::AttributesReplaced { id, attributes } => get(id)
            .map(|p| (*id, Some(touch(p, &|p| p.attributes = attributes.clone()))))
            .into_iter()
            .collect(),
        PersonaChange::IdentifierAdded { id, ifi } => get(id)
            .map(|p| (*id, Some(touch(p, &|p| p.identifiers.push(ifi.clone())))))
            .into_iter()
            .collect(),
        PersonaChange::IdentifierRemoved { id, ifi } => get(id)
            .map(|p| (*id, Some(touch(p, &|p| p.identifiers.retain(|i| i != ifi)))))
            .into_iter()
            .collect(),
        PersonaChange::Merged { from, into, moved } => {
            let mut out = vec![(*from, None)];
            if let Some(p) = get(into) {
                out.push((
                    *into,
                    Some(touch(p, &|p| p.identifiers.extend(moved.clone()))),
                ));
            }
            out
        }
        PersonaChange::Split {
            from,
            id,
            name,
            moved,
        } => {
            let mut out = Vec::new();
            if let Some(p) = get(from) {
                out.push((
                    *from,
                    Some(touch(p, &|p| p.identifiers.retain(|i| !moved.contains(i)))),
                ));
            }
            out.push((
                *id,
                Some(Persona {
                    id: *id,
                    store,
                    name: name.clone(),
                    attributes: BTreeMap::new(),
                    identifiers: moved.clone(),
                    created_us: at_us,
                    updated_us: at_us,
                }),
            ));
            out
        }
        PersonaChange::Deleted { id, .. } => vec![(*id, None)],
    }
}

/// Reads personas: the committed state, or the state as a group of changes leaves it.
pub trait Lookup {
    fn persona(&self, store: StoreId, id: Uuid) -> Option<Persona>;
    /// The persona holding an identifier.
    fn holder(&self, store: StoreId, ifi: &str) -> Option<Uuid>;
}

/// Every persona of every store, with the identifier → persona index.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PersonaState {
    personas: BTreeMap<(StoreId, Uuid), Persona>,
    holders: HashMap<(StoreId, String), Uuid>,
}

impl Lookup for PersonaState {
    fn persona(&self, store: StoreId, id: Uuid) -> Option<Persona> {
        self.personas.get(&(store, id)).cloned()
    }

    fn holder(&self, store: StoreId, ifi: &str) -> Option<Uuid> {
        self.holders.get(&(store, ifi.to_string())).copied()
    }
}

impl PersonaState {
    /// Builds the state from materialized personas.
    pub fn from_personas(all: impl IntoIterator<Item = Persona>) -> Self {
        let mut s = PersonaState::default();
        for p in all {
            s.put(p.id, Some(p), None);
        }
        s
    }

    /// Replaces (or removes) one persona, keeping the identifier index true.
    pub(crate) fn put(&mut self, id: Uuid, persona: Option<Persona>, store: Option<StoreId>) {
        let store = persona.as_ref().map(|p| p.store).or(store);
        let Some(store) = store else { return };
        if let Some(old) = self.personas.remove(&(store, id)) {
            for i in &old.identifiers {
                if self.holders.get(&(store, i.clone())) == Some(&id) {
                    self.holders.remove(&(store, i.clone()));
                }
            }
        }
        if let Some(p) = persona {
            for i in &p.identifiers {
                self.holders.insert((store, i.clone()), id);
            }
            self.personas.insert((store, id), p);
        }
    }

    /// Applies one logged change.
    pub fn apply(&mut self, event: &PersonaEvent) {
        for (id, p) in effects(self, event.store, &event.change, event.at_us) {
            self.put(id, p, Some(event.store));
        }
    }

    /// A store's personas in id order (creation order: ids are UUIDv7).
    pub fn of_store(&self, store: StoreId) -> impl Iterator<Item = &Persona> {
        let lo = (store, Uuid::nil());
        let hi = (store, Uuid::max());
        self.personas.range(lo..=hi).map(|(_, p)| p)
    }

    pub fn len(&self) -> usize {
        self.personas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.personas.is_empty()
    }
}

/// Identifier kinds as the admin API and CSV import name them.
pub const IDENTIFIER_KINDS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

/// The IFI key of an identifier given as an Agent-like JSON object (`{"mbox": …}`,
/// `{"account": {"homePage": …, "name": …}}`, …), validated by the xAPI rules.
pub fn ifi_of(value: &serde_json::Value) -> Result<String, String> {
    let Some(obj) = value.as_object() else {
        return Err("an identifier is an object such as {\"mbox\": \"mailto:…\"}".into());
    };
    let mut agent = serde_json::Map::new();
    for (k, v) in obj {
        if !IDENTIFIER_KINDS.contains(&k.as_str()) {
            return Err(format!(
                "unknown identifier property {k:?} (expected one of mbox, mbox_sha1sum, openid, account)"
            ));
        }
        agent.insert(k.clone(), v.clone());
    }
    agent.insert("objectType".into(), "Agent".into());
    let json = serde_json::Value::Object(agent).to_string();
    let actor = cairn_xapi::parse_agent_param(&json, cairn_xapi::XapiVersion::V2_0_0)
        .map_err(|e| e.to_string().replace("agent", "identifier"))?;
    actor.ifi_key().ok_or_else(|| {
        "an identifier needs exactly one of mbox, mbox_sha1sum, openid, account".into()
    })
}

/// An IFI key back as the Agent-like JSON object it came from.
pub fn identifier_json(ifi: &str) -> serde_json::Value {
    let (kind, rest) = ifi.split_once(':').unwrap_or(("", ifi));
    match kind {
        "account" => {
            let (home, name) = rest.split_once('|').unwrap_or((rest, ""));
            serde_json::json!({"account": {"homePage": home, "name": name}})
        }
        "mbox" | "mbox_sha1sum" | "openid" => serde_json::json!({ kind: rest }),
        _ => serde_json::json!({ "ifi": ifi }),
    }
}

/// The xAPI Person object of a persona: its name and every identifier, grouped by kind.
pub fn person_of(persona: &Persona, extra_names: &[String]) -> serde_json::Value {
    let mut names = vec![serde_json::Value::from(persona.name.clone())];
    for n in extra_names {
        if *n != persona.name {
            names.push(n.clone().into());
        }
    }
    let mut out = serde_json::Map::new();
    out.insert("objectType".into(), "Person".into());
    out.insert("name".into(), names.into());
    for ifi in &persona.identifiers {
        if let Some(obj) = identifier_json(ifi).as_object() {
            for (k, v) in obj {
                if k == "ifi" {
                    continue;
                }
                let list = out
                    .entry(k.clone())
                    .or_insert_with(|| serde_json::Value::Array(vec![]));
                if let Some(a) = list.as_array_mut() {
                    a.push(v.clone());
                }
            }
        }
    }
    serde_json::Value::Object(out)
}

//! Deciding persona commands: each is checked against the personas as they stand (committed
//! state plus the earlier changes of the same group) and becomes the changes to log.
use super::model::{Lookup, Persona, PersonaChange, effects};
use crate::error::Error;
use crate::ids::StoreId;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Longest persona name.
pub const MAX_NAME_CHARS: usize = 200;

/// What a caller asks of a store's personas. Identifiers are IFI keys (see
/// [`super::ifi_of`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PersonaCommand {
    Create {
        id: Uuid,
        name: String,
        attributes: BTreeMap<String, String>,
        identifiers: Vec<String>,
    },
    Update {
        id: Uuid,
        name: Option<String>,
        attributes: Option<BTreeMap<String, String>>,
    },
    AddIdentifier {
        id: Uuid,
        ifi: String,
    },
    RemoveIdentifier {
        id: Uuid,
        ifi: String,
    },
    /// Moves every identifier of `from` into `into` and removes `from`.
    Merge {
        from: Uuid,
        into: Uuid,
    },
    /// Moves `identifiers` of `from` into a new persona `id` named `name`.
    Split {
        from: Uuid,
        id: Uuid,
        name: String,
        identifiers: Vec<String>,
    },
    Delete {
        id: Uuid,
    },
}

fn name_ok(name: &str) -> Result<String, Error> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Error::BadRequest("a persona needs a non-empty name".into()));
    }
    if n.chars().count() > MAX_NAME_CHARS {
        return Err(Error::BadRequest(format!(
            "a persona name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(n.to_string())
}

fn existing(l: &dyn Lookup, store: StoreId, id: Uuid) -> Result<Persona, Error> {
    l.persona(store, id).ok_or(Error::NotFound)
}

fn free(l: &dyn Lookup, store: StoreId, ifi: &str, except: Option<Uuid>) -> Result<(), Error> {
    match l.holder(store, ifi) {
        Some(other) if Some(other) != except => Err(Error::Conflict(format!(
            "identifier {ifi} already belongs to persona {other}"
        ))),
        _ => Ok(()),
    }
}

fn dedup(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for i in list {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

/// The changes a command makes, or why it cannot be done.
pub fn decide(
    l: &dyn Lookup,
    store: StoreId,
    cmd: PersonaCommand,
) -> Result<Vec<PersonaChange>, Error> {
    use PersonaChange as C;
    Ok(match cmd {
        PersonaCommand::Create {
            id,
            name,
            attributes,
            identifiers,
        } => {
            if l.persona(store, id).is_some() {
                return Err(Error::Conflict(format!("persona {id} already exists")));
            }
            let identifiers = dedup(&identifiers);
            for i in &identifiers {
                free(l, store, i, None)?;
            }
            vec![C::Created {
                id,
                name: name_ok(&name)?,
                attributes,
                identifiers,
            }]
        }
        PersonaCommand::Update {
            id,
            name,
            attributes,
        } => {
            let p = existing(l, store, id)?;
            let mut out = Vec::new();
            if let Some(n) = name {
                let n = name_ok(&n)?;
                if n != p.name {
                    out.push(C::Renamed { id, name: n });
                }
            }
            if let Some(a) = attributes
                && a != p.attributes
            {
                out.push(C::AttributesReplaced { id, attributes: a });
            }
            out
        }
        PersonaCommand::AddIdentifier { id, ifi } => {
            let p = existing(l, store, id)?;
            free(l, store, &ifi, Some(id))?;
            if p.identifiers.contains(&ifi) {
                vec![]
            } else {
                vec![C::IdentifierAdded { id, ifi }]
            }
        }
        PersonaCommand::RemoveIdentifier { id, ifi } => {
            let p = existing(l, store, id)?;
            if !p.identifiers.contains(&ifi) {
                return Err(Error::BadRequest(format!(
                    "{ifi} is not an identifier of persona {id}"
                )));
            }
            vec![C::IdentifierRemoved { id, ifi }]
        }
        PersonaCommand::Merge { from, into } => {
            if from == into {
                return Err(Error::BadRequest(
                    "a persona cannot merge into itself".into(),
                ));
            }
            let f = existing(l, store, from)?;
            existing(l, store, into)?;
            vec![C::Merged {
                from,
                into,
                moved: f.identifiers,
            }]
        }
        PersonaCommand::Split {
            from,
            id,
            name,
            identifiers,
        } => {
            let f = existing(l, store, from)?;
            if l.persona(store, id).is_some() {
                return Err(Error::Conflict(format!("persona {id} already exists")));
            }
            let moved = dedup(&identifiers);
            if moved.is_empty() {
                return Err(Error::BadRequest(
                    "a split names at least one identifier to move".into(),
                ));
            }
            if let Some(i) = moved.iter().find(|i| !f.identifiers.contains(i)) {
                return Err(Error::BadRequest(format!(
                    "{i} is not an identifier of persona {from}"
                )));
            }
            vec![C::Split {
                from,
                id,
                name: name_ok(&name)?,
                moved,
            }]
        }
        PersonaCommand::Delete { id } => {
            let p = existing(l, store, id)?;
            vec![C::Deleted {
                id,
                released: p.identifiers,
            }]
        }
    })
}

/// Persona changes made by a group not yet committed, over the committed state.
#[derive(Debug, Default, Clone)]
pub struct Delta {
    personas: HashMap<(StoreId, Uuid), Option<Persona>>,
    holders: HashMap<(StoreId, String), Option<Uuid>>,
}

/// The personas below (the committed state, or another overlay) as a [`Delta`] leaves them.
pub struct Overlay<'a> {
    pub base: &'a dyn Lookup,
    pub delta: &'a Delta,
}

impl Lookup for Overlay<'_> {
    fn persona(&self, store: StoreId, id: Uuid) -> Option<Persona> {
        match self.delta.personas.get(&(store, id)) {
            Some(p) => p.clone(),
            None => self.base.persona(store, id),
        }
    }

    fn holder(&self, store: StoreId, ifi: &str) -> Option<Uuid> {
        match self.delta.holders.get(&(store, ifi.to_string())) {
            Some(h) => *h,
            None => self.base.holder(store, ifi),
        }
    }
}

impl Delta {
    /// Applies a change; answers the personas it wrote (for the embedded store).
    pub fn apply(
        &mut self,
        base: &dyn Lookup,
        store: StoreId,
        change: &PersonaChange,
        at_us: i64,
    ) -> Vec<(Uuid, Option<Persona>)> {
        let written = effects(&Overlay { base, delta: self }, store, change, at_us);
        for (id, p) in &written {
            let old = Overlay { base, delta: self }.persona(store, *id);
            for i in old.iter().flat_map(|o| o.identifiers.iter()) {
                let key = (store, i.clone());
                let held = Overlay { base, delta: self }.holder(store, i);
                if held == Some(*id) {
                    self.holders.insert(key, None);
                }
            }
            for i in p.iter().flat_map(|p| p.identifiers.iter()) {
                self.holders.insert((store, i.clone()), Some(*id));
            }
            self.personas.insert((store, *id), p.clone());
        }
        written
    }

    /// Takes in the changes of `later`, a delta made over this one.
    pub fn absorb(&mut self, later: Delta) {
        self.personas.extend(later.personas);
        self.holders.extend(later.holders);
    }
}

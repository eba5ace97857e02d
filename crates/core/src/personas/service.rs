//! The personas service: what the admin API calls. Reads come from the in-memory state; every
//! change goes through the writer, which decides it atomically. Viewers read, analysts and more
//! change (see [`crate::tenancy::access::needs`]).
use super::Personas;
use super::decide::PersonaCommand;
use super::model::{Lookup, Persona};
use crate::error::Error;
use crate::ids::StoreId;
use crate::tenancy::access::needs;
use crate::tenancy::{ListQuery, Listed, Subject, TenancyService, page};
use crate::writer::WriterHandle;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PersonaServiceConfig {
    /// CSV rows applied per writer request during an import.
    pub import_batch_rows: usize,
    /// Parsed CSV batches waiting to be applied (the reader blocks beyond this).
    pub import_queue_batches: usize,
    /// Row errors an import report lists in full (later ones are only counted).
    pub import_max_errors: usize,
}

impl Default for PersonaServiceConfig {
    fn default() -> Self {
        PersonaServiceConfig {
            import_batch_rows: 500,
            import_queue_batches: 4,
            import_max_errors: 10_000,
        }
    }
}

/// A persona as an identifier resolves to it: a stored one, or the implicit persona of an
/// identifier no persona holds (its id is the IFI key, it has no name).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaView {
    pub id: String,
    pub implicit: bool,
    pub name: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub identifiers: Vec<String>,
}

#[derive(Clone)]
pub struct PersonaService {
    pub(super) personas: Arc<Personas>,
    pub(super) writer: WriterHandle,
    pub(super) tenancy: TenancyService,
    pub(super) config: PersonaServiceConfig,
}

impl PersonaService {
    pub fn new(
        personas: Arc<Personas>,
        writer: WriterHandle,
        tenancy: TenancyService,
        config: PersonaServiceConfig,
    ) -> Self {
        PersonaService {
            personas,
            writer,
            tenancy,
            config,
        }
    }

    pub(super) fn can_view(&self, s: &Subject, store: StoreId) -> Result<(), Error> {
        self.tenancy
            .store_as(s, store, needs::VIEW_STORE)
            .map(|_| ())
    }

    pub(super) fn can_edit(&self, s: &Subject, store: StoreId) -> Result<(), Error> {
        self.tenancy
            .store_as(s, store, needs::EDIT_PERSONAS)
            .map(|_| ())
    }

    fn current(&self, store: StoreId, id: Uuid) -> Result<Persona, Error> {
        self.personas
            .read()
            .persona(store, id)
            .ok_or(Error::NotFound)
    }

    pub(super) async fn apply(
        &self,
        store: StoreId,
        commands: Vec<PersonaCommand>,
    ) -> Result<(), Error> {
        self.writer.personas(store, commands).await.map(|_| ())
    }

    /// A store's personas in creation order, optionally by name (case-insensitive substring)
    /// and by a search text matching the name, an identifier or an attribute value (see
    /// [`Persona::matches`]).
    pub fn list(
        &self,
        s: &Subject,
        store: StoreId,
        q: &ListQuery,
        search: Option<&str>,
    ) -> Result<Listed<Persona>, Error> {
        self.can_view(s, store)?;
        let st = self.personas.read();
        Ok(page(
            st.of_store(store)
                .filter(|p| q.name_matches(&p.name) && search.is_none_or(|t| p.matches(t)))
                .map(|p| (p.id, p.clone())),
            q,
        ))
    }

    pub fn get(&self, s: &Subject, store: StoreId, id: Uuid) -> Result<Persona, Error> {
        self.can_view(s, store)?;
        self.current(store, id)
    }

    /// The persona an identifier (IFI key) belongs to, implicit when no persona holds it.
    pub fn lookup(&self, s: &Subject, store: StoreId, ifi: &str) -> Result<PersonaView, Error> {
        self.can_view(s, store)?;
        Ok(self.resolve(store, ifi))
    }

    /// The persona of an identifier, without access checks (the xAPI Agents resource).
    pub fn resolve(&self, store: StoreId, ifi: &str) -> PersonaView {
        let st = self.personas.read();
        match st.holder(store, ifi).and_then(|id| st.persona(store, id)) {
            Some(p) => PersonaView {
                id: p.id.to_string(),
                implicit: false,
                name: Some(p.name),
                attributes: p.attributes,
                identifiers: p.identifiers,
            },
            None => PersonaView {
                id: ifi.to_string(),
                implicit: true,
                name: None,
                attributes: BTreeMap::new(),
                identifiers: vec![ifi.to_string()],
            },
        }
    }

    /// The display names of the personas among `keys` (persona ids as text; other keys, such as
    /// the identifier of a person without a persona, are skipped), as `(key, name)`. No access
    /// checks: the caller already reads the rows these keys came from.
    pub fn names_of(&self, store: StoreId, keys: &[String]) -> Vec<(String, String)> {
        let st = self.personas.read();
        keys.iter()
            .filter_map(|k| {
                let id = Uuid::parse_str(k).ok()?;
                let p = st.persona(store, id)?;
                (!p.name.is_empty()).then(|| (k.clone(), p.name))
            })
            .collect()
    }

    /// The stored persona holding an identifier, if any (no access checks).
    pub fn holder_of(&self, store: StoreId, ifi: &str) -> Option<Persona> {
        let st = self.personas.read();
        st.holder(store, ifi).and_then(|id| st.persona(store, id))
    }

    pub async fn create(
        &self,
        s: &Subject,
        store: StoreId,
        name: &str,
        attributes: BTreeMap<String, String>,
        identifiers: Vec<String>,
    ) -> Result<Persona, Error> {
        self.can_edit(s, store)?;
        let id = Uuid::now_v7();
        let cmd = PersonaCommand::Create {
            id,
            name: name.to_string(),
            attributes,
            identifiers,
        };
        self.apply(store, vec![cmd]).await?;
        self.current(store, id)
    }

    pub async fn update(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        name: Option<String>,
        attributes: Option<BTreeMap<String, String>>,
    ) -> Result<Persona, Error> {
        self.can_edit(s, store)?;
        let cmd = PersonaCommand::Update {
            id,
            name,
            attributes,
        };
        self.apply(store, vec![cmd]).await?;
        self.current(store, id)
    }

    pub async fn add_identifier(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        ifi: String,
    ) -> Result<Persona, Error> {
        self.can_edit(s, store)?;
        self.apply(store, vec![PersonaCommand::AddIdentifier { id, ifi }])
            .await?;
        self.current(store, id)
    }

    pub async fn remove_identifier(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        ifi: String,
    ) -> Result<Persona, Error> {
        self.can_edit(s, store)?;
        self.apply(store, vec![PersonaCommand::RemoveIdentifier { id, ifi }])
            .await?;
        self.current(store, id)
    }

    /// Moves every identifier of `from` into `into`; `from` is removed.
    pub async fn merge(
        &self,
        s: &Subject,
        store: StoreId,
        into: Uuid,
        from: Uuid,
    ) -> Result<Persona, Error> {
        self.can_edit(s, store)?;
        self.apply(store, vec![PersonaCommand::Merge { from, into }])
            .await?;
        self.current(store, into)
    }

    /// Moves some identifiers of `from` into a new persona; answers (from, new).
    pub async fn split(
        &self,
        s: &Subject,
        store: StoreId,
        from: Uuid,
        name: &str,
        identifiers: Vec<String>,
    ) -> Result<(Persona, Persona), Error> {
        self.can_edit(s, store)?;
        let id = Uuid::now_v7();
        let cmd = PersonaCommand::Split {
            from,
            id,
            name: name.to_string(),
            identifiers,
        };
        self.apply(store, vec![cmd]).await?;
        Ok((self.current(store, from)?, self.current(store, id)?))
    }

    pub async fn delete(&self, s: &Subject, store: StoreId, id: Uuid) -> Result<(), Error> {
        self.can_edit(s, store)?;
        self.apply(store, vec![PersonaCommand::Delete { id }]).await
    }
}

//! One group commit in preparation: document and tenancy requests, with their preconditions
//! evaluated against the committed state plus the group's earlier writes.
use super::group::Group;
use super::*;

impl Group {
    /// The current version of a document: this group's pending write, else the committed one.
    pub(super) fn document(
        &self,
        log: &dyn LogStore,
        store: StoreId,
        key: &DocumentKey,
    ) -> Result<Option<Arc<DocumentRecord>>, Error> {
        if let Some(pending) = self.docs.get(&(store, key.clone())) {
            return Ok(pending.clone());
        }
        Ok(log.document(store, key)?.map(Arc::new))
    }

    /// Checks one document request and, when it succeeds, adds its changes to the group.
    pub(super) fn plan_document(
        &mut self,
        log: &dyn LogStore,
        req: DocumentRequest,
    ) -> Result<(), Error> {
        let store = req.store;
        let mut changes: Vec<(DocumentOp, DocumentRecord)> = Vec::new();
        let now = self.stored_us + 1;
        match &req.write {
            DocumentWrite::DeleteAll { scope } => {
                let mut keys: Vec<DocumentKey> = log
                    .documents(store, scope)?
                    .into_iter()
                    .map(|d| d.key)
                    .filter(|k| !self.docs.contains_key(&(store, k.clone())))
                    .collect();
                for ((s, k), v) in &self.docs {
                    if *s == store && v.is_some() && k.in_scope(scope) {
                        keys.push(k.clone());
                    }
                }
                for key in keys {
                    changes.push((
                        DocumentOp::Delete,
                        DocumentRecord::new(key, String::new(), Vec::new(), now),
                    ));
                }
            }
            DocumentWrite::Put { key, .. }
            | DocumentWrite::Merge { key, .. }
            | DocumentWrite::Delete { key } => {
                let current = self.document(log, store, key)?;
                if let Some(change) = crate::documents::decide(
                    current.as_deref(),
                    &req.write,
                    &req.preconditions,
                    req.put_policy,
                    now,
                )? {
                    changes.push(change);
                }
            }
        }
        if !changes.is_empty() {
            self.stored_us += 1;
        }
        for (op, doc) in changes {
            self.seq += 1;
            let doc = Arc::new(doc);
            let key = doc.key.clone();
            let version = (op != DocumentOp::Delete).then(|| doc.clone());
            self.ws
                .documents
                .push((store, key.clone(), version.clone()));
            self.docs.insert((store, key), version);
            let event = DocumentEvent {
                store,
                op,
                doc: (*doc).clone(),
            };
            self.ws
                .events
                .push((self.seq, Arc::new(Event::Document(Arc::new(event)))));
        }
        Ok(())
    }

    /// Checks tenancy commands (all or nothing) and adds their events to the group.
    pub(super) fn plan_tenancy(
        &mut self,
        registry: Option<&crate::tenancy::Registry>,
        commands: Vec<crate::tenancy::TenancyCommand>,
    ) -> Result<(), Error> {
        let Some(registry) = registry else {
            return Err(Error::Internal("the writer has no tenancy".into()));
        };
        let mut scratch = match &self.tenancy {
            Some(t) => t.clone(),
            None => registry.current().state.clone(),
        };
        let at_us = self.stored_us + 1;
        let mut changes = Vec::new();
        for cmd in commands {
            for ch in crate::tenancy::decide(&scratch, cmd, at_us)? {
                scratch.apply(&ch);
                changes.push(ch);
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.stored_us = at_us;
        for change in changes {
            self.seq += 1;
            self.ws.entities.push(change.row());
            let event = crate::tenancy::TenancyEvent { at_us, change };
            self.ws
                .events
                .push((self.seq, Arc::new(Event::Tenancy(Arc::new(event)))));
        }
        self.tenancy = Some(scratch);
        Ok(())
    }

    /// Moves what is kept per key (activity definitions) into the write set, before commit;
    /// returns the merged definitions for the writer's cache (once the commit succeeds).
    ///
    /// The group's restored positions are added to the ranges recorded in `log`, and the new
    /// list goes in the write set with them ([`crate::timeline::restored`]).
    pub(super) fn seal(&mut self, log: &dyn LogStore) -> Result<Merged, crate::ports::StoreError> {
        if let Some(new) = self.restored {
            use crate::timeline::restored;
            let all = restored::merge(&restored::load(log)?, new);
            self.ws
                .meta
                .push((restored::RESTORED_META.into(), Some(restored::encode(&all))));
            self.restored_all = Some(all);
        }
        let merged: Vec<_> = self.activities.drain().collect();
        for ((store, id), known) in &merged {
            let json = serde_json::to_vec(&known.def).unwrap_or_default();
            self.ws.activities.push((*store, id.clone(), json));
        }
        Ok(merged)
    }
}

/// The activity definitions a group merged, by (store, activity id).
pub(super) type Merged = Vec<((StoreId, String), crate::activities::Known)>;

//! One group commit in preparation: statements. Checks each append request against the
//! committed state plus the earlier requests of the same group, then assigns sequence numbers
//! and `stored` times.
use super::*;
use crate::timeline::{Restored, restored};

/// One group commit in preparation.
pub(super) struct Group {
    pub(super) seq: u64,
    pub(super) stored_us: i64,
    pub(super) ws: WriteSet,
    pub(super) records: Vec<(u64, Arc<StatementRecord>)>,
    /// Statements of this group by (store, id), for conflicts within the group.
    pub(super) by_id: HashMap<(StoreId, Uuid), Arc<StatementRecord>>,
    pub(super) voided: HashMap<(StoreId, Uuid), u64>,
    /// Documents written by this group (None: deleted), for preconditions within the group.
    pub(super) docs: HashMap<(StoreId, DocumentKey), Option<Arc<DocumentRecord>>>,
    /// Activity definitions this group changed.
    pub(super) activities: crate::activities::Definitions,
    /// The tenancy as changed by this group, once it has a tenancy request.
    pub(super) tenancy: Option<crate::tenancy::TenancyState>,
    /// Persona changes of this group, over the committed personas.
    pub(super) personas: crate::personas::Delta,
    /// Persona events of this group, applied to the in-memory personas after the commit.
    pub(super) persona_events: Vec<Arc<crate::personas::PersonaEvent>>,
    /// The dashboards as changed by this group, once it has a dashboard request.
    pub(super) dashboards: Option<crate::dashboards::DashboardState>,
    /// The forwarders as changed by this group, once it has a forwarder request.
    pub(super) forwarders: Option<crate::forwarding::ForwarderState>,
    /// The positions of this group restored from an archive ([`crate::timeline::restored`]).
    pub(super) restored: Option<Restored>,
    /// Every restored range once this group's are added (recorded with the group).
    pub(super) restored_all: Option<Vec<Restored>>,
}

impl Group {
    pub(super) fn new(seq: u64, stored_us: i64) -> Self {
        Group {
            seq,
            stored_us,
            ws: WriteSet::default(),
            records: Vec::new(),
            by_id: HashMap::new(),
            voided: HashMap::new(),
            docs: HashMap::new(),
            activities: HashMap::new(),
            tenancy: None,
            personas: Default::default(),
            persona_events: Vec::new(),
            dashboards: None,
            forwarders: None,
            restored: None,
            restored_all: None,
        }
    }

    pub(super) fn find(
        &self,
        log: &dyn LogStore,
        store: StoreId,
        id: Uuid,
    ) -> Result<Option<Arc<StatementRecord>>, Error> {
        if let Some(r) = self.by_id.get(&(store, id)) {
            return Ok(Some(r.clone()));
        }
        let Some(seq) = log.statement_seq(store, id)? else {
            return Ok(None);
        };
        match log.event(seq)? {
            Some(Event::Statement(r)) => Ok(Some(r)),
            Some(
                Event::Document(_)
                | Event::Tenancy(_)
                | Event::Persona(_)
                | Event::Dashboard(_)
                | Event::Forwarder(_)
                | Event::Purge(_)
                | Event::Audit(_),
            )
            | None => Err(Error::Internal(format!(
                "index points at missing event {seq}"
            ))),
        }
    }

    /// Checks one request and, when it is accepted as a whole, adds it to the group.
    ///
    /// A client that does not read every statement of the store (`own_only`) learns nothing
    /// about statements it did not write: an id one of them holds is a conflict (409) without
    /// comparing contents, and it voids only statements it wrote: voiding any other id, present
    /// or not, is refused alike (403).
    pub(super) fn plan(
        &mut self,
        log: &dyn LogStore,
        cache: &crate::activities::Definitions,
        req: AppendRequest,
    ) -> Result<(), Error> {
        let store = req.store;
        let own_only = req.own_only.as_deref();
        let own = |r: &StatementRecord| {
            own_only.is_none_or(|a| crate::query::authority_key(&r.body).as_deref() == Some(a))
        };
        let mut accepted: Vec<StatementRecord> = Vec::with_capacity(req.statements.len());
        let mut definitions: Vec<crate::activities::Carried> = Vec::new();
        for mut st in req.statements {
            if let Some(existing) = self.find(log, store, st.id)? {
                if !own(&existing) {
                    return Err(Error::Conflict(format!(
                        "statement id {} is already taken",
                        st.id
                    )));
                }
                let old = cairn_xapi::parse_stored_statement(&existing.body).map_err(|e| {
                    Error::Internal(format!("stored statement {} unreadable: {e}", st.id))
                })?;
                // Rare (a client re-sending a statement): parse the new one back from its body.
                let mut candidate = cairn_xapi::parse_stored_statement(&st.body).map_err(|e| {
                    Error::Internal(format!("statement {} does not re-parse: {e}", st.id))
                })?;
                if st.lrs_timestamp {
                    candidate.timestamp = None;
                }
                if cairn_xapi::equivalent(&old, &candidate) {
                    continue;
                }
                return Err(Error::Conflict(format!(
                    "statement {} already exists with different content",
                    st.id
                )));
            }
            if let Some(target) = st.ref_target {
                let earlier = accepted.iter().find(|r| r.id == target);
                let found = match earlier {
                    Some(r) => Some((r.voids.is_some(), r.keys.clone(), true)),
                    None => self
                        .find(log, store, target)?
                        .map(|r| (r.voids.is_some(), r.keys.clone(), own(&r))),
                };
                let mine = found.as_ref().is_some_and(|(_, _, mine)| *mine);
                if own_only.is_some() && st.voids.is_some() && !mine {
                    return Err(Error::Forbidden(format!(
                        "statement {}: this client may void only statements it wrote \
                         (clients with the all, all/read or statements/read scope void any)",
                        st.id
                    )));
                }
                let found = found.map(|(voiding, keys, _)| (voiding, keys));
                if let Some((target_is_voiding, keys)) = found {
                    if st.voids.is_some() && target_is_voiding {
                        return Err(Error::BadRequest(format!(
                            "statement {}: a voiding statement cannot target another voiding statement ({target})",
                            st.id
                        )));
                    }
                    st.keys.inherit(&keys);
                }
            }
            definitions.append(&mut st.definitions);
            accepted.push(StatementRecord {
                store,
                id: st.id,
                // Set at commit below unless restored.
                stored_us: st.restored_stored_us.unwrap_or(i64::MIN),
                keys: st.keys,
                voids: st.voids,
                attachments: st.attachments,
                body: st.body,
                facts: st.facts,
            });
        }
        for mut rec in accepted {
            self.seq += 1;
            self.stored_us += 1;
            if rec.stored_us == i64::MIN {
                rec.stored_us = self.stored_us;
            } else {
                restored::extend(&mut self.restored, self.seq, rec.stored_us, self.stored_us);
            }
            if let Some(target) = rec.voids {
                let already = self.voided.contains_key(&(store, target))
                    || log.voided_by(store, target)?.is_some();
                if !already {
                    self.voided.insert((store, target), self.seq);
                    self.ws.voided.push((store, target, self.seq));
                }
            }
            let rec = Arc::new(rec);
            self.ws.statement_ids.push((store, rec.id, self.seq));
            self.ws
                .events
                .push((self.seq, Arc::new(Event::Statement(rec.clone()))));
            self.by_id.insert((store, rec.id), rec.clone());
            self.records.push((self.seq, rec));
        }
        for carried in definitions {
            crate::activities::record(&mut self.activities, cache, log, store, carried);
        }
        for (sha, body) in req.attachments {
            self.ws.attachments.push((store, sha, body));
        }
        Ok(())
    }

    /// Adds an audit record to the group, at the group's time.
    pub(super) fn plan_audit(&mut self, mut record: crate::audit::AuditRecord) {
        self.stored_us += 1;
        self.seq += 1;
        record.at_us = self.stored_us;
        let key = crate::audit::model::key(record.at_us, self.seq);
        self.ws.audit.push((key, crate::codec::encode(&record)));
        self.ws
            .events
            .push((self.seq, Arc::new(Event::Audit(Arc::new(record)))));
    }
}

//! Erasures as the admin API starts and follows them: who may erase where, the plan made on a
//! blocking thread, the purge run in the background, and its progress by id.
use super::run::{Purger, Stage};
use super::{PurgePlan, PurgeReason, PurgeScope, erasure};
use crate::error::Error;
use crate::ids::StoreId;
use crate::ports::LogStore;
use crate::tenancy::{OrgId, Role, Subject, TenancyService};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Makes a purge's plan from the log, for the given stores (run on a blocking thread).
type Planner = Box<dyn FnOnce(&dyn LogStore, &[StoreId]) -> Result<PurgePlan, Error> + Send>;

/// Where an erasure applies: one store, or every store of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureScope {
    Store(StoreId),
    Organisation(OrgId),
}

/// Where an erasure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureState {
    /// Finding the statements and documents to remove.
    Planning,
    /// Waiting for an earlier purge to end.
    Queued,
    /// One of the purge's stages ([`Stage`]).
    Running(Stage),
    Finished,
    Failed,
}

/// An erasure's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureStatus {
    pub id: Uuid,
    pub state: ErasureState,
    pub stores: Vec<StoreId>,
    /// Statements it removes (known once planned).
    pub statements: u64,
    pub error: Option<String>,
}

/// Starts erasures and reports their progress (kept in memory: after a restart an interrupted
/// erasure is finished at start-up, and its record stays in the log).
#[derive(Clone)]
pub struct ErasureService {
    log: Arc<dyn LogStore>,
    purger: Arc<Purger>,
    tenancy: TenancyService,
    max_statements: u64,
    /// The size bounds of a batch delete's filter (`filter_max_*`).
    filter_limits: cairn_filter::Limits,
    erasures: Arc<Mutex<HashMap<Uuid, ErasureStatus>>>,
    /// Evaluates a filter on a statement (batch deletes; absent: refused).
    matcher: Option<crate::forwarding::delivery::Matcher>,
}

impl ErasureService {
    pub fn new(
        log: Arc<dyn LogStore>,
        purger: Arc<Purger>,
        tenancy: TenancyService,
        max_statements: u64,
    ) -> Self {
        ErasureService {
            log,
            purger,
            tenancy,
            max_statements,
            filter_limits: cairn_filter::Limits::default(),
            erasures: Arc::default(),
            matcher: None,
        }
    }

    /// Bounds the size of a batch delete's filter (`400` naming the bound beyond).
    pub fn with_filter_limits(mut self, limits: cairn_filter::Limits) -> Self {
        self.filter_limits = limits;
        self
    }

    /// Lets batch deletes evaluate filters with `matcher`.
    pub fn with_matcher(mut self, matcher: crate::forwarding::delivery::Matcher) -> Self {
        self.matcher = Some(matcher);
        self
    }

    /// The stores of `scope`, once `subject` may erase there: a site administrator, or an
    /// administrator of the organisation (the store's organisation).
    fn stores(&self, subject: &Subject, scope: ErasureScope) -> Result<Vec<StoreId>, Error> {
        let snap = self.tenancy.snapshot();
        let st = &snap.state;
        let org = match scope {
            ErasureScope::Store(s) => st.stores.get(&s).ok_or(Error::NotFound)?.org,
            ErasureScope::Organisation(o) => o,
        };
        subject.require(st, org, Role::Admin)?;
        Ok(match scope {
            ErasureScope::Store(s) => vec![s],
            ErasureScope::Organisation(o) => st
                .stores
                .values()
                .filter(|s| s.org == o)
                .map(|s| s.id)
                .collect(),
        })
    }

    fn set(&self, id: Uuid, f: impl FnOnce(&mut ErasureStatus)) {
        if let Some(s) = self.erasures.lock().expect("erasures lock").get_mut(&id) {
            f(s);
        }
    }

    /// Starts erasing the person with these identifiers (IFI keys) in `scope`; answers at once
    /// with the erasure's id, the work goes on in the background.
    pub fn start(
        &self,
        subject: &Subject,
        scope: ErasureScope,
        identifiers: Vec<String>,
    ) -> Result<ErasureStatus, Error> {
        if identifiers.is_empty() {
            return Err(Error::BadRequest("no identifier to erase".into()));
        }
        self.erase_in(subject, scope, identifiers, Vec::new())
    }

    /// Starts erasing a whole persona of `store`: every identifier it lists (`identifiers`, as
    /// the caller read the persona), and the persona itself.
    pub fn start_persona(
        &self,
        subject: &Subject,
        store: StoreId,
        persona: Uuid,
        identifiers: Vec<String>,
    ) -> Result<ErasureStatus, Error> {
        self.erase_in(
            subject,
            ErasureScope::Store(store),
            identifiers,
            vec![(store, persona)],
        )
    }

    fn erase_in(
        &self,
        subject: &Subject,
        scope: ErasureScope,
        identifiers: Vec<String>,
        personas: Vec<(StoreId, Uuid)>,
    ) -> Result<ErasureStatus, Error> {
        let stores = self.stores(subject, scope)?;
        let by = subject.user.0.to_string();
        let max = self.max_statements;
        self.launch(
            stores,
            Box::new(move |log, stores| {
                erasure::plan(log, stores, &identifiers, &personas, &by, max)
            }),
        )
    }

    /// The plan deleting the statements of `store` that `filter` matches.
    fn filter_plan(
        &self,
        subject: &Subject,
        filter: cairn_filter::Filter,
    ) -> Result<Planner, Error> {
        let matcher = self
            .matcher
            .clone()
            .ok_or_else(|| Error::Internal("no filter matcher".into()))?;
        let by = subject.user.0.to_string();
        let max = self.max_statements;
        let now = crate::time_fmt::now_us();
        Ok(Box::new(move |log: &dyn LogStore, stores: &[StoreId]| {
            let mut plan = PurgePlan::new(
                PurgeReason::BatchDelete,
                by.clone(),
                PurgeScope::Entries {
                    stores: stores.to_vec(),
                },
            );
            erasure::fill(log, &mut plan, max, |r| matcher(r, &filter, now), |_| false)?;
            Ok(plan)
        }))
    }

    /// Deletes the statements of `store` matching `filter` (site or organisation
    /// administrators). With `dry_run`, only answers how many it would delete.
    pub async fn batch_delete(
        &self,
        subject: &Subject,
        store: StoreId,
        filter: &serde_json::Value,
        dry_run: bool,
    ) -> Result<ErasureStatus, Error> {
        let filter = cairn_filter::Filter::parse_within(filter, &self.filter_limits)
            .map_err(|e| Error::BadRequest(format!("/filter{}: {}", e.pointer, e.message)))?;
        let stores = self.stores(subject, ErasureScope::Store(store))?;
        let plan = self.filter_plan(subject, filter)?;
        if !dry_run {
            return self.launch(stores, plan);
        }
        let log = self.log.clone();
        let counted = stores.clone();
        let planned = tokio::task::spawn_blocking(move || plan(&*log, &counted))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        Ok(ErasureStatus {
            id: planned.id,
            state: ErasureState::Planning,
            stores,
            statements: planned.statements,
            error: None,
        })
    }

    /// Plans (with `plan`, on a blocking thread) and runs a purge in the background; answers
    /// its status at once.
    fn launch(&self, stores: Vec<StoreId>, plan: Planner) -> Result<ErasureStatus, Error> {
        let id = Uuid::now_v7();
        let status = ErasureStatus {
            id,
            state: ErasureState::Planning,
            stores: stores.clone(),
            statements: 0,
            error: None,
        };
        self.erasures
            .lock()
            .expect("erasures lock")
            .insert(id, status.clone());
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.erase(id, stores, plan).await {
                tracing::error!(erasure = %id, error = %e, "erasure failed");
                me.set(id, |s| {
                    s.state = ErasureState::Failed;
                    s.error = Some(e.to_string());
                });
            }
        });
        Ok(status)
    }

    async fn erase(&self, id: Uuid, stores: Vec<StoreId>, plan: Planner) -> Result<(), Error> {
        self.purger.catch_up().await?;
        let log = self.log.clone();
        let mut plan = tokio::task::spawn_blocking(move || plan(&*log, &stores))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        plan.id = id;
        self.set(id, |s| {
            s.statements = plan.statements;
            s.state = ErasureState::Queued;
        });
        self.purger.run(plan).await?;
        self.set(id, |s| s.state = ErasureState::Finished);
        Ok(())
    }

    /// Deletes a store (the tenancy's rules decide who may), then purges everything of it in
    /// the background: statements, documents, attachments, personas and projected rows.
    pub async fn delete_store(&self, subject: &Subject, store: StoreId) -> Result<Uuid, Error> {
        self.tenancy.delete_store(subject, store).await?;
        let plan = PurgePlan::new(
            PurgeReason::StoreDeletion,
            subject.user.0.to_string(),
            PurgeScope::Store(store),
        );
        let id = plan.id;
        let purger = self.purger.clone();
        tokio::spawn(async move {
            match purger.run(plan).await {
                Ok(n) => tracing::info!(%store, entries = n, "deleted store purged"),
                Err(e) => {
                    tracing::error!(%store, error = %e, "purging a deleted store failed; it is finished at the next start")
                }
            }
        });
        Ok(id)
    }

    /// An erasure's progress, for a subject who may erase in all of its stores. Followed on the
    /// node that started it; on any node (and after a restart), `finished` once the log holds
    /// its Finished event ([`super::finish::finished_key`]).
    pub fn status(&self, subject: &Subject, id: Uuid) -> Result<ErasureStatus, Error> {
        let known = self
            .erasures
            .lock()
            .expect("erasures lock")
            .get(&id)
            .cloned();
        let mut s = match known {
            Some(s) => s,
            None => self.recorded(id)?.ok_or(Error::NotFound)?,
        };
        for store in &s.stores {
            self.stores(subject, ErasureScope::Store(*store))?;
        }
        if s.state == ErasureState::Queued
            && let Some(p) = self.purger.status().borrow().clone()
            && p.id == id
            && p.stage != Stage::Finished
        {
            s.state = ErasureState::Running(p.stage);
        }
        Ok(s)
    }

    /// The erasure `id` as its Finished event in the log records it, if the log holds one.
    fn recorded(&self, id: Uuid) -> Result<Option<ErasureStatus>, Error> {
        let Some(raw) = self.log.meta_get(&super::finish::finished_key(id))? else {
            return Ok(None);
        };
        let event: super::PurgeEvent = crate::codec::decode(&raw)
            .map_err(|e| Error::Internal(format!("finished purge cannot be decoded: {e}")))?;
        Ok(Some(ErasureStatus {
            id,
            state: ErasureState::Finished,
            stores: event.scope.stores(),
            statements: event.statements,
            error: None,
        }))
    }
}

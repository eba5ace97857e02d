//! The audit log: every administrative change, deletion, erasure, export and share link made
//! through the admin API, with who made it, when, on what and with what outcome. Records are
//! `Event::Audit` entries of the log (so they are backed up and replayed with everything
//! else), indexed by time in the store for listing (`GET /api/v1/audit`).
pub mod model;

pub use model::{AuditKind, AuditRecord, classify, may_list, visible};

use crate::dashboards::Dashboards;
use crate::error::Error;
use crate::ids::StoreId;
use crate::ports::LogStore;
use crate::tenancy::{OrgId, Subject, TenancyService};
use crate::writer::WriterHandle;
use std::sync::Arc;
use uuid::Uuid;

/// How many index entries one listing reads from the store at a time.
const SCAN_BATCH: usize = 1000;

/// What to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Records at or after this time (microseconds).
    pub since_us: Option<i64>,
    /// Records before this time.
    pub until_us: Option<i64>,
    pub actor: Option<crate::tenancy::UserId>,
    pub kind: Option<AuditKind>,
    /// The cursor of the previous page's last record.
    pub cursor: Option<Vec<u8>>,
    pub limit: usize,
}

/// A page of records with the cursor of the next one.
#[derive(Debug)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next: Option<Vec<u8>>,
}

/// Records and lists audit records.
#[derive(Clone)]
pub struct AuditService {
    log: Arc<dyn LogStore>,
    writer: WriterHandle,
    tenancy: TenancyService,
    dashboards: Option<Arc<Dashboards>>,
}

impl AuditService {
    pub fn new(log: Arc<dyn LogStore>, writer: WriterHandle, tenancy: TenancyService) -> Self {
        AuditService {
            log,
            writer,
            tenancy,
            dashboards: None,
        }
    }

    /// Resolves dashboards to their organisation through these.
    pub fn with_dashboards(mut self, d: Arc<Dashboards>) -> Self {
        self.dashboards = Some(d);
        self
    }

    /// The organisation a route's target belongs to, looked up before the request runs (a
    /// deleted store has no organisation afterwards).
    pub fn org_of(&self, route: &str, targets: &[String]) -> Option<OrgId> {
        let id = Uuid::parse_str(targets.first()?).ok()?;
        let snap = self.tenancy.snapshot();
        let st = &snap.state;
        let org_of_store = |s: StoreId| st.stores.get(&s).map(|s| s.org);
        let rest = route.strip_prefix("/api/v1/")?;
        match rest.split('/').next()? {
            "organisations" => Some(OrgId(id)),
            "stores" => org_of_store(StoreId(id)),
            "clients" => st
                .clients
                .get(&crate::tenancy::ClientId(id))
                .and_then(|c| org_of_store(c.store)),
            "dashboards" => {
                let store = self.dashboards.as_ref()?.read().dashboard(id)?.store;
                org_of_store(store)
            }
            _ => None,
        }
    }

    /// Appends a record to the log (the writer sets its time).
    pub async fn record(&self, record: AuditRecord) -> Result<(), Error> {
        self.writer.audit(record).await.map(|_| ())
    }

    /// The records `subject` may see that match `q`, newest first.
    pub async fn list(&self, subject: &Subject, q: AuditQuery) -> Result<AuditPage, Error> {
        let snap = self.tenancy.snapshot();
        if !may_list(subject, &snap.state) {
            return Err(Error::Forbidden(
                "the audit log is for site and organisation administrators".into(),
            ));
        }
        let log = self.log.clone();
        let subject = *subject;
        tokio::task::spawn_blocking(move || {
            let until = q
                .until_us
                .map(|u| model::key(u, 0))
                .into_iter()
                .chain(q.cursor.clone())
                .min();
            let mut before = until;
            let mut out = Vec::new();
            loop {
                let rows = log.audit_before(before.as_deref(), SCAN_BATCH)?;
                let Some((last, _)) = rows.last() else {
                    return Ok(AuditPage {
                        records: out,
                        next: None,
                    });
                };
                before = Some(last.clone());
                for (k, v) in rows {
                    let r: AuditRecord = crate::codec::decode(&v).map_err(Error::Internal)?;
                    if q.since_us.is_some_and(|s| r.at_us < s) {
                        return Ok(AuditPage {
                            records: out,
                            next: None,
                        });
                    }
                    let wanted = q.actor.is_none_or(|a| a == r.actor)
                        && q.kind.is_none_or(|kind| kind == r.kind)
                        && visible(&r, &subject, &snap.state);
                    if wanted {
                        out.push(r);
                        if out.len() >= q.limit.max(1) {
                            return Ok(AuditPage {
                                records: out,
                                next: Some(k),
                            });
                        }
                    }
                }
            }
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }
}

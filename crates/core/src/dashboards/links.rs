//! The share-link half of the dashboards service: creating, changing and revoking links
//! (analyst or more), and what a link shows to an anonymous reader, through its rights only.
use super::decide::{DashboardCommand, LinkPatch};
use super::model::*;
use super::plan::{self, DataRequest, WidgetPlan};
use super::service::{DashboardService, context, parse_json};
use super::shared;
use crate::error::Error;
use crate::ids::StoreId;
use crate::tenancy::Subject;
use serde_json::Value as Json;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewLink {
    pub name: Option<String>,
    pub visibility: Visibility,
    pub domains: Vec<String>,
    pub expires_us: Option<i64>,
    pub url_filter: UrlFilter,
}

#[derive(Debug, Clone, Default)]
pub struct LinkEdit {
    pub name: Option<String>,
    pub visibility: Option<Visibility>,
    pub domains: Option<Vec<String>>,
    pub expires_us: Option<Option<i64>>,
    pub url_filter: Option<UrlFilter>,
}

/// What a share link shows: its dashboard and widgets, and the filter its URL adds.
#[derive(Debug, Clone)]
pub struct SharedView {
    pub link: ShareLink,
    pub dashboard: Dashboard,
    pub widgets: Vec<Widget>,
    pub url_filter: Option<Json>,
}

fn domains_ok(domains: &[String]) -> Result<Vec<String>, Error> {
    domains
        .iter()
        .enumerate()
        .map(|(i, d)| {
            shared::origin_ok(d).map_err(|e| Error::BadRequest(format!("/domains/{i}: {e}")))
        })
        .collect()
}

impl DashboardService {
    /// A dashboard's share links (viewer or more).
    pub fn links(&self, s: &Subject, id: Uuid) -> Result<Vec<ShareLink>, Error> {
        self.dashboard_as(s, id, false)?;
        Ok(self.dashboards.read().links(id).cloned().collect())
    }

    fn link_of(&self, dashboard: Uuid, id: Uuid) -> Result<ShareLink, Error> {
        self.dashboards
            .read()
            .link(id)
            .filter(|l| l.dashboard == dashboard)
            .cloned()
            .ok_or(Error::NotFound)
    }

    /// Creates a share link; answers its secret once when it is signed.
    pub async fn create_link(
        &self,
        s: &Subject,
        id: Uuid,
        n: NewLink,
    ) -> Result<(ShareLink, Option<String>), Error> {
        let d = self.dashboard_as(s, id, true)?;
        let secret = (n.url_filter == UrlFilter::Signed).then(shared::new_secret);
        let lid = Uuid::now_v7();
        let link = ShareLink {
            id: lid,
            dashboard: id,
            name: n.name.unwrap_or_default(),
            visibility: n.visibility,
            domains: domains_ok(&n.domains)?,
            expires_us: n.expires_us,
            url_filter: n.url_filter,
            secret: secret.as_ref().map(|s| s.as_bytes().to_vec()),
            revoked_us: None,
            created_us: 0,
            updated_us: 0,
        };
        self.apply(d.store, vec![DashboardCommand::CreateLink(link)])
            .await?;
        Ok((self.link_of(id, lid)?, secret))
    }

    /// Changes a share link; a link that becomes signed gets a secret, answered once.
    pub async fn update_link(
        &self,
        s: &Subject,
        id: Uuid,
        link: Uuid,
        e: LinkEdit,
    ) -> Result<(ShareLink, Option<String>), Error> {
        let d = self.dashboard_as(s, id, true)?;
        let cur = self.link_of(id, link)?;
        let mut secret = None;
        let secret_patch = match e.url_filter {
            Some(UrlFilter::Signed) if cur.secret.is_none() => {
                let s = shared::new_secret();
                let bytes = s.as_bytes().to_vec();
                secret = Some(s);
                Some(Some(bytes))
            }
            Some(UrlFilter::Off | UrlFilter::Plain) => Some(None),
            _ => None,
        };
        let patch = LinkPatch {
            name: e.name,
            visibility: e.visibility,
            domains: e.domains.as_deref().map(domains_ok).transpose()?,
            expires_us: e.expires_us,
            url_filter: e.url_filter,
            secret: secret_patch,
        };
        self.apply(
            d.store,
            vec![DashboardCommand::UpdateLink {
                dashboard: id,
                id: link,
                patch,
            }],
        )
        .await?;
        Ok((self.link_of(id, link)?, secret))
    }

    /// Revokes a share link: it answers 403 from now on.
    pub async fn revoke_link(&self, s: &Subject, id: Uuid, link: Uuid) -> Result<(), Error> {
        let d = self.dashboard_as(s, id, true)?;
        self.apply(
            d.store,
            vec![DashboardCommand::RevokeLink {
                dashboard: id,
                id: link,
            }],
        )
        .await
    }

    /// A share link that exists and whose dashboard and store still exist (no other check).
    pub fn link(&self, link: Uuid) -> Result<(ShareLink, Dashboard), Error> {
        let st = self.dashboards.read();
        let l = st.link(link).cloned().ok_or(Error::NotFound)?;
        let d = st.dashboard(l.dashboard).cloned().ok_or(Error::NotFound)?;
        if !self.tenancy.snapshot().state.stores.contains_key(&d.store) {
            return Err(Error::NotFound);
        }
        Ok((l, d))
    }

    /// What a share link shows, through its rights only: `404` unknown link, `403` revoked,
    /// expired or not shared, `401` bad token, `400` a filter the link does not take.
    pub fn shared(
        &self,
        link: Uuid,
        filter: Option<&Json>,
        token: Option<&str>,
    ) -> Result<SharedView, Error> {
        let (l, d) = self.link(link)?;
        shared::usable(&l, crate::time_fmt::now_us())?;
        let url_filter = shared::url_filter(&l, filter, token, &self.limits.filter)?;
        let widgets = self.dashboards.read().widgets(d.id).cloned().collect();
        Ok(SharedView {
            link: l,
            dashboard: d,
            widgets,
            url_filter,
        })
    }

    /// The query answering a widget of a shared dashboard.
    pub fn shared_plan(
        &self,
        link: Uuid,
        widget: Uuid,
        req: &DataRequest,
        filter: Option<&Json>,
        token: Option<&str>,
    ) -> Result<(WidgetPlan, StoreId), Error> {
        let v = self.shared(link, filter, token)?;
        let w = v
            .widgets
            .iter()
            .find(|w| w.id == widget)
            .ok_or(Error::NotFound)?;
        let req = DataRequest {
            filter: None,
            ..req.clone()
        };
        let p = plan::plan(
            &context(&v.dashboard, v.url_filter, &self.limits),
            &parse_json(&w.query),
            &req,
        )?;
        Ok((p, v.dashboard.store))
    }
}

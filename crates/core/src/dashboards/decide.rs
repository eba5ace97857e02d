//! Deciding dashboard commands: each is checked against the dashboards as they stand (committed
//! state plus the earlier changes of the same group) and becomes the changes to log. Limits
//! (counts, sizes, name lengths) are checked here, so two concurrent requests cannot both pass
//! a count.
use super::model::*;
pub use super::saved_filters::FilterCommand;
use crate::error::Error;
use crate::ids::StoreId;
use uuid::Uuid;

/// Limits on dashboards (named settings, see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardLimits {
    pub widgets_per_dashboard: usize,
    pub links_per_dashboard: usize,
    pub domains_per_link: usize,
    /// Longest name, title or description, in characters.
    pub name_chars: usize,
    /// Largest query, options or filter, as JSON bytes.
    pub json_bytes: usize,
    /// Saved filters one store may hold.
    pub filters_per_store: usize,
}

impl Default for DashboardLimits {
    fn default() -> Self {
        DashboardLimits {
            widgets_per_dashboard: 50,
            links_per_dashboard: 20,
            domains_per_link: 20,
            name_chars: 200,
            json_bytes: 16 << 10,
            filters_per_store: 200,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub time_range: Option<TimeRange>,
    pub tz: Option<String>,
    /// `Some(None)` clears the filter.
    pub filter: Option<Option<String>>,
    pub refresh_seconds: Option<Option<u32>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WidgetPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub query: Option<String>,
    pub options: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkPatch {
    pub name: Option<String>,
    pub visibility: Option<Visibility>,
    pub domains: Option<Vec<String>>,
    pub expires_us: Option<Option<i64>>,
    pub url_filter: Option<UrlFilter>,
    /// The new secret when the link becomes signed (`Some(None)` drops it).
    pub secret: Option<Option<Vec<u8>>>,
}

/// What a caller asks of a store's dashboards.
#[derive(Debug, Clone, PartialEq)]
pub enum DashboardCommand {
    CreateDashboard(Dashboard),
    UpdateDashboard {
        id: Uuid,
        patch: DashboardPatch,
    },
    SetLayout {
        id: Uuid,
        layout: Vec<LayoutItem>,
    },
    DeleteDashboard {
        id: Uuid,
    },
    /// Copies `from` with its widgets (old id → new id, which must be every current widget).
    Duplicate {
        from: Uuid,
        id: Uuid,
        name: String,
        widgets: Vec<(Uuid, Uuid)>,
    },
    /// A new widget, placed where given or else below everything else.
    CreateWidget(Widget, Option<LayoutItem>),
    UpdateWidget {
        dashboard: Uuid,
        id: Uuid,
        patch: WidgetPatch,
    },
    DeleteWidget {
        dashboard: Uuid,
        id: Uuid,
    },
    CreateLink(ShareLink),
    UpdateLink {
        dashboard: Uuid,
        id: Uuid,
        patch: LinkPatch,
    },
    RevokeLink {
        dashboard: Uuid,
        id: Uuid,
    },
    /// A change to the store's saved filters ([`super::saved_filters`]).
    Filter(FilterCommand),
}

/// A name, title or description: trimmed, within the limit (`what` names the field).
pub fn text_ok(
    what: &str,
    s: &str,
    limits: &DashboardLimits,
    required: bool,
) -> Result<String, Error> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(Error::BadRequest(format!("{what}: must not be empty")));
    }
    if t.chars().count() > limits.name_chars {
        return Err(Error::BadRequest(format!(
            "{what}: at most {} characters",
            limits.name_chars
        )));
    }
    Ok(t.to_string())
}

pub(super) fn json_ok(what: &str, s: &str, limits: &DashboardLimits) -> Result<(), Error> {
    if s.len() > limits.json_bytes {
        return Err(Error::BadRequest(format!(
            "{what}: larger than {} bytes",
            limits.json_bytes
        )));
    }
    Ok(())
}

fn dashboard_ok(d: &Dashboard, l: &DashboardLimits) -> Result<(), Error> {
    text_ok("name", &d.name, l, true)?;
    text_ok("description", &d.description, l, false)?;
    if let Some(f) = &d.filter {
        json_ok("filter", f, l)?;
    }
    if let TimeRange::Between { from_us, to_us } = d.time_range
        && from_us >= to_us
    {
        return Err(Error::BadRequest(
            "time_range: from must be before to".into(),
        ));
    }
    Ok(())
}

fn widget_ok(w: &Widget, l: &DashboardLimits) -> Result<(), Error> {
    text_ok("title", &w.title, l, true)?;
    text_ok("description", &w.description, l, false)?;
    if !WIDGET_TYPES.contains(&w.kind.as_str()) {
        return Err(Error::BadRequest(format!(
            "type: expected one of {}",
            WIDGET_TYPES.join(", ")
        )));
    }
    json_ok("query", &w.query, l)?;
    json_ok("options", &w.options, l)
}

fn link_ok(k: &ShareLink, l: &DashboardLimits) -> Result<(), Error> {
    text_ok("name", &k.name, l, false)?;
    if k.domains.len() > l.domains_per_link {
        return Err(Error::BadRequest(format!(
            "domains: at most {} origins",
            l.domains_per_link
        )));
    }
    if k.visibility == Visibility::Domains && k.domains.is_empty() {
        return Err(Error::BadRequest(
            "domains: a link shared with domains needs at least one origin".into(),
        ));
    }
    if (k.url_filter == UrlFilter::Signed) != k.secret.is_some() {
        return Err(Error::BadRequest(
            "a signed link needs a secret, and only a signed link has one".into(),
        ));
    }
    Ok(())
}

fn dashboard_of(st: &DashboardState, store: StoreId, id: Uuid) -> Result<Dashboard, Error> {
    st.dashboard(id)
        .filter(|d| d.store == store)
        .cloned()
        .ok_or(Error::NotFound)
}

fn live_links(st: &DashboardState, dashboard: Uuid) -> usize {
    st.links(dashboard)
        .filter(|l| l.revoked_us.is_none())
        .count()
}

/// The changes a command makes at `at_us`, or why it cannot be done.
pub fn decide(
    st: &DashboardState,
    store: StoreId,
    limits: &DashboardLimits,
    at_us: i64,
    cmd: DashboardCommand,
) -> Result<Vec<DashboardChange>, Error> {
    use DashboardChange as C;
    Ok(match cmd {
        DashboardCommand::CreateDashboard(mut d) => {
            if st.dashboard(d.id).is_some() {
                return Err(Error::Conflict(format!(
                    "dashboard {} already exists",
                    d.id
                )));
            }
            d.store = store;
            d.name = text_ok("name", &d.name, limits, true)?;
            d.created_us = at_us;
            d.updated_us = at_us;
            d.layout.clear();
            dashboard_ok(&d, limits)?;
            vec![C::DashboardPut(d)]
        }
        DashboardCommand::UpdateDashboard { id, patch } => {
            let mut d = dashboard_of(st, store, id)?;
            if let Some(n) = patch.name {
                d.name = text_ok("name", &n, limits, true)?;
            }
            if let Some(n) = patch.description {
                d.description = n;
            }
            if let Some(t) = patch.time_range {
                d.time_range = t;
            }
            if let Some(t) = patch.tz {
                d.tz = t;
            }
            if let Some(f) = patch.filter {
                d.filter = f;
            }
            if let Some(r) = patch.refresh_seconds {
                d.refresh_seconds = r;
            }
            dashboard_ok(&d, limits)?;
            d.updated_us = at_us;
            vec![C::DashboardPut(d)]
        }
        DashboardCommand::SetLayout { id, layout } => {
            let mut d = dashboard_of(st, store, id)?;
            for (i, item) in layout.iter().enumerate() {
                if st.widget(id, item.widget).is_none() {
                    return Err(Error::BadRequest(format!(
                        "items/{i}/widget: no widget {} on this dashboard",
                        item.widget
                    )));
                }
                if layout[..i].iter().any(|o| o.widget == item.widget) {
                    return Err(Error::BadRequest(format!(
                        "items/{i}/widget: widget {} is placed twice",
                        item.widget
                    )));
                }
                if item.w == 0 || item.h == 0 || item.x > 1000 || item.y > 100_000 {
                    return Err(Error::BadRequest(format!(
                        "items/{i}: w and h must be at least 1, x at most 1000, y at most 100000"
                    )));
                }
            }
            d.layout = layout;
            d.updated_us = at_us;
            vec![C::DashboardPut(d)]
        }
        DashboardCommand::DeleteDashboard { id } => {
            dashboard_of(st, store, id)?;
            vec![C::DashboardDeleted { id }]
        }
        DashboardCommand::Duplicate {
            from,
            id,
            name,
            widgets,
        } => {
            let src = dashboard_of(st, store, from)?;
            let current: Vec<Uuid> = st.widgets(from).map(|w| w.id).collect();
            let given: Vec<Uuid> = widgets.iter().map(|(o, _)| *o).collect();
            if current != given {
                return Err(Error::Conflict(
                    "the dashboard changed while it was being copied; try again".into(),
                ));
            }
            let map = |old: Uuid| widgets.iter().find(|(o, _)| *o == old).map(|(_, n)| *n);
            let d = Dashboard {
                id,
                name: text_ok("name", &name, limits, true)?,
                layout: src
                    .layout
                    .iter()
                    .filter_map(|i| map(i.widget).map(|widget| LayoutItem { widget, ..*i }))
                    .collect(),
                created_us: at_us,
                updated_us: at_us,
                ..src
            };
            let mut out = vec![C::DashboardPut(d)];
            for w in st.widgets(from) {
                out.push(C::WidgetPut(Widget {
                    id: map(w.id).unwrap_or(w.id),
                    dashboard: id,
                    created_us: at_us,
                    updated_us: at_us,
                    ..w.clone()
                }));
            }
            out
        }
        DashboardCommand::CreateWidget(mut w, place) => {
            let mut d = dashboard_of(st, store, w.dashboard)?;
            if st.widgets(d.id).count() >= limits.widgets_per_dashboard {
                return Err(Error::Conflict(format!(
                    "a dashboard has at most {} widgets",
                    limits.widgets_per_dashboard
                )));
            }
            if st.widget(d.id, w.id).is_some() {
                return Err(Error::Conflict(format!("widget {} already exists", w.id)));
            }
            w.title = text_ok("title", &w.title, limits, true)?;
            w.created_us = at_us;
            w.updated_us = at_us;
            widget_ok(&w, limits)?;
            let y = d.layout.iter().map(|i| i.y + i.h).max().unwrap_or(0);
            let item = place.unwrap_or(LayoutItem {
                widget: w.id,
                x: 0,
                y,
                w: 6,
                h: 4,
            });
            if item.w == 0 || item.h == 0 || item.x > 1000 || item.y > 100_000 {
                return Err(Error::BadRequest(
                    "position: w and h must be at least 1, x at most 1000, y at most 100000".into(),
                ));
            }
            d.layout.push(LayoutItem {
                widget: w.id,
                ..item
            });
            d.updated_us = at_us;
            vec![C::WidgetPut(w), C::DashboardPut(d)]
        }
        DashboardCommand::UpdateWidget {
            dashboard,
            id,
            patch,
        } => {
            dashboard_of(st, store, dashboard)?;
            let mut w = st.widget(dashboard, id).cloned().ok_or(Error::NotFound)?;
            if let Some(t) = patch.title {
                w.title = text_ok("title", &t, limits, true)?;
            }
            if let Some(t) = patch.description {
                w.description = t;
            }
            if let Some(t) = patch.kind {
                w.kind = t;
            }
            if let Some(q) = patch.query {
                w.query = q;
            }
            if let Some(o) = patch.options {
                w.options = o;
            }
            widget_ok(&w, limits)?;
            w.updated_us = at_us;
            vec![C::WidgetPut(w)]
        }
        DashboardCommand::DeleteWidget { dashboard, id } => {
            let mut d = dashboard_of(st, store, dashboard)?;
            st.widget(dashboard, id).ok_or(Error::NotFound)?;
            d.layout.retain(|i| i.widget != id);
            d.updated_us = at_us;
            vec![C::WidgetDeleted { dashboard, id }, C::DashboardPut(d)]
        }
        DashboardCommand::CreateLink(mut k) => {
            dashboard_of(st, store, k.dashboard)?;
            if live_links(st, k.dashboard) >= limits.links_per_dashboard {
                return Err(Error::Conflict(format!(
                    "a dashboard has at most {} share links",
                    limits.links_per_dashboard
                )));
            }
            if st.link(k.id).is_some() {
                return Err(Error::Conflict(format!("link {} already exists", k.id)));
            }
            k.name = text_ok("name", &k.name, limits, false)?;
            k.created_us = at_us;
            k.updated_us = at_us;
            k.revoked_us = None;
            link_ok(&k, limits)?;
            vec![C::LinkPut(k)]
        }
        DashboardCommand::UpdateLink {
            dashboard,
            id,
            patch,
        } => {
            dashboard_of(st, store, dashboard)?;
            let mut k = st
                .link(id)
                .filter(|k| k.dashboard == dashboard)
                .cloned()
                .ok_or(Error::NotFound)?;
            if k.revoked_us.is_some() {
                return Err(Error::Conflict("a revoked link cannot change".into()));
            }
            if let Some(n) = patch.name {
                k.name = text_ok("name", &n, limits, false)?;
            }
            if let Some(v) = patch.visibility {
                k.visibility = v;
            }
            if let Some(d) = patch.domains {
                k.domains = d;
            }
            if let Some(e) = patch.expires_us {
                k.expires_us = e;
            }
            if let Some(u) = patch.url_filter {
                k.url_filter = u;
            }
            if let Some(s) = patch.secret {
                k.secret = s;
            }
            link_ok(&k, limits)?;
            k.updated_us = at_us;
            vec![C::LinkPut(k)]
        }
        DashboardCommand::RevokeLink { dashboard, id } => {
            dashboard_of(st, store, dashboard)?;
            let mut k = st
                .link(id)
                .filter(|k| k.dashboard == dashboard)
                .cloned()
                .ok_or(Error::NotFound)?;
            if k.revoked_us.is_some() {
                return Ok(vec![]);
            }
            k.revoked_us = Some(at_us);
            k.updated_us = at_us;
            vec![C::LinkPut(k)]
        }
        DashboardCommand::Filter(c) => super::saved_filters::decide(st, store, limits, at_us, c)?,
    })
}

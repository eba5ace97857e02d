//! The dashboards service: what the admin API and the share API call. Reads come from the
//! in-memory state; every change goes through the writer, which decides it atomically.
//! Viewers read, analysts and more change ([`needs::EDIT_DASHBOARDS`]); a dashboard of a store
//! the caller cannot see (or of a deleted store) is `404`. Queries are validated at save time.
use super::Dashboards;
use super::decide::{DashboardCommand, DashboardPatch, WidgetPatch};
use super::filter_ok;
use super::model::*;
use super::plan::{self, DataRequest, PlanContext, WidgetPlan};
use crate::analytics::AnalyticsLimits;
use crate::error::Error;
use crate::ids::StoreId;
use crate::tenancy::access::needs;
use crate::tenancy::{ListQuery, Listed, Subject, TenancyService, page};
use crate::writer::WriterHandle;
use serde_json::Value as Json;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct NewDashboard {
    pub name: String,
    pub description: Option<String>,
    pub time_range: Option<TimeRange>,
    pub tz: Option<String>,
    pub filter: Option<Json>,
    pub refresh_seconds: Option<u32>,
}

/// A dashboard change: `None` keeps a value; `Some(None)` clears the filter or refresh.
#[derive(Debug, Clone, Default)]
pub struct DashboardEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub time_range: Option<TimeRange>,
    pub tz: Option<String>,
    pub filter: Option<Option<Json>>,
    pub refresh_seconds: Option<Option<u32>>,
}

#[derive(Debug, Clone)]
pub struct NewWidget {
    pub title: String,
    pub description: Option<String>,
    pub kind: String,
    pub query: Json,
    pub options: Option<Json>,
    /// x, y, w, h on the grid.
    pub position: Option<[u32; 4]>,
}

#[derive(Debug, Clone, Default)]
pub struct WidgetEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub query: Option<Json>,
    pub options: Option<Json>,
}

#[derive(Clone)]
pub struct DashboardService {
    pub(super) dashboards: Arc<Dashboards>,
    pub(super) writer: WriterHandle,
    pub(super) tenancy: TenancyService,
    pub(super) limits: AnalyticsLimits,
}

pub(super) fn json_text(v: &Json) -> String {
    v.to_string()
}

pub(super) fn parse_json(s: &str) -> Json {
    serde_json::from_str(s).unwrap_or(Json::Null)
}

fn tz_ok(tz: &str) -> Result<(), Error> {
    jiff::tz::TimeZone::get(tz)
        .map(|_| ())
        .map_err(|_| Error::BadRequest("/tz: expected an IANA time zone".into()))
}

/// The context every widget of a dashboard is planned in.
pub fn context(d: &Dashboard, extra: Option<Json>, limits: &AnalyticsLimits) -> PlanContext {
    let mut filters: Vec<Json> = d.filter.as_deref().map(parse_json).into_iter().collect();
    filters.extend(extra);
    PlanContext {
        store: d.store,
        time_range: d.time_range,
        tz: d.tz.clone(),
        filters,
        now_us: crate::time_fmt::now_us(),
        limits: *limits,
    }
}

/// Checks a widget's type, query and options against the dashboard (`400` naming the node).
fn widget_ok(
    d: &Dashboard,
    kind: &str,
    query: &Json,
    options: &Json,
    limits: &AnalyticsLimits,
) -> Result<(), Error> {
    if !WIDGET_TYPES.contains(&kind) {
        return Err(Error::BadRequest(format!(
            "/type: expected one of {}",
            WIDGET_TYPES.join(", ")
        )));
    }
    let qk = plan::query_kind(query)?;
    if (qk == "funnel") != (kind == "funnel") {
        return Err(Error::BadRequest(
            "/type: a funnel widget needs a funnel query, and a funnel query a funnel widget"
                .into(),
        ));
    }
    if !options.is_object() {
        return Err(Error::BadRequest("/options: expected an object".into()));
    }
    plan::plan(&context(d, None, limits), query, &DataRequest::default()).map(|_| ())
}

impl DashboardService {
    pub fn new(dashboards: Arc<Dashboards>, writer: WriterHandle, tenancy: TenancyService) -> Self {
        DashboardService {
            dashboards,
            writer,
            tenancy,
            limits: AnalyticsLimits::default(),
        }
    }

    /// The same service with the server's analytics limits (funnel steps, buckets).
    pub fn with_analytics_limits(mut self, limits: AnalyticsLimits) -> Self {
        self.limits = limits;
        self
    }

    pub(super) fn can(&self, s: &Subject, store: StoreId, edit: bool) -> Result<(), Error> {
        let min = if edit {
            needs::EDIT_DASHBOARDS
        } else {
            needs::VIEW_STORE
        };
        self.tenancy.store_as(s, store, min).map(|_| ())
    }

    /// The dashboard, when the subject may see (or, with `edit`, change) it.
    pub(super) fn dashboard_as(
        &self,
        s: &Subject,
        id: Uuid,
        edit: bool,
    ) -> Result<Dashboard, Error> {
        let d = self
            .dashboards
            .read()
            .dashboard(id)
            .cloned()
            .ok_or(Error::NotFound)?;
        self.can(s, d.store, edit)?;
        Ok(d)
    }

    pub(super) async fn apply(
        &self,
        store: StoreId,
        commands: Vec<DashboardCommand>,
    ) -> Result<(), Error> {
        self.writer.dashboards(store, commands).await.map(|_| ())
    }

    fn current(&self, id: Uuid) -> Result<(Dashboard, Vec<Widget>), Error> {
        let st = self.dashboards.read();
        let d = st.dashboard(id).cloned().ok_or(Error::NotFound)?;
        Ok((d, st.widgets(id).cloned().collect()))
    }

    /// A store's dashboards in creation order, optionally by name.
    pub fn list(
        &self,
        s: &Subject,
        store: StoreId,
        q: &ListQuery,
    ) -> Result<Listed<Dashboard>, Error> {
        self.can(s, store, false)?;
        let st = self.dashboards.read();
        Ok(page(
            st.of_store(store)
                .filter(|d| q.name_matches(&d.name))
                .map(|d| (d.id, d.clone())),
            q,
        ))
    }

    /// A dashboard with its widgets.
    pub fn get(&self, s: &Subject, id: Uuid) -> Result<(Dashboard, Vec<Widget>), Error> {
        self.dashboard_as(s, id, false)?;
        self.current(id)
    }

    fn build(&self, store: StoreId, n: NewDashboard) -> Result<Dashboard, Error> {
        if let Some(f) = &n.filter {
            filter_ok(f, &self.limits.filter, "/filter")?;
        }
        let tz = n.tz.unwrap_or_else(|| "UTC".into());
        tz_ok(&tz)?;
        Ok(Dashboard {
            id: Uuid::now_v7(),
            store,
            name: n.name,
            description: n.description.unwrap_or_default(),
            time_range: n.time_range.unwrap_or_default(),
            tz,
            filter: n.filter.as_ref().map(json_text),
            refresh_seconds: n.refresh_seconds,
            layout: vec![],
            created_us: 0,
            updated_us: 0,
        })
    }

    pub async fn create(
        &self,
        s: &Subject,
        store: StoreId,
        n: NewDashboard,
    ) -> Result<(Dashboard, Vec<Widget>), Error> {
        self.can(s, store, true)?;
        let d = self.build(store, n)?;
        let id = d.id;
        self.apply(store, vec![DashboardCommand::CreateDashboard(d)])
            .await?;
        self.current(id)
    }

    pub async fn update(
        &self,
        s: &Subject,
        id: Uuid,
        e: DashboardEdit,
    ) -> Result<(Dashboard, Vec<Widget>), Error> {
        let d = self.dashboard_as(s, id, true)?;
        if let Some(Some(f)) = &e.filter {
            filter_ok(f, &self.limits.filter, "/filter")?;
        }
        if let Some(tz) = &e.tz {
            tz_ok(tz)?;
        }
        let patch = DashboardPatch {
            name: e.name,
            description: e.description,
            time_range: e.time_range,
            tz: e.tz,
            filter: e.filter.map(|f| f.as_ref().map(json_text)),
            refresh_seconds: e.refresh_seconds,
        };
        self.apply(
            d.store,
            vec![DashboardCommand::UpdateDashboard { id, patch }],
        )
        .await?;
        self.current(id)
    }

    pub async fn set_layout(
        &self,
        s: &Subject,
        id: Uuid,
        layout: Vec<LayoutItem>,
    ) -> Result<(Dashboard, Vec<Widget>), Error> {
        let d = self.dashboard_as(s, id, true)?;
        self.apply(d.store, vec![DashboardCommand::SetLayout { id, layout }])
            .await?;
        self.current(id)
    }

    pub async fn duplicate(
        &self,
        s: &Subject,
        from: Uuid,
        name: Option<String>,
    ) -> Result<(Dashboard, Vec<Widget>), Error> {
        let (d, widgets) = self.get(s, from)?;
        self.can(s, d.store, true)?;
        let id = Uuid::now_v7();
        let widgets = widgets.iter().map(|w| (w.id, Uuid::now_v7())).collect();
        let name = name.unwrap_or_else(|| format!("{} (copy)", d.name));
        self.apply(
            d.store,
            vec![DashboardCommand::Duplicate {
                from,
                id,
                name,
                widgets,
            }],
        )
        .await?;
        self.current(id)
    }

    pub async fn delete(&self, s: &Subject, id: Uuid) -> Result<(), Error> {
        let d = self.dashboard_as(s, id, true)?;
        self.apply(d.store, vec![DashboardCommand::DeleteDashboard { id }])
            .await
    }

    /// Creates a dashboard from a template (see [`super::templates`]), widgets included.
    pub async fn from_template(
        &self,
        s: &Subject,
        store: StoreId,
        template: &str,
        name: Option<String>,
    ) -> Result<(Dashboard, Vec<Widget>), Error> {
        self.can(s, store, true)?;
        let t = super::templates::find(template)
            .ok_or_else(|| Error::BadRequest(format!("/template: no template {template:?}")))?;
        let d = self.build(
            store,
            NewDashboard {
                name: name.unwrap_or(t.name.clone()),
                description: Some(t.description.clone()),
                time_range: Some(plan::time_range_from_json(&t.time_range)?),
                ..NewDashboard::default()
            },
        )?;
        let id = d.id;
        let mut commands = vec![DashboardCommand::CreateDashboard(d.clone())];
        for tw in t.widgets {
            let options = if tw.options.is_null() {
                Json::Object(Default::default())
            } else {
                tw.options
            };
            widget_ok(&d, &tw.kind, &tw.query, &options, &self.limits)?;
            let wid = Uuid::now_v7();
            let p = tw.layout;
            commands.push(DashboardCommand::CreateWidget(
                Widget {
                    id: wid,
                    dashboard: id,
                    title: tw.title,
                    description: tw.description,
                    kind: tw.kind,
                    query: json_text(&tw.query),
                    options: json_text(&options),
                    created_us: 0,
                    updated_us: 0,
                },
                Some(LayoutItem {
                    widget: wid,
                    x: p.x,
                    y: p.y,
                    w: p.w,
                    h: p.h,
                }),
            ));
        }
        self.apply(store, commands).await?;
        self.current(id)
    }

    pub async fn add_widget(&self, s: &Subject, id: Uuid, n: NewWidget) -> Result<Widget, Error> {
        let d = self.dashboard_as(s, id, true)?;
        let options = n
            .options
            .unwrap_or_else(|| Json::Object(Default::default()));
        widget_ok(&d, &n.kind, &n.query, &options, &self.limits)?;
        let wid = Uuid::now_v7();
        let place = n.position.map(|[x, y, w, h]| LayoutItem {
            widget: wid,
            x,
            y,
            w,
            h,
        });
        let w = Widget {
            id: wid,
            dashboard: id,
            title: n.title,
            description: n.description.unwrap_or_default(),
            kind: n.kind,
            query: json_text(&n.query),
            options: json_text(&options),
            created_us: 0,
            updated_us: 0,
        };
        self.apply(d.store, vec![DashboardCommand::CreateWidget(w, place)])
            .await?;
        self.widget_of(id, wid)
    }

    fn widget_of(&self, dashboard: Uuid, id: Uuid) -> Result<Widget, Error> {
        self.dashboards
            .read()
            .widget(dashboard, id)
            .cloned()
            .ok_or(Error::NotFound)
    }

    pub async fn update_widget(
        &self,
        s: &Subject,
        id: Uuid,
        widget: Uuid,
        e: WidgetEdit,
    ) -> Result<Widget, Error> {
        let d = self.dashboard_as(s, id, true)?;
        let cur = self.widget_of(id, widget)?;
        let kind = e.kind.clone().unwrap_or(cur.kind.clone());
        let query = e.query.clone().unwrap_or_else(|| parse_json(&cur.query));
        let options = e
            .options
            .clone()
            .unwrap_or_else(|| parse_json(&cur.options));
        widget_ok(&d, &kind, &query, &options, &self.limits)?;
        let patch = WidgetPatch {
            title: e.title,
            description: e.description,
            kind: e.kind,
            query: e.query.as_ref().map(json_text),
            options: e.options.as_ref().map(json_text),
        };
        self.apply(
            d.store,
            vec![DashboardCommand::UpdateWidget {
                dashboard: id,
                id: widget,
                patch,
            }],
        )
        .await?;
        self.widget_of(id, widget)
    }

    pub async fn delete_widget(&self, s: &Subject, id: Uuid, widget: Uuid) -> Result<(), Error> {
        let d = self.dashboard_as(s, id, true)?;
        self.apply(
            d.store,
            vec![DashboardCommand::DeleteWidget {
                dashboard: id,
                id: widget,
            }],
        )
        .await
    }

    /// The query answering a widget's data (viewer or more).
    pub fn widget_plan(
        &self,
        s: &Subject,
        id: Uuid,
        widget: Uuid,
        req: &DataRequest,
    ) -> Result<WidgetPlan, Error> {
        let d = self.dashboard_as(s, id, false)?;
        let w = self.widget_of(id, widget)?;
        plan::plan(&context(&d, None, &self.limits), &parse_json(&w.query), req)
    }

    /// The query answering an unsaved widget of a store (viewer or more).
    pub fn preview_plan(
        &self,
        s: &Subject,
        store: StoreId,
        kind: &str,
        query: &Json,
        time_range: Option<TimeRange>,
        req: &DataRequest,
    ) -> Result<WidgetPlan, Error> {
        self.can(s, store, false)?;
        let d = Dashboard {
            id: Uuid::nil(),
            store,
            name: String::new(),
            description: String::new(),
            time_range: time_range.unwrap_or_default(),
            tz: "UTC".into(),
            filter: None,
            refresh_seconds: None,
            layout: vec![],
            created_us: 0,
            updated_us: 0,
        };
        widget_ok(
            &d,
            kind,
            query,
            &Json::Object(Default::default()),
            &self.limits,
        )?;
        plan::plan(&context(&d, None, &self.limits), query, req)
    }
}

//! Dashboards and their widgets (viewer reads, analyst or more changes), templates, and widget
//! data: the widget's query planned by `cairn_core::dashboards::plan` (dashboard time range and
//! time zone, filters AND-ed) and answered by the analytics port.
use super::analytics::statements_page;
use super::dash_dto::*;
use super::dto::{ErrorBody, ListParams};
use super::{Admin, Body, Params, id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cairn_core::dashboards::plan::{DataRequest, WidgetPlan};
use cairn_core::dashboards::{
    DashboardEdit, DashboardService, NewDashboard, NewWidget, WidgetEdit, templates,
};
use cairn_core::{Error, StoreId};

pub(super) fn service(state: &AppState) -> Result<&DashboardService, ApiError> {
    state.dashboards.as_ref().ok_or(ApiError(Error::NotFound))
}

pub(super) fn cursor(c: Option<&str>) -> Result<Option<u64>, ApiError> {
    c.map(|c| {
        c.parse::<u64>()
            .map_err(|_| ApiError::bad_request("/cursor: not a cursor of this query"))
    })
    .transpose()
}

/// Answers a planned widget query.
pub(super) async fn run(
    state: &AppState,
    plan: WidgetPlan,
    lang: Option<String>,
) -> Result<WidgetData, ApiError> {
    let analytics = state.analytics.as_ref().ok_or(ApiError(Error::NotFound))?;
    match plan {
        WidgetPlan::Aggregate(q) => {
            let r = analytics.aggregate(&q).await.map_err(Error::from)?;
            let mut names = cairn_core::analytics::names::for_rows(
                state.statements.log(),
                q.store,
                &q.group_by,
                &r.rows,
                lang,
            )
            .await?;
            if let Some(personas) = &state.personas {
                names.extend(personas.names_of(q.store, &persona_keys(&q.group_by, &r.rows)));
            }
            Ok(WidgetData::Aggregate {
                source: r.source.into(),
                rows: r
                    .rows
                    .into_iter()
                    .map(|g| DataRow {
                        keys: g.keys,
                        values: g.values,
                        previous: g.previous,
                    })
                    .collect(),
                names,
            })
        }
        WidgetPlan::Statements(q) => {
            let page = statements_page(&**analytics, &q).await?;
            Ok(WidgetData::Statements {
                items: page.items,
                next_cursor: page.next_cursor,
            })
        }
        WidgetPlan::Funnel { query, labels } => {
            let r = analytics.funnel(&query).await.map_err(Error::from)?;
            Ok(WidgetData::Funnel {
                source: r.source.into(),
                steps: labels
                    .into_iter()
                    .zip(r.steps)
                    .map(|(label, count)| FunnelStepData { label, count })
                    .collect(),
            })
        }
    }
}

/// The keys of `rows` under a persona dimension, each once.
fn persona_keys(
    group_by: &[cairn_core::analytics::Dimension],
    rows: &[cairn_core::analytics::AggregateRow],
) -> Vec<String> {
    let mut keys: Vec<String> = group_by
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d, cairn_core::analytics::Dimension::Persona))
        .flat_map(|(i, _)| rows.iter().filter_map(move |r| r.keys.get(i).cloned()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

type Full = (StatusCode, Json<DashboardDto>);

fn full(
    status: StatusCode,
    (d, w): (
        cairn_core::dashboards::Dashboard,
        Vec<cairn_core::dashboards::Widget>,
    ),
) -> Full {
    (status, Json(DashboardDto::of(&d, &w)))
}

/// A store's dashboards, in creation order (viewer or more); `name` filters.
#[utoipa::path(get, path = "/api/v1/stores/{id}/dashboards", tag = "dashboards",
    params(("id" = String, Path, description = "store id"), ListParams),
    responses((status = 200, body = DashboardPage), (status = 404, body = ErrorBody)))]
pub async fn list_dashboards(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<ListParams>,
) -> Result<Json<DashboardPage>, ApiError> {
    let l = service(&state)?.list(&s, StoreId(id(&sid)?), &p.query()?)?;
    let (items, next_cursor) = super::paged(l);
    Ok(Json(DashboardPage { items, next_cursor }))
}

/// Create a dashboard (analyst or more).
#[utoipa::path(post, path = "/api/v1/stores/{id}/dashboards", tag = "dashboards",
    request_body = CreateDashboard,
    params(("id" = String, Path, description = "store id")),
    responses((status = 201, body = DashboardDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_dashboard(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<CreateDashboard>,
) -> Result<Full, ApiError> {
    let n = NewDashboard {
        name: b.name,
        description: b.description,
        time_range: b.time_range.as_ref().map(TimeRangeDto::core).transpose()?,
        tz: b.tz,
        filter: b.filter,
        refresh_seconds: b.refresh_seconds,
    };
    let d = service(&state)?.create(&s, StoreId(id(&sid)?), n).await?;
    Ok(full(StatusCode::CREATED, d))
}

/// The dashboard templates.
#[utoipa::path(get, path = "/api/v1/dashboard-templates", tag = "dashboards",
    responses((status = 200, body = TemplateList), (status = 401, body = ErrorBody)))]
pub async fn list_templates(Admin(_): Admin) -> Json<TemplateList> {
    Json(TemplateList {
        items: templates::all()
            .into_iter()
            .map(|t| TemplateDto {
                id: t.id,
                name: t.name,
                description: t.description,
            })
            .collect(),
    })
}

/// Create a dashboard, with its widgets, from a template (analyst or more).
#[utoipa::path(post, path = "/api/v1/stores/{id}/dashboards/from-template", tag = "dashboards",
    request_body = FromTemplateBody,
    params(("id" = String, Path, description = "store id")),
    responses((status = 201, body = DashboardDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn from_template(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<FromTemplateBody>,
) -> Result<Full, ApiError> {
    let d = service(&state)?
        .from_template(&s, StoreId(id(&sid)?), &b.template, b.name)
        .await?;
    Ok(full(StatusCode::CREATED, d))
}

/// A dashboard with its widgets (viewer or more).
#[utoipa::path(get, path = "/api/v1/dashboards/{id}", tag = "dashboards",
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 200, body = DashboardDto), (status = 404, body = ErrorBody)))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(did): Path<String>,
) -> Result<Full, ApiError> {
    Ok(full(StatusCode::OK, service(&state)?.get(&s, id(&did)?)?))
}

/// Change a dashboard (analyst or more); `filter: null` and `refresh_seconds: null` clear.
#[utoipa::path(patch, path = "/api/v1/dashboards/{id}", tag = "dashboards",
    request_body = UpdateDashboard,
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 200, body = DashboardDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_dashboard(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(did): Path<String>,
    Body(b): Body<UpdateDashboard>,
) -> Result<Full, ApiError> {
    let e = DashboardEdit {
        name: b.name,
        description: b.description,
        time_range: b.time_range.as_ref().map(TimeRangeDto::core).transpose()?,
        tz: b.tz,
        filter: b.filter,
        refresh_seconds: b.refresh_seconds,
    };
    let d = service(&state)?.update(&s, id(&did)?, e).await?;
    Ok(full(StatusCode::OK, d))
}

/// Delete a dashboard with its widgets and share links (analyst or more).
#[utoipa::path(delete, path = "/api/v1/dashboards/{id}", tag = "dashboards",
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_dashboard(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(did): Path<String>,
) -> Result<StatusCode, ApiError> {
    service(&state)?.delete(&s, id(&did)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Place the widgets on the grid (analyst or more).
#[utoipa::path(put, path = "/api/v1/dashboards/{id}/layout", tag = "dashboards",
    request_body = LayoutBody,
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 200, body = DashboardDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_layout(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(did): Path<String>,
    Body(b): Body<LayoutBody>,
) -> Result<Full, ApiError> {
    let items = b.items.into_iter().map(Into::into).collect();
    let d = service(&state)?.set_layout(&s, id(&did)?, items).await?;
    Ok(full(StatusCode::OK, d))
}

/// Copy a dashboard with its widgets, not its share links (analyst or more).
#[utoipa::path(post, path = "/api/v1/dashboards/{id}/duplicate", tag = "dashboards",
    request_body = DuplicateBody,
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 201, body = DashboardDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn duplicate_dashboard(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(did): Path<String>,
    Body(b): Body<DuplicateBody>,
) -> Result<Full, ApiError> {
    let d = service(&state)?.duplicate(&s, id(&did)?, b.name).await?;
    Ok(full(StatusCode::CREATED, d))
}

/// Add a widget (analyst or more). Its query is validated now: `400` names the bad node.
#[utoipa::path(post, path = "/api/v1/dashboards/{id}/widgets", tag = "dashboards",
    request_body = CreateWidget,
    params(("id" = String, Path, description = "dashboard id")),
    responses((status = 201, body = WidgetDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_widget(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(did): Path<String>,
    Body(b): Body<CreateWidget>,
) -> Result<(StatusCode, Json<WidgetDto>), ApiError> {
    let n = NewWidget {
        title: b.title,
        description: b.description,
        kind: b.kind.as_str(),
        query: b.query,
        options: b.options,
        position: b.position.map(|p| [p.x, p.y, p.w, p.h]),
    };
    let w = service(&state)?.add_widget(&s, id(&did)?, n).await?;
    Ok((StatusCode::CREATED, Json(WidgetDto::from(&w))))
}

/// Change a widget (analyst or more).
#[utoipa::path(patch, path = "/api/v1/dashboards/{id}/widgets/{widget}", tag = "dashboards",
    request_body = UpdateWidget,
    params(("id" = String, Path, description = "dashboard id"), ("widget" = String, Path, description = "widget id")),
    responses((status = 200, body = WidgetDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_widget(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((did, wid)): Path<(String, String)>,
    Body(b): Body<UpdateWidget>,
) -> Result<Json<WidgetDto>, ApiError> {
    let e = WidgetEdit {
        title: b.title,
        description: b.description,
        kind: b.kind.map(WidgetType::as_str),
        query: b.query,
        options: b.options,
    };
    let w = service(&state)?
        .update_widget(&s, id(&did)?, id(&wid)?, e)
        .await?;
    Ok(Json(WidgetDto::from(&w)))
}

/// Remove a widget (analyst or more).
#[utoipa::path(delete, path = "/api/v1/dashboards/{id}/widgets/{widget}", tag = "dashboards",
    params(("id" = String, Path, description = "dashboard id"), ("widget" = String, Path, description = "widget id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_widget(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((did, wid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .delete_widget(&s, id(&did)?, id(&wid)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A widget's data (viewer or more): its query over the dashboard's time range (or `from`/`to`)
/// in its time zone (or `tz`), with the dashboard's, the widget's and `filter` AND-ed.
#[utoipa::path(post, path = "/api/v1/dashboards/{id}/widgets/{widget}/data", tag = "dashboards",
    request_body = DataBody,
    params(("id" = String, Path, description = "dashboard id"), ("widget" = String, Path, description = "widget id")),
    responses((status = 200, body = WidgetData), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn widget_data(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path((did, wid)): Path<(String, String)>,
    Body(b): Body<DataBody>,
) -> Result<Json<WidgetData>, ApiError> {
    let req = DataRequest {
        from: b.from,
        to: b.to,
        tz: b.tz,
        filter: b.filter,
        cursor: cursor(b.cursor.as_deref())?,
    };
    let plan = service(&state)?.widget_plan(&s, id(&did)?, id(&wid)?, &req)?;
    Ok(Json(run(&state, plan, b.lang).await?))
}

/// The data of an unsaved widget in a store (viewer or more), as a dashboard with this time
/// range (default the last 30 days) would read it.
#[utoipa::path(post, path = "/api/v1/stores/{id}/widget-preview", tag = "dashboards",
    request_body = PreviewBody,
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, body = WidgetData), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn widget_preview(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<PreviewBody>,
) -> Result<Json<WidgetData>, ApiError> {
    let req = DataRequest {
        from: b.from,
        to: b.to,
        tz: b.tz,
        filter: b.filter,
        cursor: cursor(b.cursor.as_deref())?,
    };
    let range = b.time_range.as_ref().map(TimeRangeDto::core).transpose()?;
    let plan = service(&state)?.preview_plan(
        &s,
        StoreId(id(&sid)?),
        &b.kind.as_str(),
        &b.query,
        range,
        &req,
    )?;
    Ok(Json(run(&state, plan, b.lang).await?))
}

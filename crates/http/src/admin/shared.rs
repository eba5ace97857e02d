//! The share API, `/api/v1/shared/{link}…`: no session; everything is read through the link's
//! rights only (its dashboard, that dashboard's store, the dashboard filter AND the link's URL
//! filter). Also the live-mode progress streams (server-sent events), for stores (viewer or
//! more) and for share links.
use super::dash_dto::*;
use super::dashboards::{cursor, run, service};
use super::dto::ErrorBody;
use super::link_dto::*;
use super::{Admin, Body, Params, id, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use cairn_core::dashboards::plan::DataRequest;
use cairn_core::projector::Progress;
use cairn_core::{Error, StoreId};
use futures_util::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

/// The URL filter of a share link's page: `filter` (plain links, filter JSON) or `token`
/// (signed links).
#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LinkParams {
    pub filter: Option<String>,
    pub token: Option<String>,
}

impl LinkParams {
    fn filter(&self) -> Result<Option<serde_json::Value>, ApiError> {
        let Some(text) = self.filter.as_deref() else {
            return Ok(None);
        };
        let f = serde_json::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("/filter: not JSON: {e}")))?;
        Ok(Some(f))
    }
}

/// A shared dashboard: its name, time range, layout and widgets.
#[utoipa::path(get, path = "/api/v1/shared/{link}", tag = "shared", security(()),
    params(("link" = String, Path, description = "share link id"), LinkParams),
    responses((status = 200, body = SharedDashboard), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn shared_dashboard(
    State(state): State<AppState>,
    Path(lid): Path<String>,
    Params(p): Params<LinkParams>,
) -> Result<Json<SharedDashboard>, ApiError> {
    let f = p.filter()?;
    let v = service(&state)?.shared(id(&lid)?, f.as_ref(), p.token.as_deref())?;
    let d = DashboardDto::of(&v.dashboard, &[]);
    Ok(Json(SharedDashboard {
        dashboard: SharedDashboardInfo {
            name: d.name,
            description: d.description,
            time_range: d.time_range,
            tz: d.tz,
            refresh_seconds: d.refresh_seconds,
            layout: d.layout,
        },
        widgets: v
            .widgets
            .iter()
            .map(WidgetDto::from)
            .map(|w| SharedWidget {
                id: w.id,
                title: w.title,
                description: w.description,
                kind: w.kind,
                query: w.query,
                options: w.options,
            })
            .collect(),
    }))
}

/// A shared widget's data, through the link's rights.
#[utoipa::path(post, path = "/api/v1/shared/{link}/widgets/{widget}/data", tag = "shared", security(()),
    request_body = SharedDataBody,
    params(("link" = String, Path, description = "share link id"), ("widget" = String, Path, description = "widget id")),
    responses((status = 200, body = WidgetData), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn shared_widget_data(
    State(state): State<AppState>,
    Path((lid, wid)): Path<(String, String)>,
    Body(b): Body<SharedDataBody>,
) -> Result<Json<WidgetData>, ApiError> {
    let req = DataRequest {
        from: b.from,
        to: b.to,
        tz: b.tz,
        filter: None,
        cursor: cursor(b.cursor.as_deref())?,
    };
    let (plan, _) = service(&state)?.shared_plan(
        id(&lid)?,
        id(&wid)?,
        &req,
        b.filter.as_ref(),
        b.token.as_deref(),
    )?;
    Ok(Json(run(&state, plan, b.lang).await?))
}

type EventStream = std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>>;
type Events = Sse<axum::response::sse::KeepAliveStream<EventStream>>;

/// `data: {"seq": n}` after each projected batch that touched `store`, with keep-alive comments.
fn progress(state: &AppState, store: StoreId) -> Result<Events, ApiError> {
    let rx = state
        .progress
        .as_ref()
        .ok_or(ApiError(Error::NotFound))?
        .resubscribe();
    let stream = futures_util::stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(Progress { seq, stores }) if stores.contains(&store) => {
                    let e = Event::default().data(serde_json::json!({ "seq": seq }).to_string());
                    return Some((Ok(e), rx));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let stream: EventStream = Box::pin(stream);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Live mode: a server-sent event `{"seq": n}` after each projected batch that touched the
/// store (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/progress", tag = "dashboards",
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, content_type = "text/event-stream"), (status = 404, body = ErrorBody)))]
pub async fn store_progress(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
) -> Result<Events, ApiError> {
    let store = StoreId(id(&sid)?);
    tenancy(&state)?.store(&s, store)?;
    progress(&state, store)
}

/// Live mode of a shared dashboard: as the store's progress, through the link's rights.
#[utoipa::path(get, path = "/api/v1/shared/{link}/progress", tag = "shared", security(()),
    params(("link" = String, Path, description = "share link id"), LinkParams),
    responses((status = 200, content_type = "text/event-stream"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn shared_progress(
    State(state): State<AppState>,
    Path(lid): Path<String>,
    Params(p): Params<LinkParams>,
) -> Result<Events, ApiError> {
    let f = p.filter()?;
    let v = service(&state)?.shared(id(&lid)?, f.as_ref(), p.token.as_deref())?;
    progress(&state, v.dashboard.store)
}

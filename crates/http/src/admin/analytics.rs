//! The analytics API: aggregates of a store's statements (viewer or more). The request is
//! parsed and validated by `cairn_core::analytics` (errors name the offending node with a JSON
//! pointer); the `Analytics` port answers it from the hourly aggregates or the raw table. Also
//! funnels, and the names of verbs and activities (from the embedded store, not ClickHouse).
use super::analytics_schema::{AggregateRequest, FunnelRequest};
use super::dto::ErrorBody;
use super::{Admin, Body, Params, id, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use cairn_core::analytics::{
    AggregateQuery, AggregateResult, ExportFormat, FunnelQuery, StatementsQuery,
};
use cairn_core::time_fmt::format_us;
use cairn_core::{Error, StoreId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Groups and their measures, and the table that served them (`aggregate` or `raw`).
#[derive(Serialize, ToSchema)]
pub struct AggregateAnswer {
    pub source: String,
    pub rows: Vec<AggregateGroup>,
}

/// One group: a key per `group_by` dimension, a value per measure (null: no values), and with
/// `compare` the same measures over the previous period.
#[derive(Serialize, ToSchema)]
pub struct AggregateGroup {
    pub keys: Vec<String>,
    pub values: Vec<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Vec<Option<f64>>>,
}

impl From<AggregateResult> for AggregateAnswer {
    fn from(r: AggregateResult) -> Self {
        AggregateAnswer {
            source: r.source.into(),
            rows: r
                .rows
                .into_iter()
                .map(|g| AggregateGroup {
                    keys: g.keys,
                    values: g.values,
                    previous: g.previous,
                })
                .collect(),
        }
    }
}

/// Aggregate a store's statements (viewer or more): up to two dimensions (time buckets, verb,
/// activity, actor, persona, any path, numeric buckets), measures, ordered by the keys or by a
/// measure (`order_by` + `limit`: the top N), optionally compared with the previous period.
/// Extension paths are `result.extensions.<IRI>`, `context.extensions.<IRI>` and
/// `object.definition.extensions.<IRI>`.
#[utoipa::path(post, path = "/api/v1/stores/{id}/aggregate", tag = "analytics",
    request_body = AggregateRequest,
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, body = AggregateAnswer), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn aggregate(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<serde_json::Value>,
) -> Result<Json<AggregateAnswer>, ApiError> {
    let store = StoreId(id(&sid)?);
    tenancy(&state)?.store(&s, store)?;
    let q = AggregateQuery::parse_with(store, &b, &state.config.analytics)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let analytics = state.analytics.as_ref().ok_or(ApiError(Error::NotFound))?;
    Ok(Json(
        analytics.aggregate(&q).await.map_err(Error::from)?.into(),
    ))
}

/// How many reached one step.
#[derive(Serialize, ToSchema)]
pub struct FunnelStep {
    pub count: u64,
}

/// One count per step, and the table that served them (`raw`).
#[derive(Serialize, ToSchema)]
pub struct FunnelAnswer {
    pub steps: Vec<FunnelStep>,
    pub source: String,
}

/// A funnel (viewer or more): how many actors (or personas) have a statement matching step 1,
/// then one matching step 2 at or after it (a later statement when the times are equal), and so
/// on. Voided statements are left out.
#[utoipa::path(post, path = "/api/v1/stores/{id}/funnel", tag = "analytics",
    request_body = FunnelRequest,
    params(("id" = String, Path, description = "store id")),
    responses((status = 200, body = FunnelAnswer), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn funnel(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Body(b): Body<serde_json::Value>,
) -> Result<Json<FunnelAnswer>, ApiError> {
    let store = StoreId(id(&sid)?);
    tenancy(&state)?.store(&s, store)?;
    let q = FunnelQuery::parse(store, &b, &state.config.analytics)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let analytics = state.analytics.as_ref().ok_or(ApiError(Error::NotFound))?;
    let r = analytics.funnel(&q).await.map_err(Error::from)?;
    Ok(Json(FunnelAnswer {
        steps: r
            .steps
            .into_iter()
            .map(|count| FunnelStep { count })
            .collect(),
        source: r.source.into(),
    }))
}

/// Which names to look up (documentation: the handler reads the raw query, where `id` repeats).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct NamesParams {
    /// A verb or activity IRI; repeat for more (up to `names_ids_max`, default 200).
    #[param(style = Form, explode)]
    pub id: Vec<String>,
    /// The preferred language (e.g. `fr`, `en-GB`); then `en-US`, `en`, any English, any.
    pub lang: Option<String>,
}

/// An id and its name.
#[derive(Serialize, ToSchema)]
pub struct NameDto {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct NamesAnswer {
    pub items: Vec<NameDto>,
}

/// Names instead of IRIs (viewer or more): activity names and verb displays from the definitions
/// the LRS has seen in the store's statements. Ids without a name are left out.
#[utoipa::path(get, path = "/api/v1/stores/{id}/names", tag = "analytics",
    params(("id" = String, Path, description = "store id"), NamesParams),
    responses((status = 200, body = NamesAnswer), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn names(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<NamesAnswer>, ApiError> {
    let store = StoreId(id(&sid)?);
    tenancy(&state)?.store(&s, store)?;
    let (mut ids, mut lang) = (Vec::new(), None);
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "id" => ids.push(v.into_owned()),
            "lang" if lang.is_none() => lang = Some(v.into_owned()),
            other => {
                return Err(ApiError::bad_request(format!(
                    "{other}: unknown or repeated parameter"
                )));
            }
        }
    }
    let max = state.config.analytics.names_max;
    if ids.is_empty() || ids.len() > max {
        return Err(ApiError::bad_request(format!(
            "id: expected 1 to {max} ids"
        )));
    }
    let items = cairn_core::analytics::names::lookup(state.statements.log(), store, ids, lang)
        .await?
        .into_iter()
        .map(|n| NameDto {
            id: n.id,
            name: n.name,
        })
        .collect();
    Ok(Json(NamesAnswer { items }))
}

/// Which values to suggest.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ValuesParams {
    /// A string field of the filter language (e.g. `verb`, `object.id`, `context.parent`), an
    /// extension container (`result.extensions`, `context.extensions`,
    /// `object.definition.extensions`: its values are the extensions' IRIs) or an extension path
    /// (`context.extensions.<IRI>`: its values are the extension's texts).
    pub path: String,
    /// Only values starting with this.
    pub prefix: Option<String>,
    /// At most this many (1 to 1000, default 20).
    pub limit: Option<u64>,
}

/// A value seen at the path: in how many statements, first and last stored.
#[derive(Serialize, ToSchema)]
pub struct ValueDto {
    pub value: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Serialize, ToSchema)]
pub struct ValuesAnswer {
    pub items: Vec<ValueDto>,
}

/// Autocomplete: the most frequent values of a path in a store's statements (viewer or more).
#[utoipa::path(get, path = "/api/v1/stores/{id}/values", tag = "analytics",
    params(("id" = String, Path, description = "store id"), ValuesParams),
    responses((status = 200, body = ValuesAnswer), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn values(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<ValuesParams>,
) -> Result<Json<ValuesAnswer>, ApiError> {
    let store = StoreId(id(&sid)?);
    tenancy(&state)?.store(&s, store)?;
    let analytics = state.analytics.as_ref().ok_or(ApiError(Error::NotFound))?;
    let limit = p.limit.unwrap_or(20).clamp(1, 1000);
    let prefix = p.prefix.as_deref().unwrap_or("");
    let items = analytics
        .values(store, &p.path, prefix, limit)
        .await
        .map_err(Error::from)?
        .into_iter()
        .map(|v| ValueDto {
            value: v.value,
            count: v.count,
            first_seen: format_us(v.first_seen_us),
            last_seen: format_us(v.last_seen_us),
        })
        .collect();
    Ok(Json(ValuesAnswer { items }))
}

/// Paging of a statements query.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementsParams {
    /// Statements per page (1 to 1000, default 100).
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<u64>,
}

/// A page of statements: one object per statement with `seq` and the chosen fields.
#[derive(Serialize, ToSchema)]
pub struct StatementsPage {
    pub items: Vec<serde_json::Value>,
    pub next_cursor: Option<String>,
}

pub(super) fn statements_query(
    state: &AppState,
    store: StoreId,
    b: &serde_json::Value,
) -> Result<StatementsQuery, ApiError> {
    StatementsQuery::parse_with(store, b, &state.config.analytics)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// Statements of a store matching a filter, paged, with chosen fields (viewer or more). Body:
/// `{"filter", "fields": ["id" | "seq" | "statement" | FIELD, …], "order": "asc" | "desc",
/// "tz"}`; `seq` is always included, `statement` is the whole statement. Oldest first unless
/// `order` is `desc`. Times are ISO 8601 in `tz` when it is given, else epoch microseconds.
/// Voided statements are left out; statements not yet projected are not included yet.
#[utoipa::path(post, path = "/api/v1/stores/{id}/statements/query", tag = "analytics",
    request_body = Object,
    params(("id" = String, Path, description = "store id"), StatementsParams),
    responses((status = 200, body = StatementsPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn query_statements(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(sid): Path<String>,
    Params(p): Params<StatementsParams>,
    Body(b): Body<serde_json::Value>,
) -> Result<Json<StatementsPage>, ApiError> {
    let store = StoreId(id(&sid)?);
    tenancy(&state)?.store(&s, store)?;
    let mut q = statements_query(&state, store, &b)?;
    if !q.fields.iter().any(|f| f == "seq") {
        q.fields.insert(0, "seq".into());
    }
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    q.after_seq = p.cursor.unwrap_or(0);
    q.limit = Some(limit);
    let analytics = state.analytics.as_ref().ok_or(ApiError(Error::NotFound))?;
    Ok(Json(statements_page(&**analytics, &q).await?))
}

/// One page of a statements query (`q.limit` set), with the cursor of the next.
pub(super) async fn statements_page(
    analytics: &dyn cairn_core::analytics::Analytics,
    q: &StatementsQuery,
) -> Result<StatementsPage, ApiError> {
    let limit = q.limit.unwrap_or(100);
    let mut rx = analytics
        .export(q, ExportFormat::Ndjson)
        .await
        .map_err(Error::from)?;
    let mut text = Vec::new();
    while let Some(chunk) = rx.recv().await {
        text.extend_from_slice(&chunk.map_err(Error::from)?);
    }
    let items: Vec<serde_json::Value> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(serde_json::from_slice)
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Internal(format!("statements page: {e}")))?;
    let next_cursor = (items.len() as u64 == limit)
        .then(|| items.last().and_then(|i| i["seq"].as_u64()))
        .flatten()
        .map(|s| s.to_string());
    Ok(StatementsPage { items, next_cursor })
}

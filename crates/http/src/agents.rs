//! The Agents resource: `GET|HEAD /xapi/agents?agent=` answers the Person object of an agent.
use crate::AppState;
use crate::auth::Caller;
use crate::documents::Params;
use crate::error::ApiError;
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use cairn_xapi::XapiVersion;

pub async fn get(
    State(state): State<AppState>,
    Extension(version): Extension<XapiVersion>,
    _caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["agent"])?;
    let (actor, _) = p.agent(version)?;
    Ok(axum::Json(state.documents.person(&actor)).into_response())
}

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
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["agent"])?;
    let (actor, _) = p.agent(version)?;
    let held = match (&state.personas, actor.ifi_key()) {
        (Some(personas), Some(ifi)) => personas.holder_of(caller.0.store, &ifi),
        _ => None,
    };
    let person = match held {
        // The persona holding the agent's identifier: every identifier it groups.
        Some(p) => cairn_core::personas::person_of(
            &p,
            &actor
                .name()
                .map(str::to_string)
                .into_iter()
                .collect::<Vec<_>>(),
        ),
        None => state.documents.person(&actor),
    };
    Ok(axum::Json(person).into_response())
}

//! The Activities resource: `GET|HEAD /xapi/activities?activityId=` answers the Activity object
//! with the definitions seen in statements merged (an Activity with only its id when none).
use crate::AppState;
use crate::auth::Caller;
use crate::documents::Params;
use crate::error::ApiError;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["activityId"])?;
    let id = p.iri("activityId")?.to_owned();
    let activity = state.documents.activity(caller.0.store, id).await?;
    Ok(axum::Json(activity).into_response())
}

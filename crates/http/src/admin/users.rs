//! Login and logout, the caller (`/me`) and their personal tokens, and users.
use super::dto::*;
use super::{Admin, Body, Params, SESSION_COOKIE, id, paged, tenancy};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cairn_core::tenancy::{Subject, TokenId, UserId, UserSpec};

pub(super) fn me_dto(state: &AppState, s: &Subject) -> Result<MeDto, ApiError> {
    let (user, memberships) = tenancy(state)?.me(s)?;
    Ok(MeDto {
        user: user.into(),
        memberships: memberships.into_iter().map(Into::into).collect(),
    })
}

pub(super) fn session_cookie(state: &AppState, value: &str, clear: bool) -> HeaderValue {
    let mut c = Cookie::build((SESSION_COOKIE, value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.cookie_secure)
        .build();
    if clear {
        c.make_removal();
    }
    HeaderValue::from_str(&c.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("cairn_session=; Max-Age=0"))
}

/// Log in with email and password; sets the session cookie (HttpOnly, SameSite=Strict, Secure
/// behind TLS). Rate limited per email.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(),
    request_body = Login,
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Body(b): Body<Login>,
) -> Result<Response, ApiError> {
    if !state.config.password_login {
        return Err(ApiError(cairn_core::Error::Forbidden(
            "password sign-in is turned off on this Cairn (password_login): sign in with single \
             sign-on"
                .into(),
        )));
    }
    state.limits.login(&b.email)?;
    let (sid, user) = tenancy(&state)?.login(&b.email, &b.password).await?;
    let s = Subject {
        user: user.id,
        site_admin: user.site_admin,
    };
    let mut res = Json(me_dto(&state, &s)?).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, &sid, false));
    Ok(res)
}

/// End the session of the cookie sent, and clear the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(),
    responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Result<Response, ApiError> {
    if let Some(sid) = jar.get(SESSION_COOKIE) {
        tenancy(&state)?.logout(sid.value());
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", true));
    Ok(res)
}

/// The caller and the roles they hold.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, Admin(s): Admin) -> Result<Json<MeDto>, ApiError> {
    Ok(Json(me_dto(&state, &s)?))
}

/// The caller's personal tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth",
    responses((status = 200, body = TokenPage), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Admin(s): Admin,
) -> Result<Json<TokenPage>, ApiError> {
    let items = tenancy(&state)?
        .tokens(&s)
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(TokenPage {
        items,
        next_cursor: None,
    }))
}

/// A new personal token for scripts; its secret is shown once.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", request_body = CreateToken,
    responses((status = 201, body = TokenWithSecret), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    Admin(s): Admin,
    Body(b): Body<CreateToken>,
) -> Result<Response, ApiError> {
    let (t, secret) = tenancy(&state)?.create_token(&s, &b.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenWithSecret {
            token: t.into(),
            secret: secret.secret,
        }),
    )
        .into_response())
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "token id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_token(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(tid): Path<String>,
) -> Result<StatusCode, ApiError> {
    tenancy(&state)?
        .delete_token(&s, TokenId(id(&tid)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every user (site administrators only). Filters: `email`, `name`.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListParams),
    responses((status = 200, body = UserPage), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    Admin(s): Admin,
    Params(p): Params<ListParams>,
) -> Result<Json<UserPage>, ApiError> {
    let l = tenancy(&state)?.users(&s, &p.query()?, p.email.as_deref())?;
    let (items, next_cursor) = paged(l);
    Ok(Json(UserPage { items, next_cursor }))
}

/// Create a user (site administrators only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    Admin(s): Admin,
    Body(b): Body<CreateUser>,
) -> Result<Response, ApiError> {
    let spec = UserSpec {
        email: Some(b.email),
        name: b.name,
        password: Some(b.password),
        site_admin: Some(b.site_admin),
        disabled: None,
    };
    let u = tenancy(&state)?.create_user(Some(&s), spec).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(u))).into_response())
}

/// A user: site administrators see everyone, others only themselves.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(uid): Path<String>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(tenancy(&state)?.user(&s, UserId(id(&uid)?))?.into()))
}

/// Change a user. Anyone may change their own name and password.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(uid): Path<String>,
    Body(b): Body<UpdateUser>,
) -> Result<Json<UserDto>, ApiError> {
    let spec = UserSpec {
        email: b.email,
        name: b.name,
        password: b.password,
        site_admin: b.site_admin,
        disabled: b.disabled,
    };
    Ok(Json(
        tenancy(&state)?
            .update_user(&s, UserId(id(&uid)?), spec)
            .await?
            .into(),
    ))
}

/// Delete a user, their memberships and tokens (site administrators only).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "user id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_user(
    State(state): State<AppState>,
    Admin(s): Admin,
    Path(uid): Path<String>,
) -> Result<StatusCode, ApiError> {
    tenancy(&state)?.delete_user(&s, UserId(id(&uid)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

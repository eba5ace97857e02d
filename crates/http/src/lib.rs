//! `cairn-http` is the HTTP adapter: the axum router for the xAPI endpoints under `/xapi`, the
//! protocol rules that sit around every resource (the version header, Basic auth, the alternate
//! request syntax, CORS, `X-Experience-API-Consistent-Through`) and the multipart/mixed codec
//! for attachments. Handlers are thin: extract, call one service method, map to a response.

mod about;
mod activities;
mod agents;
mod alternate;
mod auth;
mod documents;
pub mod error;
mod multipart;
mod protocol;
mod statements;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use cairn_core::auth::Authenticator;
use cairn_core::documents::DocumentService;
use cairn_core::statements::StatementService;
use cairn_xapi::XapiVersion;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Statements per page when the client asks for none or for more.
    pub page_max: usize,
    /// The version named on refusals of requests without a usable version header, for
    /// credentials that never sent one.
    pub default_version: XapiVersion,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_bytes: 64 << 20,
            page_max: 500,
            default_version: XapiVersion::V2_0_0,
        }
    }
}

/// What handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub statements: StatementService,
    pub documents: DocumentService,
    pub auth: Arc<dyn Authenticator>,
    pub config: Arc<HttpConfig>,
    /// The xAPI version each set of credentials last used (see [`protocol::require_version`]).
    pub versions: moka::sync::Cache<Vec<u8>, XapiVersion>,
}

impl AppState {
    pub fn new(
        statements: StatementService,
        documents: DocumentService,
        auth: Arc<dyn Authenticator>,
        config: HttpConfig,
    ) -> Self {
        AppState {
            statements,
            documents,
            auth,
            config: Arc::new(config),
            versions: moka::sync::Cache::new(10_000),
        }
    }
}

/// The routes, without the layers that must run before routing (see [`app`]).
pub fn router(state: AppState) -> Router {
    let xapi = Router::new()
        .route(
            "/statements",
            get(statements::get)
                .put(statements::put)
                .post(statements::post)
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    protocol::consistent_through,
                )),
        )
        .merge(documents::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            protocol::require_version,
        ))
        .route("/about", get(about::get));
    Router::new()
        .nest("/xapi", xapi)
        .route("/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(protocol::cors())
        .with_state(state)
}

/// The whole application: the router behind the alternate-request-syntax rewrite, which must see
/// requests before routing because it changes their method.
pub fn app(
    state: AppState,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    use tower::Layer;
    axum::middleware::from_fn(alternate::rewrite).layer(router(state))
}

//! `cairn-http` is the HTTP adapter: the axum router for the xAPI endpoints under `/xapi`, the
//! protocol rules that sit around every resource (the version header, Basic auth, the alternate
//! request syntax, CORS, `X-Experience-API-Consistent-Through`) and the multipart/mixed codec
//! for attachments — and the admin API under `/api/v1` ([`admin`]), the health endpoints and
//! the HTTP metrics by matched route ([`observe`]). Handlers are thin: extract, call one service
//! method, map to a response.

mod about;
mod activities;
pub mod admin;
mod agents;
mod alternate;
mod auth;
mod documents;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod limits;
mod multipart;
pub mod observe;
mod protocol;
mod statement_params;
mod statements;
mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use cairn_core::auth::Authenticator;
use cairn_core::documents::DocumentService;
use cairn_core::statements::StatementService;
use cairn_core::tenancy::TenancyService;
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
    /// Mark the session cookie `Secure` (the server is reached over TLS).
    pub cookie_secure: bool,
    pub rate_limits: limits::RateLimitConfig,
    /// The built web app served at `/` (absent: not served).
    pub web_dir: Option<std::path::PathBuf>,
    /// Limits of the analytics requests (buckets, funnel steps, names per request).
    pub analytics: cairn_core::analytics::AnalyticsLimits,
    /// Origins besides the server's own from which the admin API accepts writes authenticated
    /// by the session cookie (e.g. `https://admin.example.org`).
    pub admin_allowed_origins: Vec<String>,
    /// The key that signs `more` links of statement queries (see [`cairn_core::query::Cursor`]).
    pub cursor_key: cairn_core::query::CursorKey,
    /// Sign-in with email and password is allowed (off: single sign-on only; the CLI and
    /// personal tokens still work).
    pub password_login: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_bytes: 64 << 20,
            page_max: 500,
            default_version: XapiVersion::V2_0_0,
            cookie_secure: false,
            rate_limits: limits::RateLimitConfig::default(),
            web_dir: None,
            analytics: cairn_core::analytics::AnalyticsLimits::default(),
            admin_allowed_origins: Vec::new(),
            cursor_key: cairn_core::query::CursorKey::generate(),
            password_login: true,
        }
    }
}

/// What handlers share: one reference-counted [`Shared`], so that the clones axum makes for
/// every request (extractors, middleware) cost one atomic increment rather than a copy of
/// every service. Fields are read through `Deref` (`state.statements`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The services behind an [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub statements: StatementService,
    pub documents: DocumentService,
    pub auth: Arc<dyn Authenticator>,
    pub config: Arc<HttpConfig>,
    /// The xAPI version each set of credentials last used (see [`protocol::require_version`]).
    pub versions: moka::sync::Cache<Vec<u8>, XapiVersion>,
    /// The tenancy, for the admin API (absent: no admin API is served).
    pub tenancy: Option<TenancyService>,
    /// The analytics port, for `/api/v1/stores/{id}/aggregate` (absent: 404).
    pub analytics: Option<Arc<dyn cairn_core::analytics::Analytics>>,
    /// Personas, for the admin API and the Agents resource (absent: agents are their own persons).
    pub personas: Option<cairn_core::personas::PersonaService>,
    /// Dashboards, widgets and share links (absent: 404).
    pub dashboards: Option<cairn_core::dashboards::DashboardService>,
    /// Statement forwarders (absent: 404).
    pub forwarders: Option<cairn_core::forwarding::ForwarderService>,
    /// Erasures (absent: 404).
    pub erasures: Option<cairn_core::purge::service::ErasureService>,
    /// The projector's progress, for live mode (absent: 404).
    pub progress: Option<Arc<tokio::sync::broadcast::Receiver<cairn_core::projector::Progress>>>,
    pub limits: limits::Limits,
    /// Readiness checks for `/health/ready` (absent: ready whenever the process answers).
    pub health: Option<cairn_core::health::Health>,
    /// Single sign-on with OpenID Connect (absent: not configured).
    pub sso: Option<cairn_core::sso::SsoService>,
    /// The audit log (absent: nothing is recorded, and listing it answers 404).
    pub audit: Option<cairn_core::audit::AuditService>,
}

impl AppState {
    pub fn new(
        statements: StatementService,
        documents: DocumentService,
        auth: Arc<dyn Authenticator>,
        config: HttpConfig,
    ) -> Self {
        AppState(Arc::new(Shared {
            statements,
            documents,
            auth,
            limits: limits::Limits::new(config.rate_limits),
            config: Arc::new(config),
            versions: moka::sync::Cache::new(10_000),
            tenancy: None,
            analytics: None,
            personas: None,
            dashboards: None,
            forwarders: None,
            erasures: None,
            progress: None,
            health: None,
            sso: None,
            audit: None,
        }))
    }

    /// The services, to add one while the state is being built (copied if already shared).
    fn shared_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// Records audited admin requests with this service, and lists them.
    pub fn with_audit(mut self, audit: cairn_core::audit::AuditService) -> Self {
        self.shared_mut().audit = Some(audit);
        self
    }

    /// Offers single sign-on through this service.
    pub fn with_sso(mut self, sso: cairn_core::sso::SsoService) -> Self {
        self.shared_mut().sso = Some(sso);
        self
    }

    /// Answers `/health/ready` with these checks.
    pub fn with_health(mut self, health: cairn_core::health::Health) -> Self {
        self.shared_mut().health = Some(health);
        self
    }

    /// Serves the forwarders API with this service.
    pub fn with_forwarders(mut self, f: cairn_core::forwarding::ForwarderService) -> Self {
        self.shared_mut().forwarders = Some(f);
        self
    }

    /// Serves erasures with this service.
    pub fn with_erasures(mut self, e: cairn_core::purge::service::ErasureService) -> Self {
        self.shared_mut().erasures = Some(e);
        self
    }

    /// Serves dashboards and share links with this service.
    pub fn with_dashboards(mut self, d: cairn_core::dashboards::DashboardService) -> Self {
        self.shared_mut().dashboards = Some(d);
        self
    }

    /// Serves live mode from the projector's progress (a receiver of its channel).
    pub fn with_progress(
        mut self,
        rx: tokio::sync::broadcast::Receiver<cairn_core::projector::Progress>,
    ) -> Self {
        self.shared_mut().progress = Some(Arc::new(rx));
        self
    }

    /// Serves the admin API on this tenancy.
    pub fn with_tenancy(mut self, tenancy: TenancyService) -> Self {
        self.shared_mut().tenancy = Some(tenancy);
        self
    }

    /// Serves the analytics API on this port.
    pub fn with_personas(mut self, personas: cairn_core::personas::PersonaService) -> Self {
        self.shared_mut().personas = Some(personas);
        self
    }

    pub fn with_analytics(mut self, analytics: Arc<dyn cairn_core::analytics::Analytics>) -> Self {
        self.shared_mut().analytics = Some(analytics);
        self
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
    // Browser content posts statements from any origin; the admin API is same-origin only.
    let mut app = Router::new()
        .nest("/xapi", xapi.layer(protocol::cors()))
        .route("/health", get(|| async { "ok" }))
        .route("/health/live", get(observe::live))
        .route("/health/ready", get(observe::ready));
    if state.tenancy.is_some() {
        app = app.merge(
            admin::routes().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                admin::audit::record,
            )),
        );
    }
    app.route("/s/{link}", get(web::share_page))
        .route("/embed/{link}", get(web::share_page))
        .fallback(web::fallback)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn(observe::record))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            too_large_as_json,
        ))
        .with_state(state)
}

/// A body over the limit is refused by the extractors before any handler runs, in plain text:
/// every API answers it as its JSON error, 413.
async fn too_large_as_json(
    axum::extract::State(state): axum::extract::State<AppState>,
    res: axum::response::Response,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE || json {
        return res;
    }
    body_too_large(&state).into_response()
}

/// The refusal of a body over `max_body_mib`.
pub(crate) fn body_too_large(state: &AppState) -> error::ApiError {
    error::ApiError(cairn_core::Error::PayloadTooLarge(format!(
        "the request body is larger than the {} bytes allowed (max_body_mib)",
        state.config.max_body_bytes
    )))
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

//! The harness of the document router tests: a router over a real fjall store, writer and
//! ClickHouse projection, and a helper that calls it.
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cairn_core::StoreId;
use cairn_core::auth::StaticClients;
use cairn_core::documents::{DocumentConfig, DocumentService};
use cairn_core::ports::Projection;
use cairn_core::statements::StatementService;
use cairn_core::tail::Tail;
use cairn_core::writer::{Writer, WriterConfig};
use cairn_http::{AppState, HttpConfig};
use http_body_util::BodyExt;
use std::sync::Arc;
use tower::ServiceExt;

pub struct Harness {
    pub router: axum::Router,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

pub async fn harness(max_document_bytes: usize) -> Harness {
    let projection =
        cairn_clickhouse::ClickHouseProjection::connect(cairn_clickhouse::ClickHouseConfig {
            url: cairn_testkit::server_url().to_string(),
            database: format!("cairn_docs_{}", uuid::Uuid::new_v4().simple()),
            ..Default::default()
        })
        .await
        .unwrap();
    projection.migrate().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(cairn_store::FjallStore::open(dir.path(), 8 << 20).unwrap());
    let log: Arc<dyn cairn_core::LogStore> = store;
    let tail = Arc::new(Tail::new(0));
    let (writer, _join) = Writer::new(log.clone(), tail.clone(), WriterConfig::default())
        .spawn()
        .unwrap();
    let documents = DocumentService::new(
        log.clone(),
        writer.clone(),
        DocumentConfig {
            max_bytes: max_document_bytes,
        },
    );
    let statements = StatementService::new(
        log,
        writer,
        tail,
        moka::sync::Cache::new(100),
        Arc::new(projection),
    );
    let auth = StaticClients::new().with_client(StoreId::DEFAULT, "k", "s", "test client");
    let state = AppState::new(statements, documents, Arc::new(auth), HttpConfig::default());
    Harness {
        router: cairn_http::router(state.clone()),
        state,
        _dir: dir,
    }
}

pub const AGENT: &str = r#"{"objectType":"Agent","mbox":"mailto:a@example.com"}"#;

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn state_url(state_id: Option<&str>, registration: Option<&str>) -> String {
    let mut u = format!(
        "/xapi/activities/state?activityId={}&agent={}",
        enc("http://example.com/a"),
        enc(AGENT)
    );
    if let Some(r) = registration {
        u.push_str(&format!("&registration={r}"));
    }
    if let Some(s) = state_id {
        u.push_str(&format!("&stateId={}", enc(s)));
    }
    u
}

pub fn profile_url(profile_id: &str) -> String {
    format!(
        "/xapi/activities/profile?activityId={}&profileId={}",
        enc("http://example.com/a"),
        enc(profile_id)
    )
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    version: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> Reply {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-experience-api-version", version)
        .header(header::AUTHORIZATION, "Basic azpz");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let res = router
        .clone()
        .oneshot(b.body(Body::from(body.into())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub const JSON: (&str, &str) = ("content-type", "application/json");

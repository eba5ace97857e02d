//! Traces leave a real `cairn serve` over OTLP/HTTP: the test runs its own OTLP receiver (an HTTP
//! server decoding the protobuf export requests with `opentelemetry-proto`), points the node at it
//! and checks that the spans of a request (joined to the caller's `traceparent`) and of a
//! projector batch arrive. The same run checks the JSON log lines: one per request, carrying the
//! request id, and no storage-engine chatter at the default level. A second case serves the
//! receiver over HTTPS with a certificate of a private CA (rcgen): a node given the CA in
//! `otlp_ca_file` delivers its spans, a node without it delivers none.
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "otlp";
const SECRET: &str = "otlp-secret-long-enough";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Spans received: (name, trace id in hex).
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// The OTLP receiver's routes, and what they received.
fn receiver_app() -> (axum::Router, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let req = ExportTraceServiceRequest::decode(body).expect("an OTLP export request");
                let mut spans = sink.lock().unwrap();
                for rs in req.resource_spans {
                    let service = rs
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .any(|a| a.key == "service.name");
                    assert!(service, "spans name their service");
                    for ss in rs.scope_spans {
                        for s in ss.spans {
                            let trace: String =
                                s.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                            spans.push((s.name, trace));
                        }
                    }
                }
                (
                    [("content-type", "application/x-protobuf")],
                    ExportTraceServiceResponse::default().encode_to_vec(),
                )
            }
        }),
    );
    (app, received)
}

/// An OTLP receiver over plain HTTP.
async fn receiver() -> (String, Received) {
    let (app, received) = receiver_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// An OTLP receiver over HTTPS at `https://localhost:PORT`, its certificate issued by a private
/// CA whose certificate is written to `ca_pem`.
async fn tls_receiver(ca_pem: &std::path::Path) -> (String, Received) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Cairn test private CA");
    std::fs::write(ca_pem, ca.self_signed(&ca_key).unwrap().pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &Issuer::new(ca, ca_key))
        .unwrap();
    cairn_server::tls::install_provider();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert.pem().into_bytes(),
        key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let (app, received) = receiver_app();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    listener.set_nonblocking(true).unwrap();
    let server = axum_server::from_tcp_rustls(listener, tls).unwrap();
    tokio::spawn(async move { server.serve(app.into_make_service()).await.unwrap() });
    (url, received)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `cairn serve` exporting every trace to `otlp`, with `extra` settings on top.
fn spawn(dir: &std::path::Path, port: u16, otlp: &str, extra: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("serve")
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CAIRN_DATA_DIR", dir.join("data"))
        .env("CAIRN_CLICKHOUSE_URL", cairn_testkit::server_url())
        .env(
            "CAIRN_CLICKHOUSE_DATABASE",
            format!("cairn_otlp_{}", uuid::Uuid::new_v4().simple()),
        )
        .env("CAIRN_DEFAULT_CLIENT_KEY", KEY)
        .env("CAIRN_DEFAULT_CLIENT_SECRET", SECRET)
        .env("CAIRN_METRICS_ADDR", "off")
        .env("CAIRN_LOG", "info")
        .env("CAIRN_LOG_FORMAT", "json")
        .env("CAIRN_OTLP_ENDPOINT", otlp)
        .env("CAIRN_TRACE_SAMPLE_RATIO", "1.0")
        .env("CAIRN_PROJECTOR_LINGER_MS", "10")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
        .spawn()
        .expect("spawn cairn")
}

async fn wait_for(received: &Received, name: &str) -> String {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some((_, trace)) = received.lock().unwrap().iter().find(|(n, _)| n == name) {
            return trace.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no span {name:?} arrived; got {:?}",
        received.lock().unwrap()
    );
}

async fn wait_started(http: &reqwest::Client, base: &str, child: &mut Child) {
    let started = Instant::now();
    while http
        .get(format!("{base}/health/live"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "cairn did not start"
        );
        assert!(child.try_wait().unwrap().is_none(), "cairn exited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Posts a statement as a part of the caller's (sampled) trace `trace_id`.
async fn traced_post(http: &reqwest::Client, base: &str, trace_id: &str) -> reqwest::Response {
    post(http, base, Some(trace_id)).await
}

/// Posts a statement, in the caller's sampled trace `trace_id` when given.
async fn post(http: &reqwest::Client, base: &str, trace_id: Option<&str>) -> reqwest::Response {
    let mut req = http
        .post(format!("{base}/xapi/statements"))
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", "1.0.3")
        .header("x-request-id", "otlp-request-1");
    if let Some(t) = trace_id {
        req = req.header("traceparent", format!("00-{t}-00f067aa0ba902b7-01"));
    }
    let res = req
        .json(&serde_json::json!({
            "actor": {"mbox": "mailto:otlp@example.com"},
            "verb": {"id": "http://example.com/verbs/traced"},
            "object": {"id": "http://example.com/act/traced"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res
}

/// Stops the node with SIGTERM: a clean stop, exit status 0.
async fn stop(mut child: Child) {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_receiver_and_logs_are_json() {
    let (otlp, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn(dir.path(), port, &otlp, &[]);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_started(&http, &base, &mut child).await;
    let res = traced_post(&http, &base, TRACE_ID).await;
    assert_eq!(res.headers()["x-request-id"], "otlp-request-1");

    let trace = wait_for(&received, "POST /xapi/statements").await;
    assert_eq!(trace, TRACE_ID, "the request joins the caller's trace");
    wait_for(&received, "projector batch").await;

    stop(child).await;

    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answered = lines
        .iter()
        .find(|l| l["message"] == "answered" && l["span"]["request_id"] == "otlp-request-1")
        .unwrap_or_else(|| panic!("no log line of the request:\n{log}"));
    assert_eq!(answered["status"], 200, "{answered}");
    assert_eq!(answered["level"], "INFO", "{answered}");
    assert_eq!(
        answered["span"]["http.route"], "/xapi/statements",
        "{answered}"
    );
    assert!(
        !lines.iter().any(|l| l["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("fjall") || t.starts_with("lsm_tree"))),
        "the storage engine is quiet at info:\n{log}"
    );
}

/// Export to an `https://` collector whose certificate a private CA issued: trusted through
/// `otlp_ca_file`; without it the certificate is refused and no span is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_receiver_over_https_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let (otlp, received) = tls_receiver(&ca).await;
    assert!(otlp.starts_with("https://"), "{otlp}");
    let http = reqwest::Client::new();

    let trusting = dir.path().join("trusting");
    std::fs::create_dir(&trusting).unwrap();
    let port = free_port();
    let ca_file = ca.to_str().unwrap();
    let mut child = spawn(&trusting, port, &otlp, &[("CAIRN_OTLP_CA_FILE", ca_file)]);
    let base = format!("http://127.0.0.1:{port}");
    wait_started(&http, &base, &mut child).await;
    traced_post(&http, &base, TRACE_ID).await;
    let trace = wait_for(&received, "POST /xapi/statements").await;
    assert_eq!(trace, TRACE_ID, "the request's span arrived over HTTPS");
    wait_for(&received, "projector batch").await;
    stop(child).await;

    // The same collector, the CA not given: the public roots do not vouch for it.
    const UNTRUSTED: &str = "0af7651916cd43dd8448eb211c80319c";
    let untrusting = dir.path().join("untrusting");
    std::fs::create_dir(&untrusting).unwrap();
    let port = free_port();
    let mut child = spawn(&untrusting, port, &otlp, &[]);
    let base = format!("http://127.0.0.1:{port}");
    wait_started(&http, &base, &mut child).await;
    traced_post(&http, &base, UNTRUSTED).await;
    // Batches leave every 100 ms (OTEL_BSP_SCHEDULE_DELAY); the trusting node's arrived at once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop(child).await;
    let spans = received.lock().unwrap();
    assert!(
        !spans.iter().any(|(_, t)| t == UNTRUSTED),
        "a certificate of an unknown CA was trusted: {spans:?}"
    );
}

/// `trace_sample_ratio` 0: Cairn starts no trace of its own (requests without a `traceparent`,
/// projector batches), while a caller's sampled trace is still followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_follows_the_ratio_and_the_callers_decision() {
    let (otlp, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn(
        dir.path(),
        port,
        &otlp,
        &[("CAIRN_TRACE_SAMPLE_RATIO", "0.0")],
    );
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_started(&http, &base, &mut child).await;
    post(&http, &base, None).await;
    // Let the unsampled request's statement be projected, then join a caller's trace.
    tokio::time::sleep(Duration::from_millis(500)).await;
    traced_post(&http, &base, TRACE_ID).await;
    assert_eq!(wait_for(&received, "POST /xapi/statements").await, TRACE_ID);
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop(child).await;
    let spans = received.lock().unwrap();
    assert!(
        spans.iter().all(|(_, t)| t == TRACE_ID),
        "only the caller's trace was exported: {spans:?}"
    );
}

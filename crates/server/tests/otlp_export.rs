//! Traces leave a real `cairn serve` over OTLP/HTTP: the test runs its own OTLP receiver (an HTTP
//! server decoding the protobuf export requests with `opentelemetry-proto`), points the node at it
//! and checks that the spans of a request (joined to the caller's `traceparent`) and of a
//! projector batch arrive. The same run checks the JSON log lines: one per request, carrying the
//! request id, and no storage-engine chatter at the default level.
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

async fn receiver() -> (String, Received) {
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(dir: &std::path::Path, port: u16, otlp: &str) -> Child {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_receiver_and_logs_are_json() {
    let (otlp, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn(dir.path(), port, &otlp);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
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
    let res = http
        .post(format!("{base}/xapi/statements"))
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", "1.0.3")
        .header("x-request-id", "otlp-request-1")
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({
            "actor": {"mbox": "mailto:otlp@example.com"},
            "verb": {"id": "http://example.com/verbs/traced"},
            "object": {"id": "http://example.com/act/traced"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "otlp-request-1");

    let trace = wait_for(&received, "POST /xapi/statements").await;
    assert_eq!(trace, TRACE_ID, "the request joins the caller's trace");
    wait_for(&received, "projector batch").await;

    // SIGTERM: a clean stop, exit status 0.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status}");

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

//! Server CPU per statement, counted in instructions: starts a real node in this process (fjall
//! store, writer, projector into a real ClickHouse, the HTTP server on a loopback port), then posts
//! N generated statements over one keep-alive connection, either in batches of 100 or one per
//! POST, and waits until ClickHouse holds them all. The client side is pre-built request bytes
//! written to a socket, so nearly every instruction counted is the server's.
//!
//! `scripts/instructions.sh` runs it under callgrind with counting turned on only once the node is
//! up (so start-up — store, schema, password hashing — is not counted):
//!
//! ```text
//! CAIRN_TEST_CLICKHOUSE_URL=http://127.0.0.1:18203 scripts/instructions.sh batch
//! CAIRN_TEST_CLICKHOUSE_URL=http://127.0.0.1:18203 scripts/instructions.sh single
//! ```
//!
//! Usage: `ingest_instructions <batch|single> <count> [--wait]` (ClickHouse from
//! `CAIRN_TEST_CLICKHOUSE_URL`, default `http://127.0.0.1:8123`; with `--wait`, prints `ready`
//! once the node is up and posts after reading a line from standard input).
use base64::Engine;
use cairn_server::config::{Config, MetricsAddr};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const KEY: &str = "instructions";
const SECRET: &str = "instructions-secret-0001";

/// A realistic statement of about 1.9 KB, the same shape as the criterion benches'; ids are
/// derived from `i` so that every run posts the same bytes.
fn statement(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": format!("00000000-0000-4000-8000-{i:012x}"),
        "actor": {"objectType": "Agent", "name": format!("Learner {i}"), "mbox": format!("mailto:learner{}@example.com", i % 997)},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "fr-FR": "a répondu"}},
        "object": {
            "objectType": "Activity",
            "id": format!("http://example.com/courses/{}/questions/{}", i % 50, i % 400),
            "definition": {
                "name": {"en-US": "Question about the water cycle", "fr-FR": "Question sur le cycle de l'eau"},
                "description": {"en-US": "Which of these is part of the water cycle? Choose every answer that applies to the diagram."},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["evaporation[,]condensation[,]precipitation"],
                "choices": [
                    {"id": "evaporation", "description": {"en-US": "Evaporation"}},
                    {"id": "condensation", "description": {"en-US": "Condensation"}},
                    {"id": "precipitation", "description": {"en-US": "Precipitation"}},
                    {"id": "photosynthesis", "description": {"en-US": "Photosynthesis"}}
                ],
                "extensions": {"http://example.com/ext/difficulty": 3}
            }
        },
        "result": {"score": {"scaled": 0.75, "raw": 3, "min": 0, "max": 4}, "success": true, "completion": true,
                   "response": "evaporation[,]condensation[,]precipitation", "duration": "PT1M12.5S",
                   "extensions": {"http://example.com/ext/attempt": 2}},
        "context": {
            "registration": format!("00000000-0000-4000-9000-{:012x}", i / 10),
            "instructor": {"mbox": "mailto:teacher@example.com", "name": "Teacher"},
            "contextActivities": {
                "parent": [{"id": format!("http://example.com/courses/{}", i % 50)}],
                "grouping": [{"id": "http://example.com/programmes/science"}],
                "category": [{"id": "http://example.com/profiles/assessment"}]
            },
            "platform": "Cairn instructions",
            "language": "en-US",
            "extensions": {"http://example.com/ext/session": "b3c1f0e2-session", "http://example.com/ext/device": {"os": "linux", "browser": "chromium"}}
        },
        "timestamp": "2026-11-27T04:00:00.000Z"
    })
}

/// One POST /xapi/statements request, bytes on the wire.
fn request(host: &str, body: &[u8]) -> Vec<u8> {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    let mut r = format!(
        "POST /xapi/statements HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n\
         X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Reads one HTTP/1.1 response (Content-Length framed); returns its status and body.
fn response(conn: &mut BufReader<TcpStream>) -> (u16, Vec<u8>) {
    let mut line = String::new();
    conn.read_line(&mut line).expect("status line");
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let mut len = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).expect("header");
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().expect("content-length");
        }
    }
    let mut body = vec![0; len];
    conn.read_exact(&mut body).expect("body");
    (status, body)
}

/// `SELECT count()` of the projected statements, asked with `curl` (a separate process, so the
/// polling is not counted with the server's instructions).
fn projected(ch: &str, db: &str) -> u64 {
    let out = std::process::Command::new("curl")
        .args([
            "-fsS",
            "--data-binary",
            &format!("SELECT count() FROM {db}.statements"),
            ch,
        ])
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, count) = match args.as_slice() {
        [_, m, n, ..] if m == "batch" || m == "single" => (m.clone(), n.parse::<usize>().unwrap()),
        _ => {
            eprintln!("usage: ingest_instructions <batch|single> <count> [--wait]");
            std::process::exit(2)
        }
    };
    let per = if mode == "batch" { 100 } else { 1 };
    let ch = std::env::var("CAIRN_TEST_CLICKHOUSE_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:8123".into());
    let dir = tempfile::tempdir().unwrap();
    let db = format!("cairn_instr_{}", uuid::Uuid::new_v4().simple());
    let cfg = Config {
        http_addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        clickhouse_url: ch.clone(),
        clickhouse_database: db.clone(),
        default_client_key: Some(KEY.into()),
        default_client_secret: Some(SECRET.into()),
        projector_linger_ms: 10,
        metrics_addr: MetricsAddr::Off,
        ..Config::default()
    };
    // Bodies built before the node starts; the count is a multiple of the batch.
    let requests: Vec<Vec<u8>> = (0..count / per)
        .map(|b| {
            let sts: Vec<_> = (b * per..(b + 1) * per).map(statement).collect();
            let body = if per == 1 {
                serde_json::to_vec(&sts[0])
            } else {
                serde_json::to_vec(&sts)
            };
            body.unwrap()
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let running = rt
        .block_on(cairn_server::app::start(cfg))
        .expect("node starts");
    let host = running.addr.to_string();
    if args.iter().any(|a| a == "--wait") {
        // The script turns callgrind's counting on now, then says go.
        println!("ready");
        std::io::stdout().flush().unwrap();
        let mut go = String::new();
        std::io::stdin().read_line(&mut go).unwrap();
    }
    let mut conn = BufReader::new(TcpStream::connect(running.addr).unwrap());
    for body in &requests {
        conn.get_mut().write_all(&request(&host, body)).unwrap();
        let (status, body) = response(&mut conn);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    while projected(&ch, &db) < (count / per * per) as u64 {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(conn);
    rt.block_on(running.stop());
    let _ = std::process::Command::new("curl")
        .args(["-s", "--data-binary", &format!("DROP DATABASE {db}"), &ch])
        .status();
    println!("{mode}: {count} statements posted and projected");
}

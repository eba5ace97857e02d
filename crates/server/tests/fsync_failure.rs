//! A failing disk, for real: `cairn serve` runs with a preloaded shim whose `fsync` and
//! `fdatasync` answer EIO once a flag file exists. The embedded store then refuses the write
//! (and poisons itself), the request is not acknowledged, and the process exits non-zero so that
//! its supervisor restarts it; a restart on a healthy disk serves everything acknowledged before.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "fsync";
const SECRET: &str = "fsync-secret-long-enough";

const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void) {
    const char *flag = getenv("FSYNC_SHIM_FLAG");
    return flag != NULL && access(flag, F_OK) == 0;
}

int fsync(int fd) {
    if (failing()) { errno = EIO; return -1; }
    return ((int (*)(int))dlsym(RTLD_NEXT, "fsync"))(fd);
}

int fdatasync(int fd) {
    if (failing()) { errno = EIO; return -1; }
    return ((int (*)(int))dlsym(RTLD_NEXT, "fdatasync"))(fd);
}
"#;

/// Builds the shim with the C compiler that links Rust programs.
fn build_shim(dir: &Path) -> PathBuf {
    let src = dir.join("shim.c");
    let lib = dir.join("shim.so");
    std::fs::write(&src, SHIM).unwrap();
    let out = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .arg("-ldl")
        .output()
        .expect("a C compiler (cc)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lib
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(dir: &Path, db: &str, port: u16, shim: Option<&Path>, log: &str) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
    c.arg("serve")
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CAIRN_DATA_DIR", dir.join("data"))
        .env("CAIRN_CLICKHOUSE_URL", cairn_testkit::server_url())
        .env("CAIRN_CLICKHOUSE_DATABASE", db)
        .env("CAIRN_DEFAULT_CLIENT_KEY", KEY)
        .env("CAIRN_DEFAULT_CLIENT_SECRET", SECRET)
        .env("CAIRN_METRICS_ADDR", "off")
        .env("CAIRN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap());
    if let Some(shim) = shim {
        c.env("LD_PRELOAD", shim)
            .env("FSYNC_SHIM_FLAG", dir.join("fail-fsync"));
    }
    c.spawn().expect("spawn cairn")
}

fn wait_live(port: u16, child: &mut Child) {
    let http = reqwest::blocking::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        assert!(child.try_wait().unwrap().is_none(), "cairn exited early");
        if http
            .get(format!("http://127.0.0.1:{port}/health/live"))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("cairn did not start");
}

fn post(port: u16, id: &str) -> reqwest::blocking::Response {
    reqwest::blocking::Client::new()
        .put(format!(
            "http://127.0.0.1:{port}/xapi/statements?statementId={id}"
        ))
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&serde_json::json!({
            "actor": {"mbox": "mailto:disk@example.com"},
            "verb": {"id": "http://example.com/verbs/wrote"},
            "object": {"id": "http://example.com/act/disk"},
        }))
        .send()
        .unwrap()
}

#[test]
fn a_failed_fsync_stops_the_server_with_a_non_zero_status() {
    let dir = tempfile::tempdir().unwrap();
    let shim = build_shim(dir.path());
    let db = format!("cairn_fsync_{}", uuid::Uuid::new_v4().simple());
    let port = free_port();
    let mut child = spawn(dir.path(), &db, port, Some(&shim), "first.log");
    wait_live(port, &mut child);
    let kept = uuid::Uuid::new_v4().to_string();
    assert_eq!(post(port, &kept).status(), 204);

    std::fs::write(dir.path().join("fail-fsync"), b"").unwrap();
    let refused = post(port, &uuid::Uuid::new_v4().to_string());
    assert_eq!(
        refused.status(),
        500,
        "nothing is acknowledged on a failed fsync"
    );
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "cairn kept running on a failed store"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(1), "{status}");
    let log = std::fs::read_to_string(dir.path().join("first.log")).unwrap();
    assert!(log.contains("refused a write"), "{log}");

    // Restarted on a healthy disk: what was acknowledged is there.
    let port = free_port();
    let mut child = spawn(dir.path(), &db, port, None, "second.log");
    wait_live(port, &mut child);
    let res = reqwest::blocking::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/xapi/statements?statementId={kept}"
        ))
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let ready = reqwest::blocking::get(format!("http://127.0.0.1:{port}/health/ready")).unwrap();
    assert_eq!(ready.status(), 200, "ready again after the restart");
    child.kill().unwrap();
    child.wait().unwrap();
}

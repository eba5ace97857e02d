//! `cairn admin` provisions an installation from a script: the real binary creates the site
//! administrator, an organisation, a store and a client of that (non-default) store, then
//! `cairn serve` accepts the client on the xAPI and the administrator on the admin API, and the
//! default store's generated client (printed once on first start) sees none of the new store's data.
use std::process::{Command, Stdio};
use std::time::Duration;

fn cairn(data: &std::path::Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
    c.env("CAIRN_DATA_DIR", data)
        .env("CAIRN_CLICKHOUSE_URL", cairn_testkit::server_url())
        .env("CAIRN_CLICKHOUSE_DATABASE", db)
        .env("CAIRN_LOG", "warn")
        .env("CAIRN_METRICS_ADDR", "off")
        .env_remove("CAIRN_DEFAULT_CLIENT_KEY")
        .env_remove("CAIRN_DEFAULT_CLIENT_SECRET");
    c
}

fn admin(
    data: &std::path::Path,
    db: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> serde_json::Value {
    let mut c = cairn(data, db);
    c.arg("admin")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "cairn admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn provisioned_by_the_cli_then_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let db = format!("cairn_t_{}", uuid::Uuid::new_v4().simple());
    let root = admin(
        data,
        &db,
        &[
            "site-admin",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ],
        Some("a long password\n"),
    );
    assert_eq!(root["site_admin"], true);
    let org = admin(data, &db, &["org", "create", "--name", "Consortium"], None);
    let org_id = org["id"].as_str().unwrap();
    let store = admin(
        data,
        &db,
        &["store", "create", "--org", org_id, "--name", "School"],
        None,
    );
    let store_id = store["id"].as_str().unwrap();
    let client = admin(
        data,
        &db,
        &[
            "client",
            "create",
            "--store",
            store_id,
            "--name",
            "LMS",
            "--scope",
            "statements/write",
            "--scope",
            "statements/read",
        ],
        None,
    );
    assert_eq!(
        client["scopes"],
        serde_json::json!(["statements/write", "statements/read"])
    );
    let rotated = admin(
        data,
        &db,
        &["client", "rotate", "--id", client["id"].as_str().unwrap()],
        None,
    );
    let (key, secret) = (
        client["key"].as_str().unwrap(),
        rotated["secret"].as_str().unwrap(),
    );
    assert_ne!(secret, client["secret"].as_str().unwrap());
    let stores = admin(data, &db, &["store", "list"], None);
    assert_eq!(
        stores.as_array().unwrap().len(),
        2,
        "the default store and School"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = cairn(data, &db)
        .arg("serve")
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::blocking::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..300 {
        if http.get(format!("{base}/health")).send().is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(up, "cairn serve did not come up");
    let xapi = |m: reqwest::Method, p: &str, k: &str, s: &str| {
        http.request(m, format!("{base}{p}"))
            .basic_auth(k, Some(s))
            .header("X-Experience-API-Version", "1.0.3")
    };
    let st = serde_json::json!({"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/school-only"}});
    let res = xapi(reqwest::Method::POST, "/xapi/statements", key, secret)
        .json(&st)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let ids: Vec<String> = res.json().unwrap();
    let old = xapi(
        reqwest::Method::GET,
        "/xapi/statements",
        key,
        client["secret"].as_str().unwrap(),
    )
    .send()
    .unwrap();
    assert_eq!(old.status(), 401, "the secret before rotation is dead");
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "ops@example.com", "password": "a long password"}))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    // The default client was generated on this first serve; its key and secret are printed once.
    let _ = serve.kill();
    let out = serve.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    let (dk, ds) = (
        field("client key:").expect(&printed),
        field("client secret:").expect(&printed),
    );
    let mut serve = cairn(data, &db)
        .arg("serve")
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..300 {
        if http.get(format!("{base}/health")).send().is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let other = xapi(
        reqwest::Method::GET,
        &format!("/xapi/statements?statementId={}", ids[0]),
        &dk,
        &ds,
    )
    .send()
    .unwrap();
    assert_eq!(
        other.status(),
        404,
        "the default store's client cannot see the School store"
    );
    let mine = xapi(
        reqwest::Method::GET,
        &format!("/xapi/statements?statementId={}", ids[0]),
        key,
        secret,
    )
    .send()
    .unwrap();
    assert_eq!(mine.status(), 200, "survives the restart");
    let _ = serve.kill();
    let _ = serve.wait();
}

/// `cairn admin … | jq` failed: logs went to standard output. And an unknown `CAIRN_*`
/// variable stopped every command at start-up; it is now a warning, on standard error.
#[test]
fn admin_prints_only_json_and_unknown_variables_only_warn() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("cairn_t_{}", uuid::Uuid::new_v4().simple());
    let out = cairn(dir.path(), &db)
        .env("CAIRN_LOG", "debug")
        .env("CAIRN_NO_SUCH_SETTING", "1")
        .args(["admin", "org", "list"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let orgs: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert!(orgs.is_array(), "{orgs}");
    assert!(stderr.contains("CAIRN_NO_SUCH_SETTING"), "{stderr}");
}

/// The configured default secret was printed on every start, and one character was enough.
#[test]
fn a_configured_secret_is_never_printed_and_must_be_long() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("cairn_t_{}", uuid::Uuid::new_v4().simple());
    let short = cairn(dir.path(), &db)
        .env("CAIRN_DEFAULT_CLIENT_KEY", "ops")
        .env("CAIRN_DEFAULT_CLIENT_SECRET", "x")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(stderr.contains("client_secret_min_chars"), "{stderr}");

    let secret = "configured-secret-0123456789";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = cairn(dir.path(), &db)
        .env("CAIRN_DEFAULT_CLIENT_KEY", "ops")
        .env("CAIRN_DEFAULT_CLIENT_SECRET", secret)
        .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::blocking::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if http
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .is_ok()
        {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // The start-up lines are printed just after the listener answers: read up to the key's
    // line before stopping the server (killing it at once raced with the printing).
    let mut printed = String::new();
    if up {
        use std::io::BufRead;
        let stdout = std::io::BufReader::new(serve.stdout.take().unwrap());
        for line in stdout.lines().take(20) {
            let line = line.unwrap();
            printed.push_str(&line);
            printed.push('\n');
            if line.contains("client key:") {
                break;
            }
        }
    }
    let _ = serve.kill();
    let out = serve.wait_with_output().unwrap();
    printed.push_str(&String::from_utf8_lossy(&out.stdout));
    assert!(up, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("client key:    ops"), "{printed}");
    assert!(!printed.contains(secret), "{printed}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(secret));
}

/// Start-up errors name what failed and why (the `anyhow` chain, printed with its causes), and
/// command errors are one line on standard error with a non-zero exit.
#[test]
fn errors_print_their_causes() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("cairn_t_{}", uuid::Uuid::new_v4().simple());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = cairn(dir.path(), &db)
        .env("CAIRN_HTTP_ADDR", addr.to_string())
        .arg("serve")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cairn: cannot listen on {addr}: ")),
        "{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains("address already in use"),
        "{stderr}"
    );

    let out = cairn(dir.path(), &db)
        .args([
            "admin",
            "member",
            "--org",
            &uuid::Uuid::new_v4().to_string(),
        ])
        .args(["--email", "nobody@example.com", "--role", "emperor"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cairn: role must be owner, admin, analyst or viewer"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// `migrate` and `reproject` report progress: a bar on a terminal (see `progress`), and
/// otherwise log lines with the counts and an estimate, free of a bar's control characters.
#[test]
fn migrate_and_reproject_report_progress_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("cairn_t_{}", uuid::Uuid::new_v4().simple());
    for (command, line) in [
        ("migrate", "migrating ClickHouse"),
        ("reproject", "reprojecting the log"),
    ] {
        let out = cairn(dir.path(), &db)
            .env("CAIRN_LOG", "info")
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let progress = stderr
            .lines()
            .find(|l| l.contains(line))
            .unwrap_or_else(|| panic!("{command}: {stderr}"));
        assert!(
            progress.contains("done=") && progress.contains("total="),
            "{progress}"
        );
        assert!(progress.contains("eta_seconds="), "{progress}");
        assert!(
            !stderr.contains('\r'),
            "no bar when stderr is not a terminal"
        );
    }
}

/// Start-up projects a backlog too long for the tail before serving, and reports its progress
/// like `reproject`: statements are taken while ClickHouse cannot be reached (degraded mode),
/// then the node starts again with ClickHouse and `projector_recover_tail_max` = 1.
#[test]
fn start_up_reports_the_progress_of_a_long_backlog() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("cairn_t_{}", uuid::Uuid::new_v4().simple());
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let serve = |clickhouse: &str, port: u16| {
        cairn(dir.path(), &db)
            .env("CAIRN_CLICKHOUSE_URL", clickhouse)
            .env("CAIRN_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("CAIRN_DEFAULT_CLIENT_KEY", "ops")
            .env("CAIRN_DEFAULT_CLIENT_SECRET", "backlog-secret-0123456789")
            .env("CAIRN_PROJECTOR_RECOVER_TAIL_MAX", "1")
            .env("CAIRN_LOG", "info")
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let http = reqwest::blocking::Client::new();
    let wait_up = |port: u16| {
        for _ in 0..600 {
            let live = http.get(format!("http://127.0.0.1:{port}/health/live"));
            if live.send().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("cairn did not start");
    };
    let stop = |child: std::process::Child| {
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    };

    // No ClickHouse listens on a just-freed port: degraded mode, statements still taken.
    let port = free_port();
    let node = serve(&format!("http://127.0.0.1:{}", free_port()), port);
    wait_up(port);
    let batch: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            serde_json::json!({
                "actor": {"mbox": format!("mailto:b{i}@example.com")},
                "verb": {"id": "http://example.com/verbs/v"},
                "object": {"id": "http://example.com/a"},
            })
        })
        .collect();
    let res = http
        .post(format!("http://127.0.0.1:{port}/xapi/statements"))
        .basic_auth("ops", Some("backlog-secret-0123456789"))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&batch)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    stop(node);

    let port = free_port();
    let node = serve(cairn_testkit::server_url(), port);
    wait_up(port);
    let stderr = stop(node);
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("projecting the backlog before serving"))
        .collect();
    assert!(
        !progress.is_empty()
            && progress
                .iter()
                .all(|l| l.contains("done=") && l.contains("total=")),
        "{stderr}"
    );
    // The last line: everything projected, with the estimate (0 s left).
    assert!(
        progress.iter().any(|l| l.contains("eta_seconds=")),
        "{progress:?}"
    );
}

/// `cairn openapi | cmp - file` panicked ("failed printing to stdout: Broken pipe") when the
/// reader stopped early: a reader that stops is not an error.
#[test]
fn openapi_stops_quietly_when_its_reader_does() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("openapi")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut start = [0u8; 16];
    stdout.read_exact(&mut start).unwrap();
    assert!(
        start.starts_with(b"{"),
        "{:?}",
        String::from_utf8_lossy(&start)
    );
    // The document is larger than a pipe's buffer, so the rest is written to a closed pipe.
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

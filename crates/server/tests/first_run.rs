//! The first run and the sign-in options over HTTP: the set-up link printed while no site
//! administrator exists (works once, replaced by each start, gone once used), password sign-in
//! turned off, and the single sign-on endpoints' refusals (the browser flows against a real
//! provider are in dashboards/e2e/sso.spec.ts).
mod common;

use common::{Cred, TestServer, test_config};
use reqwest::Method;
use serde_json::json;

fn token_of(link: &str) -> String {
    link.split_once("/setup#token=")
        .expect("a set-up link")
        .1
        .to_owned()
}

#[tokio::test]
async fn the_setup_link_creates_the_site_admin_once_and_each_start_replaces_it() {
    let s = TestServer::start().await;
    let first = token_of(s.setup_link.as_deref().expect("no admin yet: a link"));
    assert!(s.setup_link.as_deref().unwrap().starts_with(&s.base));
    let opts = s
        .ok(Method::GET, "/api/v1/auth/options", &Cred::None, None, 200)
        .await;
    assert_eq!(opts, json!({"password": true, "sso": null}));

    let s = s.restart().await;
    let second = token_of(s.setup_link.as_deref().expect("still no admin: a new link"));
    assert_ne!(first, second);
    let (st, body) = s
        .call(
            Method::POST,
            "/api/v1/setup/check",
            &Cred::None,
            Some(json!({"token": first})),
        )
        .await;
    assert_eq!(st, 403, "the earlier start's link is replaced: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid"),
        "{body}"
    );
    let check = json!({"token": second});
    s.ok(
        Method::POST,
        "/api/v1/setup/check",
        &Cred::None,
        Some(check.clone()),
        204,
    )
    .await;

    // A refused attempt (short password) leaves the link usable.
    let (st, _) = s
        .call(
            Method::POST,
            "/api/v1/setup",
            &Cred::None,
            Some(json!({"token": second, "email": "owner@example.org", "password": "short"})),
        )
        .await;
    assert_eq!(st, 400);
    let res = s
        .api(Method::POST, "/api/v1/setup", &Cred::None)
        .json(
            &json!({"token": second, "email": "Owner@Example.org", "name": "Olive",
            "password": "first-run-password"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let sid = cookie
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("cairn_session="))
        .expect("signed in")
        .to_owned();
    let me = s
        .ok(Method::GET, "/api/v1/me", &Cred::Session(sid), None, 200)
        .await;
    assert_eq!(me["user"]["email"], "owner@example.org");
    assert_eq!(me["user"]["site_admin"], true);

    let (st, body) = s
        .call(
            Method::POST,
            "/api/v1/setup",
            &Cred::None,
            Some(json!({"token": second, "email": "other@example.org", "password": "first-run-password"})),
        )
        .await;
    assert_eq!(st, 409, "used once: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already set up")
    );
    s.login("owner@example.org", "first-run-password").await;
    let s = s.restart().await;
    assert_eq!(s.setup_link, None, "an administrator exists: no link");
    s.stop().await;
}

#[tokio::test]
async fn password_sign_in_off_and_single_sign_on_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.password_login = false;
    // Nothing listens there: starting a sign-in finds the provider unreachable.
    cfg.oidc_issuer_url = Some("http://127.0.0.1:9".into());
    cfg.oidc_client_id = Some("cairn".into());
    cfg.oidc_provider_name = "Example ID".into();
    let s = TestServer::start_with_root_cfg(cfg, dir).await;
    let opts = s
        .ok(Method::GET, "/api/v1/auth/options", &Cred::None, None, 200)
        .await;
    assert_eq!(
        opts,
        json!({"password": false, "sso": {"name": "Example ID", "start": "/api/v1/auth/oidc/start"}})
    );
    let (st, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            &Cred::None,
            Some(json!({"email": common::ROOT_EMAIL, "password": common::ROOT_PASSWORD})),
        )
        .await;
    assert_eq!(st, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("password_login")
    );

    let page = |res: reqwest::Response| async move {
        let st = res.status().as_u16();
        let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "{ct}");
        (st, res.text().await.unwrap())
    };
    let (st, html) = page(
        s.api(Method::GET, "/api/v1/auth/oidc/start", &Cred::None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 503);
    assert!(html.contains("cannot be reached"), "{html}");

    let callback = "/api/v1/auth/oidc/callback?code=c&state=abc";
    let (st, html) = page(
        s.api(Method::GET, callback, &Cred::None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 400);
    assert!(html.contains("no sign-in in progress"), "{html}");
    let (st, html) = page(
        s.api(Method::GET, callback, &Cred::None)
            .header("cookie", "cairn_oidc=abd")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 400);
    assert!(html.contains("state parameter does not match"), "{html}");
    let (st, html) = page(
        s.api(Method::GET, callback, &Cred::None)
            .header("cookie", "cairn_oidc=abc")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 400, "an unknown state: {html}");
    let (st, html) = page(
        s.api(
            Method::GET,
            "/api/v1/auth/oidc/callback?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E",
            &Cred::None,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 403);
    assert!(
        html.contains("access_denied: &lt;b&gt;no&lt;/b&gt;"),
        "escaped: {html}"
    );
    s.stop().await;
}

#[tokio::test]
async fn the_cli_still_creates_the_site_admin_and_the_link_then_goes() {
    let s = TestServer::start().await;
    let token = token_of(s.setup_link.as_deref().expect("a link"));
    let (cfg, dir) = s.stop().await;
    use cairn_server::admin_cli::{AdminCommand, run};
    run(
        &cfg,
        AdminCommand::SiteAdmin {
            email: common::ROOT_EMAIL.into(),
            name: None,
            password: Some(common::ROOT_PASSWORD.into()),
            password_stdin: false,
        },
    )
    .await
    .expect("site admin created by the CLI");
    let s = TestServer::start_with(cfg, dir).await;
    assert_eq!(s.setup_link, None);
    let (st, _) = s
        .call(
            Method::POST,
            "/api/v1/setup/check",
            &Cred::None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(st, 409, "set up already");
    s.login(common::ROOT_EMAIL, common::ROOT_PASSWORD).await;
    s.stop().await;
}

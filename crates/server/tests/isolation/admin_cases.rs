//! The admin API cases of the isolation matrix: what each route is called with, and whether
//! the credentials of the matrix may succeed.
use super::world::*;
use serde_json::{Value, json};

/// Concrete request for each documented admin operation: path, body, and whether it targets
/// organisation A (its entities or its people).
pub fn admin_case(w: &World, method: &str, path: &str) -> (String, Option<Value>, bool) {
    let (viewer_id, _) = &w.viewer_a;
    let (owner_id, _) = &w.owner_a;
    let s = |x: &str| x.to_owned();
    match (method, path) {
        ("post", "/api/v1/auth/login") => (
            s(path),
            Some(json!({"email": "owner-a@example.com", "password": "wrong password"})),
            false,
        ),
        // Sign-in options and the first run's set-up link: public, and the link is not valid.
        ("get", "/api/v1/auth/options") => (s(path), None, false),
        ("post", "/api/v1/setup/check") => (s(path), Some(json!({"token": "not-a-link"})), false),
        ("post", "/api/v1/setup") => (
            s(path),
            Some(
                json!({"token": "not-a-link", "email": "evil@example.com", "password": "a long password"}),
            ),
            false,
        ),
        ("post", "/api/v1/auth/logout") | ("get", "/api/v1/me") | ("get", "/api/v1/me/tokens") => {
            (s(path), None, false)
        }
        ("post", "/api/v1/me/tokens") => (s(path), Some(json!({"name": "mine"})), false),
        ("delete", "/api/v1/me/tokens/{id}") => (
            format!("/api/v1/me/tokens/{}", w.owner_a_token_id),
            None,
            true,
        ),
        ("get", "/api/v1/users") => (s(path), None, true),
        ("post", "/api/v1/users") => (
            s(path),
            Some(
                json!({"email": "evil@example.com", "password": "a long password", "site_admin": true}),
            ),
            true,
        ),
        (_, "/api/v1/users/{id}") => (
            format!("/api/v1/users/{owner_id}"),
            Some(json!({"password": "taken over!!"})),
            true,
        ),
        ("get", "/api/v1/organisations")
        | ("get", "/api/v1/stores")
        | ("get", "/api/v1/clients") => (s(path), None, true),
        // The audit log: the owner of another organisation sees only its own organisation's
        // records (none of A's ids); A's viewers and analysts are refused.
        ("get", "/api/v1/audit") => (s("/api/v1/audit?limit=1000"), None, true),
        ("post", "/api/v1/organisations") => (
            s(path),
            Some(json!({"name": "nested", "parent": w.org_a})),
            true,
        ),
        (_, "/api/v1/organisations/{id}") => (
            format!("/api/v1/organisations/{}", w.org_a),
            Some(json!({"name": "pwned"})),
            true,
        ),
        (m, "/api/v1/organisations/{id}/members") => (
            format!("/api/v1/organisations/{}/members", w.org_a),
            (m == "post").then(|| json!({"email": "viewer-a@example.com", "role": "owner"})),
            true,
        ),
        ("get", "/api/v1/users/{id}/sessions") => {
            (format!("/api/v1/users/{owner_id}/sessions"), None, true)
        }
        ("delete", "/api/v1/users/{id}/sessions/{session}") => (
            format!("/api/v1/users/{owner_id}/sessions/{}", uuid::Uuid::new_v4()),
            None,
            true,
        ),
        (_, "/api/v1/organisations/{id}/members/{user}") => (
            format!("/api/v1/organisations/{}/members/{viewer_id}", w.org_a),
            Some(json!({"role": "owner"})),
            true,
        ),
        ("post", "/api/v1/stores") => (
            s(path),
            Some(json!({"organisation": w.org_a, "name": "x"})),
            true,
        ),
        (_, "/api/v1/stores/{id}") => (
            format!("/api/v1/stores/{}", w.store_a1),
            Some(json!({"name": "pwned"})),
            true,
        ),
        ("post", "/api/v1/clients") => (
            s(path),
            Some(json!({"store": w.store_a1, "name": "x", "scopes": ["all"]})),
            true,
        ),
        (_, "/api/v1/clients/{id}") => (
            format!("/api/v1/clients/{}", w.a1.2),
            Some(json!({"disabled": true})),
            true,
        ),
        // Read-only (viewer or more): an outsider's 404 is checked by the generic rules.
        ("post", "/api/v1/stores/{id}/aggregate") => (
            format!("/api/v1/stores/{}/aggregate", w.store_a1),
            Some(json!({"group_by": ["verb", "actor"]})),
            false,
        ),
        ("post", "/api/v1/stores/{id}/funnel") => (
            format!("/api/v1/stores/{}/funnel", w.store_a1),
            Some(
                json!({"steps": [{"field": "verb", "exists": true}, {"field": "verb", "exists": true}]}),
            ),
            false,
        ),
        ("get", "/api/v1/stores/{id}/names") => (
            format!(
                "/api/v1/stores/{}/names?id={}",
                w.store_a1,
                enc("http://adlnet.gov/expapi/verbs/completed")
            ),
            None,
            false,
        ),
        ("get", "/api/v1/stores/{id}/values") => (
            format!("/api/v1/stores/{}/values?path=verb", w.store_a1),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/statements/query") => (
            format!("/api/v1/stores/{}/statements/query", w.store_a1),
            Some(json!({})),
            false,
        ),
        ("post", "/api/v1/stores/{id}/statements/export") => (
            format!("/api/v1/stores/{}/statements/export", w.store_a1),
            Some(json!({})),
            false,
        ),
        ("get", "/api/v1/stores/{id}/statements/export") => (
            format!("/api/v1/stores/{}/statements/export?format=csv", w.store_a1),
            None,
            false,
        ),
        // Saved filters: viewers read, analysts change (so A's analyst may succeed: not
        // `targets_a`); explorer_api.rs checks each role's answer. Filter ids here exist nowhere.
        ("get", "/api/v1/stores/{id}/filters") => (
            format!("/api/v1/stores/{}/filters", w.store_a1),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/filters") => (
            format!("/api/v1/stores/{}/filters", w.store_a1),
            Some(json!({"name": "f", "filter": {"field": "verb", "exists": true}})),
            false,
        ),
        (m, "/api/v1/stores/{id}/filters/{filter}") => (
            format!(
                "/api/v1/stores/{}/filters/{}",
                w.store_a1,
                uuid::Uuid::new_v4()
            ),
            (m == "patch").then(|| json!({"name": "g"})),
            false,
        ),
        // Personas: viewers read, analysts change (so A's analyst may succeed: not `targets_a`);
        // personas_api.rs checks each role's answer. Persona ids here exist nowhere (404).
        ("get", "/api/v1/stores/{id}/personas") => (
            format!("/api/v1/stores/{}/personas", w.store_a1),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/personas") => (
            format!("/api/v1/stores/{}/personas", w.store_a1),
            Some(json!({"name": "p", "identifiers": [{"mbox": "mailto:p@example.com"}]})),
            false,
        ),
        ("get", "/api/v1/stores/{id}/personas/lookup") => (
            format!(
                "/api/v1/stores/{}/personas/lookup?identifier={}",
                w.store_a1,
                enc(r#"{"mbox":"mailto:learner@example.com"}"#)
            ),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/personas/import") => (
            format!("/api/v1/stores/{}/personas/import", w.store_a1),
            None,
            false,
        ),
        (m, p) if p.starts_with("/api/v1/stores/{id}/personas/{persona}") => {
            let rest = p.trim_start_matches("/api/v1/stores/{id}/personas/{persona}");
            let ident = json!({"mbox": "mailto:p@example.com"});
            let body = match (m, rest) {
                ("patch", "") => Some(json!({"name": "renamed"})),
                (_, "") => None,
                (_, "/merge") => Some(json!({"from": uuid::Uuid::new_v4()})),
                (_, "/split") => Some(json!({"name": "n", "identifiers": [ident]})),
                _ => Some(json!({"identifier": ident})),
            };
            let url = format!(
                "/api/v1/stores/{}/personas/{}{rest}",
                w.store_a1,
                uuid::Uuid::new_v4()
            );
            (url, body, false)
        }
        // Forwarders: viewers read, store admins change (so A's admins may succeed: not
        // `targets_a`). Ids here exist nowhere; a create names a target refused by validation,
        // so no forwarder ever sends anything.
        (m, p) if p.starts_with("/api/v1/stores/{id}/forwarders") => {
            let none = uuid::Uuid::new_v4().to_string();
            let url = p
                .replace("{id}", &w.store_a1.to_string())
                .replace("{forwarder}", &none)
                .replace("{dead_letter}", &none);
            let body = match (m, p.rsplit('/').next()) {
                ("post", Some("forwarders")) => Some(json!({"name": "f", "target": {
                    "type": "webhook", "url": "ftp://never.invalid/", "secret": "0123456789abcdef"
                }})),
                ("post", Some("replay")) => Some(json!({"from_seq": 1})),
                ("patch", _) => Some(json!({"name": "g"})),
                _ => None,
            };
            (url, body, false)
        }
        // Erasures and batch deletes: organisation administrators of A may erase in A's
        // stores (an agent who exists nowhere, so nothing is removed; a batch delete only
        // counts); an erasure id that exists nowhere is 404 to everyone.
        ("post", "/api/v1/erasures") => (
            s(path),
            Some(json!({
                "agent": {"mbox": format!("mailto:nobody-{}@example.com", uuid::Uuid::new_v4())},
                "store": w.store_a1,
            })),
            true,
        ),
        ("get", "/api/v1/erasures/{id}") => (
            format!("/api/v1/erasures/{}", uuid::Uuid::new_v4()),
            None,
            false,
        ),
        ("post", "/api/v1/stores/{id}/statements/delete") => (
            format!("/api/v1/stores/{}/statements/delete", w.store_a1),
            Some(
                json!({"filter": {"field": "verb", "eq": "http://example.com/never"}, "dry_run": true}),
            ),
            true,
        ),
        (_, "/api/v1/clients/{id}/rotate") => {
            (format!("/api/v1/clients/{}/rotate", w.a1.2), None, true)
        }
        (m, p)
            if p.contains("dashboard")
                || p.contains("/shared/")
                || p.ends_with("/progress")
                || p.ends_with("/widget-preview") =>
        {
            dashboard_case(w, m, p)
        }
        other => panic!("the isolation matrix has no case for {other:?}: add one"),
    }
}

/// Dashboards, widgets, share links, the share API and live progress. Reads name A1's real
/// dashboard (outsiders must get 404); changes name ids that exist nowhere (analysts of A may
/// change dashboards, so they are not `targets_a`); streams name a store or link that does not
/// exist (they would never end).
fn dashboard_case(w: &World, method: &str, path: &str) -> (String, Option<Value>, bool) {
    let (d, widget) = &w.dashboard_a1;
    let store = &w.store_a1;
    let none = uuid::Uuid::new_v4();
    let fill = |p: &str, d: &str, wid: &str| {
        p.replace("{id}", d)
            .replace("{widget}", wid)
            .replace("{link}", &none.to_string())
    };
    match (method, path) {
        ("get", "/api/v1/dashboard-templates") => (path.into(), None, false),
        ("get", "/api/v1/stores/{id}/dashboards") => (fill(path, store, ""), None, true),
        ("post", "/api/v1/stores/{id}/dashboards") => {
            (fill(path, store, ""), Some(json!({"name": "x"})), false)
        }
        ("post", "/api/v1/stores/{id}/dashboards/from-template") => (
            fill(path, store, ""),
            Some(json!({"template": "weekday-hour"})),
            false,
        ),
        ("post", "/api/v1/stores/{id}/widget-preview") => (
            fill(path, store, ""),
            Some(json!({"type": "counter", "query": {"kind": "aggregate"}})),
            false,
        ),
        ("get", "/api/v1/stores/{id}/progress") => (fill(path, &none.to_string(), ""), None, false),
        (_, p) if p.starts_with("/api/v1/shared/") => {
            (fill(p, "", &none.to_string()), Some(json!({})), false)
        }
        ("get", p) => (fill(p, d, widget), None, true),
        ("post", "/api/v1/dashboards/{id}/widgets/{widget}/data") => {
            (fill(path, d, widget), Some(json!({})), false)
        }
        (_, p) => {
            let body = match p.rsplit('/').next() {
                Some("layout") => json!({"items": []}),
                Some("widgets") => {
                    json!({"title": "t", "type": "bar", "query": {"kind": "aggregate"}})
                }
                Some("links") => json!({"visibility": "anyone", "url_filter": "off"}),
                _ => json!({}),
            };
            let n = none.to_string();
            (fill(p, &n, &n), Some(body), false)
        }
    }
}

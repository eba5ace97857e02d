//! The forwarders' write rules, a pure function: a command, decided against the current state,
//! becomes the changes to record, or a 4xx saying what is wrong.
use super::address::check_url;
use super::model::*;
use crate::error::Error;
use crate::ids::StoreId;
use uuid::Uuid;

/// Bounds on forwarders (server settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardingLimits {
    /// Forwarders one store may have.
    pub per_store_max: usize,
    /// The largest batch size a forwarder may ask for.
    pub batch_max: u32,
    /// Loopback and private target addresses are allowed (tests, closed networks).
    pub allow_private: bool,
    /// The size of a forwarder's filter.
    pub filter: cairn_filter::Limits,
}

impl Default for ForwardingLimits {
    fn default() -> Self {
        ForwardingLimits {
            per_store_max: 20,
            batch_max: 1000,
            allow_private: false,
            filter: cairn_filter::Limits::default(),
        }
    }
}

/// Longest forwarder name, in characters.
pub const NAME_MAX_CHARS: usize = 200;
/// Shortest webhook signing secret, in characters.
pub const SECRET_MIN_CHARS: usize = 16;
/// Request headers a forwarder sets itself (custom headers may not replace them).
const RESERVED_HEADERS: [&str; 10] = [
    "host",
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "x-experience-api-version",
    "idempotency-key",
    "x-cairn-signature",
    "x-cairn-timestamp",
    "x-cairn-forwarder",
];

/// What to change in a forwarder; `None` keeps a value, `filter: Some(None)` removes the filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForwarderPatch {
    pub name: Option<String>,
    pub filter: Option<Option<String>>,
    pub target: Option<Target>,
    pub batch_size: Option<u32>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ForwarderCommand {
    Create(Forwarder),
    Update { id: Uuid, patch: ForwarderPatch },
    Delete(Uuid),
}

/// Decides one command of `store` at `at_us`.
pub fn decide(
    st: &ForwarderState,
    store: StoreId,
    limits: &ForwardingLimits,
    at_us: i64,
    cmd: ForwarderCommand,
) -> Result<Vec<ForwarderChange>, Error> {
    match cmd {
        ForwarderCommand::Create(mut f) => {
            if f.store != store || st.by_id.contains_key(&f.id) {
                return Err(Error::BadRequest("the forwarder id is taken".into()));
            }
            if st.of_store(store).count() >= limits.per_store_max {
                return Err(Error::BadRequest(format!(
                    "a store has at most {} forwarders (forwarders_per_store_max)",
                    limits.per_store_max
                )));
            }
            f.created_us = at_us;
            f.updated_us = at_us;
            check(st, &f, limits)?;
            Ok(vec![ForwarderChange::Put(f)])
        }
        ForwarderCommand::Update { id, patch } => {
            let mut f = of_store(st, store, id)?.clone();
            if let Some(n) = patch.name {
                f.name = n;
            }
            if let Some(flt) = patch.filter {
                f.filter = flt;
            }
            if let Some(t) = patch.target {
                f.target = t;
            }
            if let Some(b) = patch.batch_size {
                f.batch_size = b;
            }
            if let Some(e) = patch.enabled {
                f.enabled = e;
            }
            f.updated_us = at_us;
            check(st, &f, limits)?;
            Ok(vec![ForwarderChange::Put(f)])
        }
        ForwarderCommand::Delete(id) => {
            of_store(st, store, id)?;
            Ok(vec![ForwarderChange::Deleted(id)])
        }
    }
}

fn of_store(st: &ForwarderState, store: StoreId, id: Uuid) -> Result<&Forwarder, Error> {
    st.by_id
        .get(&id)
        .filter(|f| f.store == store)
        .ok_or(Error::NotFound)
}

fn bad(msg: impl Into<String>) -> Error {
    Error::BadRequest(msg.into())
}

/// Checks a whole forwarder (a new one, or one after a patch).
fn check(st: &ForwarderState, f: &Forwarder, limits: &ForwardingLimits) -> Result<(), Error> {
    let name = f.name.trim();
    if name.is_empty() || f.name.chars().count() > NAME_MAX_CHARS {
        return Err(bad(format!(
            "/name: expected 1 to {NAME_MAX_CHARS} characters"
        )));
    }
    let taken = st
        .of_store(f.store)
        .any(|o| o.id != f.id && o.name.trim().eq_ignore_ascii_case(name));
    if taken {
        return Err(Error::Conflict(format!(
            "a forwarder named {name:?} exists in this store"
        )));
    }
    if f.batch_size == 0 || f.batch_size > limits.batch_max {
        return Err(bad(format!(
            "/batch_size: expected 1 to {} (forward_batch_max)",
            limits.batch_max
        )));
    }
    if let Some(text) = &f.filter {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("/filter: not JSON: {e}")))?;
        cairn_filter::Filter::parse_within(&json, &limits.filter)
            .map_err(|e| bad(format!("/filter{}: {}", e.pointer, e.message)))?;
    }
    check_target(&f.target, limits.allow_private)
}

/// Checks a target: its URL (form and address policy), credentials and headers.
pub fn check_target(t: &Target, allow_private: bool) -> Result<(), Error> {
    let (field, headers) = match t {
        Target::Xapi {
            endpoint,
            auth,
            headers,
            ..
        } => {
            check_url(endpoint, allow_private)
                .map_err(|e| bad(format!("/target/endpoint: {e}")))?;
            match auth {
                Auth::Basic { user, .. } if user.is_empty() || user.contains(':') => {
                    return Err(bad(
                        "/target/auth/user: expected a non-empty user name without ':'",
                    ));
                }
                Auth::Bearer { token } if token.trim().is_empty() => {
                    return Err(bad("/target/auth/token: expected a token"));
                }
                _ => {}
            }
            if !matches!(auth, Auth::None)
                && headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            {
                return Err(bad(
                    "/target/headers: Authorization is set by the auth settings; give one or the other",
                ));
            }
            ("/target/headers", headers)
        }
        Target::Webhook {
            url,
            secret,
            headers,
        } => {
            check_url(url, allow_private).map_err(|e| bad(format!("/target/url: {e}")))?;
            if secret.chars().count() < SECRET_MIN_CHARS {
                return Err(bad(format!(
                    "/target/secret: expected at least {SECRET_MIN_CHARS} characters"
                )));
            }
            ("/target/headers", headers)
        }
    };
    for (name, value) in headers {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            return Err(bad(format!("{field}: {name:?} is not a header name")));
        }
        if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(bad(format!("{field}: {name} is set by the forwarder")));
        }
        if value.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
            return Err(bad(format!(
                "{field}: the value of {name} has control characters"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(name: &str) -> Forwarder {
        Forwarder {
            id: Uuid::now_v7(),
            store: StoreId::DEFAULT,
            name: name.into(),
            filter: None,
            target: Target::Webhook {
                url: "https://hooks.example.com/in".into(),
                secret: "0123456789abcdef".into(),
                headers: vec![],
            },
            batch_size: 100,
            enabled: true,
            created_us: 0,
            updated_us: 0,
        }
    }

    fn run(st: &mut ForwarderState, cmd: ForwarderCommand) -> Result<(), Error> {
        for c in decide(st, StoreId::DEFAULT, &ForwardingLimits::default(), 5, cmd)? {
            st.apply(&c);
        }
        Ok(())
    }

    #[test]
    fn creates_updates_and_deletes() {
        let mut st = ForwarderState::default();
        let f = hook("a");
        run(&mut st, ForwarderCommand::Create(f.clone())).unwrap();
        assert_eq!(st.by_id[&f.id].created_us, 5);
        let patch = ForwarderPatch {
            enabled: Some(false),
            filter: Some(Some(r#"{"field":"verb","eq":"http://v"}"#.into())),
            ..Default::default()
        };
        run(&mut st, ForwarderCommand::Update { id: f.id, patch }).unwrap();
        assert!(!st.by_id[&f.id].enabled);
        run(&mut st, ForwarderCommand::Delete(f.id)).unwrap();
        assert!(st.by_id.is_empty());
        let gone = run(&mut st, ForwarderCommand::Delete(f.id));
        assert!(matches!(gone, Err(Error::NotFound)));
    }

    #[test]
    fn refuses_what_is_wrong() {
        let mut st = ForwarderState::default();
        run(&mut st, ForwarderCommand::Create(hook("a"))).unwrap();
        let dup = run(&mut st, ForwarderCommand::Create(hook(" A ")));
        assert!(matches!(dup, Err(Error::Conflict(_))));
        let cases: Vec<(Forwarder, &str)> = vec![
            (hook(""), "/name"),
            (
                Forwarder {
                    batch_size: 0,
                    ..hook("b")
                },
                "/batch_size",
            ),
            (
                Forwarder {
                    filter: Some(r#"{"field":"nope","eq":1}"#.into()),
                    ..hook("b")
                },
                "/filter",
            ),
            (
                Forwarder {
                    target: Target::Webhook {
                        url: "http://127.0.0.1:9/".into(),
                        secret: "0123456789abcdef".into(),
                        headers: vec![],
                    },
                    ..hook("b")
                },
                "forward_allow_private_targets",
            ),
            (
                Forwarder {
                    target: Target::Webhook {
                        url: "https://h.example.com/".into(),
                        secret: "short".into(),
                        headers: vec![],
                    },
                    ..hook("b")
                },
                "/target/secret",
            ),
            (
                Forwarder {
                    target: Target::Xapi {
                        endpoint: "https://lrs.example.com/xapi/".into(),
                        version: XapiVersion::V200,
                        auth: Auth::Bearer { token: "t".into() },
                        headers: vec![("Authorization".into(), "x".into())],
                    },
                    ..hook("b")
                },
                "Authorization",
            ),
            (
                Forwarder {
                    target: Target::Xapi {
                        endpoint: "https://lrs.example.com/xapi/".into(),
                        version: XapiVersion::V200,
                        auth: Auth::None,
                        headers: vec![("Bad Name".into(), "x".into())],
                    },
                    ..hook("b")
                },
                "header name",
            ),
        ];
        for (f, want) in cases {
            match run(&mut st, ForwarderCommand::Create(f)) {
                Err(Error::BadRequest(m)) => assert!(m.contains(want), "{m}"),
                other => panic!("{want}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_store_has_a_bounded_number() {
        let mut st = ForwarderState::default();
        let limits = ForwardingLimits {
            per_store_max: 1,
            ..Default::default()
        };
        let ok = decide(
            &st,
            StoreId::DEFAULT,
            &limits,
            1,
            ForwarderCommand::Create(hook("a")),
        );
        st.apply(&ok.unwrap()[0]);
        let over = decide(
            &st,
            StoreId::DEFAULT,
            &limits,
            1,
            ForwarderCommand::Create(hook("b")),
        );
        assert!(matches!(over, Err(Error::BadRequest(m)) if m.contains("per_store_max")));
    }
}

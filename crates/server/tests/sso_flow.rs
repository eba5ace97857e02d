//! The single sign-on flow around the identity provider port, with a stand-in provider: state
//! checks, the allow-list of email domains, and how an identity maps to a Cairn user (created
//! with the default role, linked by verified email, found again by subject). The real provider
//! and browser are exercised by dashboards/e2e/sso.spec.ts.
use async_trait::async_trait;
use cairn_core::Error;
use cairn_core::sso::{
    Authorization, Claims, IdentityProvider, PendingSignIn, SsoPolicy, SsoService,
};
use cairn_core::tail::Tail;
use cairn_core::tenancy::{
    DEFAULT_ORG, NewUsers, Registry, Role, TenancyConfig, TenancyService, UserSpec,
};
use cairn_core::writer::{Writer, WriterConfig};
use cairn_store::FjallStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Answers each sign-in with the claims queued last; checks the nonce round trip.
struct Stub {
    next: Mutex<Option<Claims>>,
    counter: Mutex<u32>,
}

#[async_trait]
impl IdentityProvider for Stub {
    fn issuer(&self) -> &str {
        "https://id.example.org"
    }

    async fn authorize(&self) -> Result<Authorization, Error> {
        let mut n = self.counter.lock().unwrap();
        *n += 1;
        Ok(Authorization {
            url: format!("https://id.example.org/auth?state=s{n}"),
            state: format!("s{n}"),
            pending: PendingSignIn {
                nonce: format!("n{n}"),
                pkce_verifier: format!("v{n}"),
            },
        })
    }

    async fn finish(&self, code: &str, pending: PendingSignIn) -> Result<Claims, Error> {
        assert_eq!(
            code,
            format!("code-{}", &pending.nonce[1..]),
            "the pending sign-in of this state"
        );
        self.next
            .lock()
            .unwrap()
            .take()
            .ok_or_else(|| Error::BadRequest("no claims queued".into()))
    }
}

struct Fixture {
    sso: SsoService,
    tenancy: TenancyService,
    stub: Arc<Stub>,
    _dir: tempfile::TempDir,
}

async fn fixture(email_domains: &[&str]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(FjallStore::open(&dir.path().join("store"), 8 << 20).unwrap());
    let registry = Arc::new(Registry::load(&*log).unwrap());
    let (writer, _join) = Writer::new(log, Arc::new(Tail::new(0)), WriterConfig::default())
        .with_tenancy(registry.clone())
        .spawn()
        .unwrap();
    let tenancy = TenancyService::new(registry, writer, TenancyConfig::default());
    tenancy.ensure_default_store().await.unwrap();
    let stub = Arc::new(Stub {
        next: Mutex::new(None),
        counter: Mutex::new(0),
    });
    let sso = SsoService::new(
        stub.clone(),
        SsoPolicy {
            provider_name: "Example ID".into(),
            email_domains: email_domains.iter().map(|d| d.to_string()).collect(),
            new_users: NewUsers {
                org: DEFAULT_ORG,
                role: Some(Role::Analyst),
            },
            flow_ttl: Duration::from_secs(600),
            flow_capacity: 100,
        },
        tenancy.clone(),
    );
    Fixture {
        sso,
        tenancy,
        stub,
        _dir: dir,
    }
}

fn claims(sub: &str, email: &str, verified: bool) -> Claims {
    Claims {
        subject: sub.into(),
        email: Some(email.into()),
        email_verified: verified,
        name: Some(format!("Person {sub}")),
    }
}

impl Fixture {
    /// A whole sign-in from this browser: start, then the callback with the kept state.
    async fn sign_in(&self, c: Claims) -> Result<cairn_core::tenancy::User, Error> {
        let (_, state) = self.sso.start().await?;
        *self.stub.next.lock().unwrap() = Some(c);
        let code = format!("code-{}", &state[1..]);
        self.sso
            .finish(&state, Some(&state), &code)
            .await
            .map(|(sid, u)| {
                assert_eq!(self.tenancy.session(&sid).map(|s| s.user), Some(u.id));
                u
            })
    }
}

#[tokio::test]
async fn first_sign_in_creates_the_user_with_the_default_role_and_later_ones_find_them() {
    let f = fixture(&[]).await;
    let u = f
        .sign_in(claims("ada", "Ada@Example.org", true))
        .await
        .unwrap();
    assert_eq!(u.email, "ada@example.org");
    assert_eq!(u.name, "Person ada");
    assert!(u.password_hash.is_empty() && !u.site_admin);
    let snap = f.tenancy.snapshot();
    assert_eq!(snap.state.role_in(u.id, DEFAULT_ORG), Some(Role::Analyst));
    assert_eq!(snap.state.identities.len(), 1);
    // The same subject is the same user, whatever email the provider now says.
    let again = f
        .sign_in(claims("ada", "ada@new.example.org", false))
        .await
        .unwrap();
    assert_eq!(again.id, u.id);
    assert_eq!(f.tenancy.snapshot().state.users.len(), 1);
}

#[tokio::test]
async fn an_existing_account_is_linked_only_by_a_verified_email_and_disabled_ones_stay_out() {
    let f = fixture(&[]).await;
    let spec = |email: &str| UserSpec {
        email: Some(email.into()),
        password: Some("a long password".into()),
        ..Default::default()
    };
    let bob = f
        .tenancy
        .create_user(None, spec("bob@example.org"))
        .await
        .unwrap();
    let e = f
        .sign_in(claims("b", "bob@example.org", false))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not verified"), "{e}");
    let linked = f
        .sign_in(claims("b", "bob@example.org", true))
        .await
        .unwrap();
    assert_eq!(linked.id, bob.id, "linked, not duplicated");

    let carol = f
        .tenancy
        .create_user(None, spec("carol@example.org"))
        .await
        .unwrap();
    let root = f
        .tenancy
        .create_user(
            None,
            UserSpec {
                site_admin: Some(true),
                ..spec("root@example.org")
            },
        )
        .await
        .unwrap();
    let admin = cairn_core::tenancy::Subject {
        user: root.id,
        site_admin: true,
    };
    f.tenancy
        .update_user(
            &admin,
            carol.id,
            UserSpec {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let e = f
        .sign_in(claims("c", "carol@example.org", true))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("disabled"), "{e}");

    let no_email = Claims {
        email: None,
        ..claims("d", "", true)
    };
    let e = f.sign_in(no_email).await.unwrap_err();
    assert!(e.to_string().contains("no email"), "{e}");
}

#[tokio::test]
async fn domains_outside_the_allow_list_are_refused() {
    let f = fixture(&["example.org"]).await;
    f.sign_in(claims("a", "a@EXAMPLE.org", true)).await.unwrap();
    let e = f
        .sign_in(claims("m", "m@elsewhere.test", true))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    assert!(e.to_string().contains("elsewhere.test"), "{e}");
    assert!(
        f.tenancy
            .snapshot()
            .state
            .user_by_email("m@elsewhere.test")
            .is_none()
    );
}

#[tokio::test]
async fn the_state_must_match_the_browser_and_works_once() {
    let f = fixture(&[]).await;
    let (url, state) = f.sso.start().await.unwrap();
    assert!(url.contains(&state));
    let code = format!("code-{}", &state[1..]);
    let e = f.sso.finish(&state, None, &code).await.unwrap_err();
    assert!(e.to_string().contains("no sign-in in progress"), "{e}");
    let tampered = format!("{state}x");
    let e = f
        .sso
        .finish(&tampered, Some(&state), &code)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    let e = f
        .sso
        .finish(&tampered, Some(&tampered), &code)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("unknown"), "{e}");
    *f.stub.next.lock().unwrap() = Some(claims("a", "a@example.org", true));
    f.sso.finish(&state, Some(&state), &code).await.unwrap();
    *f.stub.next.lock().unwrap() = Some(claims("a", "a@example.org", true));
    let e = f.sso.finish(&state, Some(&state), &code).await.unwrap_err();
    assert!(e.to_string().contains("already used"), "{e}");
}

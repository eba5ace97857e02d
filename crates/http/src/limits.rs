//! Rate limits (governor, GCRA): per xAPI client, per admin-API user, per login email, and
//! failed xAPI authentications per client key and per source address. A refusal is
//! `429 Too Many Requests` with `Retry-After`, counted in `cairn_rate_limited_total` with a
//! `limit` label naming the limit that refused (one of [`LIMIT_NAMES`]).
use cairn_core::Error;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests per second and burst; `per_second == 0` turns the limit off.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    pub client: Rate,
    pub user: Rate,
    /// Login attempts per email, per minute (and the burst).
    pub login_per_minute: u32,
    /// Failed xAPI authentications per client key, per minute (and the burst); 0: off.
    pub auth_failures_per_minute: u32,
    /// Failed xAPI authentications per source address, per minute (and the burst); 0: off.
    pub auth_failures_per_minute_address: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            client: Rate {
                per_second: 20_000,
                burst: 40_000,
            },
            user: Rate {
                per_second: 50,
                burst: 100,
            },
            login_per_minute: 10,
            auth_failures_per_minute: 20,
            auth_failures_per_minute_address: 60,
        }
    }
}

type Limiter = Option<Arc<DefaultKeyedRateLimiter<String>>>;

/// The `limit` label of `cairn_rate_limited_total`: per xAPI client, per admin-API user, per
/// login email, failed xAPI authentications per client key and per source address.
pub const LIMIT_NAMES: &[&str] = &[
    "client",
    "user",
    "login",
    "auth_failures_key",
    "auth_failures_address",
];

/// Counts a refusal by `limit` and passes the result on.
fn counted(limit: &'static str, r: Result<(), Error>) -> Result<(), Error> {
    if r.is_err() {
        metrics::counter!("cairn_rate_limited_total", "limit" => limit).increment(1);
    }
    r
}

#[derive(Clone)]
pub struct Limits {
    client: Limiter,
    user: Limiter,
    login: Limiter,
    failures_key: Failures,
    failures_address: Failures,
}

/// Failed authentications of one kind of source (client key or address). The GCRA limiter
/// counts failures only; once it refuses one, the source is barred until the limiter would let
/// the next failure through, and while barred even right credentials are refused, so that a
/// guess cannot be confirmed faster than the limit allows.
#[derive(Clone)]
struct Failures {
    /// The `limit` label of its refusals.
    name: &'static str,
    limiter: Limiter,
    /// Source → when it may try again.
    barred: moka::sync::Cache<String, Instant>,
}

/// Longest source key kept (client keys are chosen by whoever sends the header).
const SOURCE_MAX: usize = 256;

fn source(key: &str) -> String {
    let mut end = key.len().min(SOURCE_MAX);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    key[..end].to_owned()
}

impl Failures {
    fn new(name: &'static str, per_minute: u32) -> Self {
        Failures {
            name,
            limiter: limiter(NonZeroU32::new(per_minute).map(Quota::per_minute)),
            barred: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
        }
    }

    /// Refuses a source that is barred.
    fn admit(&self, key: &str) -> Result<(), Error> {
        if self.limiter.is_none() {
            return Ok(());
        }
        let now = Instant::now();
        match self.barred.get(&source(key)) {
            Some(until) if until > now => counted(
                self.name,
                Err(Error::RateLimited((until - now).as_secs() + 1)),
            ),
            _ => Ok(()),
        }
    }

    /// Counts a failure; past the limit, bars the source and answers the refusal.
    fn failed(&self, key: &str) -> Result<(), Error> {
        let key = source(key);
        check(self.name, &self.limiter, &key).inspect_err(|e| {
            if let Error::RateLimited(secs) = e {
                self.barred
                    .insert(key.clone(), Instant::now() + Duration::from_secs(*secs));
            }
        })
    }
}

fn limiter(q: Option<Quota>) -> Limiter {
    q.map(|q| Arc::new(RateLimiter::keyed(q)))
}

fn per_second(r: Rate) -> Option<Quota> {
    let n = NonZeroU32::new(r.per_second)?;
    Some(Quota::per_second(n).allow_burst(NonZeroU32::new(r.burst).unwrap_or(n)))
}

/// Asks the limiter `l`, named `limit`, whether `key` may go on.
fn check(limit: &'static str, l: &Limiter, key: &str) -> Result<(), Error> {
    let Some(l) = l else { return Ok(()) };
    if l.len() > 100_000 {
        l.retain_recent();
    }
    let r = l.check_key(&key.to_owned()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Error::RateLimited(wait.as_secs() + 1)
    });
    counted(limit, r)
}

impl Limits {
    pub fn new(cfg: RateLimitConfig) -> Self {
        let login = NonZeroU32::new(cfg.login_per_minute).map(Quota::per_minute);
        Limits {
            client: limiter(per_second(cfg.client)),
            user: limiter(per_second(cfg.user)),
            login: limiter(login),
            failures_key: Failures::new("auth_failures_key", cfg.auth_failures_per_minute),
            failures_address: Failures::new(
                "auth_failures_address",
                cfg.auth_failures_per_minute_address,
            ),
        }
    }

    /// Before checking xAPI credentials: refuses a client key or an address that failed too
    /// often. `address` is absent when the connection's peer is not known.
    pub fn auth_admit(&self, key: Option<&str>, address: Option<&str>) -> Result<(), Error> {
        if let Some(a) = address {
            self.failures_address.admit(a)?;
        }
        if let Some(k) = key {
            self.failures_key.admit(k)?;
        }
        Ok(())
    }

    /// After credentials failed: counts the failure against the key and the address, and
    /// answers the refusal when either is now over its limit.
    pub fn auth_failed(&self, key: Option<&str>, address: Option<&str>) -> Result<(), Error> {
        let by_address = address.map_or(Ok(()), |a| self.failures_address.failed(a));
        let by_key = key.map_or(Ok(()), |k| self.failures_key.failed(k));
        by_address.and(by_key)
    }

    pub fn client(&self, key: &str) -> Result<(), Error> {
        check("client", &self.client, key)
    }

    pub fn user(&self, id: &str) -> Result<(), Error> {
        check("user", &self.user, id)
    }

    pub fn login(&self, email: &str) -> Result<(), Error> {
        check("login", &self.login, &email.trim().to_ascii_lowercase())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(RateLimitConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_burst_with_a_retry_time() {
        let l = Limits::new(RateLimitConfig {
            client: Rate {
                per_second: 1,
                burst: 2,
            },
            user: Rate {
                per_second: 0,
                burst: 0,
            },
            login_per_minute: 1,
            ..RateLimitConfig::default()
        });
        assert!(l.client("a").is_ok() && l.client("a").is_ok());
        assert!(matches!(l.client("a"), Err(Error::RateLimited(s)) if s >= 1));
        assert!(l.client("b").is_ok(), "limits are per key");
        for _ in 0..100 {
            assert!(l.user("u").is_ok(), "0 turns the limit off");
        }
        assert!(l.login("A@x.org").is_ok());
        assert!(
            l.login("a@x.org").is_err(),
            "emails compare case-insensitively"
        );
    }

    /// 2,000 wrong secrets in 0.37 s were all answered 401: failures are now limited per
    /// client key and per address, and a barred source is refused even with the right secret.
    #[test]
    fn failed_authentications_bar_the_key_and_the_address() {
        let l = Limits::new(RateLimitConfig {
            auth_failures_per_minute: 3,
            auth_failures_per_minute_address: 5,
            ..RateLimitConfig::default()
        });
        for _ in 0..3 {
            assert!(l.auth_admit(Some("k"), Some("10.0.0.1")).is_ok());
            assert!(l.auth_failed(Some("k"), Some("10.0.0.1")).is_ok());
        }
        assert!(matches!(
            l.auth_failed(Some("k"), Some("10.0.0.1")),
            Err(Error::RateLimited(s)) if s >= 1
        ));
        assert!(
            matches!(
                l.auth_admit(Some("k"), Some("10.0.0.2")),
                Err(Error::RateLimited(_))
            ),
            "the key is barred from every address, right secret or not"
        );
        assert!(l.auth_admit(Some("other"), Some("10.0.0.1")).is_ok());
        assert!(
            l.auth_failed(Some("other"), Some("10.0.0.1")).is_ok(),
            "5th from the address"
        );
        assert!(
            l.auth_failed(Some("other"), Some("10.0.0.1")).is_err(),
            "6th from the address"
        );
        assert!(
            matches!(
                l.auth_admit(Some("third"), Some("10.0.0.1")),
                Err(Error::RateLimited(_))
            ),
            "the address is barred for every key"
        );
        assert!(l.auth_admit(Some("third"), Some("10.0.0.3")).is_ok());
        assert!(
            l.auth_admit(Some("third"), None).is_ok(),
            "no address: the key alone"
        );
        let off = Limits::new(RateLimitConfig {
            auth_failures_per_minute: 0,
            auth_failures_per_minute_address: 0,
            ..RateLimitConfig::default()
        });
        for _ in 0..100 {
            assert!(off.auth_failed(Some("k"), Some("a")).is_ok());
        }
        assert!(
            off.auth_admit(Some("k"), Some("a")).is_ok(),
            "0 turns the limits off"
        );
    }
}

//! Rate limits (governor, GCRA): per xAPI client, per admin-API user, and per login email.
//! A refusal is `429 Too Many Requests` with `Retry-After`.
use cairn_core::Error;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

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
        }
    }
}

type Limiter = Option<Arc<DefaultKeyedRateLimiter<String>>>;

#[derive(Clone)]
pub struct Limits {
    client: Limiter,
    user: Limiter,
    login: Limiter,
}

fn limiter(q: Option<Quota>) -> Limiter {
    q.map(|q| Arc::new(RateLimiter::keyed(q)))
}

fn per_second(r: Rate) -> Option<Quota> {
    let n = NonZeroU32::new(r.per_second)?;
    Some(Quota::per_second(n).allow_burst(NonZeroU32::new(r.burst).unwrap_or(n)))
}

fn check(l: &Limiter, key: &str) -> Result<(), Error> {
    let Some(l) = l else { return Ok(()) };
    if l.len() > 100_000 {
        l.retain_recent();
    }
    l.check_key(&key.to_owned()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Error::RateLimited(wait.as_secs() + 1)
    })
}

impl Limits {
    pub fn new(cfg: RateLimitConfig) -> Self {
        let login = NonZeroU32::new(cfg.login_per_minute).map(Quota::per_minute);
        Limits {
            client: limiter(per_second(cfg.client)),
            user: limiter(per_second(cfg.user)),
            login: limiter(login),
        }
    }

    pub fn client(&self, key: &str) -> Result<(), Error> {
        check(&self.client, key)
    }

    pub fn user(&self, id: &str) -> Result<(), Error> {
        check(&self.user, id)
    }

    pub fn login(&self, email: &str) -> Result<(), Error> {
        check(&self.login, &email.trim().to_ascii_lowercase())
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
}

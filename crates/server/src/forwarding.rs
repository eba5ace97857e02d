//! Statement forwarding's HTTP side: the [`Deliver`] adapter (reqwest on rustls with the ring
//! provider, as for HTTPS serving) that POSTs batches to an xAPI LRS or a webhook, the guard that
//! keeps connections off non-public addresses, the filter matcher (the same row the projection
//! holds), and the settings.
use crate::config::Config;
use cairn_core::forwarding::address::refused;
use cairn_core::forwarding::{
    Answer, Auth, Batch, Deliver, DeliverySettings, Forwarder, ForwardingLimits, Matcher,
    RetryPolicy, Target,
};
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// The header carrying the webhook signature: `sha256=<hex HMAC-SHA256(secret, ts "." body)>`.
pub const SIGNATURE_HEADER: &str = "X-Cairn-Signature";
/// The header carrying the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "X-Cairn-Timestamp";
/// The same batch always has the same key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

impl Config {
    pub fn forwarding_limits(&self) -> ForwardingLimits {
        ForwardingLimits {
            per_store_max: self.forwarders_per_store_max,
            batch_max: self.forward_batch_max,
            allow_private: self.forward_allow_private_targets,
            filter: self.filter_limits(),
        }
    }

    pub fn delivery_settings(&self) -> DeliverySettings {
        DeliverySettings {
            retry: RetryPolicy {
                max_attempts: self.forward_retry_max_attempts,
                max_age: Duration::from_secs(self.forward_retry_max_age_seconds),
                initial_backoff: Duration::from_millis(self.forward_backoff_initial_ms),
                max_backoff: Duration::from_millis(self.forward_backoff_max_ms),
            },
            scan_entries: self.forward_scan_entries,
            lag_count_max: self.forward_lag_count_max,
            in_flight: self.forward_in_flight,
        }
    }
}

/// Whether a statement meets a filter: the filter language's in-process predicate over the row
/// the ClickHouse projection would hold for it.
pub fn matcher() -> Matcher {
    Arc::new(|record, filter, now_us| {
        let facts = record.facts();
        let row = cairn_clickhouse::row::StatementRow::new(0, record, &facts).filter_row();
        filter.matches(&row, now_us)
    })
}

/// Resolves host names, refusing every name that resolves to a non-public address (unless
/// allowed): checked right before connecting, so a name cannot be pointed elsewhere after the
/// forwarder was saved.
struct Guarded {
    allow_private: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow && let Some(why) = addrs.iter().find_map(|a| refused(a.ip())) {
                let msg = format!(
                    "{host} resolves to {why}; such targets are refused unless the operator sets \
                     forward_allow_private_targets"
                );
                return Err(msg.into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

pub struct HttpDeliver {
    client: reqwest::Client,
    allow_private: bool,
    body_max: usize,
}

impl HttpDeliver {
    pub fn new(cfg: &Config) -> Result<Self, String> {
        let tls = crate::tls::client_config(Vec::new())?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .dns_resolver(Arc::new(Guarded {
                allow_private: cfg.forward_allow_private_targets,
            }))
            .connect_timeout(Duration::from_millis(cfg.forward_connect_timeout_ms))
            .timeout(Duration::from_millis(cfg.forward_request_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the forwarding HTTP client: {e}"))?;
        Ok(HttpDeliver {
            client,
            allow_private: cfg.forward_allow_private_targets,
            body_max: cfg.forward_error_body_max_bytes,
        })
    }

    async fn answer(&self, res: reqwest::Response) -> Answer {
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut body = Vec::new();
        let mut res = res;
        while body.len() < self.body_max {
            match res.chunk().await {
                Ok(Some(c)) => body.extend_from_slice(&c),
                _ => break,
            }
        }
        body.truncate(self.body_max);
        Answer::Status {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            retry_after,
        }
    }
}

/// The statements as a JSON array, each as the LRS serves it (ids, `stored` and all).
fn statements_json(batch: &Batch) -> Vec<u8> {
    let mut out = Vec::with_capacity(batch.statements.len() * 512);
    out.push(b'[');
    for (i, (_, r)) in batch.statements.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&r.full_json());
    }
    out.push(b']');
    out
}

/// The header naming what a webhook request carries: `statements` or `erasure`.
pub const EVENT_HEADER: &str = "X-Cairn-Event";

/// Why an erasure notice is not sent to an xAPI target (it becomes a dead letter saying so).
pub const XAPI_ERASURE: &str = "erasure notice not sent: the xAPI has no way to erase a \
     statement, so erase the person at the target, then discard this dead letter";

/// The webhook's body: `{"forwarder", "store", "idempotency_key", "statements": [...]}`, or,
/// for an erasure notice, `{…, "erasure": {"id", "erased_at", "identifiers_sha256",
/// "statements"}}` (the SHA-256 of each identifier asked for, never the identifiers).
pub fn webhook_body(f: &Forwarder, batch: &Batch) -> Vec<u8> {
    if let Some((_, e)) = &batch.erasure {
        let body = serde_json::json!({
            "forwarder": f.id,
            "store": f.store.0,
            "idempotency_key": batch.key,
            "erasure": {
                "id": e.id,
                "erased_at": cairn_core::time_fmt::format_us(e.at_us),
                "identifiers_sha256": e.identifiers,
                "statements": e.statements,
            },
        });
        return body.to_string().into_bytes();
    }
    let head = format!(
        r#"{{"forwarder":"{}","store":"{}","idempotency_key":"{}","statements":"#,
        f.id, f.store.0, batch.key
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(&statements_json(batch));
    out.push(b'}');
    out
}

/// `sha256=` and the hex HMAC-SHA256 of `timestamp "." body` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `endpoint` + `statements`, with one slash between.
fn statements_url(endpoint: &str) -> String {
    format!("{}/statements", endpoint.trim_end_matches('/'))
}

#[async_trait::async_trait]
impl Deliver for HttpDeliver {
    async fn deliver(&self, f: &Forwarder, batch: &Batch) -> Answer {
        // Address literals never reach the resolver: check them here (host names are checked
        // by the resolver, on every connection).
        if let Err(e) =
            cairn_core::forwarding::address::check_url(f.target.url(), self.allow_private)
        {
            return Answer::Transport(e);
        }
        let req = match &f.target {
            Target::Xapi { .. } if batch.erasure.is_some() => {
                return Answer::Unsendable(XAPI_ERASURE.to_owned());
            }
            Target::Xapi {
                endpoint,
                version,
                auth,
                headers,
            } => {
                let mut req = self
                    .client
                    .post(statements_url(endpoint))
                    .header("X-Experience-API-Version", version.as_str())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(IDEMPOTENCY_HEADER, &batch.key)
                    .body(statements_json(batch));
                req = match auth {
                    Auth::None => req,
                    Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
                    Auth::Bearer { token } => req.bearer_auth(token),
                };
                headers.iter().fold(req, |r, (n, v)| r.header(n, v))
            }
            Target::Webhook {
                url,
                secret,
                headers,
            } => {
                let body = webhook_body(f, batch);
                let ts = cairn_core::time_fmt::now_us() / 1_000_000;
                let req = self
                    .client
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(IDEMPOTENCY_HEADER, &batch.key)
                    .header(TIMESTAMP_HEADER, ts.to_string())
                    .header(SIGNATURE_HEADER, signature(secret, ts, &body))
                    .header("X-Cairn-Forwarder", f.id.to_string())
                    .header(
                        EVENT_HEADER,
                        if batch.erasure.is_some() {
                            "erasure"
                        } else {
                            "statements"
                        },
                    )
                    .body(body);
                headers.iter().fold(req, |r, (n, v)| r.header(n, v))
            }
        };
        match req.send().await {
            Ok(res) => self.answer(res).await,
            Err(e) => Answer::Transport(error_chain(&e)),
        }
    }
}

/// The error with its causes (reqwest's own message alone says little).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // HMAC-SHA256("key", "1.{}"), computed with Python's hmac module.
        let s = signature("key", 1, b"{}");
        assert_eq!(
            s,
            "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_ne!(s, signature("key", 2, b"{}"));
        assert_ne!(s, signature("other", 1, b"{}"));
        assert_eq!(
            statements_url("https://a/xapi/"),
            "https://a/xapi/statements"
        );
        assert_eq!(
            statements_url("https://a/xapi"),
            "https://a/xapi/statements"
        );
    }
}

//! A webhook receiver for the forwarding tests, on hyper's HTTP/1 server. It answers each
//! request as its script says: a status and a body, a 429 with `Retry-After`, or, through the
//! per-connection hook, no answer at all (the connection is dropped, at once or after hanging).
//! It can also answer 503 to every request carrying a given text, whatever the script says.
#![allow(dead_code)]
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How the receiver answers one request.
#[derive(Clone, Debug)]
pub enum Act {
    /// Closes the connection without answering.
    Drop,
    /// Answers this status and body.
    Status(u16, &'static str),
    /// Answers 429 with `Retry-After: 1`.
    TooMany,
    /// Answers nothing for 5 s, then closes the connection.
    Hang,
}

#[derive(Clone, Debug)]
pub struct Received {
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// The status answered; 0 when the connection was dropped.
    pub answered: u16,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub script: Arc<Mutex<VecDeque<Act>>>,
    default: Arc<Mutex<Option<Act>>>,
    got: Arc<Mutex<Vec<Received>>>,
    /// While set, a request whose body contains this text is answered 503 (before the script).
    pub refuse: Arc<Mutex<Option<String>>>,
    /// Every request body, in the order the requests arrived (before any answer).
    arrived: Arc<Mutex<Vec<Vec<u8>>>>,
    /// When above 0, each answer waits a random time up to this many milliseconds.
    pub jitter_ms: Arc<Mutex<u64>>,
}

impl Receiver {
    /// The next scripted act, else the default (200 "ok" unless set).
    fn next(&self) -> Act {
        self.script
            .lock()
            .unwrap()
            .pop_front()
            .or_else(|| self.default.lock().unwrap().clone())
            .unwrap_or(Act::Status(200, "ok"))
    }

    pub fn set_default(&self, a: Act) {
        *self.default.lock().unwrap() = Some(a);
    }

    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn record(&self, headers: HashMap<String, String>, body: Vec<u8>, answered: u16) {
        self.got.lock().unwrap().push(Received {
            headers,
            body,
            answered,
        });
    }

    /// The statement ids of each request, in the order the requests arrived.
    pub fn arrivals(&self) -> Vec<Vec<String>> {
        let bodies = self.arrived.lock().unwrap().clone();
        bodies.iter().map(|b| statement_ids(b)).collect()
    }

    /// Statement ids delivered (answered 2xx), in order.
    pub fn delivered(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in self.got().iter().filter(|r| r.answered == 200) {
            out.extend(statement_ids(&r.body));
        }
        out
    }

    /// Listens on a free loopback port (answered) until the test ends.
    pub async fn serve(self) -> u16 {
        self.serve_on(0).await
    }

    /// Listens on loopback port `port` (0: a free one, answered) until the test ends.
    pub async fn serve_on(self, port: u16) -> u16 {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let (sock, _) = listener.accept().await.unwrap();
                tokio::spawn(self.clone().connection(TokioIo::new(sock)));
            }
        });
        port
    }

    /// Serves one connection until it ends or a request asks for it to be dropped.
    async fn connection(self, io: TokioIo<tokio::net::TcpStream>) {
        let hook = Arc::new(Notify::new());
        let drop_now = hook.clone();
        let service = service_fn(move |req: Request<hyper::body::Incoming>| {
            let (me, hook) = (self.clone(), hook.clone());
            async move { Ok::<_, Infallible>(me.answer(req, &hook).await) }
        });
        let conn = http1::Builder::new().serve_connection(io, service);
        tokio::select! {
            _ = conn => {}
            // Dropping the connection future closes the socket: no answer is sent.
            _ = drop_now.notified() => {}
        }
    }

    async fn answer(
        &self,
        req: Request<hyper::body::Incoming>,
        hook: &Notify,
    ) -> Response<Full<Bytes>> {
        let headers = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        self.arrived.lock().unwrap().push(body.clone());
        let jitter = *self.jitter_ms.lock().unwrap();
        if jitter > 0 {
            let r = u64::from(uuid::Uuid::new_v4().as_bytes()[0]);
            tokio::time::sleep(Duration::from_millis(r * jitter / 255)).await;
        }
        let refused = self
            .refuse
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|t| std::str::from_utf8(&body).is_ok_and(|b| b.contains(t.as_str())));
        let act = if refused {
            Act::Status(503, "not this one yet")
        } else {
            self.next()
        };
        let (code, text) = match act {
            act @ (Act::Drop | Act::Hang) => {
                self.record(headers, body, 0);
                if matches!(act, Act::Hang) {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                hook.notify_one();
                std::future::pending::<()>().await;
                unreachable!("the connection is dropped first")
            }
            Act::TooMany => (429, "slow down"),
            Act::Status(c, t) => (c, t),
        };
        self.record(headers, body, code);
        let mut res = Response::builder().status(code);
        if code == 429 {
            res = res.header("Retry-After", "1");
        }
        res.body(Full::new(Bytes::from_static(text.as_bytes())))
            .unwrap()
    }
}

/// The statement ids, in the body's order, of a webhook body (`{"statements": [...]}`) or an xAPI body (an array);
/// none for an erasure notice.
pub fn statement_ids(body: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    let list = v.as_array().or_else(|| v["statements"].as_array());
    list.into_iter()
        .flatten()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Whether a webhook request carries a valid signature under `secret`: HMAC-SHA256 over
/// `timestamp "." body`, compared in constant time.
pub fn signed_with(r: &Received, secret: &str) -> bool {
    use hmac::{Hmac, Mac};
    let (Some(ts), Some(sig)) = (
        r.headers.get("x-cairn-timestamp"),
        r.headers.get("x-cairn-signature"),
    ) else {
        return false;
    };
    let Some(Ok(bytes)) = sig.strip_prefix("sha256=").map(hex::decode) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    mac.verify_slice(&bytes).is_ok()
}

//! A minimal keep-alive HTTP/1.1 client: one connection per worker (hyper's `conn` API, no
//! pool), reconnecting after an error. Lean on purpose: the generator shares the machine with
//! the server, so every cycle it spends is one the server does not get.
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full, combinators::BoxBody};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;

type Body = BoxBody<Bytes, Infallible>;

/// Where the server is and how to authenticate.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// Basic credentials; `None` for ClickHouse's password-less loopback user.
    pub auth: Option<HeaderValue>,
    pub host: HeaderValue,
    /// Added to every request (e.g. `X-Experience-API-Version`).
    pub xapi: bool,
}

impl Target {
    pub fn new(addr: SocketAddr, key: &str, secret: &str) -> Self {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"));
        Target {
            addr,
            auth: Some(HeaderValue::from_str(&format!("Basic {token}")).expect("ascii")),
            host: HeaderValue::from_str(&addr.to_string()).expect("ascii"),
            xapi: true,
        }
    }

    /// The admin API with a personal token (`Authorization: Bearer`), without xAPI headers.
    pub fn bearer(addr: SocketAddr, token: &str) -> Self {
        Target {
            addr,
            auth: Some(HeaderValue::from_str(&format!("Bearer {token}")).expect("ascii token")),
            host: HeaderValue::from_str(&addr.to_string()).expect("ascii"),
            xapi: false,
        }
    }

    /// A target without credentials or xAPI headers (ClickHouse's HTTP interface).
    pub fn plain(addr: SocketAddr) -> Self {
        Target {
            addr,
            auth: None,
            host: HeaderValue::from_str(&addr.to_string()).expect("ascii"),
            xapi: false,
        }
    }
}

pub struct Conn {
    target: Target,
    sender: Option<SendRequest<Body>>,
}

impl Conn {
    pub fn new(target: Target) -> Self {
        Conn {
            target,
            sender: None,
        }
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Body>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let tcp = tokio::net::TcpStream::connect(self.target.addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let _ = tcp.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected"))
    }

    /// Sends one request and reads the whole response.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes), String> {
        self.send_with(method, path, body, &[])
            .await
            .map(|(status, _, bytes)| (status, bytes))
    }

    /// [`Conn::send`] with extra request headers, answering the response headers too.
    pub async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<(StatusCode, HeaderMap, Bytes), String> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.target.host.clone());
        for (name, value) in headers {
            b = b.header(name, value);
        }
        if let Some(auth) = &self.target.auth {
            b = b.header(AUTHORIZATION, auth.clone());
        }
        if self.target.xapi {
            b = b.header("X-Experience-API-Version", "2.0.0");
        }
        let body: Body = match body {
            Some(bytes) => {
                b = b.header(CONTENT_TYPE, "application/json");
                Full::new(bytes).boxed()
            }
            None => Empty::new().boxed(),
        };
        let req = b.body(body).map_err(|e| e.to_string())?;
        let sender = self.connect().await?;
        sender.ready().await.map_err(|e| e.to_string())?;
        let result = async {
            let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
            let (parts, body) = res.into_parts();
            let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok((parts.status, parts.headers, bytes))
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}

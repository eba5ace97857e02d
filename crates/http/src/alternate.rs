//! The alternate request syntax (xAPI 1.0.3, Communication 1.3): a POST with `?method=X` and a
//! form body carrying headers, parameters and `content`, rewritten into the request it stands for
//! before routing. xAPI 2.0 removed it, so 2.0 requests that use it are refused.
use crate::error::ApiError;
use crate::protocol::VERSION_HEADER;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cairn_xapi::XapiVersion;
use http_body_util::BodyExt;

const FORM_HEADERS: [&str; 6] = [
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
];

pub async fn rewrite(req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("");
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let Some(method) = params
        .iter()
        .find(|(k, _)| k == "method")
        .map(|(_, v)| v.clone())
    else {
        return next.run(req).await;
    };
    match rewritten(req, &method, &params).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn rewritten(
    req: Request,
    method: &str,
    params: &[(String, String)],
) -> Result<Request, ApiError> {
    let header_version = req
        .headers()
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(XapiVersion::from_header);
    if header_version == Some(XapiVersion::V2_0_0) {
        return Err(ApiError::bad_request(
            "xAPI 2.0 does not support the alternate request syntax (the method parameter)",
        ));
    }
    if req.method() != Method::POST {
        return Err(ApiError::bad_request(
            "the alternate request syntax must be sent as a POST",
        ));
    }
    if params.len() != 1 {
        return Err(ApiError::bad_request(
            "with the alternate request syntax, method must be the only query parameter; send the others in the form body",
        ));
    }
    let target = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .ok()
        .filter(|m| {
            [
                Method::GET,
                Method::PUT,
                Method::POST,
                Method::DELETE,
                Method::HEAD,
            ]
            .contains(m)
        })
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "method {method:?} is not a valid alternate request method"
            ))
        })?;
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(ApiError::bad_request(
            "the alternate request syntax needs a Content-Type of application/x-www-form-urlencoded",
        ));
    }
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read the form body: {e}")))?
        .to_bytes();
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    let mut content: Option<String> = None;
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(&bytes) {
        let lower = k.to_ascii_lowercase();
        if lower == "content" {
            content = Some(v.into_owned());
        } else if FORM_HEADERS.contains(&lower.as_str()) {
            if lower == "content-length" {
                continue;
            }
            let value = HeaderValue::from_str(&v).map_err(|_| {
                ApiError::bad_request(format!("form header {k} is not a valid header value"))
            })?;
            headers.insert(
                HeaderName::from_bytes(lower.as_bytes()).expect("known header name"),
                value,
            );
        } else {
            query.append_pair(&k, &v);
        }
    }
    if headers
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(XapiVersion::from_header)
        == Some(XapiVersion::V2_0_0)
    {
        return Err(ApiError::bad_request(
            "xAPI 2.0 does not support the alternate request syntax (the method parameter)",
        ));
    }
    if matches!(target, Method::PUT | Method::POST)
        && content.is_none()
        && parts.uri.path().ends_with("/statements")
    {
        return Err(ApiError::bad_request(
            "the alternate request syntax needs a form parameter named content",
        ));
    }
    if content.is_some() && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let query = query.finish();
    let path_and_query = if query.is_empty() {
        parts.uri.path().to_owned()
    } else {
        format!("{}?{}", parts.uri.path(), query)
    };
    let uri: Uri = path_and_query
        .parse()
        .map_err(|_| ApiError::bad_request("invalid parameters in the form body"))?;
    let mut out = Request::new(Body::from(content.unwrap_or_default()));
    *out.method_mut() = target;
    *out.uri_mut() = uri;
    *out.headers_mut() = headers;
    *out.extensions_mut() = parts.extensions;
    Ok(out)
}

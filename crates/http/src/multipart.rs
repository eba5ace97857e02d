//! multipart/mixed: reading statement requests with attachment parts, and writing responses
//! with `attachments=true`.
use crate::error::ApiError;
use bytes::{BufMut, Bytes, BytesMut};
use cairn_core::statements::AttachmentPart;
use std::convert::Infallible;

pub struct MultipartBody {
    pub statements: Bytes,
    pub parts: Vec<AttachmentPart>,
}

/// Splits a multipart/mixed request: the first part is the statements (application/json), each
/// further part an attachment with `X-Experience-API-Hash` and `Content-Transfer-Encoding: binary`.
pub async fn parse(content_type: &str, body: Bytes) -> Result<MultipartBody, ApiError> {
    let boundary = boundary(content_type).ok_or_else(|| {
        ApiError::bad_request("multipart/mixed needs a boundary parameter in Content-Type")
    })?;
    let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut statements = None;
    let mut parts = Vec::new();
    let mut index = 0usize;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(ApiError::bad_request(format!(
                    "malformed multipart body: {e}"
                )));
            }
        };
        let header = |name: &str| {
            field
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_owned())
        };
        let ct = header("content-type").unwrap_or_default();
        if index == 0 {
            if !ct.to_ascii_lowercase().starts_with("application/json") {
                return Err(ApiError::bad_request(
                    "the first part of a multipart/mixed request must be application/json",
                ));
            }
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?;
            statements = Some(bytes);
        } else {
            let sha2 = header("x-experience-api-hash").ok_or_else(|| {
                ApiError::bad_request(format!(
                    "multipart part {index} has no X-Experience-API-Hash header"
                ))
            })?;
            let encoding = header("content-transfer-encoding").unwrap_or_default();
            if !encoding.eq_ignore_ascii_case("binary") {
                return Err(ApiError::bad_request(format!(
                    "multipart part {index} must have Content-Transfer-Encoding: binary"
                )));
            }
            let body = field
                .bytes()
                .await
                .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?;
            parts.push(AttachmentPart {
                sha2,
                content_type: ct,
                body,
            });
        }
        index += 1;
    }
    let statements =
        statements.ok_or_else(|| ApiError::bad_request("the multipart/mixed body has no parts"))?;
    Ok(MultipartBody { statements, parts })
}

/// The boundary parameter of a multipart Content-Type. (Hand-parsed: mime parsers refuse
/// boundaries that start with dashes, which xAPI clients send.)
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim().trim_matches('"');
        (!v.is_empty()).then(|| v.to_owned())
    })
}

/// A multipart/mixed response: the JSON document first, then each attachment.
pub struct MultipartWriter {
    boundary: String,
    buf: BytesMut,
}

impl MultipartWriter {
    pub fn new() -> Self {
        MultipartWriter {
            boundary: format!("cairn-{}", uuid::Uuid::new_v4().simple()),
            buf: BytesMut::new(),
        }
    }

    pub fn content_type(&self) -> String {
        format!("multipart/mixed; boundary={}", self.boundary)
    }

    fn part(&mut self, headers: &[(&str, &str)], body: &[u8]) {
        self.buf.put_slice(b"--");
        self.buf.put_slice(self.boundary.as_bytes());
        self.buf.put_slice(b"\r\n");
        for (k, v) in headers {
            self.buf.put_slice(k.as_bytes());
            self.buf.put_slice(b": ");
            self.buf.put_slice(v.as_bytes());
            self.buf.put_slice(b"\r\n");
        }
        self.buf.put_slice(b"\r\n");
        self.buf.put_slice(body);
        self.buf.put_slice(b"\r\n");
    }

    pub fn json(&mut self, body: &[u8]) {
        self.part(&[("Content-Type", "application/json")], body);
    }

    pub fn attachment(&mut self, content_type: &str, sha2: &str, body: &[u8]) {
        self.part(
            &[
                ("Content-Type", content_type),
                ("Content-Transfer-Encoding", "binary"),
                ("X-Experience-API-Hash", sha2),
            ],
            body,
        );
    }

    pub fn finish(mut self) -> Bytes {
        self.buf.put_slice(b"--");
        self.buf.put_slice(self.boundary.as_bytes());
        self.buf.put_slice(b"--\r\n");
        self.buf.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writer_output_parses_back() {
        let mut w = MultipartWriter::new();
        w.json(br#"{"a":1}"#);
        w.attachment("text/plain", "abc", b"hello");
        let ct = w.content_type();
        let body = w.finish();
        let parsed = parse(&ct, body).await.unwrap();
        assert_eq!(&parsed.statements[..], br#"{"a":1}"#);
        assert_eq!(parsed.parts.len(), 1);
        assert_eq!(parsed.parts[0].sha2, "abc");
        assert_eq!(&parsed.parts[0].body[..], b"hello");
    }

    #[tokio::test]
    async fn rejects_parts_without_hash_or_binary_encoding() {
        let body = "--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\nContent-Type: text/plain\r\nX-Experience-API-Hash: abc\r\n\r\nhi\r\n--b--\r\n";
        let err = parse("multipart/mixed; boundary=b", Bytes::from(body))
            .await
            .err()
            .unwrap();
        assert!(err.0.to_string().contains("Content-Transfer-Encoding"));
        let body = "--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\r\nhi\r\n--b--\r\n";
        let err = parse("multipart/mixed; boundary=b", Bytes::from(body))
            .await
            .err()
            .unwrap();
        assert!(err.0.to_string().contains("X-Experience-API-Hash"));
        assert!(parse("multipart/mixed", Bytes::new()).await.is_err());
    }

    #[test]
    fn boundary_parameter() {
        assert_eq!(
            boundary("multipart/mixed; boundary=-------3141").as_deref(),
            Some("-------3141")
        );
        assert_eq!(
            boundary("multipart/mixed; charset=x; Boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/mixed"), None);
    }
}

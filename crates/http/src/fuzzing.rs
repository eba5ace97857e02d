//! Entry points for the fuzz targets in `fuzz/` (not an API): the parsers of untrusted request
//! parts that live in this crate, without a server around them.
use cairn_core::ids::StoreId;
use futures_util::FutureExt;

/// Splits a multipart/mixed body as a statements request does; answers the number of
/// attachment parts, or the 400's message.
pub fn multipart(content_type: &str, body: &[u8]) -> Result<usize, String> {
    let body = bytes::Bytes::copy_from_slice(body);
    // The body is all there: the parser never waits.
    match crate::multipart::parse(content_type, body).now_or_never() {
        Some(Ok(m)) => Ok(m.parts.len()),
        Some(Err(e)) => Err(e.0.to_string()),
        None => Err("the parser waited for more input".to_owned()),
    }
}

/// Checks a `GET /xapi/statements` query string as the handler does (`page_max` at least 1);
/// answers the 400's message when it is refused.
pub fn statements_query(raw: &str, mine: bool, page_max: usize) -> Result<(), String> {
    let mine = mine.then(|| "mbox:mailto:fuzz@example.com".to_owned());
    match crate::statement_params::parse_get(Some(raw), StoreId::DEFAULT, mine, page_max) {
        Ok(crate::statement_params::GetRequest::Query { limit, .. }) => {
            assert!((1..=page_max).contains(&limit), "page of {limit}");
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e.0.to_string()),
    }
}

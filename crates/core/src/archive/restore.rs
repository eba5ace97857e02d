//! A line of an archive back into a statement the writer appends with its original id and
//! `stored` (`cairn archive restore`).
use crate::error::Error;
use crate::event::FilterKeys;
use crate::writer::NewStatement;

/// The statement of an archived line (`{"stored":"…",…}`, as the xAPI returns it): its body
/// is the line without `stored`, byte for byte as it was kept, and its filter keys are computed
/// again (a StatementRef target's keys are inherited by the writer, as at first write).
pub fn new_statement(line: &[u8]) -> Result<NewStatement, Error> {
    let bad = |why: &str| Error::BadRequest(format!("archived statement: {why}"));
    let rest = line
        .strip_prefix(b"{\"stored\":\"")
        .ok_or_else(|| bad("it does not start with its stored time"))?;
    let end = rest
        .iter()
        .position(|b| *b == b'"')
        .ok_or_else(|| bad("its stored time is not closed"))?;
    let stored = std::str::from_utf8(&rest[..end])
        .ok()
        .and_then(crate::time_fmt::parse_us)
        .ok_or_else(|| bad("its stored time is not a timestamp"))?;
    let body = match &rest[end + 1..] {
        [b',', tail @ ..] => [b"{".as_slice(), tail].concat(),
        tail => [b"{".as_slice(), tail].concat(),
    };
    let st = cairn_xapi::parse_stored_statement(&body).map_err(|e| bad(&e.to_string()))?;
    let id = st.id().ok_or_else(|| bad("it has no id"))?;
    let keys: FilterKeys = cairn_xapi::index_keys(&st).into();
    Ok(NewStatement {
        id,
        definitions: Vec::new(),
        keys,
        voids: st.voided_target(),
        ref_target: st.statement_ref_target(),
        attachments: st.attachments().iter().map(|a| a.sha2.clone()).collect(),
        lrs_timestamp: false,
        restored_stored_us: Some(stored),
        facts: None,
        body,
    })
}

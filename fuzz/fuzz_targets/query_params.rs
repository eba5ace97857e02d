//! `GET /xapi/statements` query strings: checked or refused with a message, never a panic, and
//! a page is never larger than `page_max`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let raw = String::from_utf8_lossy(rest);
    let page_max = 1 + usize::from(first % 16) * 64;
    let _ = cairn_http::fuzzing::statements_query(&raw, first & 0x80 != 0, page_max);
});

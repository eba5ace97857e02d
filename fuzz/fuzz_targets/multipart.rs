//! multipart/mixed statement requests: the first line of the input is the Content-Type header,
//! the rest the body. Any input is split or refused with a message, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"multipart/mixed; boundary=abc"[..], data),
    };
    let content_type = String::from_utf8_lossy(head);
    let _ = cairn_http::fuzzing::multipart(&content_type, body);
});

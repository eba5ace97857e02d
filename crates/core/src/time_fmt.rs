//! Epoch-microsecond timestamps and their xAPI (RFC 3339, UTC) rendering.
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

pub fn now_us() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64
}

/// `2026-11-27T03:40:36.123456Z`: always microsecond precision, always UTC.
pub fn format_us(us: i64) -> String {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(us as i128 * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (y, mo, d) = (dt.year(), dt.month() as u8, dt.day());
    let (h, mi, s) = (dt.hour(), dt.minute(), dt.second());
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}Z",
        dt.microsecond()
    )
}

/// Parses an RFC 3339 timestamp (as used by `since` / `until`) into epoch microseconds.
pub fn parse_us(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|dt| (dt.unix_timestamp_nanos() / 1000) as i64)
}

/// HTTP-date for `Last-Modified`.
pub fn http_date(us: i64) -> String {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(us as i128 * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    dt.format(&fmt).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_microseconds() {
        let us = 1_764_215_000_123_456;
        let s = format_us(us);
        assert_eq!(s, "2025-11-27T03:43:20.123456Z");
        assert_eq!(parse_us(&s), Some(us));
    }

    #[test]
    fn parses_offsets() {
        assert_eq!(
            parse_us("2025-11-27T04:43:20.123456+01:00"),
            Some(1_764_215_000_123_456)
        );
        assert_eq!(parse_us("yesterday"), None);
    }

    #[test]
    fn http_date_format() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}

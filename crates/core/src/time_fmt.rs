//! Epoch-microsecond timestamps and their xAPI (RFC 3339, UTC) rendering.
use jiff::Timestamp;
use jiff::tz::Offset;

pub fn now_us() -> i64 {
    Timestamp::now().as_microsecond()
}

/// The instant `us`, or the epoch when it is outside the years -9999..=9999.
fn at(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `2026-11-27T03:40:36.123456Z`: always microsecond precision, always UTC.
pub fn format_us(us: i64) -> String {
    let dt = Offset::UTC.to_datetime(at(us));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000
    )
}

/// Parses an RFC 3339 timestamp (as used by `since` / `until`) into epoch microseconds.
pub fn parse_us(s: &str) -> Option<i64> {
    s.parse::<Timestamp>().ok().map(|t| t.as_microsecond())
}

/// HTTP-date (RFC 9110) for `Last-Modified`.
pub fn http_date(us: i64) -> String {
    jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&at(us))
        .unwrap_or_default()
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
        assert_eq!(
            http_date(1_764_215_000_123_456),
            "Thu, 27 Nov 2025 03:43:20 GMT"
        );
    }

    #[test]
    fn formats_before_the_epoch_and_out_of_range() {
        assert_eq!(format_us(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(format_us(i64::MAX), "1970-01-01T00:00:00.000000Z");
    }
}

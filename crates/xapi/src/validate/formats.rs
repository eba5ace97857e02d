//! Checks of the string formats xAPI uses: IRIs/IRLs, mailto IRIs, SHA1 sums,
//! RFC 5646 language tags, ISO 8601 timestamps and durations, MIME types.

/// An absolute IRI (RFC 3987, with a scheme). IRLs use the same check.
pub(crate) fn is_iri(s: &str) -> bool {
    oxiri::Iri::parse(s).is_ok()
}

/// `mailto:` followed by an e-mail address (local@domain).
pub(crate) fn is_mailto(s: &str) -> bool {
    let Some(addr) = s.strip_prefix("mailto:") else {
        return false;
    };
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !addr.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':'))
        && is_iri(s)
}

/// 40 hexadecimal digits.
pub(crate) fn is_sha1_hex(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hexadecimal digits of a SHA-2 length (224, 256, 384 or 512 bits).
pub(crate) fn is_sha2_hex(s: &str) -> bool {
    matches!(s.len(), 56 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A well-formed RFC 5646 language tag.
pub(crate) fn is_language_tag(s: &str) -> bool {
    is_plain_language_tag(s) || oxilangtag::LanguageTag::parse(s).is_ok()
}

/// The common tags, checked without the full grammar: a language of 2 or 3 letters, optionally
/// followed by a region of 2 letters or 3 digits (`en`, `fra`, `en-US`, `es-419`). Every such
/// tag is well-formed (RFC 5646: `language ["-" region]`, language = 2*3ALPHA,
/// region = 2ALPHA / 3DIGIT); anything else goes through the full check.
fn is_plain_language_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let (language, region) = match b.iter().position(|&c| c == b'-') {
        Some(dash) => (&b[..dash], Some(&b[dash + 1..])),
        None => (b, None),
    };
    let letters = |x: &[u8]| x.iter().all(u8::is_ascii_alphabetic);
    (2..=3).contains(&language.len())
        && letters(language)
        && match region {
            None => true,
            Some(r) if r.len() == 2 => letters(r),
            Some(r) => r.len() == 3 && r.iter().all(u8::is_ascii_digit),
        }
}

/// `type/subtype` with optional `; parameters`.
pub(crate) fn is_mime_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or("").trim();
    let Some((t, sub)) = essence.split_once('/') else {
        return false;
    };
    let token = |x: &str| {
        !x.is_empty()
            && x.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-*'%`|~".contains(&b))
    };
    token(t) && token(sub)
}

/// A parsed ISO 8601 date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp {
    /// Nanoseconds since the Unix epoch (UTC; a missing offset is taken as UTC).
    pub unix_nanos: i128,
    /// Whether an explicit offset (or `Z`) was given.
    pub has_offset: bool,
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

/// Parse an ISO 8601 combined date and time (extended or basic format), e.g.
/// `2015-01-01T12:00:00.123+02:00`. Rejects the "unknown offset" forms `-00`, `-0000`, `-00:00`.
pub(crate) fn parse_timestamp(s: &str) -> Result<Timestamp, &'static str> {
    const BAD: &str = "must be an ISO 8601 date and time, e.g. 2015-01-01T12:00:00.000Z";
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4).ok_or(BAD)?;
    let extended = c.eat(b'-');
    let month = c.digits(2).ok_or(BAD)?;
    if extended && !c.eat(b'-') {
        return Err(BAD);
    }
    let day = c.digits(2).ok_or(BAD)?;
    if !(c.eat(b'T') || c.eat(b't')) {
        return Err(BAD);
    }
    let hour = c.digits(2).ok_or(BAD)?;
    let colon = c.eat(b':');
    let minute = c.digits(2).ok_or(BAD)?;
    let mut second = 0;
    let mut nanos = 0u32;
    let has_seconds = if colon {
        c.eat(b':')
    } else {
        c.peek().is_some_and(|b| b.is_ascii_digit())
    };
    if has_seconds {
        second = c.digits(2).ok_or(BAD)?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            let mut scale = 100_000_000u32;
            while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                nanos += u32::from(d - b'0') * scale;
                scale /= 10;
                c.i += 1;
            }
            if c.i == start {
                return Err(BAD);
            }
        }
    }
    let mut offset_secs: i32 = 0;
    let has_offset = if c.eat(b'Z') || c.eat(b'z') {
        true
    } else if let Some(sign @ (b'+' | b'-')) = c.peek() {
        c.i += 1;
        let oh = c.digits(2).ok_or(BAD)?;
        let om = if c.done() {
            0
        } else {
            c.eat(b':');
            c.digits(2).ok_or(BAD)?
        };
        if oh > 23 || om > 59 {
            return Err("has an out-of-range timezone offset");
        }
        if sign == b'-' && oh == 0 && om == 0 {
            return Err("must not use a negative zero timezone offset (-00:00)");
        }
        offset_secs = (oh * 3600 + om * 60) as i32 * if sign == b'-' { -1 } else { 1 };
        true
    } else {
        false
    };
    if !c.done() {
        return Err(BAD);
    }
    let date = jiff::civil::Date::new(year as i16, month as i8, day as i8)
        .map_err(|_| "has an invalid date")?;
    let t = jiff::civil::Time::new(hour as i8, minute as i8, second as i8, nanos as i32)
        .map_err(|_| "has an invalid time of day")?;
    let offset =
        jiff::tz::Offset::from_seconds(offset_secs).map_err(|_| "has an invalid offset")?;
    let dt = offset
        .to_timestamp(date.to_datetime(t))
        .map_err(|_| "is out of range")?;
    Ok(Timestamp {
        unix_nanos: dt.as_nanosecond(),
        has_offset,
    })
}

/// An ISO 8601 duration (section 4.4.3.2): `P[nY][nM][nW][nD][T[nH][nM][nS]]`, at least one
/// element, only the last one may have a decimal fraction.
pub(crate) fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut fraction_seen = false;
    let mut any = false;
    let mut parse_part = |part: &str, designators: &[u8]| -> bool {
        let mut next = 0usize; // index into designators: enforces order
        let b = part.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if fraction_seen {
                return false; // something follows a fractional element
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return false;
            }
            if i < b.len() && (b[i] == b'.' || b[i] == b',') {
                i += 1;
                let fs = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i == fs {
                    return false;
                }
                fraction_seen = true;
            }
            let Some(&d) = b.get(i) else { return false };
            match designators[next..].iter().position(|&x| x == d) {
                Some(pos) => next += pos + 1,
                None => return false,
            }
            i += 1;
            any = true;
        }
        true
    };
    // The week form PnW stands alone (ISO 8601:2004 4.4.3.2).
    if date.contains('W')
        && (time.is_some()
            || !date.ends_with('W')
            || date.bytes().any(|b| matches!(b, b'Y' | b'M' | b'D')))
    {
        return false;
    }
    if !parse_part(date, b"YMWD") {
        return false;
    }
    if let Some(t) = time
        && (t.is_empty() || !parse_part(t, b"HMS"))
    {
        return false;
    }
    any
}

/// Normalise a duration for comparison: seconds beyond 0.01 precision are dropped
/// (xAPI 2.0 4.2.7), as are trailing fractional zeros.
pub(crate) fn normalize_duration(s: &str) -> String {
    let Some(body) = s.strip_suffix('S') else {
        return s.to_owned();
    };
    let Some(dot) = body.rfind(['.', ',']) else {
        return s.to_owned();
    };
    let (head, frac) = body.split_at(dot);
    let frac = &frac[1..];
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_owned();
    }
    let kept = frac.get(..2).unwrap_or(frac).trim_end_matches('0');
    if kept.is_empty() {
        format!("{head}S")
    } else {
        format!("{head}.{kept}S")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris() {
        assert!(is_iri("http://adlnet.gov/expapi/verbs/attended"));
        assert!(is_iri("urn:uuid:8f87ccde-bb56-4c2e-ab83-44982ef22df0"));
        assert!(is_iri("http://example.com/\u{00e9}t\u{00e9}"));
        assert!(!is_iri("adlnet.gov/expapi/verbs/attended"));
        assert!(!is_iri("ab=c://should.fail.com"));
        assert!(!is_iri(""));
        assert!(!is_iri("http://example.com/with space"));
    }

    #[test]
    fn mailto() {
        assert!(is_mailto("mailto:xapi@adlnet.gov"));
        assert!(!is_mailto("xapi@adlnet.gov"));
        assert!(!is_mailto("mailto:"));
        assert!(!is_mailto("mailto:xapi"));
        assert!(!is_mailto("mailto:@adlnet.gov"));
        assert!(!is_mailto("mailto:xapi@"));
        assert!(!is_mailto("MAILTO:xapi@adlnet.gov"));
        assert!(!is_mailto("mailto:x api@adlnet.gov"));
    }

    #[test]
    fn sha_and_mime() {
        assert!(is_sha1_hex("cd9b00a5611f94eaa7b1661edab976068e364975"));
        assert!(!is_sha1_hex("cd9b00a5611f94eaa7b1661edab976068e36497"));
        assert!(!is_sha1_hex("zd9b00a5611f94eaa7b1661edab976068e364975"));
        assert!(is_sha2_hex(&"a".repeat(64)));
        assert!(!is_sha2_hex("abc"));
        assert!(is_mime_type("application/octet-stream"));
        assert!(is_mime_type("text/plain; charset=ascii"));
        assert!(!is_mime_type("text"));
        assert!(!is_mime_type(""));
    }

    #[test]
    fn language_tags() {
        for ok in [
            "en",
            "en-US",
            "zh-Hant-TW",
            "es-419",
            "x-private",
            "de-CH-1901",
        ] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "a12345",
            "en_US",
            "en-US-toolongsubtag",
            "-en",
            "en-",
            "e-US",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_tags_are_exactly_what_the_full_grammar_accepts(tag in "[a-zA-Z0-9é]{0,4}(-[a-zA-Z0-9]{0,4})?") {
            if is_plain_language_tag(&tag) {
                proptest::prop_assert!(oxilangtag::LanguageTag::parse(tag.as_str()).is_ok(), "{}", tag);
            }
            proptest::prop_assert_eq!(
                is_language_tag(&tag),
                oxilangtag::LanguageTag::parse(tag.as_str()).is_ok(),
                "{}", tag
            );
        }
    }

    #[test]
    fn timestamps() {
        let t = parse_timestamp("2013-05-18T05:32:34.804Z").unwrap();
        assert!(t.has_offset);
        let u = parse_timestamp("2013-05-18T07:32:34.804+02:00").unwrap();
        assert_eq!(t.unix_nanos, u.unix_nanos);
        assert_eq!(
            parse_timestamp("2013-05-18T00:32:34.804-0500")
                .unwrap()
                .unix_nanos,
            t.unix_nanos
        );
        assert!(parse_timestamp("20130518T053234Z").is_ok());
        assert!(parse_timestamp("2013-05-18T05:32Z").is_ok());
        assert!(parse_timestamp("2008-09-15T15:53:00.601+00:00").is_ok());
        assert!(parse_timestamp("2008-09-15T15:53:00.601+01").is_ok());
        let n = parse_timestamp("2013-05-18T05:32:34").unwrap();
        assert!(!n.has_offset);
        for bad in [
            "should fail",
            "01/011/2015",
            "2008-09-15T15:53:00.601-00",
            "2008-09-15T15:53:00.601-0000",
            "2008-09-15T15:53:00.601-00:00",
            "2013-02-30T00:00:00Z",
            "2013-05-18",
            "2013-05-18T25:00:00Z",
            "2013-05-18T05:32:34.Z",
            "2013-05-18T05:32:34Zjunk",
            "",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for ok in [
            "PT1H0M0S",
            "P1Y2M3DT4H5M6.7S",
            "P4W",
            "PT0.12567S",
            "P1D",
            "PT1M",
            "P1DT12H36M0.12567S",
        ] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in [
            "",
            "P",
            "PT",
            "1H",
            "PT1.5H2M",
            "P1H",
            "PT1D",
            "P1M1Y",
            "should fail",
            "PT-1S",
            "P0001-02-03T04:05:06",
            "P4W1D",
            "P1W2DT1H",
            "P1WT1H",
        ] {
            assert!(!is_duration(bad), "{bad}");
        }
        assert_eq!(normalize_duration("P1DT12H36M0.1237S"), "P1DT12H36M0.12S");
        assert_eq!(normalize_duration("P1DT12H36M0.12S"), "P1DT12H36M0.12S");
        assert_eq!(normalize_duration("PT1.0S"), "PT1S");
        assert_eq!(normalize_duration("PT1S"), "PT1S");
    }
}

//! Archives of whole calendar months of a store's statements (retention, `cairn archive`).
//!
//! Pure parts only: which months a store's retention archives ([`months_due`]), the month
//! ([`Month`]: UTC, by `stored`), the archive's manifest ([`Manifest`]) and line formats
//! ([`AttachmentLine`]), and the purge plan that removes an archived month
//! ([`plan`]). The files themselves are written by the server (`cairn_server::archive`).
//!
//! An archive of store `S` and month `M` is two files in the archive directory:
//! `S/M.statements.ndjson.zst` (one statement per line, exactly as the xAPI returns it,
//! `stored` and attachment metadata included) and `S/M.manifest.json`; attachment bodies go in
//! `S/M.attachments.ndjson.zst` (one [`AttachmentLine`] per body, base64).
mod held;
pub mod restore;

pub use held::{last_before, months_held};

use crate::error::Error;
use crate::ids::StoreId;
use crate::ports::LogStore;
use crate::purge::{PurgePlan, PurgeReason, PurgeScope};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The archive format ([`Manifest::format`]).
pub const FORMAT_VERSION: u8 = 1;

/// A calendar month (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i16,
    /// 1..=12
    pub month: i8,
}

impl Month {
    pub fn new(year: i16, month: i8) -> Option<Self> {
        Date::new(year, month, 1)
            .ok()
            .map(|_| Month { year, month })
    }

    /// The month `us` (epoch microseconds) falls in.
    pub fn of_us(us: i64) -> Self {
        let ts = jiff::Timestamp::from_microsecond(us).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let d = jiff::tz::Offset::UTC.to_datetime(ts).date();
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// The month `n` months before this one.
    pub fn minus(self, n: u32) -> Self {
        let total = i64::from(self.year) * 12 + i64::from(self.month - 1) - i64::from(n);
        let year = total.div_euclid(12).clamp(-9999, 9999) as i16;
        Month {
            year,
            month: total.rem_euclid(12) as i8 + 1,
        }
    }

    fn next(self) -> Self {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    fn start_us(self) -> i64 {
        Date::new(self.year, self.month, 1)
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map_or(i64::MAX, |z| z.timestamp().as_microsecond())
    }

    /// The `stored` times of the month: `start <= stored < end` (epoch microseconds).
    pub fn range_us(self) -> (i64, i64) {
        (self.start_us(), self.next().start_us())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a month (YYYY-MM)");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let (y, m) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Month::new(y, m).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The whole months a retention of `keep_months` archives at `now_us`, oldest first, given the
/// oldest `stored` of the store's statements: every month that ended more than `keep_months`
/// months before the current one began (keep 1 in March: January and older go, February stays).
pub fn months_due(now_us: i64, keep_months: u32, oldest_stored_us: Option<i64>) -> Vec<Month> {
    let Some(oldest) = oldest_stored_us else {
        return Vec::new();
    };
    let last = last_due(now_us, keep_months);
    let mut out = Vec::new();
    let mut m = Month::of_us(oldest);
    while m <= last {
        out.push(m);
        m = m.next();
    }
    out
}

/// The newest month a retention of `keep_months` archives at `now_us` (see [`months_due`]).
pub fn last_due(now_us: i64, keep_months: u32) -> Month {
    Month::of_us(now_us).minus(keep_months.saturating_add(1))
}

/// The manifest of one month's archive (`<month>.manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u8,
    pub store: StoreId,
    pub month: Month,
    /// Statements in the statements file (one per line).
    pub count: u64,
    /// SHA-256 (hex) of the compressed statements file.
    pub sha256: String,
    /// Attachment bodies in the attachments file.
    pub attachments: u64,
    /// SHA-256 (hex) of the compressed attachments file.
    pub attachments_sha256: String,
    /// The first and last `stored` (RFC 3339) of the month's statements (absent when empty).
    pub first_stored: Option<String>,
    pub last_stored: Option<String>,
}

/// One attachment body of an archived month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentLine {
    pub sha2: String,
    /// The body, base64 (standard alphabet, padded).
    pub content: String,
}

/// The purge that removes `month` of `store` from the log and the projection once its archive
/// is written (refused beyond `max_statements`, as every purge).
pub fn plan(
    log: &dyn LogStore,
    store: StoreId,
    month: Month,
    max_statements: u64,
) -> Result<PurgePlan, Error> {
    let mut plan = PurgePlan::new(
        PurgeReason::Retention,
        "retention",
        PurgeScope::Entries {
            stores: vec![store],
        },
    );
    plan.identifiers = vec![format!("{store}/{month}")];
    let (start, end) = month.range_us();
    crate::purge::erasure::fill(
        log,
        &mut plan,
        max_statements,
        |r| r.stored_us >= start && r.stored_us < end,
        |_| false,
    )?;
    // The persona history is left as it is (no persona events in the plan).
    plan.normalise();
    Ok(plan)
}

#[cfg(test)]
mod tests;

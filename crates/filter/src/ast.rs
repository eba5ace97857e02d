//! The validated filter tree.
use crate::fields::FieldRef;

/// A validated filter.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // parsed once per request; boxing buys nothing here
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Cond { field: FieldRef, op: Op },
}

/// A condition on one field.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // parsed once per request; boxing buys nothing here
pub enum Op {
    Eq(Value),
    In(Vec<Value>),
    Range {
        gt: Option<Value>,
        gte: Option<Value>,
        lt: Option<Value>,
        lte: Option<Value>,
    },
    Exists(bool),
    Prefix(String),
}

/// A literal, already checked against its field's kind (an extension's `eq` / `in` values are
/// [`Value::Str`] holding the value's text, see [`crate::value_text`]). Time values are either absolute epoch
/// microseconds or relative to "now" (resolved at compile/evaluation time).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    Time(TimeValue),
}

#[derive(Debug, Clone)]
pub enum TimeValue {
    Absolute(i64),
    /// `now - ago`, in `tz`, optionally truncated to the start of `align`.
    Relative {
        ago: jiff::Span,
        tz: jiff::tz::TimeZone,
        align: Option<jiff::Unit>,
    },
}

impl PartialEq for TimeValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TimeValue::Absolute(a), TimeValue::Absolute(b)) => a == b,
            (
                TimeValue::Relative { ago, tz, align },
                TimeValue::Relative {
                    ago: ago2,
                    tz: tz2,
                    align: align2,
                },
            ) => ago.fieldwise() == ago2.fieldwise() && tz == tz2 && align == align2,
            _ => false,
        }
    }
}

impl TimeValue {
    /// Epoch microseconds, given "now". Never fails: out-of-range arithmetic saturates.
    pub fn resolve(&self, now_us: i64) -> i64 {
        match self {
            TimeValue::Absolute(us) => *us,
            TimeValue::Relative { ago, tz, align } => {
                let Ok(now) = jiff::Timestamp::from_microsecond(now_us) else {
                    return now_us;
                };
                let zoned = now.to_zoned(tz.clone());
                let Ok(mut at) = zoned.checked_sub(*ago) else {
                    return i64::MIN;
                };
                if let Some(unit) = align {
                    at = match unit {
                        jiff::Unit::Month => at.first_of_month().and_then(|z| z.start_of_day()),
                        jiff::Unit::Week => {
                            let back = i64::from(at.weekday().to_monday_zero_offset());
                            at.checked_sub(jiff::Span::new().days(back))
                                .and_then(|z| z.start_of_day())
                        }
                        jiff::Unit::Day => at.start_of_day(),
                        _ => at.round(
                            jiff::ZonedRound::new()
                                .smallest(*unit)
                                .mode(jiff::RoundMode::Trunc),
                        ),
                    }
                    .unwrap_or(at);
                }
                at.timestamp().as_microsecond()
            }
        }
    }
}

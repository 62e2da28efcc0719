//! UTC instants at one-second resolution, RFC 3339 on the wire.
//!
//! The core needs only a handful of time operations: parse and print
//! RFC 3339, compare, add seconds, and find the start of a UTC day and month
//! (see [`crate::limits`]). This small type does exactly that, in place of
//! chrono, which was about a tenth of the npm package's code.
//!
//! Instants are whole seconds: fractional seconds are accepted on input and
//! dropped (rounded down), and output is always `YYYY-MM-DDTHH:MM:SSZ`. Years
//! are limited to 0000..=9999, the range RFC 3339 can write.

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

const SECONDS_PER_DAY: i64 = 86_400;
/// Days from 0000-03-01 (the era base of [`days_from_civil`]) to 1970-01-01.
const UNIX_EPOCH_DAYS: i64 = 719_468;
/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
const MIN_SECONDS: i64 = -62_167_219_200;
const MAX_SECONDS: i64 = 253_402_300_799;

/// A UTC instant in whole seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// Why a text is not an RFC 3339 time the core accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeError {
    /// Not of the shape `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    #[serde(rename = "malformed_time")]
    Malformed { expected: &'static str },
    /// A field outside its range (month 13, February 30, hour 24, ...).
    #[serde(rename = "time_field_out_of_range")]
    FieldOutOfRange { field: &'static str, value: u32 },
    /// Before year 0000 or after year 9999 once the offset is applied.
    #[serde(rename = "time_out_of_range")]
    OutOfRange,
}

crate::error::always!(Invalid: TimeError);

impl fmt::Display for TimeError {
    #[inline(never)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Malformed { expected } => {
                write!(f, "not an RFC 3339 time: expected {expected}")
            }
            TimeError::FieldOutOfRange { field, value } => {
                write!(f, "{field} {value} is out of range")
            }
            TimeError::OutOfRange => f.write_str("time outside years 0000 to 9999"),
        }
    }
}

impl std::error::Error for TimeError {}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    /// `None` outside years 0000..=9999.
    pub const fn from_unix_seconds(seconds: i64) -> Option<Timestamp> {
        if seconds < MIN_SECONDS || seconds > MAX_SECONDS {
            return None;
        }
        Some(Timestamp(seconds))
    }

    /// Milliseconds (as JavaScript's `Date.now()` gives) rounded down to the second.
    pub const fn from_unix_millis(millis: i64) -> Option<Timestamp> {
        Timestamp::from_unix_seconds(millis.div_euclid(1000))
    }

    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    pub const fn unix_millis(self) -> i64 {
        // Cannot overflow: |MIN_SECONDS|, MAX_SECONDS < 2^38.
        self.0 * 1000
    }

    /// `None` if the result leaves years 0000..=9999.
    pub fn checked_add_seconds(self, seconds: i64) -> Option<Timestamp> {
        Timestamp::from_unix_seconds(self.0.checked_add(seconds)?)
    }

    /// `None` if the result leaves years 0000..=9999.
    pub fn checked_sub_seconds(self, seconds: i64) -> Option<Timestamp> {
        Timestamp::from_unix_seconds(self.0.checked_sub(seconds)?)
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn seconds_since(self, earlier: Timestamp) -> i64 {
        // Cannot overflow: both lie within years 0000..=9999.
        self.0 - earlier.0
    }

    /// 00:00:00 UTC of the same day.
    pub const fn day_start(self) -> Timestamp {
        Timestamp(self.0 - self.0.rem_euclid(SECONDS_PER_DAY))
    }

    /// 00:00:00 UTC on the 1st of the same month.
    pub const fn month_start(self) -> Timestamp {
        let days = self.0.div_euclid(SECONDS_PER_DAY);
        let (_, _, day) = civil_from_days(days);
        Timestamp((days - (day as i64 - 1)) * SECONDS_PER_DAY)
    }

    /// Parses RFC 3339 (`2026-01-01T12:00:00Z`, `2026-01-01T13:00:00.250+01:00`);
    /// `t` or a space may separate date and time, `z` may stand for `Z`.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeError> {
        let mut p = Cursor(text.as_bytes());
        let year = p.digits(4, "a 4-digit year")?;
        p.byte(b'-', "'-' after the year")?;
        let month = p.digits(2, "a 2-digit month")?;
        p.byte(b'-', "'-' after the month")?;
        let day = p.digits(2, "a 2-digit day")?;
        match p.next() {
            Some(b'T' | b't' | b' ') => {}
            _ => return Err(malformed("'T' between date and time")),
        }
        let hour = p.digits(2, "a 2-digit hour")?;
        p.byte(b':', "':' after the hour")?;
        let minute = p.digits(2, "2-digit minutes")?;
        p.byte(b':', "':' after the minutes")?;
        let second = p.digits(2, "2-digit seconds")?;
        if p.peek() == Some(b'.') {
            p.next();
            if !matches!(p.peek(), Some(b'0'..=b'9')) {
                return Err(malformed("a digit after '.'"));
            }
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.next();
            }
        }
        let offset = match p.next() {
            Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let hours = p.digits(2, "a 2-digit offset hour")?;
                p.byte(b':', "':' in the offset")?;
                let minutes = p.digits(2, "2-digit offset minutes")?;
                check_field("offset hour", hours, 23)?;
                check_field("offset minutes", minutes, 59)?;
                let seconds = i64::from(hours * 3600 + minutes * 60);
                if sign == b'+' {
                    seconds
                } else {
                    -seconds
                }
            }
            _ => return Err(malformed("'Z' or an offset like +01:00")),
        };
        if !p.0.is_empty() {
            return Err(malformed("the end after the offset"));
        }
        if month == 0 {
            return Err(TimeError::FieldOutOfRange {
                field: "month",
                value: 0,
            });
        }
        check_field("month", month, 12)?;
        if day == 0 || day > days_in_month(year, month) {
            return Err(TimeError::FieldOutOfRange {
                field: "day",
                value: day,
            });
        }
        check_field("hour", hour, 23)?;
        check_field("minutes", minute, 59)?;
        // 60 is a leap second; at one-second resolution it is :59 (as chrono
        // rounds it down too).
        check_field("seconds", second, 60)?;
        let days = days_from_civil(i64::from(year), month, day);
        let local = days * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second.min(59));
        Timestamp::from_unix_seconds(local - offset).ok_or(TimeError::OutOfRange)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` without allocating.
    fn write_rfc3339(self, out: &mut [u8; 20]) {
        let days = self.0.div_euclid(SECONDS_PER_DAY);
        let secs = self.0.rem_euclid(SECONDS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days);
        let put = |out: &mut [u8; 20], at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        *out = *b"0000-00-00T00:00:00Z";
        put(out, 0, 4, year as u32);
        put(out, 5, 2, month);
        put(out, 8, 2, day);
        put(out, 11, 2, secs / 3600);
        put(out, 14, 2, secs / 60 % 60);
        put(out, 17, 2, secs % 60);
    }
}

fn malformed(expected: &'static str) -> TimeError {
    TimeError::Malformed { expected }
}

fn check_field(field: &'static str, value: u32, max: u32) -> Result<(), TimeError> {
    if value > max {
        return Err(TimeError::FieldOutOfRange { field, value });
    }
    Ok(())
}

/// The unparsed rest of the input.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn byte(&mut self, wanted: u8, expected: &'static str) -> Result<(), TimeError> {
        match self.next() {
            Some(b) if b == wanted => Ok(()),
            _ => Err(malformed(expected)),
        }
    }

    fn digits(&mut self, count: usize, expected: &'static str) -> Result<u32, TimeError> {
        let mut value = 0;
        for _ in 0..count {
            match self.next() {
                Some(b @ b'0'..=b'9') => value = value * 10 + u32::from(b - b'0'),
                _ => return Err(malformed(expected)),
            }
        }
        Ok(value)
    }
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`, http://howardhinnant.github.io/date_algorithms.html).
const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month as i64 + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - UNIX_EPOCH_DAYS
}

/// (year, month, day) of a day count since 1970-01-01 (`civil_from_days`).
const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + UNIX_EPOCH_DAYS;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

impl FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Timestamp, TimeError> {
        Timestamp::parse_rfc3339(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 20];
        self.write_rfc3339(&mut out);
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = [0u8; 20];
        self.write_rfc3339(&mut out);
        let text = std::str::from_utf8(&out).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        struct Rfc3339;
        impl de::Visitor<'_> for Rfc3339 {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Rfc3339)
    }
}

/// Conversions for hosts that keep chrono (the worker); not in the npm package.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;
    use chrono::{DateTime, Datelike, NaiveTime, SecondsFormat, Utc};
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// chrono, which this type replaced, is the reference.
    fn reference(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn formats_as_utc_with_z() {
        assert_eq!(
            t("2026-06-01T12:00:00Z").to_string(),
            "2026-06-01T12:00:00Z"
        );
        assert_eq!(Timestamp::UNIX_EPOCH.to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_unix_seconds(MIN_SECONDS)
                .unwrap()
                .to_string(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(MAX_SECONDS)
                .unwrap()
                .to_string(),
            "9999-12-31T23:59:59Z"
        );
    }

    #[test]
    fn applies_offsets_and_drops_fractions() {
        assert_eq!(t("2026-01-01T13:30:00+01:30"), t("2026-01-01T12:00:00Z"));
        assert_eq!(t("2025-12-31T23:00:00-01:00"), t("2026-01-01T00:00:00Z"));
        assert_eq!(t("2026-01-01T12:00:00.999Z"), t("2026-01-01T12:00:00Z"));
        assert_eq!(t("2026-01-01t12:00:00.5z"), t("2026-01-01T12:00:00Z"));
        assert_eq!(t("2026-01-01 12:00:00Z"), t("2026-01-01T12:00:00Z"));
        assert_eq!(t("1969-12-31T23:59:59.5Z").unix_seconds(), -1);
        assert_eq!(t("2016-12-31T23:59:60Z"), t("2016-12-31T23:59:59Z"));
    }

    #[test]
    fn rejects_malformed_and_out_of_range_text() {
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T12:00:00",
            "2026-01-01T12:00Z",
            "2026-1-01T12:00:00Z",
            "2026-01-01T12:00:00.Z",
            "2026-01-01T12:00:00+0100",
            "2026-01-01T12:00:00Z ",
            "2026-01-01X12:00:00Z",
            "２026-01-01T12:00:00Z",
        ] {
            assert_eq!(
                bad.parse::<Timestamp>().map_err(|e| e.code()),
                Err("malformed_time".to_owned()),
                "{bad:?}"
            );
        }
        for (bad, field) in [
            ("2026-13-01T00:00:00Z", "month"),
            ("2026-00-01T00:00:00Z", "month"),
            ("2025-02-29T00:00:00Z", "day"),
            ("2026-04-31T00:00:00Z", "day"),
            ("2026-01-00T00:00:00Z", "day"),
            ("2026-01-01T24:00:00Z", "hour"),
            ("2026-01-01T00:60:00Z", "minutes"),
            ("2026-01-01T00:00:61Z", "seconds"),
            ("2026-01-01T00:00:00+24:00", "offset hour"),
        ] {
            match bad.parse::<Timestamp>() {
                Err(TimeError::FieldOutOfRange { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(
            t("2024-02-29T00:00:00Z").to_string(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            "0000-01-01T00:00:00+00:01".parse::<Timestamp>(),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            "9999-12-31T23:59:59-00:01".parse::<Timestamp>(),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn arithmetic_stays_in_range() {
        let max = Timestamp::from_unix_seconds(MAX_SECONDS).unwrap();
        assert_eq!(max.checked_add_seconds(1), None);
        assert_eq!(max.checked_add_seconds(i64::MAX), None);
        assert_eq!(Timestamp::UNIX_EPOCH.checked_sub_seconds(i64::MIN), None);
        assert_eq!(Timestamp::from_unix_seconds(MIN_SECONDS - 1), None);
        assert_eq!(
            Timestamp::from_unix_millis(-1),
            Timestamp::from_unix_seconds(-1)
        );
        assert_eq!(
            Timestamp::from_unix_millis(1_999).map(Timestamp::unix_millis),
            Some(1_000)
        );
        let now = t("2026-06-01T12:00:00Z");
        assert_eq!(now.checked_add_seconds(60), Some(t("2026-06-01T12:01:00Z")));
        assert_eq!(now.seconds_since(t("2026-06-01T11:59:00Z")), 60);
        assert_eq!(t("2026-06-01T11:59:00Z").seconds_since(now), -60);
    }

    #[test]
    fn serializes_as_rfc3339_string() {
        let now = t("2026-06-01T12:00:00+02:00");
        assert_eq!(
            serde_json::to_string(&now).unwrap(),
            r#""2026-06-01T10:00:00Z""#
        );
        assert_eq!(
            serde_json::from_str::<Timestamp>(r#""2026-06-01T10:00:00.123Z""#).unwrap(),
            now
        );
        assert!(serde_json::from_str::<Timestamp>("1780308000").is_err());
        assert!(serde_json::from_str::<Timestamp>(r#""yesterday""#).is_err());
    }

    proptest! {
        #[test]
        fn formats_and_parses_like_chrono(seconds in MIN_SECONDS..=MAX_SECONDS) {
            let ours = Timestamp::from_unix_seconds(seconds).unwrap();
            let theirs = reference(seconds);
            let text = theirs.to_rfc3339_opts(SecondsFormat::Secs, true);
            prop_assert_eq!(ours.to_string(), text.clone());
            prop_assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
            prop_assert_eq!(text.parse::<Timestamp>(), Ok(ours));
        }

        #[test]
        fn parses_offsets_like_chrono(
            seconds in 0i64..=4_102_444_800,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59),
            millis in 0u32..1000,
        ) {
            let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let local = reference(seconds).with_timezone(&offset)
                + chrono::TimeDelta::milliseconds(i64::from(millis));
            let text = local.to_rfc3339_opts(SecondsFormat::Millis, false);
            let expected = DateTime::parse_from_rfc3339(&text).unwrap().timestamp();
            prop_assert_eq!(text.parse::<Timestamp>().map(Timestamp::unix_seconds), Ok(expected));
        }

        #[test]
        fn finds_day_and_month_start_like_chrono(seconds in MIN_SECONDS..=MAX_SECONDS) {
            let ours = Timestamp::from_unix_seconds(seconds).unwrap();
            let day = reference(seconds).date_naive();
            let day_start = day.and_time(NaiveTime::MIN).and_utc().timestamp();
            let month_start = day.with_day(1).unwrap().and_time(NaiveTime::MIN).and_utc().timestamp();
            prop_assert_eq!(ours.day_start().unix_seconds(), day_start);
            prop_assert_eq!(ours.month_start().unix_seconds(), month_start);
        }
    }
}

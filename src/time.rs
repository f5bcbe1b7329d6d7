//! Capture timestamps: nanoseconds since the Unix epoch, rendered as RFC 3339 in UTC.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A capture timestamp in nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub fn from_secs_nanos(secs: u64, nanos: u64) -> Self {
        Timestamp(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }

    pub fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    pub fn micros(self) -> u64 {
        self.0 / 1_000
    }

    /// Seconds since the epoch as a float (the form `tshark -e frame.time_epoch` prints).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    pub fn saturating_sub(self, other: Timestamp) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Timestamp {
    /// `2026-11-25T19:26:01.123456Z` (microsecond precision, UTC) as bytes. Always 27 of them:
    /// a `u64` of nanoseconds ends in the year 2554. Written digit by digit: reports format
    /// one for every evidence frame, and `write!` with seven padded fields costs several times
    /// as much.
    pub fn rfc3339(self) -> [u8; 27] {
        let secs = self.secs();
        let micros = (self.0 % 1_000_000_000) / 1_000;
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y as u64);
        put(5, 2, m as u64);
        put(8, 2, d as u64);
        put(11, 2, rem / 3600);
        put(14, 2, (rem % 3600) / 60);
        put(17, 2, rem % 60);
        put(20, 6, micros);
        b
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-25T19:26:01.123456Z` (microsecond precision, UTC).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.rfc3339();
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {s:?}")))
    }
}

/// Days since 1970-01-01 of a civil date (inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u64;
    let mp = if m > 2 { m - 3 } else { m + 9 } as u64;
    let doy = (153 * mp + 2) / 5 + d as u64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i64 - 719_468
}

impl Timestamp {
    /// Parse the form `Display` writes (`YYYY-MM-DDTHH:MM:SS[.frac]Z`).
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
            return None;
        }
        let rest = s.get(19..)?.strip_suffix('Z')?;
        let nanos = match rest.strip_prefix('.') {
            Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => {
                f.parse::<u64>().ok()? * 10u64.pow(9 - f.len() as u32)
            }
            Some(_) => return None,
            None if rest.is_empty() => 0,
            None => return None,
        };
        let days = days_from_civil(y as i64, mo as u32, d as u32);
        if days < 0 {
            return None;
        }
        Some(Timestamp::from_secs_nanos(
            days as u64 * 86_400 + h * 3600 + mi * 60 + se,
            nanos,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        // date -u -d @1764098761 -> 2025-11-25T19:26:01Z
        let t = Timestamp::from_secs_nanos(1_764_098_761, 123_456_789);
        assert_eq!(t.to_string(), "2025-11-25T19:26:01.123456Z");
        // leap day
        let t = Timestamp::from_secs_nanos(951_782_400, 0);
        assert_eq!(t.to_string(), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn formats_the_whole_range_like_the_field_by_field_form() {
        // date -u -d @18446744073: the last second a u64 of nanoseconds holds.
        assert_eq!(
            Timestamp(u64::MAX).to_string(),
            "2554-07-21T23:34:33.709551Z"
        );
        assert_eq!(
            Timestamp::from_secs_nanos(4_102_444_799, 999_999_999).to_string(),
            "2099-12-31T23:59:59.999999Z"
        );
        let slow = |t: Timestamp| {
            let secs = t.secs() as i64;
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let rem = secs.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
                rem / 3600,
                (rem % 3600) / 60,
                rem % 60,
                (t.0 % 1_000_000_000) / 1_000
            )
        };
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let t = Timestamp(x);
            assert_eq!(t.to_string(), slow(t));
        }
    }

    #[test]
    fn parses_what_it_writes() {
        for t in [0u64, 951_782_400_000_000_000, 1_764_098_761_123_456_000] {
            let ts = Timestamp(t);
            assert_eq!(Timestamp::parse(&ts.to_string()), Some(ts));
        }
        assert_eq!(
            Timestamp::parse("2025-11-25T19:26:01Z"),
            Some(Timestamp::from_secs_nanos(1_764_098_761, 0))
        );
        assert_eq!(Timestamp::parse("2025-13-25T19:26:01Z"), None);
        assert_eq!(Timestamp::parse("garbage"), None);
    }
}

//! Calendar arithmetic for the binary wire formats of date and timestamp[tz]: days and
//! microseconds since 2000-01-01 (PostgreSQL's epoch) ↔ the text pgrq stores.

use crate::sql::calendar::{civil_from_days, days_from_civil};

/// Days from 1970-01-01 (the Unix epoch) to 2000-01-01 (PostgreSQL's).
const PG_EPOCH_DAYS: i64 = 10_957;

/// Days since 2000-01-01 → (year, month, day).
pub fn civil(days_since_2000: i64) -> (i64, u32, u32) {
    civil_from_days(days_since_2000 + PG_EPOCH_DAYS)
}

/// (year, month, day) → days since 2000-01-01.
pub fn days(year: i64, month: u32, day: u32) -> i64 {
    days_from_civil(year, month, day) - PG_EPOCH_DAYS
}

/// `YYYY-MM-DD` → days since 2000-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.get(..2)?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days(y, m, d))
}

/// `YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|±HH[:MM]]` → microseconds since 2000-01-01 UTC
/// (an offset, when present, is applied).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_at_checked(10)?;
    let day = parse_date(date)?;
    let rest = rest.strip_prefix([' ', 'T']).unwrap_or(rest);
    let (clock, offset) = match rest.find(['+', '-', 'Z']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut hms = clock.splitn(3, ':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let sec = hms.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let sec: i64 = whole.parse().ok()?;
    let mut micros_frac: i64 = 0;
    for (i, c) in frac.chars().take(6).enumerate() {
        micros_frac += i64::from(c.to_digit(10)?) * 10_i64.pow(5 - i as u32);
    }
    let offset_secs = match offset {
        "" | "Z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
            let oh: i64 = digits.get(..2)?.parse().ok()?;
            let om: i64 = digits.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
            sign * (oh * 3600 + om * 60)
        }
    };
    Some((day * 86_400 + h * 3600 + mi * 60 + sec - offset_secs) * 1_000_000 + micros_frac)
}

/// `HH:MM:SS[.ffffff]` (hours may pass 23, as in an interval's time part) →
/// microseconds.
fn clock_micros(s: &str) -> Option<i64> {
    let mut hms = s.splitn(3, ':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let sec = hms.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let sec: i64 = whole.parse().ok()?;
    if !(0..60).contains(&mi) || !(0..=60).contains(&sec) || frac.len() > 6 {
        return None;
    }
    let mut micros: i64 = 0;
    for (i, c) in frac.chars().enumerate() {
        micros += i64::from(c.to_digit(10)?) * 10_i64.pow(5 - i as u32);
    }
    Some(((h * 60 + mi) * 60 + sec) * 1_000_000 + micros)
}

/// A time of day as PostgreSQL prints it → microseconds since midnight.
pub fn parse_time(s: &str) -> Option<i64> {
    clock_micros(s.trim()).filter(|us| (0..=86_400_000_000).contains(us))
}

/// An interval as PostgreSQL prints it (`1 year 2 mons -3 days 04:05:06.5`) →
/// (microseconds, days, months), the fields of its binary format.
pub fn parse_interval(s: &str) -> Option<(i64, i32, i32)> {
    let (mut micros, mut days, mut months) = (0_i64, 0_i64, 0_i64);
    let mut words = s.split_whitespace();
    while let Some(w) = words.next() {
        if w.contains(':') {
            let (sign, clock) = match w.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, w.strip_prefix('+').unwrap_or(w)),
            };
            micros += sign * clock_micros(clock)?;
            continue;
        }
        let n: i64 = w.parse().ok()?;
        match words.next()? {
            "year" | "years" => months += 12 * n,
            "mon" | "mons" => months += n,
            "day" | "days" => days += n,
            _ => return None,
        }
    }
    Some((
        micros,
        i32::try_from(days).ok()?,
        i32::try_from(months).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        for d in [-800_000, -1, 0, 1, 9821, 24_000, 2_900_000] {
            let (y, m, day) = civil(d);
            assert_eq!(days(y, m, day), d);
        }
        assert_eq!(civil(0), (2000, 1, 1));
        assert_eq!(parse_date("2024-02-29"), Some(days(2024, 2, 29)));
        assert_eq!(parse_date("2024-13-01"), None);
    }

    #[test]
    fn timestamps_with_and_without_offsets() {
        let base = (9821 * 86_400 + 22 * 3600 + 31 * 60 + 25) * 1_000_000;
        assert_eq!(
            parse_timestamp("2026-11-21 22:31:25.777368+00"),
            Some(base + 777_368)
        );
        assert_eq!(
            parse_timestamp("2026-11-21T22:31:25.5Z"),
            Some(base + 500_000)
        );
        assert_eq!(parse_timestamp("2026-11-22 00:31:25+02:00"), Some(base));
        assert_eq!(parse_timestamp("2026-11-21 17:01:25-0530"), Some(base));
        assert_eq!(parse_timestamp("2026-11-21 22:31:25"), Some(base));
        assert_eq!(parse_timestamp("not a time"), None);
    }

    #[test]
    fn times_and_intervals_as_postgres_prints_them() {
        assert_eq!(parse_time("03:04:05"), Some(11_045_000_000));
        assert_eq!(parse_time("23:59:59.999999"), Some(86_399_999_999));
        assert_eq!(parse_time("25:00:00"), None);
        assert_eq!(parse_interval("00:00:00"), Some((0, 0, 0)));
        assert_eq!(
            parse_interval("1 year 2 mons 3 days 04:05:06.5"),
            Some((14_706_500_000, 3, 14))
        );
        assert_eq!(parse_interval("-1 days"), Some((0, -1, 0)));
        assert_eq!(parse_interval("-01:00:00"), Some((-3_600_000_000, 0, 0)));
        assert_eq!(parse_interval("36:00:00"), Some((129_600_000_000, 0, 0)));
        assert_eq!(parse_interval("1 fortnight"), None);
        assert_eq!(parse_interval("2 hours"), None);
    }
}

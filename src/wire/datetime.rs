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

/// Microseconds since 2000-01-01 → PostgreSQL's text output (`2024-03-04 05:06:07.89`),
/// with `+00` appended for a timestamptz (pgrq's sessions run in UTC). `None` for years
/// PostgreSQL would print with `BC`, which pgrq does not store.
pub fn format_timestamp(micros: i64, with_zone: bool) -> Option<String> {
    let days = micros.div_euclid(86_400_000_000);
    let in_day = micros.rem_euclid(86_400_000_000);
    let (y, m, d) = civil(days);
    if y < 1 {
        return None;
    }
    let secs = in_day / 1_000_000;
    let frac = in_day % 1_000_000;
    let mut out = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    if with_zone {
        out.push_str("+00");
    }
    Some(out)
}

/// Days since 2000-01-01 → `YYYY-MM-DD`; `None` for BC years.
pub fn format_date(days: i64) -> Option<String> {
    let (y, m, d) = civil(days);
    (y >= 1).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// A stored date/time text in the form PostgreSQL prints for a column of that type:
/// a date alone in a timestamp column gains `00:00:00`, a timestamptz written with another
/// offset is shown in UTC. Text that is not a recognisable date/time is left as it is.
pub fn normalize(text: &str, kind: Kind) -> Option<String> {
    let has_clock = text.trim().len() > 10;
    match kind {
        Kind::Date => parse_date(text)
            .filter(|_| !has_clock)
            .and_then(format_date),
        Kind::Timestamp => {
            let clock = text.trim().get(10..).unwrap_or("");
            // An offset in a timestamp (without time zone) column is not PostgreSQL's
            // doing; leave such text alone rather than shift it.
            if clock.contains(['+', 'Z']) || clock.rfind('-').is_some() {
                return None;
            }
            parse_timestamp(text)
                .or_else(|| {
                    (!has_clock)
                        .then(|| parse_date(text))
                        .flatten()
                        .map(|d| d * 86_400_000_000)
                })
                .and_then(|us| format_timestamp(us, false))
        }
        Kind::Timestamptz => parse_timestamp(text)
            .or_else(|| {
                (!has_clock)
                    .then(|| parse_date(text))
                    .flatten()
                    .map(|d| d * 86_400_000_000)
            })
            .and_then(|us| format_timestamp(us, true)),
    }
}

/// Which date/time type [`normalize`] prints for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    Timestamp,
    Timestamptz,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_printed_as_postgres_prints_it() {
        let n = |s: &str, k| normalize(s, k);
        assert_eq!(
            n("2024-03-04", Kind::Timestamp).as_deref(),
            Some("2024-03-04 00:00:00")
        );
        assert_eq!(
            n("2024-03-04 05:06:07.890000", Kind::Timestamp).as_deref(),
            Some("2024-03-04 05:06:07.89")
        );
        assert_eq!(
            n("2024-03-04 05:06:07.89+01", Kind::Timestamptz).as_deref(),
            Some("2024-03-04 04:06:07.89+00")
        );
        assert_eq!(
            n("2024-03-04T00:00:00Z", Kind::Timestamptz).as_deref(),
            Some("2024-03-04 00:00:00+00")
        );
        assert_eq!(n("2024-03-04 05:06:07+01", Kind::Timestamp), None);
        assert_eq!(n("2024-03-05", Kind::Date).as_deref(), Some("2024-03-05"));
        assert_eq!(n("not a date", Kind::Date), None);
    }

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
}

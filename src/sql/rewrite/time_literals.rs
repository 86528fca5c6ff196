//! Date and time constants read at translation time (`'2024-03-01
//! 12:00'::timestamp`, `DATE '2020-02-29'`, `'…+05'::timestamptz`): checked
//! (22007 bad syntax, 22008 out of range, as PostgreSQL) and written in
//! the text form pgrq stores and prints (`2024-03-01 12:00:00`, offsets
//! turned into UTC `+00`). Casts of other values between date and
//! timestamp kinds reshape the text in SQLite. Pure.

use sqlparser::ast::Expr;

use super::build::raise;
use super::string;
use super::template::fill;
use crate::sql::PgType;
use crate::sql::calendar::{civil_from_days, days_from_civil};

/// A literal's value as `pg`, or the error expression PostgreSQL's input
/// function would raise; `None` for other types and special words.
pub(super) fn fold(text: &str, pg: PgType) -> Option<Expr> {
    let name = match pg {
        PgType::Date => "date",
        PgType::Timestamp => "timestamp without time zone",
        PgType::Timestamptz => "timestamp with time zone",
        _ => return None,
    };
    let t = epoch_as_text(text.trim());
    if matches!(
        t.to_ascii_lowercase().as_str(),
        "infinity" | "-infinity" | "now" | "today" | "tomorrow" | "yesterday"
    ) {
        return None;
    }
    Some(match parse(t) {
        Ok(p) => string(&p.render(pg)),
        Err(Bad::Syntax) => raise(
            "22007",
            &format!("invalid input syntax for type {name}: \"{t}\""),
        ),
        Err(Bad::Range) => raise(
            "22008",
            &format!("date/time field value out of range: \"{t}\""),
        ),
    })
}

/// Stored date/time text in the form PostgreSQL prints for `pg` (offsets
/// turned into UTC `+00`, dates given midnight), if it reads as one.
pub(crate) fn normalize(text: &str, pg: PgType) -> Option<String> {
    if pg == PgType::Time {
        return time_of_day(text);
    }
    if !matches!(pg, PgType::Date | PgType::Timestamp | PgType::Timestamptz) {
        return None;
    }
    parse(epoch_as_text(text.trim())).ok().map(|p| p.render(pg))
}

/// A time of day `H[H]:MM[:SS[.f…]]` as PostgreSQL prints it: `HH:MM:SS`, then the
/// fraction (at most 6 digits) without trailing zeros. Anything else (other input forms,
/// more than 6 fractional digits, out of range) is left alone: `None`.
fn time_of_day(text: &str) -> Option<String> {
    let t = text.trim();
    let (clock, frac) = match t.split_once('.') {
        Some((c, f)) => (c, f),
        None => (t, ""),
    };
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let field = |s: &str, width: std::ops::RangeInclusive<usize>| -> Option<u32> {
        (width.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m] if frac.is_empty() => (field(h, 1..=2)?, field(m, 2..=2)?, 0),
        [h, m, s] => (field(h, 1..=2)?, field(m, 2..=2)?, field(s, 2..=2)?),
        _ => return None,
    };
    let frac = frac.trim_end_matches('0');
    let past_midnight = h == 24 && (m > 0 || s > 0 || !frac.is_empty());
    if h > 24 || m > 59 || s > 59 || past_midnight {
        return None;
    }
    let mut out = format!("{h:02}:{m:02}:{s:02}");
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// PostgreSQL's special input `epoch` is 1970-01-01 00:00:00 (UTC for
/// timestamptz, where the session time zone is UTC).
fn epoch_as_text(t: &str) -> &str {
    if t.eq_ignore_ascii_case("epoch") {
        "1970-01-01 00:00:00+00"
    } else {
        t
    }
}

enum Bad {
    Syntax,
    Range,
}

struct Parsed {
    days: i64,
    micros: i64,
}

impl Parsed {
    fn render(&self, pg: PgType) -> String {
        let (y, m, d) = civil_from_days(self.days);
        let date = format!("{y:04}-{m:02}-{d:02}");
        if pg == PgType::Date {
            return date;
        }
        let secs = self.micros / 1_000_000;
        let frac = self.micros % 1_000_000;
        let mut s = format!(
            "{date} {:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        if frac != 0 {
            s.push('.');
            s.push_str(format!("{frac:06}").trim_end_matches('0'));
        }
        if pg == PgType::Timestamptz {
            s.push_str("+00");
        }
        s
    }
}

fn num(s: &str) -> Result<i64, Bad> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Bad::Syntax);
    }
    s.parse().map_err(|_| Bad::Syntax)
}

fn parse(t: &str) -> Result<Parsed, Bad> {
    let (date, rest) = match t.find([' ', 'T', 't']) {
        Some(i) => (&t[..i], t[i + 1..].trim()),
        None => (t, ""),
    };
    let mut parts = date.split('-');
    let (y, m, d) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) if y.len() == 4 => (num(y)?, num(m)?, num(d)?),
        _ => return Err(Bad::Syntax),
    };
    if !(1..=12).contains(&m) || d < 1 {
        return Err(Bad::Range);
    }
    let days = days_from_civil(y, m as u32, d as u32);
    if civil_from_days(days) != (y, m as u32, d as u32) {
        return Err(Bad::Range);
    }
    if rest.is_empty() {
        return Ok(Parsed { days, micros: 0 });
    }
    // The time, then an optional offset (+HH, +HH:MM, -HH, Z).
    let (clock, offset_secs) = match rest.find(['+', '-', 'Z', 'z']) {
        Some(i) => (rest[..i].trim(), offset(&rest[i..])?),
        None => (rest, 0),
    };
    let mut f = clock.split(':');
    let h = num(f.next().ok_or(Bad::Syntax)?)?;
    let mi = num(f.next().ok_or(Bad::Syntax)?)?;
    let (s, frac) = match f.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, fr) = sec.split_once('.').unwrap_or((sec, ""));
            let digits: String = fr.chars().chain("000000".chars()).take(6).collect();
            (num(whole)?, if fr.is_empty() { 0 } else { num(&digits)? })
        }
    };
    if f.next().is_some() {
        return Err(Bad::Syntax);
    }
    if h > 24 || mi > 59 || s > 60 || (h == 24 && (mi, s, frac) != (0, 0, 0)) {
        return Err(Bad::Range);
    }
    let total =
        ((h * 3600 + mi * 60 + s - offset_secs) * 1_000_000 + frac).rem_euclid(86_400_000_000);
    let day_shift =
        ((h * 3600 + mi * 60 + s - offset_secs) * 1_000_000 + frac).div_euclid(86_400_000_000);
    Ok(Parsed {
        days: days + day_shift,
        micros: total,
    })
}

fn offset(s: &str) -> Result<i64, Bad> {
    if s.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let body = &s[1..];
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (num(h)?, num(m)?),
        None if body.len() == 4 => (num(&body[..2])?, num(&body[2..])?),
        None => (num(body)?, 0),
    };
    Ok(sign * (h * 3600 + m * 60))
}

/// `x::date` / `x::timestamp` / `x::timestamptz` of a value that is not a
/// constant: reshape the stored text (dates gain midnight, timestamps lose
/// or gain the `+00` offset, timestamps cast to date keep the date).
pub(super) fn reshape(inner: &Expr, pg: PgType) -> Option<Expr> {
    let sql = match pg {
        PgType::Date => "CASE WHEN pgrq_arg1 IS NULL THEN NULL ELSE substr(pgrq_arg1, 1, 10) END",
        PgType::Timestamp => {
            "CASE WHEN pgrq_arg1 IS NULL THEN NULL \
             WHEN length(pgrq_arg1) = 10 THEN pgrq_arg1 || ' 00:00:00' \
             WHEN substr(pgrq_arg1, length(pgrq_arg1) - 2, 1) IN ('+', '-') \
             THEN substr(pgrq_arg1, 1, length(pgrq_arg1) - 3) ELSE pgrq_arg1 END"
        }
        PgType::Timestamptz => {
            "CASE WHEN pgrq_arg1 IS NULL THEN NULL \
             WHEN length(pgrq_arg1) = 10 THEN pgrq_arg1 || ' 00:00:00+00' \
             WHEN substr(pgrq_arg1, length(pgrq_arg1) - 2, 1) IN ('+', '-') THEN pgrq_arg1 \
             ELSE pgrq_arg1 || '+00' END"
        }
        _ => return None,
    };
    fill(sql, std::slice::from_ref(inner)).ok()
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn constants_are_checked_and_normalised() {
        assert_eq!(
            sqlite(
                "SELECT '2024-03-01 12:00'::timestamp, DATE '2020-02-29', '2024-03-01 12:34:56'::date"
            ),
            "SELECT '2024-03-01 12:00:00' AS \"timestamp\", '2020-02-29' AS \"date\", \
             '2024-03-01' AS \"date\""
        );
        assert_eq!(
            sqlite("SELECT CAST('2024-01-01 10:00:00.5+05' AS timestamptz)"),
            "SELECT '2024-01-01 05:00:00.5+00' AS \"timestamptz\""
        );
        assert!(sqlite("SELECT '2024-02-30'::date").contains("pgrq:22008"));
        assert!(sqlite("SELECT 'not a date'::date").contains("pgrq:22007"));
    }

    #[test]
    fn times_of_day_print_as_postgresql_does() {
        use super::normalize;
        use crate::sql::PgType;
        let n = |t: &str| normalize(t, PgType::Time);
        assert_eq!(n("10:30").as_deref(), Some("10:30:00"));
        assert_eq!(n("8:05:09").as_deref(), Some("08:05:09"));
        assert_eq!(n(" 12:34:56.7890 ").as_deref(), Some("12:34:56.789"));
        assert_eq!(n("12:34:56.000").as_deref(), Some("12:34:56"));
        assert_eq!(n("24:00:00").as_deref(), Some("24:00:00"));
        assert_eq!(
            sqlite("SELECT time '10:30', '7:05'::time"),
            "SELECT '10:30:00' AS \"time\", '07:05:00' AS \"time\""
        );
        for other in [
            "24:00:01",
            "10:60",
            "10:30.5",
            "1:2",
            "10:30 PM",
            "allballs",
            "12:00:00.1234567",
        ] {
            assert_eq!(n(other), None, "{other}");
        }
    }

    #[test]
    fn epoch_is_the_unix_epoch() {
        assert_eq!(
            sqlite("SELECT date 'epoch', timestamp 'EPOCH', 'epoch'::timestamptz"),
            "SELECT '1970-01-01' AS \"date\", '1970-01-01 00:00:00' AS \"timestamp\", \
             '1970-01-01 00:00:00+00' AS \"timestamptz\""
        );
    }

    #[test]
    fn stored_text_is_printed_normalised() {
        use super::normalize;
        use crate::sql::PgType;
        assert_eq!(
            normalize("2024-03-04 05:06:07.89+01", PgType::Timestamptz).as_deref(),
            Some("2024-03-04 04:06:07.89+00")
        );
        assert_eq!(
            normalize("2024-03-04", PgType::Timestamp).as_deref(),
            Some("2024-03-04 00:00:00")
        );
        assert_eq!(normalize("garbage", PgType::Date), None);
    }

    #[test]
    fn other_values_are_reshaped() {
        assert!(sqlite("SELECT ts::date FROM t").contains("SUBSTR(ts, 1, 10)"));
        assert!(sqlite("SELECT d::timestamp FROM t").contains("d || ' 00:00:00'"));
    }
}

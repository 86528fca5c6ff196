//! The current time, as pgrq writes it into SQLite text.
//!
//! rqlite replaces every `'now'` literal by a julian-day number with six
//! decimals (about 86 ms) before Raft, and PostgreSQL's `now()` is the
//! transaction start anyway. So outside stored definitions every clock
//! reading is a string literal computed from [`Context::now_micros`] (the
//! time the session chose for its transaction), in PostgreSQL's text
//! format, which is also how pgrq stores times:
//!
//! | kind          | literal                            |
//! |---------------|------------------------------------|
//! | `timestamptz` | `'2026-11-22 03:17:34.426123+00'`  |
//! | `timestamp`   | `'2026-11-22 03:17:34.426123'`     |
//! | `date`        | `'2026-11-22'`                     |
//! | `timetz`      | `'03:17:34.426123+00'`             |
//! | `time`        | `'03:17:34.426123'`                |
//!
//! Trailing zeros of the fraction are dropped, and the fraction with them
//! when it is zero (`'2026-11-22 03:17:34+00'`); a year before 1 AD is
//! written as PostgreSQL does (`'0044-03-15 BC'`).
//!
//! Stored definitions (column defaults in CREATE/ALTER TABLE, views) must
//! read the clock when they are used, not when they are written: there the
//! SQLite `'now'` forms are kept (and hidden from rqlite, see
//! `time_defaults`). The date arithmetic is Howard Hinnant's
//! civil-from-days; nothing here reads a clock.
//!
//! [`Context::now_micros`]: crate::sql::Context::now_micros

use sqlparser::ast::Expr;

use super::{Rewriter, call, string};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// What a clock reading is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    /// `now()`, `CURRENT_TIMESTAMP`: date, time and `+00`.
    Timestamptz,
    /// `LOCALTIMESTAMP`: date and time.
    Timestamp,
    /// `CURRENT_DATE`.
    Date,
    /// `CURRENT_TIME`: time of day and `+00`.
    Timetz,
    /// `LOCALTIME`: time of day.
    Time,
}

/// The current time of kind `clock`, rounded to `precision` fractional
/// digits when given (PostgreSQL's `CURRENT_TIMESTAMP(p)`): a literal from
/// the session's transaction time, or the SQLite `'now'` form inside a
/// stored definition (where the precision is not applied).
pub(super) fn current(rw: &Rewriter<'_>, clock: Clock, precision: Option<u32>) -> Expr {
    if rw.live_clock {
        return sqlite_now(clock);
    }
    rw.clock_read.set(true);
    let micros = match precision {
        Some(p) => round_micros(rw.ctx.now_micros, p),
        None => rw.ctx.now_micros,
    };
    string(&literal(clock, micros))
}

/// The SQLite expression reading the clock as `clock`, in PostgreSQL's
/// text format, UTC.
fn sqlite_now(clock: Clock) -> Expr {
    let format = match clock {
        Clock::Date => return call("date", vec![string("now")]),
        Clock::Timestamptz => "%Y-%m-%d %H:%M:%f+00",
        Clock::Timestamp => "%Y-%m-%d %H:%M:%f",
        Clock::Timetz => "%H:%M:%f+00",
        Clock::Time => "%H:%M:%f",
    };
    call("strftime", vec![string(format), string("now")])
}

/// `micros` (since the Unix epoch, UTC) as PostgreSQL prints `clock`.
pub(super) fn literal(clock: Clock, micros: i64) -> String {
    let t = Civil::from_micros(micros);
    let bc = if t.year <= 0 { " BC" } else { "" };
    let date = format!("{:04}-{:02}-{:02}", pg_year(t.year), t.month, t.day);
    let time = format!(
        "{:02}:{:02}:{:02}{}",
        t.hour,
        t.minute,
        t.second,
        fraction(t.micros)
    );
    match clock {
        Clock::Timestamptz => format!("{date} {time}+00{bc}"),
        Clock::Timestamp => format!("{date} {time}{bc}"),
        Clock::Date => format!("{date}{bc}"),
        Clock::Timetz => format!("{time}+00"),
        Clock::Time => time,
    }
}

/// What SQLite's `datetime('now')` (`CURRENT_TIMESTAMP`) would give at
/// `micros`: `YYYY-MM-DD HH:MM:SS`, seconds truncated.
pub(super) fn sqlite_datetime(micros: i64) -> String {
    let t = Civil::from_micros(micros);
    format!("{} {}", sqlite_date(&t), sqlite_time(&t))
}

/// What SQLite's `time('now')` (`CURRENT_TIME`) would give at `micros`:
/// `HH:MM:SS`, seconds truncated.
pub(super) fn sqlite_time_of_day(micros: i64) -> String {
    sqlite_time(&Civil::from_micros(micros))
}

/// `micros` as a SQLite time value (`YYYY-MM-DD HH:MM:SS.ffffff`, fraction
/// trimmed) to stand in for `'now'` in any SQLite date/time function.
pub(super) fn sqlite_time_value(micros: i64) -> String {
    let t = Civil::from_micros(micros);
    format!(
        "{} {}{}",
        sqlite_date(&t),
        sqlite_time(&t),
        fraction(t.micros)
    )
}

fn sqlite_date(t: &Civil) -> String {
    let sign = if t.year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{:02}-{:02}",
        t.year.unsigned_abs(),
        t.month,
        t.day
    )
}

fn sqlite_time(t: &Civil) -> String {
    format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second)
}

/// PostgreSQL numbers years before 1 AD as `1 BC`, `2 BC`, …
fn pg_year(year: i64) -> i64 {
    if year <= 0 { 1 - year } else { year }
}

/// `.ffffff` without trailing zeros; empty when `micros` is 0.
fn fraction(micros: u32) -> String {
    if micros == 0 {
        return String::new();
    }
    let digits = format!(".{micros:06}");
    digits.trim_end_matches('0').to_string()
}

/// `micros` rounded to `precision` fractional digits as PostgreSQL does
/// (half away from zero); a precision above 6 is 6.
pub(super) fn round_micros(micros: i64, precision: u32) -> i64 {
    let Some(scale) = 10_i128.checked_pow(6_u32.saturating_sub(precision)) else {
        return micros;
    };
    let m = i128::from(micros);
    let half = scale / 2;
    let rounded = if m >= 0 {
        (m + half) / scale * scale
    } else {
        -((-m + half) / scale * scale)
    };
    i64::try_from(rounded).unwrap_or(micros)
}

/// A UTC instant split into calendar fields (proleptic Gregorian; year 0
/// is 1 BC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
}

impl Civil {
    fn from_micros(micros: i64) -> Civil {
        let days = micros.div_euclid(MICROS_PER_DAY);
        // In [0, MICROS_PER_DAY): every part below fits a u32.
        let in_day = micros.rem_euclid(MICROS_PER_DAY);
        let part = |v: i64| u32::try_from(v).unwrap_or(0);
        let seconds = in_day / MICROS_PER_SECOND;
        let (year, month, day) = crate::sql::calendar::civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: part(seconds / 3600),
            minute: part(seconds / 60 % 60),
            second: part(seconds % 60),
            micros: part(in_day % MICROS_PER_SECOND),
        }
    }
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;

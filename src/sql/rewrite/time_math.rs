//! Arithmetic with `time` values and sub-second intervals, on the text
//! pgrq stores: `date + time` (a timestamp), `time ± interval` (wrapping
//! around midnight; the interval's months and days do not count, as in
//! PostgreSQL), and `timestamp ± interval` whose interval has a fraction of
//! a second (the month and day steps use SQLite's modifiers, the time is
//! added in microseconds). Time text that is not `HH:MM[:SS[.ffffff]]`
//! is refused when the statement runs (0A000), never read wrongly.
//!
//! The operators are recognised before their operands are rewritten (by
//! their types' forms, in `datetime`), which leaves a marker call
//! (`pgrq_time_plus(t, step)`, …) whose arguments the rewriter then
//! translates; the marker becomes SQLite text afterwards ([`function`]),
//! so that text is not rewritten again. Pure.

use sqlparser::ast::Expr;

use super::build::{literal_int, raise};
use super::datetime::{FRAC6, NORM};
use super::interval::Interval;
use super::template::fill;
use super::{call, number};
use crate::sql::SqlError;

const TIME_PLUS: &str = "pgrq_time_plus";
const DATE_TIME: &str = "pgrq_date_time";
const STAMP_PLUS: &str = "pgrq_stamp_plus";

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Microseconds since midnight of the time text `pgrq_arg1`.
fn time_micros() -> String {
    let refuse = raise(
        "0A000",
        "time value not in the form HH:MM[:SS[.ffffff]] in time arithmetic is not supported",
    );
    format!(
        "(CASE WHEN pgrq_arg1 IS NULL THEN NULL \
         WHEN ltrim(pgrq_arg1, '0123456789:.') <> '' OR substr(pgrq_arg1, 3, 1) <> ':' \
         OR unixepoch('1970-01-01 ' || pgrq_arg1) IS NULL THEN {refuse} \
         ELSE unixepoch('1970-01-01 ' || pgrq_arg1) * 1000000 + \
         CAST(substr(substr(pgrq_arg1, 10) || '000000', 1, 6) AS INTEGER) END)"
    )
}

/// The fraction of a second of `m` microseconds (`m` ≥ 0) as PostgreSQL
/// prints it: `.5`, `.000123`, or nothing.
fn fraction(m: &str) -> String {
    format!(
        "(CASE WHEN {m} % 1000000 <> 0 THEN '.' || rtrim(printf('%06d', {m} % 1000000), '0') \
         ELSE '' END)"
    )
}

/// `time + iv` (`time - iv` is `time + -iv`): the time of day, wrapped.
pub(super) fn time_plus(time: Expr, iv: Interval) -> Expr {
    call(
        TIME_PLUS,
        vec![time, number(&(iv.micros % MICROS_PER_DAY).to_string())],
    )
}

/// `date + time`: the timestamp at that time of the day.
pub(super) fn date_plus_time(date: Expr, time: Expr) -> Expr {
    call(DATE_TIME, vec![date, time])
}

/// `ts + iv` where `iv` has a fraction of a second.
pub(super) fn stamp_plus_fine(base: Expr, iv: Interval) -> Expr {
    let n = |v: i64| number(&v.to_string());
    call(
        STAMP_PLUS,
        vec![base, n(iv.months), n(iv.days), n(iv.micros)],
    )
}

/// The markers' SQLite text, once their arguments are rewritten; `Ok(None)`
/// for other names.
pub(super) fn function(name: &str, args: &mut [Expr]) -> Result<Option<Expr>, SqlError> {
    let int = |e: &Expr| {
        literal_int(e).ok_or_else(|| SqlError::unsupported(format!("internal {name} argument")))
    };
    Ok(Some(match (name, &mut *args) {
        (TIME_PLUS, [time, step]) => time_plus_sql(time.clone(), int(step)?)?,
        (DATE_TIME, [date, time]) => date_plus_time_sql(date.clone(), time.clone())?,
        (STAMP_PLUS, [base, months, days, micros]) => {
            let iv = Interval {
                months: int(months)?,
                days: int(days)?,
                micros: int(micros)?,
            };
            stamp_plus_fine_sql(base.clone(), iv)?
        }
        _ => return Ok(None),
    }))
}

fn time_plus_sql(time: Expr, step: i64) -> Result<Expr, SqlError> {
    let m = format!(
        "(({} + ({step}) + {MICROS_PER_DAY}) % {MICROS_PER_DAY})",
        time_micros()
    );
    let text = format!(
        "(SELECT CASE WHEN m IS NULL THEN NULL ELSE printf('%02d:%02d:%02d', m / 3600000000, \
         m / 60000000 % 60, m / 1000000 % 60) || {} END FROM (SELECT {m} AS m))",
        fraction("m")
    );
    fill(&text, &[time])
}

fn date_plus_time_sql(date: Expr, time: Expr) -> Result<Expr, SqlError> {
    let m = time_micros().replace("pgrq_arg1", "pgrq_arg2");
    let text = format!(
        "(SELECT CASE WHEN m IS NULL OR pgrq_arg1 IS NULL THEN NULL ELSE \
         strftime('%Y-%m-%d %H:%M:%S', pgrq_arg1, '+' || (m / 1000000) || ' seconds') || {} END \
         FROM (SELECT {m} AS m))",
        fraction("m")
    );
    fill(&text, &[date, time])
}

/// Months and days with SQLite's modifiers (`floor` clamps to the month's
/// end, as PostgreSQL), the time in microseconds; the offset of a
/// timestamptz kept.
fn stamp_plus_fine_sql(base: Expr, iv: Interval) -> Result<Expr, SqlError> {
    let mut mods = String::new();
    if iv.months != 0 {
        mods.push_str(&format!(", '{:+} months', 'floor'", iv.months));
    }
    if iv.days != 0 {
        mods.push_str(&format!(", '{:+} days'", iv.days));
    }
    let m = format!(
        "(unixepoch({NORM}{mods}) * 1000000 + CAST({FRAC6} AS INTEGER) + ({}))",
        iv.micros
    );
    let text = format!(
        "(SELECT CASE WHEN m IS NULL THEN NULL ELSE \
         strftime('%Y-%m-%d %H:%M:%S', (m - f) / 1000000, 'unixepoch') || {frac} || \
         CASE WHEN length(pgrq_arg1) > 19 AND substr(pgrq_arg1, length(pgrq_arg1) - 2, 1) \
         IN ('+', '-') THEN substr(pgrq_arg1, length(pgrq_arg1) - 2) ELSE '' END END \
         FROM (SELECT m, (m % 1000000 + 1000000) % 1000000 AS f FROM (SELECT {m} AS m)))",
        frac = fraction("f")
    );
    fill(&text, &[base])
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn time_arithmetic_reads_the_clock_text() {
        let out = sqlite("SELECT time '10:00' + interval '3 hours'");
        assert!(out.contains("unixepoch('1970-01-01 '"), "{out}");
        assert!(out.contains("10800000000"), "{out}");
        let out = sqlite("SELECT interval '1 day 2 hours' + time '23:00'");
        assert!(out.contains("(7200000000)"), "{out}");
        let out = sqlite("SELECT date '2024-01-15' + time '10:30'");
        assert!(out.contains("' seconds'"), "{out}");
        let out = sqlite("SELECT timestamp '2024-01-01 00:00' + interval '1 mon 0.5 seconds'");
        assert!(out.contains("'+1 months', 'floor'"), "{out}");
        assert!(out.contains("'unixepoch'"), "{out}");
    }
}

//! Date/time constructors: `to_timestamp(seconds)`, `make_date`,
//! `make_timestamp`, and `to_date`/`to_timestamp(text, format)` for the ISO
//! formats. Constant arguments are computed here; `to_timestamp` and
//! `make_date` of other values use SQLite's date functions where they give
//! PostgreSQL's answer, and refuse (0A000) or raise PostgreSQL's error where
//! they would not.

use sqlparser::ast::{Expr, UnaryOperator, Value};

use super::build::{literal_str, raise};
use super::{string, template, time_literals};
use crate::sql::calendar::{civil_from_days, days_from_civil};
use crate::sql::{PgType, SqlError};

const MICROS_PER_DAY: i128 = 86_400_000_000;

pub(super) fn function(name: &str, args: &mut [Expr]) -> Result<Option<Expr>, SqlError> {
    Ok(Some(match (name, &*args) {
        ("to_timestamp", [seconds]) => match decimal_micros(seconds) {
            Some(micros) => string(&render(micros, Some(PgType::Timestamptz))),
            None => template::fill(
                "CASE WHEN pgrq_arg1 IS NULL THEN NULL \
                 WHEN pgrq_arg1 = CAST(pgrq_arg1 AS INTEGER) \
                 THEN datetime(pgrq_arg1, 'unixepoch') || '+00' ELSE pgrq_arg2 END",
                &[
                    seconds.clone(),
                    raise(
                        "0A000",
                        "to_timestamp() of a fractional number of seconds is not supported",
                    ),
                ],
            )?,
        },
        ("to_timestamp" | "to_date", [text, format]) => {
            let (Some(text), Some(format)) = (literal_str(text), literal_str(format)) else {
                return Err(SqlError::unsupported(format!(
                    "function {name}() with arguments that are not constants"
                )));
            };
            let pg = if name == "to_date" {
                PgType::Date
            } else {
                PgType::Timestamptz
            };
            if !iso_shape(text, format) {
                return Err(SqlError::unsupported(format!(
                    "function {name}() with format '{format}'"
                )));
            }
            time_literals::fold(text, pg).unwrap_or_else(|| string(text))
        }
        ("make_date", [y, m, d]) => match (int(y), int(m), int(d)) {
            (Some(y), Some(m), Some(d)) => match day_number(y, m, d) {
                Some(days) => string(&render(
                    i128::from(days) * MICROS_PER_DAY,
                    Some(PgType::Date),
                )),
                None => out_of_range(y, m, d),
            },
            _ => template::fill(
                "CASE WHEN pgrq_arg1 IS NULL OR pgrq_arg2 IS NULL OR pgrq_arg3 IS NULL THEN NULL \
                 WHEN date(printf('%04d-%02d-%02d', pgrq_arg1, pgrq_arg2, pgrq_arg3)) \
                 = printf('%04d-%02d-%02d', pgrq_arg1, pgrq_arg2, pgrq_arg3) \
                 AND pgrq_arg1 > 0 \
                 THEN printf('%04d-%02d-%02d', pgrq_arg1, pgrq_arg2, pgrq_arg3) \
                 ELSE pgrq_arg4 END",
                &[
                    y.clone(),
                    m.clone(),
                    d.clone(),
                    raise("22008", "date field value out of range"),
                ],
            )?,
        },
        ("make_timestamp", [y, mo, d, h, mi, s]) => {
            let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
                (int(y), int(mo), int(d), int(h), int(mi), decimal_micros(s))
            else {
                return Err(SqlError::unsupported(
                    "make_timestamp() with arguments that are not constants",
                ));
            };
            let Some(days) = day_number(y, mo, d) else {
                return Ok(Some(out_of_range(y, mo, d)));
            };
            if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..60_000_000).contains(&s) {
                return Ok(Some(raise(
                    "22008",
                    &format!("time field value out of range: {h}:{mi}:{}", s as f64 / 1e6),
                )));
            }
            let micros =
                i128::from(days) * MICROS_PER_DAY + i128::from(h * 3600 + mi * 60) * 1_000_000 + s;
            string(&render(micros, Some(PgType::Timestamp)))
        }
        _ => return Ok(None),
    }))
}

fn out_of_range(y: i64, m: i64, d: i64) -> Expr {
    raise(
        "22008",
        &format!("date field value out of range: {y}-{m:02}-{d:02}"),
    )
}

/// Days since 1970-01-01 of a valid Gregorian date (AD years only).
fn day_number(y: i64, m: i64, d: i64) -> Option<i64> {
    let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Whether `text` has exactly the shape of the ISO `format`.
fn iso_shape(text: &str, format: &str) -> bool {
    let shape = match format.to_ascii_uppercase().as_str() {
        "YYYY-MM-DD" => "dddd-dd-dd",
        "YYYY-MM-DD HH24:MI" => "dddd-dd-dd dd:dd",
        "YYYY-MM-DD HH24:MI:SS" => "dddd-dd-dd dd:dd:dd",
        _ => return false,
    };
    text.len() == shape.len()
        && text.bytes().zip(shape.bytes()).all(|(t, s)| match s {
            b'd' => t.is_ascii_digit(),
            other => t == other,
        })
}

fn int(e: &Expr) -> Option<i64> {
    super::build::literal_int(e)
}

/// A constant number (integer or decimal, possibly negative) in millionths.
fn decimal_micros(e: &Expr) -> Option<i128> {
    match e {
        Expr::Nested(inner) => decimal_micros(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => decimal_micros(expr).map(|m| -m),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => {
                let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
                if frac.len() > 6 || !whole.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let frac = format!("{frac:0<6}");
                Some(whole.parse::<i128>().ok()? * 1_000_000 + frac.parse::<i128>().ok()?)
            }
            _ => None,
        },
        _ => None,
    }
}

/// PostgreSQL's output for `micros` since 1970-01-01 00:00 UTC.
fn render(micros: i128, pg: Option<PgType>) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY) as i64;
    let rest = micros.rem_euclid(MICROS_PER_DAY) as i64;
    let (y, m, d) = civil_from_days(days);
    let date = format!("{y:04}-{m:02}-{d:02}");
    if pg == Some(PgType::Date) {
        return date;
    }
    let secs = rest / 1_000_000;
    let frac = rest % 1_000_000;
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
    if pg == Some(PgType::Timestamptz) {
        s.push_str("+00");
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn constants_are_computed() {
        assert_eq!(
            sqlite(
                "SELECT to_timestamp(0), to_timestamp(1700000000), make_date(2024, 2, 29), \
                 make_timestamp(2024, 1, 2, 3, 4, 5.5)"
            ),
            "SELECT '1970-01-01 00:00:00+00' AS \"to_timestamp\", \
             '2023-11-14 22:13:20+00' AS \"to_timestamp\", '2024-02-29' AS \"make_date\", \
             '2024-01-02 03:04:05.5' AS \"make_timestamp\""
        );
        assert!(sqlite("SELECT make_date(2023, 2, 29)").contains("pgrq:22008"));
    }

    #[test]
    fn iso_formats_are_read() {
        assert_eq!(
            sqlite(
                "SELECT to_date('2024-05-07', 'YYYY-MM-DD'), \
                 to_timestamp('2024-05-07 10:11:12', 'YYYY-MM-DD HH24:MI:SS')"
            ),
            "SELECT '2024-05-07' AS \"to_date\", '2024-05-07 10:11:12+00' AS \"to_timestamp\""
        );
        assert_unsupported("SELECT to_date('07/05/2024', 'DD/MM/YYYY')", "to_date()");
    }

    #[test]
    fn other_values_use_sqlite() {
        let out = sqlite("SELECT to_timestamp(n), make_date(y, m, d) FROM t");
        assert!(out.contains("datetime(n, 'unixepoch') || '+00'"), "{out}");
        assert!(out.contains("printf('%04d-%02d-%02d', y, m, d)"), "{out}");
    }
}

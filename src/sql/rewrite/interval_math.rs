//! Constant interval expressions: `INTERVAL '…'` and `'…'::interval`, and
//! the arithmetic PostgreSQL does on them (`iv ± iv`, `-iv`, `iv * n`,
//! `n * iv`, `iv / n` with a numeric constant `n`), folded here with
//! PostgreSQL's month/day/microsecond rules (fractions cascade down: a
//! month is 30 days, a day 86400 seconds; `interval_mul`/`interval_div`).
//! Arithmetic on interval values that are not constants (columns,
//! parameters) is not folded: `datetime` refuses it by name. Pure.

use sqlparser::ast::{BinaryOperator as B, DataType, Expr, UnaryOperator as U, Value};

use super::build::{literal_str, raise};
use super::interval::Interval;
use super::string;
use crate::sql::SqlError;

const DAYS_PER_MONTH: f64 = 30.0;
const SECS_PER_DAY: f64 = 86_400.0;
const MICROS_PER_SEC: f64 = 1_000_000.0;

/// Why a constant interval expression has no value.
#[derive(Debug)]
pub(super) enum Fail {
    /// Not translated, or bad interval text (raised at translation time).
    Sql(SqlError),
    /// PostgreSQL's run-time error (`SQLSTATE`, message): division by
    /// zero, interval out of range.
    Raise(&'static str, String),
}

impl Fail {
    /// The expression standing for the failed value: raises when run, or
    /// the translation error.
    pub(super) fn into_expr(self) -> Result<Expr, SqlError> {
        match self {
            Fail::Sql(e) => Err(e),
            Fail::Raise(code, message) => Ok(raise(code, &message)),
        }
    }
}

impl From<SqlError> for Fail {
    fn from(e: SqlError) -> Self {
        Fail::Sql(e)
    }
}

fn out_of_range() -> Fail {
    Fail::Raise("22008", "interval out of range".into())
}

/// The value of `e` when it is a constant interval expression; `None` when
/// it is not one (a column, a timestamp, an interval times a column, …).
pub(super) fn constant(e: &Expr) -> Option<Result<Interval, Fail>> {
    match e {
        Expr::Nested(inner) => constant(inner),
        Expr::Interval(iv) => {
            let Some(text) = literal_str(&iv.value) else {
                return Some(Err(
                    SqlError::unsupported("INTERVAL of an expression").into()
                ));
            };
            if iv.last_field.is_some() {
                return Some(Err(
                    SqlError::unsupported("INTERVAL … TO … qualifier").into()
                ));
            }
            let unit = iv
                .leading_field
                .as_ref()
                .map(|f| f.to_string().to_ascii_lowercase());
            Some(Interval::parse(text, unit.as_deref()).map_err(Fail::Sql))
        }
        Expr::Cast {
            expr,
            data_type: DataType::Interval { .. },
            ..
        } => match literal_str(expr) {
            Some(text) => Some(Interval::parse(text, None).map_err(Fail::Sql)),
            None => Some(Err(SqlError::unsupported(
                "cast of an expression to interval",
            )
            .into())),
        },
        Expr::UnaryOp { op, expr } => {
            let iv = constant(expr)?;
            Some(match op {
                U::Minus => iv.and_then(negate),
                U::Plus => iv,
                _ => return None,
            })
        }
        Expr::BinaryOp { left, op, right } => binary(left, op, right),
        _ => None,
    }
}

fn binary(left: &Expr, op: &B, right: &Expr) -> Option<Result<Interval, Fail>> {
    match op {
        B::Plus | B::Minus => {
            let (l, r) = (constant(left)?, constant(right)?);
            Some(l.and_then(|l| {
                let r = if matches!(op, B::Minus) {
                    negate(r?)?
                } else {
                    r?
                };
                add(l, r)
            }))
        }
        B::Multiply => {
            if let Some(f) = factor(right) {
                Some(constant(left)?.and_then(|iv| multiply(iv, f)))
            } else {
                let f = factor(left)?;
                Some(constant(right)?.and_then(|iv| multiply(iv, f)))
            }
        }
        B::Divide => {
            let f = factor(right)?;
            Some(constant(left)?.and_then(|iv| divide(iv, f)))
        }
        _ => None,
    }
}

/// A numeric constant as the float8 PostgreSQL's `interval * float8`
/// receives (an integer or numeric literal is cast to float8).
fn factor(e: &Expr) -> Option<f64> {
    match e {
        Expr::Nested(inner) => factor(inner),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::UnaryOp { op: U::Minus, expr } => factor(expr).map(|f| -f),
        Expr::UnaryOp { op: U::Plus, expr } => factor(expr),
        _ => None,
    }
}

/// `e` folded to its printed value (or a raise), when it is a constant
/// interval expression.
pub(super) fn fold(e: &Expr) -> Option<Result<Expr, SqlError>> {
    Some(match constant(e)? {
        Ok(iv) => Ok(string(&iv.to_postgres())),
        Err(fail) => fail.into_expr(),
    })
}

fn fits32(v: i64) -> Result<i64, Fail> {
    i32::try_from(v).map(i64::from).map_err(|_| out_of_range())
}

fn negate(iv: Interval) -> Result<Interval, Fail> {
    Ok(Interval {
        months: fits32(-iv.months)?,
        days: fits32(-iv.days)?,
        micros: iv.micros.checked_neg().ok_or_else(out_of_range)?,
    })
}

/// PostgreSQL's `interval_pl`: field by field, each checked.
pub(super) fn add(a: Interval, b: Interval) -> Result<Interval, Fail> {
    Ok(Interval {
        months: fits32(a.months + b.months)?,
        days: fits32(a.days + b.days)?,
        micros: a.micros.checked_add(b.micros).ok_or_else(out_of_range)?,
    })
}

/// A double known to fit an int32, truncated toward zero as C's `(int32)`.
fn int32(v: f64) -> Result<i64, Fail> {
    if v.is_nan() || v > f64::from(i32::MAX) || v < f64::from(i32::MIN) {
        return Err(out_of_range());
    }
    Ok(v.trunc() as i64)
}

/// PostgreSQL's TSROUND: to the nearest microsecond-fraction of the unit.
fn tsround(v: f64) -> f64 {
    (v * MICROS_PER_SEC).round_ties_even() / MICROS_PER_SEC
}

/// The shared tail of `interval_mul` / `interval_div`: `month_exact` and
/// `day_exact` are the months and days times the factor, `time` the
/// microseconds times it.
fn cascade(month_exact: f64, day_exact: f64, time: f64) -> Result<Interval, Fail> {
    let months = int32(month_exact)?;
    let mut days = int32(day_exact)?;
    let month_remainder_days = tsround((month_exact - months as f64) * DAYS_PER_MONTH);
    let mut sec_remainder = tsround(
        (day_exact - days as f64 + month_remainder_days - month_remainder_days.trunc())
            * SECS_PER_DAY,
    );
    if sec_remainder.abs() >= SECS_PER_DAY {
        let whole = (sec_remainder / SECS_PER_DAY).trunc();
        days += whole as i64;
        sec_remainder -= whole * SECS_PER_DAY;
    }
    days = fits32(days + month_remainder_days.trunc() as i64)?;
    let micros = (time + sec_remainder * MICROS_PER_SEC).round_ties_even();
    // The float8 range check of FLOAT8_FITS_IN_INT64.
    if micros.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&micros) {
        return Err(out_of_range());
    }
    Ok(Interval {
        months,
        days,
        micros: micros as i64,
    })
}

/// PostgreSQL's `interval_mul` (`interval * float8`).
pub(super) fn multiply(iv: Interval, f: f64) -> Result<Interval, Fail> {
    cascade(
        iv.months as f64 * f,
        iv.days as f64 * f,
        iv.micros as f64 * f,
    )
}

/// PostgreSQL's `interval_div` (`interval / float8`).
pub(super) fn divide(iv: Interval, f: f64) -> Result<Interval, Fail> {
    if f == 0.0 {
        return Err(Fail::Raise("22012", "division by zero".into()));
    }
    cascade(
        iv.months as f64 / f,
        iv.days as f64 / f,
        iv.micros as f64 / f,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::test_support::*;

    fn iv(text: &str) -> Interval {
        Interval::parse(text, None).unwrap()
    }

    fn mul(text: &str, f: f64) -> String {
        multiply(iv(text), f).unwrap().to_postgres()
    }

    fn div(text: &str, f: f64) -> String {
        divide(iv(text), f).unwrap().to_postgres()
    }

    #[test]
    fn multiplication_cascades_fractions_down() {
        // Values checked against PostgreSQL 15.
        assert_eq!(mul("1 month", 1.5), "1 mon 15 days");
        assert_eq!(mul("1 day", 3.0), "3 days");
        assert_eq!(mul("1 mon 3 days", 0.7), "23 days 02:24:00");
        assert_eq!(mul("1 day", 1.0000001), "1 day 00:00:00.00864");
        assert_eq!(mul("1 hour", -2.5), "-02:30:00");
        let mixed = "1 year 5 mons 7 days 03:04:05.123";
        assert_eq!(mul(mixed, -0.37), "-6 mons -11 days -08:05:42.69551");
        assert_eq!(
            mul("-3 mons 2 days", 1.3333),
            "-3 mons -27 days -07:55:46.56"
        );
        assert_eq!(mul("1 mon", 0.1), "3 days");
        assert_eq!(mul("29 days 23:59:59", 1.1), "31 days 47:59:58.9");
        assert_eq!(mul("1 day", 2.5e-7), "00:00:00.0216");
    }

    #[test]
    fn division_cascades_fractions_down() {
        assert_eq!(div("1 hour", 2.0), "00:30:00");
        assert_eq!(div("1 mon", 7.0), "4 days 06:51:25.6896");
        assert_eq!(
            div("1 year 5 mons 7 days 03:04:05.123", 3.3),
            "5 mons 6 days 16:55:47.046243"
        );
        assert!(matches!(
            divide(iv("1 day"), 0.0),
            Err(Fail::Raise("22012", _))
        ));
    }

    #[test]
    fn sums_and_negation() {
        assert_eq!(
            add(iv("2 days"), negate(iv("12 hours")).unwrap())
                .unwrap()
                .to_postgres(),
            "2 days -12:00:00"
        );
        assert!(add(iv("2000000000 days"), iv("2000000000 days")).is_err());
    }

    #[test]
    fn constant_expressions_are_folded() {
        assert_eq!(
            sqlite(
                "SELECT interval '1 day' * 3, interval '1 hour' / 2, \
                 interval '2 days' - interval '12 hours', -interval '1 day', 2 * interval '1 mon'"
            ),
            "SELECT '3 days' AS \"?column?\", '00:30:00' AS \"?column?\", \
             '2 days -12:00:00' AS \"?column?\", '-1 days' AS \"?column?\", \
             '2 mons' AS \"?column?\""
        );
        let out = sqlite("SELECT interval '1 day' / 0");
        assert!(out.contains("pgrq:22012:division by zero"), "{out}");
        assert_unsupported("SELECT interval '1 day' * n FROM t", "interval");
        let m = mirror_from(&["CREATE TABLE w (iv interval)"]);
        for sql in [
            "SELECT -iv FROM w",
            "SELECT iv * 2 FROM w",
            "SELECT iv + interval '1 day' FROM w",
        ] {
            assert!(
                matches!(err_with(sql, &m), SqlError::Unsupported { .. }),
                "{sql}"
            );
        }
    }
}

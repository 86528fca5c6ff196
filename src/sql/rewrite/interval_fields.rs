//! EXTRACT / date_part of an interval: a constant interval's field is
//! computed here, as PostgreSQL computes it from the months, days and
//! microseconds it keeps apart (EXTRACT gives numeric, with six decimals
//! for epoch and second, three for milliseconds; date_part gives float8).
//! An interval that is not a constant (a column) is refused: its stored
//! text would be read as a timestamp.

use super::interval::Interval;
use super::{number, string};
use crate::sql::SqlError;
use sqlparser::ast::Expr;

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;
/// PostgreSQL's epoch of a year (365.25 days) and of a month (30 days).
const SECS_PER_YEAR: i64 = 31_557_600;
const SECS_PER_MONTH: i64 = 2_592_000;

/// Field `unit` of `iv`: numeric text for EXTRACT, a float8 for date_part.
pub(super) fn field(unit: &str, iv: Interval, numeric: bool) -> Result<Expr, SqlError> {
    let years = iv.months / 12;
    let minute_micros = iv.micros % (60 * MICROS_PER_SEC);
    // (integer micro-units, decimals shown by EXTRACT)
    let (value, scale): (i128, u32) = match unit {
        "epoch" => (
            i128::from(iv.micros)
                + i128::from(MICROS_PER_SEC)
                    * (i128::from(iv.days) * i128::from(SECS_PER_DAY)
                        + i128::from(years) * i128::from(SECS_PER_YEAR)
                        + i128::from(iv.months % 12) * i128::from(SECS_PER_MONTH)),
            6,
        ),
        "second" | "seconds" => (i128::from(minute_micros), 6),
        "milliseconds" | "millisecond" => (i128::from(minute_micros) * 1000, 3),
        "microseconds" | "microsecond" => (i128::from(minute_micros) * 1_000_000, 0),
        other => {
            let whole = match other {
                "minute" | "minutes" => iv.micros / (60 * MICROS_PER_SEC) % 60,
                "hour" | "hours" => iv.micros / (3600 * MICROS_PER_SEC),
                "day" | "days" => iv.days,
                "month" | "months" => iv.months % 12,
                "quarter" => (iv.months % 12) / 3 + 1,
                "year" | "years" => years,
                "decade" | "decades" => years / 10,
                "century" | "centuries" => years / 100,
                "millennium" | "millennia" => years / 1000,
                _ => {
                    return Err(SqlError::unsupported(format!(
                        "EXTRACT/date_part field {other} of an interval"
                    )));
                }
            };
            (i128::from(whole) * 1_000_000, 0)
        }
    };
    // `value` is in millionths for every unit.
    let text = fixed(value, scale);
    Ok(if numeric {
        string(&text)
    } else {
        let f = value as f64 / 1e6;
        let text = format!("{f:?}");
        match text.strip_prefix('-') {
            Some(positive) => Expr::UnaryOp {
                op: sqlparser::ast::UnaryOperator::Minus,
                expr: Box::new(number(positive)),
            },
            None => number(&text),
        }
    })
}

/// `millionths / 10^6` with `scale` (≤ 6) decimals.
fn fixed(millionths: i128, scale: u32) -> String {
    let sign = if millionths < 0 { "-" } else { "" };
    let abs = millionths.unsigned_abs();
    let whole = abs / 1_000_000;
    if scale == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{:06}", abs % 1_000_000);
    format!("{sign}{whole}.{}", &frac[..scale as usize])
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn interval_fields_are_computed() {
        assert_eq!(
            sqlite(
                "SELECT extract(day from interval '3 days 4 hours'), \
                 extract(epoch from interval '1 hour 30 minutes'), \
                 date_part('epoch', interval '1 day'), extract(month from interval '14 months')"
            ),
            "SELECT '3' AS \"extract\", '5400.000000' AS \"extract\", 86400.0 AS \"date_part\", \
             '2' AS \"extract\""
        );
        assert_eq!(
            sqlite(
                "SELECT extract(second from interval '-1 min 2.5 s'), extract(epoch from interval '1 year')"
            ),
            "SELECT '-57.500000' AS \"extract\", '31557600.000000' AS \"extract\""
        );
    }

    #[test]
    fn interval_columns_are_refused() {
        let m = mirror_from(&["CREATE TABLE t (iv interval)"]);
        assert!(matches!(
            err_with("SELECT extract(day from iv) FROM t", &m),
            crate::sql::SqlError::Unsupported { .. }
        ));
    }
}

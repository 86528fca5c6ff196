//! `width_bucket(operand, low, high, count)` and `scale(numeric)`. width_bucket is
//! computed as `(operand - low) * count / (high - low)` (multiplication first, so
//! exact for integers and as close as a float gets for numerics), with PostgreSQL's
//! 0 / count + 1 outside the range, reversed ranges, and its 2201G errors. scale()
//! is known only for a constant (numerics are SQLite REALs that keep no scale):
//! anything else is refused.

use sqlparser::ast::{Expr, UnaryOperator, Value};

use super::build::{int, raise};
use super::template::fill;
use crate::sql::SqlError;

const WIDTH_BUCKET: &str = "CASE \
    WHEN pgrq_arg1 IS NULL OR pgrq_arg2 IS NULL OR pgrq_arg3 IS NULL OR pgrq_arg4 IS NULL THEN NULL \
    WHEN pgrq_arg4 <= 0 THEN pgrq_arg5 \
    WHEN pgrq_arg2 = pgrq_arg3 THEN pgrq_arg6 \
    WHEN pgrq_arg2 < pgrq_arg3 THEN CASE \
        WHEN pgrq_arg1 < pgrq_arg2 THEN 0 \
        WHEN pgrq_arg1 >= pgrq_arg3 THEN pgrq_arg4 + 1 \
        ELSE CAST((pgrq_arg1 - pgrq_arg2) * pgrq_arg4 / (pgrq_arg3 - pgrq_arg2) AS INTEGER) + 1 END \
    ELSE CASE \
        WHEN pgrq_arg1 > pgrq_arg2 THEN 0 \
        WHEN pgrq_arg1 <= pgrq_arg3 THEN pgrq_arg4 + 1 \
        ELSE CAST((pgrq_arg2 - pgrq_arg1) * pgrq_arg4 / (pgrq_arg2 - pgrq_arg3) AS INTEGER) + 1 END \
    END";

/// The translated call, or `None` when `name` is neither function.
pub(super) fn function(name: &str, args: &mut Vec<Expr>) -> Result<Option<Expr>, SqlError> {
    let wrong = || SqlError::UndefinedFunction {
        name: format!("{name} with {} argument(s)", args.len()),
    };
    match name {
        "width_bucket" => {
            if args.len() != 4 {
                return Err(wrong());
            }
            let mut all = std::mem::take(args);
            all.push(raise("2201G", "count must be greater than zero"));
            all.push(raise("2201G", "lower bound cannot equal upper bound"));
            fill(WIDTH_BUCKET, &all).map(Some)
        }
        "scale" => {
            if args.len() != 1 {
                return Err(wrong());
            }
            let n = literal_scale(&args[0]).ok_or_else(|| {
                SqlError::unsupported(
                    "scale() of a non-constant value (numerics are SQLite REALs and keep no scale)",
                )
            })?;
            Ok(Some(int(n)))
        }
        _ => Ok(None),
    }
}

/// The number of fraction digits of a numeric constant written without exponent.
fn literal_scale(e: &Expr) -> Option<i64> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) if !n.contains(['e', 'E']) => {
                Some(n.split_once('.').map_or(0, |(_, f)| f.len() as i64))
            }
            _ => None,
        },
        Expr::Nested(inner) => literal_scale(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => literal_scale(expr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    /// The single value SQLite computes for a translated one-column SELECT.
    fn eval(sql: &str) -> rusqlite::Result<Option<i64>> {
        let db = rusqlite::Connection::open_in_memory()?;
        db.query_row(&sqlite(sql), [], |r| r.get(0))
    }

    #[test]
    fn width_bucket_like_postgres() {
        assert_eq!(
            eval("SELECT width_bucket(5.35, 0.024, 10.06, 5)").unwrap(),
            Some(3)
        );
        assert_eq!(eval("SELECT width_bucket(5, 0, 10, 5)").unwrap(), Some(3));
        assert_eq!(eval("SELECT width_bucket(-1, 0, 10, 5)").unwrap(), Some(0));
        assert_eq!(eval("SELECT width_bucket(10, 0, 10, 5)").unwrap(), Some(6));
        assert_eq!(eval("SELECT width_bucket(9, 10, 0, 5)").unwrap(), Some(1));
        assert_eq!(eval("SELECT width_bucket(0, 10, 0, 5)").unwrap(), Some(6));
        assert_eq!(eval("SELECT width_bucket(NULL, 0, 10, 5)").unwrap(), None);
        let e = eval("SELECT width_bucket(1, 0, 10, 0)").unwrap_err();
        assert!(e.to_string().contains("2201G"), "{e}");
        let e = eval("SELECT width_bucket(1, 3, 3, 2)").unwrap_err();
        assert!(e.to_string().contains("lower bound"), "{e}");
    }

    #[test]
    fn scale_of_constants_only() {
        assert_eq!(eval("SELECT scale(1.230)").unwrap(), Some(3));
        assert_eq!(eval("SELECT scale(-7)").unwrap(), Some(0));
        assert_unsupported("SELECT scale(x) FROM t", "scale()");
    }
}

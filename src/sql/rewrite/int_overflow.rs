//! Integer overflow in constant arithmetic: PostgreSQL raises 22003 when
//! `+`, `-` or `*` of int2/int4/int8 values leaves the type's range; SQLite
//! widens to 64 bits (and to REAL beyond). A constant integer expression
//! (literals, casts of them to an integer type, unary minus) is evaluated
//! here with PostgreSQL's types, on PostgreSQL's tree, and replaced by the
//! error when it overflows; otherwise it is left for SQLite.

use sqlparser::ast::{BinaryOperator as B, DataType, Expr, UnaryOperator, Value};

use super::build::raise;

#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Int {
    Int2,
    Int4,
    Int8,
}

impl Int {
    fn range(self) -> (i128, i128) {
        match self {
            Int::Int2 => (i128::from(i16::MIN), i128::from(i16::MAX)),
            Int::Int4 => (i128::from(i32::MIN), i128::from(i32::MAX)),
            Int::Int8 => (i128::from(i64::MIN), i128::from(i64::MAX)),
        }
    }

    fn message(self) -> &'static str {
        match self {
            Int::Int2 => "smallint out of range",
            Int::Int4 => "integer out of range",
            Int::Int8 => "bigint out of range",
        }
    }
}

/// Called before the children are rewritten.
pub(super) fn pre_expr(e: &mut Expr) {
    if !matches!(
        e,
        Expr::BinaryOp {
            op: B::Plus | B::Minus | B::Multiply,
            ..
        }
    ) {
        return;
    }
    if let Err(t) = eval(e) {
        *e = raise("22003", t.message());
    }
}

/// The value of a constant integer expression: `Ok(None)` when it is not one, `Err(())`
/// when it overflows its PostgreSQL type.
pub(super) fn constant(e: &Expr) -> Result<Option<i128>, ()> {
    match eval(e) {
        Ok(v) => Ok(v.map(|(v, _)| v)),
        Err(_) => Err(()),
    }
}

/// The value and type of a constant integer expression: `Ok(None)` when it
/// is not one, `Err(type)` when it overflows that type.
fn eval(e: &Expr) -> Result<Option<(i128, Int)>, Int> {
    Ok(match e {
        Expr::Nested(inner) => eval(inner)?,
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<i64>().ok().map(|n| {
                let t = if i32::try_from(n).is_ok() {
                    Int::Int4
                } else {
                    Int::Int8
                };
                (i128::from(n), t)
            }),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match eval(expr)? {
            Some((v, t)) => Some((check(-v, t)?, t)),
            None => None,
        },
        Expr::Cast {
            expr, data_type, ..
        } => {
            let Some(t) = int_type(data_type) else {
                return Ok(None);
            };
            match eval(expr)? {
                Some((v, _)) => Some((check(v, t)?, t)),
                None => None,
            }
        }
        Expr::BinaryOp { left, op, right } => {
            let (Some((a, ta)), Some((b, tb))) = (eval(left)?, eval(right)?) else {
                return Ok(None);
            };
            let t = if ta > tb { ta } else { tb };
            let v = match op {
                B::Plus => a + b,
                B::Minus => a - b,
                B::Multiply => a * b,
                _ => return Ok(None),
            };
            Some((check(v, t)?, t))
        }
        _ => None,
    })
}

fn check(v: i128, t: Int) -> Result<i128, Int> {
    let (lo, hi) = t.range();
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(t)
    }
}

fn int_type(dt: &DataType) -> Option<Int> {
    Some(match dt {
        DataType::SmallInt(_) | DataType::Int2(_) => Int::Int2,
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => Int::Int4,
        DataType::BigInt(_) | DataType::Int8(_) => Int::Int8,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn constant_overflow_raises() {
        assert!(sqlite("SELECT 2147483647::int + 1").contains("pgrq:22003:integer out of range"));
        assert!(
            sqlite("SELECT 9223372036854775807::bigint + 1")
                .contains("pgrq:22003:bigint out of range")
        );
        assert!(
            sqlite("SELECT (-2147483648)::int * -1").contains("pgrq:22003:integer out of range")
        );
        assert!(sqlite("SELECT 32767::smallint + 1::smallint").contains("pgrq:22003:smallint"));
    }

    #[test]
    fn in_range_and_wider_arithmetic_is_left_alone() {
        assert_eq!(
            sqlite("SELECT 2147483647 + 1::bigint"),
            "SELECT 2147483647 + 1 AS \"?column?\""
        );
        assert_eq!(
            sqlite("SELECT 9223372036854775807::bigint - 1"),
            "SELECT 9223372036854775807 - 1 AS \"?column?\""
        );
        assert_eq!(sqlite("SELECT 2 * 3"), "SELECT 2 * 3 AS \"?column?\"");
    }
}

//! The display scale of `numeric` output columns, where PostgreSQL's rules make it the
//! same for every row: a literal keeps its digits (`1.50`, `1.0e-3` → 4), `numeric(p,s)`
//! has `s`, `+ -` take the larger scale, `*` the sum, `round(x, n)` has `n`, and `sum`,
//! `min`, `max`, `abs` and unary minus keep their argument's. Division, `avg` and an
//! unconstrained numeric column depend on the values, so they have none (the caller
//! prints what SQLite computed). Pure: the PostgreSQL tree and the scope in, scales out.

use sqlparser::ast::{
    BinaryOperator as B, CastKind, DataType, ExactNumberInfo, Expr, UnaryOperator, Value,
};

use super::expr::{expr_type, plain_args};
use super::scope::Scope;
use crate::sql::PgType as T;
use crate::sql::names::fold;

/// Larger scales are left alone (a float cannot carry that many digits anyway).
const MAX_SCALE: u32 = 30;

/// The scale every value of `e` is printed with, when `e` is a numeric whose scale the
/// tree fixes.
pub(super) fn numeric_scale(e: &Expr, scope: &Scope) -> Option<u32> {
    if expr_type(e, scope)? != T::Numeric {
        return None;
    }
    scale(e, scope).filter(|s| *s <= MAX_SCALE)
}

fn scale(e: &Expr, scope: &Scope) -> Option<u32> {
    match e {
        Expr::Nested(inner) => scale(inner, scope),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(literal_scale(n)),
            _ => None,
        },
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => match expr_type(e, scope)? {
            T::Int2 | T::Int4 | T::Int8 => Some(0),
            T::Numeric => scope.column_scale(e),
            _ => None,
        },
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type,
            ..
        } => cast_scale(data_type, || scale(expr, scope), literal_text(expr)),
        Expr::TypedString(ts) => match &ts.value.value {
            Value::SingleQuotedString(s) => cast_scale(&ts.data_type, || None, Some(s)),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => scale(expr, scope),
        Expr::BinaryOp { left, op, right } => {
            let (l, r) = (scale(left, scope)?, scale(right, scope)?);
            match op {
                B::Plus | B::Minus => Some(l.max(r)),
                B::Multiply => Some(l + r),
                _ => None,
            }
        }
        Expr::Function(f) if f.over.is_none() => {
            let name = fold(f.name.0.last()?.as_ident()?);
            let args = plain_args(f);
            match (name.as_str(), args.as_slice()) {
                ("sum" | "min" | "max" | "abs", [x]) => scale(x, scope),
                ("round" | "trunc", [_]) => Some(0),
                ("round" | "trunc", [_, n]) => match n {
                    Expr::Value(v) => match &v.value {
                        Value::Number(n, _) => n.parse::<i64>().ok().map(|n| n.max(0) as u32),
                        _ => None,
                    },
                    _ => None,
                },
                ("ceil" | "ceiling" | "floor", [_]) => Some(0),
                _ => None,
            }
        }
        Expr::Ceil { .. } | Expr::Floor { .. } => Some(0),
        _ => None,
    }
}

/// A cast's scale: `numeric(p,s)` has `s`; plain `numeric` keeps the operand's (a text
/// literal's own digits).
fn cast_scale(
    data_type: &DataType,
    inner: impl FnOnce() -> Option<u32>,
    text: Option<&str>,
) -> Option<u32> {
    match data_type {
        DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => match info {
            ExactNumberInfo::PrecisionAndScale(_, s) => u32::try_from(*s).ok(),
            ExactNumberInfo::Precision(_) => Some(0),
            ExactNumberInfo::None => match text {
                Some(t) => {
                    let t = t.trim();
                    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
                    let ok = !digits.is_empty()
                        && digits.bytes().all(|b| {
                            b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+')
                        });
                    ok.then(|| literal_scale(digits))
                }
                None => inner(),
            },
        },
        _ => None,
    }
}

fn literal_text(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => literal_text(inner),
        _ => None,
    }
}

/// Digits after the point of a number as written, the exponent applied (`1.0e-3` → 4,
/// `1e3` → 0).
fn literal_scale(n: &str) -> u32 {
    let (mantissa, exponent) = match n.find(['e', 'E']) {
        Some(i) => (&n[..i], n[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (n, 0),
    };
    let frac = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i64);
    u32::try_from((frac - exponent).max(0)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::literal_scale;
    use crate::sql::test_support::*;

    #[test]
    fn literal_scales() {
        assert_eq!(literal_scale("1.50"), 2);
        assert_eq!(literal_scale("100"), 0);
        assert_eq!(literal_scale("1e3"), 0);
        assert_eq!(literal_scale("1.0e-3"), 4);
        assert_eq!(literal_scale("0.000"), 3);
    }

    #[test]
    fn output_scales_follow_postgres_rules() {
        let schema =
            schema_from(&["CREATE TABLE p (id int, price numeric(10,2), qty int, x numeric)"]);
        let t = tr_with(
            "SELECT 1.50, 10 * 1.5, 100 * 1.10, price * 2, '2.50'::numeric, numeric '1.10', \
             price / 3, x, 1.5::float8, 12.345::numeric(5,1), -price FROM p",
            &schema,
        );
        assert_eq!(
            t.column_scales,
            vec![
                Some(2),
                Some(1),
                Some(2),
                Some(2),
                Some(2),
                Some(2),
                None,
                None,
                None,
                Some(1),
                Some(2),
            ]
        );
        let t = tr_with(
            "SELECT sum(price), round(avg(price), 2), avg(qty)::numeric(10,3), avg(price), \
             max(price) - min(price), sum(qty) FROM p",
            &schema,
        );
        assert_eq!(
            t.column_scales,
            vec![Some(2), Some(2), Some(3), None, Some(2), None]
        );
    }
}

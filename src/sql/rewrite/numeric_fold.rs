//! Constant `numeric` expressions computed exactly at translation (`sql::decimal`), as
//! PostgreSQL computes them: numeric literals (`1.50`, integers beyond bigint), casts of
//! constants to `numeric`/`numeric(p,s)` (rounded to the scale; 22003 when the integer
//! part does not fit), `+ - * /` with a numeric operand (PostgreSQL's result scales,
//! 22012 for a zero divisor), unary minus, and `round`/`trunc`/`abs` of a numeric
//! constant. SQLite would compute them as REALs (`7::numeric / 2` even as an integer
//! division) and lose the scale and the digits beyond a double's.
//!
//! An output column of the outermost SELECT that is such an expression becomes the
//! result's text (`'0.33333333333333333333'`), which the reply prints as it is; anywhere
//! else it becomes a number literal with every digit, which SQLite reads as the nearest
//! REAL. Integer-only arithmetic is not folded here (see `int_overflow`): it has
//! PostgreSQL's integer types and overflow errors.

use sqlparser::ast::{
    BinaryOperator as B, CastKind, DataType, ExactNumberInfo, Expr, FunctionArg, FunctionArgExpr,
    FunctionArguments, Query, SelectItem, SetExpr, Statement, UnaryOperator, Value,
};

use super::build::raise;
use super::{int_overflow, number, string};
use crate::sql::SqlError;
use crate::sql::decimal::Decimal;
use crate::sql::names::fold as fold_name;

/// A constant's PostgreSQL value: an integer (int2/int4/int8) or a numeric.
enum Num {
    Int(i128),
    Dec(Decimal),
}

impl Num {
    fn dec(self) -> Decimal {
        match self {
            // In range: integer constants come from i64 literals or checked arithmetic.
            Num::Int(i) => Decimal::parse(&i.to_string()).unwrap_or_else(|| Decimal::from_i64(0)),
            Num::Dec(d) => d,
        }
    }
}

/// Why a constant expression has no value: PostgreSQL's error for it.
struct Raise(&'static str, &'static str);

type Eval = Result<Option<Num>, Raise>;

/// Called before the children are rewritten: a constant numeric expression becomes its
/// value as a number literal (or the error PostgreSQL raises for it).
pub(super) fn pre_expr(e: &mut Expr) {
    // A bare literal (maybe negated) stays as written: its context may read it as
    // another type (`1e300::float8`).
    if is_literal(e) {
        return;
    }
    if let Some(folded) = folded(e, false) {
        *e = folded;
    }
}

fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => true,
        Expr::Nested(inner)
        | Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr: inner,
        } => is_literal(inner),
        _ => false,
    }
}

/// The output columns of the outermost SELECT that are constant numeric expressions
/// become their exact text (see the module's note).
pub(super) fn fold_outputs(stmt: &mut Statement) {
    let Statement::Query(q) = stmt else {
        return;
    };
    fold_query_outputs(q);
}

fn fold_query_outputs(q: &mut Query) {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        let e = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => continue,
        };
        if let Some(folded) = folded(e, true) {
            *e = folded;
        }
    }
}

/// The replacement of a constant numeric expression `e`: its text (`as_text`) or number
/// literal, or the raise of PostgreSQL's error. `None` when `e` is not one (integer
/// constants included).
fn folded(e: &Expr, as_text: bool) -> Option<Expr> {
    match eval(e) {
        Ok(Some(Num::Dec(d))) => {
            let text = d.to_string();
            // A negative number is one literal, which the walk does not fold again.
            Some(if as_text {
                string(&text)
            } else {
                number(&text)
            })
        }
        Ok(_) => None,
        Err(Raise(code, message)) => Some(raise(code, message)),
    }
}

fn eval(e: &Expr) -> Eval {
    // Integer arithmetic with its PostgreSQL type (an overflow is left to `int_overflow`).
    match int_overflow::constant(e) {
        Ok(Some(i)) => return Ok(Some(Num::Int(i))),
        Err(()) => return Ok(None),
        Ok(None) => {}
    }
    Ok(match e {
        Expr::Nested(inner) => eval(inner)?,
        Expr::Value(v) => match &v.value {
            // Integer literals are handled above; what is left is numeric.
            Value::Number(n, _) => Decimal::parse(n).map(Num::Dec),
            _ => None,
        },
        Expr::UnaryOp {
            op: op @ (UnaryOperator::Minus | UnaryOperator::Plus),
            expr,
        } => match eval(expr)? {
            Some(Num::Dec(d)) if *op == UnaryOperator::Minus => Some(Num::Dec(d.neg())),
            Some(Num::Dec(d)) => Some(Num::Dec(d)),
            _ => None,
        },
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type,
            format: None,
        } => cast(expr, data_type)?,
        Expr::TypedString(ts) => match &ts.value.value {
            Value::SingleQuotedString(s) => typmod_cast(Decimal::parse(s), &ts.data_type)?,
            _ => None,
        },
        Expr::BinaryOp { left, op, right } => {
            if !matches!(op, B::Plus | B::Minus | B::Multiply | B::Divide) {
                return Ok(None);
            }
            let (Some(l), Some(r)) = (eval(left)?, eval(right)?) else {
                return Ok(None);
            };
            if matches!((&l, &r), (Num::Int(_), Num::Int(_))) {
                // Integer division and the like keep their integer meaning.
                return Ok(None);
            }
            let (l, r) = (l.dec(), r.dec());
            Some(Num::Dec(match op {
                B::Plus => l.add(&r),
                B::Minus => l.sub(&r),
                B::Multiply => l.mul(&r),
                _ => l.div(&r).ok_or(Raise("22012", "division by zero"))?,
            }))
        }
        Expr::Function(f) => function(f)?,
        _ => None,
    })
}

/// `x::numeric[(p[,s])]` of a constant: a number, a numeric expression or a string.
fn cast(inner: &Expr, data_type: &DataType) -> Eval {
    if !is_numeric_type(data_type) {
        return Ok(None);
    }
    let value = match inner {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Decimal::parse(s),
            _ => eval(inner)?.map(Num::dec),
        },
        _ => eval(inner)?.map(Num::dec),
    };
    typmod_cast(value, data_type)
}

fn is_numeric_type(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_)
    )
}

/// A value cast to a numeric type: `numeric(p,s)` rounds it to `s` digits and raises
/// 22003 when its integer part needs more than `p - s` digits.
fn typmod_cast(value: Option<Decimal>, data_type: &DataType) -> Eval {
    let (DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info)) = data_type
    else {
        return Ok(None);
    };
    let Some(d) = value else {
        return Ok(None);
    };
    let (p, s) = match info {
        ExactNumberInfo::None => return Ok(Some(Num::Dec(d))),
        ExactNumberInfo::Precision(p) => (*p, 0),
        ExactNumberInfo::PrecisionAndScale(p, s) => (*p, *s),
    };
    // Invalid typmods are PostgreSQL's errors, reported where the type is checked.
    let (Ok(p), Ok(s)) = (u32::try_from(p), u32::try_from(s)) else {
        return Ok(None);
    };
    if p == 0 || p > 1000 || s > p {
        return Ok(None);
    }
    match d.to_typmod(p, s) {
        Some(r) => Ok(Some(Num::Dec(r))),
        None => Err(Raise("22003", "numeric field overflow")),
    }
}

/// `round`, `trunc` and `abs` of a numeric constant (an integer argument selects other
/// variants, left to the rewrite).
fn function(f: &sqlparser::ast::Function) -> Eval {
    if f.over.is_some() || f.filter.is_some() || f.name.0.len() != 1 {
        return Ok(None);
    }
    let Some(name) = f.name.0[0].as_ident().map(fold_name) else {
        return Ok(None);
    };
    let FunctionArguments::List(list) = &f.args else {
        return Ok(None);
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return Ok(None);
    }
    let mut args = Vec::new();
    for a in &list.args {
        match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(e),
            _ => return Ok(None),
        }
    }
    let Some(first) = args.first() else {
        return Ok(None);
    };
    let Some(Num::Dec(x)) = eval(first)? else {
        return Ok(None);
    };
    let places = match args.get(1) {
        None => 0,
        Some(n) => match eval(n)? {
            Some(Num::Int(n)) => match i64::try_from(n) {
                Ok(n) => n,
                Err(_) => return Ok(None),
            },
            _ => return Ok(None),
        },
    };
    Ok(match (name.as_str(), args.len()) {
        ("round", 1 | 2) => Some(Num::Dec(x.round(places))),
        ("trunc", 1 | 2) => Some(Num::Dec(x.trunc(places))),
        ("abs", 1) => Some(Num::Dec(x.abs())),
        _ => None,
    })
}

/// Most significant digits a REAL keeps for any decimal (DBL_DIG).
const REAL_DIGITS: u32 = 15;

/// A number literal stored into (or compared with) a numeric column declared `decl`:
/// pgrq holds numerics as SQLite REALs, so a value that still needs more than 15
/// significant digits after rounding to the column's scale would silently change;
/// it is refused (0A000) instead.
pub(super) fn check_storable(text: &str, decl: &str) -> Result<(), SqlError> {
    let Some(d) = Decimal::parse(text) else {
        return Ok(());
    };
    let d = match super::column_types::numeric_scale(decl) {
        Some(s) => d.round(i64::from(s)),
        None => d,
    };
    if d.essential_digits() > REAL_DIGITS {
        return Err(SqlError::unsupported(format!(
            "numeric value {text} with more than {REAL_DIGITS} significant digits \
             (pgrq holds numerics as SQLite REALs)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn output_columns_become_exact_text() {
        assert_eq!(
            sqlite("SELECT 7.0 / 2, 1 / 3.0, 7::numeric / 2"),
            "SELECT '3.5000000000000000' AS \"?column?\", \
             '0.33333333333333333333' AS \"?column?\", '3.5000000000000000' AS \"?column?\""
        );
        assert_eq!(
            sqlite("SELECT 2::numeric / 3 * 3, round(2.675, 2), 12.345::numeric(5,1)"),
            "SELECT '2.00000000000000000001' AS \"?column?\", '2.68' AS \"round\", \
             '12.3' AS \"numeric\""
        );
        assert_eq!(
            sqlite("SELECT 12345678901234567890123.456, -0.00000001, 1000000::numeric * 1000000"),
            "SELECT '12345678901234567890123.456' AS \"?column?\", '-0.00000001' AS \"?column?\", \
             '1000000000000' AS \"?column?\""
        );
        assert_eq!(
            sqlite("SELECT round(-2.5), trunc(-2.679, 2), abs(-1.50), numeric '1.5' + 1"),
            "SELECT '-3' AS \"round\", '-2.67' AS \"trunc\", '1.50' AS \"abs\", \
             '2.5' AS \"?column?\""
        );
    }

    #[test]
    fn nested_constants_become_number_literals() {
        assert_eq!(
            sqlite("SELECT a * (7::numeric / 2) FROM t"),
            "SELECT a * 3.5000000000000000 AS \"?column?\" FROM t"
        );
        assert_eq!(
            sqlite("SELECT a FROM t WHERE a > -(1.0 / 4)"),
            "SELECT a FROM t WHERE a > -0.25000000000000000000"
        );
        assert_eq!(
            sqlite("SELECT (12.345::numeric(5,1))::text"),
            "SELECT '12.3' AS \"text\""
        );
    }

    #[test]
    fn constant_errors_are_postgres_errors() {
        assert!(sqlite("SELECT (10 * 100)::numeric(2,0)").contains("pgrq:22003:numeric field"));
        assert!(sqlite("SELECT 1.5 / 0").contains("pgrq:22012:division by zero"));
        assert!(sqlite("SELECT '999.995'::numeric(5,2)").contains("pgrq:22003"));
    }

    #[test]
    fn integers_floats_and_columns_are_left_alone() {
        assert_eq!(sqlite("SELECT 7 / 2"), "SELECT (7 / 2) AS \"?column?\"");
        assert!(sqlite("SELECT 7::float8 / 2").contains("CAST(7 AS REAL)"));
        assert!(sqlite("SELECT round(2.5::float8)").contains("round"));
        assert!(!sqlite("SELECT a / 2.0 FROM t").contains('\''));
    }
}

//! Small constructors for the SQLite expressions the rewrites emit, and the
//! one way a translated statement raises a PostgreSQL error while SQLite
//! runs it ([`raise`]). Builds trees only; knows no PostgreSQL semantics.

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{BinaryOperator, CaseWhen, Expr, UnaryOperator};

use super::{call, number, string};

/// Marker that `crate::error::from_sqlite` recognises in SQLite's
/// "bad JSON path" error: `pgrq:<SQLSTATE>:<message>`.
pub(crate) const RAISE_MARKER: &str = "pgrq:";

/// An expression that fails when evaluated, with a PostgreSQL SQLSTATE and
/// message. SQLite has no RAISE outside triggers; an invalid JSON path is an
/// execution-time error whose text carries the path, so the error reaches
/// the client as `bad JSON path: 'pgrq:<code>:<message>'`, which
/// `error::from_sqlite` turns back into `<code>`. SQLite evaluates it only
/// when reached (not hoisted out of a CASE branch: checked on rqlite 10.2.7).
pub(super) fn raise(code: &str, message: &str) -> Expr {
    call(
        "json_extract",
        vec![
            string("null"),
            string(&format!("{RAISE_MARKER}{code}:{message}")),
        ],
    )
}

/// `CASE WHEN c1 THEN r1 … [ELSE e] END`.
pub(super) fn case(whens: Vec<(Expr, Expr)>, otherwise: Option<Expr>) -> Expr {
    Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: whens
            .into_iter()
            .map(|(condition, result)| CaseWhen { condition, result })
            .collect(),
        else_result: otherwise.map(Box::new),
    }
}

/// `(l op r)`, parenthesised so that it prints safely anywhere.
pub(super) fn bin(l: Expr, op: BinaryOperator, r: Expr) -> Expr {
    Expr::Nested(Box::new(Expr::BinaryOp {
        left: Box::new(l),
        op,
        right: Box::new(r),
    }))
}

/// `l = r`.
pub(super) fn eq(l: Expr, r: Expr) -> Expr {
    bin(l, BinaryOperator::Eq, r)
}

/// `NOT (e)`.
pub(super) fn not(e: Expr) -> Expr {
    Expr::UnaryOp {
        op: UnaryOperator::Not,
        expr: Box::new(Expr::Nested(Box::new(e))),
    }
}

/// `CAST(e AS INTEGER)`.
pub(super) fn to_integer(e: Expr) -> Expr {
    Expr::Cast {
        kind: sqlparser::ast::CastKind::Cast,
        expr: Box::new(e),
        data_type: sqlparser::ast::DataType::Integer(None),
        format: None,
    }
}

/// `CAST(e AS REAL)`.
pub(super) fn to_real(e: Expr) -> Expr {
    Expr::Cast {
        kind: sqlparser::ast::CastKind::Cast,
        expr: Box::new(e),
        data_type: sqlparser::ast::DataType::Real,
        format: None,
    }
}

/// The NULL literal.
pub(super) fn null() -> Expr {
    Expr::value(sqlparser::ast::Value::Null)
}

/// An integer literal.
pub(super) fn int(n: i64) -> Expr {
    number(&n.to_string())
}

/// The integer value of a literal expression (`3`, `-3`, `(3)`), if it is one.
pub(super) fn literal_int(e: &Expr) -> Option<i64> {
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => literal_int(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => literal_int(expr).and_then(i64::checked_neg),
        _ => None,
    }
}

/// The text of a string literal expression, if it is one.
pub(super) fn literal_str(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => literal_str(inner),
        _ => None,
    }
}

/// Take the expression out of `slot`, leaving a NULL literal behind.
pub(super) fn take(slot: &mut Expr) -> Expr {
    std::mem::replace(slot, Expr::value(sqlparser::ast::Value::Null))
}

/// A copy of the arguments of a plain call `f(a, b, …)` (no DISTINCT,
/// clauses or named arguments); `None` for any other call shape.
pub(super) fn plain_args(f: &sqlparser::ast::Function) -> Option<Vec<Expr>> {
    use sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    match &f.args {
        FunctionArguments::None => Some(vec![]),
        FunctionArguments::Subquery(_) => None,
        FunctionArguments::List(list) => {
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return None;
            }
            list.args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raise_carries_code_and_message() {
        assert_eq!(
            raise("22012", "division by zero").to_string(),
            "json_extract('null', 'pgrq:22012:division by zero')"
        );
    }

    #[test]
    fn literal_readers() {
        assert_eq!(literal_int(&int(-3)), Some(-3));
        assert_eq!(literal_str(&string("x")), Some("x"));
        assert_eq!(literal_int(&string("3")), None);
    }
}

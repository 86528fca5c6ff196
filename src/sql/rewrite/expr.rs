//! The expression dispatcher: every expression node, after its children,
//! goes to the file owning its construct, and node kinds SQLite cannot run
//! are refused by name. This is a whitelist: a new sqlparser variant is
//! refused until someone decides how to translate it.

use sqlparser::ast::{Expr, ObjectName};

use super::{Rewriter, casts, datetime, functions, operators, relations, string};
use crate::sql::SqlError;

pub(super) fn rewrite_expr(rw: &mut Rewriter<'_>, expr: &mut Expr) -> Result<(), SqlError> {
    match expr {
        Expr::Identifier(_) => functions::rewrite_identifier(rw, expr),
        Expr::CompoundIdentifier(parts) => relations::strip_column_schema(parts)?,
        Expr::QualifiedWildcard(name, _) => relations::strip_schema(name)?,
        Expr::Function(_) => functions::rewrite_function(rw, expr)?,
        Expr::Cast { .. } | Expr::TypedString(_) => casts::rewrite_cast(rw, expr)?,
        Expr::BinaryOp { .. } => operators::rewrite_binary(rw, expr)?,
        Expr::UnaryOp { op, .. } => {
            operators::check_unary(op)?;
            negate_float_constant(expr);
        }
        Expr::Like { .. } | Expr::ILike { .. } | Expr::SimilarTo { .. } => {
            operators::rewrite_like(expr)?
        }
        Expr::Substring { .. }
        | Expr::Trim { .. }
        | Expr::Position { .. }
        | Expr::Ceil { .. }
        | Expr::Floor { .. } => functions::rewrite_special_form(expr)?,
        Expr::Extract { .. } => datetime::extract(expr)?,
        Expr::Subquery(_) => super::scalar_subquery::check(expr)?,
        Expr::Array(_) => super::array_values::constructor(expr, &rw.column_types)?,
        Expr::Overlay { .. } => {
            if let Expr::Overlay {
                expr: s,
                overlay_what,
                overlay_from,
                overlay_for,
            } = std::mem::replace(expr, string(""))
            {
                *expr = super::strings::overlay(
                    *s,
                    *overlay_what,
                    *overlay_from,
                    overlay_for.map(|b| *b),
                )?;
            }
        }
        Expr::IsUnknown(inner) => *expr = Expr::IsNull(take(inner)),
        Expr::IsNotUnknown(inner) => *expr = Expr::IsNotNull(take(inner)),
        Expr::Collate { collation, .. } => *collation = sqlite_collation(collation)?,
        Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Between { .. }
        | Expr::Nested(_)
        | Expr::Value(_)
        | Expr::Case { .. }
        | Expr::Exists { .. }
        | Expr::Tuple(_)
        | Expr::Wildcard(_) => {}
        other => return Err(SqlError::unsupported(unsupported_name(other))),
    }
    Ok(())
}

fn take(inner: &mut Box<Expr>) -> Box<Expr> {
    std::mem::replace(inner, Box::new(string("")))
}

/// PostgreSQL's byte-order collations are SQLite's BINARY; others have no
/// SQLite equivalent.
pub(super) fn sqlite_collation(collation: &ObjectName) -> Result<ObjectName, SqlError> {
    let name = collation.to_string().trim_matches('"').to_ascii_lowercase();
    match name.as_str() {
        "c" | "posix" | "pg_catalog.\"c\"" | "ucs_basic" => {
            Ok(ObjectName::from(vec![sqlparser::ast::Ident::new("BINARY")]))
        }
        _ => Err(SqlError::unsupported(format!("collation {collation}"))),
    }
}

/// A name for an expression kind pgrq does not translate.
fn unsupported_name(expr: &Expr) -> String {
    match expr {
        Expr::Array(_) => "ARRAY constructor".into(),
        Expr::Interval(_) => "INTERVAL literal".into(),
        Expr::AtTimeZone { .. } => "AT TIME ZONE".into(),
        Expr::Extract { .. } => "EXTRACT".into(),
        Expr::AnyOp { .. } => "ANY (array) comparison".into(),
        Expr::AllOp { .. } => "ALL (array) comparison".into(),
        Expr::CompoundFieldAccess { .. } => "array subscript or field selection".into(),
        Expr::JsonAccess { .. } => "JSON path access".into(),
        Expr::GroupingSets(_) => "GROUPING SETS".into(),
        Expr::Cube(_) => "CUBE".into(),
        Expr::Rollup(_) => "ROLLUP".into(),
        Expr::InUnnest { .. } => "IN UNNEST".into(),
        Expr::IsNormalized { .. } => "IS NORMALIZED".into(),
        Expr::Convert { .. } => "CONVERT".into(),
        other => {
            let text = other.to_string();
            let short: String = text.chars().take(40).collect();
            format!("expression `{short}`")
        }
    }
}

/// `-(0.0::float8)`: SQLite negates by subtracting from the integer 0, which loses the
/// sign of a float zero (PostgreSQL prints `-0`); a negated float constant is written as
/// the negative constant instead.
fn negate_float_constant(expr: &mut Expr) {
    use sqlparser::ast::{DataType, UnaryOperator, Value};
    let Expr::UnaryOp {
        op: UnaryOperator::Minus,
        expr: inner,
    } = expr
    else {
        return;
    };
    let Expr::Cast {
        expr: lit,
        data_type: DataType::Real,
        ..
    } = inner.as_mut()
    else {
        return;
    };
    let Expr::Value(v) = lit.as_mut() else {
        return;
    };
    let Value::Number(n, _) = &v.value else {
        return;
    };
    if n.starts_with('-') {
        return;
    }
    v.value = Value::Number(format!("-{n}"), false);
    let negated = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
    *expr = negated;
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn shared_expression_forms_pass_through() {
        assert_eq!(
            sqlite(
                "SELECT CASE WHEN a IS NULL THEN 1 ELSE 2 END, b BETWEEN 1 AND 2, \
                 c IN (1, 2), d IS NOT DISTINCT FROM e, EXISTS (SELECT 1 FROM u) FROM t"
            ),
            "SELECT CASE WHEN a IS NULL THEN 1 ELSE 2 END AS \"case\", \
             b BETWEEN 1 AND 2 AS \"?column?\", c IN (1, 2) AS \"?column?\", \
             d IS NOT DISTINCT FROM e AS \"?column?\", EXISTS (SELECT 1 FROM u) AS \"exists\" FROM t"
        );
    }

    #[test]
    fn is_unknown_becomes_is_null() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE (a > 1) IS UNKNOWN"),
            "SELECT * FROM t WHERE (a > 1) IS NULL"
        );
    }

    #[test]
    fn byte_order_collation_is_binary() {
        assert_eq!(
            sqlite("SELECT * FROM t ORDER BY a COLLATE \"C\""),
            "SELECT * FROM t ORDER BY a COLLATE BINARY NULLS LAST"
        );
        assert_unsupported("SELECT a COLLATE \"de_DE\" FROM t", "collation");
    }

    #[test]
    fn postgres_only_expressions_are_refused_by_name() {
        assert_unsupported("SELECT a[1] FROM t", "array function over `a`");
    }
}

//! `(s1, e1) OVERLAPS (s2, e2)`: rewritten on PostgreSQL's tree into the
//! comparisons PostgreSQL makes (each period's ends ordered, then: the later
//! start lies before the other period's end, or both start together), so
//! that the comparisons and any `start + interval` end are then translated
//! as they are elsewhere. An end given as an interval is `start + interval`.
//! PostgreSQL answers some NULL operands with true; a NULL operand is refused
//! at run time (0A000) rather than answered differently.

use sqlparser::ast::{BinaryOperator as B, DataType, Expr};

use super::build::{bin, case, raise, take};
use super::column_types::ColumnTypes;
use crate::sql::{PgType, SqlError};

pub(super) fn pre_expr(e: &mut Expr, columns: &ColumnTypes) -> Result<(), SqlError> {
    let Expr::BinaryOp {
        left,
        op: B::Overlaps,
        right,
    } = e
    else {
        return Ok(());
    };
    let (Some((s1, e1)), Some((s2, e2))) = (pair(left, columns), pair(right, columns)) else {
        return Err(SqlError::unsupported(
            "OVERLAPS of operands that are not (start, end) pairs",
        ));
    };
    let _ = (take(left), take(right));
    let lo = |a: &Expr, b: &Expr| {
        case(
            vec![(bin(a.clone(), B::Gt, b.clone()), b.clone())],
            Some(a.clone()),
        )
    };
    let hi = |a: &Expr, b: &Expr| {
        case(
            vec![(bin(a.clone(), B::Gt, b.clone()), a.clone())],
            Some(b.clone()),
        )
    };
    let (a1, b1, a2, b2) = (lo(&s1, &e1), hi(&s1, &e1), lo(&s2, &e2), hi(&s2, &e2));
    let any_null = [&s1, &e1, &s2, &e2]
        .into_iter()
        .map(|x| Expr::IsNull(Box::new(x.clone())))
        .reduce(|a, b| bin(a, B::Or, b))
        .unwrap_or(Expr::Value(sqlparser::ast::Value::Boolean(false).into()));
    *e = Expr::Nested(Box::new(case(
        vec![
            (
                any_null,
                raise("0A000", "OVERLAPS with a NULL operand is not supported"),
            ),
            (
                bin(a1.clone(), B::Gt, a2.clone()),
                bin(a1.clone(), B::Lt, b2),
            ),
            (bin(a2.clone(), B::Gt, a1), bin(a2, B::Lt, b1)),
        ],
        Some(Expr::Value(sqlparser::ast::Value::Boolean(true).into())),
    )));
    Ok(())
}

/// `(start, end)`, with an interval end made `start + interval`.
fn pair(e: &Expr, columns: &ColumnTypes) -> Option<(Expr, Expr)> {
    let Expr::Tuple(items) = e else {
        return None;
    };
    let [start, end] = items.as_slice() else {
        return None;
    };
    let end = if is_interval(end, columns) {
        Expr::Nested(Box::new(bin(start.clone(), B::Plus, end.clone())))
    } else {
        end.clone()
    };
    Some((start.clone(), end))
}

fn is_interval(e: &Expr, columns: &ColumnTypes) -> bool {
    match e {
        Expr::Nested(inner) => is_interval(inner, columns),
        Expr::Interval(_) => true,
        Expr::Cast { data_type, .. } => matches!(data_type, DataType::Interval { .. }),
        Expr::TypedString(ts) => matches!(ts.data_type, DataType::Interval { .. }),
        other => columns.of(other) == Some(PgType::Interval),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn overlaps_becomes_comparisons() {
        let out = sqlite("SELECT (a, b) OVERLAPS (c, d) FROM t");
        assert!(
            out.contains("WHEN (((a IS NULL OR b IS NULL) OR c IS NULL) OR d IS NULL) THEN json_extract('null', 'pgrq:0A000:"),
            "{out}"
        );
        assert!(
            out.contains(
                "WHEN (CASE WHEN (a > b) THEN b ELSE a END > CASE WHEN (c > d) THEN d ELSE c END) \
                 THEN (CASE WHEN (a > b) THEN b ELSE a END < CASE WHEN (c > d) THEN c ELSE d END)"
            ),
            "{out}"
        );
        assert!(out.contains("ELSE 1 END"), "{out}");
        assert_unsupported("SELECT (a, b, c) OVERLAPS (c, d) FROM t", "OVERLAPS");
    }
}

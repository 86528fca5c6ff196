//! A scalar subquery (`(SELECT v FROM t)` as a value) that returns more than
//! one row is an error in PostgreSQL (21000); SQLite takes the first row.
//! The subquery is run once more under a count of at most two rows, which
//! raises 21000 when it finds two.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Query, TableFactor, VisitMut, VisitorMut};

use super::build::raise;
use super::template;
use crate::sql::SqlError;

const CHECKED: &str = "coalesce((SELECT CASE WHEN count(*) > 1 THEN pgrq_arg2 END \
     FROM (SELECT 1 FROM (SELECT 1) AS pgrq_sub LIMIT 2) AS pgrq_rows), pgrq_arg1)";

/// Rewrite `expr` (an `Expr::Subquery`) in place.
pub(super) fn check(expr: &mut Expr) -> Result<(), SqlError> {
    let Expr::Subquery(q) = expr else {
        return Ok(());
    };
    let query = q.as_ref().clone();
    let original = std::mem::replace(expr, Expr::value(sqlparser::ast::Value::Null));
    let mut out = template::fill(
        CHECKED,
        &[
            original,
            raise(
                "21000",
                "more than one row returned by a subquery used as an expression",
            ),
        ],
    )?;
    let mut put = Put { query: Some(query) };
    let _ = out.visit(&mut put);
    *expr = out;
    Ok(())
}

struct Put {
    query: Option<Query>,
}

impl VisitorMut for Put {
    type Break = ();

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Derived {
            subquery, alias, ..
        } = tf
            && alias.as_ref().is_some_and(|a| a.name.value == "pgrq_sub")
            && let Some(q) = self.query.take()
        {
            **subquery = q;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn scalar_subqueries_raise_on_several_rows() {
        assert_eq!(
            sqlite("SELECT (SELECT v FROM t) AS x"),
            "SELECT coalesce((SELECT CASE WHEN count(*) > 1 THEN \
             json_extract('null', 'pgrq:21000:more than one row returned by a subquery used as an expression') END \
             FROM (SELECT 1 FROM (SELECT v FROM t) AS pgrq_sub LIMIT 2) AS pgrq_rows), ((SELECT v FROM t))) AS x"
        );
    }

    #[test]
    fn exists_and_in_are_untouched() {
        assert_eq!(
            sqlite("SELECT 1 WHERE EXISTS (SELECT 1 FROM t) AND 2 IN (SELECT v FROM t)"),
            "SELECT 1 AS \"?column?\" WHERE EXISTS (SELECT 1 FROM t) AND 2 IN (SELECT v FROM t)"
        );
    }
}

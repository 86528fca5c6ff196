//! SQLite expressions written as text with numbered holes (`pgrq_arg1`,
//! `pgrq_arg2`, …) filled with already-rewritten argument expressions. The
//! emulations of functions SQLite lacks are easier to read this way than as
//! hand-built trees. Templates are SQLite text: the rewriter does not visit
//! them again.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::SqlError;

/// `sql` with each `pgrq_argN` replaced by `args[N - 1]` (parenthesised
/// unless it is a single term).
pub(super) fn fill(sql: &str, args: &[Expr]) -> Result<Expr, SqlError> {
    let mut expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| SqlError::unsupported(format!("internal template `{sql}`: {e}")))?;
    let mut filler = Filler {
        args,
        missing: None,
    };
    let _ = expr.visit(&mut filler);
    match filler.missing {
        Some(n) => Err(SqlError::unsupported(format!(
            "internal template `{sql}`: no argument {n}"
        ))),
        None => Ok(expr),
    }
}

struct Filler<'a> {
    args: &'a [Expr],
    missing: Option<usize>,
}

impl VisitorMut for Filler<'_> {
    type Break = ();

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        let Expr::Identifier(ident) = e else {
            return ControlFlow::Continue(());
        };
        let Some(n) = ident
            .value
            .strip_prefix("pgrq_arg")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return ControlFlow::Continue(());
        };
        match n.checked_sub(1).and_then(|i| self.args.get(i)) {
            Some(arg) => *e = term(arg.clone()),
            None => self.missing = Some(n),
        }
        ControlFlow::Continue(())
    }
}

/// `e`, parenthesised unless it already prints as one term.
fn term(e: Expr) -> Expr {
    match e {
        Expr::Identifier(_)
        | Expr::CompoundIdentifier(_)
        | Expr::Value(_)
        | Expr::Function(_)
        | Expr::Nested(_)
        | Expr::Cast { .. } => e,
        other => Expr::Nested(Box::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::rewrite::{number, string};

    #[test]
    fn holes_are_filled_and_parenthesised() {
        let sum = Expr::BinaryOp {
            left: Box::new(number("1")),
            op: sqlparser::ast::BinaryOperator::Plus,
            right: Box::new(number("2")),
        };
        let e = fill("substr(pgrq_arg1, -pgrq_arg2)", &[string("ab"), sum]).unwrap();
        assert_eq!(e.to_string(), "SUBSTR('ab', -(1 + 2))");
        assert!(fill("f(pgrq_arg3)", &[]).is_err());
    }
}

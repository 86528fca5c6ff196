//! Set-returning functions in a SELECT list (`SELECT unnest(conkey) AS attnum,
//! generate_subscripts(conkey, 1) AS ord FROM pg_constraint`): SQLite has none, so each
//! distinct array becomes a `json_each` over its PostgreSQL array text joined to the
//! select's FROM (SQLite lets a table-valued function read the tables to its left), and the
//! calls read its `value` (`unnest`) or `key` + the first subscript (`generate_subscripts`). Calls over the
//! same array share one `json_each`, so they advance together as PostgreSQL's do.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Query,
    SelectItem, SetExpr, Statement, TableWithJoins, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::SqlError;

pub(super) fn rewrite(stmt: &mut Statement) -> Result<(), SqlError> {
    let mut v = Srf { next: 0 };
    match stmt.visit(&mut v) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct Srf {
    next: usize,
}

impl VisitorMut for Srf {
    type Break = SqlError;

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<SqlError> {
        match self.set_expr(&mut q.body) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }
}

impl Srf {
    fn set_expr(&mut self, body: &mut SetExpr) -> Result<(), SqlError> {
        match body {
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left)?;
                self.set_expr(right)
            }
            SetExpr::Select(select) => {
                // (array text, alias) of the json_each added for each distinct array.
                let mut sources: Vec<(String, String)> = Vec::new();
                for item in &mut select.projection {
                    let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) =
                        item
                    else {
                        continue;
                    };
                    let Some((kind, array)) = srf_call(e) else {
                        continue;
                    };
                    let key = array.to_string();
                    let alias = match sources.iter().find(|(k, _)| *k == key) {
                        Some((_, a)) => a.clone(),
                        None => {
                            let a = format!("pgrq_srf{}", self.next);
                            self.next += 1;
                            sources.push((key.clone(), a.clone()));
                            select.from.push(json_each(&key, &a)?);
                            a
                        }
                    };
                    let col = |c: &str| {
                        Expr::CompoundIdentifier(vec![
                            Ident::with_quote('"', &alias),
                            Ident::new(c),
                        ])
                    };
                    *e = match kind {
                        Kind::Unnest => col("value"),
                        // Arrays count from 1, int2vector/oidvector from 0.
                        Kind::Subscripts => Expr::BinaryOp {
                            left: Box::new(col("key")),
                            op: BinaryOperator::Plus,
                            right: Box::new(super::rewrite::func("pgrq_array_first", vec![array])),
                        },
                    };
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

enum Kind {
    Unnest,
    Subscripts,
}

/// `unnest(array)` or `generate_subscripts(array, 1)` with its array argument.
fn srf_call(e: &Expr) -> Option<(Kind, Expr)> {
    let Expr::Function(f) = e else {
        return None;
    };
    let name = f.name.0.last()?.as_ident()?.value.to_lowercase();
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let args: Vec<&Expr> = list
        .args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect();
    match (name.as_str(), args.as_slice()) {
        ("unnest", [a]) => Some((Kind::Unnest, (*a).clone())),
        ("generate_subscripts", [a, _dim]) => Some((Kind::Subscripts, (*a).clone())),
        _ => None,
    }
}

fn json_each(array: &str, alias: &str) -> Result<TableWithJoins, SqlError> {
    let text = format!("SELECT 1 FROM json_each(pgrq_array_json({array})) AS \"{alias}\"");
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, &text)
        .map_err(|e| SqlError::unsupported(format!("set-returning function over {array}: {e}")))?;
    if let Some(Statement::Query(q)) = stmts.pop()
        && let SetExpr::Select(s) = *q.body
        && let Some(t) = s.from.into_iter().next()
    {
        return Ok(t);
    }
    Err(SqlError::unsupported(format!(
        "set-returning function over {array}"
    )))
}

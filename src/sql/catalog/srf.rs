//! Set-returning functions in a SELECT list (`SELECT unnest(conkey) AS attnum,
//! generate_subscripts(conkey, 1) AS ord FROM pg_constraint`): SQLite has none, so each
//! distinct array becomes a `json_each` over its PostgreSQL array text joined to the
//! select's FROM (SQLite lets a table-valued function read the tables to its left), and the
//! calls read its `value` (`unnest`) or `key` + the first subscript (`generate_subscripts`). Calls over the
//! same array share one `json_each`, so they advance together as PostgreSQL's do.

use std::ops::ControlFlow;

use sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident,
    Query, SelectItem, SetExpr, Statement, TableWithJoins, VisitMut, VisitorMut,
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
                        // The composite itself: a JSON object, whose fields
                        // `(keys).x` / `(keys).n` read (see the catalog rewrite).
                        Kind::Composite => super::rewrite::func(
                            "json_object",
                            vec![
                                Expr::value(sqlparser::ast::Value::SingleQuotedString("x".into())),
                                col("value"),
                                Expr::value(sqlparser::ast::Value::SingleQuotedString("n".into())),
                                Expr::BinaryOp {
                                    left: Box::new(col("key")),
                                    op: BinaryOperator::Plus,
                                    right: Box::new(Expr::value(sqlparser::ast::Value::Number(
                                        "1".into(),
                                        false,
                                    ))),
                                },
                            ],
                        ),
                        // `_pg_expandarray`'s `n` counts from 1 whatever the array's bounds.
                        Kind::Ordinal => Expr::BinaryOp {
                            left: Box::new(col("key")),
                            op: BinaryOperator::Plus,
                            right: Box::new(Expr::value(sqlparser::ast::Value::Number(
                                "1".into(),
                                false,
                            ))),
                        },
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
    Ordinal,
    Composite,
}

/// `unnest(array)`, `generate_subscripts(array, 1)` or a field of
/// `information_schema._pg_expandarray(array)` (`.x` the element, `.n` its ordinal, as
/// pgjdbc's `getIndexInfo` reads them) with its array argument.
fn srf_call(e: &Expr) -> Option<(Kind, Expr)> {
    if let Expr::CompoundFieldAccess { root, access_chain } = e {
        let mut root = root.as_ref();
        while let Expr::Nested(inner) = root {
            root = inner;
        }
        let Expr::Function(f) = root else {
            return None;
        };
        let name = f.name.0.last()?.as_ident()?.value.to_lowercase();
        let (FunctionArguments::List(list), [AccessExpr::Dot(Expr::Identifier(field))]) =
            (&f.args, access_chain.as_slice())
        else {
            return None;
        };
        let [FunctionArg::Unnamed(FunctionArgExpr::Expr(array))] = list.args.as_slice() else {
            return None;
        };
        return match (name.as_str(), field.value.to_lowercase().as_str()) {
            ("_pg_expandarray", "x") => Some((Kind::Unnest, array.clone())),
            ("_pg_expandarray", "n") => Some((Kind::Ordinal, array.clone())),
            _ => None,
        };
    }
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
        ("_pg_expandarray", [a]) => Some((Kind::Composite, (*a).clone())),
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

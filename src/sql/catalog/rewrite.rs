//! The rewrite that lets SQLite run a PostgreSQL catalog query against the emulated
//! catalog: `pg_catalog.` dropped from function names, `OPERATOR(pg_catalog.~)` and the
//! regex operators → `pgrq_regex`, `COLLATE` dropped, `::regclass`/`::regtype`/… → lookup
//! functions (a literal names an object → its OID; an expression → its name, as the type's
//! output), other casts → SQLite casts, `ARRAY(subquery)`/`ARRAY[…]`/`= ANY(array)`/
//! subscripts over arrays kept as PostgreSQL array text, set-returning functions in FROM
//! (`unnest`, `generate_series`, `pg_partition_ancestors`) → `json_each`, `$n` → `?n`.
//! Pure: it never sees the catalog's rows.

mod exprs;
mod set_returning;

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, SelectItem,
    SetExpr, Statement, Subscript, TableFactor, Value, ValueWithSpan, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::casts::{cast, custom_operator};
use super::srf_scope::{self, SrfOrder};
use crate::sql::{Context, SqlError};
use exprs::Exprs;
use set_returning::SetReturning;

/// Rewrites `stmt` in place for the catalog's SQLite.
pub(super) fn rewrite(stmt: &mut Statement, ctx: &Context) -> Result<(), SqlError> {
    super::srf::rewrite(stmt)?;
    let mut columns = HashMap::new();
    let mut order = SrfOrder::new();
    let mut collect = SetReturning {
        columns: &mut columns,
        order: &mut order,
        replace: false,
    };
    let _ = stmt.visit(&mut collect);
    let mut replace = SetReturning {
        columns: &mut columns,
        order: &mut order,
        replace: true,
    };
    if let ControlFlow::Break(e) = stmt.visit(&mut replace) {
        return Err(e);
    }
    name_top_level_reg_casts(stmt);
    let mut exprs = Exprs {
        ctx,
        columns: &columns,
        scopes: Vec::new(),
    };
    if let ControlFlow::Break(e) = stmt.visit(&mut exprs) {
        return Err(e);
    }
    // Last, so that the expressions it writes are not rewritten again.
    srf_scope::expand(stmt, &order, compound);
    Ok(())
}

/// A `reg*` value in the result prints as the object's name (its output function): the
/// statement's own SELECT list gets `::text` on top of such casts, which the cast rewrite
/// turns into a name lookup, and `to_regclass(…)` & co. a name lookup around them.
fn name_top_level_reg_casts(stmt: &mut Statement) {
    let Statement::Query(q) = stmt else {
        return;
    };
    let mut body = q.body.as_mut();
    while let SetExpr::SetOperation { left, .. } = body {
        body = left.as_mut();
    }
    let SetExpr::Select(select) = body else {
        return;
    };
    for item in &mut select.projection {
        let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) = item else {
            continue;
        };
        if let Expr::Cast { data_type, .. } = e {
            let t = data_type.to_string().to_lowercase();
            let t = t.strip_prefix("pg_catalog.").unwrap_or(&t);
            if matches!(t, "regclass" | "regtype" | "regnamespace" | "regrole") {
                *e = Expr::Cast {
                    kind: CastKind::DoubleColon,
                    expr: Box::new(e.clone()),
                    data_type: sqlparser::ast::DataType::Text,
                    format: None,
                };
            }
        }
        // to_regclass('t') & co. return the reg* type too.
        if let Some(kind) = to_reg_function(e) {
            *e = func(&format!("pgrq_{kind}_name"), vec![e.clone()]);
        }
    }
}

/// `regclass` for `to_regclass(…)` (likewise regtype, regnamespace).
pub(super) fn to_reg_function(e: &Expr) -> Option<&'static str> {
    let Expr::Function(f) = e else {
        return None;
    };
    let name = f.name.0.last()?.as_ident()?.value.to_lowercase();
    match name.as_str() {
        "to_regclass" => Some("regclass"),
        "to_regtype" => Some("regtype"),
        "to_regnamespace" => Some("regnamespace"),
        _ => None,
    }
}

/// Column names of set-returning functions in FROM, as `json_each` spells them:
/// `bare name → (alias, json_each column)`.
type SrfColumns = HashMap<String, (String, &'static str)>;

/// `ARRAY(subquery)` → the subquery's first column aggregated into array text.
fn array_of(q: &Query) -> Result<Expr, SqlError> {
    let mut inner = q.clone();
    let mut body = inner.body.as_mut();
    while let SetExpr::SetOperation { left, .. } = body {
        body = left.as_mut();
    }
    let SetExpr::Select(select) = body else {
        return Err(SqlError::unsupported("ARRAY(...) over this query form"));
    };
    let Some(first) = select.projection.first_mut() else {
        return Err(SqlError::unsupported("ARRAY(...) of no column"));
    };
    let e = match first {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e.clone(),
        _ => return Err(SqlError::unsupported("ARRAY(SELECT * …)")),
    };
    *first = SelectItem::ExprWithAlias {
        expr: e,
        alias: Ident::with_quote('"', "pgrq_elem"),
    };
    let text =
        format!("SELECT (SELECT pgrq_array_sub(\"pgrq_elem\") FROM ({inner}) AS \"pgrq_array\")");
    parse_one(&text)
        .and_then(|q| match *q.body {
            SetExpr::Select(s) => s.projection.into_iter().next(),
            _ => None,
        })
        .and_then(|item| match item {
            SelectItem::UnnamedExpr(e) => Some(e),
            _ => None,
        })
        .ok_or_else(|| SqlError::unsupported("ARRAY(...) in this form"))
}

fn parse_one(sql: &str) -> Option<Query> {
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    match stmts.pop()? {
        Statement::Query(q) => Some(*q),
        _ => None,
    }
}

fn first_table_factor(q: &Query) -> Option<TableFactor> {
    match q.body.as_ref() {
        SetExpr::Select(s) => s.from.first().map(|t| t.relation.clone()),
        _ => None,
    }
}

fn arg_expr(a: &FunctionArg) -> Option<&Expr> {
    match a {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
        FunctionArg::Named {
            arg: FunctionArgExpr::Expr(e),
            ..
        } => Some(e),
        _ => None,
    }
}

fn last_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(ObjectNamePart::as_ident)
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

fn compound(alias: &str, col: &str) -> Expr {
    if let Some(i) = col.strip_prefix("value").filter(|i| !i.is_empty()) {
        return func(
            "json_extract",
            vec![compound(alias, "value"), text(&format!("$[{i}]"))],
        );
    }
    if col == "ordinal" {
        return Expr::Nested(Box::new(Expr::BinaryOp {
            left: Box::new(compound(alias, "key")),
            op: BinaryOperator::Plus,
            right: Box::new(Expr::value(Value::Number("1".into(), false))),
        }));
    }
    Expr::CompoundIdentifier(vec![Ident::with_quote('"', alias), Ident::new(col)])
}

pub(super) fn text(s: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(s.to_string()))
}

pub(super) fn func(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

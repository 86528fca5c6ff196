//! The rewrite that lets SQLite run a PostgreSQL catalog query against the emulated
//! catalog: `pg_catalog.` dropped from function names, `OPERATOR(pg_catalog.~)` and the
//! regex operators → `pgrq_regex`, `COLLATE` dropped, `::regclass`/`::regtype`/… → lookup
//! functions (a literal names an object → its OID; an expression → its name, as the type's
//! output), other casts → SQLite casts, `ARRAY(subquery)`/`ARRAY[…]`/`= ANY(array)`/
//! subscripts over arrays kept as PostgreSQL array text, set-returning functions in FROM
//! (`unnest`, `generate_series`, `pg_partition_ancestors`) → `json_each`, `$n` → `?n`.
//! Pure: it never sees the catalog's rows.

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

struct SetReturning<'a> {
    columns: &'a mut SrfColumns,
    order: &'a mut SrfOrder,
    /// First pass: only learn the aliases; second pass: replace the table factors.
    replace: bool,
}

impl VisitorMut for SetReturning<'_> {
    type Break = SqlError;

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<SqlError> {
        let (name, args, alias) = match tf {
            TableFactor::Table {
                name,
                args: Some(args),
                alias,
                ..
            } => (
                last_name(name),
                args.args.iter().filter_map(arg_expr).cloned().collect(),
                alias.clone(),
            ),
            TableFactor::Function {
                name, args, alias, ..
            } => (
                last_name(name),
                args.iter().filter_map(arg_expr).cloned().collect(),
                alias.clone(),
            ),
            TableFactor::UNNEST {
                alias, array_exprs, ..
            } => ("unnest".to_string(), array_exprs.clone(), alias.clone()),
            _ => return ControlFlow::Continue(()),
        };
        let args: Vec<Expr> = args;
        // (json_each argument, PostgreSQL's column names in json_each order)
        let (source, pg_columns): (String, &[&str]) = match (name.as_str(), args.as_slice()) {
            ("unnest", [a]) => (format!("pgrq_array_json({a})"), &["unnest", "ordinality"]),
            // Several arrays side by side (Django's `unnest(indkey, indoption)`).
            ("unnest", [a, b]) => (
                format!("pgrq_zip_json({a}, {b})"),
                &["unnest", "unnest", "ordinality"],
            ),
            ("generate_series", [a, b]) => (
                format!("pgrq_series_json({a}, {b})"),
                &["generate_series", "ordinality"],
            ),
            ("pg_get_keywords", []) => ("pgrq_keywords_json()".to_string(), &["word"]),
            ("_pg_expandarray", [a]) => (format!("pgrq_array_json({a})"), &["x", "n"]),
            ("pg_partition_ancestors", [a]) => {
                (format!("json_array({a})"), &["relid", "ordinality"])
            }
            _ => return ControlFlow::Continue(()),
        };
        let alias_name = alias
            .as_ref()
            .map(|a| a.name.value.to_lowercase())
            .unwrap_or_else(|| name.clone());
        let given: Vec<String> = alias
            .as_ref()
            .map(|a| {
                a.columns
                    .iter()
                    .map(|c| c.name.value.to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        // json_each's key counts from 0; PostgreSQL's ordinality and `_pg_expandarray`'s
        // `n` from 1 (`ordinal` reads as `key + 1`).
        let json_columns: &[&str] = if pg_columns.len() == 3 {
            &["value0", "value1", "ordinal"]
        } else {
            &["value", "ordinal"]
        };
        let mut ordered = Vec::new();
        for (i, pg) in pg_columns.iter().enumerate() {
            let col = given.get(i).cloned().unwrap_or_else(|| pg.to_string());
            ordered.push((col.clone(), json_columns[i]));
            self.columns
                .insert(col, (alias_name.clone(), json_columns[i]));
        }
        self.order.insert(alias_name.clone(), ordered);
        // A bare alias names the (single) value column, as in PostgreSQL.
        self.columns
            .insert(alias_name.clone(), (alias_name.clone(), "value"));
        if self.replace {
            let text = format!("SELECT 1 FROM json_each({source}) AS \"{alias_name}\"");
            match parse_one(&text).and_then(|q| first_table_factor(&q)) {
                Some(new) => *tf = new,
                None => {
                    return ControlFlow::Break(SqlError::unsupported(format!(
                        "set-returning function {name} in FROM"
                    )));
                }
            }
        }
        ControlFlow::Continue(())
    }
}

struct Exprs<'a> {
    ctx: &'a Context,
    columns: &'a SrfColumns,
    /// The FROM names of each query being visited, outermost first: a bare name reads a
    /// set-returning function's column only where that function is in scope.
    scopes: Vec<Vec<String>>,
}

impl VisitorMut for Exprs<'_> {
    type Break = SqlError;

    /// A select-list item that is a set-returning function's column keeps its name
    /// (`SELECT s.r FROM generate_series(…) AS s(r)` is read by an outer query as `.r`,
    /// while `json_each` calls it `value`).
    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<SqlError> {
        // `(SELECT …) UNION ALL (SELECT …)`: SQLite takes no parenthesised members.
        if let Err(e) = crate::sql::rewrite::flatten_set_operation(&mut q.body) {
            return ControlFlow::Break(e);
        }
        self.scopes.push(srf_scope::from_names(&q.body));
        if let SetExpr::Select(select) = q.body.as_mut() {
            for item in &mut select.projection {
                // An unquoted alias is folded to lower case, as PostgreSQL names the
                // column, and quoted, so that SQLite keywords (`AS primary`) stay names.
                if let SelectItem::ExprWithAlias { alias, .. } = item
                    && alias.quote_style.is_none()
                {
                    *alias = Ident::with_quote('"', alias.value.to_lowercase());
                }
                let SelectItem::UnnamedExpr(e) = item else {
                    continue;
                };
                let named = match e {
                    Expr::Identifier(id) if self.columns.contains_key(&id.value.to_lowercase()) => {
                        Some(id.clone())
                    }
                    Expr::CompoundIdentifier(parts)
                        if parts.len() == 2
                            && self
                                .columns
                                .get(&parts[1].value.to_lowercase())
                                .is_some_and(|(a, _)| *a == parts[0].value.to_lowercase()) =>
                    {
                        Some(parts[1].clone())
                    }
                    _ => None,
                };
                if let Some(alias) = named {
                    *item = SelectItem::ExprWithAlias {
                        expr: e.clone(),
                        alias,
                    };
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<SqlError> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn post_visit_value(&mut self, v: &mut ValueWithSpan) -> ControlFlow<SqlError> {
        let v = &mut v.value;
        match v {
            Value::EscapedStringLiteral(s) => *v = Value::SingleQuotedString(std::mem::take(s)),
            Value::Placeholder(p) if p.starts_with('$') => *p = format!("?{}", &p[1..]),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<SqlError> {
        match self.expr(e) {
            Ok(Some(new)) => *e = new,
            Ok(None) => {}
            Err(err) => return ControlFlow::Break(err),
        }
        ControlFlow::Continue(())
    }
}

impl Exprs<'_> {
    fn in_scope(&self, alias: &str) -> bool {
        self.scopes.iter().flatten().any(|n| n == alias)
    }

    fn expr(&self, e: &mut Expr) -> Result<Option<Expr>, SqlError> {
        Ok(Some(match e {
            Expr::Identifier(id) => {
                let name = id.value.to_lowercase();
                if id.quote_style.is_none()
                    && let Some(lit) = self.session_value(&name)
                {
                    return Ok(Some(lit));
                }
                match self.columns.get(&name) {
                    Some((alias, col)) if self.in_scope(alias) => compound(alias, col),
                    _ => return Ok(None),
                }
            }
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let alias = parts[0].value.to_lowercase();
                match self.columns.get(&parts[1].value.to_lowercase()) {
                    Some((a, col)) if *a == alias => compound(a, col),
                    _ => return Ok(None),
                }
            }
            Expr::Collate { expr, .. } => (**expr).clone(),
            Expr::Cast {
                expr, data_type, ..
            } => cast(expr, &data_type.to_string())?,
            Expr::BinaryOp { left, op, right } => {
                let (negate, flags) = match op {
                    BinaryOperator::PGRegexMatch => (false, ""),
                    BinaryOperator::PGRegexIMatch => (false, "i"),
                    BinaryOperator::PGRegexNotMatch => (true, ""),
                    BinaryOperator::PGRegexNotIMatch => (true, "i"),
                    BinaryOperator::PGCustomBinaryOperator(parts) => {
                        let op = custom_operator(parts)?;
                        if let Some(op) = op {
                            *e = Expr::BinaryOp {
                                left: left.clone(),
                                op,
                                right: right.clone(),
                            };
                            return self.expr(e);
                        }
                        return Ok(None);
                    }
                    _ => return Ok(None),
                };
                let call = func(
                    "pgrq_regex",
                    vec![
                        (**left).clone(),
                        (**right).clone(),
                        Expr::value(Value::SingleQuotedString(flags.into())),
                    ],
                );
                if negate {
                    Expr::UnaryOp {
                        op: sqlparser::ast::UnaryOperator::Not,
                        expr: Box::new(call),
                    }
                } else {
                    call
                }
            }
            // The catalog connection's LIKE is case-sensitive; PostgreSQL's default escape
            // character is `\`.
            Expr::Like {
                escape_char: escape_char @ None,
                ..
            } => {
                *escape_char = Some(Box::new(text("\\")));
                return Ok(None);
            }
            Expr::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => Expr::Like {
                negated: *negated,
                any: *any,
                expr: Box::new(func("lower", vec![(**expr).clone()])),
                pattern: Box::new(func("lower", vec![(**pattern).clone()])),
                escape_char: escape_char.clone().or(Some(Box::new(text("\\")))),
            },
            Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => match (compare_op, right.as_ref()) {
                (BinaryOperator::Eq, Expr::Subquery(q)) => Expr::InSubquery {
                    expr: left.clone(),
                    subquery: q.clone(),
                    negated: false,
                },
                (BinaryOperator::Eq, r) => func("pgrq_any_eq", vec![(**left).clone(), r.clone()]),
                (op, _) => {
                    return Err(SqlError::unsupported(format!(
                        "{op} ANY over an array in a catalog query"
                    )));
                }
            },
            Expr::AllOp {
                left,
                compare_op: BinaryOperator::NotEq,
                right,
            } => Expr::UnaryOp {
                op: sqlparser::ast::UnaryOperator::Not,
                expr: Box::new(func(
                    "pgrq_any_eq",
                    vec![(**left).clone(), (**right).clone()],
                )),
            },
            Expr::Array(arr) => func("pgrq_array", arr.elem.clone()),
            // `(composite).field`: composite values are JSON objects here (see `srf`).
            Expr::CompoundFieldAccess { root, access_chain }
                if matches!(**root, Expr::Nested(_))
                    && matches!(
                        access_chain.as_slice(),
                        [AccessExpr::Dot(Expr::Identifier(_))]
                    ) =>
            {
                let [AccessExpr::Dot(Expr::Identifier(field))] = access_chain.as_slice() else {
                    return Ok(None);
                };
                func(
                    "json_extract",
                    vec![
                        (**root).clone(),
                        text(&format!("$.{}", field.value.to_lowercase())),
                    ],
                )
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                let mut out = (**root).clone();
                for access in access_chain.iter() {
                    match access {
                        AccessExpr::Subscript(Subscript::Index { index }) => {
                            out = func("pgrq_array_get", vec![out, index.clone()]);
                        }
                        // `c.confkey[1]` arrives as `c` . `confkey` [1].
                        AccessExpr::Dot(Expr::Identifier(field)) => {
                            out = match out {
                                Expr::Identifier(first) => {
                                    Expr::CompoundIdentifier(vec![first, field.clone()])
                                }
                                Expr::CompoundIdentifier(mut parts) => {
                                    parts.push(field.clone());
                                    Expr::CompoundIdentifier(parts)
                                }
                                other => {
                                    return Err(SqlError::unsupported(format!(
                                        "field access on {other} in a catalog query"
                                    )));
                                }
                            };
                        }
                        other => {
                            return Err(SqlError::unsupported(format!(
                                "array access {other} in a catalog query"
                            )));
                        }
                    }
                }
                out
            }
            // TRIM([LEADING|TRAILING|BOTH] [chars] FROM x) → ltrim/rtrim/trim(x[, chars]).
            Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let name = match trim_where {
                    Some(sqlparser::ast::TrimWhereField::Leading) => "ltrim",
                    Some(sqlparser::ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "trim",
                };
                let mut args = vec![(**expr).clone()];
                if let Some(w) = trim_what {
                    args.push((**w).clone());
                } else if let Some(c) = trim_characters.as_ref().and_then(|c| c.first()) {
                    args.push(c.clone());
                }
                func(name, args)
            }
            Expr::Function(f) => return self.function(f),
            _ => return Ok(None),
        }))
    }

    /// `current_user`, `current_schema` … spelled without parentheses.
    fn session_value(&self, name: &str) -> Option<Expr> {
        let s = match name {
            "current_user" | "session_user" | "current_role" | "user" => &self.ctx.user,
            "current_catalog" => &self.ctx.database,
            "current_schema" => &self.ctx.schema,
            _ => return None,
        };
        Some(text(s))
    }

    fn function(&self, f: &mut Function) -> Result<Option<Expr>, SqlError> {
        let parts: Vec<String> = f
            .name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
            .collect();
        let name = match parts.as_slice() {
            [n] => n.clone(),
            [s, n] if s == "pg_catalog" => n.clone(),
            _ => {
                return Err(SqlError::unsupported(format!(
                    "function {} in a catalog query",
                    f.name
                )));
            }
        };
        if let Some(v) = self.session_value(&name) {
            return Ok(Some(v));
        }
        let rename = |f: &mut Function, to: &str| f.name = ObjectName::from(vec![Ident::new(to)]);
        match name.as_str() {
            "array" => {
                let FunctionArguments::Subquery(q) = &f.args else {
                    return Err(SqlError::unsupported("ARRAY(...) without a subquery"));
                };
                return array_of(q).map(Some);
            }
            "current_database" => return Ok(Some(text(&self.ctx.database))),
            "version" => return Ok(Some(text(&self.ctx.version))),
            "string_agg" => rename(f, "group_concat"),
            "array_agg" => rename(f, "pgrq_array_agg"),
            "json_build_object" | "jsonb_build_object" => rename(f, "json_object"),
            "json_build_array" | "jsonb_build_array" => rename(f, "json_array"),
            "json_agg" | "jsonb_agg" => rename(f, "json_group_array"),
            "substring" => rename(f, "substr"),
            _ => rename(f, &name),
        }
        Ok(None)
    }
}

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

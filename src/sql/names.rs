//! PostgreSQL's default output column names.
//!
//! SQLite names an unaliased result column after the expression's text
//! (`count(*)`, `'PostgreSQL 16.0 …'` once `version()` is rewritten);
//! PostgreSQL names it with `FigureColname` (`count`, `version`,
//! `?column?`). Before any rewrite, [`name_outputs`] gives every unaliased
//! item that is not a plain column reference an explicit `AS "<pg name>"`,
//! computed from the original PostgreSQL tree, wherever the names reach the
//! client or can be referred to: the statement's own SELECT list (the
//! leftmost member of a set operation), RETURNING lists, CTE bodies,
//! derived tables in FROM, CREATE TABLE … AS and CREATE VIEW.

use std::ops::ControlFlow;

use sqlparser::ast::{
    DataType, Expr, Ident, Query, SelectItem, SetExpr, Statement, TableFactor, TimezoneInfo,
    TrimWhereField, Value, VisitMut, VisitorMut,
};

use super::PgType;

/// PostgreSQL's name for a column it cannot name otherwise.
pub(crate) const UNNAMED: &str = "?column?";

/// How sure PostgreSQL is of a name: a weak name (a type name, `case`) is
/// overridden by a strong one further out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    None,
    Weak,
    Strong,
}

/// SQL-standard value functions that PostgreSQL names after the keyword.
/// sqlparser parses some of them as bare identifiers.
const VALUE_KEYWORDS: &[&str] = &[
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "localtime",
    "localtimestamp",
    "session_user",
    "user",
];

/// An identifier as PostgreSQL resolves it: unquoted names fold to lower case.
pub(crate) fn fold(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// An unquoted identifier PostgreSQL reads as a value keyword.
pub(crate) fn value_keyword(ident: &Ident) -> Option<&'static str> {
    if ident.quote_style.is_some() {
        return None;
    }
    let lower = ident.value.to_ascii_lowercase();
    VALUE_KEYWORDS.iter().copied().find(|k| *k == lower)
}

/// The output name PostgreSQL gives `expr` (`?column?` when it has none);
/// `None` when pgrq cannot tell (a scalar subquery over `*`).
pub(crate) fn output_name(expr: &Expr) -> Option<String> {
    let (name, strength) = figure(expr)?;
    Some(match strength {
        Strength::None => UNNAMED.to_string(),
        _ => name,
    })
}

/// PostgreSQL's `FigureColnameInternal`: a name and how strong it is.
fn figure(expr: &Expr) -> Option<(String, Strength)> {
    let strong = |s: &str| Some((s.to_string(), Strength::Strong));
    let weak = |s: &str| Some((s.to_string(), Strength::Weak));
    match expr {
        Expr::Identifier(ident) => match value_keyword(ident) {
            Some(k) => strong(k),
            None => strong(&fold(ident)),
        },
        Expr::CompoundIdentifier(parts) => parts.last().and_then(|p| strong(&fold(p))),
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => figure(inner),
        Expr::Function(f) => match f.name.0.last().and_then(|p| p.as_ident()) {
            Some(ident) => strong(&fold(ident)),
            None => Some((String::new(), Strength::None)),
        },
        Expr::Cast {
            expr: inner,
            data_type,
            ..
        } => match figure(inner) {
            Some((name, Strength::Strong)) => Some((name, Strength::Strong)),
            None => None,
            Some(_) => weak(&type_name(data_type)),
        },
        Expr::TypedString(ts) => weak(&type_name(&ts.data_type)),
        Expr::Interval(_) => weak("interval"),
        Expr::Value(v) if matches!(v.value, Value::Boolean(_)) => weak("bool"),
        Expr::Case { else_result, .. } => match else_result.as_deref().map(figure) {
            Some(Some((name, Strength::Strong))) => Some((name, Strength::Strong)),
            Some(None) => None,
            _ => weak("case"),
        },
        Expr::Exists { negated: false, .. } => strong("exists"),
        Expr::Array(_) => strong("array"),
        Expr::Tuple(_) => strong("row"),
        Expr::Subquery(q) => first_column_name(q).map(|n| (n, Strength::Strong)),
        Expr::Substring {
            shorthand: true, ..
        } => strong("substr"),
        Expr::Substring { .. } => strong("substring"),
        Expr::Position { .. } => strong("position"),
        Expr::Overlay { .. } => strong("overlay"),
        Expr::Extract { .. } => strong("extract"),
        Expr::Ceil { .. } => strong("ceil"),
        Expr::Floor { .. } => strong("floor"),
        Expr::AtTimeZone { .. } => strong("timezone"),
        Expr::Trim { trim_where, .. } => strong(match trim_where {
            Some(TrimWhereField::Leading) => "ltrim",
            Some(TrimWhereField::Trailing) => "rtrim",
            Some(TrimWhereField::Both) | None => "btrim",
        }),
        _ => Some((String::new(), Strength::None)),
    }
}

/// The name of a subquery's first output column, as PostgreSQL gives it.
fn first_column_name(q: &Query) -> Option<String> {
    let mut body = q.body.as_ref();
    loop {
        match body {
            SetExpr::Query(inner) => body = inner.body.as_ref(),
            SetExpr::SetOperation { left, .. } => body = left.as_ref(),
            SetExpr::Values(_) => return Some("column1".to_string()),
            SetExpr::Select(select) => {
                return match select.projection.first()? {
                    SelectItem::UnnamedExpr(e) => output_name(e),
                    SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
                    _ => None,
                };
            }
            _ => return None,
        }
    }
}

/// The name PostgreSQL's grammar gives a type in a cast: `int` is `int4`,
/// `boolean` is `bool`, `varchar(10)` is `varchar`.
pub(crate) fn type_name(dt: &DataType) -> String {
    match dt {
        DataType::Time(_, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone) => "timetz".into(),
        // PostgreSQL names an array cast by its element type.
        DataType::Array(
            sqlparser::ast::ArrayElemTypeDef::AngleBracket(t)
            | sqlparser::ast::ArrayElemTypeDef::SquareBracket(t, _),
        ) => type_name(t),
        DataType::Array(_) => "array".into(),
        DataType::Custom(name, _) if PgType::from_sqlparser(dt) == PgType::Unknown => name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(fold)
            .unwrap_or_default(),
        _ => match PgType::from_sqlparser(dt) {
            PgType::Unknown => {
                let text = dt.to_string().to_lowercase();
                text.split(['(', ' '])
                    .next()
                    .unwrap_or_default()
                    .to_string()
            }
            known => known.name().to_string(),
        },
    }
}

/// A plain column reference, which SQLite already names after the column.
fn is_column_ref(expr: &Expr) -> bool {
    match expr {
        Expr::Identifier(ident) => value_keyword(ident).is_none(),
        Expr::CompoundIdentifier(_) => true,
        Expr::Nested(inner) => is_column_ref(inner),
        _ => false,
    }
}

/// Alias every unaliased, non-column item of `items` with its PostgreSQL
/// name.
fn name_items(items: &mut [SelectItem]) {
    for item in items {
        let SelectItem::UnnamedExpr(expr) = item else {
            continue;
        };
        if is_column_ref(expr) {
            continue;
        }
        let Some(name) = output_name(expr) else {
            continue;
        };
        let expr = std::mem::replace(expr, Expr::value(Value::Null));
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: Ident::with_quote('"', name),
        };
    }
}

fn name_query(q: &mut Query) {
    name_body(&mut q.body);
}

fn name_body(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => name_items(&mut select.projection),
        SetExpr::Query(q) => name_query(q),
        // The leftmost member names the columns of a set operation.
        SetExpr::SetOperation { left, .. } => name_body(left),
        SetExpr::Insert(stmt) | SetExpr::Update(stmt) | SetExpr::Delete(stmt) => name_top(stmt),
        _ => {}
    }
}

/// The statement's own output columns.
fn name_top(stmt: &mut Statement) {
    let returning = match stmt {
        Statement::Query(q) => return name_query(q),
        Statement::CreateTable(ct) => {
            if let Some(q) = &mut ct.query {
                name_query(q);
            }
            return;
        }
        Statement::CreateView(cv) => return name_query(&mut cv.query),
        Statement::Insert(i) => &mut i.returning,
        Statement::Update(u) => &mut u.returning,
        Statement::Delete(d) => &mut d.returning,
        _ => return,
    };
    if let Some(items) = returning {
        name_items(items);
    }
}

/// Give the output columns of `stmt` (and of its CTEs and derived tables)
/// PostgreSQL's names. Must run before the rewrite.
pub(crate) fn name_outputs(stmt: &mut Statement) {
    name_top(stmt);
    let _ = stmt.visit(&mut InnerOutputs);
}

/// Names the columns of CTE bodies and derived tables anywhere in a tree.
struct InnerOutputs;

impl VisitorMut for InnerOutputs {
    type Break = ();

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
        if let Some(with) = &mut q.with {
            // A column list after the CTE name overrides the body's names.
            for cte in with
                .cte_tables
                .iter_mut()
                .filter(|c| c.alias.columns.is_empty())
            {
                name_query(&mut cte.query);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Derived {
            subquery, alias, ..
        } = tf
            && alias.as_ref().is_none_or(|a| a.columns.is_empty())
        {
            name_query(subquery);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;

//! The PostgreSQL types of a statement's output columns, worked out from
//! the original PostgreSQL tree (before any rewrite) and the schema.
//!
//! SQLite only reports storage classes and declared types, so `count(*)`
//! would come back as `integer` and `a = b` as `integer`. Where the tree
//! makes PostgreSQL's type certain, it is given here; elsewhere `None`, and
//! the caller uses what rqlite reports. Internally a string literal or NULL
//! is [`PgType::Unknown`], so that `coalesce(NULL, 1)` or `CASE … 'a' …`
//! resolve as in PostgreSQL; an output column left unknown is text.
//!
//! The same scopes give the types of uncast `$n` parameters from where
//! they stand ([`params`], [`param_expr`]).

mod avg;
mod checks;
#[cfg(test)]
mod checks_tests;
mod datetime_ops;
mod expr;
mod items;
mod param_expr;
mod params;
#[cfg(test)]
mod params_tests;
mod row_json;
mod scale;
mod scope;
#[cfg(test)]
mod tests;

use sqlparser::ast::{
    Cte, FromTable, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement,
    TableObject, UpdateTableFromKind, Values,
};

pub(crate) use self::avg::{avg_arg, output_avgs};
pub(crate) use self::checks::check_statement;
use self::expr::{common_type, expr_type};
pub(crate) use self::items::{OutputItem, StarColumn, output_items};
use self::scope::Scope;
use super::PgType;
use super::names::{UNNAMED, fold, output_name};
use super::schema::Schema;

/// One output column: its name (for references from outside) and type.
#[derive(Debug, Clone)]
struct OutCol {
    name: String,
    ty: Option<PgType>,
    /// Display scale of a numeric column, when fixed (see [`scale`]).
    scale: Option<u32>,
}

/// One entry per output column of `stmt`, or empty when the columns cannot
/// be listed (a `*` over something the schema does not know, or no
/// output at all).
pub(crate) fn output_types(stmt: &Statement, schema: &dyn Schema) -> Vec<Option<PgType>> {
    let root = Scope::root(schema);
    statement_columns(stmt, &root)
        .map(|cols| {
            cols.into_iter()
                .map(|c| {
                    c.ty.map(|t| {
                        if t == PgType::Unknown {
                            PgType::Text
                        } else {
                            t
                        }
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The display scale of each output column of `stmt` (see [`scale`]), aligned with
/// [`output_types`]; empty when the columns cannot be listed.
pub(crate) fn output_scales(stmt: &Statement, schema: &dyn Schema) -> Vec<Option<u32>> {
    let root = Scope::root(schema);
    statement_columns(stmt, &root)
        .map(|cols| cols.into_iter().map(|c| c.scale).collect())
        .unwrap_or_default()
}

/// The types PostgreSQL would infer for the uncast parameters from where
/// they stand (see [`params`]): entry `i` is for `$(i + 1)`, `None` where
/// nothing says; the vector ends at the last parameter typed. The caller
/// lets a cast anywhere in the statement win over these.
pub(crate) fn param_types(stmt: &Statement, schema: &dyn Schema) -> Vec<Option<PgType>> {
    params::infer(stmt, schema).into_vec()
}

fn statement_columns(stmt: &Statement, outer: &Scope) -> Option<Vec<OutCol>> {
    if let Statement::Query(q) = stmt {
        return query_columns(q, outer);
    }
    with_returning(stmt, outer, items_columns)?
}

/// `f` applied to the RETURNING list of a write and the scope it is read in; `None` for
/// other statements and writes without RETURNING.
fn with_returning<R>(
    stmt: &Statement,
    outer: &Scope,
    f: impl FnOnce(&[SelectItem], &Scope) -> R,
) -> Option<R> {
    let mut scope = outer.child();
    let items = match stmt {
        Statement::Insert(i) => {
            if let TableObject::TableName(name) = &i.table {
                scope.add_table(name, i.table_alias.as_ref().map(|a| &a.alias));
            }
            i.returning.as_ref()?
        }
        Statement::Update(u) => {
            scope.add_from(&u.table);
            if let Some(UpdateTableFromKind::BeforeSet(f) | UpdateTableFromKind::AfterSet(f)) =
                &u.from
            {
                f.iter().for_each(|t| scope.add_from(t));
            }
            u.returning.as_ref()?
        }
        Statement::Delete(d) => {
            let (FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f)) = &d.from;
            f.iter().for_each(|t| scope.add_from(t));
            d.returning.as_ref()?
        }
        _ => return None,
    };
    Some(f(items, &scope))
}

/// The output columns of a query, with its CTEs in scope.
fn query_columns(q: &Query, outer: &Scope) -> Option<Vec<OutCol>> {
    let scope = with_ctes(q, outer, |_, _| {});
    body_columns(&q.body, &scope)
}

/// The scope `q`'s body is read in: `outer` and `q`'s CTEs. `each` is
/// shown every CTE with the scope its query is read in (which holds the
/// CTE itself only when it may refer to itself).
fn with_ctes<'a>(q: &Query, outer: &'a Scope<'a>, mut each: impl FnMut(&Cte, &Scope)) -> Scope<'a> {
    let mut scope = outer.child();
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            let mut cols = match (with.recursive, cte.query.body.as_ref()) {
                // A recursive CTE has the types of its non-recursive term.
                (true, SetExpr::SetOperation { left, .. }) => body_columns(left, &scope),
                _ => query_columns(&cte.query, &scope),
            };
            if let Some(cols) = &mut cols {
                for (col, name) in cols.iter_mut().zip(&cte.alias.columns) {
                    col.name = fold(&name.name);
                }
            }
            if !with.recursive {
                each(cte, &scope);
            }
            scope.add_cte(fold(&cte.alias.name), cols);
            if with.recursive {
                each(cte, &scope);
            }
        }
    }
    scope
}

fn body_columns(body: &SetExpr, scope: &Scope) -> Option<Vec<OutCol>> {
    match body {
        SetExpr::Select(s) => select_columns(s, scope),
        SetExpr::Query(q) => query_columns(q, scope),
        SetExpr::SetOperation { left, right, .. } => {
            let mut cols = body_columns(left, scope)?;
            let right = body_columns(right, scope);
            for (i, col) in cols.iter_mut().enumerate() {
                let other = right.as_ref().and_then(|r| r.get(i)).and_then(|c| c.ty);
                col.ty = common_type(&[col.ty, other]);
            }
            Some(cols)
        }
        SetExpr::Values(v) => values_columns(v, scope),
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => statement_columns(s, scope),
        _ => None,
    }
}

fn select_columns(s: &Select, outer: &Scope) -> Option<Vec<OutCol>> {
    let mut scope = outer.child();
    for twj in &s.from {
        scope.add_from(twj);
    }
    items_columns(&s.projection, &scope)
}

fn items_columns(items: &[SelectItem], scope: &Scope) -> Option<Vec<OutCol>> {
    let mut out = Vec::new();
    for item in items {
        match item {
            SelectItem::UnnamedExpr(e) => out.push(OutCol {
                name: output_name(e).unwrap_or_else(|| UNNAMED.to_string()),
                ty: expr_type(e, scope),
                scale: scale::numeric_scale(e, scope),
            }),
            SelectItem::ExprWithAlias { expr, alias } => out.push(OutCol {
                name: fold(alias),
                ty: expr_type(expr, scope),
                scale: scale::numeric_scale(expr, scope),
            }),
            SelectItem::Wildcard(_) => out.extend(scope.star()?),
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                out.extend(scope.qualified_star(n)?)
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `VALUES` columns: `column1`, `column2`, … typed by all rows together.
fn values_columns(v: &Values, scope: &Scope) -> Option<Vec<OutCol>> {
    let width = v.rows.first()?.len();
    let cols = (0..width)
        .map(|j| {
            let types: Vec<Option<PgType>> = v
                .rows
                .iter()
                .map(|row| row.get(j).and_then(|e| expr_type(e, scope)))
                .collect();
            OutCol {
                name: format!("column{}", j + 1),
                ty: common_type(&types),
                scale: None,
            }
        })
        .collect();
    Some(cols)
}

//! The types of `$n` parameters the SQL does not cast, inferred from where
//! they stand, as PostgreSQL does: `col = $1` gives `$1` the column's type,
//! `INSERT INTO t (c) VALUES ($1)` and `SET c = $1` the target column's,
//! `LIMIT $1` int8, `lower($1)` text (the expression rules are in
//! [`super::param_expr`]). Clauses are visited in the order PostgreSQL
//! analyses them (FROM before the SELECT list, an UPDATE's WHERE before its
//! SET), and the first inference for a parameter wins, since PostgreSQL
//! fixes a parameter's type at its first typed use. A parameter nothing
//! types (`SELECT $1`) is left out.

use std::collections::BTreeMap;

use sqlparser::ast::{
    Assignment, AssignmentTarget, Delete, Expr, FromTable, GroupByExpr, Insert, JoinConstraint,
    LimitClause, ObjectName, OnConflictAction, OnInsert, OrderBy, OrderByKind, Query, Select,
    SelectItem, SetExpr, Statement, TableFactor, TableObject, TableWithJoins, Update,
    UpdateTableFromKind, Value,
};

use super::param_expr::{typed, walk};
use super::scope::{Scope, constraint};
use super::{OutCol, with_ctes};
use crate::sql::PgType as T;
use crate::sql::names::fold;

const BOOL: Option<T> = Some(T::Bool);
const INT8: Option<T> = Some(T::Int8);

/// The types inferred so far, by parameter number.
#[derive(Debug, Default)]
pub(super) struct Found {
    types: BTreeMap<usize, T>,
}

impl Found {
    /// Entry `i` for `$(i + 1)`, up to the last parameter typed.
    pub(super) fn into_vec(self) -> Vec<Option<T>> {
        let last = self.types.keys().next_back().copied().unwrap_or(0);
        (1..=last).map(|i| self.types.get(&i).copied()).collect()
    }

    /// If `e` is a bare parameter (in any parentheses), record `ty` for it
    /// unless it already has a type, and say so; `Unknown` records nothing.
    pub(super) fn note(&mut self, e: &Expr, ty: Option<T>) -> bool {
        let Some(index) = param_index(e) else {
            return false;
        };
        if let Some(t) = ty.filter(|t| *t != T::Unknown) {
            self.types.entry(index).or_insert(t);
        }
        true
    }
}

/// The number of a `$n` placeholder, looking through parentheses.
pub(super) fn param_index(e: &Expr) -> Option<usize> {
    match e {
        Expr::Nested(inner) => param_index(inner),
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.strip_prefix('$')?.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Infer what the statement's context says about its parameters.
pub(super) fn infer(stmt: &Statement, schema: &dyn crate::sql::Schema) -> Found {
    let mut found = Found::default();
    statement(stmt, &Scope::root(schema), &mut found);
    found
}

fn statement(stmt: &Statement, outer: &Scope, out: &mut Found) {
    match stmt {
        Statement::Query(q) => query(q, outer, None, out),
        Statement::Insert(i) => insert(i, outer, out),
        Statement::Update(u) => update(u, outer, out),
        Statement::Delete(d) => delete(d, outer, out),
        _ => {}
    }
}

/// A query; `targets` are the types of the columns an INSERT writes its
/// output to.
pub(super) fn query(q: &Query, outer: &Scope, targets: Option<&[Option<T>]>, out: &mut Found) {
    let scope = with_ctes(q, outer, |cte, s| query(&cte.query, s, None, out));
    body(&q.body, &scope, targets, q.order_by.as_ref(), out);
    match &q.limit_clause {
        Some(LimitClause::LimitOffset { limit, offset, .. }) => {
            limit.iter().for_each(|e| typed(e, INT8, &scope, out));
            offset
                .iter()
                .for_each(|o| typed(&o.value, INT8, &scope, out));
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
            typed(offset, INT8, &scope, out);
            typed(limit, INT8, &scope, out);
        }
        None => {}
    }
    if let Some(quantity) = q.fetch.as_ref().and_then(|f| f.quantity.as_ref()) {
        typed(quantity, INT8, &scope, out);
    }
}

fn body(
    b: &SetExpr,
    scope: &Scope,
    targets: Option<&[Option<T>]>,
    order_by: Option<&OrderBy>,
    out: &mut Found,
) {
    match b {
        SetExpr::Select(s) => return select(s, scope, targets, order_by, out),
        SetExpr::Query(q) => query(q, scope, targets, out),
        SetExpr::SetOperation { left, right, .. } => {
            body(left, scope, None, None, out);
            body(right, scope, None, None, out);
        }
        SetExpr::Values(v) => {
            for row in &v.rows {
                for (j, e) in row.iter().enumerate() {
                    typed(e, target(targets, j), scope, out);
                }
            }
        }
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => statement(s, scope, out),
        _ => {}
    }
    sort_keys(order_by, scope, out);
}

fn target(targets: Option<&[Option<T>]>, j: usize) -> Option<T> {
    targets.and_then(|t| t.get(j).copied().flatten())
}

fn select(
    s: &Select,
    outer: &Scope,
    targets: Option<&[Option<T>]>,
    order_by: Option<&OrderBy>,
    out: &mut Found,
) {
    let mut scope = outer.child();
    s.from.iter().for_each(|t| scope.add_from(t));
    s.from.iter().for_each(|t| from_item(t, outer, &scope, out));
    // Positions map to INSERT targets only up to the first `*`.
    let mut targets = targets;
    for (j, item) in s.projection.iter().enumerate() {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                typed(e, target(targets, j), &scope, out)
            }
            _ => targets = None,
        }
    }
    if let Some(w) = &s.selection {
        typed(w, BOOL, &scope, out);
    }
    if let GroupByExpr::Expressions(exprs, _) = &s.group_by {
        exprs.iter().for_each(|e| walk(e, &scope, out));
    }
    for cond in [&s.having, &s.qualify].into_iter().flatten() {
        typed(cond, BOOL, &scope, out);
    }
    sort_keys(order_by, &scope, out);
}

fn sort_keys(order_by: Option<&OrderBy>, scope: &Scope, out: &mut Found) {
    if let Some(OrderByKind::Expressions(keys)) = order_by.map(|o| &o.kind) {
        keys.iter().for_each(|k| walk(&k.expr, scope, out));
    }
}

/// The subqueries and join conditions of a FROM item. Subqueries see
/// `outer` (or `scope` when LATERAL); join conditions see `scope`.
fn from_item(twj: &TableWithJoins, outer: &Scope, scope: &Scope, out: &mut Found) {
    factor(&twj.relation, outer, scope, out);
    for join in &twj.joins {
        factor(&join.relation, outer, scope, out);
        if let Some(JoinConstraint::On(e)) = constraint(&join.join_operator) {
            typed(e, BOOL, scope, out);
        }
    }
}

fn factor(tf: &TableFactor, outer: &Scope, scope: &Scope, out: &mut Found) {
    match tf {
        TableFactor::Derived {
            lateral, subquery, ..
        } => query(subquery, if *lateral { scope } else { outer }, None, out),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => from_item(table_with_joins, outer, scope, out),
        _ => {}
    }
}

fn insert(i: &Insert, outer: &Scope, out: &mut Found) {
    let TableObject::TableName(name) = &i.table else {
        return;
    };
    let columns = outer.table_columns(name);
    let targets: Option<Vec<Option<T>>> = columns.as_deref().map(|cols| {
        if i.columns.is_empty() {
            cols.iter().map(|c| c.ty).collect()
        } else {
            i.columns.iter().map(|n| column_type(cols, n)).collect()
        }
    });
    // The source does not see the target table.
    if let Some(source) = &i.source {
        query(source, outer, targets.as_deref(), out);
    }
    let mut scope = outer.child();
    scope.add_table(name, i.table_alias.as_ref().map(|a| &a.alias));
    if let Some(OnInsert::OnConflict(oc)) = &i.on
        && let OnConflictAction::DoUpdate(du) = &oc.action
    {
        scope.add_excluded(name);
        for a in &du.assignments {
            assign(a, columns.as_deref(), &scope, out);
        }
        if let Some(w) = &du.selection {
            typed(w, BOOL, &scope, out);
        }
    }
    returning(i.returning.as_deref(), &scope, out);
}

fn update(u: &Update, outer: &Scope, out: &mut Found) {
    let from = match &u.from {
        Some(UpdateTableFromKind::BeforeSet(f) | UpdateTableFromKind::AfterSet(f)) => f.as_slice(),
        None => &[],
    };
    let mut scope = outer.child();
    scope.add_from(&u.table);
    from.iter().for_each(|t| scope.add_from(t));
    from_item(&u.table, outer, &scope, out);
    from.iter().for_each(|t| from_item(t, outer, &scope, out));
    if let Some(w) = &u.selection {
        typed(w, BOOL, &scope, out);
    }
    returning(u.returning.as_deref(), &scope, out);
    let columns = match &u.table.relation {
        TableFactor::Table { name, .. } => scope.table_columns(name),
        _ => None,
    };
    for a in &u.assignments {
        assign(a, columns.as_deref(), &scope, out);
    }
}

fn delete(d: &Delete, outer: &Scope, out: &mut Found) {
    let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
    let using = d.using.as_deref().unwrap_or_default();
    let mut scope = outer.child();
    from.iter().chain(using).for_each(|t| scope.add_from(t));
    from.iter()
        .chain(using)
        .for_each(|t| from_item(t, outer, &scope, out));
    if let Some(w) = &d.selection {
        typed(w, BOOL, &scope, out);
    }
    returning(d.returning.as_deref(), &scope, out);
}

/// `SET c = v` or `SET (a, b) = (v, w)`: each value takes its column's type.
fn assign(a: &Assignment, columns: Option<&[OutCol]>, scope: &Scope, out: &mut Found) {
    let ty = |n: &ObjectName| columns.and_then(|cols| column_type(cols, n));
    match (&a.target, &a.value) {
        (AssignmentTarget::ColumnName(n), v) => typed(v, ty(n), scope, out),
        (AssignmentTarget::Tuple(names), Expr::Tuple(values)) if names.len() == values.len() => {
            for (n, v) in names.iter().zip(values) {
                typed(v, ty(n), scope, out);
            }
        }
        (_, v) => walk(v, scope, out),
    }
}

/// The type of the column `name` (its last part) among `columns`.
fn column_type(columns: &[OutCol], name: &ObjectName) -> Option<T> {
    let column = name.0.last()?.as_ident().map(fold)?;
    columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(&column))
        .and_then(|c| c.ty)
}

fn returning(items: Option<&[SelectItem]>, scope: &Scope, out: &mut Found) {
    for item in items.unwrap_or_default() {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            walk(e, scope, out);
        }
    }
}

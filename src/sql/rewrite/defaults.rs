//! INSERTs that rely on column defaults, made explicit from the schema
//! after the expression walk (so what is added is already SQLite).
//!
//! * A column whose default reads the clock (see `time_defaults`) and that
//!   the INSERT leaves out is added to the column list with the value of
//!   its default at the transaction time, as a literal (see `clock`), so
//!   every replica stores the same time, with PostgreSQL's precision.
//! * `VALUES (DEFAULT, …)`: SQLite has no DEFAULT there. A column that is
//!   DEFAULT in every row is left out of the INSERT (SQLite then applies
//!   its own default; a time default comes back through the first rule).
//!   Any other DEFAULT becomes the column's default expression, or NULL
//!   when it has none (which lets an INTEGER PRIMARY KEY auto-assign).
//! * `INSERT INTO t VALUES (…)` with fewer values than columns gets an
//!   explicit list of the first columns, as PostgreSQL fills the rest with
//!   defaults.
//!
//! Without a schema for the table nothing changes, except that DEFAULT in
//! VALUES is refused.

use sqlparser::ast::{
    AssignmentTarget, Expr, Insert, ObjectName, OnInsert, Query, SelectItem, SetExpr, Statement,
    TableFactor, TableObject, Value, Values,
};

use super::sqlite_keywords::column_ident;
use super::time_defaults::{frozen_time_default, parse_sqlite_expr};
use super::{query, relations, uuid_defaults};
use crate::sql::SqlError;
use crate::sql::parse;
use crate::sql::schema::{ColumnInfo, Schema, find_column};

/// Make the INSERT in `stmt` (if any) carry its defaults explicitly; time
/// defaults are read at `now_micros` (the transaction time). Returns whether
/// the statement changed (then it may embed that time).
pub(super) fn fill_insert(
    stmt: &mut Statement,
    schema: &dyn Schema,
    now_micros: i64,
) -> Result<bool, SqlError> {
    if !is_insert(stmt) {
        return Ok(false);
    }
    let before = stmt.to_string();
    fill_statement(stmt, schema, now_micros)?;
    Ok(stmt.to_string() != before)
}

/// `UPDATE … SET c = DEFAULT`: SQLite has no DEFAULT there; it becomes the column's
/// default expression (a time default read at `now_micros`), or NULL when it has none.
/// Returns whether the statement changed.
pub(super) fn fill_update(
    stmt: &mut Statement,
    schema: &dyn Schema,
    now_micros: i64,
) -> Result<bool, SqlError> {
    let Statement::Update(update) = stmt else {
        return Ok(false);
    };
    if !update.assignments.iter().any(|a| is_default(&a.value)) {
        return Ok(false);
    }
    let TableFactor::Table { name, .. } = &update.table.relation else {
        return Err(SqlError::unsupported(
            "SET … = DEFAULT on this kind of target",
        ));
    };
    let table = object_key(name);
    let columns = schema.columns(&table).unwrap_or_default();
    for a in &mut update.assignments {
        if !is_default(&a.value) {
            continue;
        }
        let key = match &a.target {
            AssignmentTarget::ColumnName(c) => object_key(c),
            AssignmentTarget::Tuple(_) => {
                return Err(SqlError::unsupported("SET (…) = DEFAULT"));
            }
        };
        a.value = default_value(find_column(&columns, &key), &key, &table, now_micros)?;
    }
    Ok(true)
}

fn is_insert(stmt: &Statement) -> bool {
    match stmt {
        Statement::Insert(_) => true,
        Statement::Explain { statement, .. } => is_insert(statement),
        Statement::Query(q) => matches!(q.body.as_ref(), SetExpr::Insert(_)),
        _ => false,
    }
}

fn fill_statement(
    stmt: &mut Statement,
    schema: &dyn Schema,
    now_micros: i64,
) -> Result<(), SqlError> {
    match stmt {
        Statement::Insert(insert) => fill(insert, schema, now_micros),
        Statement::Explain { statement, .. } => fill_statement(statement, schema, now_micros),
        Statement::Query(q) => match q.body.as_mut() {
            SetExpr::Insert(inner) => fill_statement(inner, schema, now_micros),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn fill(insert: &mut Insert, schema: &dyn Schema, now_micros: i64) -> Result<(), SqlError> {
    let TableObject::TableName(name) = &insert.table else {
        return Ok(());
    };
    let table = object_key(name);
    let has_default =
        values(insert).is_some_and(|v| v.rows.iter().flat_map(|r| r.iter()).any(is_default));
    let Some(columns) = schema.columns(&table) else {
        if has_default {
            return Err(SqlError::unsupported(
                "DEFAULT in VALUES for a table pgrq has no schema for",
            ));
        }
        return Ok(());
    };
    if insert.columns.is_empty()
        && let Some(width) = source_width(insert)
    {
        if width > columns.len() {
            // SQLite will say what is wrong (or the schema mirror is behind).
            if has_default {
                return Err(SqlError::syntax(
                    "INSERT has more expressions than target columns",
                ));
            }
            return Ok(());
        }
        if width < columns.len() || has_default {
            insert.columns = columns
                .iter()
                .take(width)
                .map(|c| ObjectName::from(vec![column_ident(&c.name)]))
                .collect();
        }
    }
    if has_default {
        replace_defaults(insert, &columns, &table, now_micros)?;
    }
    add_time_columns(insert, &columns, now_micros)
}

/// The table or column name as PostgreSQL resolves it.
fn object_key(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(relations::fold)
        .unwrap_or_default()
}

fn is_default(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(i) if i.quote_style.is_none()
        && i.value.eq_ignore_ascii_case("default"))
}

fn values(insert: &Insert) -> Option<&Values> {
    match insert.source.as_deref()?.body.as_ref() {
        SetExpr::Values(v) => Some(v),
        _ => None,
    }
}

fn values_mut(insert: &mut Insert) -> Option<&mut Values> {
    match insert.source.as_deref_mut()?.body.as_mut() {
        SetExpr::Values(v) => Some(v),
        _ => None,
    }
}

/// How many values each source row has, when the SQL says.
fn source_width(insert: &Insert) -> Option<usize> {
    match insert.source.as_deref()?.body.as_ref() {
        SetExpr::Values(v) => v.rows.first().map(|r| r.len()),
        SetExpr::Select(s) => s
            .projection
            .iter()
            .all(|i| {
                matches!(
                    i,
                    SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. }
                )
            })
            .then_some(s.projection.len()),
        _ => None,
    }
}

fn replace_defaults(
    insert: &mut Insert,
    columns: &[ColumnInfo],
    table: &str,
    now_micros: i64,
) -> Result<(), SqlError> {
    let keys: Vec<String> = insert.columns.iter().map(object_key).collect();
    let Some(rows) = values_mut(insert).map(|v| &mut v.rows) else {
        return Ok(());
    };
    let single_row = rows.len() == 1;
    let mut drop: Vec<bool> = (0..keys.len())
        .map(|j| rows.iter().all(|r| r.get(j).is_some_and(is_default)))
        .collect();
    if !single_row && drop.iter().all(|d| *d) {
        // Several rows of nothing but defaults: keep one column to carry
        // the rows (DEFAULT VALUES would insert a single row).
        if let Some(first) = drop.first_mut() {
            *first = false;
        }
    }
    for row in rows.iter_mut() {
        remove_marked(&mut row.content, &drop);
    }
    let kept: Vec<&String> = keys
        .iter()
        .zip(&drop)
        .filter(|(_, d)| !**d)
        .map(|(k, _)| k)
        .collect();
    for row in rows.iter_mut() {
        for (j, cell) in row.iter_mut().enumerate() {
            if is_default(cell) {
                let key = kept.get(j).ok_or_else(|| {
                    SqlError::syntax("INSERT has more expressions than target columns")
                })?;
                *cell = default_value(find_column(columns, key), key, table, now_micros)?;
            }
        }
    }
    remove_marked(&mut insert.columns, &drop);
    if insert.columns.is_empty() {
        // Every value was DEFAULT in a single row: DEFAULT VALUES.
        insert.source = None;
    }
    Ok(())
}

/// Remove the items whose position is marked.
fn remove_marked<T>(items: &mut Vec<T>, marked: &[bool]) {
    let mut position = 0;
    items.retain(|_| {
        let keep = !marked.get(position).copied().unwrap_or(false);
        position += 1;
        keep
    });
}

/// The expression a DEFAULT stands for in column `key` (a time default
/// read at `now_micros`).
fn default_value(
    info: Option<&ColumnInfo>,
    key: &str,
    table: &str,
    now_micros: i64,
) -> Result<Expr, SqlError> {
    let Some(info) = info else {
        return Err(SqlError::unsupported(format!(
            "DEFAULT for column \"{key}\", which pgrq's schema of table \"{table}\" does not list"
        )));
    };
    let Some(text) = &info.default_expr else {
        return Ok(Expr::value(Value::Null));
    };
    if uuid_defaults::is_uuid_default(text) {
        return Ok(uuid_defaults::literal());
    }
    frozen_time_default(text, now_micros)
        .or_else(|| parse_sqlite_expr(text))
        .ok_or_else(|| {
            SqlError::unsupported(format!(
                "DEFAULT for column \"{key}\" (pgrq cannot read its default `{text}`)"
            ))
        })
}

/// Add each left-out column whose default reads the clock, with the value
/// of that default at `now_micros`.
fn add_time_columns(
    insert: &mut Insert,
    columns: &[ColumnInfo],
    now_micros: i64,
) -> Result<(), SqlError> {
    let listed: Vec<String> = insert.columns.iter().map(object_key).collect();
    let mut uuid = Vec::new();
    let (names, exprs): (Vec<ObjectName>, Vec<Expr>) = columns
        .iter()
        .filter(|c| !listed.iter().any(|l| l.eq_ignore_ascii_case(&c.name)))
        .filter_map(|c| {
            let text = c.default_expr.as_deref()?;
            let is_uuid = uuid_defaults::is_uuid_default(text);
            let expr = if is_uuid {
                uuid_defaults::literal()
            } else {
                frozen_time_default(text, now_micros)?
            };
            uuid.push(is_uuid);
            Some((ObjectName::from(vec![column_ident(&c.name)]), expr))
        })
        .unzip();
    if names.is_empty() {
        return Ok(());
    }
    let on_conflict = matches!(insert.on, Some(OnInsert::OnConflict(_)));
    match insert.source.as_deref_mut() {
        None => insert.source = Some(Box::new(values_query(exprs)?)),
        // Without a column list the values map to columns by position,
        // which pgrq left alone because it could not count them.
        Some(_) if insert.columns.is_empty() => return Ok(()),
        Some(source) => {
            let values = matches!(source.body.as_ref(), SetExpr::Values(_));
            if !values && uuid.contains(&true) {
                return Err(SqlError::unsupported(
                    "INSERT … SELECT leaving out a column with DEFAULT gen_random_uuid() \
                     (give the column a value)",
                ));
            }
            append_to_source(source, exprs, on_conflict)?;
            // One UUID per row.
            if let SetExpr::Values(v) = source.body.as_mut() {
                for row in v.rows.iter_mut().skip(1) {
                    let start = row.len() - uuid.len();
                    for (cell, is_uuid) in row.content[start..].iter_mut().zip(&uuid) {
                        if *is_uuid {
                            *cell = uuid_defaults::literal();
                        }
                    }
                }
            }
        }
    }
    insert.columns.extend(names);
    Ok(())
}

fn append_to_source(
    source: &mut Query,
    exprs: Vec<Expr>,
    on_conflict: bool,
) -> Result<(), SqlError> {
    match source.body.as_mut() {
        SetExpr::Values(v) => {
            for row in &mut v.rows {
                row.extend(exprs.iter().cloned());
            }
        }
        SetExpr::Select(s) => s
            .projection
            .extend(exprs.into_iter().map(SelectItem::UnnamedExpr)),
        _ => {
            let inner = std::mem::replace(source, template("SELECT 1")?);
            let mut outer = template("SELECT * FROM (SELECT 1)")?;
            if let Some(select) = query::select_of(&mut outer) {
                if let Some(TableFactor::Derived { subquery, .. }) =
                    select.from.first_mut().map(|f| &mut f.relation)
                {
                    **subquery = inner;
                }
                select
                    .projection
                    .extend(exprs.into_iter().map(SelectItem::UnnamedExpr));
                if on_conflict {
                    query::ensure_where(select);
                }
            }
            *source = outer;
        }
    }
    Ok(())
}

/// A one-row `VALUES (…)` query.
fn values_query(exprs: Vec<Expr>) -> Result<Query, SqlError> {
    let mut q = template("VALUES (1)")?;
    if let SetExpr::Values(v) = q.body.as_mut()
        && let Some(row) = v.rows.first_mut()
    {
        row.content = exprs;
    }
    Ok(q)
}

/// A fixed query shape to fill in.
fn template(sql: &str) -> Result<Query, SqlError> {
    match parse::parse(sql)?.pop() {
        Some(Statement::Query(q)) => Ok(*q),
        _ => Err(SqlError::syntax(format!("internal template `{sql}`"))),
    }
}

#[cfg(test)]
#[path = "defaults_tests.rs"]
mod tests;

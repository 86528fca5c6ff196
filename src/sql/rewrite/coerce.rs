//! String literals given the type of the column they are stored into or compared with,
//! as PostgreSQL types an untyped literal from its context.
//!
//! SQLite keeps a literal as the text it was written: `'true'` in a boolean column stays
//! the text `true` (so `WHERE flag` misses the row), `'\x00'` in a bytea column stays
//! four characters, and `'2024-03-04 05:00+01'` in a timestamptz column keeps its offset
//! (so ordering by time compares local times). PostgreSQL reads each of them as a value
//! of the column's type. This pass, run on the SQLite tree after the expression walk,
//! does the same for the places a literal meets a column of known type:
//!
//! * INSERT … VALUES (the INSERT's column list, or the table's columns in order);
//! * UPDATE … SET and ON CONFLICT … DO UPDATE SET;
//! * `column <op> 'literal'` and `column IN ('…', …)` in WHERE, when the statement reads
//!   a single table (so an unqualified column can only be that table's).
//!
//! Booleans become 1/0 (an unreadable spelling is PostgreSQL's 22P02 error), uuids
//! lower-case with hyphens, bytea
//! literals in hex (`\x…`) or escape format become blob literals, and date/timestamp
//! texts are written in the form pgrq stores (`time_literals`; timestamptz in UTC). A
//! date/time text that does not read as one is left as it is. It owns no other rewrite and must not change
//! anything that is not a plain string literal.

use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Expr, FromTable, Insert, OnConflictAction, OnInsert, SetExpr,
    Statement, TableFactor, TableObject, Update, Value, ValueWithSpan,
};

use super::time_literals;
use crate::sql::input;
use crate::sql::schema::{ColumnInfo, Schema, find_column};
use crate::sql::{PgType, SqlError, floats};

/// Give the string literals of `stmt` the types of the columns they meet.
pub(super) fn coerce_literals(stmt: &mut Statement, schema: &dyn Schema) -> Result<(), SqlError> {
    match stmt {
        Statement::Insert(insert) => coerce_insert(insert, schema),
        Statement::Update(Update {
            table,
            assignments,
            selection,
            from,
            ..
        }) => {
            let single = from.is_none() && table.joins.is_empty();
            let Some((name, alias)) = table_name(&table.relation) else {
                return Ok(());
            };
            let Some(columns) = schema.columns(&name) else {
                return Ok(());
            };
            for a in assignments.iter_mut() {
                if let AssignmentTarget::ColumnName(col) = &a.target
                    && let Some(last) = col.0.last().and_then(|p| p.as_ident())
                    && let Some(c) = find_column(&columns, &last.value)
                {
                    coerce(&mut a.value, c)?;
                }
            }
            if single && let Some(sel) = selection {
                coerce_predicate(sel, &name, alias.as_deref(), &columns)?;
            }
            Ok(())
        }
        Statement::Delete(delete) => {
            let tables = match &delete.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            if tables.len() != 1 || !tables[0].joins.is_empty() || delete.using.is_some() {
                return Ok(());
            }
            let Some((name, alias)) = table_name(&tables[0].relation) else {
                return Ok(());
            };
            let Some(columns) = schema.columns(&name) else {
                return Ok(());
            };
            if let Some(sel) = delete.selection.as_mut() {
                coerce_predicate(sel, &name, alias.as_deref(), &columns)?;
            }
            Ok(())
        }
        Statement::Query(q) => match q.body.as_mut() {
            SetExpr::Insert(inner) => coerce_literals(inner, schema),
            SetExpr::Select(select) => {
                if select.from.len() != 1 || !select.from[0].joins.is_empty() {
                    return Ok(());
                }
                let Some((name, alias)) = table_name(&select.from[0].relation) else {
                    return Ok(());
                };
                let Some(columns) = schema.columns(&name) else {
                    return Ok(());
                };
                if let Some(sel) = select.selection.as_mut() {
                    coerce_predicate(sel, &name, alias.as_deref(), &columns)?;
                }
                Ok(())
            }
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn coerce_insert(insert: &mut Insert, schema: &dyn Schema) -> Result<(), SqlError> {
    let TableObject::TableName(name) = &insert.table else {
        return Ok(());
    };
    let Some(key) = object_key(name) else {
        return Ok(());
    };
    let Some(columns) = schema.columns(&key) else {
        return Ok(());
    };
    let targets: Vec<Option<&ColumnInfo>> = if insert.columns.is_empty() {
        columns.iter().map(Some).collect()
    } else {
        insert
            .columns
            .iter()
            .map(|c| object_key(c).and_then(|k| find_column(&columns, &k)))
            .collect()
    };
    if let Some(source) = insert.source.as_mut()
        && let SetExpr::Values(values) = source.body.as_mut()
    {
        for row in values.rows.iter_mut() {
            for (expr, col) in row.iter_mut().zip(targets.iter()) {
                if let Some(col) = col {
                    coerce(expr, col)?;
                }
            }
        }
    }
    if let Some(OnInsert::OnConflict(oc)) = insert.on.as_mut()
        && let OnConflictAction::DoUpdate(update) = &mut oc.action
    {
        for a in update.assignments.iter_mut() {
            if let AssignmentTarget::ColumnName(col) = &a.target
                && let Some(last) = col.0.last().and_then(|p| p.as_ident())
                && let Some(c) = find_column(&columns, &last.value)
            {
                coerce(&mut a.value, c)?;
            }
        }
    }
    Ok(())
}

/// The table key (lower-cased, no `public.`) and alias of a plain table reference.
fn table_name(tf: &TableFactor) -> Option<(String, Option<String>)> {
    let TableFactor::Table { name, alias, .. } = tf else {
        return None;
    };
    Some((
        object_key(name)?,
        alias.as_ref().map(|a| a.name.value.clone()),
    ))
}

fn object_key(name: &sqlparser::ast::ObjectName) -> Option<String> {
    let last = name.0.last()?.as_ident()?;
    Some(last.value.clone())
}

/// Comparisons of this table's columns with string literals, through AND/OR/NOT and
/// parentheses (not into subqueries, which have their own FROM).
fn coerce_predicate(
    e: &mut Expr,
    table: &str,
    alias: Option<&str>,
    columns: &[ColumnInfo],
) -> Result<(), SqlError> {
    match e {
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::And | BinaryOperator::Or => {
                coerce_predicate(left, table, alias, columns)?;
                coerce_predicate(right, table, alias, columns)
            }
            BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq => {
                if let Some(c) = column_of(left, table, alias, columns) {
                    coerce(right, c)?;
                } else if let Some(c) = column_of(right, table, alias, columns) {
                    coerce(left, c)?;
                }
                Ok(())
            }
            _ => Ok(()),
        },
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => {
            coerce_predicate(inner, table, alias, columns)
        }
        Expr::IsDistinctFrom(l, r) | Expr::IsNotDistinctFrom(l, r) => {
            if let Some(c) = column_of(l, table, alias, columns) {
                coerce(r, c)?;
            } else if let Some(c) = column_of(r, table, alias, columns) {
                coerce(l, c)?;
            }
            Ok(())
        }
        Expr::InList { expr, list, .. } => {
            if let Some(c) = column_of(expr, table, alias, columns) {
                for item in list.iter_mut() {
                    coerce(item, c)?;
                }
            }
            Ok(())
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            if let Some(c) = column_of(expr, table, alias, columns) {
                coerce(low, c)?;
                coerce(high, c)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn column_of<'c>(
    e: &Expr,
    table: &str,
    alias: Option<&str>,
    columns: &'c [ColumnInfo],
) -> Option<&'c ColumnInfo> {
    match e {
        Expr::Identifier(id) => find_column(columns, &id.value),
        Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
            let q = &parts[0].value;
            let matches = alias.map_or(q.eq_ignore_ascii_case(table), |a| q == a);
            matches
                .then(|| find_column(columns, &parts[1].value))
                .flatten()
        }
        Expr::Nested(inner) => column_of(inner, table, alias, columns),
        _ => None,
    }
}

/// Replace `e`, when it is a plain string literal, by the value column `col` would hold.
fn coerce(e: &mut Expr, col: &ColumnInfo) -> Result<(), SqlError> {
    if PgType::from_decl(&col.decl_type) == PgType::Numeric {
        match e {
            Expr::Value(ValueWithSpan {
                value: Value::Number(n, _) | Value::SingleQuotedString(n),
                ..
            }) => super::numeric_fold::check_storable(n, &col.decl_type)?,
            Expr::UnaryOp { expr, .. } => {
                if let Expr::Value(ValueWithSpan {
                    value: Value::Number(n, _),
                    ..
                }) = expr.as_ref()
                {
                    super::numeric_fold::check_storable(n, &col.decl_type)?;
                }
            }
            _ => {}
        }
    }
    let Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(text),
        ..
    }) = e
    else {
        return Ok(());
    };
    let replacement = match PgType::from_decl(&col.decl_type) {
        PgType::Bool => Some(Value::Number(
            if parse_bool(text)? { "1" } else { "0" }.into(),
            false,
        )),
        PgType::Bytea => Some(Value::HexStringLiteral(bytea_hex(text)?)),
        pg @ (PgType::BoolArray
        | PgType::Int2Array
        | PgType::Int4Array
        | PgType::Int8Array
        | PgType::TextArray) => Some(Value::SingleQuotedString(
            super::array_values::canonical_text(text, pg.element().unwrap_or(PgType::Text))?,
        )),
        PgType::Uuid => {
            // Lower-case and hyphenated, as PostgreSQL stores and prints it (22P02 if bad).
            *e = super::checked_casts::uuid(e)?;
            return Ok(());
        }
        pg @ (PgType::Date | PgType::Timestamp | PgType::Timestamptz | PgType::Time) => {
            time_literals::normalize(text, pg).map(Value::SingleQuotedString)
        }
        pg @ (PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Numeric)
            if !input::is_special_number(text) =>
        {
            Some(Value::Number(input::number_input(text, pg)?, false))
        }
        pg @ (PgType::Float4 | PgType::Float8) => {
            let f = floats::checked_input(text, pg)?;
            if f.is_finite() {
                // As written (SQLite reads the same number); `1e5` stays a REAL.
                let t = text.trim();
                Some(Value::Number(
                    t.strip_prefix('+').unwrap_or(t).to_string(),
                    false,
                ))
            } else {
                *e = float_expr(f);
                return Ok(());
            }
        }
        _ => None,
    };
    if let Some(v) = replacement {
        *e = Expr::value(v);
    }
    Ok(())
}

/// A NaN or ±Infinity value as pgrq holds it in SQLite (`sql::floats`): the text
/// `'NaN'`, or the REAL literal that overflows to ±Inf.
pub(super) fn float_expr(f: f64) -> Expr {
    if f.is_nan() {
        super::string(floats::NAN_TEXT)
    } else {
        super::number(&floats::sql_literal(f))
    }
}

/// PostgreSQL's boolean input: any unique prefix of true/false/yes/no/on/off, or 1/0,
/// case-insensitive, surrounding spaces ignored.
pub(super) fn parse_bool(text: &str) -> Result<bool, SqlError> {
    let t = text.trim().to_ascii_lowercase();
    let is_prefix = |word: &str, min: usize| t.len() >= min && word.starts_with(&t);
    if is_prefix("true", 1) || is_prefix("yes", 1) || t == "on" || t == "1" {
        return Ok(true);
    }
    if is_prefix("false", 1) || is_prefix("no", 1) || is_prefix("off", 2) || t == "0" {
        return Ok(false);
    }
    Err(SqlError::InvalidText {
        message: format!("invalid input syntax for type boolean: \"{text}\""),
    })
}

/// A bytea literal's bytes as hex digits: `\x…` hex format, else the escape format
/// (`\\` and `\ooo` octal escapes, other characters as their UTF-8 bytes).
pub(super) fn bytea_hex(text: &str) -> Result<String, SqlError> {
    let bad = |what: &str| SqlError::InvalidText {
        message: format!("invalid {what} in bytea literal \"{text}\""),
    };
    if let Some(hex) = text
        .strip_prefix("\\x")
        .or_else(|| text.strip_prefix("\\X"))
    {
        let digits: String = hex.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if !digits.len().is_multiple_of(2) {
            return Err(SqlError::InvalidText {
                message: "invalid hexadecimal data: odd number of digits".into(),
            });
        }
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad("hexadecimal digit"));
        }
        return Ok(digits.to_ascii_lowercase());
    }
    let mut bytes = Vec::with_capacity(text.len());
    let raw = text.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            bytes.push(raw[i]);
            i += 1;
        } else if raw.get(i + 1) == Some(&b'\\') {
            bytes.push(b'\\');
            i += 2;
        } else {
            let oct = raw
                .get(i + 1..i + 4)
                .ok_or_else(|| bad("escape sequence"))?;
            if !(b'0'..=b'3').contains(&oct[0])
                || !oct[1..].iter().all(|b| (b'0'..=b'7').contains(b))
            {
                return Err(bad("escape sequence"));
            }
            bytes.push(oct.iter().fold(0u8, |acc, d| acc * 8 + (d - b'0')));
            i += 4;
        }
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
#[path = "coerce_tests.rs"]
mod tests;

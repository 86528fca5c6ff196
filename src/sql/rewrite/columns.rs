//! Column definitions in CREATE TABLE and ALTER TABLE … ADD COLUMN.
//!
//! SERIAL and identity columns: SQLite auto-assigns a column only when it
//! is the rowid alias, which requires the declared type to be exactly
//! `INTEGER` and the column to be the whole primary key. So a SERIAL,
//! BIGSERIAL, SMALLSERIAL or `GENERATED … AS IDENTITY` primary key is
//! written `INTEGER` (keeping its PRIMARY KEY wherever it was declared).
//! The declared type then reads back as `INTEGER` (int4), so an int8 or
//! int2 key (BIGSERIAL, SMALLSERIAL, bigint/smallint identity) names its
//! column-level PRIMARY KEY constraint `pgrq_type_int8` / `pgrq_type_int2`
//! (or, when the user named the key, a `CHECK (1)` of that name): SQLite keeps
//! that name in `sqlite_schema`, and the schema mirror reports the column's type
//! from it. An identity column also gets a `CONSTRAINT "pgrq_identity_always"` /
//! `"pgrq_identity_default"` `CHECK (1)` marker, by which `identity` refuses
//! explicit values into an ALWAYS column (428C9) and the catalog tells an identity
//! column from a serial one. A serial or identity column that is
//! not the single-column primary key is refused. A column-level key also
//! gets AUTOINCREMENT (see `auto_increment_column`).

use sqlparser::ast::{
    ColumnDef, ColumnOption, ColumnOptionDef, DataType, Expr, IndexColumn, TableConstraint,
};

use sqlparser::tokenizer::Token;

use super::{relations, types};
use crate::sql::{PgType, SqlError};

/// Where a column stands with respect to the table's primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyRole {
    /// The whole primary key (column-level or single-column table-level).
    SoleKey,
    /// One column of a composite primary key.
    KeyPart,
    /// Not part of the primary key.
    NotKey,
}

/// The primary-key role of `col` given the table constraints.
pub(super) fn key_role(col: &ColumnDef, constraints: &[TableConstraint]) -> KeyRole {
    let column_level = col
        .options
        .iter()
        .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)));
    if column_level {
        return KeyRole::SoleKey;
    }
    let name = relations::fold(&col.name);
    for c in constraints {
        if let TableConstraint::PrimaryKey(pk) = c {
            let names = index_column_names(&pk.columns);
            if names.contains(&name) {
                return if names.len() == 1 {
                    KeyRole::SoleKey
                } else {
                    KeyRole::KeyPart
                };
            }
        }
    }
    KeyRole::NotKey
}

/// Folded names of plain-column index entries.
pub(super) fn index_column_names(columns: &[IndexColumn]) -> Vec<String> {
    columns
        .iter()
        .filter_map(|c| match &c.column.expr {
            Expr::Identifier(ident) => Some(relations::fold(ident)),
            _ => None,
        })
        .collect()
}

/// Rewrite one column definition for SQLite.
pub(super) fn rewrite_column(col: &mut ColumnDef, role: KeyRole) -> Result<(), SqlError> {
    super::uuid_defaults::mark_column(col);
    let identity = col.options.iter().any(|o| is_identity(&o.option));
    let serial = types::serial_type(&col.data_type);
    if serial.is_some() || identity {
        return auto_increment_column(col, role, identity);
    }
    check_options(col)?;
    super::type_checks::add_type_check(col)?;
    col.data_type = types::ddl_type(&col.data_type)?;
    if role != KeyRole::NotKey {
        require_not_null(col);
    }
    Ok(())
}

fn auto_increment_column(
    col: &mut ColumnDef,
    role: KeyRole,
    identity: bool,
) -> Result<(), SqlError> {
    let what = if identity {
        "identity column"
    } else {
        "SERIAL"
    };
    if role != KeyRole::SoleKey {
        return Err(SqlError::unsupported(format!(
            "{what} on a non-primary-key column (\"{}\")",
            col.name.value
        )));
    }
    if identity {
        let base = PgType::from_sqlparser(&col.data_type);
        if !matches!(base, PgType::Int2 | PgType::Int4 | PgType::Int8) {
            return Err(SqlError::unsupported(format!(
                "identity column of type {}",
                col.data_type
            )));
        }
    }
    // Options the rowid cannot honour are refused (START WITH is seeded by `identity`).
    super::identity::start_value(col)?;
    let pg = types::serial_type(&col.data_type)
        .unwrap_or_else(|| PgType::from_sqlparser(&col.data_type));
    let always = col.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::Generated {
                generated_as: sqlparser::ast::GeneratedAs::Always,
                generation_expr: None,
                ..
            }
        )
    });
    col.options.retain(|o| !is_identity(&o.option));
    if identity {
        // Read back by `identity` to refuse explicit values into an ALWAYS column, as
        // PostgreSQL does, and by the catalog (attidentity, information_schema).
        let marker = if always {
            crate::sql::markers::IDENTITY_ALWAYS
        } else {
            crate::sql::markers::IDENTITY_DEFAULT
        };
        col.options.push(ColumnOptionDef {
            name: Some(sqlparser::ast::Ident::with_quote('"', marker)),
            option: ColumnOption::Check(sqlparser::ast::CheckConstraint {
                name: None,
                expr: Box::new(super::number("1")),
                no_inherit: false,
                enforced: None,
            }),
        });
    }
    check_options(col)?;
    col.data_type = DataType::Integer(None);
    // AUTOINCREMENT keeps SQLite from reusing the ids of deleted rows, as a
    // PostgreSQL sequence never hands out a value twice. SQLite accepts it
    // only right after a column-level PRIMARY KEY; a table-level key keeps
    // plain rowid assignment (max + 1).
    if let Some(at) = col
        .options
        .iter()
        .position(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
    {
        // The declared type must stay exactly INTEGER, so an int8/int2 key records its
        // PostgreSQL type in the constraint's name, which SQLite keeps in sqlite_schema
        // and the schema mirror reads back (`crate::sql::TYPE_MARKER_PREFIX`).
        // A key the user named keeps its name; the marker then names a CHECK (1).
        if matches!(pg, PgType::Int8 | PgType::Int2) {
            let marker = sqlparser::ast::Ident::with_quote(
                '"',
                format!("{}{}", crate::sql::TYPE_MARKER_PREFIX, pg.name()),
            );
            if col.options[at].name.is_none() {
                col.options[at].name = Some(marker);
            } else {
                col.options.push(ColumnOptionDef {
                    name: Some(marker),
                    option: ColumnOption::Check(sqlparser::ast::CheckConstraint {
                        name: None,
                        expr: Box::new(super::number("1")),
                        no_inherit: false,
                        enforced: None,
                    }),
                });
            }
        }
        col.options.insert(
            at + 1,
            ColumnOptionDef {
                name: None,
                option: ColumnOption::DialectSpecific(vec![Token::make_keyword("AUTOINCREMENT")]),
            },
        );
    }
    Ok(())
}

pub(super) fn is_identity(option: &ColumnOption) -> bool {
    match option {
        ColumnOption::Generated {
            generation_expr, ..
        } => generation_expr.is_none(),
        ColumnOption::Identity(_) => true,
        _ => false,
    }
}

/// PostgreSQL rejects NULL in a primary key; SQLite allows it unless told.
fn require_not_null(col: &mut ColumnDef) {
    let has = col
        .options
        .iter()
        .any(|o| matches!(o.option, ColumnOption::NotNull));
    if !has {
        col.options.push(ColumnOptionDef {
            name: None,
            option: ColumnOption::NotNull,
        });
    }
}

fn check_options(col: &mut ColumnDef) -> Result<(), SqlError> {
    for def in &mut col.options {
        match &mut def.option {
            ColumnOption::Null
            | ColumnOption::NotNull
            | ColumnOption::Default(_)
            | ColumnOption::Check(_) => {}
            ColumnOption::PrimaryKey(pk) => {
                if !pk.include.is_empty() {
                    return Err(SqlError::unsupported("PRIMARY KEY … INCLUDE"));
                }
            }
            ColumnOption::Unique(u) => {
                if !u.include.is_empty() {
                    return Err(SqlError::unsupported("UNIQUE … INCLUDE"));
                }
            }
            ColumnOption::ForeignKey(fk) => relations::strip_schema(&mut fk.foreign_table)?,
            ColumnOption::Collation(name) => *name = super::expr::sqlite_collation(name)?,
            // GENERATED ALWAYS AS (expr) STORED: same syntax in SQLite.
            ColumnOption::Generated {
                generation_expr: Some(_),
                ..
            } => {}
            other => {
                return Err(SqlError::unsupported(format!("column option {other}")));
            }
        }
    }
    Ok(())
}

/// rqlite replaces every `'now'` literal it receives, DDL included, with the
/// current julian day, so `DEFAULT (strftime(…, 'now'))` would store the
/// table's creation time as every row's default. Spell it `'n' || 'ow'`,
/// which SQLite still reads as the clock. pgrq's own INSERTs never rely on
/// this default: they carry the time explicitly (see `time_defaults`).
pub(super) fn hide_now_in_defaults(col: &mut ColumnDef) {
    for def in &mut col.options {
        if let ColumnOption::Default(expr) = &mut def.option {
            super::time_defaults::hide_now(expr);
        }
    }
}

/// SQLite accepts a bare literal (optionally signed) as a DEFAULT; any other
/// expression must be parenthesised.
pub(super) fn parenthesize_defaults(col: &mut ColumnDef) {
    super::uuid_defaults::finish_column(col);
    for def in &mut col.options {
        if let ColumnOption::Default(expr) = &mut def.option
            && !is_plain_literal(expr)
        {
            let inner = std::mem::replace(expr, super::number("0"));
            *expr = Expr::Nested(Box::new(inner));
        }
    }
}

fn is_plain_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Value(_) | Expr::Nested(_) => true,
        Expr::UnaryOp { expr, .. } => matches!(**expr, Expr::Value(_)),
        _ => false,
    }
}

/// Index columns in SQLite take no NULLS FIRST/LAST: drop one written by the user
/// (before the walk) and clear the walk's default (after).
/// B-tree operator classes (`text_pattern_ops`, `int4_ops`, …) only decide which
/// operators the index serves, never a result: they are dropped.
pub(super) fn check_index_columns(columns: &mut [IndexColumn]) -> Result<(), SqlError> {
    for c in columns {
        // Like the direction, NULLS FIRST/LAST only orders the index, never a result.
        c.column.options.nulls_first = None;
        if let Some(class) = &c.operator_class {
            let name = class.to_string().to_ascii_lowercase();
            let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
            if !name.ends_with("_ops") || name.contains("gin") || name.contains("gist") {
                return Err(SqlError::unsupported(format!("operator class {class}")));
            }
            c.operator_class = None;
        }
    }
    Ok(())
}

pub(super) fn clear_index_nulls(columns: &mut [IndexColumn]) {
    for c in columns {
        c.column.options.nulls_first = None;
    }
}

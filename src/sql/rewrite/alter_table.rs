//! ALTER TABLE forms SQLite lacks, done by a table rebuild (`rebuild`): ALTER COLUMN …
//! TYPE (USING only as a plain cast of the column itself), SET/DROP NOT NULL, SET/DROP
//! DEFAULT, ADD CONSTRAINT (CHECK, FOREIGN KEY, UNIQUE), and several actions in one
//! statement (ADD COLUMN among them). The new definitions go through the ordinary
//! translation, so PostgreSQL type names, type checks and markers are kept.
//!
//! The single actions SQLite has (ADD/DROP/RENAME COLUMN, RENAME TO) stay on the ordinary
//! path (`ddl.rs`).

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnOption, ColumnOptionDef, Expr,
    TableConstraint,
};

use super::ddl_plan::ddl;
use super::rebuild::{self, translate_column, translate_constraint};
use super::relations;
use crate::sql::markers::{BPCHAR_CHECK, ENUM_CHECK, NUMERIC_CHECK, VARCHAR_CHECK};
use crate::sql::schema::Schema;
use crate::sql::{Context, SqlError, Translated};

/// Whether `at` needs a rebuild.
pub(super) fn needs_rebuild(at: &AlterTable) -> bool {
    at.operations.len() > 1
        || at.operations.iter().any(|op| {
            matches!(
                op,
                AlterTableOperation::AlterColumn { .. } | AlterTableOperation::AddConstraint { .. }
            )
        })
}

pub(super) fn plan(
    at: &AlterTable,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Translated, SqlError> {
    if at.if_exists {
        return Err(SqlError::unsupported("ALTER TABLE IF EXISTS"));
    }
    let mut name = at.name.clone();
    relations::strip_schema(&mut name)?;
    let key = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(relations::fold)
        .unwrap_or_default();
    let table = rebuild::load(schema, &key)?;
    let mut new = table.create.clone();
    // Columns added by this statement are not copied: they take their default.
    let copy = rebuild::same_columns(&new);
    for op in &at.operations {
        apply(op, &mut new, ctx, schema)?;
    }
    Ok(ddl(
        "ALTER TABLE",
        rebuild::statements(schema, &table, new, &copy)?,
    ))
}

fn apply(
    op: &AlterTableOperation,
    new: &mut sqlparser::ast::CreateTable,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<(), SqlError> {
    match op {
        AlterTableOperation::AlterColumn { column_name, op } => {
            let name = relations::fold(column_name);
            alter_column(new, &name, op, ctx, schema)
        }
        AlterTableOperation::AddConstraint {
            constraint,
            not_valid,
        } => {
            if *not_valid {
                return Err(SqlError::unsupported("ADD CONSTRAINT … NOT VALID"));
            }
            if matches!(constraint, TableConstraint::PrimaryKey(_)) {
                return Err(SqlError::unsupported("ALTER TABLE … ADD PRIMARY KEY"));
            }
            let c = translate_constraint(&constraint.to_string(), ctx, schema)?;
            new.constraints.push(c);
            Ok(())
        }
        AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            column_position,
            ..
        } => {
            if *if_not_exists || column_position.is_some() {
                return Err(SqlError::unsupported(
                    "ADD COLUMN IF NOT EXISTS / FIRST / AFTER",
                ));
            }
            let col = translate_column(&column_def.to_string(), ctx, schema)?;
            if new
                .columns
                .iter()
                .any(|c| c.name.value.eq_ignore_ascii_case(&col.name.value))
            {
                return Err(SqlError::DuplicateObject {
                    message: format!("column \"{}\" of relation already exists", col.name.value),
                    relation: false,
                });
            }
            new.columns.push(col);
            Ok(())
        }
        other => Err(SqlError::unsupported(format!(
            "ALTER TABLE … {other} together with other actions"
        ))),
    }
}

fn alter_column(
    new: &mut sqlparser::ast::CreateTable,
    name: &str,
    op: &AlterColumnOperation,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<(), SqlError> {
    let col = rebuild::column(new, name)?;
    match op {
        AlterColumnOperation::SetNotNull => {
            col.options
                .retain(|o| !matches!(o.option, ColumnOption::Null | ColumnOption::NotNull));
            col.options.push(ColumnOptionDef {
                name: None,
                option: ColumnOption::NotNull,
            });
        }
        AlterColumnOperation::DropNotNull => {
            if col
                .options
                .iter()
                .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
            {
                return Err(SqlError::syntax(format!(
                    "column \"{name}\" is in a primary key"
                )));
            }
            col.options
                .retain(|o| !matches!(o.option, ColumnOption::NotNull));
        }
        AlterColumnOperation::DropDefault => {
            col.options
                .retain(|o| !matches!(o.option, ColumnOption::Default(_)));
        }
        AlterColumnOperation::SetDefault { value } => {
            let scratch = translate_column(&format!("pgrq_c text DEFAULT {value}"), ctx, schema)?;
            col.options
                .retain(|o| !matches!(o.option, ColumnOption::Default(_)));
            col.options.extend(
                scratch
                    .options
                    .into_iter()
                    .filter(|o| matches!(o.option, ColumnOption::Default(_))),
            );
        }
        AlterColumnOperation::SetDataType {
            data_type, using, ..
        } => {
            if let Some(using) = using
                && !is_plain_cast_of(using, name)
            {
                return Err(SqlError::unsupported(
                    "ALTER COLUMN … TYPE … USING an expression other than the column itself",
                ));
            }
            if col
                .options
                .iter()
                .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
            {
                return Err(SqlError::unsupported(
                    "changing the type of a primary key column",
                ));
            }
            let scratch = translate_column(&format!("pgrq_c {data_type}"), ctx, schema)?;
            col.data_type = scratch.data_type;
            let type_check = |o: &ColumnOptionDef| {
                o.name.as_ref().is_some_and(|n| {
                    [VARCHAR_CHECK, BPCHAR_CHECK, NUMERIC_CHECK, ENUM_CHECK]
                        .iter()
                        .any(|p| n.value.starts_with(p))
                })
            };
            col.options.retain(|o| !type_check(o));
            // The scratch checks name their column `pgrq_c`: write them for this one.
            let column = col.name.value.clone();
            for mut o in scratch.options.into_iter().filter(|o| type_check(o)) {
                if let ColumnOption::Check(c) = &mut o.option {
                    rename_column_refs(&mut c.expr, "pgrq_c", &column);
                }
                col.options.push(o);
            }
        }
        AlterColumnOperation::AddGenerated { .. } => {
            return Err(SqlError::unsupported("ALTER COLUMN … ADD GENERATED"));
        }
    }
    Ok(())
}

/// `USING c`, `USING c::type`, `USING CAST(c AS type)`.
fn is_plain_cast_of(e: &Expr, column: &str) -> bool {
    match e {
        Expr::Identifier(i) => relations::fold(i) == column,
        Expr::Cast { expr, .. } | Expr::Nested(expr) => is_plain_cast_of(expr, column),
        _ => false,
    }
}

fn rename_column_refs(e: &mut Expr, from: &str, to: &str) {
    let _ = sqlparser::ast::visit_expressions_mut(e, |e| {
        if let Expr::Identifier(i) = e
            && i.value == from
        {
            i.value = to.to_string();
            i.quote_style = Some('"');
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
}

#[cfg(test)]
#[path = "alter_table_tests.rs"]
mod tests;

//! DDL: CREATE TABLE / INDEX / VIEW, DROP, ALTER TABLE. Shapes are fixed up
//! before the walk ([`prepare`]); DEFAULT parentheses and index-column
//! cleanup happen after it ([`finish`]), once expressions are rewritten.

use sqlparser::ast::{
    AlterTable, AlterTableOperation, CreateIndex, CreateTable, CreateTableOptions, CreateView,
    Expr, Ident, IndexType, NullsDistinctOption, ObjectName, ObjectType, RenameTableNameKind,
    Statement, TableConstraint,
};

use super::columns::{self, KeyRole};
use super::{relations, time_defaults};
use crate::sql::SqlError;

/// Statement-shape changes before the expression walk.
pub(super) fn prepare(stmt: &mut Statement) -> Result<(), SqlError> {
    match stmt {
        Statement::CreateTable(ct) => create_table(ct),
        Statement::CreateIndex(ci) => create_index(ci),
        Statement::CreateView(cv) => create_view(cv),
        Statement::AlterTable(at) => alter_table(at),
        Statement::Drop {
            object_type,
            names,
            cascade,
            restrict,
            ..
        } => {
            if !matches!(
                object_type,
                ObjectType::Table | ObjectType::View | ObjectType::Index
            ) {
                return Err(SqlError::unsupported(format!("DROP {object_type}")));
            }
            if names.len() != 1 {
                return Err(SqlError::unsupported(format!(
                    "DROP {object_type} of several objects in one statement"
                )));
            }
            for name in names.iter_mut() {
                relations::strip_schema(name)?;
            }
            // SQLite has no CASCADE/RESTRICT: dropping a table drops its
            // indexes and triggers anyway; dependent views are left dangling.
            *cascade = false;
            *restrict = false;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Fix-ups that need the rewritten expressions.
pub(super) fn finish(stmt: &mut Statement) -> Result<(), SqlError> {
    match stmt {
        Statement::CreateTable(ct) => {
            for col in &mut ct.columns {
                columns::hide_now_in_defaults(col);
                columns::parenthesize_defaults(col);
            }
            for c in &mut ct.constraints {
                match c {
                    TableConstraint::PrimaryKey(pk) => columns::clear_index_nulls(&mut pk.columns),
                    TableConstraint::Unique(u) => columns::clear_index_nulls(&mut u.columns),
                    _ => {}
                }
            }
        }
        Statement::CreateIndex(ci) => columns::clear_index_nulls(&mut ci.columns),
        Statement::AlterTable(at) => {
            for op in &mut at.operations {
                if let AlterTableOperation::AddColumn { column_def, .. } = op {
                    columns::hide_now_in_defaults(column_def);
                    columns::parenthesize_defaults(column_def);
                }
            }
        }
        // A view is evaluated when read; a 'now' frozen by rqlite would
        // make it read the creation time forever.
        Statement::CreateView(cv) => time_defaults::hide_now(&mut cv.query),
        _ => {}
    }
    Ok(())
}

fn create_table(ct: &mut CreateTable) -> Result<(), SqlError> {
    if ct.temporary {
        return Err(SqlError::unsupported("CREATE TEMPORARY TABLE"));
    }
    let refused = [
        (ct.like.is_some(), "CREATE TABLE … LIKE"),
        (ct.inherits.is_some(), "CREATE TABLE … INHERITS"),
        (
            ct.partition_by.is_some() || ct.partition_of.is_some() || ct.for_values.is_some(),
            "table partitioning",
        ),
        (ct.on_commit.is_some(), "CREATE TABLE … ON COMMIT"),
        (ct.clone.is_some(), "CREATE TABLE … CLONE"),
        (ct.with_data.is_some(), "CREATE TABLE … WITH [NO] DATA"),
        (
            !matches!(ct.table_options, CreateTableOptions::None),
            "table storage options",
        ),
    ];
    if let Some((_, what)) = refused.iter().find(|(bad, _)| *bad) {
        return Err(SqlError::unsupported(*what));
    }
    // UNLOGGED only relaxes durability; SQLite tables are simply logged.
    ct.unlogged = false;
    for c in &mut ct.constraints {
        check_table_constraint(c)?;
    }
    key_onto_generated_column(ct);
    serial_as_key(ct);
    let roles: Vec<KeyRole> = ct
        .columns
        .iter()
        .map(|col| columns::key_role(col, &ct.constraints))
        .collect();
    for (col, role) in ct.columns.iter_mut().zip(roles) {
        columns::rewrite_column(col, role)?;
    }
    super::constraint_names::name_checks(ct);
    Ok(())
}

/// `PRIMARY KEY (id)` as a table constraint over a SERIAL or identity column (TypeORM's
/// form) becomes the column's own key, keeping its name: SQLite gives AUTOINCREMENT only
/// to a column-level key, and the schema mirror reads a column-level INTEGER key as the
/// serial/identity column it was declared as (a table-level one would read back as a
/// plain `integer` without default).
fn key_onto_generated_column(ct: &mut CreateTable) {
    let column_level = ct.columns.iter().any(|c| {
        c.options
            .iter()
            .any(|o| matches!(o.option, sqlparser::ast::ColumnOption::PrimaryKey(_)))
    });
    if column_level {
        return;
    }
    let Some(at) = ct
        .constraints
        .iter()
        .position(|c| matches!(c, TableConstraint::PrimaryKey(pk) if pk.columns.len() == 1))
    else {
        return;
    };
    let TableConstraint::PrimaryKey(pk) = &ct.constraints[at] else {
        return;
    };
    let names = columns::index_column_names(&pk.columns);
    let [key] = names.as_slice() else {
        return;
    };
    let generated = |c: &sqlparser::ast::ColumnDef| {
        super::types::serial_type(&c.data_type).is_some()
            || c.options.iter().any(|o| columns::is_identity(&o.option))
    };
    let Some(col) = ct
        .columns
        .iter_mut()
        .find(|c| relations::fold(&c.name) == *key && generated(c))
    else {
        return;
    };
    let TableConstraint::PrimaryKey(pk) = ct.constraints.remove(at) else {
        return;
    };
    col.options.push(sqlparser::ast::ColumnOptionDef {
        name: pk.name.clone(),
        option: sqlparser::ast::ColumnOption::PrimaryKey(sqlparser::ast::PrimaryKeyConstraint {
            name: None,
            columns: vec![],
            ..pk
        }),
    });
}

/// A table without a primary key whose one SERIAL or identity column would otherwise be
/// refused: that column becomes the key (SQLite auto-assigns only the rowid). The
/// difference: explicit duplicate values in it are refused (23505) where PostgreSQL would
/// store them.
fn serial_as_key(ct: &mut CreateTable) {
    let has_key = ct
        .constraints
        .iter()
        .any(|c| matches!(c, TableConstraint::PrimaryKey(_)))
        || ct.columns.iter().any(|c| {
            c.options
                .iter()
                .any(|o| matches!(o.option, sqlparser::ast::ColumnOption::PrimaryKey(_)))
        });
    let generated: Vec<usize> = ct
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            super::types::serial_type(&c.data_type).is_some()
                || c.options.iter().any(|o| columns::is_identity(&o.option))
        })
        .map(|(i, _)| i)
        .collect();
    if let ([i], false) = (generated.as_slice(), has_key) {
        ct.columns[*i]
            .options
            .push(sqlparser::ast::ColumnOptionDef {
                name: None,
                option: sqlparser::ast::ColumnOption::PrimaryKey(
                    sqlparser::ast::PrimaryKeyConstraint {
                        name: None,
                        index_name: None,
                        index_type: None,
                        columns: vec![],
                        include: vec![],
                        index_options: vec![],
                        characteristics: None,
                    },
                ),
            });
    }
}

fn check_table_constraint(c: &mut TableConstraint) -> Result<(), SqlError> {
    match c {
        TableConstraint::PrimaryKey(pk) => {
            if !pk.include.is_empty() {
                return Err(SqlError::unsupported("PRIMARY KEY … INCLUDE"));
            }
            columns::check_index_columns(&mut pk.columns)
        }
        TableConstraint::Unique(u) => {
            if !u.include.is_empty() {
                return Err(SqlError::unsupported("UNIQUE … INCLUDE"));
            }
            if matches!(u.nulls_distinct, NullsDistinctOption::NotDistinct) {
                return Err(SqlError::unsupported("UNIQUE NULLS NOT DISTINCT"));
            }
            u.nulls_distinct = NullsDistinctOption::None;
            columns::check_index_columns(&mut u.columns)
        }
        TableConstraint::ForeignKey(fk) => relations::strip_schema(&mut fk.foreign_table),
        TableConstraint::Check(_) => Ok(()),
        other => Err(SqlError::unsupported(format!("table constraint {other}"))),
    }
}

fn create_index(ci: &mut CreateIndex) -> Result<(), SqlError> {
    match &ci.using {
        // SQLite indexes are B-trees; a hash index answers the same queries.
        None | Some(IndexType::BTree) | Some(IndexType::Hash) => ci.using = None,
        Some(other) => return Err(SqlError::unsupported(format!("index method {other}"))),
    }
    // There is no concurrent build to ask for; SQLite locks the database.
    ci.concurrently = false;
    let refused = [
        (!ci.include.is_empty(), "CREATE INDEX … INCLUDE"),
        (ci.nulls_distinct == Some(false), "NULLS NOT DISTINCT"),
        (!ci.with.is_empty(), "index storage parameters"),
        (!ci.index_options.is_empty(), "index options"),
        (!ci.alter_options.is_empty(), "index options"),
    ];
    if let Some((_, what)) = refused.iter().find(|(bad, _)| *bad) {
        return Err(SqlError::unsupported(*what));
    }
    ci.nulls_distinct = None;
    columns::check_index_columns(&mut ci.columns)?;
    match &mut ci.name {
        Some(name) => relations::strip_schema(name)?,
        None => ci.name = Some(default_index_name(ci)),
    }
    Ok(())
}

/// PostgreSQL's name for an unnamed index: `<table>_<col>[_<col>…]_idx`.
fn default_index_name(ci: &CreateIndex) -> ObjectName {
    let table = ci
        .table_name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(relations::fold)
        .unwrap_or_default();
    let mut parts = vec![table];
    for c in &ci.columns {
        parts.push(match &c.column.expr {
            Expr::Identifier(ident) => relations::fold(ident),
            _ => "expr".to_string(),
        });
    }
    parts.push("idx".to_string());
    ObjectName::from(vec![Ident::new(parts.join("_"))])
}

fn create_view(cv: &mut CreateView) -> Result<(), SqlError> {
    let refused = [
        (cv.or_replace, "CREATE OR REPLACE VIEW"),
        (cv.or_alter, "CREATE OR ALTER VIEW"),
        (cv.materialized, "materialized views"),
        (cv.temporary, "CREATE TEMPORARY VIEW"),
        (
            !matches!(cv.options, CreateTableOptions::None),
            "view options",
        ),
        (cv.to.is_some(), "CREATE VIEW … TO"),
    ];
    if let Some((_, what)) = refused.iter().find(|(bad, _)| *bad) {
        return Err(SqlError::unsupported(*what));
    }
    if cv
        .columns
        .iter()
        .any(|c| c.data_type.is_some() || c.options.is_some())
    {
        return Err(SqlError::unsupported("typed view columns"));
    }
    Ok(())
}

fn alter_table(at: &mut AlterTable) -> Result<(), SqlError> {
    if at.if_exists {
        return Err(SqlError::unsupported("ALTER TABLE IF EXISTS"));
    }
    // ONLY excludes inheritance children, which SQLite tables never have.
    at.only = false;
    let [op] = at.operations.as_mut_slice() else {
        return Err(SqlError::unsupported(
            "several ALTER TABLE actions in one statement",
        ));
    };
    match op {
        AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            column_position,
            ..
        } => {
            if *if_not_exists {
                return Err(SqlError::unsupported("ADD COLUMN IF NOT EXISTS"));
            }
            if column_position.is_some() {
                return Err(SqlError::unsupported("ADD COLUMN … FIRST/AFTER"));
            }
            if columns::key_role(column_def, &[]) != KeyRole::NotKey {
                return Err(SqlError::unsupported("ADD COLUMN … PRIMARY KEY"));
            }
            let table = at
                .name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(relations::fold)
                .unwrap_or_default();
            super::constraint_names::name_column_checks(&table, column_def);
            columns::rewrite_column(column_def, KeyRole::NotKey)
        }
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            drop_behavior,
            ..
        } => {
            if *if_exists {
                return Err(SqlError::unsupported("DROP COLUMN IF EXISTS"));
            }
            if column_names.len() != 1 {
                return Err(SqlError::unsupported("dropping several columns at once"));
            }
            // CASCADE/RESTRICT: SQLite refuses to drop an indexed or
            // referenced column itself, which is RESTRICT's behaviour.
            *drop_behavior = None;
            Ok(())
        }
        AlterTableOperation::RenameColumn { .. } => Ok(()),
        AlterTableOperation::RenameTable { table_name } => match table_name {
            RenameTableNameKind::To(name) | RenameTableNameKind::As(name) => {
                relations::strip_schema(name)
            }
        },
        other => Err(SqlError::unsupported(format!("ALTER TABLE … {other}"))),
    }
}

#[cfg(test)]
#[path = "ddl_tests.rs"]
mod tests;

//! ALTER TABLE forms SQLite lacks, done by a table rebuild (`rebuild`): ALTER COLUMN …
//! TYPE (USING only as a plain cast of the column itself), SET/DROP NOT NULL, SET/DROP
//! DEFAULT, ADD/DROP CONSTRAINT (CHECK, FOREIGN KEY, UNIQUE), DROP COLUMN, and several
//! actions in one statement (ADD COLUMN among them). The new definitions go through the
//! ordinary translation, so PostgreSQL type names, type checks and markers are kept.
//!
//! The single actions SQLite has (ADD/DROP/RENAME COLUMN, RENAME TO) stay on the ordinary
//! path (`ddl.rs`).

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnDef, ColumnOption,
    ColumnOptionDef, Expr, TableConstraint,
};

use super::ddl_plan::ddl;
use super::rebuild::{self, translate_column, translate_constraint};
use super::relations;
use super::type_change;
use crate::sql::markers::{BPCHAR_CHECK, ENUM_CHECK, NUMERIC_CHECK, VARCHAR_CHECK};
use crate::sql::schema::Schema;
use crate::sql::{Context, PgType, SqlError, Translated};

/// Whether `at` needs a rebuild: actions SQLite lacks, several actions, or DROP COLUMN.
pub(super) fn needs_rebuild(at: &AlterTable, schema: &dyn Schema) -> bool {
    at.operations.len() > 1
        || at.operations.iter().any(|op| match op {
            AlterTableOperation::AlterColumn { .. }
            | AlterTableOperation::AddConstraint { .. }
            | AlterTableOperation::DropConstraint { .. } => true,
            // SQLite refuses to drop a column an index, a key, a UNIQUE or a foreign key
            // uses, where PostgreSQL drops those with it: a rebuild does that always.
            AlterTableOperation::DropColumn { .. } => schema.columns(&table_key(at)).is_some(),
            _ => false,
        })
}

fn table_key(at: &AlterTable) -> String {
    at.name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(relations::fold)
        .unwrap_or_default()
}

/// Names of the indexes of `table` whose columns or expressions name `column`.
fn indexes_using(schema: &dyn Schema, table: &str, column: &str) -> Vec<String> {
    schema
        .objects()
        .into_iter()
        .filter(|o| o.kind == "index" && o.table.eq_ignore_ascii_case(table))
        .filter(|o| mentions(&o.sql, column))
        .map(|o| o.name)
        .collect()
}

/// Whether the statement `sql` has the identifier `column` anywhere.
fn mentions(sql: &str, column: &str) -> bool {
    let Ok(stmts) =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::SQLiteDialect {}, sql)
    else {
        return true;
    };
    let hit = sqlparser::ast::visit_expressions(&stmts, |e| match e {
        Expr::Identifier(i) if i.value.eq_ignore_ascii_case(column) => {
            std::ops::ControlFlow::Break(())
        }
        Expr::CompoundIdentifier(parts)
            if parts
                .last()
                .is_some_and(|i| i.value.eq_ignore_ascii_case(column)) =>
        {
            std::ops::ControlFlow::Break(())
        }
        _ => std::ops::ControlFlow::Continue(()),
    });
    hit.is_break()
}

/// `IF EXISTS` / `IF NOT EXISTS` resolved against the schema: the statement without them,
/// or a no-op when nothing is left to do. Several columns in one DROP become one action
/// each.
pub(super) fn resolve_conditions(
    at: &mut AlterTable,
    schema: &dyn Schema,
) -> Result<Option<Translated>, SqlError> {
    let table = table_key(at);
    let columns = schema.columns(&table);
    if at.if_exists {
        if columns.is_none() {
            return Ok(Some(ddl("ALTER TABLE", vec!["SELECT 1".into()])));
        }
        at.if_exists = false;
    }
    let has = |c: &str| {
        columns
            .as_ref()
            .is_some_and(|cols| cols.iter().any(|k| k.name.eq_ignore_ascii_case(c)))
    };
    let mut ops = Vec::new();
    for op in std::mem::take(&mut at.operations) {
        match op {
            AlterTableOperation::AddColumn {
                column_keyword,
                if_not_exists: true,
                column_def,
                column_position,
            } => {
                if !has(&relations::fold(&column_def.name)) {
                    ops.push(AlterTableOperation::AddColumn {
                        column_keyword,
                        if_not_exists: false,
                        column_def,
                        column_position,
                    });
                }
            }
            AlterTableOperation::DropColumn {
                has_column_keyword,
                column_names,
                if_exists,
                drop_behavior,
            } => {
                for c in column_names {
                    if if_exists && !has(&relations::fold(&c)) {
                        continue;
                    }
                    ops.push(AlterTableOperation::DropColumn {
                        has_column_keyword,
                        column_names: vec![c],
                        if_exists: false,
                        drop_behavior,
                    });
                }
            }
            other => ops.push(other),
        }
    }
    if ops.is_empty() {
        return Ok(Some(ddl("ALTER TABLE", vec!["SELECT 1".into()])));
    }
    at.operations = ops;
    Ok(None)
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
    let mut dropped_indexes = Vec::new();
    for op in &at.operations {
        if let AlterTableOperation::DropColumn { column_names, .. } = op {
            for c in column_names {
                let c = relations::fold(c);
                drop_column(schema, &table.name, &mut new, &c)?;
                dropped_indexes.extend(indexes_using(schema, &table.name, &c));
            }
            continue;
        }
        apply(op, &mut new, ctx, schema)?;
    }
    // Columns added by this statement are not copied: they take their default.
    let mut copy = Vec::new();
    let mut guards = Vec::new();
    for col in &new.columns {
        let old = table
            .create
            .columns
            .iter()
            .find(|k| k.name.value.eq_ignore_ascii_case(&col.name.value));
        if let Some(old) = old {
            copy.push((col.name.value.clone(), type_change::copy_expr(old, col)));
            guards.extend(type_change::guard(&table.name, old, col));
        }
    }
    let mut stmts = rebuild::statements(schema, &table, new, &copy)?;
    stmts.extend(guards);
    // PostgreSQL drops the indexes of a dropped column with it.
    let objects = schema.objects();
    stmts.retain(|s| {
        !objects
            .iter()
            .any(|o| o.kind == "index" && dropped_indexes.contains(&o.name) && o.sql == *s)
    });
    Ok(ddl("ALTER TABLE", stmts))
}

/// Remove column `name` from `new`, as PostgreSQL's DROP COLUMN (RESTRICT): refused while
/// a view uses it or it is (part of) the primary key.
fn drop_column(
    schema: &dyn Schema,
    table: &str,
    new: &mut sqlparser::ast::CreateTable,
    name: &str,
) -> Result<(), SqlError> {
    let col = rebuild::column(new, name)?;
    if col
        .options
        .iter()
        .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
    {
        return Err(SqlError::unsupported(format!(
            "dropping primary key column \"{name}\""
        )));
    }
    let objects = schema.objects();
    for v in super::drops::dependent_views(&objects, table) {
        let sql = objects.iter().find(|o| o.name == v).map(|o| o.sql.as_str());
        if sql.is_none_or(|s| mentions(s, name)) {
            return Err(SqlError::DependentObjects {
                message: format!(
                    "cannot drop column {name} of table {table} because other objects depend on it"
                ),
                detail: format!("view {v} depends on column {name} of table {table}"),
            });
        }
    }
    new.columns
        .retain(|c| !c.name.value.eq_ignore_ascii_case(name));
    // Table constraints on the column go with it (PostgreSQL drops them too).
    new.constraints.retain(|c| {
        let text = format!("CREATE TABLE pgrq_x (pgrq_c INT, {c})");
        !mentions(&text, name)
            && !constraint_columns(c)
                .iter()
                .any(|k| k.eq_ignore_ascii_case(name))
    });
    if new.columns.is_empty() {
        return Err(SqlError::unsupported("dropping the last column of a table"));
    }
    Ok(())
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
            let mut c = translate_constraint(&constraint.to_string(), ctx, schema)?;
            if let TableConstraint::Check(ch) = &mut c
                && let Some(n) = &mut ch.name
            {
                n.value = for_table(&n.value, new);
            }
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
            let mut col = translate_column(&column_def.to_string(), ctx, schema)?;
            for o in &mut col.options {
                if let Some(n) = &mut o.name {
                    n.value = for_table(&n.value, new);
                }
            }
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
        AlterTableOperation::DropConstraint {
            if_exists, name, ..
        } => super::constraint_names::drop(new, &relations::fold(name), *if_exists),
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
            if using.is_none() && needs_using(col, &scratch) {
                return Err(SqlError::CannotCastAutomatically {
                    column: name.to_string(),
                    type_name: data_type.to_string().to_lowercase(),
                });
            }
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

/// A constraint name the scratch translation gave (`pgrq_scratch_…`) for the real table.
fn for_table(name: &str, new: &sqlparser::ast::CreateTable) -> String {
    let table = new
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default();
    match name.strip_prefix(rebuild::SCRATCH) {
        Some(rest) => format!("{table}{rest}"),
        None => name.to_string(),
    }
}

/// The plain columns a UNIQUE / PRIMARY KEY / FOREIGN KEY constraint lists.
fn constraint_columns(c: &TableConstraint) -> Vec<String> {
    match c {
        TableConstraint::Unique(u) => super::columns::index_column_names(&u.columns),
        TableConstraint::PrimaryKey(pk) => super::columns::index_column_names(&pk.columns),
        TableConstraint::ForeignKey(fk) => fk.columns.iter().map(|i| i.value.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Whether PostgreSQL has no assignment cast from `old`'s type to `new`'s (then ALTER
/// COLUMN … TYPE needs USING): from a string type to any other, to an enum, and from a
/// number to boolean.
fn needs_using(old: &ColumnDef, new: &ColumnDef) -> bool {
    let is_enum = |c: &ColumnDef| {
        c.options.iter().any(|o| {
            o.name
                .as_ref()
                .is_some_and(|n| n.value.starts_with(ENUM_CHECK))
        })
    };
    let from = PgType::from_decl(&old.data_type.to_string());
    let to = PgType::from_decl(&new.data_type.to_string());
    let stringy = |t: PgType| {
        matches!(
            t,
            PgType::Text | PgType::Varchar | PgType::Bpchar | PgType::Name
        )
    };
    let old_enum = is_enum(old);
    let new_enum = is_enum(new);
    if new_enum {
        return !old_enum;
    }
    if stringy(from) && !old_enum {
        return !stringy(to);
    }
    to == PgType::Bool && from != PgType::Bool
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

//! DDL that does not map to one SQLite statement, planned before the ordinary
//! classify-and-rewrite path: each family's file builds the whole SQLite text (several
//! statements, which the session runs as one transaction) from the statement and the
//! schema. Statements it does not own pass through unchanged (`None`).

use sqlparser::ast::{ObjectType, Statement};

use super::{advisory, alter_table, comments, drops, enums, identity, sequences, truncate};

use crate::sql::schema::Schema;
use crate::sql::{Context, SqlError, StatementKind, Translated};

/// The translation of `stmt` when one of the DDL families here owns it.
pub(crate) fn plan_ddl(
    stmt: &mut Statement,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Option<Translated>, SqlError> {
    if drops::owns(stmt)
        && let Statement::Drop {
            object_type,
            names,
            if_exists,
            cascade,
            ..
        } = stmt
    {
        return drops::plan(*object_type, names, *if_exists, *cascade, schema).map(Some);
    }
    match stmt {
        Statement::CreateSequence { .. } => sequences::create(stmt, schema).map(Some),
        Statement::Drop {
            object_type: ObjectType::Sequence,
            names,
            if_exists,
            ..
        } => sequences::drop(names, *if_exists).map(Some),
        Statement::Query(q) => match sequences::call(q)? {
            Some(t) => Ok(Some(t)),
            None => advisory::call(q),
        },
        Statement::CreateType { .. } => enums::create(stmt, schema).map(Some),
        Statement::AlterType(at) => enums::alter(at, ctx, schema).map(Some),
        Statement::Drop {
            object_type: ObjectType::Type,
            names,
            if_exists,
            cascade,
            ..
        } => enums::drop(names, *if_exists, *cascade, schema).map(Some),
        Statement::AlterTable(at) => {
            if let Some(noop) = alter_table::resolve_conditions(at, schema)? {
                return Ok(Some(noop));
            }
            if alter_table::needs_rebuild(at, schema) {
                return alter_table::plan(at, ctx, schema).map(Some);
            }
            enums::resolve_columns(stmt, schema)?;
            Ok(None)
        }
        Statement::Comment {
            object_type,
            object_name,
            comment,
            if_exists,
        } => {
            if *if_exists {
                return Err(SqlError::unsupported("COMMENT IF EXISTS"));
            }
            comments::plan(*object_type, object_name, comment.as_deref(), schema).map(Some)
        }
        Statement::AlterIndex {
            name,
            operation: sqlparser::ast::AlterIndexOperation::RenameIndex { index_name },
        } => drops::rename_index(name, index_name, schema).map(Some),
        Statement::Truncate(t) => truncate::plan(t, schema).map(Some),
        Statement::Insert(_) | Statement::Update(_) => {
            identity::check(stmt, schema)?;
            resolve_conflict_constraint(stmt, schema)?;
            Ok(None)
        }
        Statement::CreateTable(_) => {
            enums::resolve_columns(stmt, schema)?;
            identity::seeded_create(stmt, ctx, schema)
        }
        _ => Ok(None),
    }
}

/// `ON CONFLICT ON CONSTRAINT name` names the constraint's columns instead, as
/// SQLite only takes a column list; the columns come from the table's schema.
fn resolve_conflict_constraint(stmt: &mut Statement, schema: &dyn Schema) -> Result<(), SqlError> {
    use sqlparser::ast::{ConflictTarget, Ident, OnInsert, TableObject};
    let Statement::Insert(insert) = stmt else {
        return Ok(());
    };
    let Some(OnInsert::OnConflict(on_conflict)) = &mut insert.on else {
        return Ok(());
    };
    let Some(ConflictTarget::OnConstraint(constraint)) = &on_conflict.conflict_target else {
        return Ok(());
    };
    let TableObject::TableName(table) = &insert.table else {
        return Ok(());
    };
    let table = table
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(crate::sql::names::fold)
        .unwrap_or_default();
    let name = constraint
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(crate::sql::names::fold)
        .unwrap_or_default();
    let columns = schema
        .table_sql(&table)
        .and_then(|sql| super::rebuild::parse_create_table(&sql).ok())
        .and_then(|ct| super::constraint_names::key_columns(&ct, &name))
        .ok_or_else(|| SqlError::UndefinedObject {
            message: format!("constraint \"{name}\" for table \"{table}\" does not exist"),
        })?;
    on_conflict.conflict_target = Some(ConflictTarget::Columns(
        columns
            .iter()
            .map(|c| Ident::with_quote('"', c.as_str()))
            .collect(),
    ));
    Ok(())
}

/// A DDL statement whose SQLite text is `statements`, run together in one transaction.
pub(super) fn ddl(tag: &str, statements: Vec<String>) -> Translated {
    Translated {
        kind: StatementKind::Ddl,
        sqlite: Some(statements.join(";\n")),
        param_count: 0,
        param_types: Vec::new(),
        returning: false,
        tag: tag.to_string(),
        needs_database: true,
        column_types: Vec::new(),
        column_scales: Vec::new(),
        column_avgs: Vec::new(),
        array_params: Vec::new(),
        uses_clock: false,
        sequence: None,
    }
}

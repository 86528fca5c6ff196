//! DROP TABLE / VIEW / INDEX with PostgreSQL's dependency rules, which SQLite lacks (it
//! drops a table under its views and leaves them dangling, and its implicit DELETE fires
//! the children's ON DELETE actions). Views that read the object and foreign keys that
//! reference a table are its dependents: without CASCADE they make the DROP fail (2BP01);
//! with CASCADE the views are dropped too (and theirs, recursively) and each referencing
//! table is rebuilt without its foreign key, before the table goes. Several names in one
//! statement are dropped in order; IF EXISTS skips the missing ones.

use std::ops::ControlFlow;

use sqlparser::ast::{ColumnOption, ObjectName, ObjectType, Statement, TableConstraint};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::ddl_plan::ddl;
use super::rebuild;
use super::relations;
use super::type_checks::quoted;
use crate::sql::markers::COMMENTS_TABLE;
use crate::sql::schema::{Schema, SchemaObject};
use crate::sql::{SqlError, Translated};

pub(super) fn plan(
    object_type: ObjectType,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
    schema: &dyn Schema,
) -> Result<Translated, SqlError> {
    let (kind, word, tag) = match object_type {
        ObjectType::Table => ("table", "TABLE", "DROP TABLE"),
        ObjectType::View => ("view", "VIEW", "DROP VIEW"),
        ObjectType::Index => ("index", "INDEX", "DROP INDEX"),
        other => return Err(SqlError::unsupported(format!("DROP {other}"))),
    };
    let objects = schema.objects();
    let mut out = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    for n in names {
        let mut n = n.clone();
        relations::strip_schema(&mut n)?;
        let name =
            n.0.last()
                .and_then(|p| p.as_ident())
                .map(relations::fold)
                .unwrap_or_default();
        let Some(obj) = objects
            .iter()
            .find(|o| o.kind == kind && o.name.eq_ignore_ascii_case(&name))
        else {
            if if_exists {
                continue;
            }
            if objects.is_empty() {
                // No schema to ask: let SQLite say whether it exists.
                out.push(format!("DROP {word} {}", quoted(&name)));
                continue;
            }
            let what = word.to_lowercase();
            return Err(if kind == "index" {
                SqlError::UndefinedObject {
                    message: format!("index \"{name}\" does not exist"),
                }
            } else {
                SqlError::UndefinedTable {
                    message: format!("{what} \"{name}\" does not exist"),
                }
            });
        };
        let views = dependent_views(&objects, &obj.name);
        let children = if kind == "table" {
            referencing_tables(&objects, &obj.name)
        } else {
            Vec::new()
        };
        if !cascade && (!views.is_empty() || !children.is_empty()) {
            let mut detail: Vec<String> = views
                .iter()
                .map(|v| format!("view {v} depends on {kind} {}", obj.name))
                .collect();
            detail.extend(
                children
                    .iter()
                    .map(|c| format!("constraint on table {c} depends on table {}", obj.name)),
            );
            return Err(SqlError::DependentObjects {
                message: format!(
                    "cannot drop {kind} {} because other objects depend on it",
                    obj.name
                ),
                detail: detail.join("\n"),
            });
        }
        for v in views.iter().rev() {
            if !dropped.contains(v) {
                out.push(format!("DROP VIEW IF EXISTS {}", quoted(v)));
                dropped.push(v.clone());
            }
        }
        for child in children
            .iter()
            .filter(|c| !c.eq_ignore_ascii_case(&obj.name))
        {
            out.extend(without_foreign_keys_to(schema, child, &obj.name)?);
        }
        out.push(format!("DROP {word} {}", quoted(&obj.name)));
        dropped.push(obj.name.clone());
        if kind != "index" && objects.iter().any(|o| o.name == COMMENTS_TABLE) {
            out.push(format!(
                "DELETE FROM {COMMENTS_TABLE} WHERE object = '{}'",
                obj.name.replace('\'', "''")
            ));
        }
    }
    if out.is_empty() {
        out.push("SELECT 1".into());
    }
    Ok(ddl(tag, out))
}

/// Views that read `name`, directly or through other views, in creation order.
pub(super) fn dependent_views(objects: &[SchemaObject], name: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut frontier = vec![name.to_string()];
    while let Some(target) = frontier.pop() {
        for v in objects.iter().filter(|o| o.kind == "view") {
            let own = v.name.eq_ignore_ascii_case(&target) || v.name.eq_ignore_ascii_case(name);
            if !own && !found.contains(&v.name) && reads(&v.sql, &target) {
                found.push(v.name.clone());
                frontier.push(v.name.clone());
            }
        }
    }
    objects
        .iter()
        .filter(|o| found.contains(&o.name))
        .map(|o| o.name.clone())
        .collect()
}

/// Whether the statement `sql` names relation `target`.
fn reads(sql: &str, target: &str) -> bool {
    let Ok(stmts) = Parser::parse_sql(&SQLiteDialect {}, sql) else {
        // Unreadable: assume it does, so nothing is left dangling silently.
        return true;
    };
    let hit = sqlparser::ast::visit_relations(&stmts, |rel| {
        let last = rel.0.last().and_then(|p| p.as_ident());
        if last.is_some_and(|i| i.value.eq_ignore_ascii_case(target)) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    hit.is_break()
}

/// Tables with a foreign key referencing `table`.
pub(super) fn referencing_tables(objects: &[SchemaObject], table: &str) -> Vec<String> {
    objects
        .iter()
        .filter(|o| o.kind == "table")
        .filter(|o| {
            rebuild::parse_create_table(&o.sql)
                .map(|ct| references(&ct, table))
                .unwrap_or(false)
        })
        .map(|o| o.name.clone())
        .collect()
}

fn references(ct: &sqlparser::ast::CreateTable, table: &str) -> bool {
    let is_target = |n: &ObjectName| {
        n.0.last()
            .and_then(|p| p.as_ident())
            .is_some_and(|i| i.value.eq_ignore_ascii_case(table))
    };
    ct.columns
        .iter()
        .flat_map(|c| c.options.iter())
        .any(|o| matches!(&o.option, ColumnOption::ForeignKey(fk) if is_target(&fk.foreign_table)))
        || ct
            .constraints
            .iter()
            .any(|c| matches!(c, TableConstraint::ForeignKey(fk) if is_target(&fk.foreign_table)))
}

/// Rebuild `child` without its foreign keys to `parent`.
fn without_foreign_keys_to(
    schema: &dyn Schema,
    child: &str,
    parent: &str,
) -> Result<Vec<String>, SqlError> {
    let table = rebuild::load(schema, child)?;
    let mut new = table.create.clone();
    let is_parent = |n: &ObjectName| {
        n.0.last()
            .and_then(|p| p.as_ident())
            .is_some_and(|i| i.value.eq_ignore_ascii_case(parent))
    };
    for c in &mut new.columns {
        c.options.retain(
            |o| !matches!(&o.option, ColumnOption::ForeignKey(fk) if is_parent(&fk.foreign_table)),
        );
    }
    new.constraints
        .retain(|c| !matches!(c, TableConstraint::ForeignKey(fk) if is_parent(&fk.foreign_table)));
    let copy = rebuild::same_columns(&new);
    rebuild::statements(schema, &table, new, &copy)
}

/// `ALTER INDEX i RENAME TO j`, which SQLite lacks: the index dropped and created again
/// under the new name.
pub(super) fn rename_index(
    name: &ObjectName,
    to: &ObjectName,
    schema: &dyn Schema,
) -> Result<Translated, SqlError> {
    let key = |n: &ObjectName| -> Result<String, SqlError> {
        let mut n = n.clone();
        relations::strip_schema(&mut n)?;
        Ok(n.0
            .last()
            .and_then(|p| p.as_ident())
            .map(relations::fold)
            .unwrap_or_default())
    };
    let (from, to) = (key(name)?, key(to)?);
    let objects = schema.objects();
    let obj = objects
        .iter()
        .find(|o| o.kind == "index" && o.name.eq_ignore_ascii_case(&from))
        .ok_or_else(|| SqlError::UndefinedTable {
            message: format!("relation \"{from}\" does not exist"),
        })?;
    if objects.iter().any(|o| o.name.eq_ignore_ascii_case(&to)) {
        return Err(SqlError::DuplicateObject {
            message: format!("relation \"{to}\" already exists"),
            relation: true,
        });
    }
    let Ok(Some(Statement::CreateIndex(mut ci))) =
        Parser::parse_sql(&SQLiteDialect {}, &obj.sql).map(|mut v| v.pop())
    else {
        return Err(SqlError::unsupported(format!(
            "renaming index \"{from}\" (pgrq cannot read its definition)"
        )));
    };
    ci.name = Some(ObjectName::from(vec![sqlparser::ast::Ident::with_quote(
        '"',
        to.clone(),
    )]));
    Ok(ddl(
        "ALTER INDEX",
        vec![
            format!("DROP INDEX {}", quoted(&obj.name)),
            Statement::CreateIndex(ci).to_string(),
        ],
    ))
}

/// Whether `stmt` is a DROP this file plans.
pub(super) fn owns(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::Drop {
            object_type: ObjectType::Table | ObjectType::View | ObjectType::Index,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    fn shop() -> crate::mirror::Mirror {
        mirror_from(&[
            "CREATE TABLE p (id int PRIMARY KEY)",
            "CREATE TABLE c (id int, p_id int REFERENCES p (id))",
            "CREATE VIEW pv AS SELECT id FROM p",
            "CREATE VIEW pvv AS SELECT id FROM pv",
            "CREATE TABLE lone (a int)",
        ])
    }

    #[test]
    fn dependents_refuse_the_drop_without_cascade() {
        match err_with("DROP TABLE p", &shop()) {
            SqlError::DependentObjects { message, detail } => {
                assert_eq!(
                    message,
                    "cannot drop table p because other objects depend on it"
                );
                assert_eq!(
                    detail,
                    "view pv depends on table p\nview pvv depends on table p\n\
                     constraint on table c depends on table p"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            err_with("DROP VIEW pv RESTRICT", &shop()),
            SqlError::DependentObjects { .. }
        ));
    }

    #[test]
    fn indexes_are_renamed_by_recreating_them() {
        let m = mirror_from(&[
            "CREATE TABLE t (a int, b text)",
            "CREATE UNIQUE INDEX t_a ON t (a) WHERE b IS NOT NULL",
        ]);
        assert_eq!(
            sqlite_with("ALTER INDEX public.t_a RENAME TO t_a_uniq", &m),
            "DROP INDEX \"t_a\";\nCREATE UNIQUE INDEX \"t_a_uniq\" ON t(a) WHERE b IS NOT NULL"
        );
        assert!(matches!(
            err_with("ALTER INDEX nope RENAME TO x", &m),
            SqlError::UndefinedTable { .. }
        ));
    }

    #[test]
    fn cascade_drops_views_and_foreign_keys() {
        let sql = sqlite_with("DROP TABLE IF EXISTS nope, p CASCADE", &shop());
        let stmts: Vec<&str> = sql.split(";\n").collect();
        assert_eq!(stmts[0], "DROP VIEW IF EXISTS \"pvv\"");
        assert_eq!(stmts[1], "DROP VIEW IF EXISTS \"pv\"");
        assert!(
            stmts.contains(&"CREATE TABLE \"c\" (id INT, p_id INT)"),
            "{sql}"
        );
        assert_eq!(stmts.last(), Some(&"DROP TABLE \"p\""));
        assert_eq!(
            sqlite_with("DROP TABLE lone, public.c", &shop()),
            "DROP TABLE \"lone\";\nDROP TABLE \"c\""
        );
        assert_eq!(
            sqlite_with("DROP TABLE IF EXISTS nope", &shop()),
            "SELECT 1"
        );
        assert_eq!(sqlite_with("DROP VIEW pvv", &shop()), "DROP VIEW \"pvv\"");
    }
}

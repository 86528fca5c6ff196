//! Enum types. `CREATE TYPE e AS ENUM (…)` stores the labels, in order, as a view
//! `pgrq_enum_e (sortorder, label)` over VALUES, so the schema alone (the mirror) knows
//! them. A column of type `e` is declared TEXT with the check
//! `CONSTRAINT "pgrq_enum_e" CHECK (c IN (labels…))`, which `crate::error` turns into
//! 22P02 `invalid input value for enum e` (without the value, which SQLite does not say).
//! `ALTER TYPE e ADD VALUE` rewrites the view and rebuilds the tables that use `e`;
//! `DROP TYPE` refuses (2BP01) while a column uses it.
//!
//! Ordering and comparing by label position: see `enum_order`. Not emulated: the enum's
//! own type OID (columns are described as text).

use sqlparser::ast::{
    AlterType, AlterTypeAddValuePosition, AlterTypeOperation, CheckConstraint, ColumnDef,
    ColumnOption, ColumnOptionDef, DataType, Ident, ObjectName, SetExpr, Statement,
    UserDefinedTypeRepresentation, Value,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::ddl_plan::ddl;
use super::rebuild;
use super::sequences::name_of;
use super::time_defaults::parse_sqlite_expr;
use super::type_checks::quoted;
use crate::sql::markers::{ENUM_CHECK, ENUM_VIEW};
use crate::sql::schema::Schema;
use crate::sql::types::custom_name;
use crate::sql::{Context, SqlError, Translated};

fn view(name: &str) -> String {
    format!("{ENUM_VIEW}{name}")
}

fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn create_view(name: &str, labels: &[String]) -> String {
    let body = if labels.is_empty() {
        "SELECT 1, '' WHERE 0".to_string()
    } else {
        let rows: Vec<String> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| format!("({}, {})", i + 1, string_literal(l)))
            .collect();
        format!("VALUES {}", rows.join(", "))
    };
    format!(
        "CREATE VIEW {} (sortorder, label) AS {body}",
        quoted(&view(name))
    )
}

/// The labels of enum `name`, if the schema has it.
pub(super) fn labels(schema: &dyn Schema, name: &str) -> Option<Vec<String>> {
    let wanted = view(name);
    let obj = schema
        .objects()
        .into_iter()
        .find(|o| o.kind == "view" && o.name == wanted)?;
    let stmt = Parser::parse_sql(&SQLiteDialect {}, &obj.sql).ok()?.pop()?;
    let Statement::CreateView(cv) = stmt else {
        return None;
    };
    let SetExpr::Values(values) = cv.query.body.as_ref() else {
        return Some(Vec::new());
    };
    values
        .rows
        .iter()
        .map(|row| match row.content.get(1) {
            Some(sqlparser::ast::Expr::Value(v)) => match &v.value {
                Value::SingleQuotedString(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn check_expr(column: &str, labels: &[String]) -> String {
    if labels.is_empty() {
        return format!("{} IS NULL", quoted(column));
    }
    let list: Vec<String> = labels.iter().map(|l| string_literal(l)).collect();
    format!("{} IN ({})", quoted(column), list.join(", "))
}

fn check_option(
    type_name: &str,
    column: &str,
    labels: &[String],
) -> Result<ColumnOptionDef, SqlError> {
    let text = check_expr(column, labels);
    let expr = parse_sqlite_expr(&text)
        .ok_or_else(|| SqlError::syntax(format!("internal enum check `{text}`")))?;
    Ok(ColumnOptionDef {
        name: Some(Ident::with_quote('"', format!("{ENUM_CHECK}{type_name}"))),
        option: ColumnOption::Check(CheckConstraint {
            name: None,
            expr: Box::new(expr),
            no_inherit: false,
            enforced: None,
        }),
    })
}

/// Columns whose type is an enum of the schema become TEXT with the labels' CHECK.
pub(super) fn resolve_columns(stmt: &mut Statement, schema: &dyn Schema) -> Result<(), SqlError> {
    match stmt {
        Statement::CreateTable(ct) => {
            for col in &mut ct.columns {
                resolve_column(col, schema)?;
            }
        }
        Statement::AlterTable(at) => {
            for op in &mut at.operations {
                if let sqlparser::ast::AlterTableOperation::AddColumn { column_def, .. } = op {
                    resolve_column(column_def, schema)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn resolve_column(col: &mut ColumnDef, schema: &dyn Schema) -> Result<(), SqlError> {
    let DataType::Custom(name, args) = &col.data_type else {
        return Ok(());
    };
    if !args.is_empty() {
        return Ok(());
    }
    let Some(type_name) = custom_name(name).map(|_| enum_key(name)) else {
        return Ok(());
    };
    let Some(labels) = labels(schema, &type_name) else {
        return Ok(());
    };
    let check = check_option(&type_name, &col.name.value, &labels)?;
    col.data_type = DataType::Text;
    col.options.push(check);
    Ok(())
}

/// The folded last part of a type name.
fn enum_key(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(super::relations::fold)
        .unwrap_or_default()
}

/// CREATE TYPE … AS ENUM.
pub(super) fn create(stmt: &Statement, schema: &dyn Schema) -> Result<Translated, SqlError> {
    let Statement::CreateType {
        name,
        representation,
    } = stmt
    else {
        return Err(SqlError::syntax("not CREATE TYPE"));
    };
    let Some(UserDefinedTypeRepresentation::Enum { labels: idents }) = representation else {
        return Err(SqlError::unsupported(
            "CREATE TYPE other than AS ENUM (composite, range, base types)",
        ));
    };
    let name = name_of(name)?;
    if labels(schema, &name).is_some() {
        return Err(SqlError::DuplicateObject {
            message: format!("type \"{name}\" already exists"),
            relation: false,
        });
    }
    let mut list: Vec<String> = Vec::new();
    for l in idents {
        if list.contains(&l.value) {
            return Err(SqlError::InvalidParameter {
                message: format!("enum label \"{}\" used more than once", l.value),
            });
        }
        list.push(l.value.clone());
    }
    Ok(ddl("CREATE TYPE", vec![create_view(&name, &list)]))
}

/// DROP TYPE.
pub(super) fn drop(
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
    schema: &dyn Schema,
) -> Result<Translated, SqlError> {
    let mut out = Vec::new();
    for n in names {
        let name = name_of(n)?;
        if labels(schema, &name).is_none() {
            if if_exists {
                continue;
            }
            return Err(SqlError::UndefinedObject {
                message: format!("type \"{name}\" does not exist"),
            });
        }
        if let Some(table) = users(schema, &name).first() {
            if cascade {
                return Err(SqlError::unsupported(
                    "DROP TYPE … CASCADE of a type columns use (drop the columns first)",
                ));
            }
            return Err(SqlError::DependentObjects {
                message: format!("cannot drop type {name} because other objects depend on it"),
                detail: format!("column of table {table} depends on type {name}"),
            });
        }
        out.push(format!("DROP VIEW {}", quoted(&view(&name))));
    }
    if out.is_empty() {
        out.push("SELECT 1".into());
    }
    Ok(ddl("DROP TYPE", out))
}

/// Tables with a column of enum `name`.
fn users(schema: &dyn Schema, name: &str) -> Vec<String> {
    let marker = quoted(&format!("{ENUM_CHECK}{name}"));
    schema
        .objects()
        .into_iter()
        .filter(|o| o.kind == "table" && o.sql.contains(&marker))
        .map(|o| o.name)
        .collect()
}

/// ALTER TYPE … ADD VALUE.
pub(super) fn alter(
    at: &AlterType,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Translated, SqlError> {
    let _ = ctx;
    let name = name_of(&at.name)?;
    let AlterTypeOperation::AddValue(add) = &at.operation else {
        return Err(SqlError::unsupported("ALTER TYPE … RENAME"));
    };
    let mut list = labels(schema, &name).ok_or_else(|| SqlError::UndefinedObject {
        message: format!("type \"{name}\" does not exist"),
    })?;
    let value = add.value.value.clone();
    if list.contains(&value) {
        if add.if_not_exists {
            return Ok(ddl("ALTER TYPE", vec!["SELECT 1".into()]));
        }
        return Err(SqlError::DuplicateObject {
            message: format!("enum label \"{value}\" already exists"),
            relation: false,
        });
    }
    let at_index = match &add.position {
        None => list.len(),
        Some(AlterTypeAddValuePosition::Before(n)) => position(&list, &n.value)?,
        Some(AlterTypeAddValuePosition::After(n)) => position(&list, &n.value)? + 1,
    };
    list.insert(at_index, value);
    let mut out = vec![
        format!("DROP VIEW {}", quoted(&view(&name))),
        create_view(&name, &list),
    ];
    let marker = format!("{ENUM_CHECK}{name}");
    for table_name in users(schema, &name) {
        let table = rebuild::load(schema, &table_name)?;
        let mut new = table.create.clone();
        for col in &mut new.columns {
            let column = col.name.value.clone();
            for o in &mut col.options {
                if o.name.as_ref().is_some_and(|n| n.value == marker) {
                    *o = check_option(&name, &column, &list)?;
                }
            }
        }
        let copy = rebuild::same_columns(&new);
        out.extend(rebuild::statements(schema, &table, new, &copy)?);
    }
    Ok(ddl("ALTER TYPE", out))
}

fn position(list: &[String], label: &str) -> Result<usize, SqlError> {
    list.iter()
        .position(|l| l == label)
        .ok_or_else(|| SqlError::InvalidParameter {
            message: format!("\"{label}\" is not an existing enum label"),
        })
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    fn moods() -> crate::mirror::Mirror {
        mirror_from(&[
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'it''s')",
            "CREATE TABLE person (name text, current_mood mood)",
        ])
    }

    #[test]
    fn enum_is_a_view_and_columns_check_labels() {
        assert_eq!(
            sqlite("CREATE TYPE public.mood AS ENUM ('sad', 'ok')"),
            "CREATE VIEW \"pgrq_enum_mood\" (sortorder, label) AS VALUES (1, 'sad'), (2, 'ok')"
        );
        let m = moods();
        assert_eq!(
            super::labels(&m, "mood"),
            Some(vec!["sad".to_string(), "ok".into(), "it's".into()])
        );
        assert_eq!(
            sqlite_with(
                "ALTER TABLE person ADD COLUMN m2 mood NOT NULL DEFAULT 'ok'",
                &m
            ),
            "ALTER TABLE person ADD COLUMN m2 TEXT NOT NULL DEFAULT 'ok' CONSTRAINT \"pgrq_enum_mood\" \
             CHECK (\"m2\" IN ('sad', 'ok', 'it''s'))"
        );
        assert!(matches!(
            err_with("CREATE TYPE mood AS ENUM ('x')", &m),
            SqlError::DuplicateObject { .. }
        ));
    }

    #[test]
    fn add_value_rebuilds_users_and_drop_is_refused_while_used() {
        let m = moods();
        let sql = sqlite_with("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'", &m);
        assert!(sql.starts_with(
            "DROP VIEW \"pgrq_enum_mood\";\nCREATE VIEW \"pgrq_enum_mood\" (sortorder, label) AS \
             VALUES (1, 'sad'), (2, 'meh'), (3, 'ok'), (4, 'it''s')"
        ), "{sql}");
        assert!(
            sql.contains("CHECK (\"current_mood\" IN ('sad', 'meh', 'ok', 'it''s'))"),
            "{sql}"
        );
        assert!(matches!(
            err_with("DROP TYPE mood", &m),
            SqlError::DependentObjects { .. }
        ));
        assert!(matches!(
            err_with("DROP TYPE nope", &m),
            SqlError::UndefinedObject { .. }
        ));
        assert_eq!(sqlite_with("DROP TYPE IF EXISTS nope", &m), "SELECT 1");
        let m = mirror_from(&["CREATE TYPE e AS ENUM ('a')"]);
        assert_eq!(sqlite_with("DROP TYPE e", &m), "DROP VIEW \"pgrq_enum_e\"");
    }
}

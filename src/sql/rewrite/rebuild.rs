//! SQLite's table rebuild (its documented "make other kinds of table schema changes"
//! procedure), for the ALTER TABLE forms SQLite lacks and for changes to the constraints
//! pgrq writes (enum labels): the statements set the rows aside, drop the table, create
//! it again with the new definition, copy the rows back and create again its indexes and
//! triggers. The session runs them as one transaction, with foreign keys deferred to the
//! commit, so a referenced table keeps its children.
//!
//! Refused: a table that other tables reference with ON DELETE CASCADE / SET NULL / SET
//! DEFAULT / RESTRICT (dropping it would fire those actions on the children).

use sqlparser::ast::{ColumnDef, ColumnOption, CreateTable, ReferentialAction, Statement};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::type_checks::quoted;
use crate::sql::markers::PREFIX;
use crate::sql::schema::{Schema, SchemaObject};
use crate::sql::{Context, SqlError};

/// The table name the scratch translations use.
pub(super) const SCRATCH: &str = "pgrq_scratch";

/// A table's current definition, parsed from the SQLite schema.
pub(super) struct Table {
    pub name: String,
    pub create: CreateTable,
}

/// The table called `name` (case-insensitive), or 42P01.
pub(super) fn load(schema: &dyn Schema, name: &str) -> Result<Table, SqlError> {
    let obj = schema
        .objects()
        .into_iter()
        .find(|o| o.kind == "table" && o.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| SqlError::UndefinedTable {
            message: format!("relation \"{name}\" does not exist"),
        })?;
    let create = parse_create_table(&obj.sql)?;
    Ok(Table {
        name: obj.name,
        create,
    })
}

pub(super) fn parse_create_table(sql: &str) -> Result<CreateTable, SqlError> {
    match Parser::parse_sql(&SQLiteDialect {}, sql).map(|mut v| v.pop()) {
        Ok(Some(Statement::CreateTable(ct))) => Ok(ct),
        _ => Err(SqlError::unsupported(format!(
            "changing a table pgrq cannot read back ({sql})"
        ))),
    }
}

/// The column called `name` (folded PostgreSQL name, matched case-insensitively).
pub(super) fn column<'a>(
    ct: &'a mut CreateTable,
    name: &str,
) -> Result<&'a mut ColumnDef, SqlError> {
    let table = ct.name.to_string();
    ct.columns
        .iter_mut()
        .find(|c| c.name.value.eq_ignore_ascii_case(name))
        .ok_or_else(|| SqlError::Syntax {
            message: format!("column \"{name}\" of relation {table} does not exist"),
        })
}

/// The statements that replace `table` by `new` (same name), copying each of `copy`'s
/// (new column, SQLite expression over the old row) pairs.
///
/// The rows are first set aside in a plain copy, then the table is dropped and created
/// again under its own name, so nothing is renamed: children's REFERENCES and views keep
/// naming it, and re-inserting the parent rows settles the foreign-key violations the
/// drop counted (deferred to the commit).
pub(super) fn statements(
    schema: &dyn Schema,
    table: &Table,
    mut new: CreateTable,
    copy: &[(String, String)],
) -> Result<Vec<String>, SqlError> {
    let objects = schema.objects();
    refuse_acting_children(&objects, &table.name)?;
    let t = quoted(&table.name);
    let old = quoted(&format!("{PREFIX}old_{}", table.name));
    let old_seq = quoted(&format!("{PREFIX}old_seq_{}", table.name));
    let literal = format!("'{}'", table.name.replace('\'', "''"));
    new.name = sqlparser::ast::ObjectName::from(vec![sqlparser::ast::Ident::with_quote(
        '"',
        table.name.clone(),
    )]);
    let own: Vec<&SchemaObject> = objects
        .iter()
        .filter(|o| {
            matches!(o.kind.as_str(), "index" | "trigger")
                && o.table.eq_ignore_ascii_case(&table.name)
        })
        .collect();
    let was_autoincrement = sql_of(&objects, &table.name)
        .is_some_and(|s| s.to_ascii_uppercase().contains("AUTOINCREMENT"));
    let autoincrement = new
        .to_string()
        .to_ascii_uppercase()
        .contains("AUTOINCREMENT");
    // The PRAGMA must not come first: rqlite's /db/request (the transaction-block probe)
    // misreads a multi-statement string that starts with one (measured on v10.2.7).
    let mut out = vec![
        format!("CREATE TABLE {old} AS SELECT * FROM {t}"),
        "PRAGMA defer_foreign_keys = 1".to_string(),
    ];
    if was_autoincrement && autoincrement {
        // Keep the key counter: a sequence never hands out a value twice.
        out.push(format!(
            "CREATE TABLE {old_seq} AS SELECT seq FROM sqlite_sequence WHERE name = {literal}"
        ));
    }
    out.push(format!("DROP TABLE {t}"));
    out.push(new.to_string());
    let (cols, exprs): (Vec<String>, Vec<String>) =
        copy.iter().map(|(c, e)| (quoted(c), e.clone())).unzip();
    out.push(format!(
        "INSERT INTO {t} ({}) SELECT {} FROM {old}",
        cols.join(", "),
        exprs.join(", ")
    ));
    out.push(format!("DROP TABLE {old}"));
    if was_autoincrement && autoincrement {
        out.push(format!(
            "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(seq) FROM \
             {old_seq}), 0)) WHERE name = {literal}"
        ));
        out.push(format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT {literal}, max(seq) FROM {old_seq} \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {literal}) \
             HAVING max(seq) IS NOT NULL"
        ));
        out.push(format!("DROP TABLE {old_seq}"));
    }
    out.extend(own.iter().map(|o| o.sql.clone()));
    Ok(out)
}

fn sql_of<'a>(objects: &'a [SchemaObject], table: &str) -> Option<&'a str> {
    objects
        .iter()
        .find(|o| o.kind == "table" && o.name.eq_ignore_ascii_case(table))
        .map(|o| o.sql.as_str())
}

/// Copy pairs for every column of `ct` from the column of the same name.
pub(super) fn same_columns(ct: &CreateTable) -> Vec<(String, String)> {
    ct.columns
        .iter()
        .map(|c| (c.name.value.clone(), quoted(&c.name.value)))
        .collect()
}

fn refuse_acting_children(objects: &[SchemaObject], table: &str) -> Result<(), SqlError> {
    for o in objects.iter().filter(|o| o.kind == "table") {
        let Ok(ct) = parse_create_table(&o.sql) else {
            continue;
        };
        let refs = ct
            .columns
            .iter()
            .flat_map(|c| c.options.iter())
            .filter_map(|opt| match &opt.option {
                ColumnOption::ForeignKey(fk) => Some((&fk.foreign_table, fk.on_delete)),
                _ => None,
            })
            .chain(ct.constraints.iter().filter_map(|c| match c {
                sqlparser::ast::TableConstraint::ForeignKey(fk) => {
                    Some((&fk.foreign_table, fk.on_delete))
                }
                _ => None,
            }));
        for (target, action) in refs {
            let target = target
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(|i| i.value.clone())
                .unwrap_or_default();
            let acts = !matches!(action, None | Some(ReferentialAction::NoAction));
            if acts && target.eq_ignore_ascii_case(table) {
                return Err(SqlError::unsupported(format!(
                    "this change to table \"{table}\" (pgrq rebuilds it, and table \"{}\" \
                     references it with an ON DELETE action)",
                    o.name
                )));
            }
        }
    }
    Ok(())
}

/// A PostgreSQL column definition (`name type [options]`) as SQLite writes it, through
/// the ordinary translation of `ALTER TABLE … ADD COLUMN`.
pub(super) fn translate_column(
    pg_column: &str,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<ColumnDef, SqlError> {
    let text = format!("ALTER TABLE {SCRATCH} ADD COLUMN {pg_column}");
    let sqlite = translate_one(&text, ctx, schema)?;
    match Parser::parse_sql(&SQLiteDialect {}, &sqlite).map(|mut v| v.pop()) {
        Ok(Some(Statement::AlterTable(at))) => match at.operations.into_iter().next() {
            Some(sqlparser::ast::AlterTableOperation::AddColumn { column_def, .. }) => {
                Ok(column_def)
            }
            _ => Err(SqlError::syntax(format!(
                "internal column translation: {sqlite}"
            ))),
        },
        _ => Err(SqlError::syntax(format!(
            "internal column translation: {sqlite}"
        ))),
    }
}

/// A PostgreSQL table constraint as SQLite writes it, through the ordinary translation
/// of CREATE TABLE.
pub(super) fn translate_constraint(
    pg_constraint: &str,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<sqlparser::ast::TableConstraint, SqlError> {
    let text = format!("CREATE TABLE {SCRATCH} ({PREFIX}c int, {pg_constraint})");
    let sqlite = translate_one(&text, ctx, schema)?;
    let ct = parse_create_table(&sqlite)?;
    ct.constraints
        .into_iter()
        .next()
        .ok_or_else(|| SqlError::syntax(format!("internal constraint translation: {sqlite}")))
}

fn translate_one(text: &str, ctx: &Context, schema: &dyn Schema) -> Result<String, SqlError> {
    let mut out = crate::sql::translate_with(text, ctx, schema)?;
    match (out.pop().and_then(|t| t.sqlite), out.is_empty()) {
        (Some(s), true) => Ok(s),
        _ => Err(SqlError::syntax(format!("internal translation of {text}"))),
    }
}

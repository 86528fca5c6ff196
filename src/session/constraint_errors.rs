//! Constraint violations named as PostgreSQL names them. SQLite reports a unique violation
//! by its columns and a CHECK by its name only; the schema (the mirror, or the open
//! block's view of it) tells which key or unique index those columns are and which table
//! holds the check, so the error says `"t_pkey"`, the index's own name, or `new row for
//! relation "t"` as PostgreSQL would.

use sqlparser::ast::{Expr, Statement, TableConstraint};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::PgError;
use crate::error::codes;
use crate::sql::Schema;

/// `e` with its constraint (and message) named after the schema, when it can tell.
pub(super) fn refine(e: PgError, schema: &dyn Schema) -> PgError {
    match e.code {
        codes::UNIQUE_VIOLATION => unique(e, schema),
        codes::CHECK_VIOLATION => check(e, schema),
        _ => e,
    }
}

fn unique(mut e: PgError, schema: &dyn Schema) -> PgError {
    let Some(table) = e.fields.table.clone() else {
        return e;
    };
    let Some(detail) = e.fields.detail.as_deref() else {
        return e;
    };
    // "Key (a, b) already exists."
    let Some(cols) = detail
        .strip_prefix("Key (")
        .and_then(|d| d.split_once(')'))
        .map(|(c, _)| c.split(", ").map(str::to_string).collect::<Vec<_>>())
    else {
        return e;
    };
    let Some(name) = unique_name(schema, &table, &cols) else {
        return e;
    };
    e.message = format!("duplicate key value violates unique constraint \"{name}\"");
    e.fields.constraint = Some(name);
    e
}

fn same(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// The primary key's or unique index's name for `cols` of `table`.
fn unique_name(schema: &dyn Schema, table: &str, cols: &[String]) -> Option<String> {
    let columns = schema.columns(table)?;
    let key: Vec<String> = columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.clone())
        .collect();
    if same(&key, cols) {
        return Some(format!("{table}_pkey"));
    }
    for o in schema.objects() {
        if !o.table.eq_ignore_ascii_case(table) {
            continue;
        }
        let Ok(mut stmts) = Parser::parse_sql(&SQLiteDialect {}, &o.sql) else {
            continue;
        };
        match stmts.pop() {
            Some(Statement::CreateIndex(ci)) if ci.unique => {
                let names: Vec<String> = ci
                    .columns
                    .iter()
                    .filter_map(|c| match &c.column.expr {
                        Expr::Identifier(i) => Some(i.value.clone()),
                        _ => None,
                    })
                    .collect();
                if same(&names, cols) {
                    return ci.name.map(|n| n.to_string().trim_matches('"').to_string());
                }
            }
            Some(Statement::CreateTable(ct)) => {
                for c in &ct.constraints {
                    if let TableConstraint::Unique(u) = c
                        && let Some(n) = &u.name
                    {
                        let names: Vec<String> = u
                            .columns
                            .iter()
                            .filter_map(|c| match &c.column.expr {
                                Expr::Identifier(i) => Some(i.value.clone()),
                                _ => None,
                            })
                            .collect();
                        if same(&names, cols) {
                            return Some(n.value.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn check(mut e: PgError, schema: &dyn Schema) -> PgError {
    let Some(name) = e.fields.constraint.clone() else {
        return e;
    };
    let quoted = format!("CONSTRAINT \"{name}\"");
    let plain = format!("CONSTRAINT {name} ");
    let table = schema
        .objects()
        .into_iter()
        .find(|o| o.kind == "table" && (o.sql.contains(&quoted) || o.sql.contains(&plain)));
    if let Some(t) = table {
        e.message = format!(
            "new row for relation \"{}\" violates check constraint \"{name}\"",
            t.name
        );
        e.fields.table = Some(t.name);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::from_sqlite;
    use crate::sql::test_support::mirror_from;

    #[test]
    fn keys_indexes_and_checks_get_their_postgres_names() {
        let m = mirror_from(&[
            "CREATE TABLE t (id int PRIMARY KEY, email text, n int CHECK (n > 0), \
             a int, b int, CONSTRAINT ab UNIQUE (a, b))",
            "CREATE UNIQUE INDEX t_email_idx ON t (email)",
        ]);
        let name = |msg: &str| refine(from_sqlite(msg), &m).message;
        assert_eq!(
            name("UNIQUE constraint failed: t.id"),
            "duplicate key value violates unique constraint \"t_pkey\""
        );
        assert_eq!(
            name("UNIQUE constraint failed: t.email"),
            "duplicate key value violates unique constraint \"t_email_idx\""
        );
        assert_eq!(
            name("UNIQUE constraint failed: t.a, t.b"),
            "duplicate key value violates unique constraint \"ab\""
        );
        assert_eq!(
            name("CHECK constraint failed: t_n_check"),
            "new row for relation \"t\" violates check constraint \"t_n_check\""
        );
    }
}

//! Constraint violations named as PostgreSQL names them. SQLite reports a unique violation
//! by its columns, a CHECK by its name only and a foreign key by nothing at all; the schema (the mirror, or the open
//! block's view of it) tells which key or unique index those columns are and which table
//! holds the check, so the error says `"t_pkey"`, the index's own name, or `new row for
//! relation "t"` as PostgreSQL would.

use sqlparser::ast::{Expr, Statement, TableConstraint};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::PgError;
use crate::error::codes;
use crate::sql::Schema;

/// `e` with its constraint (and message) named after the schema, when it can tell;
/// `sqlite` is the statement that failed.
pub(super) fn refine(e: PgError, schema: &dyn Schema, sqlite: Option<&str>) -> PgError {
    match e.code {
        codes::UNIQUE_VIOLATION => unique(e, schema),
        codes::CHECK_VIOLATION => check(e, schema),
        codes::FOREIGN_KEY_VIOLATION => foreign_key(e, schema, sqlite),
        _ => e,
    }
}

/// A foreign key of `child`: (constraint name, whether deleting the parent row acts on the
/// child (CASCADE, SET NULL, SET DEFAULT) rather than failing, the parent table).
fn foreign_keys(schema: &dyn Schema, child: &str) -> Vec<(String, bool, String)> {
    let Some(sql) = schema.table_sql(child) else {
        return Vec::new();
    };
    let Ok(Some(Statement::CreateTable(ct))) =
        Parser::parse_sql(&SQLiteDialect {}, &sql).map(|mut v| v.pop())
    else {
        return Vec::new();
    };
    let last = |n: &sqlparser::ast::ObjectName| {
        n.0.last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for col in &ct.columns {
        for o in &col.options {
            if let sqlparser::ast::ColumnOption::ForeignKey(fk) = &o.option {
                let name = o
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| format!("{child}_{}_fkey", col.name.value));
                out.push((name, acts(fk.on_delete), last(&fk.foreign_table)));
            }
        }
    }
    for c in &ct.constraints {
        if let TableConstraint::ForeignKey(fk) = c {
            let cols: Vec<String> = fk.columns.iter().map(|i| i.value.clone()).collect();
            let name = fk
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| format!("{child}_{}_fkey", cols.join("_")));
            out.push((name, acts(fk.on_delete), last(&fk.foreign_table)));
        }
    }
    out
}

fn acts(on_delete: Option<sqlparser::ast::ReferentialAction>) -> bool {
    use sqlparser::ast::ReferentialAction as A;
    matches!(on_delete, Some(A::Cascade | A::SetNull | A::SetDefault))
}

/// What a write does to its table.
#[derive(PartialEq)]
enum Write {
    Insert,
    Update,
    Delete,
}

/// The table an INSERT/UPDATE/DELETE writes, and how.
fn target(sqlite: &str) -> Option<(String, Write)> {
    let stmt = Parser::parse_sql(&SQLiteDialect {}, sqlite).ok()?.pop()?;
    let name = |n: &sqlparser::ast::ObjectName| {
        n.0.last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.clone())
    };
    match stmt {
        Statement::Insert(i) => match &i.table {
            sqlparser::ast::TableObject::TableName(n) => Some((name(n)?, Write::Insert)),
            _ => None,
        },
        Statement::Update(u) => match &u.table.relation {
            sqlparser::ast::TableFactor::Table { name: n, .. } => Some((name(n)?, Write::Update)),
            _ => None,
        },
        Statement::Delete(d) => {
            let from = match &d.from {
                sqlparser::ast::FromTable::WithFromKeyword(f)
                | sqlparser::ast::FromTable::WithoutKeyword(f) => f.first()?,
            };
            match &from.relation {
                sqlparser::ast::TableFactor::Table { name: n, .. } => {
                    Some((name(n)?, Write::Delete))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Named when the statement's table has exactly one foreign key involved.
fn foreign_key(mut e: PgError, schema: &dyn Schema, sqlite: Option<&str>) -> PgError {
    let Some((table, write)) = sqlite.and_then(target) else {
        return e;
    };
    let children: Vec<(String, String)> = schema
        .objects()
        .into_iter()
        .filter(|o| o.kind == "table")
        .flat_map(|o| {
            foreign_keys(schema, &o.name)
                .into_iter()
                .filter(|(_, acts, parent)| !acts && parent.eq_ignore_ascii_case(&table))
                .map(move |(name, _, _)| (name, o.name.clone()))
        })
        .collect();
    if write == Write::Delete {
        if let [(name, child)] = children.as_slice() {
            e.message = format!(
                "update or delete on table \"{table}\" violates foreign key constraint \
                 \"{name}\" on table \"{child}\""
            );
            e.fields.constraint = Some(name.clone());
        }
        e.fields.table = Some(table);
        return e;
    }
    // An UPDATE may break a key either way: named only when nothing references the table.
    let own = foreign_keys(schema, &table);
    if let ([(name, _, _)], true) = (
        own.as_slice(),
        write == Write::Insert || children.is_empty(),
    ) {
        e.message = format!(
            "insert or update on table \"{table}\" violates foreign key constraint \"{name}\""
        );
        e.fields.constraint = Some(name.clone());
    }
    e.fields.table = Some(table);
    e
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
        let name = |msg: &str| refine(from_sqlite(msg), &m, None).message;
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

    #[test]
    fn foreign_key_violations_name_the_key_when_there_is_one() {
        let m = mirror_from(&[
            "CREATE TABLE p (id int PRIMARY KEY)",
            "CREATE TABLE c (id int, p_id int REFERENCES p (id))",
        ]);
        let fk = || from_sqlite("FOREIGN KEY constraint failed");
        assert_eq!(
            refine(fk(), &m, Some("INSERT INTO c (p_id) VALUES (9)")).message,
            "insert or update on table \"c\" violates foreign key constraint \"c_p_id_fkey\""
        );
        assert_eq!(
            refine(fk(), &m, Some("DELETE FROM p WHERE id = 1")).message,
            "update or delete on table \"p\" violates foreign key constraint \"c_p_id_fkey\" \
             on table \"c\""
        );
    }
}

//! Constraints by name, for ALTER TABLE … DROP CONSTRAINT (done by a table rebuild). A
//! constraint written with a name keeps it in SQLite's schema; an unnamed one is known by
//! the name PostgreSQL would have given it: `<table>_pkey`, `<table>_<cols>_key` (UNIQUE),
//! `<table>_<cols>_fkey`, `<table>_<col>_check` (the first column the check names, or
//! `<table>_check`).

use sqlparser::ast::{ColumnOption, CreateTable, Expr, TableConstraint};

use crate::sql::SqlError;
use crate::sql::markers::PREFIX;

/// Give each unnamed CHECK of `ct` the name PostgreSQL would, so that SQLite reports
/// that name when it fails and DROP CONSTRAINT finds it.
pub(super) fn name_checks(ct: &mut CreateTable) {
    let table = ct
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(crate::sql::names::fold)
        .unwrap_or_default();
    for col in &mut ct.columns {
        name_column_checks(&table, col);
    }
    for c in &mut ct.constraints {
        if let TableConstraint::Check(ch) = c
            && ch.name.is_none()
        {
            let n = match first_column(&ch.expr) {
                Some(c) => format!("{table}_{c}_check"),
                None => format!("{table}_check"),
            };
            ch.name = Some(sqlparser::ast::Ident::new(n));
        }
    }
}

/// Name the unnamed CHECKs of one column `<table>_<column>_check`.
pub(super) fn name_column_checks(table: &str, col: &mut sqlparser::ast::ColumnDef) {
    let column = crate::sql::names::fold(&col.name);
    for o in &mut col.options {
        if o.name.is_none() && matches!(o.option, ColumnOption::Check(_)) {
            o.name = Some(sqlparser::ast::Ident::new(format!(
                "{table}_{column}_check"
            )));
        }
    }
}

/// Remove constraint `name` from `ct`; 42704 unless it exists (or `if_exists`).
pub(super) fn drop(ct: &mut CreateTable, name: &str, if_exists: bool) -> Result<(), SqlError> {
    let table = ct
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default();
    let before = count(ct);
    let mut primary = false;
    ct.constraints.retain(|c| {
        let hit = table_constraint_name(&table, c).eq_ignore_ascii_case(name);
        primary |= hit && matches!(c, TableConstraint::PrimaryKey(_));
        !hit
    });
    for col in &mut ct.columns {
        let column = col.name.value.clone();
        col.options.retain(|o| {
            let own = match &o.name {
                Some(n) if n.value.starts_with(PREFIX) => return true,
                Some(n) => n.value.clone(),
                None => match &o.option {
                    ColumnOption::PrimaryKey(_) => format!("{table}_pkey"),
                    ColumnOption::Unique(_) => format!("{table}_{column}_key"),
                    ColumnOption::ForeignKey(_) => format!("{table}_{column}_fkey"),
                    ColumnOption::Check(_) => format!("{table}_{column}_check"),
                    _ => return true,
                },
            };
            let hit = own.eq_ignore_ascii_case(name);
            primary |= hit && matches!(o.option, ColumnOption::PrimaryKey(_));
            !hit
        });
    }
    if primary {
        return Err(SqlError::unsupported("dropping a primary key constraint"));
    }
    if count(ct) == before && !if_exists {
        return Err(SqlError::UndefinedObject {
            message: format!("constraint \"{name}\" of relation \"{table}\" does not exist"),
        });
    }
    Ok(())
}

/// The columns of the PRIMARY KEY or UNIQUE constraint `name` of `ct` (for
/// `ON CONFLICT ON CONSTRAINT name`), if it has one by that name.
pub(super) fn key_columns(ct: &CreateTable, name: &str) -> Option<Vec<String>> {
    let table = ct
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default();
    for c in &ct.constraints {
        if !table_constraint_name(&table, c).eq_ignore_ascii_case(name) {
            continue;
        }
        match c {
            TableConstraint::PrimaryKey(pk) => {
                return Some(super::columns::index_column_names(&pk.columns));
            }
            TableConstraint::Unique(u) => {
                return Some(super::columns::index_column_names(&u.columns));
            }
            _ => {}
        }
    }
    ct.columns.iter().find_map(|col| {
        let column = col.name.value.clone();
        col.options.iter().find_map(|o| {
            let default = match &o.option {
                ColumnOption::PrimaryKey(_) => format!("{table}_pkey"),
                ColumnOption::Unique(_) => format!("{table}_{column}_key"),
                _ => return None,
            };
            let own = match &o.name {
                Some(n) if !n.value.starts_with(PREFIX) => n.value.clone(),
                _ => default,
            };
            own.eq_ignore_ascii_case(name).then(|| vec![column.clone()])
        })
    })
}

fn count(ct: &CreateTable) -> usize {
    ct.constraints.len() + ct.columns.iter().map(|c| c.options.len()).sum::<usize>()
}

fn table_constraint_name(table: &str, c: &TableConstraint) -> String {
    let named = |n: &Option<sqlparser::ast::Ident>| n.as_ref().map(|i| i.value.clone());
    let cols = |cols: Vec<String>| cols.join("_");
    match c {
        TableConstraint::PrimaryKey(pk) => {
            named(&pk.name).unwrap_or_else(|| format!("{table}_pkey"))
        }
        TableConstraint::Unique(u) => named(&u.name).unwrap_or_else(|| {
            format!(
                "{table}_{}_key",
                cols(super::columns::index_column_names(&u.columns))
            )
        }),
        TableConstraint::ForeignKey(fk) => named(&fk.name).unwrap_or_else(|| {
            format!(
                "{table}_{}_fkey",
                cols(fk.columns.iter().map(|i| i.value.clone()).collect())
            )
        }),
        TableConstraint::Check(ch) => {
            named(&ch.name).unwrap_or_else(|| match first_column(&ch.expr) {
                Some(c) => format!("{table}_{c}_check"),
                None => format!("{table}_check"),
            })
        }
        _ => String::new(),
    }
}

fn first_column(e: &Expr) -> Option<String> {
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(e, |e| {
        if let Expr::Identifier(i) = e {
            found = Some(i.value.clone());
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    #[test]
    fn constraints_are_dropped_by_their_postgres_names() {
        let m = mirror_from(&[
            "CREATE TABLE p (id int PRIMARY KEY)",
            "CREATE TABLE t (id int PRIMARY KEY, p_id int REFERENCES p (id), \
             code text UNIQUE, n int CHECK (n > 0), m int, CONSTRAINT m_pos CHECK (m > 0), \
             CHECK (m < n), UNIQUE (n, m))",
        ]);
        for (drop, gone) in [
            ("t_p_id_fkey", "REFERENCES"),
            ("t_code_key", "code TEXT UNIQUE"),
            ("t_n_check", "CHECK (n > 0)"),
            ("m_pos", "m_pos"),
            ("t_m_check", "CHECK (m < n)"),
            ("t_n_m_key", "UNIQUE (n, m)"),
        ] {
            let sql = sqlite_with(&format!("ALTER TABLE t DROP CONSTRAINT {drop}"), &m);
            let create = sql
                .split(";\n")
                .find(|s| s.starts_with("CREATE TABLE \"t\""))
                .unwrap();
            assert!(!create.contains(gone), "{drop}: {create}");
        }
        assert!(matches!(
            err_with("ALTER TABLE t DROP CONSTRAINT nope", &m),
            SqlError::UndefinedObject { .. }
        ));
        assert!(
            sqlite_with("ALTER TABLE t DROP CONSTRAINT IF EXISTS nope", &m)
                .contains("CREATE TABLE")
        );
        assert_unsupported_with("ALTER TABLE t DROP CONSTRAINT t_pkey", &m);
    }

    fn assert_unsupported_with(sql: &str, schema: &dyn crate::sql::Schema) {
        assert!(matches!(
            err_with(sql, schema),
            SqlError::Unsupported { .. }
        ));
    }
}

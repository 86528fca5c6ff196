//! Table references: schema qualifiers (only `public` exists), whether the
//! statement touches any table, and table-valued functions in FROM.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, TableFactor};

use super::Rewriter;
use crate::sql::SqlError;

/// SQLite table-valued functions that read no table.
const TABLE_FUNCTIONS: &[&str] = &["json_each", "json_tree"];

/// Scalar functions PostgreSQL also accepts in FROM (one row, one column named after the
/// function): `SELECT * FROM current_schema()` (TypeORM's connect).
const SCALAR_IN_FROM: &[&str] = &[
    "current_schema",
    "current_database",
    "current_user",
    "session_user",
    "version",
    "now",
];

/// Table references seen during the walk.
#[derive(Debug, Default)]
pub(super) struct Tables {
    /// Some FROM/JOIN item names a real table (not a CTE).
    pub(super) touched: bool,
    /// CTE names in scope, innermost query last.
    cte_scopes: Vec<Vec<String>>,
}

impl Tables {
    pub(super) fn enter_query(&mut self, cte_names: Vec<String>) {
        self.cte_scopes.push(cte_names);
    }

    pub(super) fn leave_query(&mut self) {
        self.cte_scopes.pop();
    }

    fn is_cte(&self, name: &ObjectName) -> bool {
        let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() else {
            return false;
        };
        let wanted = fold(ident);
        self.cte_scopes.iter().flatten().any(|cte| *cte == wanted)
    }
}

pub(super) use crate::sql::names::fold;

/// Check one FROM/JOIN item, noting whether it reads a table.
pub(super) fn table_factor(rw: &mut Rewriter<'_>, tf: &mut TableFactor) -> Result<(), SqlError> {
    if super::series::rewrite(tf)? || scalar_in_from(tf)? {
        return Ok(());
    }
    match tf {
        TableFactor::Table {
            name, args, alias, ..
        } => {
            if args.is_some() {
                let aliases = alias.as_ref().map_or(0, |a| a.columns.len());
                return table_function(name, aliases);
            }
            if !rw.tables.is_cte(name) {
                rw.tables.touched = true;
            }
            Ok(())
        }
        TableFactor::Derived { lateral: true, .. } => {
            Err(SqlError::unsupported("LATERAL subquery"))
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => derived_column_aliases(subquery, alias),
        TableFactor::NestedJoin { .. } => Ok(()),
        TableFactor::UNNEST { .. } => Err(SqlError::unsupported("UNNEST in FROM")),
        TableFactor::Function { name, .. } => {
            Err(SqlError::unsupported(format!("function {name}() in FROM")))
        }
        other => Err(SqlError::unsupported(format!("FROM item {other}"))),
    }
}

/// `(…) AS t(a, b)`: SQLite has no column list on a derived table's alias,
/// but has one on a CTE, so the subquery becomes
/// `WITH pgrq_d(a, b) AS (…) SELECT * FROM pgrq_d`.
fn derived_column_aliases(
    subquery: &mut Box<sqlparser::ast::Query>,
    alias: &mut Option<sqlparser::ast::TableAlias>,
) -> Result<(), SqlError> {
    let Some(alias) = alias.as_mut().filter(|a| !a.columns.is_empty()) else {
        return Ok(());
    };
    let columns: Vec<String> = alias.columns.iter().map(|c| c.name.to_string()).collect();
    let sql = format!(
        "WITH pgrq_d({}) AS ({subquery}) SELECT * FROM pgrq_d",
        columns.join(", ")
    );
    let parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| SqlError::unsupported(format!("column aliases on this subquery ({e})")))?;
    *subquery = parsed;
    alias.columns.clear();
    Ok(())
}

/// `f()` in FROM for a scalar `f` becomes `(SELECT f() AS f)`, keeping the alias (whose
/// column alias, if any, names the column); `Ok(false)` for anything else.
fn scalar_in_from(tf: &mut TableFactor) -> Result<bool, SqlError> {
    let TableFactor::Table {
        name,
        args: Some(args),
        alias,
        ..
    } = tf
    else {
        return Ok(false);
    };
    let plain = match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => fold(ident),
        [
            ObjectNamePart::Identifier(schema),
            ObjectNamePart::Identifier(ident),
        ] if fold(schema) == "pg_catalog" => fold(ident),
        _ => return Ok(false),
    };
    if !SCALAR_IN_FROM.contains(&plain.as_str()) || !args.args.is_empty() {
        return Ok(false);
    }
    let column = match alias.as_ref().map(|a| a.columns.as_slice()) {
        Some([one]) => one.name.clone(),
        Some([]) | None => alias
            .as_ref()
            .map_or_else(|| Ident::with_quote('"', &plain), |a| a.name.clone()),
        Some(_) => {
            return Err(SqlError::unsupported(format!(
                "{plain}() in FROM with several column aliases"
            )));
        }
    };
    let sql = format!("SELECT {plain}() AS {column}");
    let subquery = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| SqlError::unsupported(format!("{plain}() in FROM ({e})")))?;
    let alias = alias.take().map(|mut a| {
        a.columns.clear();
        a
    });
    *tf = TableFactor::Derived {
        lateral: false,
        subquery,
        alias,
        sample: None,
    };
    Ok(true)
}

/// A function in FROM: SQLite's table-valued ones pass; a scalar function with more
/// than one column alias is PostgreSQL's 42P10; anything else is not translated.
fn table_function(name: &ObjectName, aliases: usize) -> Result<(), SqlError> {
    let plain = match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => fold(ident),
        _ => String::new(),
    };
    if TABLE_FUNCTIONS.contains(&plain.as_str()) {
        Ok(())
    } else if aliases > 1 && super::function_names::SQLITE_FUNCTIONS.contains(&plain.as_str()) {
        Err(SqlError::TooManyColumnAliases {
            message: format!("too many column aliases specified for function {plain}"),
        })
    } else {
        Err(SqlError::unsupported(format!(
            "set-returning function {name}() in FROM"
        )))
    }
}

/// `public.t` → `t`; any other schema is refused.
pub(super) fn strip_schema(name: &mut ObjectName) -> Result<(), SqlError> {
    match name.0.len() {
        0 | 1 => Ok(()),
        2 => {
            check_schema(name.0[0].as_ident())?;
            name.0.remove(0);
            Ok(())
        }
        _ => Err(SqlError::unsupported(format!(
            "cross-database reference {name}"
        ))),
    }
}

/// `public.t.col` → `t.col`; `db.schema.t.col` is refused.
pub(super) fn strip_column_schema(parts: &mut Vec<Ident>) -> Result<(), SqlError> {
    match parts.len() {
        0..=2 => Ok(()),
        3 => {
            check_schema(parts.first())?;
            parts.remove(0);
            Ok(())
        }
        _ => Err(SqlError::unsupported(format!(
            "cross-database reference {}",
            parts
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(".")
        ))),
    }
}

fn check_schema(schema: Option<&Ident>) -> Result<(), SqlError> {
    let name = schema.map(fold).unwrap_or_default();
    match name.as_str() {
        "public" => Ok(()),
        "pg_catalog" | "information_schema" => Err(SqlError::unsupported(format!(
            "system catalog schema \"{name}\""
        ))),
        _ => Err(SqlError::unsupported(format!(
            "schema \"{name}\" (pgrq has only the public schema)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn public_schema_is_stripped() {
        assert_eq!(
            sqlite("SELECT public.t.a, t.b, public.t.* FROM public.t JOIN public.u ON t.id = u.id"),
            "SELECT t.a, t.b, t.* FROM t JOIN u ON t.id = u.id"
        );
        assert_eq!(
            sqlite("INSERT INTO public.t (a) VALUES (1)"),
            "INSERT INTO t (a) VALUES (1)"
        );
    }

    #[test]
    fn other_schemas_are_refused() {
        assert_eq!(
            err("SELECT * FROM sales.orders").to_string(),
            "schema \"sales\" (pgrq has only the public schema) is not supported"
        );
        assert_unsupported(
            "SELECT * FROM sales.orders",
            "schema \"sales\" (pgrq has only the public schema)",
        );
        // (pg_catalog and information_schema are answered by sql::catalog.)
        assert_unsupported("SELECT * FROM a.b.c", "cross-database");
    }

    #[test]
    fn needs_database_tracks_table_references() {
        assert!(!tr("SELECT 1").needs_database);
        assert!(!tr("SELECT 1 + 2 AS x, 'a' || 'b'").needs_database);
        assert!(!tr("VALUES (1), (2)").needs_database);
        assert!(tr("SELECT * FROM t").needs_database);
        assert!(tr("SELECT 1 WHERE EXISTS (SELECT 1 FROM t)").needs_database);
        assert!(tr("SELECT (SELECT max(a) FROM t)").needs_database);
        assert!(tr("SELECT * FROM (SELECT * FROM t) AS s").needs_database);
    }

    #[test]
    fn cte_names_are_not_tables() {
        assert!(!tr("WITH x AS (SELECT 1 AS a) SELECT a FROM x").needs_database);
        assert!(tr("WITH x AS (SELECT a FROM t) SELECT a FROM x").needs_database);
        assert!(tr("WITH x AS (SELECT 1 AS a) SELECT * FROM x, y").needs_database);
    }

    #[test]
    fn derived_column_aliases_become_a_cte() {
        assert_eq!(
            sqlite("SELECT x FROM (VALUES (1), (2)) AS t(x)"),
            "SELECT x FROM (WITH pgrq_d (x) AS (VALUES (1), (2)) SELECT * FROM pgrq_d) AS t"
        );
    }

    #[test]
    fn update_and_delete_aliases_get_as() {
        assert_eq!(
            sqlite("UPDATE t t1 SET a = 1 WHERE t1.a = 2"),
            "UPDATE t AS t1 SET a = 1 WHERE t1.a = 2"
        );
        assert_eq!(
            sqlite("DELETE FROM t t1 WHERE t1.a = 2"),
            "DELETE FROM t AS t1 WHERE t1.a = 2"
        );
    }

    #[test]
    fn scalar_functions_in_from_are_one_row() {
        let out = sqlite("SELECT * FROM current_schema()");
        assert!(out.starts_with("SELECT * FROM (SELECT "), "{out}");
        assert!(out.ends_with(" AS \"current_schema\")"), "{out}");
        let out = sqlite("SELECT s FROM current_database() AS d(s)");
        assert!(out.ends_with(" AS s) AS d"), "{out}");
        assert!(!tr("SELECT * FROM version()").needs_database);
    }

    #[test]
    fn table_functions() {
        let t = tr("SELECT value FROM json_each('[1,2]')");
        assert!(!t.needs_database);
        assert_unsupported("SELECT * FROM unnest(x)", "unnest() in FROM over a column");
        assert_unsupported(
            "SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.id = t.id) AS s",
            "LATERAL",
        );
    }
}

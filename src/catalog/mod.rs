//! The emulated system catalogs of one database: an in-memory SQLite with the databases
//! `pg_catalog` and `information_schema` attached (so qualified and unqualified names
//! resolve), whose tables (shapes from `sql::catalog::defs`) hold rows derived from the
//! database's schema ([`Model`]) plus the fixed rows every PostgreSQL database has, and
//! PostgreSQL's catalog functions registered as SQLite functions. Catalog queries
//! translated by `sql::catalog` run here. It does no network I/O; the schema mirror builds
//! it from its schema and drops it when the schema changes.

pub mod arrays;
mod fill;
mod fill_constraints;
mod fill_fixed;
mod fill_objects;
mod functions;
pub mod model;
mod pgtypes;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_orm;

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::types::{Value as SqlValue, ValueRef};

pub use model::Model;

use crate::session::Value;
use crate::sql::catalog::defs;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    UndefinedTable(String),
    #[error("{0}")]
    UndefinedObject(String),
    #[error("{0}")]
    InvalidSchemaName(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    InvalidRegex(String),
    #[error("{0}")]
    ProgramLimit(String),
    /// SQLite refused or failed the statement (its message).
    #[error("{0}")]
    Sqlite(String),
    #[error("the catalog is unusable: {0}")]
    Poisoned(String),
}

impl From<rusqlite::Error> for CatalogError {
    fn from(e: rusqlite::Error) -> Self {
        let msg = match e {
            rusqlite::Error::SqliteFailure(_, Some(m)) => m,
            rusqlite::Error::SqlInputError { msg, .. } => msg,
            rusqlite::Error::UserFunctionError(inner) => inner.to_string(),
            other => other.to_string(),
        };
        // Catalog functions raise `pgrq:<kind>:<message>`.
        if let Some(rest) = msg.strip_prefix("pgrq:")
            && let Some((kind, message)) = rest.split_once(':')
        {
            let m = message.to_string();
            return match kind {
                "undefined_table" => CatalogError::UndefinedTable(m),
                "undefined_object" => CatalogError::UndefinedObject(m),
                "invalid_schema_name" => CatalogError::InvalidSchemaName(m),
                "feature_not_supported" => CatalogError::Unsupported(m),
                "invalid_regular_expression" => CatalogError::InvalidRegex(m),
                "program_limit_exceeded" => CatalogError::ProgramLimit(m),
                _ => CatalogError::Sqlite(m),
            };
        }
        CatalogError::Sqlite(msg)
    }
}

/// A result column: its name and the catalog column type it comes from (`""` for an
/// expression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogColumn {
    pub name: String,
    pub decl_type: String,
}

pub struct Catalog {
    conn: Mutex<Connection>,
    lookup: Arc<functions::Lookup>,
}

impl Catalog {
    /// The catalog of `model` for database `database` as seen by `user`.
    pub fn build(model: &Model, database: &str, user: &str) -> Result<Catalog, CatalogError> {
        let conn = Connection::open_in_memory()?;
        // PostgreSQL's LIKE is case-sensitive.
        conn.execute_batch(
            "ATTACH DATABASE ':memory:' AS pg_catalog; \
             ATTACH DATABASE ':memory:' AS information_schema; \
             PRAGMA case_sensitive_like = ON;",
        )?;
        for def in defs::RELATIONS {
            let cols: Vec<String> = defs::columns(def)
                .map(|(n, ty)| format!("\"{n}\" {ty}"))
                .collect();
            conn.execute_batch(&format!(
                "CREATE TABLE {}.{} ({})",
                def.0,
                def.1,
                cols.join(", ")
            ))?;
        }
        let (rows, lookup) = fill::build(model, database, user);
        let lookup = Arc::new(lookup);
        rows.insert(&conn)?;
        functions::register(&conn, lookup.clone())?;
        Ok(Catalog {
            conn: Mutex::new(conn),
            lookup,
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, CatalogError> {
        self.conn
            .lock()
            .map_err(|e| CatalogError::Poisoned(e.to_string()))
    }

    /// Result columns and parameter count of `sql` without running it.
    pub fn describe(&self, sql: &str) -> Result<(Vec<CatalogColumn>, usize), CatalogError> {
        let conn = self.conn()?;
        let stmt = conn.prepare(sql)?;
        Ok((columns_of(&stmt), stmt.parameter_count()))
    }

    /// Runs `sql` with `params`; `settings` are the session's (for `pg_settings` and
    /// `current_setting`).
    pub fn query(
        &self,
        sql: &str,
        params: &[Value],
        settings: &[(String, String)],
    ) -> Result<(Vec<CatalogColumn>, Vec<Vec<Value>>), CatalogError> {
        let conn = self.conn()?;
        self.load_settings(&conn, settings)?;
        let mut stmt = conn.prepare(sql)?;
        let columns = columns_of(&stmt);
        let n = columns.len();
        let bound: Vec<SqlValue> = params.iter().map(to_sql).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(bound))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for k in 0..n {
                row.push(from_sql(r.get_ref(k)?));
            }
            out.push(row);
        }
        Ok((columns, out))
    }

    /// The `set_config` calls of the last [`Catalog::query`], in order.
    pub fn take_set_calls(&self) -> Vec<(String, String)> {
        self.lookup
            .set_calls
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    fn load_settings(
        &self,
        conn: &Connection,
        settings: &[(String, String)],
    ) -> Result<(), CatalogError> {
        let mut map = self
            .lookup
            .settings
            .lock()
            .map_err(|e| CatalogError::Poisoned(e.to_string()))?;
        map.clear();
        if let Ok(mut calls) = self.lookup.set_calls.lock() {
            calls.clear();
        }
        conn.execute_batch("DELETE FROM pg_catalog.pg_settings")?;
        let mut ins = conn.prepare(
            "INSERT INTO pg_catalog.pg_settings (name, setting, context, vartype, source, \
             boot_val, reset_val, pending_restart) VALUES (?1, ?2, 'user', 'string', \
             'session', ?2, ?2, 0)",
        )?;
        for (name, value) in settings {
            map.insert(name.to_lowercase(), value.clone());
            ins.execute([name, value])?;
        }
        Ok(())
    }
}

fn columns_of(stmt: &rusqlite::Statement<'_>) -> Vec<CatalogColumn> {
    stmt.columns()
        .map(|c| CatalogColumn {
            name: c.name().to_string(),
            decl_type: c.decl_type().unwrap_or("").to_string(),
        })
        .collect()
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Real(f) => SqlValue::Real(*f),
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Blob(b) => SqlValue::Blob(b.clone()),
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
    }
}

fn from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

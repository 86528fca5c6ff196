//! The schema mirror: per database, an in-memory SQLite (rusqlite) holding that
//! database's schema (the `CREATE` statements of its `sqlite_schema`), so that questions
//! rqlite cannot answer before a statement runs are answered locally: a statement's
//! result columns and their declared types (Describe), the parameters it takes, each
//! table's columns and defaults (for translation), and whether SQLite accepts it at all.
//! It holds no data and does no network I/O: whoever owns it feeds it the DDL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

mod engine_functions;

use crate::catalog::{self, Catalog, CatalogError, Model};
use crate::session::DbName;

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// SQLite refused the statement (its message, verbatim).
    #[error("{0}")]
    Sqlite(String),
    #[error("the schema mirror is unusable: {0}")]
    Poisoned(String),
}

impl From<rusqlite::Error> for MirrorError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(_, Some(msg)) => MirrorError::Sqlite(msg),
            // SQLite's own message, without rusqlite's "in <sql> at offset N".
            rusqlite::Error::SqlInputError { msg, .. } => MirrorError::Sqlite(msg),
            other => MirrorError::Sqlite(other.to_string()),
        }
    }
}

/// A result column as SQLite describes it: its name and declared type ("" for
/// expressions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDesc {
    pub name: String,
    pub decl_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub columns: Vec<ColumnDesc>,
    pub param_count: usize,
}

/// One table column, from `pragma_table_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    pub name: String,
    pub decl_type: String,
    pub default_expr: Option<String>,
    pub not_null: bool,
    pub primary_key: bool,
}

pub struct Mirror {
    conn: Mutex<Connection>,
    loaded: std::sync::atomic::AtomicBool,
    /// (table, column) → PostgreSQL type name recorded in a `pgrq_type_*` constraint name,
    /// for key columns whose declared type must stay `INTEGER` (lower-cased names).
    type_markers: Mutex<HashMap<(String, String), String>>,
    /// The emulated system catalogs of this schema, built on first use for a user and
    /// dropped whenever the schema is reloaded.
    catalog: Mutex<Option<(String, Arc<Catalog>)>>,
}

impl Mirror {
    pub fn new() -> Result<Mirror, MirrorError> {
        let conn = Connection::open_in_memory()?;
        engine_functions::register(&conn)?;
        Ok(Mirror {
            conn: Mutex::new(conn),
            loaded: std::sync::atomic::AtomicBool::new(false),
            type_markers: Mutex::new(HashMap::new()),
            catalog: Mutex::new(None),
        })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, MirrorError> {
        self.conn
            .lock()
            .map_err(|e| MirrorError::Poisoned(e.to_string()))
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Replaces the schema with `ddl` (the `sql` of `sqlite_schema`, in creation order).
    /// Statements SQLite refuses here are skipped: the mirror must never block a client.
    pub fn load(&self, ddl: &[String]) -> Result<(), MirrorError> {
        let mut conn = self.conn()?;
        // A fresh connection is the simplest way to drop everything, views and triggers
        // included.
        *conn = Connection::open_in_memory()?;
        engine_functions::register(&conn)?;
        let mut markers = HashMap::new();
        for stmt in ddl {
            if let Err(e) = conn.execute_batch(stmt) {
                tracing::warn!(error = %e, ddl = %stmt, "schema mirror skipped a statement");
                continue;
            }
            markers.extend(type_markers(stmt));
        }
        *self
            .type_markers
            .lock()
            .map_err(|e| MirrorError::Poisoned(e.to_string()))? = markers;
        *self
            .catalog
            .lock()
            .map_err(|e| MirrorError::Poisoned(e.to_string()))? = None;
        self.loaded
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// A private copy of this schema with `ddl` (SQLite text) applied: the schema as an
    /// open transaction block sees it, which the shared mirror must not show before
    /// COMMIT.
    pub fn with_applied(&self, ddl: &str) -> Result<Mirror, MirrorError> {
        let mut all: Vec<String> = crate::sql::Schema::objects(self)
            .into_iter()
            .filter(|o| !o.name.starts_with("sqlite_"))
            .map(|o| o.sql)
            .collect();
        all.push(ddl.to_string());
        let m = Mirror::new()?;
        m.load(&all)?;
        Ok(m)
    }

    /// Prepares `sql` (SQLite text with `?N` parameters) without running it.
    pub fn describe(&self, sql: &str) -> Result<Described, MirrorError> {
        let conn = self.conn()?;
        let stmt = conn.prepare(sql)?;
        let columns = stmt
            .columns()
            .map(|c| ColumnDesc {
                name: c.name().to_string(),
                decl_type: c.decl_type().unwrap_or("").to_string(),
            })
            .collect();
        Ok(Described {
            columns,
            param_count: stmt.parameter_count(),
        })
    }

    /// The system catalogs of this schema for database `database` as seen by `user`,
    /// built from the schema on first use and kept until the schema changes.
    pub fn catalog(&self, database: &str, user: &str) -> Result<Arc<Catalog>, CatalogError> {
        let mut cached = self
            .catalog
            .lock()
            .map_err(|e| CatalogError::Poisoned(e.to_string()))?;
        if let Some((u, c)) = cached.as_ref()
            && u == user
        {
            return Ok(c.clone());
        }
        let model = self
            .model()
            .map_err(|e| CatalogError::Sqlite(e.to_string()))?;
        let built = Arc::new(Catalog::build(&model, database, user)?);
        *cached = Some((user.to_string(), built.clone()));
        Ok(built)
    }

    /// The schema as PostgreSQL describes it.
    pub fn model(&self) -> Result<Model, MirrorError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema \
             WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
        )?;
        let rows: Vec<catalog::model::SchemaRow> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .filter_map(Result::ok)
            .collect();
        let view_columns = |view: &str| -> Vec<(String, String)> {
            let Ok(mut st) = conn.prepare("SELECT name, type FROM pragma_table_info(?1)") else {
                return Vec::new();
            };
            st.query_map([view], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })
            .map(|it| it.filter_map(Result::ok).collect())
            .unwrap_or_default()
        };
        Ok(Model::from_schema(&rows, &view_columns))
    }

    /// The columns of `table`, or `None` when the mirror has no such table.
    pub fn table_columns(&self, table: &str) -> Option<Vec<TableColumn>> {
        let conn = self.conn().ok()?;
        let mut stmt = conn
            .prepare("SELECT name, type, dflt_value, \"notnull\", pk FROM pragma_table_info(?1)")
            .ok()?;
        let rows = stmt
            .query_map([table], |r| {
                Ok(TableColumn {
                    name: r.get(0)?,
                    decl_type: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    default_expr: r.get(2)?,
                    not_null: r.get::<_, i64>(3)? != 0,
                    primary_key: r.get::<_, i64>(4)? != 0,
                })
            })
            .ok()?;
        let mut cols: Vec<TableColumn> = rows.filter_map(Result::ok).collect();
        if let Ok(markers) = self.type_markers.lock() {
            let t = table.to_lowercase();
            for c in &mut cols {
                if let Some(ty) = markers.get(&(t.clone(), c.name.to_lowercase())) {
                    c.decl_type = ty.clone();
                }
            }
        }
        (!cols.is_empty()).then_some(cols)
    }
}

/// Translation asks the mirror about tables (columns, defaults) through `sql::Schema`.
impl crate::sql::Schema for Mirror {
    fn columns(&self, table: &str) -> Option<Vec<crate::sql::ColumnInfo>> {
        let cols = self.table_columns(table)?;
        Some(
            cols.into_iter()
                .map(|c| crate::sql::ColumnInfo {
                    name: c.name,
                    decl_type: c.decl_type,
                    default_expr: c.default_expr,
                    not_null: c.not_null,
                    primary_key: c.primary_key,
                })
                .collect(),
        )
    }

    fn table_sql(&self, table: &str) -> Option<String> {
        let conn = self.conn().ok()?;
        conn.query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            [table],
            |r| r.get(0),
        )
        .ok()
    }

    fn objects(&self) -> Vec<crate::sql::SchemaObject> {
        let Ok(conn) = self.conn() else {
            return Vec::new();
        };
        let Ok(mut stmt) = conn.prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL \
             ORDER BY rowid",
        ) else {
            return Vec::new();
        };
        let rows = stmt.query_map([], |r| {
            Ok(crate::sql::SchemaObject {
                kind: r.get(0)?,
                name: r.get(1)?,
                table: r.get(2)?,
                sql: r.get(3)?,
            })
        });
        match rows {
            Ok(rows) => rows.filter_map(Result::ok).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The mirrors of the databases this node serves, shared by their sessions.
#[derive(Default)]
pub struct Mirrors {
    by_db: Mutex<HashMap<DbName, Arc<Mirror>>>,
}

impl Mirrors {
    pub fn get(&self, db: &DbName) -> Result<Arc<Mirror>, MirrorError> {
        let mut map = self
            .by_db
            .lock()
            .map_err(|e| MirrorError::Poisoned(e.to_string()))?;
        if let Some(m) = map.get(db) {
            return Ok(m.clone());
        }
        let m = Arc::new(Mirror::new()?);
        map.insert(db.clone(), m.clone());
        Ok(m)
    }

    /// Keeps the mirrors of the databases `keep` accepts (sessions holding one keep it).
    pub fn retain(&self, keep: impl Fn(&DbName) -> bool) {
        if let Ok(mut map) = self.by_db.lock() {
            map.retain(|db, _| keep(db));
        }
    }
}

/// `pgrq_type_<type>` constraint names in a CREATE TABLE: ((table, column), type).
fn type_markers(ddl: &str) -> Vec<((String, String), String)> {
    use sqlparser::ast::Statement;
    let Ok(stmts) =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::SQLiteDialect {}, ddl)
    else {
        return Vec::new();
    };
    let unquote = |s: String| {
        s.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
            .to_lowercase()
    };
    let mut out = Vec::new();
    for stmt in stmts {
        let Statement::CreateTable(ct) = stmt else {
            continue;
        };
        let table = unquote(ct.name.to_string());
        for col in &ct.columns {
            for opt in &col.options {
                if let Some(ty) = opt
                    .name
                    .as_ref()
                    .and_then(|n| n.value.strip_prefix(crate::sql::TYPE_MARKER_PREFIX))
                {
                    out.push((
                        (table.clone(), col.name.value.to_lowercase()),
                        ty.to_string(),
                    ));
                }
            }
        }
    }
    out
}

/// The query that lists a database's schema for `Mirror::load`.
pub const SCHEMA_QUERY: &str = "SELECT sql FROM sqlite_schema \
     WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid";

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(ddl: &[&str]) -> Mirror {
        let m = Mirror::new().unwrap();
        let ddl: Vec<String> = ddl.iter().map(|s| s.to_string()).collect();
        m.load(&ddl).unwrap();
        m
    }

    #[test]
    fn describes_result_columns_and_parameters() {
        let m = mirror(&[
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, ts TIMESTAMPTZ_TEXT, ok BOOLEAN)",
        ]);
        let d = m
            .describe("SELECT id, name, ts, ok, count(*) FROM t WHERE id = ?1 AND name = ?2")
            .unwrap();
        let decl: Vec<&str> = d.columns.iter().map(|c| c.decl_type.as_str()).collect();
        assert_eq!(decl, ["INTEGER", "TEXT", "TIMESTAMPTZ_TEXT", "BOOLEAN", ""]);
        assert_eq!(d.columns[4].name, "count(*)");
        assert_eq!(d.param_count, 2);
        let d = m
            .describe("INSERT INTO t (name) VALUES (?1) RETURNING id, ok")
            .unwrap();
        assert_eq!(d.columns.len(), 2);
        let d = m.describe("UPDATE t SET ok = 1").unwrap();
        assert!(d.columns.is_empty());
    }

    #[test]
    fn refuses_what_sqlite_refuses() {
        let m = mirror(&["CREATE TABLE t (a INT)"]);
        let e = m.describe("SELECT b FROM t").unwrap_err().to_string();
        assert_eq!(e, "no such column: b");
        let e = m.describe("SELECT * FROM nope").unwrap_err().to_string();
        assert_eq!(e, "no such table: nope");
    }

    #[test]
    fn table_columns_and_reload() {
        let m = mirror(&[
            "CREATE TABLE t (id INTEGER PRIMARY KEY, created TIMESTAMPTZ_TEXT DEFAULT (strftime('%Y', 'n' || 'ow')) NOT NULL)",
            "CREATE INDEX t_created_idx ON t (created)",
            "CREATE VIEW v AS SELECT id FROM t",
        ]);
        let cols = m.table_columns("t").unwrap();
        assert_eq!(cols.len(), 2);
        assert!(cols[0].primary_key);
        assert_eq!(
            cols[1].default_expr.as_deref(),
            Some("strftime('%Y', 'n' || 'ow')")
        );
        assert!(cols[1].not_null);
        assert!(m.table_columns("nope").is_none());
        assert_eq!(m.describe("SELECT id FROM v").unwrap().columns.len(), 1);
        m.load(&["CREATE TABLE u (x TEXT)".to_string()]).unwrap();
        assert!(m.table_columns("t").is_none());
        assert!(m.table_columns("u").is_some());
    }

    #[test]
    fn key_type_markers_are_read_back() {
        let m = mirror(&[
            "CREATE TABLE \"m\" (\"id\" INTEGER CONSTRAINT \"pgrq_type_int8\" PRIMARY KEY AUTOINCREMENT, n INT)",
        ]);
        let cols = m.table_columns("m").unwrap();
        assert_eq!(cols[0].decl_type, "int8");
        assert_eq!(cols[1].decl_type, "INT");
        // The column is still SQLite's rowid alias.
        assert_eq!(
            m.describe("SELECT rowid = id FROM m")
                .unwrap()
                .columns
                .len(),
            1
        );
    }

    #[test]
    fn a_private_copy_sees_applied_ddl_and_the_original_does_not() {
        let m = mirror(&["CREATE TABLE t (a INT)"]);
        let block = m
            .with_applied("CREATE TABLE u (b INT); CREATE INDEX ui ON u (b)")
            .unwrap();
        assert!(block.table_columns("t").is_some());
        assert!(block.table_columns("u").is_some());
        assert!(m.table_columns("u").is_none());
    }

    #[test]
    fn bad_ddl_is_skipped_not_fatal() {
        let m = mirror(&[
            "CREATE TABLE t (a INT)",
            "CREATE NONSENSE",
            "CREATE TABLE u (b INT)",
        ]);
        assert!(m.table_columns("u").is_some());
    }

    #[test]
    fn registry_shares_one_mirror_per_database() {
        let reg = Mirrors::default();
        let a = DbName::for_app("demo", "demo_a").unwrap();
        let b = DbName::for_app("demo", "demo_b").unwrap();
        assert!(Arc::ptr_eq(&reg.get(&a).unwrap(), &reg.get(&a).unwrap()));
        assert!(!Arc::ptr_eq(&reg.get(&a).unwrap(), &reg.get(&b).unwrap()));
    }
}

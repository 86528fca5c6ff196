//! The cluster views `pgrq.nodes` and `pgrq.databases` (`StatementKind::ClusterView`):
//! the session owns their shape and asks the rows through [`ClusterInfo`], which a backend
//! that knows the cluster implements; the query itself runs on an in-memory SQLite holding
//! just those rows, so any SELECT over them works (filters, joins, aggregates).

use async_trait::async_trait;
use rusqlite::Connection;
use rusqlite::types::Value as Sql;

use super::{BackendError, Column, PgError, Reply, Session, Value};
use crate::error::codes;
use crate::sql::{PgType, Translated};

/// Rows of the two views, in the column order of [`NODES`] and [`DATABASES`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterRows {
    pub nodes: Vec<Vec<Value>>,
    pub databases: Vec<Vec<Value>>,
}

/// What the session needs from a backend that knows the cluster.
#[async_trait]
pub trait ClusterInfo: Send + Sync {
    async fn cluster_rows(&self) -> Result<ClusterRows, BackendError>;
}

/// `pgrq.nodes`: one row per node of the catalog.
pub const NODES: &[(&str, PgType)] = &[
    ("id", PgType::Text),
    ("proxy_address", PgType::Text),
    ("rqlite_host", PgType::Text),
    ("state", PgType::Text),
    ("healthy", PgType::Bool),
    ("databases", PgType::Int8),
    ("active_databases", PgType::Int8),
];

/// `pgrq.databases`: one row per database; `replicas` lists node ids (comma-separated),
/// `leader` the node id of the Raft leader (NULL when unknown).
pub const DATABASES: &[(&str, PgType)] = &[
    ("name", PgType::Text),
    ("app", PgType::Text),
    ("state", PgType::Text),
    ("replicas", PgType::Text),
    ("leader", PgType::Text),
];

fn decl(t: PgType) -> &'static str {
    match t {
        PgType::Bool => "BOOLEAN",
        PgType::Int8 => "BIGINT",
        _ => "TEXT",
    }
}

fn pg_type(decl: Option<&str>) -> PgType {
    match decl.map(str::to_ascii_uppercase).as_deref() {
        Some("BOOLEAN") => PgType::Bool,
        Some("BIGINT") => PgType::Int8,
        _ => PgType::Text,
    }
}

fn sql_error(e: rusqlite::Error) -> PgError {
    PgError::new(codes::SYNTAX_ERROR, format!("pgrq cluster view: {e}"))
}

/// An in-memory SQLite with `pgrq.nodes` and `pgrq.databases` holding `rows`.
fn load(rows: &ClusterRows) -> Result<Connection, PgError> {
    let conn = Connection::open_in_memory().map_err(sql_error)?;
    conn.execute_batch("ATTACH DATABASE ':memory:' AS pgrq")
        .map_err(sql_error)?;
    for (name, cols, data) in [
        ("nodes", NODES, &rows.nodes),
        ("databases", DATABASES, &rows.databases),
    ] {
        let defs: Vec<String> = cols
            .iter()
            .map(|(c, t)| format!("\"{c}\" {}", decl(*t)))
            .collect();
        conn.execute_batch(&format!("CREATE TABLE pgrq.{name} ({})", defs.join(", ")))
            .map_err(sql_error)?;
        let marks = vec!["?"; cols.len()].join(", ");
        let mut insert = conn
            .prepare(&format!("INSERT INTO pgrq.{name} VALUES ({marks})"))
            .map_err(sql_error)?;
        for row in data {
            insert
                .execute(rusqlite::params_from_iter(row.iter().map(to_sql)))
                .map_err(sql_error)?;
        }
    }
    Ok(conn)
}

fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Int(i) => Sql::Integer(*i),
        Value::Real(f) => Sql::Real(*f),
        Value::Text(s) => Sql::Text(s.clone()),
        Value::Blob(b) => Sql::Blob(b.clone()),
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
    }
}

fn from_sql(v: Sql, ty: PgType) -> Value {
    match v {
        Sql::Null => Value::Null,
        Sql::Integer(i) if ty == PgType::Bool => Value::Bool(i != 0),
        Sql::Integer(i) => Value::Int(i),
        Sql::Real(f) => Value::Real(f),
        Sql::Text(s) => Value::Text(s),
        Sql::Blob(b) => Value::Blob(b),
    }
}

/// Columns of `sql` over the views, and its rows. An expression's type is that of its
/// values (integer → int8, real → float8), else text.
fn query(sql: &str, rows: &ClusterRows) -> Result<(Vec<Column>, Vec<Vec<Value>>), PgError> {
    let conn = load(rows)?;
    let mut stmt = conn.prepare(sql).map_err(sql_error)?;
    let decls: Vec<(String, Option<PgType>)> = stmt
        .columns()
        .map(|c| {
            (
                c.name().to_string(),
                c.decl_type().map(|d| pg_type(Some(d))),
            )
        })
        .collect();
    let mut raw: Vec<Vec<Sql>> = Vec::new();
    let mut it = stmt.query([]).map_err(sql_error)?;
    while let Some(row) = it.next().map_err(sql_error)? {
        let mut vals = Vec::with_capacity(decls.len());
        for i in 0..decls.len() {
            vals.push(row.get::<_, Sql>(i).map_err(sql_error)?);
        }
        raw.push(vals);
    }
    let columns: Vec<Column> = decls
        .into_iter()
        .enumerate()
        .map(|(i, (name, decl))| {
            let ty = decl.unwrap_or_else(|| {
                match raw.iter().map(|r| &r[i]).find(|v| !matches!(v, Sql::Null)) {
                    Some(Sql::Integer(_)) => PgType::Int8,
                    Some(Sql::Real(_)) => PgType::Float8,
                    _ => PgType::Text,
                }
            });
            Column::new(name, ty)
        })
        .collect();
    let out = raw
        .into_iter()
        .map(|r| {
            r.into_iter()
                .zip(&columns)
                .map(|(v, c)| from_sql(v, c.pg_type))
                .collect()
        })
        .collect();
    Ok((columns, out))
}

impl Session {
    fn cluster_sql(t: &Translated) -> Result<&str, PgError> {
        t.sqlite
            .as_deref()
            .ok_or_else(|| PgError::new(codes::INTERNAL_ERROR, "cluster view has no SQL"))
    }

    async fn cluster_query(
        &self,
        t: &Translated,
    ) -> Result<(Vec<Column>, Vec<Vec<Value>>), PgError> {
        let sql = Self::cluster_sql(t)?;
        let Some(info) = self.backend.cluster_info() else {
            return Err(PgError::new(
                codes::UNDEFINED_TABLE,
                "pgrq.nodes and pgrq.databases exist only on a cluster node (pgrq node / pgrq up)",
            ));
        };
        let rows = info.cluster_rows().await?;
        query(sql, &rows)
    }

    pub(super) async fn run_cluster_view(&mut self, t: &Translated) -> Result<Reply, PgError> {
        let (columns, rows) = self.cluster_query(t).await?;
        let tag = format!("SELECT {}", rows.len());
        Ok(Reply::Rows { columns, rows, tag })
    }

    /// Describe runs the query too: expression types come from the values.
    pub(super) async fn describe_cluster_view(
        &self,
        t: &Translated,
    ) -> Result<(Vec<Column>, usize), PgError> {
        let (columns, _) = self.cluster_query(t).await?;
        Ok((columns, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_select_over_the_views_runs_with_their_types() {
        let rows = ClusterRows {
            nodes: vec![
                vec![
                    Value::Text("a".into()),
                    Value::Text("127.0.0.1:1".into()),
                    Value::Text("127.0.0.1".into()),
                    Value::Text("active".into()),
                    Value::Bool(true),
                    Value::Int(2),
                    Value::Int(1),
                ],
                vec![
                    Value::Text("b".into()),
                    Value::Text("127.0.0.1:2".into()),
                    Value::Text("127.0.0.1".into()),
                    Value::Text("active".into()),
                    Value::Bool(false),
                    Value::Int(1),
                    Value::Int(0),
                ],
            ],
            databases: vec![vec![
                Value::Text("demo_x".into()),
                Value::Text("demo".into()),
                Value::Text("active".into()),
                Value::Text("a,b".into()),
                Value::Text("b".into()),
            ]],
        };
        let (cols, out) = query(
            "SELECT d.name, n.proxy_address, n.healthy FROM pgrq.databases d JOIN pgrq.nodes n ON n.id = d.leader",
            &rows,
        )
        .unwrap();
        assert_eq!(cols[2].pg_type, PgType::Bool);
        assert_eq!(
            out,
            [[
                Value::Text("demo_x".into()),
                Value::Text("127.0.0.1:2".into()),
                Value::Bool(false)
            ]]
        );
        let (cols, out) = query("SELECT * FROM pgrq.nodes WHERE healthy", &rows).unwrap();
        assert_eq!(cols.len(), NODES.len());
        assert_eq!((out.len(), cols[5].pg_type), (1, PgType::Int8));
        let (cols, out) = query("SELECT count(*) FROM pgrq.nodes", &rows).unwrap();
        assert_eq!(
            (cols[0].pg_type, &out[0][0]),
            (PgType::Int8, &Value::Int(2))
        );
    }
}

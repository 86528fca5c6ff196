//! How a session batch runs on one rqlite cluster, shared by every backend: reads through
//! `/db/query`, writes through `/db/execute` (or `/db/request` with RETURNING), probes as
//! one rolled-back `/db/request?transaction`; values converted both ways. Knows no SQL
//! beyond the probe's rollback sentinel.

use crate::rqlite::{self, ClusterClient, Level, Stmt};
use crate::session::{
    BackendError, Batch, BoundStmt, DbName, Output, ReadLevel, Rows, StmtResult, Value,
};

/// A statement that always fails *when executed*, appended to a probe so rqlite rolls the
/// whole request back. It must be an execution-time error: measured on rqlite v10.2.7, in
/// `/db/request?transaction` an error raised while *preparing* a statement (e.g. "no such
/// table") neither rolls back nor stops the request, while an execution-time error (this
/// one: "malformed JSON") rolls back everything before it, prepare errors included.
const PROBE_ROLLBACK: &str = "SELECT json('pgrq: probe rollback')";

/// Runs `batch` on `client`, the cluster of `db`.
pub async fn run_batch(
    client: &ClusterClient,
    db: &DbName,
    batch: Batch,
) -> Result<Vec<StmtResult>, BackendError> {
    let result = match batch {
        Batch::Read { stmt, level } => client.query(&[to_stmt(stmt)], to_level(level)).await,
        Batch::Write {
            stmts,
            transaction,
            returning,
        } => {
            let stmts: Vec<Stmt> = stmts.into_iter().map(to_stmt).collect();
            if returning {
                client.request(&stmts, transaction, Level::Strong).await
            } else {
                client.execute(&stmts, transaction).await
            }
        }
        Batch::Probe { stmts } => {
            let n = stmts.len();
            let mut all: Vec<Stmt> = stmts.into_iter().map(to_stmt).collect();
            all.push(Stmt {
                sql: PROBE_ROLLBACK.into(),
                params: Vec::new(),
            });
            client
                .request(&all, true, Level::Strong)
                .await
                .map(|mut r| {
                    r.truncate(n);
                    r
                })
        }
    };
    let results = result.map_err(|e| unavailable(db, &e.to_string()))?;
    Ok(results.into_iter().map(from_result).collect())
}

fn to_stmt(s: BoundStmt) -> Stmt {
    Stmt {
        sql: s.sql,
        params: s.params.into_iter().map(to_value).collect(),
    }
}

fn to_value(v: Value) -> rqlite::Value {
    match v {
        Value::Null => rqlite::Value::Null,
        Value::Int(i) => rqlite::Value::Integer(i),
        Value::Real(f) => rqlite::Value::Real(f),
        Value::Text(s) => rqlite::Value::Text(s),
        Value::Blob(b) => rqlite::Value::Blob(b),
        Value::Bool(b) => rqlite::Value::Bool(b),
    }
}

pub(crate) fn from_value(v: rqlite::Value) -> Value {
    match v {
        rqlite::Value::Null => Value::Null,
        rqlite::Value::Integer(i) => Value::Int(i),
        rqlite::Value::Real(f) => Value::Real(f),
        rqlite::Value::Text(s) => Value::Text(s),
        rqlite::Value::Blob(b) => Value::Blob(b),
        rqlite::Value::Bool(b) => Value::Bool(b),
    }
}

fn from_result(r: rqlite::StmtResult) -> StmtResult {
    r.map(|ok| Output {
        rows_affected: ok.rows_affected,
        rows: ok.rows.map(|rows| Rows {
            columns: rows.columns,
            decl_types: rows.types,
            values: rows
                .values
                .into_iter()
                .map(|row| row.into_iter().map(from_value).collect())
                .collect(),
        }),
    })
}

fn to_level(l: ReadLevel) -> Level {
    match l {
        ReadLevel::None => Level::None,
        ReadLevel::Weak => Level::Weak,
        ReadLevel::Linearizable => Level::Linearizable,
        ReadLevel::Strong => Level::Strong,
    }
}

pub(crate) fn unavailable(db: &DbName, reason: &str) -> BackendError {
    BackendError::Unavailable {
        db: db.as_str().to_string(),
        reason: reason.to_string(),
    }
}

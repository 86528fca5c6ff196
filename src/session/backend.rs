//! The boundary the session needs from below: open a database and run batches of SQLite
//! statements on it. Owned here (the consumer); implemented by `crate::backend` over rqlite
//! and the node layer, and by a recording fake in this module's tests.

use async_trait::async_trait;

use super::DbName;

/// A value as it travels between the session and the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Bool(bool),
}

/// One SQLite statement with its positional parameters (`?1`, `?2`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundStmt {
    pub sql: String,
    pub params: Vec<Value>,
}

/// How fresh a read must be (`SET pgrq.read_consistency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadLevel {
    None,
    Weak,
    Linearizable,
    Strong,
}

impl ReadLevel {
    pub fn parse(s: &str) -> Option<ReadLevel> {
        match s {
            "none" => Some(ReadLevel::None),
            "weak" => Some(ReadLevel::Weak),
            "linearizable" => Some(ReadLevel::Linearizable),
            "strong" => Some(ReadLevel::Strong),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Batch {
    /// One read-only statement.
    Read { stmt: BoundStmt, level: ReadLevel },
    /// Writes (and DDL). With `transaction`, all or nothing: any statement error means the
    /// whole batch was rolled back. `returning` when a statement returns rows.
    Write {
        stmts: Vec<BoundStmt>,
        transaction: bool,
        returning: bool,
    },
    /// Run the statements in one transaction, return every result, then roll it all back:
    /// how a statement inside an open transaction block sees the block's earlier writes.
    Probe { stmts: Vec<BoundStmt> },
}

/// Rows as the engine returns them; `decl_types` are the declared column types
/// (lower-cased), empty for expressions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub decl_types: Vec<String>,
    pub values: Vec<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    pub rows_affected: u64,
    pub rows: Option<Rows>,
}

/// A statement's outcome: its output, or the engine's (SQLite's) error text.
pub type StmtResult = Result<Output, String>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    #[error("database \"{db}\" does not exist")]
    NotFound { db: String },
    #[error("{message}")]
    EngineMissing { message: String, hint: String },
    #[error("database \"{db}\" is not available: {reason}")]
    Unavailable { db: String, reason: String },
    #[error("no capacity for database: {reason}")]
    Capacity { reason: String },
    #[error("internal error: {reason}")]
    Internal { reason: String },
    /// The database was dropped with `--force` under this session.
    #[error("terminating connection due to administrator command")]
    Terminated { db: String },
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// Makes `db` ready to serve (creating it when `allow_create`, waking it if it
    /// hibernates); returns when it answers, or fails within the backend's deadline.
    async fn open(&self, db: &DbName, allow_create: bool) -> Result<(), BackendError>;

    /// A session that `open`ed `db` successfully has ended (called once per such open);
    /// what keeps a database from hibernating while sessions use it.
    fn close(&self, _db: &DbName) {}

    /// Runs a batch; one result per statement of the batch, in order (a failed
    /// transactional batch may return fewer, ending with the error).
    async fn run(&self, db: &DbName, batch: Batch) -> Result<Vec<StmtResult>, BackendError>;

    /// The cluster behind `pgrq.nodes` / `pgrq.databases`, when this backend knows one.
    fn cluster_info(&self) -> Option<&dyn super::ClusterInfo> {
        None
    }
}

//! HTTP client of one rqlite cluster (one pgrq database = one 3-replica
//! cluster). It owns the wire format of rqlite's data API (`/db/execute`,
//! `/db/query`, `/db/request`), result decoding into SQLite values, and the
//! node-failover / leader-retry policy, plus the small control calls
//! (`/readyz`, `/status`, `/remove`). It must not know about the PostgreSQL
//! wire protocol or SQLSTATEs (errors are mapped centrally), nor about
//! placement: which nodes form the cluster is given to it, never decided here.
//!
//! Retry safety: reads are retried on any node until the deadline, but a
//! write is retried only when it provably was not applied (the connection
//! could not be opened, or rqlite answered 503 / "leader not found" / "store
//! not ready"); otherwise [`RqliteError::Indeterminate`] is returned.

mod client;
mod decode;
mod probe;
mod types;

pub use client::{ClusterClient, Credentials, Member, probe_ready};
pub use probe::{Readiness, probe};
pub use types::{Level, Rows, Stmt, StmtOk, StmtResult, Value, into_ok};

use std::time::Duration;

/// Errors of the rqlite client. Statement errors inside a batch normally come
/// back as `Err(String)` elements of the result vector; [`into_ok`] turns the
/// first one into [`RqliteError::Statement`].
#[derive(Debug, thiserror::Error)]
pub enum RqliteError {
    /// No node gave a usable answer before the deadline (nodes down, no
    /// leader elected, store not ready). Retrying later may succeed.
    #[error(
        "rqlite cluster unavailable: no usable answer within {waited:?} from {}; last error: {last_error}",
        tried.join(", ")
    )]
    Unavailable {
        tried: Vec<String>,
        waited: Duration,
        last_error: String,
    },

    /// SQLite rejected statement `index` of the batch (message verbatim).
    #[error("{message}")]
    Statement { index: usize, message: String },

    /// A write was sent but its outcome is unknown (connection lost after
    /// sending, or an error rqlite may report after applying). It was not
    /// retried, to avoid applying it twice. Check the data before retrying.
    #[error(
        "rqlite node {node}: outcome of the write is unknown (it may or may not have been applied): {detail}"
    )]
    Indeterminate { node: String, detail: String },

    /// rqlite refused the request as a whole (not retried), e.g. a disallowed
    /// PRAGMA or an unexpected HTTP status.
    #[error("rqlite node {node} refused the request: {message}")]
    Request { node: String, message: String },

    /// HTTP 400: rqlite could not parse the request (a bug in pgrq's encoding
    /// or an unsupported parameter).
    #[error("rqlite node {node} rejected the request as malformed (HTTP 400): {message}")]
    BadRequest { node: String, message: String },

    /// HTTP 401: wrong user/password or missing permission.
    #[error(
        "rqlite node {node} rejected the credentials of user {user:?} (HTTP 401); check that \
         pgrq's rqlite user/password match the -auth file and that the user has the needed perms"
    )]
    Auth { node: String, user: String },

    /// The node answered something that is not a documented rqlite response.
    /// For writes the statements may have been applied.
    #[error("rqlite node {node} sent an unexpected response: {detail}")]
    BadResponse { node: String, detail: String },

    /// A parameter cannot be sent faithfully (checked before sending).
    /// `param` is 1-based.
    #[error("statement {stmt}, parameter ${param}: {reason}")]
    InvalidParam {
        stmt: usize,
        param: usize,
        reason: String,
    },

    /// Unknown read consistency level name.
    #[error("unknown rqlite read level {0:?}; use one of: none, weak, linearizable, strong")]
    UnknownLevel(String),
}

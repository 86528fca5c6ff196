//! Advisory locks (`pg_advisory_lock` and family, `sql::AdvisoryCall`). The locks must
//! exclude sessions on every pgrq node that serves the database, so they live in the
//! database itself: one row per (key, mode, owner) of the hidden table
//! `pgrq_advisory_locks` (`sql::markers`), taken by one conditional INSERT in an atomic
//! write (the Raft log orders competing attempts).
//!
//! - The owner is a random 128-bit id per session, so owners never collide across nodes.
//! - A session-level lock is re-entrant (a count); `_xact_` locks end with the
//!   transaction (COMMIT, ROLLBACK, the Sync of an extended batch, or the statement
//!   itself in autocommit); `_shared` locks exclude only exclusive ones.
//! - Every row carries a lease (`expires`); a task of the session renews its rows while it
//!   holds any. A session that ends deletes its rows; a node that dies leaves rows that
//!   expire after `LEASE` and are then ignored and deleted by the next attempt. Limits: a
//!   holder cut off from the database for longer than the lease loses its locks without
//!   noticing; leases compare the clocks of different nodes.
//! - `pg_advisory_lock` waits by polling with backoff; a CancelRequest drops the waiting
//!   statement (57014). An attempt in flight when it was dropped may have taken the lock:
//!   the next advisory call (or the session's end) sets that row back to what the session
//!   knows it holds.

use std::collections::HashMap;
use std::time::Duration;

use super::{Batch, BoundStmt, Column, PgError, Reply, Session, TxnState, Value};
use crate::error::{self, codes};
use crate::sql::markers::ADVISORY_LOCKS_TABLE as T;
use crate::sql::{AdvisoryArg, AdvisoryCall, AdvisoryOp, PgType};

/// How long a lock outlives its holder's last renewal.
const LEASE: Duration = Duration::from_secs(30);
/// How often a holder renews its leases.
const RENEW: Duration = Duration::from_secs(10);
const FIRST_WAIT: Duration = Duration::from_millis(10);
const MAX_WAIT: Duration = Duration::from_millis(250);

/// One lock as a session holds it: key space (1: one bigint, 2: two ints), key, mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Hold {
    space: i64,
    k1: i64,
    k2: i64,
    xact: bool,
    shared: bool,
}

/// This session's advisory locks.
pub(super) struct AdvisoryLocks {
    owner: String,
    held: HashMap<Hold, u32>,
    table_ready: bool,
    /// An attempt whose outcome is unknown (its statement was cancelled mid-flight).
    in_flight: Option<Hold>,
    lease: Option<tokio::task::JoinHandle<()>>,
}

impl Default for AdvisoryLocks {
    fn default() -> Self {
        AdvisoryLocks {
            owner: format!(
                "{:016x}{:016x}",
                rand::random::<u64>(),
                rand::random::<u64>()
            ),
            held: HashMap::new(),
            table_ready: false,
            in_flight: None,
            lease: None,
        }
    }
}

impl Drop for AdvisoryLocks {
    fn drop(&mut self) {
        if let Some(task) = self.lease.take() {
            task.abort();
        }
    }
}

impl AdvisoryLocks {
    /// The write that releases every lock of this session, if it may hold any.
    pub(super) fn release_all_stmt(&self) -> Option<BoundStmt> {
        (!self.held.is_empty() || self.in_flight.is_some()).then(|| BoundStmt {
            sql: format!("DELETE FROM {T} WHERE owner = ?1"),
            params: vec![Value::Text(self.owner.clone())],
        })
    }

    pub(super) fn has_xact(&self) -> bool {
        self.held.keys().any(|h| h.xact)
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn lease_end() -> i64 {
    now_millis().saturating_add(LEASE.as_millis() as i64)
}

fn create_table() -> BoundStmt {
    BoundStmt {
        sql: format!(
            "CREATE TABLE IF NOT EXISTS {T} (space INTEGER NOT NULL, k1 INTEGER NOT NULL, \
             k2 INTEGER NOT NULL, owner TEXT NOT NULL, xact INTEGER NOT NULL, \
             shared INTEGER NOT NULL, count INTEGER NOT NULL, expires INTEGER NOT NULL, \
             PRIMARY KEY (space, k1, k2, owner, xact, shared))"
        ),
        params: Vec::new(),
    }
}

/// `?1`…`?6`: the row's key columns (space, k1, k2, owner, xact, shared).
fn key_params(h: &Hold, owner: &str) -> Vec<Value> {
    vec![
        Value::Int(h.space),
        Value::Int(h.k1),
        Value::Int(h.k2),
        Value::Text(owner.to_string()),
        Value::Int(i64::from(h.xact)),
        Value::Int(i64::from(h.shared)),
    ]
}

const KEY_MATCH: &str =
    "space = ?1 AND k1 = ?2 AND k2 = ?3 AND owner = ?4 AND xact = ?5 AND shared = ?6";

impl Session {
    pub(super) async fn run_advisory(
        &mut self,
        call: &AdvisoryCall,
        params: &[Value],
    ) -> Result<Reply, PgError> {
        if self.txn == TxnState::Failed {
            return Err(PgError::in_failed_transaction());
        }
        self.settle_in_flight().await?;
        let value = match call.op {
            AdvisoryOp::UnlockAll => {
                self.unlock_where("xact = 0", |h| !h.xact).await?;
                Value::Text(String::new())
            }
            op => {
                // The functions are strict: a NULL key gives NULL and takes nothing.
                let Some(hold) = hold_of(call, params)? else {
                    return Ok(Reply::Rows {
                        columns: vec![Column::new(call.column.clone(), result_type(op))],
                        rows: vec![vec![Value::Null]],
                        tag: "SELECT 1".into(),
                    });
                };
                match op {
                    AdvisoryOp::Lock => {
                        self.lock(hold, true).await?;
                        Value::Text(String::new())
                    }
                    AdvisoryOp::TryLock => Value::Bool(self.lock(hold, false).await?),
                    _ => Value::Bool(self.unlock(hold).await?),
                }
            }
        };
        Ok(Reply::Rows {
            columns: vec![Column::new(call.column.clone(), result_type(call.op))],
            rows: vec![vec![value]],
            tag: "SELECT 1".into(),
        })
    }

    /// Takes `hold`, waiting for it when `wait`; whether it was taken.
    async fn lock(&mut self, hold: Hold, wait: bool) -> Result<bool, PgError> {
        let mut pause = FIRST_WAIT;
        loop {
            if self.try_lock(hold).await? {
                *self.advisory.held.entry(hold).or_default() += 1;
                self.start_lease();
                return Ok(true);
            }
            if !wait {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_WAIT);
        }
    }

    /// One attempt: expired rows go, then the row is inserted (or its count raised) unless
    /// another owner holds a conflicting lock.
    async fn try_lock(&mut self, hold: Hold) -> Result<bool, PgError> {
        let now = now_millis();
        let mut stmts = Vec::with_capacity(3);
        if !self.advisory.table_ready {
            stmts.push(create_table());
        }
        stmts.push(BoundStmt {
            sql: format!("DELETE FROM {T} WHERE expires <= ?1"),
            params: vec![Value::Int(now)],
        });
        let mut params = key_params(&hold, &self.advisory.owner);
        params.push(Value::Int(lease_end()));
        params.push(Value::Int(now));
        stmts.push(BoundStmt {
            sql: format!(
                "INSERT INTO {T} (space, k1, k2, owner, xact, shared, count, expires) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, 1, ?7 WHERE NOT EXISTS (SELECT 1 FROM {T} \
                 WHERE space = ?1 AND k1 = ?2 AND k2 = ?3 AND owner <> ?4 AND expires > ?8 \
                 AND (shared = 0 OR ?6 = 0)) \
                 ON CONFLICT (space, k1, k2, owner, xact, shared) \
                 DO UPDATE SET count = count + 1, expires = excluded.expires"
            ),
            params,
        });
        let n = stmts.len();
        self.advisory.in_flight = Some(hold);
        let results = self.write(stmts).await?;
        self.advisory.in_flight = None;
        let mut last = None;
        for r in results {
            last = Some(r.map_err(|msg| error::from_sqlite(&msg))?);
        }
        let out = last.ok_or_else(|| {
            PgError::new(
                codes::INTERNAL_ERROR,
                format!("the engine returned no result for a batch of {n} statements"),
            )
        })?;
        self.advisory.table_ready = true;
        Ok(out.rows_affected > 0)
    }

    /// Releases one hold of a session-level lock; whether the session held it.
    async fn unlock(&mut self, hold: Hold) -> Result<bool, PgError> {
        let count = self.advisory.held.get(&hold).copied().unwrap_or(0);
        if count == 0 {
            return Ok(false);
        }
        let sql = if count > 1 {
            format!("UPDATE {T} SET count = count - 1 WHERE {KEY_MATCH}")
        } else {
            format!("DELETE FROM {T} WHERE {KEY_MATCH}")
        };
        let params = key_params(&hold, &self.advisory.owner);
        self.write(vec![BoundStmt { sql, params }]).await?;
        if count > 1 {
            self.advisory.held.insert(hold, count - 1);
        } else {
            self.advisory.held.remove(&hold);
        }
        self.stop_lease_if_idle();
        Ok(true)
    }

    /// Releases every lock matching `cond` (SQL) / `keep_out` (the local view).
    async fn unlock_where(
        &mut self,
        cond: &str,
        gone: impl Fn(&Hold) -> bool,
    ) -> Result<(), PgError> {
        if !self.advisory.held.keys().any(&gone) {
            return Ok(());
        }
        let stmt = BoundStmt {
            sql: format!("DELETE FROM {T} WHERE owner = ?1 AND {cond}"),
            params: vec![Value::Text(self.advisory.owner.clone())],
        };
        self.write(vec![stmt]).await?;
        self.advisory.held.retain(|h, _| !gone(h));
        self.stop_lease_if_idle();
        Ok(())
    }

    /// The transaction ended: its `_xact_` locks go.
    pub(super) async fn release_xact_locks(&mut self) {
        if self.advisory.has_xact()
            && let Err(e) = self.unlock_where("xact = 1", |h| h.xact).await
        {
            // The lease ends them if the engine cannot be reached now.
            tracing::warn!(db = %self.db, error = %e, "cannot release transaction advisory locks");
        }
    }

    /// An attempt was cancelled mid-flight: the row is set back to what this session
    /// knows it holds.
    async fn settle_in_flight(&mut self) -> Result<(), PgError> {
        let Some(hold) = self.advisory.in_flight else {
            return Ok(());
        };
        let count = self.advisory.held.get(&hold).copied().unwrap_or(0);
        let mut params = key_params(&hold, &self.advisory.owner);
        params.push(Value::Int(i64::from(count)));
        let stmts = vec![
            BoundStmt {
                sql: format!("UPDATE {T} SET count = ?7 WHERE {KEY_MATCH}"),
                params: params.clone(),
            },
            BoundStmt {
                sql: format!("DELETE FROM {T} WHERE {KEY_MATCH} AND count <= 0"),
                params: params[..6].to_vec(),
            },
        ];
        if self.advisory.table_ready {
            self.write(stmts).await?;
        }
        self.advisory.in_flight = None;
        Ok(())
    }

    async fn write(&self, stmts: Vec<BoundStmt>) -> Result<Vec<super::StmtResult>, PgError> {
        let batch = Batch::Write {
            stmts,
            transaction: true,
            returning: false,
        };
        Ok(self.backend.run(&self.db, batch).await?)
    }

    /// While the session holds locks, a task renews their leases.
    fn start_lease(&mut self) {
        if self.advisory.lease.is_some() {
            return;
        }
        let backend = self.backend.clone();
        let db = self.db.clone();
        let owner = self.advisory.owner.clone();
        self.advisory.lease = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(RENEW).await;
                let stmt = BoundStmt {
                    sql: format!("UPDATE {T} SET expires = ?1 WHERE owner = ?2"),
                    params: vec![Value::Int(lease_end()), Value::Text(owner.clone())],
                };
                let batch = Batch::Write {
                    stmts: vec![stmt],
                    transaction: false,
                    returning: false,
                };
                if let Err(e) = backend.run(&db, batch).await {
                    tracing::warn!(%db, error = %e, "cannot renew advisory lock leases");
                }
            }
        }));
    }

    fn stop_lease_if_idle(&mut self) {
        if self.advisory.held.is_empty()
            && let Some(task) = self.advisory.lease.take()
        {
            task.abort();
        }
    }
}

fn result_type(op: AdvisoryOp) -> PgType {
    match op {
        AdvisoryOp::TryLock | AdvisoryOp::Unlock => PgType::Bool,
        AdvisoryOp::Lock | AdvisoryOp::UnlockAll => PgType::Void,
    }
}

/// The lock a call names, its key taken from constants and bound parameters; `None` when
/// a key is NULL.
fn hold_of(call: &AdvisoryCall, params: &[Value]) -> Result<Option<Hold>, PgError> {
    let arg = |a: &AdvisoryArg| -> Result<Option<i64>, PgError> {
        match a {
            AdvisoryArg::Const(v) => Ok(Some(*v)),
            AdvisoryArg::Param(i) => match params.get(*i) {
                Some(Value::Int(v)) => Ok(Some(*v)),
                Some(Value::Text(t)) => t.trim().parse::<i64>().map(Some).map_err(|_| {
                    PgError::new(
                        codes::INVALID_TEXT_REPRESENTATION,
                        format!("invalid input syntax for type bigint: \"{t}\""),
                    )
                }),
                Some(Value::Null) | None => Ok(None),
                Some(other) => Err(PgError::new(
                    codes::DATATYPE_MISMATCH,
                    format!("advisory lock key {other:?} is not an integer"),
                )),
            },
        }
    };
    let (space, k1, k2) = match call.key.as_slice() {
        [k] => (1, arg(k)?, Some(0)),
        [a, b] => (2, arg(a)?, arg(b)?),
        _ => {
            return Err(PgError::new(
                codes::UNDEFINED_FUNCTION,
                "advisory lock functions take one bigint or two integers",
            ));
        }
    };
    let (Some(k1), Some(k2)) = (k1, k2) else {
        return Ok(None);
    };
    Ok(Some(Hold {
        space,
        k1,
        k2,
        xact: call.xact,
        shared: call.shared,
    }))
}

#[cfg(test)]
#[path = "advisory_tests.rs"]
mod tests;

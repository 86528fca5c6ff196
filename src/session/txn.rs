//! Transaction blocks of a session: BEGIN/COMMIT/ROLLBACK, savepoints, the failed state,
//! and the implicit transaction of an extended-protocol batch (every Execute up to a Sync,
//! outside an explicit block: one transaction, committed by the Sync, rolled back by any
//! error). The writes of a block are kept here and sent atomically at its end; running a
//! statement inside a block (the probe) is `Session::execute`'s.

use super::{Batch, PgError, Reply, Session, StmtResult, TxnState};
use crate::error::{self, codes};
use crate::sql::{StatementKind, TxnControl};

/// What ROLLBACK TO SAVEPOINT restores: how many of the block's writes came before it,
/// and the block's view of the schema at that point.
#[derive(Clone)]
pub(super) struct Savepoint {
    name: String,
    pending_len: usize,
    block_schema: Option<std::sync::Arc<crate::mirror::Mirror>>,
    block_has_ddl: bool,
}

impl Session {
    /// An error inside a block: it fails (25P02 until ROLLBACK or ROLLBACK TO), keeping
    /// its writes for a ROLLBACK TO SAVEPOINT.
    pub(super) fn fail_block(&mut self) {
        if let TxnState::Block(_) = self.txn
            && let TxnState::Block(pending) = std::mem::replace(&mut self.txn, TxnState::Failed)
        {
            self.failed_pending = pending;
        }
    }

    /// Ends the block for COMMIT, returning what it was.
    fn take_block(&mut self) -> TxnState {
        self.implicit = false;
        self.restore_access_mode();
        self.savepoints.clear();
        self.failed_pending.clear();
        std::mem::replace(&mut self.txn, TxnState::Idle)
    }

    /// Back to Idle: the block and everything it kept are gone.
    fn end_block(&mut self) {
        self.implicit = false;
        self.restore_access_mode();
        self.txn = TxnState::Idle;
        self.savepoints.clear();
        self.failed_pending.clear();
    }

    /// The transaction's access mode (`transaction_read_only`); BEGIN READ ONLY, SET
    /// TRANSACTION READ ONLY.
    fn set_access_mode(&mut self, read_only: bool) {
        let value = if read_only { "on" } else { "off" };
        if let Err(e) = self.gucs.set("transaction_read_only", Some(value)) {
            tracing::warn!(error = %e, "cannot set the access mode");
        }
    }

    /// Outside a block, the access mode is the session's default
    /// (`default_transaction_read_only`): every block ends back there.
    pub(super) fn restore_access_mode(&mut self) {
        let default = self.gucs.get("default_transaction_read_only") == Some("on");
        self.set_access_mode(default);
    }

    /// Writes are refused in a read-only transaction (25006).
    pub(super) fn check_writable(&self, tag: &str) -> Result<(), PgError> {
        if self.gucs.get("transaction_read_only") == Some("on") {
            return Err(PgError::new(
                codes::READ_ONLY_SQL_TRANSACTION,
                format!("cannot execute {tag} in a read-only transaction"),
            ));
        }
        Ok(())
    }

    /// Whether an Execute of `kind` outside any block may wait for the next protocol
    /// message before it runs: a write or DDL, which then either runs alone (the next
    /// message is Sync: one engine request, as in autocommit) or opens the batch's
    /// implicit transaction (`begin_implicit`).
    /// A transaction-level advisory lock waits too: it must last until the batch's Sync.
    pub fn defers_in_batch(&self, kind: &StatementKind) -> bool {
        self.txn == TxnState::Idle
            && match kind {
                StatementKind::Write | StatementKind::Ddl => true,
                StatementKind::Advisory(call) => call.xact,
                _ => false,
            }
    }

    /// An extended-protocol batch goes on past a write: outside an explicit block, what
    /// runs until the Sync is one implicit transaction (a block the Sync ends).
    pub fn begin_implicit(&mut self) {
        if self.txn == TxnState::Idle {
            self.txn = TxnState::Block(Vec::new());
            self.block_schema = None;
            self.savepoints.clear();
            self.failed_pending.clear();
            self.implicit = true;
        }
    }

    /// Sync: ends the batch's implicit transaction — committed, or rolled back when
    /// `errored` (the batch was skipped to this Sync after an error) or the block failed.
    /// Outside an implicit transaction, an error in the batch fails an open explicit
    /// block (errors the session did not see itself, e.g. a Bind that did not decode).
    pub async fn sync(&mut self, errored: bool) -> Result<(), PgError> {
        if !self.implicit {
            if errored {
                self.fail_block();
            }
            return Ok(());
        }
        let ended = if errored || self.txn == TxnState::Failed {
            self.end_block();
            self.block_has_ddl = false;
            self.block_schema = None;
            Ok(())
        } else {
            self.transaction_control(&TxnControl::Commit)
                .await
                .map(drop)
        };
        self.release_xact_locks().await;
        ended
    }

    pub(super) async fn transaction_control(&mut self, ctl: &TxnControl) -> Result<Reply, PgError> {
        match ctl {
            TxnControl::Begin { read_only } => {
                // BEGIN inside a batch's implicit transaction turns it into an explicit
                // block that keeps the batch's writes so far (as PostgreSQL does).
                self.implicit = false;
                if let Some(on) = read_only {
                    self.set_access_mode(*on);
                }
                if self.txn == TxnState::Idle {
                    self.txn = TxnState::Block(Vec::new());
                    self.block_schema = None;
                    self.savepoints.clear();
                    self.failed_pending.clear();
                }
                Ok(Reply::TxnStart("BEGIN".into()))
            }
            TxnControl::Commit => match self.take_block() {
                TxnState::Idle => Ok(Reply::TxnEnd("COMMIT".into())),
                TxnState::Failed => Ok(Reply::TxnEnd("ROLLBACK".into())),
                TxnState::Block(stmts) if stmts.is_empty() => Ok(Reply::TxnEnd("COMMIT".into())),
                TxnState::Block(stmts) => {
                    let n = stmts.len();
                    let results = self
                        .backend
                        .run(
                            &self.db,
                            Batch::Write {
                                stmts,
                                transaction: true,
                                returning: false,
                            },
                        )
                        .await?;
                    // The block is over either way: a failed COMMIT rolled everything back.
                    let committed = all_ok(results, n);
                    if std::mem::take(&mut self.block_has_ddl) {
                        self.refresh_mirror().await;
                    }
                    committed?;
                    Ok(Reply::TxnEnd("COMMIT".into()))
                }
            },
            TxnControl::Rollback => {
                self.end_block();
                self.block_has_ddl = false;
                Ok(Reply::TxnEnd("ROLLBACK".into()))
            }
            TxnControl::Savepoint(name) => self.savepoint(name),
            TxnControl::Release(name) => self.release(name),
            TxnControl::RollbackTo(name) => self.rollback_to(name),
        }
    }

    /// `SAVEPOINT name`: remembers how far the block's writes go.
    fn savepoint(&mut self, name: &str) -> Result<Reply, PgError> {
        let pending_len = match &self.txn {
            TxnState::Block(pending) => pending.len(),
            TxnState::Failed => return Err(PgError::in_failed_transaction()),
            TxnState::Idle => return Err(outside_block("SAVEPOINT")),
        };
        self.savepoints.push(Savepoint {
            name: name.to_string(),
            pending_len,
            block_schema: self.block_schema.clone(),
            block_has_ddl: self.block_has_ddl,
        });
        Ok(Reply::command("SAVEPOINT"))
    }

    /// `RELEASE SAVEPOINT name`: forgets it and every savepoint after it; the writes stay.
    fn release(&mut self, name: &str) -> Result<Reply, PgError> {
        match &self.txn {
            TxnState::Block(_) => {}
            TxnState::Failed => return Err(PgError::in_failed_transaction()),
            TxnState::Idle => return Err(outside_block("RELEASE SAVEPOINT")),
        }
        let at = self.find_savepoint(name)?;
        self.savepoints.truncate(at);
        Ok(Reply::command("RELEASE"))
    }

    /// `ROLLBACK TO SAVEPOINT name`: drops the writes made after it (also out of a failed
    /// block, which becomes usable again); the savepoint itself stays.
    fn rollback_to(&mut self, name: &str) -> Result<Reply, PgError> {
        if self.txn == TxnState::Idle {
            return Err(outside_block("ROLLBACK TO SAVEPOINT"));
        }
        let at = self.find_savepoint(name)?;
        let sp = self.savepoints[at].clone();
        self.savepoints.truncate(at + 1);
        let mut pending = match std::mem::replace(&mut self.txn, TxnState::Idle) {
            TxnState::Block(p) => p,
            _ => std::mem::take(&mut self.failed_pending),
        };
        pending.truncate(sp.pending_len);
        self.txn = TxnState::Block(pending);
        self.block_schema = sp.block_schema;
        self.block_has_ddl = sp.block_has_ddl;
        Ok(Reply::command("ROLLBACK"))
    }

    /// Index of the most recent savepoint called `name` (3B001 when there is none).
    fn find_savepoint(&self, name: &str) -> Result<usize, PgError> {
        self.savepoints
            .iter()
            .rposition(|sp| sp.name == name)
            .ok_or_else(|| {
                PgError::new(
                    codes::INVALID_SAVEPOINT_SPECIFICATION,
                    format!("savepoint \"{name}\" does not exist"),
                )
            })
    }
}

fn all_ok(results: Vec<StmtResult>, n: usize) -> Result<(), PgError> {
    let got = results.len();
    for r in results {
        if let Err(msg) = r {
            return Err(error::from_sqlite(&msg));
        }
    }
    if got != n {
        return Err(PgError::new(
            codes::INTERNAL_ERROR,
            format!("the engine returned {got} results for {n} statements"),
        ));
    }
    Ok(())
}

/// PostgreSQL's error for a savepoint command outside a transaction block.
fn outside_block(what: &str) -> PgError {
    PgError::new(
        codes::NO_ACTIVE_SQL_TRANSACTION,
        format!("{what} can only be used in transaction blocks"),
    )
}

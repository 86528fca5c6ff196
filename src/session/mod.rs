//! One client connection after authentication: its database, its parameters (GUCs), its
//! transaction block, and the execution of each statement: translate (via `sql/`), decide
//! how it runs (read, write, probe inside a transaction), run it through the `Backend`
//! trait, and shape the reply. It must not talk HTTP or know where replicas live (that is
//! the backend's), nor encode wire messages (that is `wire/`'s).

mod advisory;
mod array_params;
mod backend;
mod catalog;
mod cluster;
mod constraint_errors;
mod dbname;
mod gucs;
mod prepared;
mod reply;
mod sequences;
mod sql_prepared;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_batch;
#[cfg(test)]
mod tests_read_only;
mod txn;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use backend::{
    Backend, BackendError, Batch, BoundStmt, Output, ReadLevel, Rows, StmtResult, Value,
};
pub use cluster::{ClusterInfo, ClusterRows};
pub use dbname::DbName;
pub use gucs::{Gucs, SERVER_VERSION, version_string};
pub use prepared::Prepared;
pub use reply::{Column, Reply};

use crate::error::{self, PgError, codes};
use crate::mirror::{Mirror, SCHEMA_QUERY};
use crate::sql::{self, StatementKind, Translated, TxnControl};

#[derive(Debug, Clone, PartialEq)]
enum TxnState {
    Idle,
    /// Inside BEGIN … COMMIT: the writes so far, sent atomically at COMMIT.
    Block(Vec<BoundStmt>),
    /// An error happened inside the block: only ROLLBACK (or COMMIT, which rolls back).
    Failed,
}

pub struct Session {
    db: DbName,
    gucs: Gucs,
    txn: TxnState,
    /// DDL ran inside the open block: refresh the mirror after COMMIT.
    block_has_ddl: bool,
    /// The schema as the open block sees it (its own DDL applied), when it ran DDL.
    block_schema: Option<Arc<Mirror>>,
    backend: Arc<dyn Backend>,
    mirror: Arc<Mirror>,
    ctx: sql::Context,
    /// `currval`/`lastval` of this session.
    sequences: sequences::SessionSequences,
    /// The open block's savepoints, oldest first.
    savepoints: Vec<txn::Savepoint>,
    /// The writes of a block that failed, kept for ROLLBACK TO SAVEPOINT.
    failed_pending: Vec<BoundStmt>,
    /// SQL-level prepared statements (`PREPARE name AS …`), by name.
    sql_prepared: sql_prepared::SqlPrepared,
    /// The open block is the implicit transaction of an extended-protocol batch (ended
    /// by Sync), not one the client began.
    implicit: bool,
    /// This session's advisory locks.
    advisory: advisory::AdvisoryLocks,
    /// `open` succeeded: the backend is told when this session ends.
    opened: bool,
}

impl Drop for Session {
    /// The session's advisory locks are released (then the backend is told), or, without
    /// a runtime to do it, left to expire with their lease.
    fn drop(&mut self) {
        if !self.opened {
            return;
        }
        let runtime = tokio::runtime::Handle::try_current();
        match (self.advisory.release_all_stmt(), runtime) {
            (Some(stmt), Ok(rt)) => {
                let backend = self.backend.clone();
                let db = self.db.clone();
                rt.spawn(async move {
                    let batch = Batch::Write {
                        stmts: vec![stmt],
                        transaction: false,
                        returning: false,
                    };
                    if let Err(e) = backend.run(&db, batch).await {
                        tracing::warn!(%db, error = %e, "cannot release advisory locks");
                    }
                    backend.close(&db);
                });
            }
            _ => self.backend.close(&self.db),
        }
    }
}

impl Session {
    pub fn new(
        db: DbName,
        user: &str,
        startup: &BTreeMap<String, String>,
        backend: Arc<dyn Backend>,
        mirror: Arc<Mirror>,
    ) -> Result<Session, PgError> {
        let mut gucs = Gucs::new(user, startup)?;
        // Outside a block the access mode is the session's default.
        let default_ro = gucs.get("default_transaction_read_only") == Some("on");
        gucs.set(
            "transaction_read_only",
            Some(if default_ro { "on" } else { "off" }),
        )?;
        let ctx = sql::Context {
            database: db.as_str().to_string(),
            user: user.to_string(),
            schema: "public".into(),
            version: version_string(),
            now_micros: 0,
        };
        Ok(Session {
            db,
            gucs,
            txn: TxnState::Idle,
            block_has_ddl: false,
            block_schema: None,
            backend,
            mirror,
            ctx,
            sequences: Default::default(),
            savepoints: Vec::new(),
            failed_pending: Vec::new(),
            implicit: false,
            advisory: Default::default(),
            opened: false,
            sql_prepared: Default::default(),
        })
    }

    /// Makes the database ready (creating it when `allow_create`, waking it if it
    /// hibernates); the backend counts this session until it is dropped.
    pub async fn open(&mut self, allow_create: bool) -> Result<(), BackendError> {
        if !self.opened {
            self.backend.open(&self.db, allow_create).await?;
            self.opened = true;
        }
        Ok(())
    }

    pub fn database(&self) -> &DbName {
        &self.db
    }

    pub fn gucs(&self) -> &Gucs {
        &self.gucs
    }

    /// ParameterStatus messages owed to the client (after SET/RESET).
    pub fn take_parameter_changes(&mut self) -> Vec<(String, String)> {
        self.gucs.take_changes()
    }

    /// Inside a transaction block the client began (or a batch's implicit one).
    pub fn in_transaction(&self) -> bool {
        !matches!(self.txn, TxnState::Idle)
    }

    pub fn in_failed_transaction(&self) -> bool {
        matches!(self.txn, TxnState::Failed)
    }

    /// Whether `text` begins with a ROLLBACK TO SAVEPOINT run in a failed block: it takes
    /// the block back to in-progress, which the wire layer must report (pgwire only ever
    /// moves a failed status to idle).
    pub fn heals_failed_block(&self, text: &str) -> bool {
        self.in_failed_transaction()
            && self
                .translate_each(text)
                .and_then(|each| each.into_iter().next())
                .is_some_and(|first| {
                    matches!(
                        first,
                        Ok(Translated {
                            kind: StatementKind::Transaction(TxnControl::RollbackTo(_)),
                            ..
                        })
                    )
                })
    }

    /// Simple query protocol: every statement of `text` in order, stopping at the first
    /// error (which is the last element).
    pub async fn simple_query(&mut self, text: &str) -> Vec<Result<Reply, PgError>> {
        self.tick();
        self.ensure_mirror().await;
        // Each statement's translation; one that fails is an error only when it is reached,
        // since DDL earlier in the string may create what it needs.
        let mut stmts: Vec<Result<Translated, PgError>> = match self.translate(text) {
            Ok(s) => s.into_iter().map(Ok).collect(),
            Err(err) => match self.translate_each(text) {
                Some(each) if ddl_before_first_error(&each) => each,
                _ => {
                    self.fail_block();
                    return vec![Err(err)];
                }
            },
        };
        // PostgreSQL runs the statements of one Query message as one implicit transaction
        // unless they control transactions themselves. pgrq does so when they write and
        // hold no DDL (uncommitted DDL is invisible to the schema mirror that translation
        // relies on; strings with DDL run statement by statement).
        let kinds = || stmts.iter().flatten().map(|t| &t.kind);
        let implicit = stmts.len() > 1
            && self.txn == TxnState::Idle
            && kinds().any(|k| matches!(k, StatementKind::Write))
            && !kinds().any(|k| matches!(k, StatementKind::Ddl | StatementKind::Transaction(_)));
        if implicit {
            self.txn = TxnState::Block(Vec::new());
            self.block_schema = None;
        }
        let mut out = Vec::with_capacity(stmts.len());
        let mut i = 0;
        while i < stmts.len() {
            let (r, is_ddl) = match &stmts[i] {
                Ok(t) => (
                    self.run(t, Vec::new()).await,
                    matches!(t.kind, StatementKind::Ddl),
                ),
                Err(e) => {
                    self.fail_block();
                    (Err(e.clone()), false)
                }
            };
            let failed = r.is_err();
            let ddl_done = !failed && is_ddl && self.txn == TxnState::Idle;
            out.push(r);
            if failed {
                break;
            }
            if ddl_done && i + 1 < stmts.len() {
                // The mirror now knows the new schema: translate what follows against it.
                if let Some(again) = self.translate_each(text)
                    && again.len() == stmts.len()
                {
                    stmts = again;
                }
            }
            i += 1;
        }
        if implicit {
            let failed = out.last().is_some_and(Result::is_err);
            if failed {
                // Nothing of the implicit transaction was sent for good.
                self.txn = TxnState::Idle;
                self.block_has_ddl = false;
            } else if let Err(e) = self.transaction_control(&TxnControl::Commit).await {
                out.push(Err(e));
            }
            self.release_xact_locks().await;
        }
        if out.is_empty() {
            out.push(Ok(Reply::Empty));
        }
        out
    }

    fn translate(&self, text: &str) -> Result<Vec<Translated>, PgError> {
        Ok(sql::translate_with(text, &self.ctx, self.schema())?)
    }

    /// The mirror Describe uses: the block's own view of the schema when it ran DDL.
    fn describing_mirror(&self) -> Arc<Mirror> {
        match (&self.block_schema, &self.txn) {
            (Some(m), TxnState::Block(_) | TxnState::Failed) => m.clone(),
            _ => self.mirror.clone(),
        }
    }

    /// The schema statements are translated against: the shared mirror, or inside a
    /// block that ran DDL, that block's own view of it.
    fn schema(&self) -> &dyn sql::Schema {
        match (&self.block_schema, &self.txn) {
            (Some(m), TxnState::Block(_) | TxnState::Failed) => &**m,
            _ => &*self.mirror,
        }
    }

    /// Each statement of `text` translated on its own; `None` if `text` does not parse.
    fn translate_each(&self, text: &str) -> Option<Vec<Result<Translated, PgError>>> {
        let each = sql::translate_each(text, &self.ctx, self.schema()).ok()?;
        Some(each.into_iter().map(|r| r.map_err(PgError::from)).collect())
    }

    /// Translates one statement for the extended protocol (Parse).
    /// An error fails an open block, as any error inside one does in PostgreSQL.
    pub async fn prepare(&mut self, text: &str) -> Result<Option<Translated>, PgError> {
        self.ensure_mirror().await;
        let translated = self.translate(text);
        if translated.is_err() {
            self.fail_block();
        }
        let mut stmts = translated?;
        match stmts.len() {
            0 => Ok(None),
            1 => Ok(stmts.pop()),
            _ => Err(PgError::new(
                codes::SYNTAX_ERROR,
                "cannot insert multiple commands into a prepared statement",
            )),
        }
    }

    /// Runs one translated statement with bound parameters.
    pub async fn run(&mut self, t: &Translated, params: Vec<Value>) -> Result<Reply, PgError> {
        let result = self
            .run_inner(t, params)
            .await
            .map_err(|e| constraint_errors::refine(e, self.schema(), t.sqlite.as_deref()));
        if result.is_err() {
            self.fail_block();
        }
        if self.txn == TxnState::Idle {
            // The statement's own transaction (autocommit) or the block it ended is over.
            self.release_xact_locks().await;
        }
        result
    }

    async fn run_inner(&mut self, t: &Translated, params: Vec<Value>) -> Result<Reply, PgError> {
        if let StatementKind::Transaction(ctl) = &t.kind {
            return self.transaction_control(ctl).await;
        }
        if self.txn == TxnState::Failed {
            return Err(PgError::in_failed_transaction());
        }
        if params.len() != t.param_count {
            return Err(PgError::new(
                codes::PROTOCOL_VIOLATION,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    t.param_count
                ),
            ));
        }
        match &t.kind {
            StatementKind::Transaction(_) => {
                Err(PgError::new(codes::INTERNAL_ERROR, "unreachable"))
            }
            StatementKind::Empty => Ok(Reply::Empty),
            StatementKind::Set { name, value, .. } => {
                self.set_guc(name, value.as_deref())?;
                Ok(Reply::command("SET"))
            }
            StatementKind::Reset { name } => {
                self.gucs.reset(name.as_deref())?;
                if self.txn == TxnState::Idle {
                    self.restore_access_mode();
                }
                Ok(Reply::command("RESET"))
            }
            StatementKind::Show { name } => self.show(name),
            // `DEALLOCATE name` answers plain `DEALLOCATE`, as PostgreSQL does.
            StatementKind::PrepareSql { name, types, body } => self.prepare_sql(name, types, body),
            StatementKind::ExecuteSql { name, args } => {
                Box::pin(self.execute_sql(name, args)).await
            }
            StatementKind::Discard => Ok(Reply::command(match self.deallocate_sql(&t.tag) {
                "DISCARD ALL" | "DEALLOCATE ALL" => &t.tag,
                tag if tag.starts_with("DEALLOCATE") => "DEALLOCATE",
                tag => tag,
            })),
            StatementKind::Advisory(call) => self.run_advisory(call, &params).await,
            StatementKind::Catalog => self.run_catalog(t, params).await,
            StatementKind::ClusterView => self.run_cluster_view(t).await,
            StatementKind::Query | StatementKind::Write | StatementKind::Ddl => {
                let sql = t.sqlite.clone().ok_or_else(|| {
                    PgError::new(codes::INTERNAL_ERROR, "statement has no SQLite translation")
                })?;
                let params = array_params::as_json(t, params)?;
                let stmt = BoundStmt { sql, params };
                if let Some(op) = &t.sequence {
                    return self.run_sequence(op, t, stmt).await;
                }
                self.execute(t, stmt).await
            }
        }
    }

    async fn execute(&mut self, t: &Translated, stmt: BoundStmt) -> Result<Reply, PgError> {
        let is_read = matches!(t.kind, StatementKind::Query);
        if !is_read {
            self.check_writable(&t.tag)?;
        }
        let output = match &mut self.txn {
            TxnState::Block(pending) => {
                // Run the block so far plus this statement, then roll back: the statement
                // sees the block's own writes; the writes themselves go out at COMMIT.
                let stmt_sql = stmt.sql.clone();
                let mut stmts = pending.clone();
                stmts.push(stmt.clone());
                let n = stmts.len();
                let results = self.backend.run(&self.db, Batch::Probe { stmts }).await?;
                let out = last_result(results, n)?;
                if !is_read {
                    pending.push(stmt);
                }
                if matches!(t.kind, StatementKind::Ddl) {
                    self.block_has_ddl = true;
                    // What follows in the block is translated against its own schema.
                    let base = self
                        .block_schema
                        .clone()
                        .unwrap_or_else(|| self.mirror.clone());
                    match base.with_applied(&stmt_sql) {
                        Ok(m) => self.block_schema = Some(Arc::new(m)),
                        Err(e) => tracing::warn!(error = %e, "cannot apply the block's DDL"),
                    }
                }
                out
            }
            TxnState::Idle => {
                let batch = if is_read {
                    let level = self
                        .gucs
                        .get("pgrq.read_consistency")
                        .and_then(ReadLevel::parse)
                        .unwrap_or(ReadLevel::Linearizable);
                    Batch::Read { stmt, level }
                } else {
                    Batch::Write {
                        stmts: vec![stmt],
                        // DDL may be several statements (e.g. a table rebuild): all or none.
                        transaction: matches!(t.kind, StatementKind::Ddl),
                        returning: t.returning,
                    }
                };
                let results = self.backend.run(&self.db, batch).await?;
                let out = last_result(results, 1)?;
                if matches!(t.kind, StatementKind::Ddl) {
                    self.refresh_mirror().await;
                }
                out
            }
            TxnState::Failed => return Err(PgError::in_failed_transaction()),
        };
        Ok(Reply::from_output(t, output))
    }

    /// Fixes `now()` for what runs next: PostgreSQL's now() is the start time of the
    /// transaction, so inside a block it keeps the time the block began.
    fn tick(&mut self) {
        if self.txn == TxnState::Idle {
            self.ctx.now_micros = now_micros();
        }
    }

    /// Loads the mirror on first use (it is shared by the database's sessions).
    async fn ensure_mirror(&self) {
        if !self.mirror.is_loaded() {
            self.refresh_mirror().await;
        }
    }

    /// Reloads the schema mirror from the database. A failure leaves the old schema in
    /// place (the mirror only serves descriptions; the engine stays the authority).
    async fn refresh_mirror(&self) {
        let stmt = BoundStmt {
            sql: SCHEMA_QUERY.to_string(),
            params: Vec::new(),
        };
        let batch = Batch::Read {
            stmt,
            level: ReadLevel::Linearizable,
        };
        let ddl: Vec<String> = match self.backend.run(&self.db, batch).await {
            Ok(mut results) => match results.pop() {
                Some(Ok(Output {
                    rows: Some(rows), ..
                })) => rows
                    .values
                    .into_iter()
                    .filter_map(|r| match r.into_iter().next() {
                        Some(Value::Text(s)) => Some(s),
                        _ => None,
                    })
                    .collect(),
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => {
                    tracing::warn!(db = %self.db, error = %e, "cannot read the schema");
                    return;
                }
                None => return,
            },
            Err(e) => {
                tracing::warn!(db = %self.db, error = %e, "cannot read the schema");
                return;
            }
        };
        if let Err(e) = self.mirror.load(&ddl) {
            tracing::warn!(db = %self.db, error = %e, "cannot load the schema mirror");
        }
    }

    /// `SET`. The transaction's own settings (`SET TRANSACTION …`) only act inside a
    /// block (PostgreSQL warns and ignores them outside one); outside a block the access
    /// mode follows `default_transaction_read_only`.
    fn set_guc(&mut self, name: &str, value: Option<&str>) -> Result<(), PgError> {
        let lname = name.to_ascii_lowercase();
        let per_txn = matches!(
            lname.as_str(),
            "transaction_read_only" | "transaction_isolation"
        );
        if per_txn && self.txn == TxnState::Idle {
            return Ok(());
        }
        self.gucs.set(name, value)?;
        if self.txn == TxnState::Idle {
            self.restore_access_mode();
        }
        Ok(())
    }

    fn show(&self, name: &str) -> Result<Reply, PgError> {
        if name == "all" {
            let rows = self
                .gucs
                .all()
                .into_iter()
                .map(|(n, v)| vec![Value::Text(n), Value::Text(v), Value::Text(String::new())])
                .collect();
            return Ok(Reply::text_rows(&reply::SHOW_ALL, rows, "SHOW"));
        }
        let (col, value) = self.gucs.show(name)?;
        Ok(Reply::text_rows(
            &[&col],
            vec![vec![Value::Text(value)]],
            "SHOW",
        ))
    }
}

/// Whether a DDL statement comes before the first statement that failed to translate
/// (which may then need what that DDL creates).
fn ddl_before_first_error(stmts: &[Result<Translated, PgError>]) -> bool {
    stmts
        .iter()
        .take_while(|r| r.is_ok())
        .flatten()
        .any(|t| matches!(t.kind, StatementKind::Ddl))
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The result of the last statement of a batch of `n`, or the first statement error.
fn last_result(results: Vec<StmtResult>, n: usize) -> Result<Output, PgError> {
    let mut last = None;
    for r in results {
        match r {
            Ok(o) => last = Some(o),
            Err(msg) => return Err(error::from_sqlite(&msg)),
        }
    }
    match last {
        Some(o) => Ok(o),
        None => Err(PgError::new(
            codes::INTERNAL_ERROR,
            format!("the engine returned no result for a batch of {n} statements"),
        )),
    }
}

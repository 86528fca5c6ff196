//! The session's part in sequence functions (`sql::SequenceOp`): `nextval` and `setval`
//! run at once, outside any transaction block (PostgreSQL never rolls a sequence back),
//! and their values become this session's `currval(name)` and `lastval()`, which are
//! answered here without the engine.

use std::collections::HashMap;

use super::{Batch, BoundStmt, Output, PgError, Reply, Session, TxnState, Value};
use crate::error::{self, codes};
use crate::sql::markers::SEQUENCE_TABLE;
use crate::sql::{PgType, SequenceOp, Translated};

/// The values this session's `currval` and `lastval` return.
#[derive(Debug, Default)]
pub(super) struct SessionSequences {
    current: HashMap<String, i64>,
    last: Option<i64>,
}

impl Session {
    pub(super) async fn run_sequence(
        &mut self,
        op: &SequenceOp,
        t: &Translated,
        stmt: BoundStmt,
    ) -> Result<Reply, PgError> {
        if self.txn == TxnState::Failed {
            return Err(PgError::in_failed_transaction());
        }
        match op {
            SequenceOp::Current(name) => {
                self.require_sequence(name).await?;
                let v = self.sequences.current.get(name).copied().ok_or_else(|| {
                    PgError::new(
                        codes::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        format!(
                            "currval of sequence \"{name}\" is not yet defined in this session"
                        ),
                    )
                })?;
                Ok(one_value("currval", v))
            }
            SequenceOp::Last => {
                let v = self.sequences.last.ok_or_else(|| {
                    PgError::new(
                        codes::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        "lastval is not yet defined in this session",
                    )
                })?;
                Ok(one_value("lastval", v))
            }
            SequenceOp::Next(name) | SequenceOp::Set(name) => {
                self.check_writable(match op {
                    SequenceOp::Next(_) => "nextval()",
                    _ => "setval()",
                })?;
                let batch = Batch::Write {
                    stmts: vec![stmt],
                    transaction: false,
                    returning: true,
                };
                let mut results = self.backend.run(&self.db, batch).await?;
                let output = match results.pop() {
                    Some(Ok(o)) => o,
                    Some(Err(msg)) => return Err(error::from_sqlite(&msg)),
                    None => {
                        return Err(PgError::new(
                            codes::INTERNAL_ERROR,
                            "the engine returned no result",
                        ));
                    }
                };
                let Some(v) = first_int(&output) else {
                    return Err(PgError::new(
                        codes::NUMERIC_VALUE_OUT_OF_RANGE,
                        format!("setval: value is out of bounds for sequence \"{name}\""),
                    ));
                };
                self.sequences.current.insert(name.clone(), v);
                self.sequences.last = Some(v);
                Ok(Reply::from_output(t, output))
            }
        }
    }

    /// 42P01 unless the mirror knows sequence `name`.
    async fn require_sequence(&self, name: &str) -> Result<(), PgError> {
        let table = format!("{SEQUENCE_TABLE}{name}");
        if self.mirror.table_columns(&table).is_none() {
            self.refresh_mirror().await;
            if self.mirror.table_columns(&table).is_none() {
                return Err(PgError::new(
                    codes::UNDEFINED_TABLE,
                    format!("relation \"{name}\" does not exist"),
                ));
            }
        }
        Ok(())
    }
}

fn first_int(out: &Output) -> Option<i64> {
    match out.rows.as_ref()?.values.first()?.first()? {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn one_value(column: &str, v: i64) -> Reply {
    Reply::Rows {
        columns: vec![super::Column::new(column, PgType::Int8)],
        rows: vec![vec![Value::Int(v)]],
        tag: "SELECT 1".into(),
    }
}

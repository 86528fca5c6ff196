//! Extended-protocol statements: the translated statement plus what Describe reports
//! before anything runs — parameter types and result columns — taken from the SQL itself
//! and from the schema mirror.

use super::{Column, PgError, Reply, Session, Value, reply};
use crate::error::{self, codes};
use crate::mirror::MirrorError;
use crate::sql::{PgType, StatementKind, Translated};

#[derive(Debug, Clone)]
pub struct Prepared {
    pub translated: Translated,
    /// The statement text when its translation depends on the clock (now() and time
    /// defaults become literals): it is translated again at each Execute.
    clock_source: Option<String>,
    /// One per parameter, as ParameterDescription reports them.
    pub param_types: Vec<PgType>,
    /// The result columns (empty: the statement returns no rows → NoData).
    pub columns: Vec<Column>,
}

impl Session {
    /// Parse: translate and describe one statement. `client_types` are the OIDs the client
    /// sent with Parse (0 or missing = unspecified).
    /// An error (translating or describing) fails an open block, as in PostgreSQL.
    pub async fn prepare_statement(
        &mut self,
        text: &str,
        client_types: &[u32],
    ) -> Result<Prepared, PgError> {
        let result = self.prepare_described(text, client_types).await;
        if result.is_err() {
            self.fail_block();
        }
        result
    }

    async fn prepare_described(
        &mut self,
        text: &str,
        client_types: &[u32],
    ) -> Result<Prepared, PgError> {
        self.tick();
        let translated = self.prepare(text).await?.ok_or_else(|| {
            PgError::new(codes::INTERNAL_ERROR, "empty statement has no translation")
        })?;
        let clock_source = translated.uses_clock.then(|| text.to_string());
        let (columns, described_params) = self.describe(&translated).await?;
        let n = translated
            .param_count
            .max(described_params)
            .max(client_types.len());
        let param_types = (0..n)
            .map(|i| {
                client_types
                    .get(i)
                    .and_then(|oid| PgType::from_oid(*oid))
                    .filter(|t| *t != PgType::Unknown)
                    .or_else(|| translated.param_types.get(i).copied().flatten())
                    // Without a cast or a client type, PostgreSQL would infer from
                    // context; pgrq reports text, which every driver can send.
                    .unwrap_or(PgType::Text)
            })
            .collect();
        Ok(Prepared {
            translated,
            clock_source,
            param_types,
            columns,
        })
    }

    /// Execute: run with bound parameters; rows carry the types Describe announced.
    pub async fn execute_prepared(
        &mut self,
        p: &Prepared,
        params: Vec<Value>,
    ) -> Result<Reply, PgError> {
        let fresh;
        let translated = match &p.clock_source {
            Some(text) => {
                self.tick();
                fresh = self.prepare(text).await?.ok_or_else(|| {
                    PgError::new(
                        codes::INTERNAL_ERROR,
                        "statement vanished on re-translation",
                    )
                })?;
                &fresh
            }
            None => &p.translated,
        };
        match self.run(translated, params).await? {
            Reply::Rows { rows, tag, columns } => {
                let columns = if columns.len() == p.columns.len() {
                    p.columns.clone()
                } else {
                    columns
                };
                Ok(Reply::Rows { columns, rows, tag })
            }
            other => Ok(other),
        }
    }

    /// Result columns and parameter count of a statement, without running it.
    async fn describe(&mut self, t: &Translated) -> Result<(Vec<Column>, usize), PgError> {
        match &t.kind {
            StatementKind::Show { name } => return Ok((reply::show_columns(name), 0)),
            StatementKind::Catalog => return self.describe_catalog(t).await,
            StatementKind::ClusterView => return self.describe_cluster_view(t).await,
            StatementKind::Advisory(call) => {
                let ty = t.column_types.first().copied().flatten();
                let column = Column::new(call.column.clone(), ty.unwrap_or(PgType::Text));
                return Ok((vec![column], t.param_count));
            }
            StatementKind::Query | StatementKind::Write => {}
            _ => return Ok((Vec::new(), t.param_count)),
        }
        let Some(sql) = t.sqlite.as_deref() else {
            return Ok((Vec::new(), t.param_count));
        };
        let returns_rows = matches!(t.kind, StatementKind::Query) || t.returning;
        self.ensure_mirror().await;
        let described = match self.describing_mirror().describe(sql) {
            Ok(d) => d,
            Err(_) => {
                // The mirror may be behind (DDL from elsewhere): reload once and retry.
                self.refresh_mirror().await;
                match self.describing_mirror().describe(sql) {
                    Ok(d) => d,
                    // Inside a block whose own DDL is not committed yet, a write may target
                    // a table the mirror cannot know: it will be checked when it runs.
                    Err(_) if self.block_has_ddl && !returns_rows => {
                        return Ok((Vec::new(), t.param_count));
                    }
                    Err(MirrorError::Sqlite(msg)) => return Err(error::from_sqlite(&msg)),
                    Err(e) => return Err(PgError::new(codes::INTERNAL_ERROR, e.to_string())),
                }
            }
        };
        let columns = if returns_rows {
            // The SQL's own types count only when they line up with SQLite's columns.
            let from_sql = (t.column_types.len() == described.columns.len())
                .then_some(t.column_types.as_slice());
            let mut columns = described
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    Column::declared(
                        c.name.clone(),
                        column_type(from_sql, i, &c.decl_type),
                        &c.decl_type,
                    )
                })
                .collect::<Vec<_>>();
            reply::with_sql_scales(&mut columns, t);
            columns
        } else {
            Vec::new()
        };
        Ok((columns, described.param_count))
    }
}

/// The type of result column `i`: what the SQL says, else the declared column type, else
/// text (SQLite cannot type an expression before it runs).
fn column_type(from_sql: Option<&[Option<PgType>]>, i: usize, decl: &str) -> PgType {
    if let Some(Some(ty)) = from_sql.and_then(|f| f.get(i)) {
        return *ty;
    }
    if decl.is_empty() {
        PgType::Text
    } else {
        PgType::from_decl(decl)
    }
}

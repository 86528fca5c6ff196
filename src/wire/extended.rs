//! The extended query protocol (Parse/Bind/Describe/Execute/Close/Sync/Flush) on top of
//! pgwire's portal machinery: Parse translates and describes through the session (types
//! come from the SQL and the schema mirror, before anything runs); Execute decodes the
//! bound parameters and runs the statement. pgwire handles named/unnamed statements and
//! portals, `max_rows` with PortalSuspended, and skip-to-Sync after an error.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{FieldInfo, Response};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{Describe, Execute, TARGET_TYPE_BYTE_STATEMENT};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::startup::ParameterStatus;
use tokio::sync::Mutex;

use super::encode::{fields, pg_type, response, wire_error};
use super::params;
use crate::error::{PgError, codes};
use crate::session::{Prepared, Session};
use crate::sql::{StatementKind, TxnControl};

pub type SessionSlot = Arc<Mutex<Option<Session>>>;

fn no_session() -> PgWireError {
    wire_error(PgError::fatal(
        codes::PROTOCOL_VIOLATION,
        "query before authentication",
    ))
}

pub struct Parser {
    pub session: SessionSlot,
}

#[async_trait]
impl QueryParser for Parser {
    type Statement = Arc<Prepared>;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let oids: Vec<u32> = types
            .iter()
            .map(|t| t.as_ref().map(Type::oid).unwrap_or(0))
            .collect();
        let mut guard = self.session.lock().await;
        let session = guard.as_mut().ok_or_else(no_session)?;
        let prepared = session
            .prepare_statement(sql, &oids)
            .await
            .map_err(wire_error)?;
        if matches!(prepared.translated.kind, StatementKind::Empty) {
            return Ok(None);
        }
        Ok(Some(Arc::new(prepared)))
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        Ok(stmt.param_types.iter().map(|t| pg_type(*t)).collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(fields(&stmt.columns, |i| {
            column_format
                .map(|f| f.format_for(i))
                .unwrap_or(pgwire::api::results::FieldFormat::Text)
        }))
    }
}

pub struct Extended {
    pub session: SessionSlot,
}

#[async_trait]
impl ExtendedQueryHandler for Extended {
    type Statement = Arc<Prepared>;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::new(Parser {
            session: self.session.clone(),
        })
    }

    /// Describe of a statement that returns no rows answers NoData, as PostgreSQL does.
    /// pgwire answers an empty RowDescription when the statement has parameters, and
    /// pgjdbc then refuses `executeUpdate` ("A result was returned when none was
    /// expected").
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.target_type == TARGET_TYPE_BYTE_STATEMENT {
            let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
            if let Some(Entry::Value(stored)) = client.portal_store().get_statement(name) {
                let p = &stored.statement;
                let rows = matches!(
                    p.translated.kind,
                    StatementKind::Query | StatementKind::Catalog | StatementKind::Show { .. }
                );
                if p.columns.is_empty() && !rows {
                    let oids = p.param_types.iter().map(|t| pg_type(*t).oid()).collect();
                    client
                        .send(PgWireBackendMessage::ParameterDescription(
                            ParameterDescription::new(oids),
                        ))
                        .await?;
                    client
                        .send(PgWireBackendMessage::NoData(NoData::new()))
                        .await?;
                    return Ok(());
                }
            }
        }
        self._on_describe(client, message).await
    }

    /// As for a simple query (`conn.rs`): a ROLLBACK TO SAVEPOINT that heals a failed
    /// block reports in-progress, which pgwire would not derive.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let rollback_to = match client.portal_store().get_portal(name) {
            Some(Entry::Value(portal)) => matches!(
                portal.statement.statement.translated.kind,
                StatementKind::Transaction(TxnControl::RollbackTo(_))
            ),
            _ => false,
        };
        if rollback_to {
            let failed = self
                .session
                .lock()
                .await
                .as_ref()
                .is_some_and(|s| s.in_failed_transaction());
            if failed {
                client.set_transaction_status(TransactionStatus::Transaction);
            }
        }
        self._on_execute(client, message).await
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.query_portal(client, portal).await
    }
}

impl Extended {
    /// Runs a bound portal: decodes its parameters with the types Parse announced, runs
    /// it in the session, and sends the ParameterStatus changes it caused.
    pub async fn query_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Arc<Prepared>>,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let prepared = portal.statement.statement.clone();
        let mut values = Vec::with_capacity(portal.parameters.len());
        for (i, bytes) in portal.parameters.iter().enumerate() {
            let ty = prepared
                .param_types
                .get(i)
                .copied()
                .unwrap_or(crate::sql::PgType::Text);
            let v = params::decode(
                i,
                ty,
                portal.parameter_format.is_binary(i),
                bytes.as_deref(),
            )
            .map_err(wire_error)?;
            values.push(v);
        }
        let (reply, changes) = {
            let mut guard = self.session.lock().await;
            let session = guard.as_mut().ok_or_else(no_session)?;
            let reply = session.execute_prepared(&prepared, values).await;
            (reply, session.take_parameter_changes())
        };
        for (k, v) in changes {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    k, v,
                )))
                .await?;
        }
        let reply = reply.map_err(wire_error)?;
        response(reply, |i| portal.result_column_format.format_for(i)).map_err(wire_error)
    }
}

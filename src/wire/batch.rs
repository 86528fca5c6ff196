//! The implicit transaction of an extended-protocol batch, on the wire side. PostgreSQL
//! runs every Execute between two Syncs (outside an explicit block) as one transaction:
//! an error skips to the Sync and undoes the batch's earlier statements, the Sync
//! commits. `Batched` wraps the portal handler (`extended.rs`) and tells the session where
//! a batch goes on and where it ends:
//!
//! - An Execute of a write outside any block is held until the next message. A Sync next
//!   means it was alone: it runs as an ordinary autocommit write (one engine request, as
//!   before). Any other message next means the batch goes on: the session opens the
//!   batch's implicit transaction, the held Execute runs as its first statement, then the
//!   message is handled.
//! - Sync ends the implicit transaction (`Session::sync`): committed, or rolled back when
//!   the batch met an error.
//!
//! The held statement keeps its bound portal (a later Bind may replace the unnamed one)
//! and its reply is sent in full when it runs: only Executes without a row limit, or of
//! statements that return no rows, are held. A simple Query message inside a batch with a
//! held Execute is refused (08P01).
//!
//! It must not parse SQL or decide how statements run (the session's).

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::portal::Portal;
use pgwire::api::query::{ExtendedQueryHandler, send_execution_response};
use pgwire::api::results::{Response, Tag};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::DataRow;
use pgwire::messages::extendedquery::{
    Bind, Close, Describe, Execute, Flush, Parse, Sync as PgSync,
};
use pgwire::messages::response::EmptyQueryResponse;
use tokio::sync::Mutex;

use super::encode::wire_error;
use super::extended::{Extended, Parser, SessionSlot};
use crate::session::Prepared;

/// An Execute not run yet (its bound portal): the message after it decides how it runs.
pub type HeldSlot = Arc<Mutex<Option<Arc<Portal<Arc<Prepared>>>>>>;

pub struct Batched {
    pub inner: Extended,
    pub held: HeldSlot,
}

impl Batched {
    pub fn new(session: SessionSlot, held: HeldSlot) -> Batched {
        Batched {
            inner: Extended { session },
            held,
        }
    }

    /// The batch goes on after a held Execute: it runs now, as the first statement of the
    /// batch's implicit transaction. Its error (if any) is the batch's error: the message
    /// being handled is then skipped, as everything up to the Sync is.
    async fn release_held<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let Some(portal) = self.held.lock().await.take() else {
            return Ok(());
        };
        if let Some(session) = self.inner.session.lock().await.as_mut() {
            session.begin_implicit();
        }
        self.run_held(client, &portal).await
    }

    /// Runs a held portal and sends its whole reply (rows, then CommandComplete).
    async fn run_held<C>(&self, client: &mut C, portal: &Portal<Arc<Prepared>>) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self.inner.query_portal(client, portal).await? {
            Response::Execution(tag)
            | Response::TransactionStart(tag)
            | Response::TransactionEnd(tag) => send_execution_response(client, tag).await,
            Response::Query(mut rows) => {
                let tag = rows.command_tag().to_owned();
                let mut n = 0;
                while let Some(row) = rows.data_rows().next().await {
                    let row: DataRow = row?;
                    client.feed(PgWireBackendMessage::DataRow(row)).await?;
                    n += 1;
                }
                send_execution_response(client, Tag::new(&tag).with_rows(n)).await
            }
            Response::EmptyQuery => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
                Ok(())
            }
            Response::Error(e) => Err(PgWireError::UserError(e)),
            Response::CopyIn(_) | Response::CopyOut(_) | Response::CopyBoth(_) => {
                Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                    "ERROR".into(),
                    crate::error::codes::FEATURE_NOT_SUPPORTED.into(),
                    "COPY is not supported".into(),
                ))))
            }
        }
    }

    /// The portal this Execute runs, when it waits for the next message: a write outside
    /// any block, with no row limit or no rows to limit.
    async fn deferred<C>(
        &self,
        client: &mut C,
        message: &Execute,
    ) -> Option<Arc<Portal<Arc<Prepared>>>>
    where
        C: ClientInfo + ClientPortalStore,
        C::PortalStore: PortalStore<Statement = Arc<Prepared>>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return None;
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let Some(Entry::Value(portal)) = client.portal_store().get_portal(name) else {
            return None;
        };
        let prepared = &portal.statement.statement;
        if message.max_rows > 0 && !prepared.columns.is_empty() {
            return None;
        }
        let defers = self
            .inner
            .session
            .lock()
            .await
            .as_ref()
            .is_some_and(|s| s.defers_in_batch(&prepared.translated.kind));
        defers.then_some(portal)
    }

    /// An error found at Sync (the held statement, or the implicit COMMIT): sent before
    /// ReadyForQuery, as pgwire does for errors of the other messages.
    async fn report<C>(&self, client: &mut C, err: PgWireError) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let info: ErrorInfo = err.into();
        client
            .feed(PgWireBackendMessage::ErrorResponse(info.into()))
            .await?;
        let status = client.transaction_status().to_error_state();
        client.set_transaction_status(status);
        client.set_state(PgWireConnectionState::ReadyForQuery);
        Ok(())
    }
}

#[async_trait]
impl ExtendedQueryHandler for Batched {
    type Statement = Arc<Prepared>;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.inner.query_parser()
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.release_held(client).await?;
        self.inner.on_parse(client, message).await
    }

    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.release_held(client).await?;
        self.inner.on_bind(client, message).await
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.release_held(client).await?;
        self.inner.on_describe(client, message).await
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.release_held(client).await?;
        if let Some(portal) = self.deferred(client, &message).await {
            *self.held.lock().await = Some(portal);
            return Ok(());
        }
        self.inner.on_execute(client, message).await
    }

    async fn on_close<C>(&self, client: &mut C, message: Close) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.release_held(client).await?;
        self.inner.on_close(client, message).await
    }

    async fn on_flush<C>(&self, client: &mut C, message: Flush) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.release_held(client).await?;
        self.inner.on_flush(client, message).await
    }

    async fn on_sync<C>(&self, client: &mut C, message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // pgwire skipped here after an error of the batch.
        let mut errored = matches!(client.state(), PgWireConnectionState::AwaitingSync);
        let held = self.held.lock().await.take();
        if let Some(portal) = held {
            // Alone in its batch: an ordinary autocommit write.
            if let Err(e) = self.run_held(client, &portal).await {
                if e.is_fatal() {
                    // The session was terminated: pgwire sends it and closes.
                    return Err(e);
                }
                errored = true;
                self.report(client, e).await?;
            }
        }
        let synced = match self.inner.session.lock().await.as_mut() {
            Some(session) => session.sync(errored).await,
            None => Ok(()),
        };
        if let Err(e) = synced {
            self.report(client, wire_error(e)).await?;
        }
        self.inner.on_sync(client, message).await
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let _ = max_rows;
        self.inner.query_portal(client, portal).await
    }
}

//! One client connection's pgwire handlers: startup (SCRAM-SHA-256, then the database
//! check and open, then the session), and the simple query protocol forwarded to the
//! session. No SQL is parsed here.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::driver::AuthOutcome;
use pgwire::api::auth::mechanism::AuthMechanismFactory;
use pgwire::api::auth::{
    AuthDriver, ServerParameterProvider, StartupHandler, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::{FieldFormat, Response};
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, METADATA_DATABASE, METADATA_USER, PgWireServerHandlers,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::ParameterStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::sync::Mutex;

use super::Frontend;
use super::batch::{Batched, HeldSlot};
use super::encode::{pg_error, response, wire_error};
use super::extended::SessionSlot;
use crate::error::{PgError, codes};
use crate::session::{DbName, Gucs, Session};

/// ParameterStatus at startup: the session's reported GUCs, from the startup packet.
pub struct StartupParams;

impl ServerParameterProvider for StartupParams {
    fn server_parameters<C>(&self, client: &C) -> Option<HashMap<String, String>>
    where
        C: ClientInfo,
    {
        let user = client
            .metadata()
            .get(METADATA_USER)
            .cloned()
            .unwrap_or_default();
        let startup: BTreeMap<String, String> = client
            .metadata()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // Validated before authentication completes (see on_startup), so this succeeds.
        Gucs::new(&user, &startup)
            .ok()
            .map(|g| g.reported().into_iter().collect())
    }
}

pub struct Conn {
    front: Arc<Frontend>,
    session: SessionSlot,
    /// An extended-protocol Execute waiting for the next message (`batch.rs`).
    held: HeldSlot,
}

impl Conn {
    pub fn new(front: Arc<Frontend>) -> Arc<Conn> {
        Arc::new(Conn {
            front,
            session: Arc::new(Mutex::new(None)),
            held: Arc::new(Mutex::new(None)),
        })
    }

    /// After SCRAM succeeded: the database must belong to the user's app and be ready.
    async fn open_session<C: ClientInfo>(&self, client: &C) -> Result<Session, PgError> {
        let meta = client.metadata();
        let user = meta.get(METADATA_USER).cloned().unwrap_or_default();
        // PostgreSQL defaults the database to the user name.
        let db = meta
            .get(METADATA_DATABASE)
            .cloned()
            .unwrap_or_else(|| user.clone());
        let app = self.front.config.app(&user).ok_or_else(|| {
            PgError::fatal(
                codes::INVALID_PASSWORD,
                format!("password authentication failed for user \"{user}\""),
            )
        })?;
        let name = DbName::for_app(&user, &db)?;
        let startup: BTreeMap<String, String> =
            meta.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mirror = self
            .front
            .mirrors
            .get(&name)
            .map_err(|e| PgError::fatal(codes::INTERNAL_ERROR, e.to_string()))?;
        let mut session = Session::new(
            name.clone(),
            &user,
            &startup,
            self.front.backend.clone(),
            mirror,
        )
        .map_err(PgError::into_fatal)?;
        session
            .open(app.allow_create)
            .await
            .map_err(|e| PgError::from(e).into_fatal())?;
        Ok(session)
    }
}

pub struct ConnHandlers(pub Arc<Conn>);

impl PgWireServerHandlers for ConnHandlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.0.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.0.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        Arc::new(Batched::new(self.0.session.clone(), self.0.held.clone()))
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::new(DefaultCancelHandler::new(self.0.front.conns.clone()))
    }
}

#[async_trait]
impl StartupHandler for Conn {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let driver: &AuthDriver<Arc<StartupParams>> = &self.front.driver;
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                let mechanism = self.front.scram.create();
                match driver.begin_authentication(client, mechanism).await? {
                    AuthOutcome::InProgress => Ok(()),
                    AuthOutcome::Authenticated { .. } => Err(wire_error(PgError::fatal(
                        codes::PROTOCOL_VIOLATION,
                        "authentication finished without a password exchange",
                    ))),
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(msg) => {
                let outcome = match driver.advance_authentication(client, msg).await {
                    Err(PgWireError::InvalidPassword(_)) => {
                        // PostgreSQL's wording, naming the startup user (libpq leaves the
                        // SCRAM message's user name empty).
                        let user = client
                            .metadata()
                            .get(METADATA_USER)
                            .cloned()
                            .unwrap_or_default();
                        return Err(wire_error(PgError::fatal(
                            codes::INVALID_PASSWORD,
                            format!("password authentication failed for user \"{user}\""),
                        )));
                    }
                    other => other?,
                };
                match outcome {
                    AuthOutcome::InProgress => Ok(()),
                    AuthOutcome::Authenticated { final_message, .. } => {
                        let session = self.open_session(client).await.map_err(wire_error)?;
                        *self.session.lock().await = Some(session);
                        driver.complete_authentication(client, final_message).await
                    }
                }
            }
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl SimpleQueryHandler for Conn {
    /// pgwire derives ReadyForQuery's status from the responses and never takes a failed
    /// block back to in-progress; ROLLBACK TO SAVEPOINT does, so the status is set first
    /// (an error of the statement itself still turns it to failed).
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if self.held.lock().await.take().is_some() {
            // The held write would have to run first, in the batch's transaction; a
            // simple Query inside an unsynchronised batch is refused instead.
            return Err(wire_error(PgError::new(
                codes::PROTOCOL_VIOLATION,
                "a Query message cannot follow an extended-protocol Execute before Sync",
            )));
        }
        let heals = self
            .session
            .lock()
            .await
            .as_ref()
            .is_some_and(|s| s.heals_failed_block(&query.query));
        if heals {
            client.set_transaction_status(TransactionStatus::Transaction);
        }
        self._on_query(client, query).await
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut guard = self.session.lock().await;
        let Some(session) = guard.as_mut() else {
            return Err(wire_error(PgError::fatal(
                codes::PROTOCOL_VIOLATION,
                "query before authentication",
            )));
        };
        let replies = session.simple_query(query).await;
        for (k, v) in session.take_parameter_changes() {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    k, v,
                )))
                .await?;
        }
        let mut out = Vec::with_capacity(replies.len());
        for r in replies {
            let resp = r.and_then(|reply| response(reply, |_| FieldFormat::Text));
            match resp {
                Ok(resp) => out.push(resp),
                // A FATAL error (the session was terminated) ends the connection:
                // pgwire sends it and closes.
                Err(e) if e.severity == crate::error::Severity::Fatal => {
                    return Err(wire_error(e));
                }
                Err(e) => {
                    out.push(Response::Error(Box::new(pg_error(e))));
                    break;
                }
            }
        }
        Ok(out)
    }
}

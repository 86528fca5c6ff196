//! The PostgreSQL wire front end (pgwire): the accept loop with its connection cap, TLS
//! (rustls), SCRAM-SHA-256 against the configured apps, cancel requests, and the mapping of
//! session replies and errors to protocol messages. It must not parse SQL or know where a
//! database's replicas live: it hands statements to `session/`.

mod batch;
mod conn;
mod datetime;
mod encode;
mod extended;
mod jsonb;
mod numeric;
mod params;
mod tls;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use pgwire::api::ConnectionManager;
use pgwire::api::auth::sasl::scram::{ScramAuth, gen_salted_password};
use pgwire::api::auth::{AuthDriver, AuthSource, LoginInfo, Password};
use pgwire::error::PgWireResult;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use encode::{float_text, text_value};
pub use tls::{TlsError, TlsSetup, setup as tls_setup};

use crate::config::Config;
use crate::error::codes;
use crate::mirror::Mirrors;
use crate::session::Backend;
use conn::{Conn, ConnHandlers, StartupParams};

const SCRAM_ITERATIONS: usize = 4096;

/// Salted SCRAM passwords per app, computed once at start (PBKDF2 is deliberately slow).
#[derive(Debug)]
struct AppSecrets {
    by_user: HashMap<String, (Vec<u8>, Vec<u8>)>,
    /// For unknown users: authentication proceeds and fails at the proof, so a client
    /// cannot tell unknown users from wrong passwords.
    decoy: (Vec<u8>, Vec<u8>),
}

impl AppSecrets {
    fn new(config: &Config) -> AppSecrets {
        let salted = |pw: &str| {
            let salt: [u8; 16] = rand::random();
            let hash = gen_salted_password(pw, &salt, SCRAM_ITERATIONS);
            (salt.to_vec(), hash)
        };
        let by_user = config
            .apps
            .iter()
            .map(|a| (a.name.clone(), salted(&a.password)))
            .collect();
        let decoy_pw: [u8; 16] = rand::random();
        let decoy = salted(&format!("{decoy_pw:?}"));
        AppSecrets { by_user, decoy }
    }
}

#[async_trait]
impl AuthSource for AppSecrets {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let (salt, hash) = login
            .user()
            .and_then(|u| self.by_user.get(u))
            .unwrap_or(&self.decoy);
        Ok(Password::new(Some(salt.clone()), hash.clone()))
    }
}

/// What every connection shares.
pub struct Frontend {
    config: Arc<Config>,
    backend: Arc<dyn Backend>,
    mirrors: Arc<Mirrors>,
    conns: Arc<ConnectionManager>,
    driver: AuthDriver<Arc<StartupParams>>,
    scram: ScramAuth,
}

impl Frontend {
    pub fn new(
        config: Arc<Config>,
        backend: Arc<dyn Backend>,
        mirrors: Arc<Mirrors>,
    ) -> Arc<Frontend> {
        let conns = Arc::new(ConnectionManager::new());
        let mut scram = ScramAuth::new(Arc::new(AppSecrets::new(&config)));
        scram.set_iterations(SCRAM_ITERATIONS);
        let driver =
            AuthDriver::new(Arc::new(StartupParams)).with_connection_manager(conns.clone());
        Arc::new(Frontend {
            config,
            backend,
            mirrors,
            conns,
            driver,
            scram,
        })
    }
}

/// Accepts connections until `shutdown`, then waits for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    front: Arc<Frontend>,
    tls: Option<TlsSetup>,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(front.config.proxy.max_connections));
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        let (socket, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracker.spawn(refuse(socket));
            continue;
        };
        let front = front.clone();
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
        let stop = shutdown.clone();
        tracker.spawn(async move {
            let handlers = ConnHandlers(Conn::new(front));
            tokio::select! {
                r = pgwire::tokio::process_socket(socket, acceptor, handlers) => {
                    if let Err(e) = r {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                _ = stop.cancelled() => {}
            }
            drop(permit);
        });
    }
    tracker.close();
    tracker.wait().await;
}

/// Over `max_connections`: a FATAL 53300 ErrorResponse, as PostgreSQL sends.
async fn refuse(mut socket: TcpStream) {
    let mut body = Vec::new();
    for (field, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', codes::TOO_MANY_CONNECTIONS),
        (b'M', "sorry, too many clients already"),
    ] {
        body.push(field);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut msg = vec![b'E'];
    msg.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    msg.extend_from_slice(&body);
    let _ = socket.write_all(&msg).await;
    let _ = socket.shutdown().await;
}

//! Composition root: builds the pieces in data-path order (config → backend → front end →
//! listener; for `pgrq node` also gossip, the system catalog and the reconciler), runs until
//! a signal, and shuts down in reverse (stop accepting, let sessions end, stop every rqlited
//! child, then stop gossiping). `cluster` runs `pgrq up`'s three local node processes.
//! Holds no logic of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::backend::LocalBackend;
use crate::config::{AppConfig, Config, ConfigError};
use crate::gossip::GossipError;
use crate::wire::{self, Frontend};

mod cluster;
mod node;
pub use cluster::{ClusterOptions, run_local_cluster};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] wire::TlsError),
    #[error("{0}")]
    Backend(#[from] crate::session::BackendError),
    #[error("cannot install signal handler: {0}")]
    Signal(std::io::Error),
    #[error(transparent)]
    Gossip(#[from] GossipError),
    #[error(transparent)]
    Engine(#[from] crate::node::engine::EngineError),
    #[error(transparent)]
    System(#[from] crate::node::system::SystemError),
    #[error("{0}")]
    Cluster(String),
    #[error(transparent)]
    Admin(#[from] crate::node::admin::AdminError),
}

/// Whether this process joins a cluster (`pgrq node`) or stands alone (`pgrq up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Standalone,
    Node,
}

/// `pgrq up`: a local setup with a development app when none is configured.
pub struct UpOptions {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

pub fn load_up_config(opts: &UpOptions, role: Role) -> Result<Config, ConfigError> {
    // Validated below, by the rule of the role (one replica per node, or all of them).
    let mut cfg = Config::load_unvalidated(opts.config.as_deref())?;
    if let Some(l) = &opts.listen {
        cfg.proxy.listen_address = l.clone();
    }
    if let Some(d) = &opts.data_dir {
        cfg.node.data_dir = d.clone();
    }
    // With no file and no apps, `pgrq up` provides the demo app.
    if cfg.apps.is_empty() && opts.config.is_none() {
        cfg.apps.push(AppConfig {
            name: "demo".into(),
            password: "demo".into(),
            allow_create: true,
        });
    }
    match role {
        Role::Standalone => cfg.validate()?,
        Role::Node => cfg.validate_node()?,
    }
    Ok(cfg)
}

/// Runs until SIGINT/SIGTERM.
pub async fn run(cfg: Config, role: Role) -> Result<(), AppError> {
    match role {
        Role::Standalone => run_standalone(cfg).await,
        Role::Node => node::run_node(cfg).await,
    }
}

/// `pgrq up --single`: every replica of every database on this host, no gossip.
async fn run_standalone(cfg: Config) -> Result<(), AppError> {
    // Handlers first: a signal arriving once anything has started must take the ordered
    // shutdown path, never the default action (which would skip stopping the children).
    let signals = Signals::install().map_err(AppError::Signal)?;
    let cfg = Arc::new(cfg);
    let backend = Arc::new(LocalBackend::new(cfg.clone())?);
    let tls = wire::tls_setup(&cfg.tls)?;
    let (listener, addr) = bind(&cfg).await?;
    let mirrors = Arc::new(crate::mirror::Mirrors::default());
    let front = Frontend::new(cfg.clone(), backend.clone(), mirrors);
    let lifecycle_stop = CancellationToken::new();
    let hibernator = tokio::spawn(crate::node::lifecycle::hibernation_loop(
        backend.activity().clone(),
        cfg.database.hibernation_timeout,
        backend.clone(),
        lifecycle_stop.clone(),
    ));
    let admin = crate::node::admin::serve(
        crate::node::admin::socket_path(&cfg.node.data_dir),
        backend.clone(),
        lifecycle_stop.clone(),
    )
    .await?;
    print_banner(&cfg, addr);

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(wire::serve(listener, front, tls, shutdown.clone()));
    signals.wait().await;
    tracing::info!("shutting down");
    shutdown.cancel();
    let _ = server.await;
    lifecycle_stop.cancel();
    let _ = hibernator.await;
    let _ = admin.await;
    backend.shutdown(Duration::from_secs(10)).await;
    tracing::info!("stopped");
    Ok(())
}

async fn bind(cfg: &Config) -> Result<(TcpListener, std::net::SocketAddr), AppError> {
    let listener = TcpListener::bind(&cfg.proxy.listen_address)
        .await
        .map_err(|source| AppError::Listen {
            addr: cfg.proxy.listen_address.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| AppError::Listen {
        addr: cfg.proxy.listen_address.clone(),
        source,
    })?;
    Ok((listener, addr))
}

/// The banner on stdout. Write errors are ignored: a closed stdout (e.g. `pgrq up | head`)
/// must not take the server down, as `println!` would.
fn print_banner(cfg: &Config, addr: std::net::SocketAddr) {
    use std::io::Write;
    let ssl = match cfg.tls.mode {
        crate::config::TlsMode::Off => "disable",
        _ => "require",
    };
    let mut text = format!(
        "pgrq listening on {addr} (replicas per database: {})\n",
        cfg.database.replication_factor
    );
    for app in &cfg.apps {
        text.push_str(&format!(
            "  psql \"postgresql://{}:{}@{}:{}/{}_app?sslmode={ssl}\"\n",
            app.name,
            app.password,
            addr.ip(),
            addr.port(),
            app.name
        ));
    }
    text.push_str("Ctrl-C stops pgrq and every rqlited it started.\n");
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Until SIGTERM or SIGINT.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

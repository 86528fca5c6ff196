//! Composition root: builds the pieces in data-path order (config → backend → front end →
//! listener → gossip for `pgrq node`), runs until a signal, and shuts down in reverse (stop
//! accepting, let sessions end, stop every rqlited child, then stop gossiping). Holds no
//! logic of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::backend::LocalBackend;
use crate::config::{AppConfig, Config, ConfigError};
use crate::gossip::{Gossip, GossipError, GossipSettings};
use crate::node::status::{Reporter, keep_status_file, status_path};
use crate::wire::{self, Frontend};

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

pub fn load_up_config(opts: &UpOptions) -> Result<Config, ConfigError> {
    let mut cfg = match Config::load(opts.config.as_deref()) {
        Ok(c) => c,
        // With no file and no apps, `pgrq up` provides the demo app.
        Err(ConfigError::Invalid(errs))
            if opts.config.is_none() && errs.iter().all(|e| e.starts_with("no [[apps]]")) =>
        {
            Config::load_unvalidated(None)?
        }
        Err(e) => return Err(e),
    };
    if let Some(l) = &opts.listen {
        cfg.proxy.listen_address = l.clone();
    }
    if let Some(d) = &opts.data_dir {
        cfg.node.data_dir = d.clone();
    }
    if cfg.apps.is_empty() {
        cfg.apps.push(AppConfig {
            name: "demo".into(),
            password: "demo".into(),
            allow_create: true,
        });
    }
    cfg.validate()?;
    Ok(cfg)
}

/// Runs until SIGINT/SIGTERM.
pub async fn run(cfg: Config, role: Role) -> Result<(), AppError> {
    // Handlers first: a signal arriving once anything has started must take the ordered
    // shutdown path, never the default action (which would skip stopping the children).
    let signals = Signals::install().map_err(AppError::Signal)?;
    let cfg = Arc::new(cfg);
    let backend = Arc::new(LocalBackend::new(cfg.clone())?);
    let tls = wire::tls_setup(&cfg.tls)?;
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
    let mirrors = Arc::new(crate::mirror::Mirrors::default());
    let front = Frontend::new(cfg.clone(), backend.clone(), mirrors);
    // Gossip stops last: peers keep seeing this node while its sessions drain.
    let gossip_stop = CancellationToken::new();
    let gossip = match role {
        Role::Standalone => None,
        Role::Node => Some(start_gossip(&cfg, &backend, addr, &gossip_stop)?),
    };
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
    gossip_stop.cancel();
    if let Some((gossip, status_file)) = gossip {
        gossip.stopped().await;
        let _ = status_file.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The gossip swarm, announcing this node's proxy address and capacity, and the status file
/// `pgrq status` reads.
fn start_gossip(
    cfg: &Arc<Config>,
    backend: &Arc<LocalBackend>,
    proxy: std::net::SocketAddr,
    stop: &CancellationToken,
) -> Result<(Gossip, tokio::task::JoinHandle<()>), AppError> {
    let key = crate::gossip::identity::load_or_create(&cfg.node.data_dir.join("node.key"))?;
    let usage_of = backend.clone();
    let reporter = Reporter::new(
        cfg.clone(),
        cfg.proxy
            .advertise_address
            .clone()
            .unwrap_or_else(|| proxy.to_string()),
        Box::new(move || {
            let u = usage_of.usage();
            (u.databases, u.replicas)
        }),
    );
    let gossip = Gossip::start(
        GossipSettings::from_config(cfg)?,
        key,
        Arc::new(reporter),
        stop.clone(),
    )?;
    tracing::info!("node id {}", gossip.node_id);
    let status_file = tokio::spawn(keep_status_file(
        status_path(&cfg.node.data_dir),
        gossip.peers(),
        cfg.discovery.health_check_interval,
        stop.clone(),
    ));
    Ok((gossip, status_file))
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

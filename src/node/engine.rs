//! What every piece that talks to rqlited on this node shares: the HTTP clients (a pooled
//! one for reads and control calls, one without idle connections for writes), pgrq's rqlite
//! credentials and `-auth` file, and the one [`Supervisor`] of this process's rqlited
//! children, created once rqlited has been located. It decides nothing about placement.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::config::Config;
use crate::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
use crate::node::supervisor::{Supervisor, SupervisorError, write_auth_file};
use crate::rqlite::{ClusterClient, Credentials};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// The rqlite user pgrq runs its replicas with.
pub const RQLITE_USER: &str = "pgrq";

pub struct Engine {
    pub http: reqwest::Client,
    pub write_http: reqwest::Client,
    pub creds: Credentials,
    pub auth_file: PathBuf,
    binary: Option<PathBuf>,
    log_dir: PathBuf,
    supervisor: OnceLock<Arc<Supervisor>>,
    /// How long a call to a cluster keeps retrying.
    pub deadline: Duration,
}

impl Engine {
    /// The password is `rqlite.password` when set (shared by every node of a cluster), else
    /// a random one kept 0600 in `<data_dir>/secrets`.
    pub fn new(config: &Config) -> Result<Engine, EngineError> {
        let secrets = config.node.data_dir.join("secrets");
        std::fs::create_dir_all(&secrets).map_err(|e| io(&secrets, e))?;
        let password = match &config.rqlite.password {
            Some(p) => p.clone(),
            None => load_or_create_secret(&secrets.join("rqlite-password"))?,
        };
        let auth_file = secrets.join("rqlite-auth.json");
        write_auth_file(&auth_file, RQLITE_USER, &password).map_err(|e| io(&auth_file, e))?;
        let (http, write_http) = http_clients()?;
        Ok(Engine {
            http,
            write_http,
            creds: Credentials {
                user: RQLITE_USER.into(),
                password,
            },
            auth_file,
            binary: config.rqlite.binary.clone(),
            log_dir: config.node.data_dir.join("logs"),
            supervisor: OnceLock::new(),
            deadline: Duration::from_secs(config.database.wake_timeout_secs),
        })
    }

    /// The supervisor, once rqlited is found (located on first use, so a node without it
    /// still starts and says what to install).
    pub fn supervisor(&self) -> Result<Arc<Supervisor>, SupervisorError> {
        if let Some(s) = self.supervisor.get() {
            return Ok(s.clone());
        }
        let binary = locate_rqlited(
            self.binary.as_deref(),
            &default_cache_root(),
            RQLITE_VERSION,
        )?;
        Ok(self
            .supervisor
            .get_or_init(|| Arc::new(Supervisor::new(binary, self.log_dir.clone())))
            .clone())
    }

    /// A client of the cluster whose replicas answer HTTP at `nodes` (`ip:port`).
    pub fn client(&self, nodes: Vec<String>) -> ClusterClient {
        ClusterClient::new(
            self.http.clone(),
            self.write_http.clone(),
            nodes,
            self.creds.clone(),
            self.deadline,
        )
    }

    /// Stops every rqlited child (SIGTERM, then SIGKILL after `grace`).
    pub async fn shutdown(&self, grace: Duration) {
        if let Some(s) = self.supervisor.get() {
            s.stop_all(grace).await;
        }
    }
}

/// The two HTTP clients of rqlite: pooled for reads, no idle connections for writes (see
/// `rqlite::ClusterClient`); neither follows redirects nor uses an HTTP proxy.
pub fn http_clients() -> Result<(reqwest::Client, reqwest::Client), EngineError> {
    let builder = || {
        reqwest::Client::builder()
            // rqlited listens on loopback or a private interface: never through a proxy.
            .no_proxy()
            // Followers answer writes with a redirect to the leader; the rqlite client
            // follows it itself (reqwest would turn the POST into a GET).
            .redirect(reqwest::redirect::Policy::none())
    };
    let http = builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| EngineError::Http(e.to_string()))?;
    let write_http = builder()
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| EngineError::Http(e.to_string()))?;
    Ok((http, write_http))
}

fn io(path: &Path, source: std::io::Error) -> EngineError {
    EngineError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A random secret kept 0600 at `path` (created on first use).
pub fn load_or_create_secret(path: &Path) -> Result<String, EngineError> {
    if let Ok(s) = std::fs::read_to_string(path) {
        let s = s.trim().to_string();
        if !s.is_empty() {
            return Ok(s);
        }
    }
    let bytes: [u8; 24] = rand::random();
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))?;
    std::io::Write::write_all(&mut f, secret.as_bytes()).map_err(|e| io(path, e))?;
    Ok(secret)
}

//! Implements `session::Backend` for a single pgrq process (`pgrq up --single`; `pgrq
//! node` uses `backend::node::NodeBackend`): each database is a 3-replica rqlite cluster of
//! real `rqlited` children on this host, started on first access with sticky ports, and
//! reached through one `rqlite::ClusterClient`. It translates session batches into rqlite
//! requests; it knows no SQL beyond the probe's rollback sentinel.

mod ports;
mod recover;
mod wake;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::Config;
use crate::node::activity::Activity;
use crate::node::lifecycle;
use crate::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
use crate::node::supervisor::{ReplicaSpec, Supervisor, write_auth_file};
use crate::rqlite::{ClusterClient, Credentials};
use crate::session::{Backend, BackendError, Batch, DbName, StmtResult};

mod exec;
pub mod node;
use exec::unavailable;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Placement {
    http: Vec<u16>,
    raft: Vec<u16>,
}

/// Capacity in use on this node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub databases: u32,
    /// Replicas, each holding one HTTP and one Raft port of the configured ranges.
    pub replicas: u32,
}

/// Marker file in a database's directory while its cluster is being formed for the first
/// time; see [`LocalBackend::start`].
const CREATING: &str = "creating";

pub use wake::LifecycleStats;

pub struct LocalBackend {
    config: Arc<Config>,
    /// Sessions and last activity per database (what hibernation and gossip read).
    activity: Arc<Activity>,
    /// Ports held by databases that run or are being started (a hibernated one holds none).
    leases: std::sync::Mutex<HashMap<DbName, Placement>>,
    wakes: AtomicU64,
    hibernations: AtomicU64,
    /// Wakes that found an old port taken and moved the replicas (peers.json).
    port_moves: AtomicU64,
    http: reqwest::Client,
    write_http: reqwest::Client,
    /// Created on first use, once rqlited has been located.
    supervisor: std::sync::OnceLock<Arc<Supervisor>>,
    creds: Credentials,
    auth_file: PathBuf,
    clusters: Mutex<HashMap<DbName, Arc<Mutex<Option<ClusterClient>>>>>,
}

impl LocalBackend {
    /// Locates rqlited lazily (on first open), so a node without it still starts and
    /// tells each client exactly what to install.
    pub fn new(config: Arc<Config>) -> Result<LocalBackend, BackendError> {
        let data = &config.node.data_dir;
        let secrets = data.join("secrets");
        std::fs::create_dir_all(&secrets)
            .map_err(|e| internal(format!("{}: {e}", secrets.display())))?;
        let password = load_or_create_secret(&secrets.join("rqlite-password"))?;
        let auth_file = secrets.join("rqlite-auth.json");
        write_auth_file(&auth_file, "pgrq", &password)
            .map_err(|e| internal(format!("{}: {e}", auth_file.display())))?;
        let (http, write_http) =
            crate::node::engine::http_clients().map_err(|e| internal(e.to_string()))?;
        Ok(LocalBackend {
            config,
            activity: Arc::new(Activity::new()),
            leases: std::sync::Mutex::new(HashMap::new()),
            wakes: AtomicU64::new(0),
            hibernations: AtomicU64::new(0),
            port_moves: AtomicU64::new(0),
            http,
            write_http,
            supervisor: std::sync::OnceLock::new(),
            creds: Credentials {
                user: "pgrq".into(),
                password,
            },
            auth_file,
            clusters: Mutex::new(HashMap::new()),
        })
    }

    /// Stops every rqlited child (SIGTERM, then SIGKILL after `grace`).
    pub async fn shutdown(&self, grace: Duration) {
        if let Some(s) = self.supervisor.get() {
            s.stop_all(grace).await;
        }
    }

    fn deadline(&self) -> Duration {
        Duration::from_secs(self.config.database.wake_timeout_secs)
    }

    /// The database's cluster client, starting (creating when `allow_create`) or waking
    /// it first if it does not run. One start per database however many callers ask at
    /// once: they wait on the database's slot.
    async fn ensure_running(
        &self,
        db: &DbName,
        allow_create: bool,
    ) -> Result<ClusterClient, BackendError> {
        let slot = {
            let mut map = self.clusters.lock().await;
            map.entry(db.clone()).or_default().clone()
        };
        let mut guard = slot.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let client = self.start(db, allow_create).await?;
        *guard = Some(client.clone());
        Ok(client)
    }

    /// Starts the database's replicas and waits until each answers `/readyz`. A new
    /// database is marked [`CREATING`] until its cluster first answers, so a creation that
    /// fails (or is interrupted) is discarded and started over by the next open. An
    /// existing one (hibernated, or not started since pgrq started) is woken on its old
    /// ports when they are free, else moved to new ones (see `ports::claim`).
    async fn start(&self, db: &DbName, allow_create: bool) -> Result<ClusterClient, BackendError> {
        let binary = locate_rqlited(
            self.config.rqlite.binary.as_deref(),
            &default_cache_root(),
            RQLITE_VERSION,
        )
        .map_err(|e| BackendError::EngineMissing {
            message: format!("cannot start database \"{db}\": {e}"),
            hint: "build rqlited once with scripts/install-rqlited.sh, or set PGRQ_RQLITED".into(),
        })?;
        let supervisor = self
            .supervisor
            .get_or_init(|| {
                Arc::new(Supervisor::new(
                    binary,
                    self.config.node.data_dir.join("logs"),
                ))
            })
            .clone();
        let dir = self.config.node.data_dir.join(db.as_str());
        let placement_file = dir.join("placement.json");
        // A creation that never finished (pgrq stopped, or the cluster never formed) left
        // no data anyone was told is stored: start it over rather than restart a cluster
        // whose Raft state may be half-formed.
        let creating = dir.join(CREATING);
        if creating.exists() {
            tracing::warn!(%db, "discarding an unfinished creation");
            std::fs::remove_dir_all(&dir)
                .map_err(|e| internal(format!("{}: {e}", dir.display())))?;
        }
        let existing = std::fs::read(&placement_file).ok();
        let is_new = existing.is_none();
        let rf = self.config.database.replication_factor as usize;
        let placement = match existing {
            Some(bytes) => {
                let old = serde_json::from_slice::<Placement>(&bytes)
                    .map_err(|e| internal(format!("{}: {e}", placement_file.display())))?;
                self.claim(db, &dir, old)?
            }
            None if !allow_create => {
                return Err(BackendError::NotFound {
                    db: db.as_str().to_string(),
                });
            }
            None => {
                let p = self.lease_new(db, rf)?;
                let written = std::fs::create_dir_all(&dir)
                    .and_then(|()| std::fs::write(&creating, b""))
                    .map_err(|e| internal(format!("{}: {e}", dir.display())))
                    .and_then(|()| write_placement(&placement_file, &p));
                if let Err(e) = written {
                    self.release(db);
                    return Err(e);
                }
                p
            }
        };
        let specs = self.specs(db, &dir, &placement);
        let creds = (self.creds.user.as_str(), self.creds.password.as_str());
        let started = lifecycle::start_replicas(
            &supervisor,
            &self.http,
            creds,
            specs,
            self.deadline(),
            STOP_GRACE,
        )
        .await;
        let timing = match started {
            Ok(t) => t,
            Err(e) => {
                // Nothing is left half-started (start_replicas stopped what it started);
                // the next open starts from scratch.
                self.release(db);
                if is_new && let Err(rm) = std::fs::remove_dir_all(&dir) {
                    tracing::warn!(%db, error = %rm, "cannot remove an unfinished creation");
                }
                return Err(unavailable(db, &e.to_string()));
            }
        };
        if is_new {
            std::fs::remove_file(&creating)
                .map_err(|e| internal(format!("{}: {e}", creating.display())))?;
        } else {
            self.wakes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(
                %db,
                total_ms = timing.total().as_millis() as u64,
                spawn_ms = timing.spawned.as_millis() as u64,
                ready_ms = ?timing.ready.iter().map(|d| d.as_millis() as u64).collect::<Vec<_>>(),
                "woke database"
            );
        }
        Ok(self.cluster_client(&placement))
    }

    fn cluster_client(&self, placement: &Placement) -> ClusterClient {
        let nodes = placement
            .http
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        ClusterClient::new(
            self.http.clone(),
            self.write_http.clone(),
            nodes,
            self.creds.clone(),
            self.deadline(),
        )
    }

    /// The rqlited command line of each replica of `db`.
    fn specs(&self, db: &DbName, dir: &std::path::Path, placement: &Placement) -> Vec<ReplicaSpec> {
        let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let raft_addrs: Vec<SocketAddr> = placement.raft.iter().map(|p| loopback(*p)).collect();
        let multi = raft_addrs.len() > 1;
        placement
            .http
            .iter()
            .zip(&placement.raft)
            .enumerate()
            .map(|(i, (http, raft))| {
                let node_id = replica_id(db, i);
                let data_dir = lifecycle::replica_dir(dir, &node_id);
                // No Raft state yet: this replica is joining a cluster being formed.
                let fresh = !data_dir.join("raft.db").exists();
                ReplicaSpec {
                    node_id,
                    http_addr: loopback(*http),
                    raft_addr: loopback(*raft),
                    data_dir,
                    // A new cluster forms with -bootstrap-expect; restarted replicas reuse
                    // their Raft state and must not be told to join (fatal for a sole
                    // member).
                    join: if fresh && multi {
                        raft_addrs.clone()
                    } else {
                        Vec::new()
                    },
                    bootstrap_expect: (fresh && multi).then_some(raft_addrs.len() as u32),
                    join_as: fresh.then(|| self.creds.user.clone()),
                    auth_file: self.auth_file.clone(),
                    extra_args: lifecycle::raft_timing_args(self.config.rqlite.raft_timeout),
                }
            })
            .collect()
    }

    /// Databases placed on this node (created, running or not) and the replicas they hold,
    /// read from the data dir: what the node announces as its used capacity.
    pub fn usage(&self) -> Usage {
        let Ok(entries) = std::fs::read_dir(&self.config.node.data_dir) else {
            return Usage::default();
        };
        entries
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("placement.json")).ok())
            .filter_map(|b| serde_json::from_slice::<Placement>(&b).ok())
            .fold(Usage::default(), |u, p| Usage {
                databases: u.databases + 1,
                replicas: u.replicas + p.http.len().max(p.raft.len()) as u32,
            })
    }
}

#[async_trait]
impl Backend for LocalBackend {
    async fn open(&self, db: &DbName, allow_create: bool) -> Result<(), BackendError> {
        // Counted before waiting for the database, so a hibernation deciding meanwhile
        // sees the session and leaves the database running.
        self.activity.session_opened(db.as_str());
        match self.ensure_running(db, allow_create).await {
            Ok(_) => Ok(()),
            Err(e) => {
                self.activity.session_closed(db.as_str());
                if matches!(e, BackendError::NotFound { .. }) {
                    // Names that do not exist leave no trace.
                    self.activity.forget(db.as_str());
                }
                Err(e)
            }
        }
    }

    fn close(&self, db: &DbName) {
        self.activity.session_closed(db.as_str());
    }

    async fn run(&self, db: &DbName, batch: Batch) -> Result<Vec<StmtResult>, BackendError> {
        self.activity.touch(db.as_str());
        // Any request wakes a database hibernated under it (e.g. by `pgrq db hibernate`).
        let client = self.ensure_running(db, false).await?;
        exec::run_batch(&client, db, batch).await
    }
}

/// How long a stopping rqlited may take (it snapshots on SIGTERM) before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Replica `i` (from 0) of `db`: node ids never change.
fn replica_id(db: &DbName, i: usize) -> String {
    format!("{db}-{}", i + 1)
}

fn write_placement(path: &std::path::Path, p: &Placement) -> Result<(), BackendError> {
    let json = serde_json::to_vec_pretty(p).map_err(|e| internal(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| internal(format!("{}: {e}", path.display())))
}

fn internal(reason: String) -> BackendError {
    BackendError::Internal { reason }
}

/// The password pgrq uses with its rqlited children: random, kept 0600 in the data dir.
fn load_or_create_secret(path: &std::path::Path) -> Result<String, BackendError> {
    crate::node::engine::load_or_create_secret(path).map_err(|e| internal(e.to_string()))
}

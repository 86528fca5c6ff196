//! Implements `session::Backend` for a single pgrq process (`pgrq up --single`; `pgrq
//! node` uses `backend::node::NodeBackend`): each database is a 3-replica rqlite cluster of
//! real `rqlited` children on this host, started on first access with sticky ports, and
//! reached through one `rqlite::ClusterClient`. It translates session batches into rqlite
//! requests; it knows no SQL beyond the probe's rollback sentinel.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::Config;
use crate::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
use crate::node::supervisor::{ReplicaSpec, Supervisor, write_auth_file};
use crate::rqlite::{ClusterClient, Credentials};
use crate::session::{Backend, BackendError, Batch, DbName, StmtResult};

mod exec;
pub mod node;
use exec::unavailable;

#[derive(Debug, Clone, Serialize, Deserialize)]
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

pub struct LocalBackend {
    config: Arc<Config>,
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

    async fn client(&self, db: &DbName) -> Result<ClusterClient, BackendError> {
        let slot = self.clusters.lock().await.get(db).cloned();
        match slot {
            Some(slot) => match slot.lock().await.as_ref() {
                Some(c) => Ok(c.clone()),
                None => Err(unavailable(db, "the database is not open")),
            },
            None => Err(unavailable(db, "the database is not open")),
        }
    }

    /// Starts the database's replicas and waits until each answers `/readyz`. A new
    /// database is marked [`CREATING`] until its cluster first answers, so a creation that
    /// fails (or is interrupted) is discarded and started over by the next open.
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
            Some(bytes) => serde_json::from_slice::<Placement>(&bytes)
                .map_err(|e| internal(format!("{}: {e}", placement_file.display())))?,
            None if !allow_create => {
                return Err(BackendError::NotFound {
                    db: db.as_str().to_string(),
                });
            }
            None => {
                let p = self.allocate_ports(rf).await?;
                std::fs::create_dir_all(&dir)
                    .map_err(|e| internal(format!("{}: {e}", dir.display())))?;
                std::fs::write(&creating, b"")
                    .map_err(|e| internal(format!("{}: {e}", creating.display())))?;
                let json = serde_json::to_vec_pretty(&p).map_err(|e| internal(e.to_string()))?;
                std::fs::write(&placement_file, json)
                    .map_err(|e| internal(format!("{}: {e}", placement_file.display())))?;
                p
            }
        };
        let mut ids = Vec::new();
        let started = self
            .start_replicas(&supervisor, db, &dir, &placement, &mut ids)
            .await;
        if let Err(e) = started {
            // Leave nothing half-started: the next open starts from scratch.
            for id in &ids {
                let _ = supervisor.stop(id, Duration::from_secs(5)).await;
            }
            if is_new && let Err(rm) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(%db, error = %rm, "cannot remove an unfinished creation");
            }
            return Err(e);
        }
        if is_new {
            std::fs::remove_file(&creating)
                .map_err(|e| internal(format!("{}: {e}", creating.display())))?;
        }
        let nodes = placement
            .http
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        Ok(ClusterClient::new(
            self.http.clone(),
            self.write_http.clone(),
            nodes,
            self.creds.clone(),
            self.deadline(),
        ))
    }

    async fn start_replicas(
        &self,
        supervisor: &Supervisor,
        db: &DbName,
        dir: &std::path::Path,
        placement: &Placement,
        ids: &mut Vec<String>,
    ) -> Result<(), BackendError> {
        let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let raft_addrs: Vec<SocketAddr> = placement.raft.iter().map(|p| loopback(*p)).collect();
        let multi = raft_addrs.len() > 1;
        for (i, (http, raft)) in placement.http.iter().zip(&placement.raft).enumerate() {
            let node_id = format!("{db}-{}", i + 1);
            let data_dir = dir.join("rqlite").join(&node_id);
            // No Raft state yet: this replica is joining a cluster being formed.
            let fresh = !data_dir.join("raft.db").exists();
            let spec = ReplicaSpec {
                node_id: node_id.clone(),
                http_addr: loopback(*http),
                raft_addr: loopback(*raft),
                data_dir,
                // A new cluster forms with -bootstrap-expect; restarted replicas reuse their
                // Raft state and must not be told to join (fatal for a sole member).
                join: if fresh && multi {
                    raft_addrs.clone()
                } else {
                    Vec::new()
                },
                bootstrap_expect: (fresh && multi).then_some(raft_addrs.len() as u32),
                join_as: fresh.then(|| self.creds.user.clone()),
                auth_file: self.auth_file.clone(),
                extra_args: Vec::new(),
            };
            supervisor
                .start(spec)
                .await
                .map_err(|e| unavailable(db, &e.to_string()))?;
            ids.push(node_id);
        }
        let creds = (self.creds.user.as_str(), self.creds.password.as_str());
        for id in ids.iter() {
            supervisor
                .wait_ready(&self.http, id, creds, self.deadline())
                .await
                .map_err(|e| unavailable(db, &e.to_string()))?;
        }
        Ok(())
    }

    /// Free ports from the configured ranges, bind-probed, not used by another database.
    async fn allocate_ports(&self, n: usize) -> Result<Placement, BackendError> {
        let taken = self.ports_in_use();
        let d = &self.config.database;
        let pick = |start: u16, end: u16, kind: &str| -> Result<Vec<u16>, BackendError> {
            let mut out = Vec::new();
            for port in start..=end {
                if out.len() == n {
                    break;
                }
                if taken.contains(&port) {
                    continue;
                }
                if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                    out.push(port);
                }
            }
            if out.len() < n {
                return Err(BackendError::Capacity {
                    reason: format!("no {n} free {kind} ports left in {start}..{end}"),
                });
            }
            Ok(out)
        };
        Ok(Placement {
            http: pick(d.port_range_http_start, d.port_range_http_end, "http")?,
            raft: pick(d.port_range_raft_start, d.port_range_raft_end, "raft")?,
        })
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

    /// Ports recorded by every database under the data dir (sticky across restarts).
    fn ports_in_use(&self) -> Vec<u16> {
        let Ok(entries) = std::fs::read_dir(&self.config.node.data_dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("placement.json")).ok())
            .filter_map(|b| serde_json::from_slice::<Placement>(&b).ok())
            .flat_map(|p| p.http.into_iter().chain(p.raft))
            .collect()
    }
}

#[async_trait]
impl Backend for LocalBackend {
    async fn open(&self, db: &DbName, allow_create: bool) -> Result<(), BackendError> {
        let slot = {
            let mut map = self.clusters.lock().await;
            map.entry(db.clone()).or_default().clone()
        };
        // One start per database however many clients connect at once.
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = Some(self.start(db, allow_create).await?);
        }
        Ok(())
    }

    async fn run(&self, db: &DbName, batch: Batch) -> Result<Vec<StmtResult>, BackendError> {
        let client = self.client(db).await?;
        exec::run_batch(&client, db, batch).await
    }
}

fn internal(reason: String) -> BackendError {
    BackendError::Internal { reason }
}

/// The password pgrq uses with its rqlited children: random, kept 0600 in the data dir.
fn load_or_create_secret(path: &std::path::Path) -> Result<String, BackendError> {
    crate::node::engine::load_or_create_secret(path).map_err(|e| internal(e.to_string()))
}

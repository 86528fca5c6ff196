//! `session::Backend` for `pgrq node`: a database is whatever the system catalog says.
//! `open` reads the catalog; a database that does not exist (for an app that may create)
//! is placed over the healthy registered nodes and created by one conditional catalog
//! write, then the client waits (no error) until the chosen nodes' reconcilers have formed
//! its cluster and marked it `active`. Statements go to the database's replicas wherever
//! they live (addresses from the catalog), so any node serves any database. A database
//! that hibernates is woken by `open` and by any request (one conditional catalog write,
//! `node::wake`), the client waiting until its replicas serve (not for the `active`
//! write, which the replicas' nodes make meanwhile); sessions and activity are counted
//! in `NodeCore::activity` for gossip and hibernation. Running a batch is `exec`'s, shared
//! with `LocalBackend`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::exec::{self, unavailable};
use crate::node::catalog::{Catalog, Snapshot};
use crate::node::core::NodeCore;
use crate::node::inventory;
use crate::node::placement::place;
use crate::node::view::cluster_view;
use crate::node::wake;
use crate::rqlite::ClusterClient;
use crate::session::{
    Backend, BackendError, Batch, ClusterInfo, ClusterRows, DbName, StmtResult, Value,
};
use crate::syscatalog::{DatabaseRecord, DbState, ReplicaRecord};

/// How often a waiting client re-reads the catalog when no nudge arrives.
const WAIT_POLL: Duration = Duration::from_millis(100);

/// Each open database's client, with the catalog version of its record when it was opened.
type Clients = Arc<Mutex<HashMap<DbName, (ClusterClient, i64)>>>;

pub struct NodeBackend {
    core: Arc<NodeCore>,
    clients: Clients,
}

impl NodeBackend {
    /// Must be called inside the tokio runtime: it starts the task that keeps each open
    /// database's replica addresses in step with the catalog.
    pub fn new(core: Arc<NodeCore>) -> NodeBackend {
        let clients: Clients = Arc::default();
        tokio::spawn(follow_replicas(core.clone(), clients.clone()));
        NodeBackend { core, clients }
    }

    pub fn core(&self) -> &Arc<NodeCore> {
        &self.core
    }

    async fn catalog(&self, db: &DbName, deadline: Instant) -> Result<Catalog, BackendError> {
        self.core.catalog(deadline).await.ok_or_else(|| {
            let seen = self.core.peers.borrow().iter().filter(|p| p.healthy).count();
            unavailable(
                db,
                &format!(
                    "the system catalog is not formed yet ({seen} healthy nodes seen, discovery.bootstrap_expect = {})",
                    self.core.config.discovery.bootstrap_expect
                ),
            )
        })
    }

    /// Places `db` and writes it to the catalog (`creating`); losing the race to another
    /// creator is fine: the caller then waits for the winner's database.
    async fn create(&self, catalog: &Catalog, db: &DbName) -> Result<(), BackendError> {
        // Placement weighs every node's load: the whole catalog.
        let snap = &catalog
            .snapshot()
            .await
            .map_err(|e| unavailable(db, &e.to_string()))?;
        let rf = self.core.config.database.replication_factor as usize;
        let inventory = inventory::from_catalog(snap, &self.core.peers.borrow());
        let chosen = place(&inventory, rf, db.as_str()).map_err(|e| BackendError::Capacity {
            reason: e.to_string(),
        })?;
        let claim = format!("{}-{:016x}", self.core.node_id, rand::random::<u64>());
        let record = DatabaseRecord {
            name: db.as_str().to_string(),
            app: db.app().to_string(),
            state: DbState::Creating,
            replication_factor: rf as u32,
            version: 1,
            claim,
        };
        let replicas: Vec<ReplicaRecord> = chosen
            .iter()
            .enumerate()
            .map(|(i, node)| ReplicaRecord {
                database: record.name.clone(),
                node_id: node.clone(),
                replica_id: format!("{}-{}", record.name, i + 1),
                http_port: None,
                raft_port: None,
            })
            .collect();
        let won = catalog
            .create_database(&record, &replicas)
            .await
            .map_err(|e| unavailable(db, &e.to_string()))?;
        if won {
            tracing::info!(%db, nodes = %chosen.join(","), "database placed");
        }
        self.core.nudge(db.as_str());
        Ok(())
    }
}

impl NodeBackend {
    /// Whether a shortage of nodes may pass soon: healthy nodes still registering in the
    /// catalog (a cluster starting) are waited for until the deadline; registered nodes
    /// that missed heartbeats (a loaded machine) for a few heartbeat periods.
    fn shortage_may_pass(&self, snap: &Snapshot, rf: usize, waited: Duration) -> bool {
        let peers = self.core.peers.borrow().clone();
        let inv = inventory::from_catalog(snap, &peers);
        let eligible = inv.iter().filter(|n| n.free_slots() > 0).count();
        let registering = peers
            .iter()
            .filter(|p| p.healthy && snap.node(&p.heartbeat.node_id).is_none())
            .count();
        if eligible + registering >= rf {
            return true;
        }
        let silent = inv
            .iter()
            .filter(|n| !n.healthy && n.current_databases < n.max_databases)
            .count();
        let grace =
            (self.core.config.discovery.health_check_interval * 5).max(Duration::from_secs(2));
        eligible + silent >= rf && waited < grace
    }
}

/// Whenever the reconciler reads the catalog, rebuilds the client of every open database
/// whose replicas moved (a replica replaced): the dead replica's address is dropped and
/// the new one added. Ends when the node core is gone.
async fn follow_replicas(core: Arc<NodeCore>, clients: Clients) {
    let mut snaps = core.snapshots();
    let me = core.node_id.clone();
    let engine = core.engine.clone();
    drop(core);
    while snaps.changed().await.is_ok() {
        let Some(snap) = snaps.borrow_and_update().clone() else {
            continue;
        };
        let mut map = clients.lock().await;
        // A dropped database is closed here, and one that hibernates loses its client: the
        // next open reads the catalog again (and wakes it). A client opened during the
        // very wake the catalog still shows (same version) stays.
        map.retain(|db, (_, opened)| {
            snap.database(db.as_str()).is_none_or(|d| match d.state {
                DbState::Dropped | DbState::Hibernating => false,
                DbState::Waking => d.version == *opened,
                DbState::Creating | DbState::Active => true,
            })
        });
        for (db, (client, _)) in map.iter_mut() {
            let addrs = snap.http_addrs(db.as_str(), &me);
            let mut old: Vec<&String> = client.nodes().iter().collect();
            let mut new: Vec<&String> = addrs.iter().collect();
            old.sort();
            new.sort();
            if !addrs.is_empty() && old != new {
                tracing::info!(%db, replicas = %addrs.join(","), "replica addresses changed");
                *client = engine.client(addrs);
            }
        }
    }
}

#[async_trait]
impl Backend for NodeBackend {
    async fn open(&self, db: &DbName, allow_create: bool) -> Result<(), BackendError> {
        // Counted before the catalog is read: a hibernation decided meanwhile is undone
        // by this node (see `node::hibernate`), never lived under.
        self.core.activity.session_opened(db.as_str());
        let opened = self.ensure_open(db, allow_create).await;
        if let Err(e) = &opened {
            self.core.activity.session_closed(db.as_str());
            if matches!(e, BackendError::NotFound { .. }) {
                self.core.activity.forget(db.as_str());
            }
        }
        opened
    }

    fn close(&self, db: &DbName) {
        self.core.activity.session_closed(db.as_str());
    }

    async fn run(&self, db: &DbName, batch: Batch) -> Result<Vec<StmtResult>, BackendError> {
        self.core.activity.touch(db.as_str());
        let mut client = self.clients.lock().await.get(db).map(|c| c.0.clone());
        if client.is_none() {
            // Hibernated since the session opened: any request wakes it. Dropped
            // (`pgrq db drop --force`): the session is terminated.
            self.ensure_open(db, false).await.map_err(|e| match e {
                BackendError::NotFound { db } => BackendError::Terminated { db },
                other => other,
            })?;
            client = self.clients.lock().await.get(db).map(|c| c.0.clone());
        }
        let client = client.ok_or_else(|| unavailable(db, "the database is not open"))?;
        // A drop (`--force`) while the request is in flight terminates the session at
        // once, rather than after the client's retries against stopping replicas.
        let mut snaps = self.core.snapshots();
        let known = snaps
            .borrow_and_update()
            .as_ref()
            .is_some_and(|s| s.database(db.as_str()).is_some());
        let run = exec::run_batch(&client, db, batch);
        tokio::pin!(run);
        loop {
            tokio::select! {
                r = &mut run => return r,
                changed = snaps.changed() => {
                    if changed.is_err() {
                        return run.await;
                    }
                    let dropped = snaps.borrow_and_update().as_ref().is_some_and(|s| {
                        match s.database(db.as_str()) {
                            Some(d) => d.state == DbState::Dropped,
                            None => known,
                        }
                    });
                    if dropped {
                        return Err(BackendError::Terminated {
                            db: db.as_str().to_string(),
                        });
                    }
                }
            }
        }
    }

    fn cluster_info(&self) -> Option<&dyn ClusterInfo> {
        Some(self)
    }
}

impl NodeBackend {
    /// Until `db` is `active` (creating it when absent and allowed, waking it when it
    /// hibernates), then keeps its client; fails within the engine's deadline
    /// (`wake_timeout_secs`).
    async fn ensure_open(&self, db: &DbName, allow_create: bool) -> Result<(), BackendError> {
        if self.clients.lock().await.contains_key(db) {
            return Ok(());
        }
        let started = Instant::now();
        let deadline = started + self.core.engine.deadline;
        let mut changes = self.core.changes();
        let catalog = self.catalog(db, deadline).await?;
        loop {
            let snap = catalog
                .snapshot_of(db.as_str())
                .await
                .map_err(|e| unavailable(db, &e.to_string()))?;
            match snap.database(db.as_str()).map(|d| d.state) {
                Some(DbState::Active) => {
                    self.keep_client(db, &snap).await;
                    return Ok(());
                }
                Some(DbState::Dropped) | None if !allow_create => {
                    return Err(BackendError::NotFound {
                        db: db.as_str().to_string(),
                    });
                }
                // Absent again after a creation: it was rolled back (a chosen node died).
                None => match self.create(&catalog, db).await {
                    Ok(()) => continue,
                    // Nodes gossip knows may still be registering (a cluster starting), or
                    // a registered node may have missed heartbeats under load: wait a few
                    // heartbeat periods for them; otherwise the shortage is real.
                    Err(e @ BackendError::Capacity { .. }) => {
                        let rf = self.core.config.database.replication_factor as usize;
                        let full = catalog
                            .snapshot()
                            .await
                            .map_err(|e| unavailable(db, &e.to_string()))?;
                        if !self.shortage_may_pass(&full, rf, started.elapsed())
                            || Instant::now() >= deadline
                        {
                            return Err(e);
                        }
                    }
                    Err(e) => return Err(e),
                },
                Some(DbState::Hibernating) => {
                    if let Some(rec) = snap.database(db.as_str()) {
                        wake::request(&self.core, &catalog, rec)
                            .await
                            .map_err(|e| unavailable(db, &e.to_string()))?;
                    }
                }
                _ => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let state = snap
                    .database(db.as_str())
                    .map_or("absent", |d| d.state.as_str());
                if let Some(rec) = snap
                    .database(db.as_str())
                    .filter(|d| d.state == DbState::Waking)
                {
                    let why = format!("a client waited {:?}", self.core.engine.deadline);
                    wake::abandon(&self.core, &catalog, rec, &why).await;
                    return Err(unavailable(
                        db,
                        &format!(
                            "it did not wake within {:?} (database.wake_timeout_secs); the \
                             wake was undone, connect again to retry",
                            self.core.engine.deadline
                        ),
                    ));
                }
                return Err(unavailable(
                    db,
                    &format!(
                        "still {state} after {:?}; its replicas' nodes may be down",
                        self.core.engine.deadline
                    ),
                ));
            }
            let waking = snap
                .database(db.as_str())
                .is_some_and(|d| d.state == DbState::Waking);
            if waking && self.until_serving(db, &snap, &mut changes, left).await {
                tracing::info!(%db, waited_ms = started.elapsed().as_millis() as u64, "woken replicas serve: client proceeds");
                self.keep_client(db, &snap).await;
                return Ok(());
            }
            if !waking {
                tokio::select! {
                    _ = changes.recv() => {}
                    () = tokio::time::sleep(WAIT_POLL.min(left)) => {}
                }
            }
        }
    }

    /// Keeps a client of `db` on its replicas as `snap` lists them.
    async fn keep_client(&self, db: &DbName, snap: &Snapshot) {
        let addrs = snap.http_addrs(db.as_str(), &self.core.node_id);
        let version = snap.database(db.as_str()).map_or(0, |d| d.version);
        let client = self.core.engine.client(addrs);
        self.clients
            .lock()
            .await
            .insert(db.clone(), (client, version));
    }

    /// While `db` wakes: probes its replicas (as `snap` lists them) every few ms until
    /// they serve (`wake::serving`: all running, a majority ready), for up to half a second
    /// or `left`, or until the catalog changes. True when they serve: the client proceeds
    /// without waiting for the `waking → active` write, which the replicas' nodes make.
    async fn until_serving(
        &self,
        db: &DbName,
        snap: &Snapshot,
        changes: &mut tokio::sync::broadcast::Receiver<String>,
        left: Duration,
    ) -> bool {
        let until = Instant::now() + left.min(Duration::from_millis(500));
        let replicas = snap.replicas_of(db.as_str()).count();
        let addrs = snap.http_addrs(db.as_str(), &self.core.node_id);
        let majority = replicas / 2 + 1;
        loop {
            // Every replica needs its ports first (the wake may be moving one).
            if addrs.len() == replicas && wake::serving(&self.core, &addrs, majority).await {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            tokio::select! {
                _ = changes.recv() => return false,
                () = tokio::time::sleep(wake::PROBE_EVERY.min(left)) => {}
            }
        }
    }
}

#[async_trait]
impl ClusterInfo for NodeBackend {
    async fn cluster_rows(&self) -> Result<ClusterRows, BackendError> {
        let deadline = Instant::now() + self.core.engine.deadline;
        let catalog =
            self.core
                .catalog(deadline)
                .await
                .ok_or_else(|| BackendError::Unavailable {
                    db: "_system".into(),
                    reason: "the system catalog is not formed yet".into(),
                })?;
        let snap = catalog
            .snapshot()
            .await
            .map_err(|e| BackendError::Unavailable {
                db: "_system".into(),
                reason: e.to_string(),
            })?;
        let peers = self.core.peers.borrow().clone();
        let http = (
            self.core.engine.http.clone(),
            self.core.engine.write_http.clone(),
        );
        let view = cluster_view(&snap, Some(&peers), &http, &self.core.engine.creds).await;
        let text = |s: &str| Value::Text(s.to_string());
        Ok(ClusterRows {
            nodes: view
                .nodes
                .iter()
                .map(|n| {
                    vec![
                        text(&n.id),
                        text(&n.proxy_addr),
                        text(&n.rqlite_host),
                        text(&n.state),
                        n.healthy.map_or(Value::Null, Value::Bool),
                        Value::Int(i64::from(n.databases)),
                        Value::Int(i64::from(n.active_databases)),
                    ]
                })
                .collect(),
            databases: view
                .databases
                .iter()
                .map(|d| {
                    vec![
                        text(&d.name),
                        text(&d.app),
                        text(&d.state),
                        text(&d.replicas.join(",")),
                        d.leader.as_deref().map_or(Value::Null, text),
                    ]
                })
                .collect(),
        })
    }
}

//! One node's control plane, shared by its tasks and its backend: identity, the engine,
//! the system cluster, the catalog handle once the system catalog answers, the peer table,
//! and the "something changed" signals (gossip nudges out, local wake-ups in). The tasks
//! that bring the system catalog up (`run_system`) and forward nudges live here; the
//! reconciler is `reconcile`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, broadcast, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::gossip::{Nudge, Outgoing, PeerView, Relay};
use crate::node::activity::Activity;
use crate::node::admin::AdminOps;
use crate::node::catalog::{Catalog, Snapshot};
use crate::node::engine::Engine;
use crate::node::relay::{self, Relays};
use crate::node::system::SystemCluster;
use crate::syscatalog::{NodeRecord, NodeState};

pub struct NodeCore {
    pub config: Arc<Config>,
    pub node_id: String,
    pub host: IpAddr,
    pub proxy_addr: String,
    pub engine: Arc<Engine>,
    pub system: Arc<SystemCluster>,
    pub peers: watch::Receiver<Vec<PeerView>>,
    /// Sessions and last activity per database on this node (gossiped; hibernation).
    pub activity: Arc<Activity>,
    catalog: watch::Sender<Option<Catalog>>,
    nudger: mpsc::UnboundedSender<Outgoing>,
    /// Requests relayed to other nodes, awaiting their answers (`node::relay`).
    pub relays: Relays,
    /// Wakes this node's reconciler.
    pub wake: Notify,
    /// Databases whose wake this node is seeing through (`node::wake`), one task each.
    pub finishing: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Names of databases whose catalog rows changed (from any node), for waiting clients.
    changed: broadcast::Sender<String>,
    /// The catalog as the reconciler last read it (for the failure detector and the
    /// proxy's replica addresses).
    snapshot: watch::Sender<Option<Arc<Snapshot>>>,
}

impl NodeCore {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Arc<Config>,
        node_id: String,
        host: IpAddr,
        proxy_addr: String,
        engine: Arc<Engine>,
        system: Arc<SystemCluster>,
        peers: watch::Receiver<Vec<PeerView>>,
        nudger: mpsc::UnboundedSender<Outgoing>,
        activity: Arc<Activity>,
    ) -> Arc<NodeCore> {
        let (catalog, _) = watch::channel(None);
        let (changed, _) = broadcast::channel(1024);
        let (snapshot, _) = watch::channel(None);
        Arc::new(NodeCore {
            config,
            node_id,
            host,
            proxy_addr,
            engine,
            system,
            peers,
            activity,
            catalog,
            nudger,
            relays: Relays::default(),
            wake: Notify::new(),
            finishing: Default::default(),
            changed,
            snapshot,
        })
    }

    /// The catalog, if the system catalog answered already.
    pub fn catalog_now(&self) -> Option<Catalog> {
        self.catalog.borrow().clone()
    }

    /// The catalog, waiting until `deadline` for the system catalog to come up.
    pub async fn catalog(&self, deadline: Instant) -> Option<Catalog> {
        let mut rx = self.catalog.subscribe();
        loop {
            if let Some(c) = rx.borrow_and_update().clone() {
                return Some(c);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return None,
            }
        }
    }

    /// Tells every node (and this one) that `database` changed in the catalog.
    pub fn nudge(&self, database: &str) {
        let _ = self.nudger.send(Outgoing {
            database: database.to_string(),
            relay: None,
        });
        self.local_change(database);
    }

    /// Publishes a relayed request or answer (`node::relay`).
    pub(crate) fn send_relay(&self, relay: Relay) {
        let _ = self.nudger.send(Outgoing {
            database: String::new(),
            relay: Some(relay),
        });
    }

    fn local_change(&self, database: &str) {
        self.wake.notify_one();
        let _ = self.changed.send(database.to_string());
    }

    pub fn changes(&self) -> broadcast::Receiver<String> {
        self.changed.subscribe()
    }

    /// Shares the catalog as just read.
    pub fn publish(&self, snap: Arc<Snapshot>) {
        self.snapshot.send_replace(Some(snap));
    }

    /// The catalog as last read by this node's reconciler, updated on every pass.
    pub fn snapshots(&self) -> watch::Receiver<Option<Arc<Snapshot>>> {
        self.snapshot.subscribe()
    }

    /// What the system catalog should hold about this node.
    fn record(&self) -> NodeRecord {
        let me = self.peers.borrow().first().cloned();
        NodeRecord {
            id: self.node_id.clone(),
            proxy_addr: self.proxy_addr.clone(),
            rqlite_host: self.host.to_string(),
            gossip_addrs: me.map(|p| p.heartbeat.gossip_addrs).unwrap_or_default(),
            max_databases: self.config.database.max_databases,
            state: NodeState::Active,
            version: 0,
        }
    }
}

/// Forwards gossip nudges to the local signals, and relayed requests to `ops` (their
/// answers to the waiting caller), until the channel closes.
pub async fn forward_nudges(
    core: Arc<NodeCore>,
    mut rx: broadcast::Receiver<Nudge>,
    ops: Arc<dyn AdminOps>,
) {
    loop {
        match rx.recv().await {
            Ok(Nudge {
                relay: Some(r),
                node_id,
                ..
            }) => relay::receive(&core, &ops, &node_id, r),
            Ok(n) => core.local_change(&n.database),
            Err(broadcast::error::RecvError::Lagged(_)) => core.wake.notify_one(),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Brings the system catalog up as far as this node is concerned: decides or adopts its
/// members, starts this node's replica when it is one, waits until the catalog answers,
/// creates the schema and registers this node, then publishes the catalog handle. Retries
/// every `discovery_interval` on failure, until `stop`.
pub async fn run_system(core: Arc<NodeCore>, stop: CancellationToken) {
    let mut peers = core.peers.clone();
    let retry = core
        .config
        .discovery
        .discovery_interval
        .min(Duration::from_secs(2));
    // Nodes starting together decide once the set they see stopped changing for a few
    // heartbeat periods, so that they all decide from the same set.
    let settle = (core.config.discovery.health_check_interval * 4).max(Duration::from_secs(1));
    let mut seen: Vec<String> = Vec::new();
    let mut since = Instant::now();
    let members = loop {
        let snapshot = peers.borrow_and_update().clone();
        let mut now_seen: Vec<String> = snapshot
            .iter()
            .filter(|p| p.healthy)
            .map(|p| p.heartbeat.node_id.clone())
            .collect();
        now_seen.sort();
        if now_seen != seen {
            seen = now_seen;
            since = Instant::now();
        }
        match core.system.decide(&snapshot, since.elapsed() >= settle) {
            Ok(Some(m)) => break m,
            Ok(None) => {}
            Err(e) => tracing::error!("{e}"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            r = peers.changed() => if r.is_err() { return },
            () = tokio::time::sleep(settle / 4) => {}
        }
    };
    let client = core
        .engine
        .client(members.iter().map(|m| m.http_addr.clone()).collect());
    let catalog = Catalog::new(client);
    loop {
        let attempt = async {
            core.system
                .start_replica(&core.engine)
                .await
                .map_err(|e| e.to_string())?;
            catalog.ensure_schema().await.map_err(|e| e.to_string())?;
            catalog
                .register_node(&core.record())
                .await
                .map_err(|e| e.to_string())
        };
        match attempt.await {
            Ok(()) => break,
            Err(e) => tracing::warn!("system catalog not available yet: {e}"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(retry) => {}
        }
    }
    tracing::info!("system catalog ready");
    core.catalog.send_replace(Some(catalog));
    core.wake.notify_one();
}

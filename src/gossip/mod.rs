//! Gossip between pgrq nodes over libp2p (TCP + noise + yamux): discovery (bootstrap peers,
//! optional mDNS, direct dials to every node heard of), identify, and gossipsub heartbeats
//! carrying each node's capacity and load (`message`). Keeps the peer table (`peers`) and
//! publishes it on a watch channel. Gossip is for speed, never truth: nothing may depend on
//! a message arriving. It must not import `node` (or the backend): what it announces comes
//! in through the `LocalStatus` trait its consumer implements.

pub mod identity;
pub mod message;
pub mod peers;
mod swarm;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use libp2p::Multiaddr;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
pub use message::{Capacity, DbActivity, Heartbeat, Nudge, Outgoing, Relay, SystemMember};
pub use peers::PeerView;

#[derive(Debug, thiserror::Error)]
pub enum GossipError {
    #[error("node identity {path}: {reason}")]
    Identity { path: String, reason: String },
    #[error("gossip address {addr:?}: {reason}")]
    Address { addr: String, reason: String },
    #[error("cannot start the gossip layer: {0}")]
    Start(String),
}

/// What the consumer announces about this node, asked once per heartbeat.
pub trait LocalStatus: Send + Sync + 'static {
    fn report(&self) -> LocalReport;
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalReport {
    pub proxy_addr: String,
    pub capacity: Capacity,
    pub free_ports: u32,
    pub load: f32,
    pub rqlite_host: String,
    pub system_ports: Option<(u16, u16)>,
    pub system_members: Vec<SystemMember>,
    pub system_epoch: u64,
    pub activity: Vec<DbActivity>,
}

#[derive(Debug, Clone)]
pub struct GossipSettings {
    pub listen: Vec<Multiaddr>,
    pub bootstrap: Vec<Multiaddr>,
    pub mdns: bool,
    pub discovery_interval: Duration,
    pub health_check_interval: Duration,
    pub max_connections: usize,
}

impl GossipSettings {
    pub fn from_config(cfg: &Config) -> Result<GossipSettings, GossipError> {
        let parse = |list: &[String]| -> Result<Vec<Multiaddr>, GossipError> {
            list.iter()
                .map(|a| {
                    a.parse()
                        .map_err(|e: libp2p::multiaddr::Error| GossipError::Address {
                            addr: a.clone(),
                            reason: e.to_string(),
                        })
                })
                .collect()
        };
        Ok(GossipSettings {
            listen: parse(&cfg.node.listen_addresses)?,
            bootstrap: parse(&cfg.discovery.bootstrap_peers)?,
            mdns: cfg.discovery.mdns,
            discovery_interval: cfg.discovery.discovery_interval,
            health_check_interval: cfg.discovery.health_check_interval,
            max_connections: cfg.node.max_connections,
        })
    }
}

/// The running gossip layer.
pub struct Gossip {
    pub node_id: String,
    peers: watch::Receiver<Vec<PeerView>>,
    unknown_versions: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
    nudge_out: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    nudge_in: tokio::sync::broadcast::Sender<Nudge>,
}

impl Gossip {
    /// Starts listening and dialling; the swarm runs until `shutdown` is cancelled. Must be
    /// called inside the tokio runtime.
    pub fn start(
        settings: GossipSettings,
        key: libp2p::identity::Keypair,
        status: Arc<dyn LocalStatus>,
        shutdown: CancellationToken,
    ) -> Result<Gossip, GossipError> {
        let node_id = key.public().to_peer_id().to_string();
        let (tx, rx) = watch::channel(Vec::new());
        let unknown_versions = Arc::new(AtomicU64::new(0));
        let (nudge_out, nudge_out_rx) = tokio::sync::mpsc::unbounded_channel();
        let (nudge_in, _) = tokio::sync::broadcast::channel(1024);
        let runner = swarm::Runner::new(
            settings,
            key,
            status,
            tx,
            unknown_versions.clone(),
            (nudge_out_rx, nudge_in.clone()),
        )?;
        let task = tokio::spawn(runner.run(shutdown));
        Ok(Gossip {
            node_id,
            peers: rx,
            unknown_versions,
            task,
            nudge_out,
            nudge_in,
        })
    }

    /// Tells every node that the catalog changed about `database` (best effort).
    pub fn nudge(&self, database: &str) {
        let _ = self.nudge_out.send(Outgoing {
            database: database.to_string(),
            relay: None,
        });
    }

    /// A sender for [`Gossip::nudge`] that outlives borrows of `self`.
    pub fn nudger(&self) -> tokio::sync::mpsc::UnboundedSender<Outgoing> {
        self.nudge_out.clone()
    }

    /// Nudges received from other nodes.
    pub fn nudges(&self) -> tokio::sync::broadcast::Receiver<Nudge> {
        self.nudge_in.subscribe()
    }

    /// Messages received in a version this build does not know (ignored) since start.
    pub fn unknown_versions(&self) -> u64 {
        self.unknown_versions.load(Ordering::Relaxed)
    }

    /// Every node known, this one first; updated at each heartbeat and on each message.
    pub fn peers(&self) -> watch::Receiver<Vec<PeerView>> {
        self.peers.clone()
    }

    /// Waits for the swarm task to end (after its shutdown token is cancelled).
    pub async fn stopped(self) {
        if let Err(e) = self.task.await {
            tracing::warn!("gossip task ended abnormally: {e}");
        }
    }
}

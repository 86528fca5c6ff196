//! The libp2p swarm and its event loop: listen, dial bootstrap peers and every node heard
//! of, publish this node's heartbeat each `health_check_interval`, record the heartbeats of
//! others, and stop when the shutdown token is cancelled (dropping the swarm closes every
//! connection).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::identity::Keypair;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, gossipsub, identify, mdns, noise, tcp, yamux};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::message::{
    Decoded, HEARTBEAT_TOPIC, HEARTBEAT_VERSION, Heartbeat, NUDGE_TOPIC, NUDGE_VERSION, Nudge,
    Outgoing,
};
use super::peers::{PeerTable, PeerView};
use super::{GossipError, GossipSettings, LocalStatus};

#[derive(NetworkBehaviour)]
struct Behaviour {
    gossipsub: gossipsub::Behaviour,
    identify: identify::Behaviour,
    mdns: Toggle<mdns::tokio::Behaviour>,
}

pub(super) struct Runner {
    swarm: Swarm<Behaviour>,
    settings: GossipSettings,
    status: Arc<dyn LocalStatus>,
    tx: watch::Sender<Vec<PeerView>>,
    topic: gossipsub::IdentTopic,
    me: PeerId,
    table: PeerTable,
    listen_addrs: Vec<Multiaddr>,
    /// Which peer answered at each bootstrap address (to skip dialling it while connected).
    bootstrap_peer: HashMap<Multiaddr, PeerId>,
    /// Messages of a version this build does not know, ignored.
    unknown_versions: Arc<AtomicU64>,
    /// This node's latest heartbeat: `LocalStatus::report` reads the disk, so it is asked
    /// once per period (and when the listen addresses change), not per message received.
    last_beat: Option<Heartbeat>,
    nudge_topic: gossipsub::IdentTopic,
    nudge_out: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    nudge_in: tokio::sync::broadcast::Sender<Nudge>,
}

type NudgeChannels = (
    tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    tokio::sync::broadcast::Sender<Nudge>,
);

impl Runner {
    pub(super) fn new(
        settings: GossipSettings,
        key: Keypair,
        status: Arc<dyn LocalStatus>,
        tx: watch::Sender<Vec<PeerView>>,
        unknown_versions: Arc<AtomicU64>,
        (nudge_out, nudge_in): NudgeChannels,
    ) -> Result<Runner, GossipError> {
        let start = |e: String| GossipError::Start(e);
        let me = key.public().to_peer_id();
        let beat = settings.health_check_interval;
        let use_mdns = settings.mdns;
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| start(e.to_string()))?
            .with_behaviour(|key| {
                let gossip_cfg = gossipsub::ConfigBuilder::default()
                    // Mesh upkeep at least as often as heartbeats, so a new node is in the
                    // mesh before its first heartbeats are due.
                    .heartbeat_interval(beat.min(std::time::Duration::from_secs(1)))
                    .validation_mode(gossipsub::ValidationMode::Strict)
                    .build()
                    .map_err(|e| e.to_string())?;
                let gossipsub = gossipsub::Behaviour::new(
                    gossipsub::MessageAuthenticity::Signed(key.clone()),
                    gossip_cfg,
                )?;
                let identify = identify::Behaviour::new(identify::Config::new(
                    "/pgrq/1.0.0".into(),
                    key.public(),
                ));
                let mdns = if use_mdns {
                    Some(mdns::tokio::Behaviour::new(
                        mdns::Config::default(),
                        key.public().to_peer_id(),
                    )?)
                } else {
                    None
                };
                Ok(Behaviour {
                    gossipsub,
                    identify,
                    mdns: Toggle::from(mdns),
                })
            })
            .map_err(|e| start(e.to_string()))?
            .with_swarm_config(|c| {
                c.with_idle_connection_timeout(std::time::Duration::from_secs(60))
            })
            .build();
        let topic = gossipsub::IdentTopic::new(HEARTBEAT_TOPIC);
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&topic)
            .map_err(|e| start(e.to_string()))?;
        let nudge_topic = gossipsub::IdentTopic::new(NUDGE_TOPIC);
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&nudge_topic)
            .map_err(|e| start(e.to_string()))?;
        for addr in &settings.listen {
            swarm
                .listen_on(addr.clone())
                .map_err(|e| GossipError::Address {
                    addr: addr.to_string(),
                    reason: error_chain(&e),
                })?;
        }
        let table = PeerTable::new(settings.health_check_interval);
        Ok(Runner {
            swarm,
            settings,
            status,
            tx,
            topic,
            me,
            table,
            listen_addrs: Vec::new(),
            bootstrap_peer: HashMap::new(),
            unknown_versions,
            last_beat: None,
            nudge_topic,
            nudge_out,
            nudge_in,
        })
    }

    pub(super) async fn run(mut self, shutdown: CancellationToken) {
        let mut beat = tokio::time::interval(self.settings.health_check_interval);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut discover = tokio::time::interval(self.settings.discovery_interval);
        discover.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = beat.tick() => self.heartbeat(),
                _ = discover.tick() => self.dial_known(),
                Some(db) = self.nudge_out.recv() => self.publish_nudge(db),
                event = self.swarm.select_next_some() => self.on_event(event),
            }
        }
        tracing::debug!("gossip stopped");
    }

    /// The cached heartbeat, computed if there is none yet.
    fn cached_heartbeat(&mut self) -> Heartbeat {
        match &self.last_beat {
            Some(b) => b.clone(),
            None => self.refresh_heartbeat(),
        }
    }

    fn refresh_heartbeat(&mut self) -> Heartbeat {
        let r = self.status.report();
        let beat = Heartbeat {
            version: HEARTBEAT_VERSION,
            node_id: self.me.to_string(),
            proxy_addr: r.proxy_addr,
            gossip_addrs: self.listen_addrs.iter().map(|a| a.to_string()).collect(),
            capacity: r.capacity,
            free_ports: r.free_ports,
            load: r.load,
            interval_ms: self.settings.health_check_interval.as_millis() as u64,
            rqlite_host: r.rqlite_host,
            system_ports: r.system_ports,
            system_members: r.system_members,
            system_epoch: r.system_epoch,
            activity: r.activity,
        };
        self.last_beat = Some(beat.clone());
        beat
    }

    fn heartbeat(&mut self) {
        let me = self.refresh_heartbeat();
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(self.topic.clone(), me.encode())
        {
            Ok(_) | Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {}
            Err(e) => tracing::debug!("heartbeat not published: {e}"),
        }
        self.publish_table(&me);
    }

    fn publish_nudge(&mut self, out: Outgoing) {
        let n = Nudge {
            version: NUDGE_VERSION,
            node_id: self.me.to_string(),
            database: out.database,
            relay: out.relay,
        };
        let topic = self.nudge_topic.clone();
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(topic, n.encode())
        {
            Ok(_) | Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {}
            Err(e) => tracing::debug!("nudge not published: {e}"),
        }
    }

    fn publish_table(&self, me: &Heartbeat) {
        let snap = self.table.snapshot(me, Instant::now(), SystemTime::now());
        self.tx.send_replace(snap);
    }

    /// Bootstrap peers and every node heard of that is not connected.
    fn dial_known(&mut self) {
        for addr in self.settings.bootstrap.clone() {
            let connected = self
                .bootstrap_peer
                .get(&addr)
                .is_some_and(|p| self.swarm.is_connected(p));
            if !connected
                && !self.listen_addrs.contains(&addr)
                && let Err(e) = self.swarm.dial(addr.clone())
            {
                tracing::debug!("dial bootstrap {addr}: {e}");
            }
        }
        let known: Vec<(PeerId, Vec<Multiaddr>)> = self
            .table
            .addresses()
            .filter_map(|(id, addrs)| {
                let peer: PeerId = id.parse().ok()?;
                let addrs = addrs.iter().filter_map(|a| a.parse().ok()).collect();
                Some((peer, addrs))
            })
            .collect();
        for (peer, addrs) in known {
            self.dial_peer(peer, addrs);
        }
    }

    fn dial_peer(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) {
        if peer == self.me || self.swarm.is_connected(&peer) || addrs.is_empty() {
            return;
        }
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!("dial {peer}: {e}");
        }
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!("gossip listening on {address}");
                if !self.listen_addrs.contains(&address) {
                    self.listen_addrs.push(address);
                }
                // Announce the address at once (a status reader may be waiting for it).
                let me = self.refresh_heartbeat();
                self.publish_table(&me);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| a != &address);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                if let ConnectedPoint::Dialer { address, .. } = &endpoint
                    && self.settings.bootstrap.contains(address)
                {
                    self.bootstrap_peer.insert(address.clone(), peer_id);
                }
                if self.swarm.connected_peers().count() > self.settings.max_connections {
                    tracing::warn!(
                        "closing the connection to {peer_id}: node.max_connections ({}) reached",
                        self.settings.max_connections
                    );
                    self.swarm.close_connection(connection_id);
                } else {
                    tracing::debug!("connected to {peer_id}");
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, .. } => {
                tracing::debug!("disconnected from {peer_id}");
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!("dial {peer_id:?} failed: {error}");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                message,
                ..
            })) => self.on_message(message),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                for addr in info.listen_addrs {
                    self.swarm.add_peer_address(peer_id, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                let mut by_peer: HashMap<PeerId, Vec<Multiaddr>> = HashMap::new();
                for (peer, addr) in found {
                    by_peer.entry(peer).or_default().push(addr);
                }
                for (peer, addrs) in by_peer {
                    tracing::debug!("mDNS found {peer}");
                    self.dial_peer(peer, addrs);
                }
            }
            _ => {}
        }
    }

    fn on_message(&mut self, message: gossipsub::Message) {
        if message.topic == self.nudge_topic.hash() {
            if let Some(n) = Nudge::decode(&message.data)
                && message.source.is_some_and(|s| s.to_string() == n.node_id)
            {
                let _ = self.nudge_in.send(n);
            }
            return;
        }
        match Heartbeat::decode(&message.data) {
            Decoded::Heartbeat(beat) => {
                // Signed messages: the claimed node id must be the signer.
                let Some(source) = message.source else {
                    return;
                };
                if beat.node_id != source.to_string() {
                    tracing::warn!(
                        "heartbeat from {source} claims to be {}: ignored",
                        beat.node_id
                    );
                    return;
                }
                if source == self.me {
                    return;
                }
                let addrs: Vec<Multiaddr> = beat
                    .gossip_addrs
                    .iter()
                    .filter_map(|a| a.parse().ok())
                    .collect();
                let new = self.table.record(beat, Instant::now(), SystemTime::now());
                if new {
                    tracing::info!("gossip: learnt node {source}");
                }
                // Connect directly to every node heard of (through a relay so far): the
                // cluster stays connected when the relaying node goes away.
                self.dial_peer(source, addrs);
                let me = self.cached_heartbeat();
                self.publish_table(&me);
            }
            Decoded::UnknownVersion(v) => {
                self.unknown_versions.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    "ignoring a heartbeat of version {v} from {:?}",
                    message.source
                );
            }
            Decoded::Invalid(e) => {
                tracing::debug!(
                    "ignoring an invalid gossip message from {:?}: {e}",
                    message.source
                );
            }
        }
    }
}

/// An error with its sources: libp2p's transport errors print nothing themselves.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.retain(|p| !p.is_empty());
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
#[path = "swarm_tests.rs"]
mod tests;

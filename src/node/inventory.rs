//! The placement inventory: each node's health, capacity and free ports. `from_catalog`
//! (what `pgrq node` places with) counts the replicas the system catalog places on each
//! registered node and takes health and free ports from gossip; `from_peers` uses only
//! what the nodes announce.

use crate::gossip::PeerView;
use crate::node::catalog::Snapshot;
use crate::node::placement::NodeInventory;
use crate::syscatalog::{DbState, NodeState};

/// Nodes registered (and active) in the catalog, with the replicas placed on them; health
/// and free ports from gossip: a node gossip does not see is not eligible.
pub fn from_catalog(snap: &Snapshot, peers: &[PeerView]) -> Vec<NodeInventory> {
    snap.nodes
        .iter()
        .filter(|n| n.state == NodeState::Active)
        .map(|n| {
            let peer = peers.iter().find(|p| p.heartbeat.node_id == n.id);
            let placed = snap
                .replicas
                .iter()
                .filter(|r| {
                    r.node_id == n.id
                        && snap
                            .database(&r.database)
                            .is_some_and(|d| d.state != DbState::Dropped)
                })
                .count() as u32;
            NodeInventory {
                id: n.id.clone(),
                healthy: peer.is_some_and(|p| p.healthy),
                max_databases: n.max_databases,
                current_databases: placed,
                free_ports: peer.map_or(0, |p| p.heartbeat.free_ports),
            }
        })
        .collect()
}

pub fn from_peers(peers: &[PeerView]) -> Vec<NodeInventory> {
    peers
        .iter()
        .map(|p| NodeInventory {
            id: p.heartbeat.node_id.clone(),
            healthy: p.healthy,
            max_databases: p.heartbeat.capacity.max_databases,
            current_databases: p.heartbeat.capacity.current_databases,
            free_ports: p.heartbeat.free_ports,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::gossip::message::HEARTBEAT_VERSION;
    use crate::gossip::{Capacity, Heartbeat};
    use crate::node::placement::{PlacementError, place};

    fn peer(id: &str, healthy: bool, current: u32) -> PeerView {
        PeerView {
            heartbeat: Heartbeat {
                version: HEARTBEAT_VERSION,
                node_id: id.into(),
                proxy_addr: "127.0.0.1:5432".into(),
                gossip_addrs: vec![],
                capacity: Capacity {
                    max_databases: 2,
                    current_databases: current,
                },
                free_ports: 6,
                load: 0.0,
                interval_ms: 1000,
                rqlite_host: String::new(),
                system_ports: None,
                system_members: vec![],
                system_epoch: 0,
                activity: vec![],
            },
            last_seen: SystemTime::now(),
            healthy,
            is_self: false,
        }
    }

    #[test]
    fn unhealthy_and_full_nodes_are_not_chosen() {
        let peers = [
            peer("a", true, 0),
            peer("b", false, 0),
            peer("c", true, 2),
            peer("d", true, 1),
        ];
        let inv = from_peers(&peers);
        assert_eq!(inv[3].current_databases, 1);
        let mut chosen = place(&inv, 2, "demo_x").unwrap();
        chosen.sort();
        assert_eq!(chosen, ["a", "d"]);
        assert_eq!(
            place(&inv, 3, "demo_x"),
            Err(PlacementError::InsufficientNodes { got: 2, need: 3 })
        );
    }
}

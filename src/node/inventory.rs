//! The placement inventory: each node's health, capacity and free ports. `from_catalog`
//! (what `pgrq node` places with) counts the replicas the system catalog places on each
//! registered node (`usage`: a hibernated database's replica counts against neither
//! `max_databases` nor the ports, only disk) and takes health and free ports from gossip;
//! `from_peers` uses only what the nodes announce.

use crate::gossip::PeerView;
use crate::node::catalog::Snapshot;
use crate::node::placement::NodeInventory;
use crate::syscatalog::{DbState, NodeState};

/// Nodes registered (and active) in the catalog, with the replicas placed on them; health
/// and port room from gossip: a node gossip does not see is not eligible. A node announces
/// its free ports as its ranges' pairs minus its system replica and its running replicas
/// *as it last read the catalog*, and the running count beside it; the sum of the two is
/// its room for running replicas, from which the catalog's running count (fresher: a
/// hibernation or a placement since the last heartbeat) gives the free ports now.
pub fn from_catalog(snap: &Snapshot, peers: &[PeerView]) -> Vec<NodeInventory> {
    snap.nodes
        .iter()
        .filter(|n| n.state == NodeState::Active)
        .map(|n| {
            let peer = peers.iter().find(|p| p.heartbeat.node_id == n.id);
            let active = usage(snap, &n.id).active;
            NodeInventory {
                id: n.id.clone(),
                healthy: peer.is_some_and(|p| p.healthy),
                max_databases: n.max_databases,
                current_databases: active,
                free_ports: peer.map_or(0, |p| {
                    let hb = &p.heartbeat;
                    (hb.free_ports + hb.capacity.current_databases).saturating_sub(active)
                }),
            }
        })
        .collect()
}

/// What the catalog places on one node: replicas of databases that run or are about to
/// (`creating`, `active`, `waking`: they count against `max_databases` and hold ports),
/// and replicas of hibernated ones (data on disk only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub active: u32,
    pub hibernated: u32,
}

pub fn usage(snap: &Snapshot, node_id: &str) -> Usage {
    let mut u = Usage::default();
    for r in snap.replicas.iter().filter(|r| r.node_id == node_id) {
        match snap.database(&r.database).map(|d| d.state) {
            Some(DbState::Creating | DbState::Active | DbState::Waking) => u.active += 1,
            Some(DbState::Hibernating) => u.hibernated += 1,
            Some(DbState::Dropped) | None => {}
        }
    }
    u
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
                    hibernated_databases: 0,
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

    #[test]
    fn hibernated_replicas_count_against_neither_max_databases_nor_ports() {
        use crate::syscatalog::{DatabaseRecord, NodeRecord, ReplicaRecord};
        let db = |name: &str, state| DatabaseRecord {
            name: name.into(),
            app: "demo".into(),
            state,
            replication_factor: 1,
            version: 1,
            claim: String::new(),
        };
        let rep = |name: &str, port: Option<u16>| ReplicaRecord {
            database: name.into(),
            node_id: "a".into(),
            replica_id: format!("{name}-1"),
            http_port: port,
            raft_port: port.map(|p| p + 1000),
        };
        let snap = Snapshot {
            nodes: vec![NodeRecord {
                id: "a".into(),
                proxy_addr: String::new(),
                rqlite_host: "127.0.0.1".into(),
                gossip_addrs: vec![],
                max_databases: 2,
                state: NodeState::Active,
                version: 1,
            }],
            databases: vec![
                db("demo_a", DbState::Hibernating),
                db("demo_b", DbState::Hibernating),
                db("demo_c", DbState::Active),
                db("demo_d", DbState::Dropped),
                db("demo_e", DbState::Waking),
            ],
            replicas: vec![
                rep("demo_a", Some(14001)),
                rep("demo_b", None),
                rep("demo_c", Some(14002)),
                rep("demo_d", Some(14003)),
                rep("demo_e", Some(14004)),
            ],
        };
        assert_eq!(
            usage(&snap, "a"),
            Usage {
                active: 2,
                hibernated: 2
            }
        );
        let inv = from_catalog(&snap, &[peer("a", true, 2)]);
        assert_eq!(inv[0].current_databases, 2);
        assert_eq!(inv[0].free_slots(), 0, "two running: full");
        // A heartbeat from before two hibernations (4 running, 6 pairs free of 10): the
        // catalog's 2 running leave 8 free, not 6.
        let inv = from_catalog(&snap, &[peer("a", true, 4)]);
        assert_eq!(inv[0].free_ports, 8);
        // And one from before placements: fewer free than announced.
        let inv = from_catalog(&snap, &[peer("a", true, 0)]);
        assert_eq!(inv[0].free_ports, 4);
    }
}

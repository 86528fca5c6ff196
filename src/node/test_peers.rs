//! Gossip views of peers for the node layer's unit tests (test code only).

use std::time::SystemTime;

use crate::gossip::message::HEARTBEAT_VERSION;
use crate::gossip::{Capacity, DbActivity, Heartbeat, PeerView};

/// A peer announcing room for 10 databases (none running, 10 free port pairs) and
/// `activity`.
pub(crate) fn peer(id: &str, healthy: bool, activity: Vec<DbActivity>) -> PeerView {
    PeerView {
        heartbeat: Heartbeat {
            version: HEARTBEAT_VERSION,
            node_id: id.into(),
            proxy_addr: String::new(),
            gossip_addrs: vec![],
            capacity: Capacity {
                max_databases: 10,
                current_databases: 0,
                hibernated_databases: 0,
            },
            free_ports: 10,
            load: 0.0,
            interval_ms: 200,
            rqlite_host: "127.0.0.1".into(),
            system_ports: None,
            system_members: vec![],
            system_epoch: 0,
            activity,
        },
        last_seen: SystemTime::now(),
        healthy,
        is_self: false,
    }
}

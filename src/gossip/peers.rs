//! The peer table: the latest heartbeat of every node heard of, when it was heard, and its
//! health (heard within 3 heartbeat intervals). Pure: callers pass the time in.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::message::Heartbeat;

/// Missed heartbeats after which a node counts as unhealthy.
pub const MISSED_BEATS: u32 = 3;

/// One node as this node sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerView {
    pub heartbeat: Heartbeat,
    /// Wall-clock time of the last heartbeat (for display; health uses a monotonic clock).
    pub last_seen: SystemTime,
    pub healthy: bool,
    /// This node itself.
    pub is_self: bool,
}

#[derive(Debug)]
struct Entry {
    heartbeat: Heartbeat,
    at: Instant,
    wall: SystemTime,
}

#[derive(Debug)]
pub struct PeerTable {
    interval: Duration,
    peers: BTreeMap<String, Entry>,
}

impl PeerTable {
    pub fn new(interval: Duration) -> PeerTable {
        PeerTable {
            interval,
            peers: BTreeMap::new(),
        }
    }

    /// Records a heartbeat; returns whether the node was new.
    pub fn record(&mut self, heartbeat: Heartbeat, at: Instant, wall: SystemTime) -> bool {
        let id = heartbeat.node_id.clone();
        let entry = Entry {
            heartbeat,
            at,
            wall,
        };
        self.peers.insert(id, entry).is_none()
    }

    /// Heard within 3 periods: its own announced period, or ours if longer.
    pub fn healthy(&self, node_id: &str, now: Instant) -> bool {
        self.peers.get(node_id).is_some_and(|e| {
            let period = self
                .interval
                .max(Duration::from_millis(e.heartbeat.interval_ms));
            now.saturating_duration_since(e.at) < period * MISSED_BEATS
        })
    }

    /// The gossip addresses of every node heard of, to dial the ones not connected.
    pub fn addresses(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.peers
            .iter()
            .map(|(id, e)| (id.as_str(), e.heartbeat.gossip_addrs.as_slice()))
    }

    /// Every node, this one first, then by id.
    pub fn snapshot(&self, me: &Heartbeat, now: Instant, wall: SystemTime) -> Vec<PeerView> {
        let mut out = vec![PeerView {
            heartbeat: me.clone(),
            last_seen: wall,
            healthy: true,
            is_self: true,
        }];
        out.extend(
            self.peers
                .iter()
                .filter(|(id, _)| **id != me.node_id)
                .map(|(id, e)| PeerView {
                    heartbeat: e.heartbeat.clone(),
                    last_seen: e.wall,
                    healthy: self.healthy(id, now),
                    is_self: false,
                }),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gossip::message::{Capacity, HEARTBEAT_VERSION};

    fn beat(id: &str) -> Heartbeat {
        Heartbeat {
            version: HEARTBEAT_VERSION,
            node_id: id.into(),
            proxy_addr: "127.0.0.1:5432".into(),
            gossip_addrs: vec![format!("/ip4/127.0.0.1/tcp/{}", 7000 + id.len())],
            capacity: Capacity {
                max_databases: 10,
                current_databases: 0,
                hibernated_databases: 0,
            },
            free_ports: 30,
            load: 0.0,
            interval_ms: 0,
            rqlite_host: String::new(),
            system_ports: None,
            system_members: vec![],
            system_epoch: 0,
            activity: vec![],
        }
    }

    #[test]
    fn healthy_until_three_intervals_are_missed() {
        let t0 = Instant::now();
        let wall = SystemTime::now();
        let s = Duration::from_secs(1);
        let mut table = PeerTable::new(s);
        assert!(table.record(beat("b"), t0, wall));
        assert!(!table.record(beat("b"), t0, wall));
        assert!(table.healthy("b", t0 + 2 * s));
        assert!(table.healthy("b", t0 + 3 * s - Duration::from_millis(1)));
        assert!(!table.healthy("b", t0 + 3 * s));
        assert!(!table.healthy("unknown", t0));
        // A new heartbeat makes it healthy again.
        table.record(beat("b"), t0 + 10 * s, wall);
        assert!(table.healthy("b", t0 + 11 * s));
    }

    #[test]
    fn a_slower_peer_is_judged_by_its_own_period() {
        let t0 = Instant::now();
        let mut table = PeerTable::new(Duration::from_millis(200));
        let mut slow = beat("slow");
        slow.interval_ms = 2000;
        table.record(slow, t0, SystemTime::now());
        assert!(table.healthy("slow", t0 + Duration::from_millis(5900)));
        assert!(!table.healthy("slow", t0 + Duration::from_secs(6)));
    }

    #[test]
    fn snapshot_lists_self_first_then_peers() {
        let t0 = Instant::now();
        let wall = SystemTime::now();
        let mut table = PeerTable::new(Duration::from_secs(1));
        table.record(beat("c"), t0, wall);
        table.record(beat("b"), t0 + Duration::from_secs(5), wall);
        // Our own heartbeat relayed back must not appear twice.
        table.record(beat("a"), t0, wall);
        let snap = table.snapshot(&beat("a"), t0 + Duration::from_secs(6), wall);
        let ids: Vec<(&str, bool, bool)> = snap
            .iter()
            .map(|p| (p.heartbeat.node_id.as_str(), p.healthy, p.is_self))
            .collect();
        assert_eq!(
            ids,
            [("a", true, true), ("b", true, false), ("c", false, false)]
        );
        assert_eq!(table.addresses().count(), 3);
    }
}

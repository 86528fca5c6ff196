//! The messages nodes gossip, versioned so nodes of different releases coexist: every
//! message is a JSON object with a `version`; a node decodes the versions it knows and
//! ignores the others (reported, never an error). Within a version, fields may only be
//! added, and decoders ignore fields they do not know.

use serde::{Deserialize, Serialize};

/// The heartbeat version this build publishes.
pub const HEARTBEAT_VERSION: u32 = 1;

/// Gossipsub topic of heartbeats (all versions share it).
pub const HEARTBEAT_TOPIC: &str = "pgrq/heartbeat";

/// Gossipsub topic of "the catalog changed" nudges (version 1).
pub const NUDGE_TOPIC: &str = "pgrq/nudge";

/// The nudge version this build publishes.
pub const NUDGE_VERSION: u32 = 1;

/// A node's periodic announcement of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub version: u32,
    /// The node's libp2p peer id (base58), its stable identity.
    pub node_id: String,
    /// Where the node's PostgreSQL front end accepts clients (`ip:port`).
    pub proxy_addr: String,
    /// Gossip multiaddrs the node listens on, so peers can dial it directly.
    #[serde(default)]
    pub gossip_addrs: Vec<String>,
    pub capacity: Capacity,
    /// Replicas the node's port ranges can still take.
    pub free_ports: u32,
    /// 1-minute load average divided by the number of CPUs (0 when unknown).
    pub load: f32,
    /// The sender's heartbeat period in milliseconds (0: not announced), so peers
    /// configured with a shorter period do not call it unhealthy between two beats.
    #[serde(default)]
    pub interval_ms: u64,
    /// The IP the node's rqlited replicas listen on.
    #[serde(default)]
    pub rqlite_host: String,
    /// Ports reserved for the node's replica of the system catalog (HTTP, Raft), so the
    /// nodes forming it know each other's addresses.
    #[serde(default)]
    pub system_ports: Option<(u16, u16)>,
    /// The system catalog's members once this node knows them (empty before), so a node
    /// arriving later adopts them instead of deciding anew.
    #[serde(default)]
    pub system_members: Vec<SystemMember>,
    /// The epoch of `system_members` (grows with each membership change), so a node
    /// adopts the newest it hears.
    #[serde(default)]
    pub system_epoch: u64,
    /// Databases with sessions on this node or activity within its hibernation timeout
    /// (only those: an absent database is idle here), so any node can tell whether a
    /// database is idle cluster-wide.
    #[serde(default)]
    pub activity: Vec<DbActivity>,
}

/// One database's activity on the announcing node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbActivity {
    pub db: String,
    /// Sessions open on the node.
    pub sessions: u32,
    /// Last query (or session open/close) on the node, milliseconds since the Unix epoch.
    pub last_active_unix_ms: u64,
}

/// One replica of the system catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemMember {
    pub node_id: String,
    /// `ip:port` of its HTTP API and of its Raft transport.
    pub http_addr: String,
    pub raft_addr: String,
}

/// "The catalog changed about this database": whoever places or runs it should look now
/// rather than at its next poll. Losing one only delays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nudge {
    pub version: u32,
    pub node_id: String,
    pub database: String,
    /// An operation request carried to one node, or its answer carried back (added
    /// within version 1: older nodes ignore it and see a plain nudge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<Relay>,
}

/// A request for node `to` (its `body` opaque here), or (`reply`) the answer to the
/// request `id` that node `to` sent. Every node receives it; only `to` acts on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relay {
    pub id: String,
    pub to: String,
    #[serde(default)]
    pub reply: bool,
    pub body: serde_json::Value,
}

/// What a node hands its gossip layer to publish: a nudge about `database`, possibly
/// carrying a relayed request or answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub database: String,
    pub relay: Option<Relay>,
}

impl Nudge {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// `None` for another version or anything that is not a nudge.
    pub fn decode(bytes: &[u8]) -> Option<Nudge> {
        let n: Nudge = serde_json::from_slice(bytes).ok()?;
        (n.version == NUDGE_VERSION).then_some(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub max_databases: u32,
    /// Databases with a replica running (or starting) here: what `max_databases` bounds.
    pub current_databases: u32,
    /// Databases with a hibernated replica here (disk only; absent from older nodes).
    #[serde(default)]
    pub hibernated_databases: u32,
}

/// What a received payload turned out to be.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    Heartbeat(Heartbeat),
    /// A version this build does not know (a newer or retired release): ignored.
    UnknownVersion(u32),
    /// Not a message of ours.
    Invalid(String),
}

#[derive(Deserialize)]
struct Envelope {
    version: u32,
}

impl Heartbeat {
    pub fn encode(&self) -> Vec<u8> {
        // A struct of strings and numbers always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Decoded {
        let version = match serde_json::from_slice::<Envelope>(bytes) {
            Ok(e) => e.version,
            Err(e) => return Decoded::Invalid(e.to_string()),
        };
        if version != HEARTBEAT_VERSION {
            return Decoded::UnknownVersion(version);
        }
        match serde_json::from_slice::<Heartbeat>(bytes) {
            Ok(h) => Decoded::Heartbeat(h),
            Err(e) => Decoded::Invalid(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat() -> Heartbeat {
        Heartbeat {
            version: HEARTBEAT_VERSION,
            node_id: "12D3KooWabc".into(),
            proxy_addr: "127.0.0.1:5432".into(),
            gossip_addrs: vec!["/ip4/127.0.0.1/tcp/7480".into()],
            capacity: Capacity {
                max_databases: 100,
                current_databases: 7,
                hibernated_databases: 0,
            },
            free_ports: 279,
            load: 0.25,
            interval_ms: 2000,
            rqlite_host: "127.0.0.1".into(),
            system_ports: Some((4001, 4002)),
            system_members: vec![SystemMember {
                node_id: "12D3KooWabc".into(),
                http_addr: "127.0.0.1:4001".into(),
                raft_addr: "127.0.0.1:4002".into(),
            }],
            system_epoch: 2,
            activity: vec![DbActivity {
                db: "demo_a".into(),
                sessions: 2,
                last_active_unix_ms: 1_765_000_000_000,
            }],
        }
    }

    #[test]
    fn round_trip() {
        assert_eq!(
            Heartbeat::decode(&beat().encode()),
            Decoded::Heartbeat(beat())
        );
    }

    #[test]
    fn other_versions_are_ignored_not_errors() {
        let newer = br#"{"version":2,"node_id":"x","shape":"unknown to v1"}"#;
        assert_eq!(Heartbeat::decode(newer), Decoded::UnknownVersion(2));
        assert_eq!(
            Heartbeat::decode(br#"{"version":0}"#),
            Decoded::UnknownVersion(0)
        );
    }

    #[test]
    fn fields_added_within_a_version_are_ignored() {
        let mut v: serde_json::Value = serde_json::from_slice(&beat().encode()).unwrap();
        v["zone"] = "eu-west-1a".into();
        v.as_object_mut().unwrap().remove("gossip_addrs");
        v.as_object_mut().unwrap().remove("interval_ms");
        let bytes = serde_json::to_vec(&v).unwrap();
        let Decoded::Heartbeat(h) = Heartbeat::decode(&bytes) else {
            panic!("not decoded");
        };
        assert_eq!(h.node_id, "12D3KooWabc");
        assert!(h.gossip_addrs.is_empty());
        assert_eq!(h.interval_ms, 0);
    }

    #[test]
    fn nudges_round_trip_and_other_versions_are_dropped() {
        let n = Nudge {
            version: NUDGE_VERSION,
            node_id: "a".into(),
            database: "demo_x".into(),
            relay: None,
        };
        assert_eq!(Nudge::decode(&n.encode()), Some(n.clone()));
        let carried = Nudge {
            relay: Some(Relay {
                id: "r1".into(),
                to: "b".into(),
                reply: false,
                body: serde_json::json!({"op": "stats"}),
            }),
            ..n
        };
        assert_eq!(Nudge::decode(&carried.encode()), Some(carried));
        assert_eq!(
            Nudge::decode(br#"{"version":9,"node_id":"a","database":"x"}"#),
            None
        );
        assert_eq!(Nudge::decode(b"junk"), None);
    }

    #[test]
    fn garbage_is_invalid() {
        assert!(matches!(
            Heartbeat::decode(b"\x00\x01"),
            Decoded::Invalid(_)
        ));
        assert!(matches!(
            Heartbeat::decode(br#"{"version":1,"node_id":3}"#),
            Decoded::Invalid(_)
        ));
    }
}

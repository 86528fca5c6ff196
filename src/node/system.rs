//! The system catalog's own rqlite cluster (`_system`): which nodes run it, decided once and
//! kept, and this node's replica of it.
//!
//! Formation rule (deterministic, no clocks): every node reserves a sticky HTTP/Raft port
//! pair for a system replica and announces it in its heartbeat. A node that knows no
//! members yet adopts the members any peer announces; failing that, once it sees
//! `discovery.bootstrap_expect` healthy nodes (and, if it has bootstrap peers, has heard
//! from at least one) and the set of nodes seen has been stable for a few heartbeats, the
//! min(3, expect) lowest node ids are the members. Members start
//! their replica with `-bootstrap-expect k -join <all k>` (only while they have no Raft
//! state). The decision is persisted in `<data_dir>/system.json`, so a restart finds the
//! catalog without gossip. Operator contract (as for Consul's `bootstrap_expect`): start
//! exactly `bootstrap_expect` nodes for the first formation. Later changes of the members
//! (`node::sysmember`: a dead member replaced, a drained one moved) come with a growing
//! epoch, kept here too and adopted from the catalog or from gossip; a member added later
//! starts fresh and joins.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::gossip::{PeerView, SystemMember};
use crate::node::engine::Engine;
use crate::node::ports::allocate_pair;
use crate::node::supervisor::ReplicaSpec;

/// Most replicas the system catalog has.
pub const MAX_SYSTEM_REPLICAS: usize = 3;

/// What `<data_dir>/system.json` keeps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SystemFile {
    ports: Option<(u16, u16)>,
    #[serde(default)]
    members: Vec<SystemMember>,
    /// Grows with each membership change after the formation (0: as formed).
    #[serde(default)]
    epoch: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("{path}: {reason}")]
    State { path: String, reason: String },
    #[error("cannot reserve ports for the system catalog: {0}")]
    Ports(String),
    #[error("cannot start the system catalog's replica: {0}")]
    Start(String),
}

/// This node's view of the system cluster.
pub struct SystemCluster {
    node_id: String,
    host: IpAddr,
    path: PathBuf,
    data_dir: PathBuf,
    state: Mutex<SystemFile>,
    ports: (u16, u16),
    expect: usize,
    has_bootstrap_peers: bool,
}

impl SystemCluster {
    /// Loads the kept decision, reserving this node's port pair on first start.
    pub fn load(config: &Config, node_id: &str) -> Result<SystemCluster, SystemError> {
        let path = config.node.data_dir.join("system.json");
        let mut file: SystemFile = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| state_err(&path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SystemFile::default(),
            Err(e) => return Err(state_err(&path, e)),
        };
        let host: IpAddr = config
            .node
            .advertise_host
            .parse()
            .map_err(|e| state_err(&path, e))?;
        let ports = match file.ports {
            Some(p) => p,
            None => {
                let p = allocate_pair(&config.database, host, &Default::default())
                    .map_err(|e| SystemError::Ports(e.to_string()))?;
                file.ports = Some(p);
                write_file(&path, &file)?;
                p
            }
        };
        Ok(SystemCluster {
            node_id: node_id.to_string(),
            host,
            path,
            data_dir: config.node.data_dir.join("_system").join("rqlite"),
            state: Mutex::new(file),
            ports,
            expect: config.discovery.bootstrap_expect.max(1) as usize,
            has_bootstrap_peers: !config.discovery.bootstrap_peers.is_empty(),
        })
    }

    /// This node's reserved (HTTP, Raft) ports for a system replica.
    pub fn ports(&self) -> (u16, u16) {
        self.ports
    }

    pub fn members(&self) -> Vec<SystemMember> {
        self.lock().members.clone()
    }

    /// The epoch of the members kept (0: as formed).
    pub fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Whether this node runs a member of the system catalog (as far as it knows).
    pub fn is_member(&self) -> bool {
        self.lock()
            .members
            .iter()
            .any(|m| m.node_id == self.node_id)
    }

    /// Keeps `members` as of `epoch` if that is newer than what is kept (persisted first);
    /// true when they changed.
    pub fn adopt(&self, members: &[SystemMember], epoch: u64) -> Result<bool, SystemError> {
        let mut st = self.lock();
        let newer = epoch > st.epoch || (st.members.is_empty() && !members.is_empty());
        if !newer || members.is_empty() || (st.epoch == epoch && st.members == members) {
            return Ok(false);
        }
        let mut next = st.clone();
        next.members = members.to_vec();
        next.epoch = epoch;
        write_file(&self.path, &next)?;
        *st = next;
        tracing::info!(
            epoch,
            "system catalog members now: {}",
            members
                .iter()
                .map(|m| m.node_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(true)
    }

    /// Whether this node runs a system replica or keeps its data.
    pub fn has_replica(&self, engine: &Engine) -> bool {
        self.data_dir.exists()
            || engine
                .supervisor()
                .is_ok_and(|s| s.running().contains(&system_replica_id(&self.node_id)))
    }

    /// This node's member entry (its announced addresses), for a membership change.
    pub fn me_as_member(&self) -> SystemMember {
        SystemMember {
            node_id: self.node_id.clone(),
            http_addr: SocketAddr::new(self.host, self.ports.0).to_string(),
            raft_addr: SocketAddr::new(self.host, self.ports.1).to_string(),
        }
    }

    /// Stops this node's system replica (no longer a member) and deletes its data, so a
    /// later membership starts it fresh, joining.
    pub async fn leave(&self, engine: &Engine) -> Result<(), SystemError> {
        let supervisor = engine
            .supervisor()
            .map_err(|e| SystemError::Start(e.to_string()))?;
        let id = system_replica_id(&self.node_id);
        if supervisor.running().contains(&id) {
            supervisor
                .stop(&id, std::time::Duration::from_secs(10))
                .await
                .map_err(|e| SystemError::Start(format!("stopping {id}: {e}")))?;
        }
        match std::fs::remove_dir_all(&self.data_dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(state_err(&self.data_dir, e)),
        }
        tracing::info!("left the system catalog: replica stopped, data removed");
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SystemFile> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Decides (or adopts) the members from the peer table if not known yet; returns them
    /// once known. Persisted before it is returned.
    /// `settled`: the set of nodes seen has not changed for a while (see `core`), so that
    /// nodes starting together all see each other before any of them decides.
    pub fn decide(
        &self,
        peers: &[PeerView],
        settled: bool,
    ) -> Result<Option<Vec<SystemMember>>, SystemError> {
        let mut st = self.lock();
        if !st.members.is_empty() {
            return Ok(Some(st.members.clone()));
        }
        let announced = peers.iter().any(|p| !p.heartbeat.system_members.is_empty());
        if !announced && !settled {
            return Ok(None);
        }
        let Some(members) = choose_members(peers, self.expect, self.has_bootstrap_peers) else {
            return Ok(None);
        };
        st.members = members.clone();
        write_file(&self.path, &st)?;
        tracing::info!(
            "system catalog members: {}",
            members
                .iter()
                .map(|m| m.node_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(Some(members))
    }

    /// Starts this node's system replica if it is a member and not running yet.
    pub async fn start_replica(&self, engine: &Engine) -> Result<(), SystemError> {
        let members = self.members();
        if !members.iter().any(|m| m.node_id == self.node_id) {
            return Ok(());
        }
        let supervisor = engine
            .supervisor()
            .map_err(|e| SystemError::Start(e.to_string()))?;
        let replica_id = system_replica_id(&self.node_id);
        if supervisor.running().contains(&replica_id) {
            return Ok(());
        }
        let fresh = !self.data_dir.join("raft.db").exists();
        let multi = members.len() > 1;
        // After a membership change (epoch > 0) a fresh member joins the running
        // catalog; at the formation, all start together.
        let joining = fresh && multi && self.epoch() > 0;
        let join: Vec<SocketAddr> = if fresh && multi {
            members
                .iter()
                .filter(|m| !joining || m.node_id != self.node_id)
                .filter_map(|m| m.raft_addr.parse().ok())
                .collect()
        } else {
            Vec::new()
        };
        let spec = ReplicaSpec {
            node_id: replica_id,
            http_addr: SocketAddr::new(self.host, self.ports.0),
            raft_addr: SocketAddr::new(self.host, self.ports.1),
            data_dir: self.data_dir.clone(),
            join,
            bootstrap_expect: (fresh && multi && !joining).then_some(members.len() as u32),
            join_as: fresh.then(|| engine.creds.user.clone()),
            auth_file: engine.auth_file.clone(),
            extra_args: Vec::new(),
        };
        supervisor
            .start(spec)
            .await
            .map_err(|e| SystemError::Start(e.to_string()))
    }
}

/// The members kept in `<data_dir>/system.json` (empty when not decided yet).
pub fn read_members(data_dir: &Path) -> Result<Vec<SystemMember>, String> {
    let path = data_dir.join("system.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<SystemFile>(&bytes)
            .map(|f| f.members)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// rqlite node id of a node's system replica.
pub fn system_replica_id(node_id: &str) -> String {
    format!("system-{node_id}")
}

/// The formation rule (pure): announced members win; else, with at least `expect` healthy
/// nodes that announce a host and ports (and a peer heard when bootstrap peers are
/// configured), the min(3, expect) lowest ids.
pub fn choose_members(
    peers: &[PeerView],
    expect: usize,
    has_bootstrap_peers: bool,
) -> Option<Vec<SystemMember>> {
    if let Some(p) = peers
        .iter()
        .filter(|p| !p.heartbeat.system_members.is_empty())
        .max_by_key(|p| p.heartbeat.system_epoch)
    {
        return Some(p.heartbeat.system_members.clone());
    }
    let mut ready: Vec<(&str, String, String)> = peers
        .iter()
        .filter(|p| p.healthy && !p.heartbeat.rqlite_host.is_empty())
        .filter_map(|p| {
            let (http, raft) = p.heartbeat.system_ports?;
            let host: IpAddr = p.heartbeat.rqlite_host.parse().ok()?;
            Some((
                p.heartbeat.node_id.as_str(),
                SocketAddr::new(host, http).to_string(),
                SocketAddr::new(host, raft).to_string(),
            ))
        })
        .collect();
    let heard_peer = peers.iter().any(|p| !p.is_self);
    if ready.len() < expect || (has_bootstrap_peers && !heard_peer) {
        return None;
    }
    ready.sort();
    Some(
        ready
            .into_iter()
            .take(expect.min(MAX_SYSTEM_REPLICAS))
            .map(|(id, http_addr, raft_addr)| SystemMember {
                node_id: id.to_string(),
                http_addr,
                raft_addr,
            })
            .collect(),
    )
}

fn state_err(path: &Path, e: impl std::fmt::Display) -> SystemError {
    SystemError::State {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn write_file(path: &Path, file: &SystemFile) -> Result<(), SystemError> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(file).map_err(|e| state_err(path, e))?;
    std::fs::write(&tmp, bytes).map_err(|e| state_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| state_err(path, e))
}

/// Shared handle type.
pub type SharedSystem = Arc<SystemCluster>;

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::gossip::message::HEARTBEAT_VERSION;
    use crate::gossip::{Capacity, Heartbeat};

    fn peer(id: &str, port: u16, healthy: bool, is_self: bool) -> PeerView {
        PeerView {
            heartbeat: Heartbeat {
                version: HEARTBEAT_VERSION,
                node_id: id.into(),
                proxy_addr: String::new(),
                gossip_addrs: vec![],
                capacity: Capacity {
                    max_databases: 1,
                    current_databases: 0,
                    hibernated_databases: 0,
                },
                free_ports: 1,
                load: 0.0,
                interval_ms: 0,
                rqlite_host: "127.0.0.1".into(),
                system_ports: Some((port, port + 1)),
                system_members: vec![],
                system_epoch: 0,
                activity: vec![],
            },
            last_seen: SystemTime::now(),
            healthy,
            is_self,
        }
    }

    #[test]
    fn lowest_ids_once_enough_nodes_are_seen() {
        let mut peers = vec![peer("c", 10, true, true), peer("a", 20, true, false)];
        assert_eq!(choose_members(&peers, 3, true), None);
        peers.push(peer("d", 30, true, false));
        peers.push(peer("b", 40, false, false));
        // b is unhealthy: not counted.
        let m = choose_members(&peers, 3, true).unwrap();
        let ids: Vec<&str> = m.iter().map(|m| m.node_id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
        assert_eq!(m[0].raft_addr, "127.0.0.1:21");
        // Every node computes the same from the same table, whatever its order.
        peers.reverse();
        assert_eq!(choose_members(&peers, 3, false).unwrap(), m);
        // Five nodes expected: still at most three members.
        for (i, id) in ["e", "f"].iter().enumerate() {
            peers.push(peer(id, 50 + i as u16, true, false));
        }
        peers.push(peer("b", 40, true, false));
        assert_eq!(choose_members(&peers, 5, false).unwrap().len(), 3);
    }

    #[test]
    fn nothing_is_decided_before_the_view_settles_unless_announced() {
        let dir = tempfile::tempdir().unwrap();
        let sys = SystemCluster {
            node_id: "z".into(),
            host: "127.0.0.1".parse().unwrap(),
            path: dir.path().join("system.json"),
            data_dir: dir.path().join("_system"),
            state: Mutex::new(SystemFile::default()),
            ports: (1, 2),
            expect: 1,
            has_bootstrap_peers: false,
        };
        let me = peer("z", 10, true, true);
        assert!(
            sys.decide(std::slice::from_ref(&me), false)
                .unwrap()
                .is_none()
        );
        let decided = sys
            .decide(std::slice::from_ref(&me), true)
            .unwrap()
            .unwrap();
        assert_eq!(decided[0].node_id, "z");
        // Kept: read back from system.json, and never decided anew.
        assert_eq!(read_members(dir.path()).unwrap(), decided);
        let other = peer("a", 20, true, false);
        assert_eq!(sys.decide(&[me, other], true).unwrap().unwrap(), decided);
    }

    #[test]
    fn announced_members_are_adopted_and_a_lone_node_waits_for_its_peers() {
        let me = peer("z", 10, true, true);
        assert_eq!(
            choose_members(std::slice::from_ref(&me), 1, true),
            None,
            "bootstrap peers configured but none heard"
        );
        assert_eq!(
            choose_members(std::slice::from_ref(&me), 1, false)
                .unwrap()
                .len(),
            1
        );
        let mut other = peer("a", 20, true, false);
        other.heartbeat.system_members = vec![SystemMember {
            node_id: "q".into(),
            http_addr: "10.0.0.1:1".into(),
            raft_addr: "10.0.0.1:2".into(),
        }];
        let m = choose_members(&[me, other], 1, true).unwrap();
        assert_eq!(m[0].node_id, "q");
    }
}

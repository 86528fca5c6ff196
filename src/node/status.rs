//! What this node tells the cluster and the operator about itself. `Reporter` implements
//! the gossip layer's `LocalStatus` (capacity, free ports, load); the status file
//! (`<data_dir>/status.json`, rewritten at each heartbeat, removed at a clean stop) carries
//! the peer table to `pgrq status`, which formats it. No placement decisions here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::gossip::peers::MISSED_BEATS;
use crate::gossip::{Capacity, LocalReport, LocalStatus, PeerView};
use crate::node::inventory::Usage;

/// What the catalog places on this node: replicas running (or starting) and hibernated.
pub type UsageFn = dyn Fn() -> Usage + Send + Sync;

pub struct Reporter {
    config: Arc<Config>,
    proxy_addr: String,
    usage: Box<UsageFn>,
    system: Option<Arc<crate::node::system::SystemCluster>>,
    activity: Option<Arc<crate::node::activity::Activity>>,
}

impl Reporter {
    pub fn new(config: Arc<Config>, proxy_addr: String, usage: Box<UsageFn>) -> Reporter {
        Reporter {
            config,
            proxy_addr,
            usage,
            system: None,
            activity: None,
        }
    }

    /// Also announce this node's system catalog ports and known members.
    pub fn with_system(mut self, system: Arc<crate::node::system::SystemCluster>) -> Reporter {
        self.system = Some(system);
        self
    }

    /// Also announce the databases with sessions here or activity within the hibernation
    /// timeout (what hibernation decisions on every node read).
    pub fn with_activity(mut self, activity: Arc<crate::node::activity::Activity>) -> Reporter {
        self.activity = Some(activity);
        self
    }
}

impl LocalStatus for Reporter {
    fn report(&self) -> LocalReport {
        let used = (self.usage)();
        let d = &self.config.database;
        let range = |start: u16, end: u16| u32::from(end.saturating_sub(start)) + 1;
        let ports = range(d.port_range_http_start, d.port_range_http_end)
            .min(range(d.port_range_raft_start, d.port_range_raft_end));
        // The system replica's pair is reserved; a hibernated replica holds no ports.
        let reserved = u32::from(self.system.is_some());
        LocalReport {
            proxy_addr: self.proxy_addr.clone(),
            capacity: Capacity {
                max_databases: d.max_databases,
                current_databases: used.active,
                hibernated_databases: used.hibernated,
            },
            free_ports: ports.saturating_sub(reserved + used.active),
            load: load_per_cpu(),
            rqlite_host: self.config.node.advertise_host.clone(),
            system_ports: self.system.as_ref().map(|s| s.ports()),
            system_members: self
                .system
                .as_ref()
                .map(|s| s.members())
                .unwrap_or_default(),
            system_epoch: self.system.as_ref().map_or(0, |s| s.epoch()),
            activity: self.activity.as_ref().map_or_else(Vec::new, |a| {
                a.recent(self.config.database.hibernation_timeout)
            }),
        }
    }
}

/// 1-minute load average over the CPU count (Linux); 0 when unknown.
fn load_per_cpu() -> f32 {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f32;
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f32>().ok())
        .map_or(0.0, |l| l / cpus)
}

/// The content of `<data_dir>/status.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusFile {
    pub written_at: SystemTime,
    pub health_check_interval_ms: u64,
    /// This node first.
    pub nodes: Vec<PeerView>,
}

pub fn status_path(data_dir: &Path) -> PathBuf {
    data_dir.join("status.json")
}

/// Rewrites the status file when the peer table changed (at most twice per heartbeat
/// period, however many peers report) until `shutdown`, then removes it (a missing file
/// means no node is running on this data dir).
pub async fn keep_status_file(
    path: PathBuf,
    mut peers: watch::Receiver<Vec<PeerView>>,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(interval / 2);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        match peers.has_changed() {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => break,
        }
        let file = StatusFile {
            written_at: SystemTime::now(),
            health_check_interval_ms: interval.as_millis() as u64,
            nodes: peers.borrow_and_update().clone(),
        };
        if let Err(e) = write_atomically(&path, &file) {
            tracing::warn!("{}: {e}", path.display());
        }
    }
    let _ = std::fs::remove_file(&path);
}

fn write_atomically(path: &Path, file: &StatusFile) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(file)?)?;
    std::fs::rename(&tmp, path)
}

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("no pgrq node is running on {0} (no status file)")]
    NotRunning(String),
    #[error("{path}: {reason}")]
    Unreadable { path: String, reason: String },
}

pub fn read_status(data_dir: &Path) -> Result<StatusFile, StatusError> {
    let path = status_path(data_dir);
    let bytes = std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            StatusError::NotRunning(data_dir.display().to_string())
        } else {
            StatusError::Unreadable {
                path: path.display().to_string(),
                reason: e.to_string(),
            }
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| StatusError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

impl StatusFile {
    /// Whether the writing node stopped updating the file (killed without a clean stop).
    pub fn stale(&self, now: SystemTime) -> Option<Duration> {
        let age = now.duration_since(self.written_at).unwrap_or_default();
        let limit = Duration::from_millis(self.health_check_interval_ms) * MISSED_BEATS;
        (age >= limit).then_some(age)
    }

    /// The table `pgrq status` prints.
    pub fn render(&self, now: SystemTime) -> String {
        let mut out = String::new();
        if let Some(age) = self.stale(now) {
            out.push_str(&format!(
                "warning: the node stopped updating its status {} ago; it is probably not running\n",
                human(age)
            ));
        }
        out.push_str(&format!(
            "{:<60} {:<22} {:<9} {:>14} {:>9} {:>10} {:>10}\n",
            "NODE", "PROXY", "HEALTH", "LAST HEARTBEAT", "ACTIVE", "HIBERNATED", "FREE PORTS"
        ));
        for n in &self.nodes {
            let h = &n.heartbeat;
            let id = if n.is_self {
                format!("{} (this)", h.node_id)
            } else {
                h.node_id.clone()
            };
            let seen = if n.is_self {
                "-".to_string()
            } else {
                format!(
                    "{} ago",
                    human(now.duration_since(n.last_seen).unwrap_or_default())
                )
            };
            out.push_str(&format!(
                "{:<60} {:<22} {:<9} {:>14} {:>9} {:>10} {:>10}\n",
                id,
                h.proxy_addr,
                if n.healthy { "healthy" } else { "unhealthy" },
                seen,
                format!(
                    "{}/{}",
                    h.capacity.current_databases, h.capacity.max_databases
                ),
                h.capacity.hibernated_databases,
                h.free_ports
            ));
        }
        out
    }
}

fn human(d: Duration) -> String {
    if d < Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gossip::Heartbeat;
    use crate::gossip::message::HEARTBEAT_VERSION;

    fn view(id: &str, healthy: bool, is_self: bool, seen: SystemTime) -> PeerView {
        PeerView {
            heartbeat: Heartbeat {
                version: HEARTBEAT_VERSION,
                node_id: id.into(),
                proxy_addr: "127.0.0.1:5431".into(),
                gossip_addrs: vec![],
                capacity: Capacity {
                    max_databases: 90,
                    current_databases: 4,
                    hibernated_databases: 0,
                },
                free_ports: 287,
                load: 0.1,
                interval_ms: 1000,
                rqlite_host: String::new(),
                system_ports: None,
                system_members: vec![],
                system_epoch: 0,
                activity: vec![],
            },
            last_seen: seen,
            healthy,
            is_self,
        }
    }

    #[tokio::test]
    async fn file_follows_the_table_and_goes_at_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let (tx, rx) = watch::channel(vec![]);
        let stop = CancellationToken::new();
        let path = status_path(dir.path());
        let task = tokio::spawn(keep_status_file(
            path.clone(),
            rx,
            Duration::from_secs(1),
            stop.clone(),
        ));
        tx.send_replace(vec![
            view("self", true, true, now),
            view("peer", false, false, now),
        ]);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Ok(s) = read_status(dir.path()) {
                break s;
            }
            assert!(std::time::Instant::now() < deadline, "status never written");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(status.nodes.len(), 2);
        assert!(status.stale(status.written_at).is_none());
        let text = status.render(status.written_at + Duration::from_secs(1));
        assert!(text.contains("self (this)"), "{text}");
        assert!(text.contains("unhealthy"), "{text}");
        assert!(text.contains("4/90"), "{text}");
        assert!(
            status
                .stale(status.written_at + Duration::from_secs(3))
                .is_some()
        );
        stop.cancel();
        task.await.unwrap();
        assert!(matches!(
            read_status(dir.path()),
            Err(StatusError::NotRunning(_))
        ));
    }
}

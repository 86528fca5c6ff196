//! The mechanics of a database's lifecycle on this host, as functions any caller can use
//! (the single-process backend today, the multi-node reconciler later): start a set of
//! replicas and wait until each answers `/readyz` within one deadline, undoing everything
//! on failure; stop a set of replicas gracefully and in parallel (hibernation: rqlited
//! snapshots on SIGTERM, data stays on disk); rewrite a stopped replica's Raft membership
//! with rqlite's `peers.json` when its Raft addresses change; the loop that hibernates idle
//! databases. It decides no placement and no ports, and knows neither SQL nor the catalog.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::activity::Activity;
use super::supervisor::{ReplicaSpec, Supervisor, SupervisorError};

/// Where rqlited looks for a forced Raft configuration on start (renamed to `peers.info`
/// once applied): `store/store.go` `peersPath`, relative to the replica's data dir.
pub const PEERS_JSON: &str = "raft/peers.json";

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("replicas {ids:?} not ready within {waited:?}")]
    Timeout { ids: Vec<String>, waited: Duration },
}

/// One member of a Raft configuration, as `peers.json` holds it (hashicorp/raft's
/// `ReadConfigJSON` format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub id: String,
    pub address: SocketAddr,
    pub non_voter: bool,
}

/// rqlited's marker that `db.sqlite` matches its latest snapshot (restart skips restore).
const CLEAN_SNAPSHOT: &str = "clean_snapshot";

/// Writes `<data_dir>/raft/peers.json` (atomically: temp file, fsync, rename). The replica
/// must be stopped; on its next start rqlited replaces its Raft configuration with `peers`
/// (every replica of the cluster must be given the same list), then renames the file.
///
/// It also removes rqlited's `clean_snapshot` marker, so that the recovering start
/// rebuilds `db.sqlite` from the snapshot store. Measured on rqlited v10.3.0-dev
/// (df4edc42): a recovery on a replica that kept its marker skips that restore, and after
/// the next snapshot the followers' SQLite files had lost every row written before the
/// recovery (the leader's had not).
pub fn write_peers_json(data_dir: &Path, peers: &[Peer]) -> Result<(), LifecycleError> {
    let path = data_dir.join(PEERS_JSON);
    let marker = data_dir.join(CLEAN_SNAPSHOT);
    match std::fs::remove_file(&marker) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(LifecycleError::Io {
                what: format!("cannot remove {}", marker.display()),
                source,
            });
        }
    }
    let io_err = |what: &str, source| LifecycleError::Io {
        what: format!("{what} {}", path.display()),
        source,
    };
    let dir = path.parent().unwrap_or(data_dir);
    std::fs::create_dir_all(dir).map_err(|e| io_err("cannot create the directory of", e))?;
    let body = serde_json::to_vec_pretty(peers)
        .map_err(|e| io_err("cannot encode", io::Error::other(e)))?;
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_err("cannot create", e))?;
    f.write_all(&body)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_err("cannot write", e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_err("cannot rename to", e))
}

/// Whether `port` can be bound on loopback now (nobody listens on it).
pub fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// How long each step of a start took, for the log and the bench.
#[derive(Debug, Clone, Default)]
pub struct StartTiming {
    /// Spawning every process.
    pub spawned: Duration,
    /// Until each replica (in the order given) answered `/readyz`.
    pub ready: Vec<Duration>,
}

impl StartTiming {
    pub fn total(&self) -> Duration {
        self.ready.iter().copied().max().unwrap_or(self.spawned)
    }
}

/// Starts every replica at once, then waits until each answers `/readyz`, all within
/// `deadline`. On any failure every replica it started is stopped again (SIGTERM, then
/// SIGKILL after `grace`), so nothing is left half-started.
pub async fn start_replicas(
    supervisor: &Supervisor,
    http: &reqwest::Client,
    creds: (&str, &str),
    specs: Vec<ReplicaSpec>,
    deadline: Duration,
    grace: Duration,
) -> Result<StartTiming, LifecycleError> {
    let t0 = Instant::now();
    let mut ids = Vec::with_capacity(specs.len());
    let mut result = Ok(StartTiming::default());
    for spec in specs {
        let id = spec.node_id.clone();
        if let Err(e) = supervisor.start(spec).await {
            result = Err(e.into());
            break;
        }
        ids.push(id);
    }
    if let Ok(timing) = result.as_mut() {
        timing.spawned = t0.elapsed();
        let waits = ids.iter().map(|id| async move {
            let remaining = deadline.saturating_sub(t0.elapsed());
            supervisor
                .wait_ready(http, id, creds, remaining)
                .await
                .map(|()| t0.elapsed())
        });
        // The first failure (a replica exited, or the deadline passed) ends the wait.
        match futures::future::try_join_all(waits).await {
            Ok(ready) => timing.ready = ready,
            Err(e) => result = Err(e.into()),
        }
    }
    if result.is_err() {
        stop_replicas(supervisor, &ids, grace).await;
    }
    result
}

/// Stops the replicas in parallel: SIGTERM (rqlited snapshots, steps down and leaves its
/// Raft membership as it is), then SIGKILL after `grace`. Returns the ids that were not
/// running under `supervisor`.
pub async fn stop_replicas(
    supervisor: &Supervisor,
    ids: &[String],
    grace: Duration,
) -> Vec<String> {
    let stops = ids
        .iter()
        .map(|id| async move { (id, supervisor.stop(id, grace).await) });
    let mut unknown = Vec::new();
    for (id, r) in futures::future::join_all(stops).await {
        match r {
            Ok(()) => {}
            Err(SupervisorError::UnknownNode(_)) => unknown.push(id.clone()),
            Err(e) => tracing::warn!(node_id = %id, error = %e, "stopping replica"),
        }
    }
    unknown
}

/// What the hibernation loop needs from whoever runs databases.
#[async_trait]
pub trait Hibernate: Send + Sync {
    /// Hibernates `db` if it still runs and is still idle for `timeout` (checked under the
    /// same lock that a wake takes); whether it was hibernated now.
    async fn hibernate_if_idle(&self, db: &str, timeout: Duration) -> bool;
}

/// Until `stop`: every so often (a quarter of `timeout`, between 50 ms and 10 s), asks
/// `target` to hibernate each database [`Activity`] reports idle for `timeout`.
/// A zero `timeout` disables hibernation (returns at once).
pub async fn hibernation_loop(
    activity: Arc<Activity>,
    timeout: Duration,
    target: Arc<dyn Hibernate>,
    stop: CancellationToken,
) {
    if timeout.is_zero() {
        return;
    }
    let tick = (timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
        for db in activity.idle(timeout) {
            if stop.is_cancelled() {
                return;
            }
            target.hibernate_if_idle(&db, timeout).await;
        }
    }
}

/// Raft timing flags for every replica: heartbeat and election timeout `timeout`, leader
/// lease half of it (hashicorp/raft requires lease ≤ heartbeat ≤ election). A restarted
/// follower campaigns after 1–2 × the heartbeat timeout: most of a wake at rqlite's
/// default of 1s.
pub fn raft_timing_args(timeout: Duration) -> Vec<String> {
    let ms = timeout.as_millis().max(10);
    vec![
        format!("-raft-heartbeat-timeout={ms}ms"),
        format!("-raft-election-timeout={ms}ms"),
        format!("-raft-leader-lease-timeout={}ms", (ms / 2).max(5)),
    ]
}

/// The data directory of replica `node_id` of a database kept under `db_dir`.
pub fn replica_dir(db_dir: &Path, node_id: &str) -> PathBuf {
    db_dir.join("rqlite").join(node_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_json_has_raft_format() {
        let dir = tempfile::tempdir().expect("tempdir");
        let peers = vec![
            Peer {
                id: "app_a-1".into(),
                address: "127.0.0.1:15001".parse().expect("addr"),
                non_voter: false,
            },
            Peer {
                id: "app_a-2".into(),
                address: "127.0.0.1:15002".parse().expect("addr"),
                non_voter: false,
            },
        ];
        write_peers_json(dir.path(), &peers).expect("write");
        let text = std::fs::read_to_string(dir.path().join("raft/peers.json")).expect("read");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            v,
            serde_json::json!([
                {"id": "app_a-1", "address": "127.0.0.1:15001", "non_voter": false},
                {"id": "app_a-2", "address": "127.0.0.1:15002", "non_voter": false}
            ])
        );
        assert!(!dir.path().join("raft/peers.json.tmp").exists());
    }

    #[test]
    fn a_bound_port_is_not_free() {
        let l = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let port = l.local_addr().expect("addr").port();
        assert!(!port_free(port));
        drop(l);
        assert!(port_free(port));
    }

    struct Recorder(std::sync::Mutex<Vec<String>>);

    #[async_trait]
    impl Hibernate for Recorder {
        async fn hibernate_if_idle(&self, db: &str, _timeout: Duration) -> bool {
            self.0.lock().expect("lock").push(db.to_string());
            true
        }
    }

    #[tokio::test]
    async fn the_loop_hibernates_only_idle_databases() {
        let activity = Arc::new(Activity::new());
        activity.touch("app_idle");
        activity.session_opened("app_busy");
        let rec = Arc::new(Recorder(std::sync::Mutex::new(Vec::new())));
        let stop = CancellationToken::new();
        let task = tokio::spawn(hibernation_loop(
            activity.clone(),
            Duration::from_millis(60),
            rec.clone(),
            stop.clone(),
        ));
        let deadline = Instant::now() + Duration::from_secs(10);
        while rec.0.lock().expect("lock").is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.cancel();
        task.await.expect("loop");
        let seen = rec.0.lock().expect("lock").clone();
        assert!(seen.contains(&"app_idle".to_string()), "{seen:?}");
        assert!(!seen.contains(&"app_busy".to_string()), "{seen:?}");
    }

    #[tokio::test]
    async fn zero_timeout_disables_hibernation() {
        let activity = Arc::new(Activity::new());
        let rec = Arc::new(Recorder(std::sync::Mutex::new(Vec::new())));
        // Returns at once although never cancelled.
        hibernation_loop(activity, Duration::ZERO, rec, CancellationToken::new()).await;
    }
}

//! Hibernation under `pgrq node`: deciding that a database sleeps, and stopping this node's
//! replica of it. A database `active` for at least `hibernation_timeout` is hibernated when
//! no node reports a session on it or activity within the timeout (each node's heartbeat
//! carries its `Activity::recent`, this node's own counts are read directly), every active
//! node of the catalog is heard by gossip (an unheard node could be serving it) unless the
//! failure detector holds it dead (unhealthy, or never heard for the detector's grace: it
//! serves no session, and replacement handles its replicas), this node sees a majority of
//! the nodes healthy (else it may be the one cut off), and this
//! node is its decider (the healthy replica holder with the lowest node id; the conditional
//! write `active → hibernating` would resolve several deciders to one anyway). Each
//! replica's node then SIGTERMs its rqlited (graceful: it snapshots, and
//! `-raft-cluster-remove-shutdown=false` keeps the membership); data and the catalog's
//! ports stay (the ports are the replica's preferred ones on wake).
//!
//! A session can open in the window where gossip has not yet carried it to the decider:
//! this node watches its own sessions, and when a database it has a session on is
//! `hibernating` it asks for a wake at once (on the nudge, and on every tick), so the
//! session's requests — which the rqlite client retries while the ports refuse — land on
//! the woken replicas. Waking itself is `node::wake`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::gossip::PeerView;
use crate::node::catalog::{Snapshot, now_ms};
use crate::node::core::NodeCore;
use crate::node::replace::{absent_grace, dead_nodes};
use crate::node::wake;
use crate::syscatalog::{DbState, NodeState, ReplicaRecord};

/// How long a hibernating rqlited may take to snapshot and exit before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Until `stop`: decides hibernations every quarter of `hibernation_timeout` (50 ms – 10 s;
/// never when it is 0) and wakes databases hibernated under a session of this node (on
/// each catalog change, and on each tick).
pub async fn run(core: Arc<NodeCore>, stop: CancellationToken) {
    let timeout = core.config.database.hibernation_timeout;
    let tick = if timeout.is_zero() {
        core.config.discovery.discovery_interval
    } else {
        (timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(10))
    };
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut changes = core.changes();
    let mut active_since: HashMap<String, (i64, Instant)> = HashMap::new();
    let started = Instant::now();
    let grace = absent_grace(&core.config.discovery);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            r = changes.recv() => match r {
                Ok(db) => {
                    if core.activity.sessions(&db) > 0 {
                        let dbs = [db];
                        tokio::select! {
                            () = stop.cancelled() => return,
                            () = wake_under_sessions(&core, &dbs) => {}
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
            _ = ticks.tick() => {
                // Catalog calls may wait out the rqlite deadline (the catalog's other
                // members stopping first at shutdown): a stop must not wait for them.
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tick_work(&core, timeout, &mut active_since, started.elapsed() >= grace) => {}
                }
            }
        }
    }
}

/// One tick: wake what hibernated under this node's sessions, then decide hibernations.
async fn tick_work(
    core: &Arc<NodeCore>,
    timeout: Duration,
    active_since: &mut HashMap<String, (i64, Instant)>,
    absent_counts: bool,
) {
    let with_sessions: Vec<String> = core
        .activity
        .recent(Duration::ZERO)
        .into_iter()
        .map(|a| a.db)
        .collect();
    let snap = core.snapshots().borrow().clone();
    if let Some(snap) = snap {
        let asleep: Vec<String> = with_sessions
            .into_iter()
            .filter(|db| {
                snap.database(db)
                    .is_some_and(|d| d.state == DbState::Hibernating)
            })
            .collect();
        wake_under_sessions(core, &asleep).await;
        if !timeout.is_zero() {
            decide(core, &snap, timeout, active_since, absent_counts).await;
        }
    }
}

/// Asks for a wake of each of `dbs` that the catalog says is hibernating.
async fn wake_under_sessions(core: &Arc<NodeCore>, dbs: &[String]) {
    let Some(catalog) = core.catalog_now() else {
        return;
    };
    for db in dbs {
        let rec = match catalog.snapshot_of(db).await {
            Ok(snap) => snap.database(db).cloned(),
            Err(e) => {
                tracing::debug!(%db, "cannot read the catalog: {e}");
                continue;
            }
        };
        if let Some(rec) = rec.filter(|r| r.state == DbState::Hibernating) {
            tracing::info!(%db, "a session opened here while the database hibernated: waking it");
            if let Err(e) = wake::request(core, &catalog, &rec).await {
                tracing::warn!(%db, "cannot wake: {e}");
            }
        }
    }
}

/// One round of decisions over the catalog as last read.
async fn decide(
    core: &Arc<NodeCore>,
    snap: &Snapshot,
    timeout: Duration,
    active_since: &mut HashMap<String, (i64, Instant)>,
    absent_counts: bool,
) {
    let Some(catalog) = core.catalog_now() else {
        return;
    };
    let peers = core.peers.borrow().clone();
    // A node that sees no majority of the nodes healthy may be the one cut off: it
    // decides nothing (a session could be open where it cannot hear).
    let Some(dead) = dead_nodes(snap, &peers, &core.node_id, absent_counts) else {
        return;
    };
    active_since.retain(|db, _| {
        snap.database(db)
            .is_some_and(|d| d.state == DbState::Active)
    });
    for d in snap.databases.iter().filter(|d| d.state == DbState::Active) {
        let since = active_since
            .entry(d.name.clone())
            .or_insert((d.version, Instant::now()));
        if since.0 != d.version {
            *since = (d.version, Instant::now());
        }
        if since.1.elapsed() < timeout
            || decider(snap, &d.name, &peers) != Some(core.node_id.as_str())
            || !core.activity.is_idle(&d.name, timeout)
            || !idle_everywhere(
                snap,
                &d.name,
                &peers,
                &core.node_id,
                now_ms(),
                timeout,
                &dead,
            )
        {
            continue;
        }
        let claim = format!("hibernate-{}-{:016x}", core.node_id, rand::random::<u64>());
        match catalog.transition(d, DbState::Hibernating, &claim).await {
            Ok(true) => {
                tracing::info!(db = %d.name, "database idle everywhere: hibernating");
                core.nudge(&d.name);
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(db = %d.name, "cannot hibernate: {e}"),
        }
    }
}

/// The node that decides `db`'s hibernation: of its replicas' nodes that gossip sees
/// healthy (this one included), the lowest id.
pub fn decider<'a>(snap: &'a Snapshot, db: &'a str, peers: &[PeerView]) -> Option<&'a str> {
    snap.replicas_of(db)
        .map(|r| r.node_id.as_str())
        .filter(|id| {
            peers
                .iter()
                .any(|p| p.healthy && p.heartbeat.node_id == *id)
        })
        .min()
}

/// Whether every other active (or draining) node of the catalog, but those in `dead`, is
/// heard and reports neither a session on `db` nor activity on it within `timeout` of
/// `now_unix_ms` (the node `me` is checked by its caller, from its own counts). `dead` is
/// the failure detector's verdict (`replace::dead_nodes`): a dead node serves no session,
/// and its replicas are replacement's business, so it must not keep every database awake.
pub fn idle_everywhere(
    snap: &Snapshot,
    db: &str,
    peers: &[PeerView],
    me: &str,
    now_unix_ms: i64,
    timeout: Duration,
    dead: &BTreeSet<String>,
) -> bool {
    let timeout_ms = timeout.as_millis() as i64;
    snap.nodes
        .iter()
        .filter(|n| matches!(n.state, NodeState::Active | NodeState::Draining))
        .filter(|n| n.id != me && !dead.contains(&n.id))
        .all(|n| {
            let Some(p) = peers.iter().find(|p| p.heartbeat.node_id == n.id) else {
                return false;
            };
            p.healthy
                && p.heartbeat.activity.iter().filter(|a| a.db == db).all(|a| {
                    a.sessions == 0
                        && now_unix_ms.saturating_sub(a.last_active_unix_ms as i64) >= timeout_ms
                })
        })
}

/// The reconciler's step for this node's replica of a `hibernating` database: if it runs,
/// record the Raft addresses it runs with (the catalog's now: a membership change since it
/// started, such as a replacement, is then not mistaken on wake for a move), then stop it.
pub async fn on_hibernating(core: &NodeCore, snap: &Snapshot, r: &ReplicaRecord, running: bool) {
    if running {
        wake::record_start(core, snap, r);
        stop_replica(core, r, true).await;
    }
}

/// Stops this node's replica `r` if it runs (SIGTERM; rqlited snapshots on close), keeping
/// its data.
pub async fn stop_replica(core: &NodeCore, r: &ReplicaRecord, running: bool) {
    if !running {
        return;
    }
    let Ok(supervisor) = core.engine.supervisor() else {
        return;
    };
    let t = Instant::now();
    match supervisor.stop(&r.replica_id, STOP_GRACE).await {
        Ok(()) => tracing::info!(
            db = %r.database,
            replica = %r.replica_id,
            stop_ms = t.elapsed().as_millis() as u64,
            "replica hibernated"
        ),
        Err(e) => tracing::warn!(db = %r.database, "stopping a hibernating replica: {e}"),
    }
}

#[cfg(test)]
#[path = "hibernate_tests.rs"]
mod tests;

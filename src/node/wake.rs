//! Waking a hibernated database under `pgrq node`. Whoever needs it (a connecting client,
//! a request, a node with a session on it) moves it `hibernating → waking` with one
//! conditional catalog write: of any number of askers cluster-wide exactly one write
//! applies, the others see `waking` and wait. Each replica's node then restarts its
//! replica with the same node id and data (the reconciler's ordinary restart, no `-join`),
//! on the catalog's ports when they are free. A hibernated replica holds no ports: one
//! whose ports another replica took while it slept (`ports`: only when the node's ranges
//! were full) has none and gets new ones first, and a port taken meanwhile by another
//! process moves that replica to new ports (both conditional writes; the other replicas
//! wait until every replica has ports), and every replica whose recorded
//! Raft addresses (`<db>/raft_peers.json`, written at each start) differ from the
//! catalog's gets rqlite's `raft/peers.json` before it starts (a replica already running
//! with the old addresses is stopped first). Every replica node watches the wake through:
//! once every replica's rqlited answers and a majority answers `/readyz` (past half the
//! bound: only those on nodes gossip hears count, a majority at least), one conditional
//! write makes it `active`. A waiting client does not wait for that write: it proceeds as
//! soon as the same check holds (`serving`). A wake not done within `wake_timeout_secs` is
//! undone by a conditional `waking → hibernating` (the replicas stop again), so the next
//! client simply wakes it anew.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::node::catalog::{Catalog, CatalogError, Snapshot, host_port};
use crate::node::core::NodeCore;
use crate::node::lifecycle::{Peer, write_peers_json};
use crate::node::ports::{self, PortBook};
use crate::node::reconcile::replica_dir;
use crate::rqlite::{Readiness, probe};
use crate::syscatalog::{DatabaseRecord, DbState, ReplicaRecord};

/// Raft addresses the replica was last started with, beside its data dir.
const STARTED_PEERS: &str = "raft_peers.json";

/// How often a wake's watcher probes the replicas' `/readyz`.
pub const PROBE_EVERY: Duration = Duration::from_millis(10);

/// `hibernating → waking` if `rec` (read `hibernating`) is still current; true when this
/// write applied it. Every node is nudged either way.
pub async fn request(
    core: &NodeCore,
    catalog: &Catalog,
    rec: &DatabaseRecord,
) -> Result<bool, CatalogError> {
    let claim = format!("wake-{}-{:016x}", core.node_id, rand::random::<u64>());
    let won = catalog.transition(rec, DbState::Waking, &claim).await?;
    if won {
        tracing::info!(db = %rec.name, "waking database");
    }
    core.nudge(&rec.name);
    Ok(won)
}

/// `waking → hibernating` if `rec` (read `waking`) is still current: a wake that did not
/// finish in time is undone (its replicas stop again) so a later client can retry it.
pub async fn abandon(core: &NodeCore, catalog: &Catalog, rec: &DatabaseRecord, why: &str) {
    let claim = format!(
        "wake-abandoned-{}-{:016x}",
        core.node_id,
        rand::random::<u64>()
    );
    match catalog.transition(rec, DbState::Hibernating, &claim).await {
        Ok(true) => tracing::warn!(db = %rec.name, "wake abandoned: {why}"),
        Ok(false) => {}
        Err(e) => tracing::warn!(db = %rec.name, "cannot abandon the wake: {e}"),
    }
    core.nudge(&rec.name);
}

/// The reconciler's step for this node's replica of a `waking` database, before its usual
/// start: sees the wake through (once per database), keeps the replica's ports (or moves
/// them when another process holds one), and rewrites its Raft membership when any
/// replica's address changed. True when the reconciler may start it (or leave it running).
pub async fn prepare(
    core: &Arc<NodeCore>,
    catalog: &Catalog,
    snap: &Snapshot,
    r: &ReplicaRecord,
    running: bool,
    book: &mut PortBook,
) -> bool {
    watch(core, catalog, &r.database);
    let (Some(http), Some(raft)) = (r.http_port, r.raft_port) else {
        return true;
    };
    let free = running || (bindable(core, http) && bindable(core, raft));
    if !free {
        return move_ports(core, catalog, r, (http, raft), book).await;
    }
    let Some(peers) = raft_peers(snap, &r.database) else {
        return false;
    };
    let dir = replica_dir(&core.config.node.data_dir, &r.database);
    let Some(recorded) = started_peers(&dir) else {
        // Started before this record existed: its addresses are the catalog's.
        return true;
    };
    if recorded == peers {
        return true;
    }
    if running {
        tracing::info!(db = %r.database, "replica runs with old Raft addresses: restarting it");
        crate::node::hibernate::stop_replica(core, r, true).await;
        return false;
    }
    match write_peers_json(&dir, &peers) {
        Ok(()) => {
            tracing::info!(db = %r.database, "Raft addresses changed: peers.json written");
            true
        }
        Err(e) => {
            tracing::warn!(db = %r.database, "cannot write peers.json: {e}");
            false
        }
    }
}

/// Records the Raft addresses `r`'s replica runs with (after the reconciler started it, in
/// any state, and when it hibernates), for the next wake to compare.
pub fn record_start(core: &NodeCore, snap: &Snapshot, r: &ReplicaRecord) {
    let Some(peers) = raft_peers(snap, &r.database) else {
        return;
    };
    let dir = replica_dir(&core.config.node.data_dir, &r.database);
    let Some(parent) = dir.parent() else {
        return;
    };
    let written = serde_json::to_vec(&peers)
        .map_err(std::io::Error::other)
        .and_then(|b| std::fs::write(parent.join(STARTED_PEERS), b));
    if let Err(e) = written {
        tracing::warn!(db = %r.database, "cannot record the Raft addresses: {e}");
    }
}

fn started_peers(dir: &Path) -> Option<Vec<Peer>> {
    let text = std::fs::read(dir.parent()?.join(STARTED_PEERS)).ok()?;
    let recorded: Vec<RecordedPeer> = serde_json::from_slice(&text).ok()?;
    Some(
        recorded
            .into_iter()
            .map(|p| Peer {
                id: p.id,
                address: p.address,
                non_voter: p.non_voter,
            })
            .collect(),
    )
}

#[derive(serde::Deserialize)]
struct RecordedPeer {
    id: String,
    address: SocketAddr,
    non_voter: bool,
}

/// Every replica of `db` as a Raft voter at its catalog address (once all have ports).
fn raft_peers(snap: &Snapshot, db: &str) -> Option<Vec<Peer>> {
    let addrs = snap.raft_addrs(db)?;
    snap.replicas_of(db)
        .zip(addrs)
        .map(|(r, a)| {
            Some(Peer {
                id: r.replica_id.clone(),
                address: a.parse().ok()?,
                non_voter: false,
            })
        })
        .collect()
}

fn bindable(core: &NodeCore, port: u16) -> bool {
    TcpListener::bind((core.host, port)).is_ok()
}

/// Moves this node's replica to new ports (another process took one of its own); false:
/// not startable on this pass (the next pass, nudged, reads the new ports).
async fn move_ports(
    core: &NodeCore,
    catalog: &Catalog,
    r: &ReplicaRecord,
    old: (u16, u16),
    book: &mut PortBook,
) -> bool {
    match ports::claim(core, catalog, r, Some(old), book).await {
        Ok(true) => {
            tracing::info!(db = %r.database, ?old, "a port of the replica was taken: moved");
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(db = %r.database, "cannot wake: {e}"),
    }
    false
}

/// Whether the woken replicas at `addrs` serve: every one's rqlited answers HTTP (its node
/// started it, after `prepare`, on the catalog's ports) and at least `majority` answer
/// `/readyz` (a leader is elected and heard, the store open). The last follower to hear
/// the new leader is not waited for: it catches up by itself.
pub async fn serving(core: &NodeCore, addrs: &[String], majority: usize) -> bool {
    let creds = &core.engine.creds;
    let probes = addrs.iter().map(|a| {
        probe(
            &core.engine.http,
            a,
            &creds.user,
            &creds.password,
            Duration::from_millis(500),
        )
    });
    let found = futures::future::join_all(probes).await;
    !found.contains(&Readiness::Down)
        && found.iter().filter(|r| **r == Readiness::Ready).count() >= majority
}

/// Starts (once per database on this node) the task that makes a `waking` database
/// `active` when its replicas answer, or undoes the wake after `wake_timeout_secs`.
fn watch(core: &Arc<NodeCore>, catalog: &Catalog, db: &str) {
    {
        let mut set = core.finishing.lock().unwrap_or_else(|p| p.into_inner());
        if !set.insert(db.to_string()) {
            return;
        }
    }
    let core = core.clone();
    let catalog = catalog.clone();
    let db = db.to_string();
    tokio::spawn(async move {
        see_through(&core, &catalog, &db).await;
        core.finishing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&db);
    });
}

async fn see_through(core: &NodeCore, catalog: &Catalog, db: &str) {
    let t0 = Instant::now();
    let deadline = t0 + core.engine.deadline;
    loop {
        let snap = match catalog.snapshot_of(db).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(%db, "wake: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(rec) = snap.database(db).filter(|d| d.state == DbState::Waking) else {
            return;
        };
        if Instant::now() >= deadline {
            let why = format!("replicas not ready within {:?}", core.engine.deadline);
            abandon(core, catalog, rec, &why).await;
            return;
        }
        // Every replica must run (a majority answering `/readyz`); only past half the bound
        // may replicas on nodes gossip
        // calls unhealthy be left out (a dead node must not keep the database asleep until
        // it returns; a node missing a few heartbeats under load must not be skipped).
        let peers = core.peers.borrow().clone();
        let lenient = t0.elapsed() >= core.engine.deadline / 2;
        let addrs: Vec<String> = snap
            .replicas_of(db)
            .filter(|r| {
                !lenient
                    || peers
                        .iter()
                        .any(|p| p.healthy && p.heartbeat.node_id == r.node_id)
            })
            .filter_map(|r| {
                let host = &snap.node(&r.node_id)?.rqlite_host;
                Some(host_port(host, r.http_port?))
            })
            .collect();
        let majority = rec.replication_factor as usize / 2 + 1;
        // Re-read the catalog every half second (ports may move); probe in between.
        let until = (Instant::now() + Duration::from_millis(500)).min(deadline);
        while addrs.len() >= majority && Instant::now() < until {
            if serving(core, &addrs, majority).await {
                let ready_ms = t0.elapsed().as_millis() as u64;
                let claim = format!("woken-{}", core.node_id);
                let w = Instant::now();
                match catalog.transition(rec, DbState::Active, &claim).await {
                    Ok(true) => tracing::info!(
                        %db,
                        ready_ms,
                        write_ms = w.elapsed().as_millis() as u64,
                        "database woken"
                    ),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(%db, "cannot mark the woken database active: {e}"),
                }
                core.nudge(db);
                return;
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
        if addrs.len() < majority {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

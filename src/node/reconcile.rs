//! The reconciler of one node: compares the catalog's desired state for this node (the
//! replicas placed here) with the rqlited children running, and converges. For each
//! replica: allocate its ports once (bind-probed, written to the catalog: sticky; when the
//! ranges are full, a hibernated replica's, see `ports`), start it
//! once every replica of its database has ports (`-bootstrap-expect RF -join …` while it has
//! no Raft state; no `-join` on restart), and mark a `creating` database `active` once its
//! cluster answers (conditional write: one winner). A replica placed here for an `active`
//! database (a replacement, see `replace`) first has the members the catalog no longer
//! lists removed from the Raft cluster, then joins the live replicas. A data dir left by
//! another replica id (`<db>/replica_id`) is wiped before a new replica uses it. Replicas
//! the catalog no longer places here are stopped and their data removed; at start-up the
//! data dirs of every database not placed here are removed (orphan cleanup, e.g. replicas
//! replaced while this node was down); those of dropped databases are deleted and their rows
//! forgotten (`drop`). Runs every `discovery_interval` and whenever nudged.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::node::catalog::{Catalog, Snapshot, host_port};
use crate::node::core::NodeCore;
use crate::node::ports::{self, PortBook};
use crate::node::replace::evict_removed_members;
use crate::node::supervisor::ReplicaSpec;
use crate::node::{hibernate, wake};
use crate::syscatalog::{DbState, ReplicaRecord};

/// Directory of a database's replica on its node: `<data_dir>/<db>/rqlite`.
pub fn replica_dir(data_dir: &Path, db: &str) -> std::path::PathBuf {
    data_dir.join(db).join("rqlite")
}

pub async fn run(core: Arc<NodeCore>, stop: CancellationToken) {
    let Some(catalog) = (tokio::select! {
        () = stop.cancelled() => None,
        c = core.catalog(Instant::now() + Duration::from_secs(365 * 24 * 3600)) => c,
    }) else {
        return;
    };
    let activating: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut cleaned = false;
    let period = core.config.discovery.discovery_interval;
    loop {
        let again = match catalog.snapshot().await {
            Ok(snap) => {
                let snap = Arc::new(snap);
                core.publish(snap.clone());
                if !cleaned {
                    remove_orphans(&core, &snap);
                    cleaned = true;
                }
                match step(&core, &catalog, &snap, &activating).await {
                    Ok(again) => again,
                    Err(e) => {
                        tracing::warn!("reconcile: {e}");
                        false
                    }
                }
            }
            Err(e) => {
                tracing::warn!("reconcile: {e}");
                false
            }
        };
        if again {
            continue;
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = core.wake.notified() => {}
            () = tokio::time::sleep(period) => {}
        }
    }
}

/// One pass; true when it changed the catalog and should look again at once.
async fn step(
    core: &Arc<NodeCore>,
    catalog: &Catalog,
    snap: &Snapshot,
    activating: &Arc<Mutex<HashSet<String>>>,
) -> Result<bool, String> {
    let mine: Vec<&ReplicaRecord> = snap
        .replicas
        .iter()
        .filter(|r| r.node_id == core.node_id)
        .filter(|r| {
            snap.database(&r.database)
                .is_some_and(|d| d.state != DbState::Dropped)
        })
        .collect();
    let mut book = PortBook::of(snap, &core.node_id, core.system.ports());
    let supervisor = core.engine.supervisor().map_err(|e| e.to_string())?;
    let running: HashSet<String> = supervisor.running().into_iter().collect();
    // Replicas the catalog no longer places here (replaced while this node was cut off)
    // stop, and their data goes unless another replica of the database is placed here.
    for id in &running {
        let placed = mine.iter().any(|r| &r.replica_id == id);
        if !placed && !id.starts_with("system-") {
            tracing::info!(replica = %id, "stopping a replica no longer placed here");
            let _ = supervisor.stop(id, Duration::from_secs(10)).await;
            if let Some((db, _)) = id.rsplit_once('-')
                && !mine.iter().any(|r| r.database == db)
                && is_database_dir(db)
            {
                remove_data(&core.config.node.data_dir.join(db), db);
            }
        }
    }
    let mut changed = crate::node::drop::forget_dropped(core, catalog, snap).await;
    for r in mine {
        let Some(db) = snap.database(&r.database) else {
            continue;
        };
        let is_running = running.contains(&r.replica_id);
        match db.state {
            DbState::Creating | DbState::Active => {}
            DbState::Hibernating => {
                hibernate::on_hibernating(core, snap, r, is_running).await;
                continue;
            }
            DbState::Waking => {
                changed |= crate::node::evict::make_room(core, catalog, snap, r, &book).await;
                if !wake::prepare(core, catalog, snap, r, is_running, &mut book).await {
                    continue;
                }
            }
            DbState::Dropped => continue,
        }
        let (Some(http), Some(raft)) = (r.http_port, r.raft_port) else {
            match ports::claim(core, catalog, r, None, &mut book).await {
                Ok(won) => changed |= won,
                Err(e) => tracing::warn!(db = %r.database, "cannot allocate ports: {e}"),
            }
            continue;
        };
        if running.contains(&r.replica_id) {
            if db.state == DbState::Creating {
                spawn_activation(core, catalog, r, activating);
            }
            continue;
        }
        // Every replica needs its ports before any can be told whom to join.
        let Some(peers) = snap.raft_addrs(&r.database) else {
            continue;
        };
        let dir = replica_dir(&core.config.node.data_dir, &r.database);
        claim_dir(&dir, &r.database, &r.replica_id);
        let fresh = !dir.join("raft.db").exists();
        let multi = peers.len() > 1;
        // A new replica of a formed cluster (a replacement) joins the others; a new
        // cluster's replicas bootstrap together.
        let joining = fresh && multi && db.state != DbState::Creating;
        let own_raft = host_port(&core.host.to_string(), raft);
        let join: Vec<SocketAddr> = if fresh && multi {
            peers
                .iter()
                .filter(|a| !joining || **a != own_raft)
                .filter_map(|a| a.parse().ok())
                .collect()
        } else {
            Vec::new()
        };
        if joining {
            let own_http = host_port(&core.host.to_string(), http);
            let others: Vec<String> = snap
                .http_addrs(&r.database, &core.node_id)
                .into_iter()
                .filter(|a| *a != own_http)
                .collect();
            if let Err(e) = evict_removed_members(core, catalog, &r.database, others).await {
                tracing::warn!(db = %r.database, "cannot update the membership before joining: {e}");
                continue;
            }
            tracing::info!(db = %r.database, replica = %r.replica_id, "joining as a new replica");
        }
        let spec = ReplicaSpec {
            node_id: r.replica_id.clone(),
            http_addr: SocketAddr::new(core.host, http),
            raft_addr: SocketAddr::new(core.host, raft),
            data_dir: dir,
            join,
            bootstrap_expect: (fresh && multi && !joining).then_some(peers.len() as u32),
            join_as: fresh.then(|| core.engine.creds.user.clone()),
            auth_file: core.engine.auth_file.clone(),
            extra_args: crate::node::lifecycle::raft_timing_args(core.config.rqlite.raft_timeout),
        };
        match supervisor.start(spec).await {
            Ok(()) => {
                wake::record_start(core, snap, r);
                if db.state == DbState::Creating {
                    spawn_activation(core, catalog, r, activating);
                }
            }
            Err(e) => tracing::warn!(db = %r.database, "cannot start replica: {e}"),
        }
    }
    Ok(changed)
}

/// Waits until the local replica of `db` answers `/readyz` (cluster formed, leader known),
/// then moves the database from `creating` to `active` if nobody did yet.
fn spawn_activation(
    core: &Arc<NodeCore>,
    catalog: &Catalog,
    replica: &ReplicaRecord,
    activating: &Arc<Mutex<HashSet<String>>>,
) {
    let db = replica.database.as_str();
    {
        let mut set = activating.lock().unwrap_or_else(|p| p.into_inner());
        if !set.insert(db.to_string()) {
            return;
        }
    }
    let core = core.clone();
    let catalog = catalog.clone();
    let db = db.to_string();
    let id = replica.replica_id.clone();
    let activating = activating.clone();
    tokio::spawn(async move {
        if let Err(e) = activate(&core, &catalog, &db, &id).await {
            tracing::warn!(%db, "activation: {e}");
        }
        activating
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&db);
        core.wake.notify_one();
    });
}

async fn activate(core: &NodeCore, catalog: &Catalog, db: &str, id: &str) -> Result<(), String> {
    let supervisor = core.engine.supervisor().map_err(|e| e.to_string())?;
    let creds = (
        core.engine.creds.user.as_str(),
        core.engine.creds.password.as_str(),
    );
    supervisor
        .wait_ready(&core.engine.http, id, creds, core.engine.deadline)
        .await
        .map_err(|e| e.to_string())?;
    let snap = catalog.snapshot_of(db).await.map_err(|e| e.to_string())?;
    if let Some(rec) = snap.database(db)
        && rec.state == DbState::Creating
    {
        let claim = format!("activate-{}", core.node_id);
        if catalog
            .activate(rec, &claim)
            .await
            .map_err(|e| e.to_string())?
        {
            tracing::info!(%db, "database active");
        }
        core.nudge(db);
    }
    Ok(())
}

/// Removes the data dirs of databases the catalog does not place on this node.
fn remove_orphans(core: &NodeCore, snap: &Snapshot) {
    let data = &core.config.node.data_dir;
    let Ok(entries) = std::fs::read_dir(data) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !is_database_dir(&name) || !e.path().join("rqlite").is_dir() {
            continue;
        }
        let placed = snap.replicas_of(&name).any(|r| r.node_id == core.node_id);
        if !placed {
            remove_data(&e.path(), &name);
        }
    }
}

fn remove_data(path: &Path, db: &str) {
    tracing::info!(%db, "removing the data of a replica no longer placed here");
    if let Err(err) = std::fs::remove_dir_all(path)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(%db, "cannot remove {}: {err}", path.display());
    }
}

/// Makes `dir` (`<db>/rqlite`) the data dir of `replica_id`: Raft state another replica
/// id left there (this node held the database before) is removed, and the owner is
/// recorded in `<db>/replica_id`.
fn claim_dir(dir: &Path, db: &str, replica_id: &str) {
    let Some(parent) = dir.parent() else {
        return;
    };
    let marker = parent.join("replica_id");
    match std::fs::read_to_string(&marker) {
        Ok(owner) if owner.trim() == replica_id => return,
        Ok(owner) => {
            tracing::info!(%db, old = %owner.trim(), new = %replica_id, "discarding another replica's data");
            if let Err(e) = std::fs::remove_dir_all(dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(%db, "cannot remove {}: {e}", dir.display());
            }
        }
        Err(_) => {}
    }
    if let Err(e) =
        std::fs::create_dir_all(parent).and_then(|()| std::fs::write(&marker, replica_id))
    {
        tracing::warn!(%db, "cannot write {}: {e}", marker.display());
    }
}

/// `<app>_<db>`: what a database directory is named (never `_system`, `logs`, `secrets`).
fn is_database_dir(name: &str) -> bool {
    matches!(name.split_once('_'), Some((app, db)) if !app.is_empty() && !db.is_empty())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_dirs_are_told_from_the_node_s_own() {
        assert!(is_database_dir("demo_app"));
        assert!(is_database_dir("shop_a_b"));
        for other in ["_system", "logs", "secrets", "demo_", "Demo_x", "node.key"] {
            assert!(!is_database_dir(other), "{other}");
        }
    }
}

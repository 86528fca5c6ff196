//! `pgrq db drop` under `pgrq node`: one conditional catalog write moves the database to
//! `dropped` (`UPDATE … WHERE version = ?`); from then on no node runs or routes to it.
//! Each node's reconciler stops its replica, deletes its data dir and only then forgets
//! its replica row (`forget_dropped`); the request that deletes the last row deletes the
//! database row too, so the name is free again and the next connection creates a fresh,
//! empty database. A node that is down keeps its row (and the name taken) until it comes
//! back and deletes its data: a re-created database can never meet the old one's data.
//! Sessions open on it (this node's count plus what every healthy node's heartbeat
//! reports) make it refuse, as PostgreSQL's DROP DATABASE does (55006), unless `force`:
//! then each such session's next request finds the database dropped and is terminated
//! (FATAL 57P01, `NodeBackend::run`). A session opened within the last heartbeat period on
//! another node may not be counted yet; it is terminated the same way.

use std::time::Duration;

use crate::node::catalog::{Catalog, Snapshot};
use crate::node::core::NodeCore;
use crate::node::reconcile::replica_dir;
use crate::syscatalog::DbState;

/// How long a drop waits for the sessions using the database to end before refusing
/// (PostgreSQL's DROP DATABASE waits 5 s too); it also covers gossip's lag in reporting a
/// session that just closed on another node.
const SESSIONS_GRACE: Duration = Duration::from_secs(5);

/// Sessions open on `db` on every node: this node's own count, and what the last
/// heartbeat of each other healthy node reports (a node the failure detector holds
/// unhealthy serves none).
pub fn sessions_everywhere(core: &NodeCore, db: &str) -> u32 {
    let others: u32 = core
        .peers
        .borrow()
        .iter()
        .filter(|p| p.healthy && !p.is_self && p.heartbeat.node_id != core.node_id)
        .flat_map(|p| p.heartbeat.activity.iter().filter(|a| a.db == db))
        .map(|a| a.sessions)
        .sum();
    core.activity.sessions(db) + others
}

/// PostgreSQL's refusal of DROP DATABASE while others use it (SQLSTATE 55006).
pub fn in_use(name: &str, sessions: u32) -> String {
    let plural = if sessions == 1 {
        "is 1 other session"
    } else {
        &format!("are {sessions} other sessions")
    };
    format!(
        "ERROR:  database \"{name}\" is being accessed by other users (SQLSTATE {})\n\
         DETAIL:  There {plural} using the database.\n\
         HINT:  close them, or use --force to terminate them (they get 57P01)",
        crate::error::codes::OBJECT_IN_USE
    )
}

/// Records the drop; what was done, or why not. Without `force`, refused while sessions
/// use the database (after waiting up to `SESSIONS_GRACE` for them to end); with it, the
/// sessions are terminated: each one's next request, seeing the database dropped, gets
/// FATAL 57P01 and its connection closes.
pub async fn drop_database(core: &NodeCore, name: &str, force: bool) -> Result<String, String> {
    let catalog = core
        .catalog_now()
        .ok_or("the system catalog is not available yet")?;
    let mut sessions = sessions_everywhere(core, name);
    if !force {
        let until = tokio::time::Instant::now() + SESSIONS_GRACE;
        while sessions > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sessions = sessions_everywhere(core, name);
        }
        if sessions > 0 {
            return Err(in_use(name, sessions));
        }
    }
    let snap = catalog.snapshot_of(name).await.map_err(|e| e.to_string())?;
    let Some(db) = snap.database(name) else {
        return Err(format!("database \"{name}\" does not exist"));
    };
    let replicas = snap.replicas_of(name).count();
    match db.state {
        DbState::Dropped => Ok(format!(
            "{name} is being dropped: {replicas} replica(s) not removed yet"
        )),
        DbState::Creating | DbState::Waking => Err(format!(
            "{name} is {}; try again once it is active",
            db.state.as_str()
        )),
        DbState::Active | DbState::Hibernating => {
            let claim = format!("drop-{}-{:016x}", core.node_id, rand::random::<u64>());
            if !catalog
                .drop_database(db, &claim)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("{name} changed meanwhile; try again"));
            }
            tracing::info!(db = %name, sessions, force, "database dropped");
            core.nudge(name);
            let terminated = if sessions > 0 {
                format!("{sessions} session(s) terminated; ")
            } else {
                String::new()
            };
            Ok(format!(
                "dropped {name}: {terminated}its {replicas} replica(s) stop and their data is \
                 deleted; the name is free once every replica's node has done so"
            ))
        }
    }
}

/// The reconciler's part: for each replica of a dropped database placed on this node,
/// stop it, delete its data and forget its row. True when a row was forgotten.
pub async fn forget_dropped(core: &NodeCore, catalog: &Catalog, snap: &Snapshot) -> bool {
    let mut changed = false;
    let mine = snap.replicas.iter().filter(|r| {
        r.node_id == core.node_id
            && snap
                .database(&r.database)
                .is_some_and(|d| d.state == DbState::Dropped)
    });
    for r in mine {
        if let Ok(supervisor) = core.engine.supervisor()
            && supervisor.running().contains(&r.replica_id)
            && let Err(e) = supervisor
                .stop(&r.replica_id, Duration::from_secs(10))
                .await
        {
            tracing::warn!(db = %r.database, "cannot stop the replica of a dropped database: {e}");
            continue;
        }
        let dir = replica_dir(&core.config.node.data_dir, &r.database);
        if let Some(db_dir) = dir.parent()
            && let Err(e) = std::fs::remove_dir_all(db_dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(db = %r.database, "cannot delete {}: {e}", db_dir.display());
            continue;
        }
        match catalog
            .forget_dropped_replica(&r.database, &core.node_id)
            .await
        {
            Ok(()) => {
                tracing::info!(db = %r.database, "replica of a dropped database deleted");
                core.nudge(&r.database);
                changed = true;
            }
            Err(e) => tracing::warn!(db = %r.database, "cannot forget a dropped replica: {e}"),
        }
    }
    changed
}

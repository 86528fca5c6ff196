//! `pgrq db hibernate|wake|stats` under `pgrq node`: the CLI talks to the node running on
//! its data dir (`<data_dir>/admin.sock`), and that node acts on the whole cluster through
//! the catalog: `hibernate` is the conditional write `active → hibernating` (each replica
//! node then stops its replica; a session open on any node wakes it again at once, see
//! `hibernate`), `wake` is `wake::request` and waits until the database is `active`,
//! `stats` gives each database's catalog state and the sessions gossip reports for it.
//! `node::ops::NodeOps` serves them on the admin socket.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::node::catalog::Catalog;
use crate::node::core::NodeCore;
use crate::node::wake;
use crate::syscatalog::{DatabaseRecord, DbState};

async fn record(core: &NodeCore, db: &str) -> Result<(Catalog, DatabaseRecord), String> {
    let catalog = core
        .catalog_now()
        .ok_or("the system catalog is not available yet")?;
    let snap = catalog.snapshot_of(db).await.map_err(|e| e.to_string())?;
    let rec = snap
        .database(db)
        .filter(|d| d.state != DbState::Dropped)
        .cloned()
        .ok_or_else(|| format!("no database {db}"))?;
    Ok((catalog, rec))
}

/// `active → hibernating` now, whatever its idleness.
pub async fn hibernate_now(core: &NodeCore, db: &str) -> Result<String, String> {
    let (catalog, rec) = record(core, db).await?;
    match rec.state {
        DbState::Active => {}
        DbState::Hibernating => return Ok(format!("{db} is hibernating already")),
        other => return Err(format!("{db} is {}; try again", other.as_str())),
    }
    let claim = format!(
        "hibernate-admin-{}-{:016x}",
        core.node_id,
        rand::random::<u64>()
    );
    let won = catalog
        .transition(&rec, DbState::Hibernating, &claim)
        .await
        .map_err(|e| e.to_string())?;
    core.nudge(db);
    if won {
        tracing::info!(%db, "hibernating on request");
        Ok(format!(
            "hibernating {db} (a session open on it wakes it again)"
        ))
    } else {
        Err(format!("{db} changed meanwhile; try again"))
    }
}

/// Wakes `db` if it hibernates and waits (up to `wake_timeout_secs`) until it is active.
pub async fn wake_now(core: &NodeCore, db: &str) -> Result<String, String> {
    let started = Instant::now();
    let deadline = started + core.engine.deadline;
    let mut changes = core.changes();
    let mut woke = false;
    loop {
        let (catalog, rec) = record(core, db).await?;
        match rec.state {
            DbState::Active if woke => {
                return Ok(format!("woke {db} in {} ms", started.elapsed().as_millis()));
            }
            DbState::Active => return Ok(format!("{db} was running")),
            DbState::Hibernating => {
                wake::request(core, &catalog, &rec)
                    .await
                    .map_err(|e| e.to_string())?;
                woke = true;
            }
            _ => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "{db} is still {} after {:?}",
                rec.state.as_str(),
                core.engine.deadline
            ));
        }
        tokio::select! {
            _ = changes.recv() => {}
            () = tokio::time::sleep(left.min(std::time::Duration::from_millis(100))) => {}
        }
    }
}

/// Per database: its catalog state, and the sessions each node's heartbeat reports.
pub async fn stats(core: &NodeCore) -> Result<serde_json::Value, String> {
    let catalog = core
        .catalog_now()
        .ok_or("the system catalog is not available yet")?;
    let snap = catalog.snapshot().await.map_err(|e| e.to_string())?;
    let peers = core.peers.borrow().clone();
    let mut dbs = BTreeMap::new();
    for d in snap
        .databases
        .iter()
        .filter(|d| d.state != DbState::Dropped)
    {
        let sessions: u32 = peers
            .iter()
            .flat_map(|p| p.heartbeat.activity.iter())
            .filter(|a| a.db == d.name)
            .map(|a| a.sessions)
            .sum();
        dbs.insert(
            d.name.clone(),
            serde_json::json!({
                "state": d.state.as_str(),
                "version": d.version,
                "sessions": sessions,
            }),
        );
    }
    Ok(serde_json::json!({
        "node": core.node_id,
        "databases": dbs,
        "activity": core.activity.snapshot(),
    }))
}

//! Moving replicas between live nodes: the drain of a node (`pgrq node drain`: its state
//! becomes `draining`, it gets no new replica, and each of its replicas is moved away) and
//! the re-replication of a database with fewer replicas than its replication factor (left
//! so by a recovery that found too few nodes). A move never lowers a database's
//! redundancy: first a replica is added on a node chosen by `placement` (one conditional
//! catalog write; that node's reconciler joins it as a voter), then, once every staying
//! replica is a reachable member and has applied what the cluster had committed when the
//! check began, the leaving replica hands leadership away if it holds it, is removed from
//! the Raft configuration, and its row goes (a second conditional write); its node's
//! reconciler then stops it and deletes its data. Each database is driven by one node (the
//! holder of its first staying replica), every pass; the writes' version guards make a
//! second driver harmless. Only databases whose replicas' nodes are all healthy move: a
//! dead node's replica is `replace`'s, a lost majority `pgrq db recover`'s. A hibernated
//! database with a replica on a draining node is woken first (by the same driver), then
//! moves like any other, and hibernates again once idle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::node::catalog::{Catalog, Snapshot};
use crate::node::core::NodeCore;
use crate::node::inventory;
use crate::node::placement::{NodeInventory, place};
use crate::node::replace::fresh_replica_id;
use crate::syscatalog::{DatabaseRecord, DbState, NodeState, ReplicaRecord};

/// How long a staying replica may take to catch up before the pass gives up (and the next
/// pass tries again).
const CATCH_UP: Duration = Duration::from_secs(30);
const MEMBER_PROBE: Duration = Duration::from_secs(2);

/// One step for one database.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    /// Add `new` (a node that holds none of its replicas).
    Add {
        database: DatabaseRecord,
        new: ReplicaRecord,
    },
    /// Enough replicas stay: retire the one on a draining node.
    Retire {
        database: DatabaseRecord,
        leaving: ReplicaRecord,
    },
    /// A hibernated database with a replica on a draining node: wake it, so it can move
    /// (it hibernates again once idle).
    Wake { database: DatabaseRecord },
}

/// Whether a node takes no more replicas and gives its own away.
fn leaving(snap: &Snapshot, node_id: &str) -> bool {
    snap.node(node_id)
        .is_none_or(|n| matches!(n.state, NodeState::Draining | NodeState::Removed))
}

/// The moves `me` drives now (at most one per database), and what cannot move, with why.
/// `healthy` tells the nodes gossip hears (`me` included).
pub fn plan(
    snap: &Snapshot,
    inventory: &[NodeInventory],
    healthy: &dyn Fn(&str) -> bool,
    me: &str,
) -> (Vec<Move>, Vec<String>) {
    let mut moves = Vec::new();
    let mut stuck = Vec::new();
    for db in snap
        .databases
        .iter()
        .filter(|d| d.state == DbState::Hibernating)
    {
        let reps: Vec<&ReplicaRecord> = snap.replicas_of(&db.name).collect();
        let driver = reps
            .iter()
            .find(|r| !leaving(snap, &r.node_id))
            .or(reps.first())
            .map(|r| r.node_id.as_str());
        if reps.iter().any(|r| leaving(snap, &r.node_id))
            && reps.iter().all(|r| healthy(&r.node_id))
            && driver == Some(me)
        {
            moves.push(Move::Wake {
                database: db.clone(),
            });
        }
    }
    for db in snap.databases.iter().filter(|d| d.state == DbState::Active) {
        let reps: Vec<&ReplicaRecord> = snap.replicas_of(&db.name).collect();
        if reps.is_empty() || !reps.iter().all(|r| healthy(&r.node_id)) {
            continue;
        }
        let (gone, staying): (Vec<&ReplicaRecord>, Vec<&ReplicaRecord>) =
            reps.iter().partition(|r| leaving(snap, &r.node_id));
        let rf = db.replication_factor as usize;
        if gone.is_empty() && staying.len() >= rf {
            continue;
        }
        let driver = staying.first().or(reps.first()).map(|r| r.node_id.as_str());
        if driver != Some(me) {
            continue;
        }
        if staying.len() < rf {
            let candidates: Vec<NodeInventory> = inventory
                .iter()
                .filter(|n| !reps.iter().any(|r| r.node_id == n.id))
                .cloned()
                .collect();
            match place(&candidates, 1, &db.name) {
                Ok(nodes) => {
                    if let Some(node) = nodes.into_iter().next() {
                        moves.push(Move::Add {
                            database: db.clone(),
                            new: ReplicaRecord {
                                database: db.name.clone(),
                                node_id: node,
                                replica_id: fresh_replica_id(db),
                                http_port: None,
                                raft_port: None,
                            },
                        });
                    }
                }
                Err(e) => stuck.push(format!(
                    "{}: {} of {rf} replicas on nodes that stay, and no node can take one: {e}",
                    db.name,
                    staying.len()
                )),
            }
        } else if let Some(l) = gone.first() {
            moves.push(Move::Retire {
                database: db.clone(),
                leaving: (*l).clone(),
            });
        }
    }
    (moves, stuck)
}

/// Every `discovery_interval` and whenever the catalog changes: plans from the catalog as
/// this node's reconciler last read it and carries the moves out. Runs until `stop`.
pub async fn run(core: Arc<NodeCore>, stop: CancellationToken) {
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let Some(catalog) = (tokio::select! {
        () = stop.cancelled() => None,
        c = core.catalog(far) => c,
    }) else {
        return;
    };
    let mut changes = core.changes();
    let mut reported = std::collections::HashSet::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = changes.recv() => {}
            () = tokio::time::sleep(core.config.discovery.discovery_interval) => {}
        }
        let Some(published) = core.snapshots().borrow().clone() else {
            continue;
        };
        // Cheap test on the published catalog before reading it afresh.
        let busy = published.databases.iter().any(|d| {
            let n = published.replicas_of(&d.name).count();
            let moving = published
                .replicas_of(&d.name)
                .any(|r| leaving(&published, &r.node_id));
            match d.state {
                DbState::Active => n < d.replication_factor as usize || moving,
                DbState::Hibernating => moving,
                _ => false,
            }
        });
        if !busy {
            continue;
        }
        let snap = match catalog.snapshot().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("drain: {e}");
                continue;
            }
        };
        let peers = core.peers.borrow().clone();
        let me = core.node_id.clone();
        let healthy =
            |id: &str| id == me || peers.iter().any(|p| p.heartbeat.node_id == id && p.healthy);
        let inventory = inventory::from_catalog(&snap, &peers);
        let (moves, stuck) = plan(&snap, &inventory, &healthy, &me);
        for why in stuck {
            if reported.insert(why.clone()) {
                tracing::warn!("cannot move a replica: {why}");
            }
        }
        for m in moves {
            if let Err(e) = carry_out(&core, &catalog, &snap, &m).await {
                tracing::info!("move not done yet: {e}");
            }
        }
    }
}

async fn carry_out(
    core: &NodeCore,
    catalog: &Catalog,
    snap: &Snapshot,
    m: &Move,
) -> Result<(), String> {
    let claim = format!("move-{}-{:016x}", core.node_id, rand::random::<u64>());
    match m {
        Move::Add { database, new } => {
            if catalog
                .add_replica(database, new, &claim)
                .await
                .map_err(|e| e.to_string())?
            {
                tracing::info!(db = %database.name, to = %new.node_id, replica = %new.replica_id, "replica added");
                core.nudge(&database.name);
            }
            Ok(())
        }
        Move::Retire { database, leaving } => {
            retire(core, catalog, snap, database, leaving, &claim).await
        }
        Move::Wake { database } => {
            if crate::node::wake::request(core, catalog, database)
                .await
                .map_err(|e| e.to_string())?
            {
                tracing::info!(db = %database.name, "woken to move it off a draining node");
            }
            Ok(())
        }
    }
}

/// Removes `leaving` from `db` once the staying replicas are caught-up members.
async fn retire(
    core: &NodeCore,
    catalog: &Catalog,
    snap: &Snapshot,
    db: &DatabaseRecord,
    leaving: &ReplicaRecord,
    claim: &str,
) -> Result<(), String> {
    let name = &db.name;
    let staying: Vec<&ReplicaRecord> = snap
        .replicas_of(name)
        .filter(|r| r.replica_id != leaving.replica_id)
        .collect();
    let addr = |r: &ReplicaRecord| -> Option<String> {
        let host = &snap.node(&r.node_id)?.rqlite_host;
        Some(crate::node::catalog::host_port(host, r.http_port?))
    };
    let staying_addrs: Vec<String> = staying.iter().filter_map(|r| addr(r)).collect();
    if staying_addrs.len() != staying.len() {
        return Err(format!("{name}: a new replica has no ports yet"));
    }
    let all: Vec<String> = snap.http_addrs(name, &core.node_id);
    let client = core.engine.client(all);
    let members = client
        .members(MEMBER_PROBE)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    for r in &staying {
        if !members.iter().any(|m| m.id == r.replica_id && m.reachable) {
            return Err(format!("{name}: {} has not joined yet", r.replica_id));
        }
    }
    let is_member = members.iter().any(|m| m.id == leaving.replica_id);
    if is_member {
        catch_up(core, &client, name, &staying_addrs).await?;
        if client.leader().await.ok().flatten().as_deref() == Some(leaving.replica_id.as_str()) {
            match client.stepdown().await {
                Ok(()) => {
                    tracing::info!(db = %name, replica = %leaving.replica_id, "leadership handed over")
                }
                Err(e) => tracing::warn!(db = %name, "leader stepdown: {e}"),
            }
        }
        let rest = core.engine.client(staying_addrs);
        rest.remove_node(&leaving.replica_id)
            .await
            .map_err(|e| format!("{name}: removing {}: {e}", leaving.replica_id))?;
        tracing::info!(db = %name, replica = %leaving.replica_id, "left the Raft cluster");
    }
    if catalog
        .remove_replica(db, &leaving.node_id, claim)
        .await
        .map_err(|e| e.to_string())?
    {
        tracing::info!(db = %name, from = %leaving.node_id, replica = %leaving.replica_id, "replica moved away");
        core.nudge(name);
    }
    Ok(())
}

/// Waits until each staying replica has applied the log up to the commit index the
/// cluster's leader reported at the start.
async fn catch_up(
    _core: &NodeCore,
    client: &crate::rqlite::ClusterClient,
    name: &str,
    staying: &[String],
) -> Result<(), String> {
    let index = |v: &serde_json::Value, key: &str| {
        v.pointer(&format!("/store/raft/{key}"))
            .and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok()))
    };
    let mut target = 0;
    for n in client.nodes() {
        if let Ok(s) = client.node_status(n).await
            && s.pointer("/store/raft/state").and_then(|x| x.as_str()) == Some("Leader")
        {
            target = index(&s, "commit_index").unwrap_or(0);
        }
    }
    if target == 0 {
        return Err(format!("{name}: no leader reported its commit index"));
    }
    let deadline = Instant::now() + CATCH_UP;
    loop {
        let mut behind = Vec::new();
        for n in staying {
            let applied = match client.node_status(n).await {
                Ok(s) => index(&s, "applied_index").unwrap_or(0),
                Err(_) => 0,
            };
            if applied < target {
                behind.push(format!("{n} at {applied}"));
            }
        }
        if behind.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{name}: behind commit index {target}: {}",
                behind.join(", ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
#[path = "drain_tests.rs"]
mod tests;

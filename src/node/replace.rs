//! Failure detection and replica replacement. A node is dead when the catalog lists it as
//! active and gossip marks it unhealthy (no heartbeat for 3 × `health_check_interval`), or
//! has never heard of it although this node has gossiped for `absent_grace`. A node that
//! sees fewer than a majority of the active nodes healthy (itself included) decides
//! nothing: it may be the one cut off. A verdict must hold for another 3 heartbeat
//! periods before it is acted on (a node starved of CPU misses beats and comes back).
//!
//! Deciding (`run`, `plan`): for each active database with a replica on a dead node and a
//! majority of its replicas alive, the nodes holding its live replicas propose a healthy
//! node with capacity chosen by `placement` (nodes already holding a replica excluded) and
//! a fresh, never-used replica id (`<db>-v<version>`). Before proposing, the database's
//! own cluster must confirm it (`confirm`): its Raft membership is exactly the catalog's
//! replicas (an earlier replacement finished; a dead replica that never joined is left
//! out), the dead node's replica is unreachable and
//! every other one reachable, so a replacement never costs the majority and gossip alone
//! never moves a live replica. One conditional catalog write
//! (`UPDATE … WHERE version = ?`, then the row swap under the write's claim) decides, so
//! of several nodes noticing at once exactly one wins. Executing is the reconcilers': the
//! chosen node allocates ports, removes from the Raft cluster every member the catalog no
//! longer lists (`evict_removed_members`) and joins the live ones; the dead node, once
//! back, stops and deletes what is no longer placed on it. This module never starts or
//! stops rqlited.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::gossip::PeerView;
use crate::gossip::peers::MISSED_BEATS;
use crate::node::catalog::{Catalog, Snapshot, host_port};
use crate::node::core::NodeCore;
use crate::node::inventory;
use crate::node::placement::{NodeInventory, place};
use crate::rqlite::{ClusterClient, Member};
use crate::syscatalog::{DatabaseRecord, DbState, NodeState, ReplicaRecord};

/// How long rqlite may spend probing a member while listing the membership.
const MEMBER_PROBE: Duration = Duration::from_secs(2);
/// How long a confirmation may take against a database's live replicas.
const CONFIRM_DEADLINE: Duration = Duration::from_secs(5);

/// One decision to propose: `dead_node`'s replica of `database` moves to `new`.
#[derive(Debug, Clone, PartialEq)]
pub struct Replacement {
    pub database: DatabaseRecord,
    pub dead_node: String,
    pub new: ReplicaRecord,
}

/// The active (or draining) nodes of the catalog this node holds dead, or `None` when it sees no
/// majority of them healthy (itself counted healthy). `absent_counts`: a node gossip never
/// heard of counts as dead (only after this node has gossiped long enough).
pub fn dead_nodes(
    snap: &Snapshot,
    peers: &[PeerView],
    me: &str,
    absent_counts: bool,
) -> Option<BTreeSet<String>> {
    let active: Vec<&str> = snap
        .nodes
        .iter()
        .filter(|n| matches!(n.state, NodeState::Active | NodeState::Draining))
        .map(|n| n.id.as_str())
        .collect();
    let mut dead = BTreeSet::new();
    let mut healthy = 0;
    for id in &active {
        if *id == me {
            healthy += 1;
            continue;
        }
        match peers.iter().find(|p| p.heartbeat.node_id == *id) {
            Some(p) if p.healthy => healthy += 1,
            Some(_) => {
                dead.insert(id.to_string());
            }
            None if absent_counts => {
                dead.insert(id.to_string());
            }
            None => {}
        }
    }
    (healthy * 2 > active.len()).then_some(dead)
}

/// How long a node must have gossiped before a node of the catalog it never heard of
/// counts as dead: max(30 s, 3 heartbeats + 3 discovery intervals).
pub fn absent_grace(disc: &crate::config::DiscoveryConfig) -> Duration {
    (disc.health_check_interval * MISSED_BEATS + disc.discovery_interval * 3)
        .max(Duration::from_secs(30))
}

/// A replica id no replica of `db` ever had: creation uses `<db>-<n>`, and each
/// replacement bumps the version it is named after.
pub fn fresh_replica_id(db: &DatabaseRecord) -> String {
    format!("{}-v{}", db.name, db.version + 1)
}

/// The replacements `me` proposes (one per database and pass), and the databases it
/// cannot repair, with why.
pub fn plan(
    snap: &Snapshot,
    inventory: &[NodeInventory],
    dead: &BTreeSet<String>,
    me: &str,
) -> (Vec<Replacement>, Vec<String>) {
    let mut todo = Vec::new();
    let mut stuck = Vec::new();
    for db in snap.databases.iter().filter(|d| d.state == DbState::Active) {
        let reps: Vec<&ReplicaRecord> = snap.replicas_of(&db.name).collect();
        let Some(gone) = reps.iter().find(|r| dead.contains(&r.node_id)) else {
            continue;
        };
        // The holders of its live replicas decide (they notice first, and are few).
        if !reps.iter().any(|r| r.node_id == me) {
            continue;
        }
        let live = reps.iter().filter(|r| !dead.contains(&r.node_id)).count();
        if live * 2 <= reps.len() {
            stuck.push(format!(
                "{}: only {live} of {} replicas alive, no majority to change its membership \
                 (pgrq db recover)",
                db.name,
                reps.len()
            ));
            continue;
        }
        let candidates: Vec<NodeInventory> = inventory
            .iter()
            .filter(|n| !dead.contains(&n.id) && !reps.iter().any(|r| r.node_id == n.id))
            .cloned()
            .collect();
        let chosen = match place(&candidates, 1, &db.name) {
            Ok(c) => c,
            Err(e) => {
                stuck.push(format!(
                    "{}: no node can take the replica of dead node {}: {e}",
                    db.name, gone.node_id
                ));
                continue;
            }
        };
        let Some(node) = chosen.into_iter().next() else {
            continue;
        };
        todo.push(Replacement {
            database: db.clone(),
            dead_node: gone.node_id.clone(),
            new: ReplicaRecord {
                database: db.name.clone(),
                node_id: node,
                replica_id: fresh_replica_id(db),
                http_port: None,
                raft_port: None,
            },
        });
    }
    (todo, stuck)
}

/// The detector: every `health_check_interval`, looks for dead nodes in the catalog the
/// reconciler last read; when there are, reads the catalog afresh and proposes the
/// replacements. Runs until `stop`.
pub async fn run(core: Arc<NodeCore>, stop: CancellationToken) {
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let Some(catalog) = (tokio::select! {
        () = stop.cancelled() => None,
        c = core.catalog(far) => c,
    }) else {
        return;
    };
    let started = Instant::now();
    let period = core.config.discovery.health_check_interval;
    let absent_grace = absent_grace(&core.config.discovery);
    let snaps = core.snapshots();
    let mut reported: HashSet<String> = HashSet::new();
    let mut dead_since: HashMap<String, Instant> = HashMap::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(period) => {}
        }
        let Some(published) = snaps.borrow().clone() else {
            continue;
        };
        let peers = core.peers.borrow().clone();
        let absent = started.elapsed() >= absent_grace;
        let now = Instant::now();
        match dead_nodes(&published, &peers, &core.node_id, absent) {
            Some(dead) if !dead.is_empty() => {
                dead_since.retain(|id, _| dead.contains(id));
                for id in dead {
                    dead_since.entry(id).or_insert(now);
                }
            }
            _ => {
                dead_since.clear();
                reported.clear();
                continue;
            }
        }
        let confirmed = |id: &str| {
            dead_since
                .get(id)
                .is_some_and(|t| now.duration_since(*t) >= period * MISSED_BEATS)
        };
        // Nothing to do (and no catalog read) unless a confirmed dead node holds a replica.
        let holds_replica = |id: &str| published.replicas.iter().any(|r| r.node_id == id);
        if !dead_since
            .keys()
            .any(|id| confirmed(id) && holds_replica(id))
        {
            continue;
        }
        // Decide on the catalog as it is now, not as last published.
        let snap = match catalog.snapshot().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("failure detector: {e}");
                continue;
            }
        };
        let Some(mut dead) = dead_nodes(&snap, &peers, &core.node_id, absent) else {
            continue;
        };
        dead.retain(|id| confirmed(id));
        let inventory = inventory::from_catalog(&snap, &peers);
        let (todo, stuck) = plan(&snap, &inventory, &dead, &core.node_id);
        for why in stuck {
            if reported.insert(why.clone()) {
                tracing::warn!("cannot replace a dead replica: {why}");
            }
        }
        for db in crate::node::creating::stuck(&snap, &dead) {
            crate::node::creating::roll_back(&core, &catalog, &db).await;
        }
        for r in todo {
            match confirm(&core, &snap, &r).await {
                Ok(()) => decide(&core, &catalog, &r).await,
                Err(why) => {
                    tracing::info!(db = %r.database.name, "replacement not confirmed: {why}")
                }
            }
        }
    }
}

/// Asks the database's live replicas whether replacing `r.dead_node`'s replica is safe:
/// the Raft membership is exactly the catalog's replicas, the dead one is unreachable and
/// every other one is reachable.
async fn confirm(core: &NodeCore, snap: &Snapshot, r: &Replacement) -> Result<(), String> {
    let db = &r.database.name;
    let reps: Vec<&ReplicaRecord> = snap.replicas_of(db).collect();
    let live: Vec<String> = reps
        .iter()
        .filter(|x| x.node_id != r.dead_node)
        .filter_map(|x| {
            let host = &snap.node(&x.node_id)?.rqlite_host;
            Some(host_port(host, x.http_port?))
        })
        .collect();
    let e = &core.engine;
    let client = ClusterClient::new(
        e.http.clone(),
        e.write_http.clone(),
        live,
        e.creds.clone(),
        CONFIRM_DEADLINE,
    );
    let members = client
        .members(MEMBER_PROBE)
        .await
        .map_err(|e| e.to_string())?;
    check_members(&reps, &r.dead_node, &members)
}

/// `confirm`'s rule on the membership a live replica reported.
pub fn check_members(
    reps: &[&ReplicaRecord],
    dead_node: &str,
    members: &[Member],
) -> Result<(), String> {
    // A dead replica that never joined (its node died before it could: a replacement or
    // a drain's new replica) is no member; the others must be exactly the membership.
    let dead_joined = reps
        .iter()
        .any(|x| x.node_id == dead_node && members.iter().any(|m| m.id == x.replica_id));
    let mut want: Vec<&str> = reps
        .iter()
        .filter(|x| dead_joined || x.node_id != dead_node)
        .map(|x| x.replica_id.as_str())
        .collect();
    let mut have: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    want.sort_unstable();
    have.sort_unstable();
    if want != have {
        return Err(format!(
            "Raft members {have:?} are not the catalog's {want:?} yet"
        ));
    }
    for x in reps {
        let reachable = members.iter().any(|m| m.id == x.replica_id && m.reachable);
        let dead = x.node_id == dead_node;
        if dead && !dead_joined {
            continue;
        }
        if dead && reachable {
            return Err(format!("{} still answers its peers", x.replica_id));
        }
        if !dead && !reachable {
            return Err(format!("{} is unreachable too", x.replica_id));
        }
    }
    Ok(())
}

async fn decide(core: &NodeCore, catalog: &Catalog, r: &Replacement) {
    let claim = format!("replace-{}-{:016x}", core.node_id, rand::random::<u64>());
    let db = &r.database.name;
    match catalog
        .replace_replica(&r.database, &r.dead_node, &r.new, &claim)
        .await
    {
        Ok(true) => {
            tracing::info!(
                %db,
                dead = %r.dead_node,
                to = %r.new.node_id,
                replica = %r.new.replica_id,
                "replica on a dead node replaced"
            );
            core.nudge(db);
        }
        Ok(false) => tracing::debug!(%db, "another node decided this replacement first"),
        Err(e) => tracing::warn!(%db, "replacement not recorded: {e}"),
    }
}

/// Before a new replica joins `db`'s cluster: removes from its Raft configuration every
/// member the catalog no longer lists (a dead replica that was replaced), through the live
/// replicas at `http_addrs`. The membership is read before the catalog, so a member that
/// joined meanwhile is already in the catalog (rows are written before replicas start).
pub async fn evict_removed_members(
    core: &NodeCore,
    catalog: &Catalog,
    db: &str,
    http_addrs: Vec<String>,
) -> Result<(), String> {
    let client = core.engine.client(http_addrs);
    let members = client
        .members(MEMBER_PROBE)
        .await
        .map_err(|e| e.to_string())?;
    let snap = catalog.snapshot().await.map_err(|e| e.to_string())?;
    let placed: HashSet<&str> = snap
        .replicas_of(db)
        .map(|r| r.replica_id.as_str())
        .collect();
    for id in members
        .iter()
        .map(|m| &m.id)
        .filter(|m| !placed.contains(m.as_str()))
    {
        tracing::info!(%db, replica = %id, "removing a replaced replica from the Raft cluster");
        client.remove_node(id).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "replace_tests.rs"]
mod tests;

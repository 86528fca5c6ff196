//! Room for a wake. A hibernated database's replicas wake on the nodes that hold them, and
//! such a node may be full: as many running databases as `max_databases`, or no free port
//! pair left (the hibernated ones' ports were all taken). Then the node hibernates the
//! database it holds that has been idle longest (no session on any node, no query here or,
//! as gossip reports, elsewhere for at least `MIN_IDLE`) by the same conditional write as
//! an idle hibernation (`active → hibernating`); its replica stops, and the waking replica
//! gets its place (its ports, see `ports::PortBook`) on the next pass. Running databases
//! are a cache of the ones on disk, evicted least recently used. With every running
//! database in use the wake waits, and fails with 57P03 after `wake_timeout_secs`.
//!
//! It reads the catalog snapshot, this node's activity and gossip; it writes one catalog
//! transition and nudges; it never stops a process itself (the reconcilers do).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::gossip::{DbActivity, PeerView};
use crate::node::catalog::{Catalog, Snapshot};
use crate::node::core::NodeCore;
use crate::node::inventory::usage;
use crate::node::ports::PortBook;
use crate::syscatalog::{DbState, ReplicaRecord};

/// A database used this recently is never hibernated to make room.
pub const MIN_IDLE: Duration = Duration::from_secs(1);

/// Why this node needs room for the waking replica `r`, if it does.
pub fn room_needed(
    snap: &Snapshot,
    node_id: &str,
    r: &ReplicaRecord,
    max_databases: u32,
    ports_free: bool,
) -> Option<String> {
    let running = usage(snap, node_id).active;
    if max_databases > 0 && running > max_databases {
        return Some(format!(
            "{running} databases would run here (max_databases = {max_databases})"
        ));
    }
    if (r.http_port.is_none() || r.raft_port.is_none()) && !ports_free {
        return Some("no free port pair left here".into());
    }
    None
}

/// The database to hibernate for room (pure): of the `active` databases with a replica on
/// `node_id` other than `waking`, those with no session in `mine` (this node's activity)
/// nor in any peer's heartbeat, and no activity within `min_idle` of `now_ms`; the one
/// idle longest (ties: by name).
pub fn victim(
    snap: &Snapshot,
    node_id: &str,
    waking: &str,
    mine: &[DbActivity],
    peers: &[PeerView],
    now_ms: u64,
    min_idle: Duration,
) -> Option<String> {
    let reports = || {
        mine.iter()
            .chain(peers.iter().flat_map(|p| p.heartbeat.activity.iter()))
    };
    let min_idle = min_idle.as_millis() as u64;
    snap.replicas
        .iter()
        .filter(|r| r.node_id == node_id && r.database != waking)
        .filter(|r| {
            snap.database(&r.database)
                .is_some_and(|d| d.state == DbState::Active)
        })
        .filter_map(|r| {
            let db = r.database.as_str();
            let mut last = 0u64;
            for a in reports().filter(|a| a.db == db) {
                if a.sessions > 0 {
                    return None;
                }
                last = last.max(a.last_active_unix_ms);
            }
            (now_ms.saturating_sub(last) >= min_idle).then_some((last, db))
        })
        .min()
        .map(|(_, db)| db.to_string())
}

/// For this node's replica `r` of a waking database: when the node is full, asks for the
/// hibernation of its longest-idle database. True when that write applied.
pub async fn make_room(
    core: &NodeCore,
    catalog: &Catalog,
    snap: &Snapshot,
    r: &ReplicaRecord,
    book: &PortBook,
) -> bool {
    let d = &core.config.database;
    let ports_free = book.choose(d, core.host).is_ok();
    let Some(why) = room_needed(snap, &core.node_id, r, d.max_databases, ports_free) else {
        return false;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.as_millis() as u64);
    let peers = core.peers.borrow().clone();
    let mine = core.activity.snapshot();
    let found = victim(
        snap,
        &core.node_id,
        &r.database,
        &mine,
        &peers,
        now_ms,
        MIN_IDLE,
    );
    let Some(rec) = found.and_then(|v| snap.database(&v).cloned()) else {
        tracing::warn!(db = %r.database, "cannot wake here yet: {why}, and every running database is in use");
        return false;
    };
    let claim = format!("evict-{}-{:016x}", core.node_id, rand::random::<u64>());
    match catalog.transition(&rec, DbState::Hibernating, &claim).await {
        Ok(true) => {
            tracing::info!(db = %rec.name, waking = %r.database, "hibernating the longest-idle database to make room for a wake: {why}");
            core.nudge(&rec.name);
            true
        }
        Ok(false) => false,
        Err(e) => {
            tracing::warn!(db = %rec.name, "cannot hibernate it to make room: {e}");
            false
        }
    }
}

#[cfg(test)]
#[path = "evict_tests.rs"]
mod tests;

//! The system catalog's own membership over time: a member whose node died is replaced,
//! and a member on a draining node is moved, one change at a time and never below a
//! majority.
//!
//! The members are recorded in the catalog itself (`meta.system_members`: an epoch and the
//! members, written once from the formation, then changed only by a conditional swap), and
//! kept by every node in `system.json` (`system::SystemCluster::adopt`), which also
//! announces them with their epoch in its heartbeat, so a node whose known members all
//! moved away still learns the new ones from gossip. Every node, each pass (`sync`): adopts
//! a newer membership (from the catalog, else from gossip) and points its catalog client
//! at it; starts its replica when it is a member (a member added later starts fresh and
//! joins); and once it is no longer a member and the Raft configuration no longer lists
//! it, stops its replica and deletes its data.
//!
//! Only the node whose replica leads the system cluster decides (`lead`, `next_step`, pure):
//! a Raft member no longer in the recorded set is removed (at once when unreachable, so a
//! dead member goes first and the live ones keep their majority; when reachable, i.e. a
//! moved member, only after every recorded member is reachable in the configuration and
//! has applied the leader's commit index, the leader first handing leadership away if it
//! is the one leaving); a member on a node gossip has held dead for 3 more heartbeat
//! periods (unreachable, with a majority of the members reachable) is first removed from
//! the Raft configuration, then swapped for a healthy active non-member by one conditional
//! write of the next epoch, and the new member's node joins; a member on a draining node
//! (every member reachable) is swapped the same way and removed once the new one caught
//! up. After each configuration change it sees, the leader writes once
//! (`touch_after_changes`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::gossip::SystemMember;
use crate::gossip::peers::MISSED_BEATS;
use crate::node::catalog::{Catalog, host_port};
use crate::node::core::NodeCore;
use crate::node::replace::dead_nodes;
use crate::node::system::system_replica_id;
use crate::rqlite::Member;
use crate::syscatalog::NodeState;

/// How long rqlite may spend probing a member while listing the membership.
const MEMBER_PROBE: Duration = Duration::from_secs(2);

/// The recorded membership (`meta.system_members`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSet {
    pub epoch: u64,
    pub members: Vec<SystemMember>,
}

/// What the leader does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Nothing,
    /// Remove this Raft member now (it is unreachable and no longer recorded).
    Remove(String),
    /// Remove this reachable Raft member once every recorded member caught up.
    RemoveWhenCaughtUp(String),
    /// Record the next epoch: the member on node `out` replaced by `new`.
    Swap {
        out: String,
        new: SystemMember,
    },
    /// A change is due but cannot be made (why).
    Stuck(String),
}

/// The leader's next step (pure). `raft`: the configuration as the leader sees it;
/// `dead`: nodes held dead long enough; `draining`: nodes being drained; `candidates`:
/// healthy active nodes that could host a member, in preference order.
pub fn next_step(
    set: &MemberSet,
    raft: &[Member],
    dead: &BTreeSet<String>,
    draining: &BTreeSet<String>,
    candidates: &[SystemMember],
) -> Step {
    let recorded: Vec<String> = set
        .members
        .iter()
        .map(|m| system_replica_id(&m.node_id))
        .collect();
    let extras: Vec<&Member> = raft.iter().filter(|m| !recorded.contains(&m.id)).collect();
    if let Some(gone) = extras.iter().find(|m| !m.reachable) {
        return Step::Remove(gone.id.clone());
    }
    let state = |m: &SystemMember| raft.iter().find(|r| r.id == system_replica_id(&m.node_id));
    let live = set
        .members
        .iter()
        .filter(|m| state(m).is_some_and(|r| r.reachable))
        .count();
    if let Some(leaving) = extras.first() {
        return if live == set.members.len() {
            Step::RemoveWhenCaughtUp(leaving.id.clone())
        } else {
            Step::Nothing
        };
    }
    let pick = |out: &SystemMember| -> Step {
        match candidates
            .iter()
            .find(|c| !set.members.iter().any(|m| m.node_id == c.node_id))
        {
            Some(new) => Step::Swap {
                out: out.node_id.clone(),
                new: new.clone(),
            },
            None => Step::Stuck(format!(
                "no healthy active node outside the system catalog can take the member of {}",
                out.node_id
            )),
        }
    };
    if let Some(lost) = set
        .members
        .iter()
        .find(|m| dead.contains(&m.node_id) && state(m).is_none_or(|r| !r.reachable))
    {
        if live * 2 <= set.members.len() {
            return Step::Stuck(format!(
                "only {live} of {} system catalog members reachable: no majority to change it",
                set.members.len()
            ));
        }
        // The dead voter leaves first (the live members keep their majority), then its
        // successor is recorded and joins.
        return match state(lost) {
            Some(r) => Step::Remove(r.id.clone()),
            None => pick(lost),
        };
    }
    if live < set.members.len() {
        // A new member has not joined yet (or a member is unreachable but not held dead).
        return Step::Nothing;
    }
    match set.members.iter().find(|m| draining.contains(&m.node_id)) {
        Some(m) => pick(m),
        None => Step::Nothing,
    }
}

/// The loop: every `discovery_interval` (at most 2 s), `sync`, then `lead` if this node's
/// replica leads the system cluster. Runs until `stop`.
pub async fn run(core: Arc<NodeCore>, stop: CancellationToken) {
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let Some(catalog) = (tokio::select! {
        () = stop.cancelled() => None,
        c = core.catalog(far) => c,
    }) else {
        return;
    };
    let period = core
        .config
        .discovery
        .discovery_interval
        .min(Duration::from_secs(2));
    let mut lead_state = LeadState::default();
    tokio::spawn(touch_after_changes(
        core.clone(),
        catalog.clone(),
        stop.clone(),
    ));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(period) => {}
        }
        let leading = leader_view(&core).await;
        let set = match sync(&core, &catalog).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!("system members: {e}");
                continue;
            }
        };
        if let Some((text, set)) = set
            && let Some((status, raft)) = leading
            && let Err(e) = lead(
                &core,
                &catalog,
                &text,
                &set,
                &status,
                &raft,
                &mut lead_state,
            )
            .await
        {
            tracing::info!("system members: {e}");
        }
    }
}

/// Adopts the newest membership and acts on this node's part in it; the recorded text and
/// set when the catalog answered.
async fn sync(core: &NodeCore, catalog: &Catalog) -> Result<Option<(String, MemberSet)>, String> {
    let recorded = match catalog.system_members().await {
        Ok(Some(text)) => {
            let set: MemberSet = serde_json::from_str(&text)
                .map_err(|e| format!("meta.system_members is not a member set: {e}"))?;
            Some((text, set))
        }
        Ok(None) => {
            let set = MemberSet {
                epoch: core.system.epoch(),
                members: core.system.members(),
            };
            if set.members.is_empty() {
                return Ok(None);
            }
            let text = serde_json::to_string(&set).map_err(|e| e.to_string())?;
            catalog
                .init_system_members(&text)
                .await
                .map_err(|e| e.to_string())?;
            None
        }
        Err(e) => {
            tracing::debug!("system members not read: {e}");
            None
        }
    };
    // The catalog's record wins; gossip tells a node whose known members all moved.
    let newest = match &recorded {
        Some((_, set)) => Some(set.clone()),
        None => core
            .peers
            .borrow()
            .iter()
            .filter(|p| !p.heartbeat.system_members.is_empty())
            .max_by_key(|p| p.heartbeat.system_epoch)
            .map(|p| MemberSet {
                epoch: p.heartbeat.system_epoch,
                members: p.heartbeat.system_members.clone(),
            }),
    };
    let before = core.system.members();
    if let Some(set) = newest
        && core
            .system
            .adopt(&set.members, set.epoch)
            .map_err(|e| e.to_string())?
    {
        // The members leaving stay reachable until removed (a moved leader serves reads
        // until it handed leadership over): keep them last in the client's list.
        let mut addrs: Vec<String> = set.members.iter().map(|m| m.http_addr.clone()).collect();
        for m in before {
            if !addrs.contains(&m.http_addr) {
                addrs.push(m.http_addr);
            }
        }
        catalog.set_client(core.engine.client(addrs));
        core.wake.notify_one();
    }
    if core.system.is_member() {
        core.system
            .start_replica(&core.engine)
            .await
            .map_err(|e| e.to_string())?;
    } else if core.system.has_replica(&core.engine) {
        // Leave only once the configuration no longer lists this node (a moved member
        // serves until the new one caught up and the leader removed it).
        let me = system_replica_id(&core.node_id);
        let raft = catalog
            .client()
            .members(MEMBER_PROBE)
            .await
            .map_err(|e| e.to_string())?;
        if !raft.iter().any(|m| m.id == me) {
            core.system
                .leave(&core.engine)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(recorded)
}

#[derive(Default)]
struct LeadState {
    dead_since: HashMap<String, Instant>,
    reported: Option<String>,
}

/// rqlite answers a linearizable read once its FSM applied the commit index, and a
/// configuration entry (a join, a removal) is not applied through the FSM: after one,
/// every catalog read waits until the next write. So while this node's replica leads, it
/// writes once after each configuration change it sees (checked every 250 ms, apart from
/// the main loop, whose own reads may be the ones waiting).
async fn touch_after_changes(core: Arc<NodeCore>, catalog: Catalog, stop: CancellationToken) {
    let mut seen: Option<Vec<String>> = None;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let Some((_, raft)) = leader_view(&core).await else {
            seen = None;
            continue;
        };
        let ids: Vec<String> = raft.iter().map(|m| m.id.clone()).collect();
        if seen.as_ref() != Some(&ids) {
            match catalog.touch().await {
                Ok(()) => seen = Some(ids),
                Err(e) => tracing::info!("system catalog: write after a change: {e}"),
            }
        }
    }
}

/// When this node's system replica leads: its `/status` and the Raft configuration. A
/// replica still running after its member was moved away counts too: while it leads, it
/// is the one that must hand leadership over before it can be removed.
async fn leader_view(core: &NodeCore) -> Option<(serde_json::Value, Vec<Member>)> {
    if !core.system.is_member() && !core.system.has_replica(&core.engine) {
        return None;
    }
    let mine = core.system.me_as_member();
    let local = core.engine.client(vec![mine.http_addr.clone()]);
    let status = local.node_status(&mine.http_addr).await.ok()?;
    if status.pointer("/store/raft/state").and_then(|s| s.as_str()) != Some("Leader") {
        return None;
    }
    let raft = local.members(MEMBER_PROBE).await.ok()?;
    Some((status, raft))
}

/// The leader's pass.
#[allow(clippy::too_many_arguments)]
async fn lead(
    core: &NodeCore,
    catalog: &Catalog,
    text: &str,
    set: &MemberSet,
    status: &serde_json::Value,
    raft: &[Member],
    st: &mut LeadState,
) -> Result<(), String> {
    let mine = core.system.me_as_member();
    let local = core.engine.client(vec![mine.http_addr.clone()]);
    let snap = catalog.snapshot().await.map_err(|e| e.to_string())?;
    let peers = core.peers.borrow().clone();
    let now = Instant::now();
    let hold = core.config.discovery.health_check_interval * MISSED_BEATS;
    let seen_dead = dead_nodes(&snap, &peers, &core.node_id, false).unwrap_or_default();
    st.dead_since.retain(|id, _| seen_dead.contains(id));
    for id in &seen_dead {
        st.dead_since.entry(id.clone()).or_insert(now);
    }
    let dead: BTreeSet<String> = st
        .dead_since
        .iter()
        .filter(|(_, t)| now.duration_since(**t) >= hold)
        .map(|(id, _)| id.clone())
        .collect();
    let draining: BTreeSet<String> = snap
        .nodes
        .iter()
        .filter(|n| n.state == NodeState::Draining)
        .map(|n| n.id.clone())
        .collect();
    let mut candidates: Vec<SystemMember> = peers
        .iter()
        .filter(|p| p.healthy && !dead.contains(&p.heartbeat.node_id))
        .filter(|p| {
            snap.node(&p.heartbeat.node_id)
                .is_some_and(|n| n.state == NodeState::Active)
        })
        .filter_map(|p| {
            let (http, raft) = p.heartbeat.system_ports?;
            let host = &p.heartbeat.rqlite_host;
            (!host.is_empty()).then(|| SystemMember {
                node_id: p.heartbeat.node_id.clone(),
                http_addr: host_port(host, http),
                raft_addr: host_port(host, raft),
            })
        })
        .collect();
    candidates.sort_by(|a, b| a.node_id.cmp(&b.node_id));
    match next_step(set, raft, &dead, &draining, &candidates) {
        Step::Nothing => {}
        Step::Stuck(why) => {
            if st.reported.as_deref() != Some(why.as_str()) {
                tracing::warn!("system catalog: {why}");
                st.reported = Some(why);
            }
        }
        Step::Remove(id) => {
            local.remove_node(&id).await.map_err(|e| e.to_string())?;
            tracing::info!(member = %id, "system catalog: unreachable member removed");
        }
        Step::RemoveWhenCaughtUp(id) => {
            if id == system_replica_id(&core.node_id) {
                local.stepdown().await.map_err(|e| e.to_string())?;
                tracing::info!("system catalog: leadership handed over before leaving");
                return Ok(());
            }
            caught_up(core, status, set).await?;
            local.remove_node(&id).await.map_err(|e| e.to_string())?;
            tracing::info!(member = %id, "system catalog: moved member removed");
        }
        Step::Swap { out, new } => {
            let next = MemberSet {
                epoch: set.epoch + 1,
                members: set
                    .members
                    .iter()
                    .filter(|m| m.node_id != out)
                    .cloned()
                    .chain(std::iter::once(new.clone()))
                    .collect(),
            };
            let next_text = serde_json::to_string(&next).map_err(|e| e.to_string())?;
            if catalog
                .swap_system_members(text, &next_text)
                .await
                .map_err(|e| e.to_string())?
            {
                tracing::info!(epoch = next.epoch, from = %out, to = %new.node_id, "system catalog member moving");
                core.system
                    .adopt(&next.members, next.epoch)
                    .map_err(|e| e.to_string())?;
                core.nudge("");
            }
        }
    }
    Ok(())
}

/// Every recorded member has applied the leader's commit index (from `leader_status`).
async fn caught_up(
    core: &NodeCore,
    leader_status: &serde_json::Value,
    set: &MemberSet,
) -> Result<(), String> {
    let index = |v: &serde_json::Value, key: &str| {
        v.pointer(&format!("/store/raft/{key}"))
            .and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok()))
    };
    let target = index(leader_status, "commit_index").unwrap_or(u64::MAX);
    for m in &set.members {
        let client = core.engine.client(vec![m.http_addr.clone()]);
        let applied = match client.node_status(&m.http_addr).await {
            Ok(s) => index(&s, "applied_index").unwrap_or(0),
            Err(e) => return Err(format!("{} not caught up yet: {e}", m.node_id)),
        };
        if applied < target {
            return Err(format!(
                "{} at {applied}, behind commit index {target}",
                m.node_id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "sysmember_tests.rs"]
mod tests;

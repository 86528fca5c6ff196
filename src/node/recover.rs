//! `pgrq db recover NAME --yes-i-know-writes-may-be-lost` under `pgrq node`: a database
//! with a majority of its replicas on dead nodes can elect no leader, and no membership
//! change can go through it. This is rqlite's peers.json procedure. Any node can be
//! asked: it refuses when no replica survives or a majority is alive, otherwise picks the
//! survivor whose Raft log goes furthest (`recover_choice`, from each survivor's
//! `/status`) and, when another node holds it, relays the request there (`relay`). On the
//! survivor's node: the replicas on dead nodes must be unreachable from it; the other
//! survivors are dropped like the lost replicas (their nodes delete them); the chosen
//! replica is stopped, given a `raft/peers.json` naming only itself, and
//! restarted by the reconciler (it then leads a cluster of one); one conditional catalog
//! write replaces every lost replica by a new one on a healthy node chosen by placement
//! (as many as there are nodes for; `drain`'s re-replication adds the rest later), and
//! those join it like any replacement. Writes that only the lost replicas had are gone:
//! hence the confirmation the caller must give. The dead nodes, once back, delete the data
//! of the replicas they no longer hold.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::node::admin::Request;
use crate::node::catalog::Snapshot;
use crate::node::core::NodeCore;
use crate::node::inventory;
use crate::node::lifecycle::{Peer, write_peers_json};
use crate::node::placement::{NodeInventory, place};
use crate::node::reconcile::replica_dir;
use crate::node::recover_choice::{best, progress};
use crate::node::relay;
use crate::syscatalog::{DbState, ReplicaRecord};

const MEMBER_PROBE: Duration = Duration::from_secs(2);
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long a relayed recovery may take beyond the engine's deadline (its wait for the
/// survivor to come back alone) before the asking node gives up waiting for the answer.
const RELAY_EXTRA: Duration = Duration::from_secs(20);
/// How long each survivor may take to answer `/status`.
const STATUS_PROBE: Duration = Duration::from_secs(3);

/// Recovers `name`: from the replica `survivor` on this node when given (a request relayed
/// by the node the operator asked), else from the best surviving replica, relaying the
/// request to its node when that is another one. What was done, or why not.
pub async fn recover(
    core: &NodeCore,
    name: &str,
    survivor: Option<&str>,
) -> Result<String, String> {
    let catalog = core
        .catalog_now()
        .ok_or("the system catalog is not available yet")?;
    let snap = catalog.snapshot().await.map_err(|e| e.to_string())?;
    let db = snap
        .database(name)
        .ok_or_else(|| format!("database \"{name}\" does not exist"))?
        .clone();
    if db.state != DbState::Active {
        return Err(format!("{name} is {}, not active", db.state.as_str()));
    }
    let peers = core.peers.borrow().clone();
    let me = core.node_id.as_str();
    let healthy =
        |id: &str| id == me || peers.iter().any(|p| p.heartbeat.node_id == id && p.healthy);
    let reps: Vec<ReplicaRecord> = snap.replicas_of(name).cloned().collect();
    let (live, lost): (Vec<ReplicaRecord>, Vec<ReplicaRecord>) =
        reps.iter().cloned().partition(|r| healthy(&r.node_id));
    if lost.is_empty() {
        return Err(format!(
            "every replica of {name} is on a live node: nothing to recover"
        ));
    }
    if live.len() * 2 > reps.len() {
        return Err(format!(
            "{name} keeps a majority ({} of {} replicas alive): the failure detector replaces \
             the dead ones, no recovery needed",
            live.len(),
            reps.len()
        ));
    }
    if live.is_empty() {
        let nodes: Vec<&str> = lost.iter().map(|r| r.node_id.as_str()).collect();
        return Err(format!(
            "no replica of {name} survives (all {} were on nodes gossip holds dead: {}): \
             nothing to recover from; bring one of those nodes back",
            reps.len(),
            nodes.join(", ")
        ));
    }
    let chosen = match survivor {
        Some(id) => id.to_string(),
        None => choose_survivor(core, &snap, name, &live).await?,
    };
    let Some(mine) = live
        .iter()
        .find(|r| r.replica_id == chosen && r.node_id == me)
        .cloned()
    else {
        let Some(holder) = live.iter().find(|r| r.replica_id == chosen) else {
            return Err(format!(
                "{chosen} is not a surviving replica of {name} any more; run the recovery again"
            ));
        };
        if survivor.is_some() {
            return Err(format!(
                "{chosen} is on node {}, not on {me}",
                holder.node_id
            ));
        }
        tracing::info!(db = %name, replica = %chosen, node = %holder.node_id, "relaying the recovery");
        let req = Request::Recover {
            db: name.to_string(),
            confirm: true,
            survivor: Some(chosen.clone()),
        };
        let r = relay::ask(
            core,
            &holder.node_id,
            &req,
            core.engine.deadline + RELAY_EXTRA,
        )
        .await?;
        return if r.ok {
            Ok(format!("{} (by node {})", r.message, holder.node_id))
        } else {
            Err(format!("node {}: {}", holder.node_id, r.message))
        };
    };
    // The other survivors are dropped with the lost replicas: recovery restarts one
    // replica alone, and new ones join it.
    let others: Vec<ReplicaRecord> = live
        .iter()
        .filter(|r| r.replica_id != mine.replica_id)
        .cloned()
        .collect();
    let dir = replica_dir(&core.config.node.data_dir, name);
    if !dir.join("raft.db").exists() {
        return Err(format!("the replica of {name} here has no Raft state"));
    }
    let raft_port = mine
        .raft_port
        .ok_or_else(|| format!("the replica of {name} here has no ports"))?;
    let http_port = mine
        .http_port
        .ok_or_else(|| format!("the replica of {name} here has no ports"))?;
    let own_http = crate::node::catalog::host_port(&core.host.to_string(), http_port);
    // The lost replicas must really be gone: none may answer the survivor.
    let local = core.engine.client(vec![own_http]);
    if let Ok(members) = local.members(MEMBER_PROBE).await
        && let Some(m) = members
            .iter()
            .find(|m| m.reachable && lost.iter().any(|l| l.replica_id == m.id))
    {
        return Err(format!(
            "{} still answers its peers: its node is not dead",
            m.id
        ));
    }
    let supervisor = core.engine.supervisor().map_err(|e| e.to_string())?;
    let peer = Peer {
        id: mine.replica_id.clone(),
        address: SocketAddr::new(core.host, raft_port),
        non_voter: false,
    };
    // The reconciler restarts a stopped replica: stop, write, and look again.
    for _ in 0..5 {
        if supervisor.running().contains(&mine.replica_id) {
            let _ = supervisor.stop(&mine.replica_id, STOP_GRACE).await;
        }
        write_peers_json(&dir, std::slice::from_ref(&peer)).map_err(|e| e.to_string())?;
        if !supervisor.running().contains(&mine.replica_id) {
            break;
        }
    }
    tracing::warn!(db = %name, replica = %mine.replica_id, "restarting the surviving replica alone (peers.json)");
    core.wake.notify_one();
    wait_ready(core, &mine.replica_id).await?;

    let holders: Vec<&str> = reps.iter().map(|r| r.node_id.as_str()).collect();
    let candidates: Vec<NodeInventory> = inventory::from_catalog(&snap, &peers)
        .into_iter()
        .filter(|n| !holders.contains(&n.id.as_str()))
        .collect();
    let wanted = lost.len() + others.len();
    let placed = (1..=wanted)
        .rev()
        .find_map(|k| place(&candidates, k, name).ok())
        .unwrap_or_default();
    let new: Vec<ReplicaRecord> = placed
        .iter()
        .enumerate()
        .map(|(i, node)| ReplicaRecord {
            database: name.to_string(),
            node_id: node.clone(),
            replica_id: format!("{name}-v{}", db.version + 1 + i as i64),
            http_port: None,
            raft_port: None,
        })
        .collect();
    let lost_nodes: Vec<String> = lost
        .iter()
        .chain(&others)
        .map(|r| r.node_id.clone())
        .collect();
    let claim = format!("recover-{}-{:016x}", core.node_id, rand::random::<u64>());
    if !catalog
        .recover_replicas(&db, &lost_nodes, &new, &claim)
        .await
        .map_err(|e| e.to_string())?
    {
        return Err(format!(
            "{name} runs alone on {} now, but its catalog rows changed meanwhile: run the \
             recovery again",
            mine.replica_id
        ));
    }
    core.nudge(name);
    let lost_ids: Vec<&str> = lost
        .iter()
        .chain(&others)
        .map(|r| r.replica_id.as_str())
        .collect();
    let new_ids: Vec<String> = new
        .iter()
        .map(|r| format!("{} on {}", r.replica_id, r.node_id))
        .collect();
    Ok(format!(
        "recovered {name} from {}; lost replicas {} removed; new replicas: {}{}",
        mine.replica_id,
        lost_ids.join(", "),
        if new_ids.is_empty() {
            "none".to_string()
        } else {
            new_ids.join(", ")
        },
        if new.len() < wanted {
            " (fewer than lost: more are added when nodes can take them)"
        } else {
            ""
        }
    ))
}

/// Until the reconciler restarted `id` and it answers `/readyz` (it elected itself).
async fn wait_ready(core: &NodeCore, id: &str) -> Result<(), String> {
    let supervisor = core.engine.supervisor().map_err(|e| e.to_string())?;
    let creds = (
        core.engine.creds.user.as_str(),
        core.engine.creds.password.as_str(),
    );
    let deadline = Instant::now() + core.engine.deadline;
    loop {
        if supervisor.running().iter().any(|r| r == id)
            && supervisor
                .wait_ready(&core.engine.http, id, creds, core.engine.deadline)
                .await
                .is_ok()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{id} did not come back alone within {:?}: {}",
                core.engine.deadline,
                supervisor.log_tail(id, 10)
            ));
        }
        core.wake.notify_one();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The surviving replica whose Raft log goes furthest (`recover_choice`), asked over
/// HTTP from here; an error when none answers.
async fn choose_survivor(
    core: &NodeCore,
    snap: &Snapshot,
    name: &str,
    live: &[ReplicaRecord],
) -> Result<String, String> {
    let mut seen = Vec::new();
    let mut errors = Vec::new();
    for r in live {
        let addr = snap
            .node(&r.node_id)
            .zip(r.http_port)
            .map(|(n, port)| crate::node::catalog::host_port(&n.rqlite_host, port));
        let Some(addr) = addr else {
            errors.push(format!("{} has no ports", r.replica_id));
            seen.push((r.replica_id.as_str(), None));
            continue;
        };
        let client = core.engine.client(vec![addr.clone()]);
        let status = tokio::time::timeout(STATUS_PROBE, client.node_status(&addr)).await;
        let p = match status {
            Ok(Ok(doc)) => progress(&doc),
            Ok(Err(e)) => {
                errors.push(format!("{}: {e}", r.replica_id));
                None
            }
            Err(_) => {
                errors.push(format!(
                    "{}: no answer within {STATUS_PROBE:?}",
                    r.replica_id
                ));
                None
            }
        };
        tracing::info!(db = %name, replica = %r.replica_id, progress = ?p, "survivor");
        seen.push((r.replica_id.as_str(), p));
    }
    best(&seen).map(str::to_string).ok_or_else(|| {
        format!(
            "no surviving replica of {name} answers /status: {}",
            errors.join("; ")
        )
    })
}

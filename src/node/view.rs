//! What an operator sees of the cluster, from the catalog (desired state), gossip (health)
//! and each database's rqlite `/status` (leader): the rows of `pgrq status` and of the
//! `pgrq.nodes` / `pgrq.databases` views. Reads only.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::gossip::PeerView;
use crate::node::catalog::Snapshot;
use crate::rqlite::{ClusterClient, Credentials};
use crate::syscatalog::DbState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRow {
    pub id: String,
    pub proxy_addr: String,
    pub rqlite_host: String,
    pub state: String,
    /// From this node's gossip view; `None` when it has none (`pgrq status` offline).
    pub healthy: Option<bool>,
    /// Databases with a replica on the node (hibernated ones included).
    pub databases: u32,
    /// Of those, the ones not hibernated (the ones counted against `max_databases`).
    #[serde(default)]
    pub active_databases: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseRow {
    pub name: String,
    pub app: String,
    pub state: String,
    /// Node ids holding a replica, in replica order.
    pub replicas: Vec<String>,
    /// Node id of the replica leading its Raft group (active databases that answered).
    pub leader: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterView {
    pub nodes: Vec<NodeRow>,
    pub databases: Vec<DatabaseRow>,
}

/// How long asking one database for its leader may take.
const LEADER_DEADLINE: Duration = Duration::from_secs(2);

/// Builds the view; leaders are asked from each active database's replicas (concurrently,
/// each within a short deadline: a database that does not answer shows no leader).
pub async fn cluster_view(
    snap: &Snapshot,
    peers: Option<&[PeerView]>,
    http: &(reqwest::Client, reqwest::Client),
    creds: &Credentials,
) -> ClusterView {
    let nodes = snap
        .nodes
        .iter()
        .map(|n| NodeRow {
            id: n.id.clone(),
            proxy_addr: n.proxy_addr.clone(),
            rqlite_host: n.rqlite_host.clone(),
            state: n.state.as_str().to_string(),
            healthy: peers.map(|ps| ps.iter().any(|p| p.heartbeat.node_id == n.id && p.healthy)),
            databases: snap.replicas.iter().filter(|r| r.node_id == n.id).count() as u32,
            active_databases: snap
                .replicas
                .iter()
                .filter(|r| r.node_id == n.id)
                .filter(|r| {
                    snap.database(&r.database)
                        .is_some_and(|d| d.state != DbState::Hibernating)
                })
                .count() as u32,
        })
        .collect();
    let leaders = snap.databases.iter().map(|d| async move {
        if d.state != DbState::Active {
            return None;
        }
        let client = ClusterClient::new(
            http.0.clone(),
            http.1.clone(),
            snap.http_addrs(&d.name, ""),
            creds.clone(),
            LEADER_DEADLINE,
        );
        let replica = client.leader().await.ok().flatten()?;
        snap.replicas_of(&d.name)
            .find(|r| r.replica_id == replica)
            .map(|r| r.node_id.clone())
    });
    let leaders = futures::future::join_all(leaders).await;
    let databases = snap
        .databases
        .iter()
        .zip(leaders)
        .map(|(d, leader)| DatabaseRow {
            name: d.name.clone(),
            app: d.app.clone(),
            state: d.state.as_str().to_string(),
            replicas: snap
                .replicas_of(&d.name)
                .map(|r| r.node_id.clone())
                .collect(),
            leader,
        })
        .collect();
    ClusterView { nodes, databases }
}

/// The view as `pgrq status` builds it offline from a node's data dir: the system catalog's
/// members from `system.json`, pgrq's rqlite credentials from the node's `-auth` file.
pub async fn view_from_data_dir(
    data_dir: &std::path::Path,
    peers: Option<&[PeerView]>,
) -> Result<ClusterView, String> {
    let members = crate::node::system::read_members(data_dir)?;
    if members.is_empty() {
        return Err("the system catalog is not formed yet".into());
    }
    let auth = data_dir.join("secrets").join("rqlite-auth.json");
    let creds = crate::node::supervisor::read_auth_file(&auth)
        .map_err(|e| format!("{}: {e}", auth.display()))?;
    let http = crate::node::engine::http_clients().map_err(|e| e.to_string())?;
    let client = ClusterClient::new(
        http.0.clone(),
        http.1.clone(),
        members.into_iter().map(|m| m.http_addr).collect(),
        creds.clone(),
        LEADER_DEADLINE,
    );
    let snap = crate::node::catalog::Catalog::new(client)
        .snapshot()
        .await
        .map_err(|e| e.to_string())?;
    Ok(cluster_view(&snap, peers, &http, &creds).await)
}

/// A node id shortened for tables (peer ids share their first characters).
pub fn short_id(id: &str) -> &str {
    let n = id.len();
    if n > 8 { &id[n - 8..] } else { id }
}

impl ClusterView {
    /// The two tables `pgrq status` prints.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<54} {:<22} {:<10} {:>9} {:>6}\n",
            "NODE", "PROXY", "HEALTH", "DATABASES", "ACTIVE"
        );
        for n in &self.nodes {
            let health = match n.healthy {
                Some(true) => "healthy",
                Some(false) => "unhealthy",
                None => "unknown",
            };
            out.push_str(&format!(
                "{:<54} {:<22} {:<10} {:>9} {:>6}\n",
                n.id, n.proxy_addr, health, n.databases, n.active_databases
            ));
        }
        out.push_str(&format!(
            "\n{:<32} {:<10} {:<28} {:<9}\n",
            "DATABASE", "STATE", "REPLICAS (node …id)", "LEADER"
        ));
        for d in &self.databases {
            let reps: Vec<&str> = d.replicas.iter().map(|r| short_id(r)).collect();
            out.push_str(&format!(
                "{:<32} {:<10} {:<28} {:<9}\n",
                d.name,
                d.state,
                reps.join(","),
                d.leader.as_deref().map_or("-", short_id)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_show_short_ids_and_unknown_health() {
        let v = ClusterView {
            nodes: vec![NodeRow {
                id: "12D3KooWAAAABBBBCCCC".into(),
                proxy_addr: "127.0.0.1:5432".into(),
                rqlite_host: "127.0.0.1".into(),
                state: "active".into(),
                healthy: None,
                databases: 2,
                active_databases: 1,
            }],
            databases: vec![DatabaseRow {
                name: "demo_app".into(),
                app: "demo".into(),
                state: "active".into(),
                replicas: vec!["12D3KooWAAAABBBBCCCC".into(), "x".into()],
                leader: Some("12D3KooWAAAABBBBCCCC".into()),
            }],
        };
        let text = v.render();
        assert!(text.contains("unknown"), "{text}");
        assert!(text.contains("ACTIVE"), "{text}");
        assert!(text.contains("BBBBCCCC,x"), "{text}");
        assert!(text.lines().last().unwrap().contains("active"), "{text}");
    }
}

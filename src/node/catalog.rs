//! Typed access to the system catalog over its rqlite cluster: sends `syscatalog`'s
//! statements (each decision one `/db/execute?transaction` request, reads linearizable)
//! and decodes the rows. The decisions themselves (who places, who activates) are its
//! callers'.

use std::sync::{Arc, RwLock};

use crate::rqlite::{ClusterClient, Level, RqliteError, Stmt, StmtOk, into_ok};
use crate::syscatalog::{
    self, DatabaseRecord, DbState, NodeRecord, ReplicaRecord, SysCatalogError,
};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("system catalog: {0}")]
    Rqlite(#[from] RqliteError),
    #[error(transparent)]
    Row(#[from] SysCatalogError),
}

/// The whole desired state, read at once.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub nodes: Vec<NodeRecord>,
    pub databases: Vec<DatabaseRecord>,
    /// By database, then replica id.
    pub replicas: Vec<ReplicaRecord>,
}

impl Snapshot {
    pub fn database(&self, name: &str) -> Option<&DatabaseRecord> {
        self.databases.iter().find(|d| d.name == name)
    }

    pub fn replicas_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ReplicaRecord> {
        self.replicas.iter().filter(move |r| r.database == name)
    }

    pub fn node(&self, id: &str) -> Option<&NodeRecord> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// `host:http_port` of each replica of `name` with its ports known, `first_node`'s
    /// first (the local one answers fastest).
    pub fn http_addrs(&self, name: &str, first_node: &str) -> Vec<String> {
        let mut reps: Vec<&ReplicaRecord> = self.replicas_of(name).collect();
        reps.sort_by_key(|r| r.node_id != first_node);
        reps.iter()
            .filter_map(|r| {
                let host = &self.node(&r.node_id)?.rqlite_host;
                Some(host_port(host, r.http_port?))
            })
            .collect()
    }

    /// `host:raft_port` of every replica of `name`, once all have ports.
    pub fn raft_addrs(&self, name: &str) -> Option<Vec<String>> {
        self.replicas_of(name)
            .map(|r| {
                let host = &self.node(&r.node_id)?.rqlite_host;
                Some(host_port(host, r.raft_port?))
            })
            .collect()
    }
}

pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Clones share one client, which `set_client` replaces when the system catalog's members
/// change (`node::sysmember`), so long-lived holders follow them.
#[derive(Clone)]
pub struct Catalog {
    client: Arc<RwLock<ClusterClient>>,
}

impl Catalog {
    pub fn new(client: ClusterClient) -> Catalog {
        Catalog {
            client: Arc::new(RwLock::new(client)),
        }
    }

    pub fn client(&self) -> ClusterClient {
        self.client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Talks to the system catalog through `client` from now on (every clone).
    pub fn set_client(&self, client: ClusterClient) {
        *self.client.write().unwrap_or_else(|p| p.into_inner()) = client;
    }

    pub(super) async fn write(&self, stmts: Vec<Stmt>) -> Result<Vec<StmtOk>, CatalogError> {
        Ok(into_ok(self.client().execute(&stmts, true).await?)?)
    }

    pub(super) async fn read(&self, stmts: Vec<Stmt>) -> Result<Vec<StmtOk>, CatalogError> {
        Ok(into_ok(
            self.client().query(&stmts, Level::Linearizable).await?,
        )?)
    }

    /// Creates the tables if needed (idempotent).
    pub async fn ensure_schema(&self) -> Result<(), CatalogError> {
        self.write(syscatalog::schema()).await.map(|_| ())
    }

    pub async fn register_node(&self, node: &NodeRecord) -> Result<(), CatalogError> {
        self.write(vec![syscatalog::upsert_node(node, now_ms())])
            .await
            .map(|_| ())
    }

    pub async fn snapshot(&self) -> Result<Snapshot, CatalogError> {
        let out = self
            .read(vec![
                syscatalog::select_nodes(),
                syscatalog::select_databases(),
                syscatalog::select_all_replicas(),
            ])
            .await?;
        decode(&out)
    }
    /// The rows of one database (none if absent), its replicas, and every node: what a
    /// client opening it needs, without reading the whole catalog.
    pub async fn snapshot_of(&self, name: &str) -> Result<Snapshot, CatalogError> {
        let out = self
            .read(vec![
                syscatalog::select_nodes(),
                syscatalog::select_database(name),
                syscatalog::select_replicas(name),
            ])
            .await?;
        decode(&out)
    }

    /// The conditional creation: true when this claim won (false: it existed already).
    pub async fn create_database(
        &self,
        db: &DatabaseRecord,
        replicas: &[ReplicaRecord],
    ) -> Result<bool, CatalogError> {
        let out = self
            .write(syscatalog::create_database(db, replicas, now_ms()))
            .await?;
        Ok(out.first().is_some_and(|o| o.rows_affected == 1))
    }

    /// Gives this node's replica of `db` the ports `new` (it holds `held` now: `None` for
    /// none yet), taking them from the hibernated database `victim`'s replica when given
    /// (one atomic request). True when the claim applied; false when the replica's ports
    /// changed meanwhile, another replica holds `new`, or `victim` woke.
    pub async fn claim_ports(
        &self,
        db: &str,
        node_id: &str,
        held: Option<(u16, u16)>,
        new: (u16, u16),
        victim: Option<&str>,
    ) -> Result<bool, CatalogError> {
        let mut stmts = Vec::new();
        if let Some(v) = victim {
            stmts.push(syscatalog::take_hibernated_ports(v, node_id, new, db, held));
        }
        stmts.push(match held {
            None => syscatalog::set_replica_ports(db, node_id, new.0, new.1),
            Some(old) => syscatalog::move_replica_ports(db, node_id, old, new),
        });
        let out = self.write(stmts).await?;
        Ok(out.last().is_some_and(|o| o.rows_affected == 1))
    }

    /// `creating → active` if still at `version` (true: this write applied it).
    pub async fn activate(&self, db: &DatabaseRecord, claim: &str) -> Result<bool, CatalogError> {
        let out = self
            .write(vec![syscatalog::transition(
                &db.name,
                db.version,
                DbState::Active,
                claim,
                now_ms(),
            )])
            .await?;
        Ok(out.first().is_some_and(|o| o.rows_affected == 1))
    }

    /// `db` moves to `to` if still at its version (true: this write applied it).
    pub async fn transition(
        &self,
        db: &DatabaseRecord,
        to: DbState,
        claim: &str,
    ) -> Result<bool, CatalogError> {
        let out = self
            .write(vec![syscatalog::transition(
                &db.name,
                db.version,
                to,
                claim,
                now_ms(),
            )])
            .await?;
        Ok(out.first().is_some_and(|o| o.rows_affected == 1))
    }

    /// Replaces the replica of `db` on `dead_node` by `new` if `db` is still at its
    /// version, as one atomic request (true: this decision won; the version is bumped).
    pub async fn replace_replica(
        &self,
        db: &DatabaseRecord,
        dead_node: &str,
        new: &ReplicaRecord,
        claim: &str,
    ) -> Result<bool, CatalogError> {
        let out = self
            .write(syscatalog::replace_replica(
                &db.name,
                db.version,
                dead_node,
                new,
                claim,
                now_ms(),
            ))
            .await?;
        Ok(out.first().is_some_and(|o| o.rows_affected == 1))
    }
}

/// Nodes, databases and replicas from the three result sets of a snapshot read.
fn decode(out: &[StmtOk]) -> Result<Snapshot, CatalogError> {
    let rows = |i: usize| -> Vec<Vec<crate::rqlite::Value>> {
        out.get(i)
            .and_then(|o| o.rows.as_ref())
            .map(|r| r.values.clone())
            .unwrap_or_default()
    };
    Ok(Snapshot {
        nodes: rows(0)
            .iter()
            .map(|r| NodeRecord::from_row(r))
            .collect::<Result<_, _>>()?,
        databases: rows(1)
            .iter()
            .map(|r| DatabaseRecord::from_row(r))
            .collect::<Result<_, _>>()?,
        replicas: rows(2)
            .iter()
            .map(|r| ReplicaRecord::from_row(r))
            .collect::<Result<_, _>>()?,
    })
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscatalog::NodeState;

    fn node(id: &str, host: &str) -> NodeRecord {
        NodeRecord {
            id: id.into(),
            proxy_addr: String::new(),
            rqlite_host: host.into(),
            gossip_addrs: vec![],
            max_databases: 1,
            state: NodeState::Active,
            version: 1,
        }
    }

    fn rep(node: &str, port: Option<u16>) -> ReplicaRecord {
        ReplicaRecord {
            database: "demo_a".into(),
            node_id: node.into(),
            replica_id: format!("demo_a-{node}"),
            http_port: port,
            raft_port: port.map(|p| p + 1000),
        }
    }

    #[test]
    fn addresses_come_from_node_hosts_and_replica_ports() {
        let mut s = Snapshot {
            nodes: vec![node("a", "10.0.0.1"), node("b", "::1")],
            databases: vec![],
            replicas: vec![rep("a", Some(14001)), rep("b", Some(14002))],
        };
        assert_eq!(
            s.http_addrs("demo_a", "b"),
            ["[::1]:14002", "10.0.0.1:14001"]
        );
        assert_eq!(
            s.raft_addrs("demo_a").unwrap(),
            ["10.0.0.1:15001", "[::1]:15002"]
        );
        s.replicas[1].raft_port = None;
        assert_eq!(
            s.raft_addrs("demo_a"),
            None,
            "wait until every port is known"
        );
    }
}

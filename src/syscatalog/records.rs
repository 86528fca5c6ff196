//! Typed rows of the system catalog and their decoding from `rqlite::Rows` values.

use crate::rqlite::Value;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SysCatalogError {
    #[error("system catalog row: {0}")]
    BadRow(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    Active,
    /// Takes no new replicas; its replicas are being moved away.
    Draining,
    Removed,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Active => "active",
            NodeState::Draining => "draining",
            NodeState::Removed => "removed",
        }
    }

    fn parse(s: &str) -> Result<NodeState, SysCatalogError> {
        Ok(match s {
            "active" => NodeState::Active,
            "draining" => NodeState::Draining,
            "removed" => NodeState::Removed,
            other => return Err(SysCatalogError::BadRow(format!("node state {other:?}"))),
        })
    }
}

/// `creating → active → hibernating → waking → active`, and `dropped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbState {
    Creating,
    Active,
    Hibernating,
    Waking,
    Dropped,
}

impl DbState {
    pub fn as_str(self) -> &'static str {
        match self {
            DbState::Creating => "creating",
            DbState::Active => "active",
            DbState::Hibernating => "hibernating",
            DbState::Waking => "waking",
            DbState::Dropped => "dropped",
        }
    }

    fn parse(s: &str) -> Result<DbState, SysCatalogError> {
        Ok(match s {
            "creating" => DbState::Creating,
            "active" => DbState::Active,
            "hibernating" => DbState::Hibernating,
            "waking" => DbState::Waking,
            "dropped" => DbState::Dropped,
            other => return Err(SysCatalogError::BadRow(format!("database state {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeRecord {
    /// libp2p peer id.
    pub id: String,
    pub proxy_addr: String,
    /// The IP its rqlited replicas listen on.
    pub rqlite_host: String,
    pub gossip_addrs: Vec<String>,
    pub max_databases: u32,
    pub state: NodeState,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseRecord {
    /// `<app>_<db>`.
    pub name: String,
    pub app: String,
    pub state: DbState,
    pub replication_factor: u32,
    pub version: i64,
    /// Token of the writer of the current version (unique per decision).
    pub claim: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaRecord {
    pub database: String,
    pub node_id: String,
    /// rqlite's `-node-id`, unique in the cluster.
    pub replica_id: String,
    /// NULL until the hosting node allocates them (then sticky).
    pub http_port: Option<u16>,
    pub raft_port: Option<u16>,
}

/// Capacity and use of one active node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeLoad {
    pub id: String,
    pub max_databases: u32,
    pub current_databases: u32,
}

fn text(row: &[Value], i: usize) -> Result<String, SysCatalogError> {
    match row.get(i) {
        Some(Value::Text(s)) => Ok(s.clone()),
        other => Err(SysCatalogError::BadRow(format!(
            "column {i}: expected text, got {other:?}"
        ))),
    }
}

fn opt_int<T: TryFrom<i64>>(row: &[Value], i: usize) -> Result<Option<T>, SysCatalogError> {
    match row.get(i) {
        Some(Value::Null) => Ok(None),
        _ => int(row, i).map(Some),
    }
}

fn int<T: TryFrom<i64>>(row: &[Value], i: usize) -> Result<T, SysCatalogError> {
    match row.get(i) {
        Some(Value::Integer(n)) => T::try_from(*n)
            .map_err(|_| SysCatalogError::BadRow(format!("column {i}: {n} out of range"))),
        other => Err(SysCatalogError::BadRow(format!(
            "column {i}: expected integer, got {other:?}"
        ))),
    }
}

pub(super) fn encode_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

impl NodeRecord {
    pub fn from_row(row: &[Value]) -> Result<NodeRecord, SysCatalogError> {
        let addrs = text(row, 2)?;
        Ok(NodeRecord {
            id: text(row, 0)?,
            proxy_addr: text(row, 1)?,
            rqlite_host: text(row, 6)?,
            gossip_addrs: serde_json::from_str(&addrs)
                .map_err(|e| SysCatalogError::BadRow(format!("gossip_addrs {addrs:?}: {e}")))?,
            max_databases: int(row, 3)?,
            state: NodeState::parse(&text(row, 4)?)?,
            version: int(row, 5)?,
        })
    }
}

impl DatabaseRecord {
    pub fn from_row(row: &[Value]) -> Result<DatabaseRecord, SysCatalogError> {
        Ok(DatabaseRecord {
            name: text(row, 0)?,
            app: text(row, 1)?,
            state: DbState::parse(&text(row, 2)?)?,
            replication_factor: int(row, 3)?,
            version: int(row, 4)?,
            claim: text(row, 5)?,
        })
    }
}

impl ReplicaRecord {
    pub fn from_row(row: &[Value]) -> Result<ReplicaRecord, SysCatalogError> {
        Ok(ReplicaRecord {
            database: text(row, 0)?,
            node_id: text(row, 1)?,
            replica_id: text(row, 2)?,
            http_port: opt_int(row, 3)?,
            raft_port: opt_int(row, 4)?,
        })
    }
}

impl NodeLoad {
    pub fn from_row(row: &[Value]) -> Result<NodeLoad, SysCatalogError> {
        Ok(NodeLoad {
            id: text(row, 0)?,
            max_databases: int(row, 1)?,
            current_databases: int(row, 2)?,
        })
    }
}

//! The system catalog: the schema and the statements of the `_system` rqlite database that
//! holds the cluster's desired state (nodes, databases, replicas), and the decoding of its
//! rows. Every decision that must be unique is a conditional write here: a database is
//! created by `INSERT … ON CONFLICT DO NOTHING`, a change is `UPDATE … WHERE version = ?`,
//! and statements that depend on a guard in the same atomic request check the guard's
//! `claim` token, so of two racing writers exactly one applies, without clocks or gossip.
//! Pure: it builds `rqlite::Stmt`s and reads `rqlite::Rows`; sending them (one
//! `/db/execute?transaction` request per decision) is its caller's job; the system rqlite
//! cluster runs with `-fk` so the references hold. Distinct from the PostgreSQL
//! `pg_catalog` emulation.

mod members;
mod moves;
mod ports;
mod records;

use crate::rqlite::{Stmt, Value};
pub use members::{init_system_members, select_system_members, swap_system_members, touch};
pub use moves::{
    add_replica, forget_dropped_replica, recover_replicas, remove_replica, roll_back_creation,
};
pub use ports::{move_replica_ports, set_replica_ports, take_hibernated_ports};
pub use records::{
    DatabaseRecord, DbState, NodeLoad, NodeRecord, NodeState, ReplicaRecord, SysCatalogError,
};

/// Version of the schema below, kept in `meta`.
/// 2: nodes carry the host their rqlited replicas listen on; replica ports are NULL until
/// the hosting node allocates them.
pub const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS nodes (
        id TEXT PRIMARY KEY,
        proxy_addr TEXT NOT NULL,
        rqlite_host TEXT NOT NULL,
        gossip_addrs TEXT NOT NULL,
        max_databases INTEGER NOT NULL CHECK (max_databases >= 0),
        state TEXT NOT NULL CHECK (state IN ('active', 'draining', 'removed')),
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS databases (
        name TEXT PRIMARY KEY,
        app TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('creating', 'active', 'hibernating', 'waking', 'dropped')),
        replication_factor INTEGER NOT NULL CHECK (replication_factor >= 1),
        version INTEGER NOT NULL,
        claim TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS replicas (
        database TEXT NOT NULL REFERENCES databases (name),
        node_id TEXT NOT NULL REFERENCES nodes (id),
        replica_id TEXT NOT NULL,
        http_port INTEGER CHECK (http_port BETWEEN 1 AND 65535),
        raft_port INTEGER CHECK (raft_port BETWEEN 1 AND 65535),
        PRIMARY KEY (database, node_id),
        UNIQUE (replica_id),
        UNIQUE (node_id, http_port),
        UNIQUE (node_id, raft_port)
    )",
    "CREATE INDEX IF NOT EXISTS replicas_by_node ON replicas (node_id)",
];

/// Creates the tables (idempotent) and records the schema version once.
pub fn schema() -> Vec<Stmt> {
    let mut out: Vec<Stmt> = SCHEMA.iter().map(|s| Stmt::new(*s)).collect();
    out.push(Stmt::with_params(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
        vec![Value::Text(SCHEMA_VERSION.to_string())],
    ));
    out
}

pub fn schema_version() -> Stmt {
    Stmt::new("SELECT value FROM meta WHERE key = 'schema_version'")
}

/// A node announces itself (first start or new addresses): inserted, or updated with its
/// version bumped. A removed node stays removed.
pub fn upsert_node(n: &NodeRecord, now_ms: i64) -> Stmt {
    Stmt::with_params(
        "INSERT INTO nodes
             (id, proxy_addr, rqlite_host, gossip_addrs, max_databases, state, version, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, 'active', 1, ?)
         ON CONFLICT (id) DO UPDATE SET
             proxy_addr = excluded.proxy_addr,
             rqlite_host = excluded.rqlite_host,
             gossip_addrs = excluded.gossip_addrs,
             max_databases = excluded.max_databases,
             version = nodes.version + 1,
             updated_at_ms = excluded.updated_at_ms
         WHERE nodes.state <> 'removed'",
        vec![
            Value::Text(n.id.clone()),
            Value::Text(n.proxy_addr.clone()),
            Value::Text(n.rqlite_host.clone()),
            Value::Text(records::encode_list(&n.gossip_addrs)),
            Value::Integer(i64::from(n.max_databases)),
            Value::Integer(now_ms),
        ],
    )
}

/// Changes a node's state if it is still at `version` (1 row affected: applied).
pub fn set_node_state(id: &str, version: i64, state: NodeState, now_ms: i64) -> Stmt {
    Stmt::with_params(
        "UPDATE nodes SET state = ?, version = version + 1, updated_at_ms = ?
         WHERE id = ? AND version = ?",
        vec![
            Value::Text(state.as_str().into()),
            Value::Integer(now_ms),
            Value::Text(id.into()),
            Value::Integer(version),
        ],
    )
}

/// Creates `db` in state `creating` with its replicas, as one atomic request. Statement 0
/// affects 1 row when this claim won, 0 when the database already existed (then nothing
/// else applies either: the replica inserts require this request's `claim`).
pub fn create_database(db: &DatabaseRecord, replicas: &[ReplicaRecord], now_ms: i64) -> Vec<Stmt> {
    let mut out = vec![Stmt::with_params(
        "INSERT INTO databases
             (name, app, state, replication_factor, version, claim, created_at_ms, updated_at_ms)
         VALUES (?, ?, 'creating', ?, 1, ?, ?, ?)
         ON CONFLICT (name) DO NOTHING",
        vec![
            Value::Text(db.name.clone()),
            Value::Text(db.app.clone()),
            Value::Integer(i64::from(db.replication_factor)),
            Value::Text(db.claim.clone()),
            Value::Integer(now_ms),
            Value::Integer(now_ms),
        ],
    )];
    out.extend(
        replicas
            .iter()
            .map(|r| insert_replica_if_claimed(r, &db.claim, 1)),
    );
    out
}

/// Moves `name` to `state` if it is still at `version`; the new version is `version + 1`
/// and `claim` marks the write as this caller's (1 row affected: applied).
pub fn transition(name: &str, version: i64, state: DbState, claim: &str, now_ms: i64) -> Stmt {
    Stmt::with_params(
        "UPDATE databases SET state = ?, version = version + 1, claim = ?, updated_at_ms = ?
         WHERE name = ? AND version = ?",
        vec![
            Value::Text(state.as_str().into()),
            Value::Text(claim.into()),
            Value::Integer(now_ms),
            Value::Text(name.into()),
            Value::Integer(version),
        ],
    )
}

/// Replaces the replica of `database` on `dead_node` by `new`, if the database is still at
/// `version`, as one atomic request: a guard that bumps the version and sets `claim`, then
/// the delete and insert, which apply only under this request's claim.
pub fn replace_replica(
    database: &str,
    version: i64,
    dead_node: &str,
    new: &ReplicaRecord,
    claim: &str,
    now_ms: i64,
) -> Vec<Stmt> {
    vec![
        Stmt::with_params(
            "UPDATE databases SET version = version + 1, claim = ?, updated_at_ms = ?
             WHERE name = ? AND version = ?",
            vec![
                Value::Text(claim.into()),
                Value::Integer(now_ms),
                Value::Text(database.into()),
                Value::Integer(version),
            ],
        ),
        Stmt::with_params(
            "DELETE FROM replicas WHERE database = ? AND node_id = ?
             AND EXISTS (SELECT 1 FROM databases WHERE name = ? AND claim = ? AND version = ?)",
            vec![
                Value::Text(database.into()),
                Value::Text(dead_node.into()),
                Value::Text(database.into()),
                Value::Text(claim.into()),
                Value::Integer(version + 1),
            ],
        ),
        insert_replica_if_claimed(new, claim, version + 1),
    ]
}

fn insert_replica_if_claimed(r: &ReplicaRecord, claim: &str, version: i64) -> Stmt {
    Stmt::with_params(
        "INSERT INTO replicas (database, node_id, replica_id, http_port, raft_port)
         SELECT ?, ?, ?, ?, ?
         WHERE EXISTS (SELECT 1 FROM databases WHERE name = ? AND claim = ? AND version = ?)",
        vec![
            Value::Text(r.database.clone()),
            Value::Text(r.node_id.clone()),
            Value::Text(r.replica_id.clone()),
            port_value(r.http_port),
            port_value(r.raft_port),
            Value::Text(r.database.clone()),
            Value::Text(claim.into()),
            Value::Integer(version),
        ],
    )
}

fn port_value(p: Option<u16>) -> Value {
    p.map_or(Value::Null, |p| Value::Integer(i64::from(p)))
}

/// Every database with its state (columns as `DatabaseRecord::from_row`), by name.
pub fn select_databases() -> Stmt {
    Stmt::new(
        "SELECT name, app, state, replication_factor, version, claim FROM databases ORDER BY name",
    )
}

/// Every replica (columns as `ReplicaRecord::from_row`), by database then node.
pub fn select_all_replicas() -> Stmt {
    Stmt::new(
        "SELECT database, node_id, replica_id, http_port, raft_port FROM replicas
         ORDER BY database, replica_id",
    )
}

/// Columns in the order `DatabaseRecord::from_row` reads.
pub fn select_database(name: &str) -> Stmt {
    Stmt::with_params(
        "SELECT name, app, state, replication_factor, version, claim FROM databases WHERE name = ?",
        vec![Value::Text(name.into())],
    )
}

/// Columns in the order `ReplicaRecord::from_row` reads.
pub fn select_replicas(database: &str) -> Stmt {
    Stmt::with_params(
        "SELECT database, node_id, replica_id, http_port, raft_port FROM replicas
         WHERE database = ? ORDER BY replica_id",
        vec![Value::Text(database.into())],
    )
}

/// The replicas a node must run (its reconciler's desired state; anything else in its
/// data dir is an orphan). Dropped databases are left out.
pub fn replicas_on_node(node_id: &str) -> Stmt {
    Stmt::with_params(
        "SELECT r.database, r.node_id, r.replica_id, r.http_port, r.raft_port
         FROM replicas r JOIN databases d ON d.name = r.database
         WHERE r.node_id = ? AND d.state <> 'dropped' ORDER BY r.database",
        vec![Value::Text(node_id.into())],
    )
}

/// Columns in the order `NodeRecord::from_row` reads.
pub fn select_nodes() -> Stmt {
    Stmt::new(
        "SELECT id, proxy_addr, gossip_addrs, max_databases, state, version, rqlite_host
         FROM nodes ORDER BY id",
    )
}

/// Per active node: its capacity and the replicas placed on it (placement's inventory,
/// with health and free ports added from gossip). Columns as `NodeLoad::from_row` reads.
pub fn node_loads() -> Stmt {
    Stmt::new(
        "SELECT n.id, n.max_databases, COUNT(d.name)
         FROM nodes n
         LEFT JOIN replicas r ON r.node_id = n.id
         LEFT JOIN databases d ON d.name = r.database AND d.state <> 'dropped'
         WHERE n.state = 'active'
         GROUP BY n.id ORDER BY n.id",
    )
}

#[cfg(test)]
mod tests;

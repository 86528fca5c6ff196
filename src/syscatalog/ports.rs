//! Statements that give a replica its ports on its node. The catalog's `UNIQUE (node_id,
//! http_port)` and `UNIQUE (node_id, raft_port)` keep two replicas of one node from ever
//! holding the same port, and every claim below also checks that no row of the node holds
//! the new ports (so a lost race affects no row instead of failing the request). A
//! hibernated database's replica keeps its ports only until its node runs out of free
//! ones: `take_hibernated_ports`, sent in the same atomic request just before the claim,
//! releases them (NULL: the replica gets new ones when it wakes) while that database is
//! still `hibernating` and the claimant still holds what it held when it chose.

use super::port_value;
use crate::rqlite::{Stmt, Value};

/// No replica of `node_id` holds either port (the claim's guard).
const PORTS_UNHELD: &str = "NOT EXISTS (SELECT 1 FROM replicas AS o
    WHERE o.node_id = ? AND (o.http_port = ? OR o.raft_port = ?))";

/// The hosting node records the ports it allocated for its replica: applies (1 row) only
/// while the replica has none and no replica of the node holds them, so ports are sticky
/// and never shared.
pub fn set_replica_ports(database: &str, node_id: &str, http: u16, raft: u16) -> Stmt {
    Stmt::with_params(
        format!(
            "UPDATE replicas SET http_port = ?, raft_port = ?
             WHERE database = ? AND node_id = ? AND http_port IS NULL AND raft_port IS NULL
             AND {PORTS_UNHELD}"
        ),
        vec![
            Value::Integer(i64::from(http)),
            Value::Integer(i64::from(raft)),
            Value::Text(database.into()),
            Value::Text(node_id.into()),
            Value::Text(node_id.into()),
            Value::Integer(i64::from(http)),
            Value::Integer(i64::from(raft)),
        ],
    )
}

/// A waking replica found a port it held taken by another process: it moves to `new` if
/// it still holds `old` and nobody on the node holds `new` (1 row affected: applied).
pub fn move_replica_ports(database: &str, node_id: &str, old: (u16, u16), new: (u16, u16)) -> Stmt {
    Stmt::with_params(
        format!(
            "UPDATE replicas SET http_port = ?, raft_port = ?
             WHERE database = ? AND node_id = ? AND http_port = ? AND raft_port = ?
             AND {PORTS_UNHELD}"
        ),
        vec![
            Value::Integer(i64::from(new.0)),
            Value::Integer(i64::from(new.1)),
            Value::Text(database.into()),
            Value::Text(node_id.into()),
            Value::Integer(i64::from(old.0)),
            Value::Integer(i64::from(old.1)),
            Value::Text(node_id.into()),
            Value::Integer(i64::from(new.0)),
            Value::Integer(i64::from(new.1)),
        ],
    )
}

/// Releases the ports `ports` of `victim`'s replica on `node_id` for `claimant`'s replica
/// (which holds `claimant_held` now: `None` for no ports yet), if `victim` is still
/// `hibernating` and both replicas still hold what they held. Send it right before the
/// claim (`set_replica_ports`/`move_replica_ports`) in the same atomic request.
pub fn take_hibernated_ports(
    victim: &str,
    node_id: &str,
    ports: (u16, u16),
    claimant: &str,
    claimant_held: Option<(u16, u16)>,
) -> Stmt {
    Stmt::with_params(
        "UPDATE replicas SET http_port = NULL, raft_port = NULL
         WHERE database = ? AND node_id = ? AND http_port = ? AND raft_port = ?
         AND EXISTS (SELECT 1 FROM databases WHERE name = ? AND state = 'hibernating')
         AND EXISTS (SELECT 1 FROM replicas AS c WHERE c.database = ? AND c.node_id = ?
                     AND c.http_port IS ? AND c.raft_port IS ?)",
        vec![
            Value::Text(victim.into()),
            Value::Text(node_id.into()),
            Value::Integer(i64::from(ports.0)),
            Value::Integer(i64::from(ports.1)),
            Value::Text(victim.into()),
            Value::Text(claimant.into()),
            Value::Text(node_id.into()),
            port_value(claimant_held.map(|p| p.0)),
            port_value(claimant_held.map(|p| p.1)),
        ],
    )
}

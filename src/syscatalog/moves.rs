//! Statements that move replicas between nodes and retire databases, each set one atomic
//! request decided by a guard on the database's `version` (the same rule as
//! `replace_replica`): the guard bumps the version and sets the caller's `claim`, and the
//! statements after it apply only under that claim, so of racing writers exactly one
//! applies. Used by drain (add a replica, then remove the leaving one), recovery (swap every
//! lost replica at once), the rollback of a creation whose node died, and drop (each node
//! forgets its replica row once its data is gone; the last one removes the database row).

use super::{ReplicaRecord, insert_replica_if_claimed};
use crate::rqlite::{Stmt, Value};

/// `UPDATE databases … WHERE version = ? AND state = 'active'`, bumping the version by `bump`.
fn guard(database: &str, version: i64, bump: i64, claim: &str, now_ms: i64) -> Stmt {
    Stmt::with_params(
        "UPDATE databases SET version = version + ?, claim = ?, updated_at_ms = ?
         WHERE name = ? AND version = ? AND state = 'active'",
        vec![
            Value::Integer(bump),
            Value::Text(claim.into()),
            Value::Integer(now_ms),
            Value::Text(database.into()),
            Value::Integer(version),
        ],
    )
}

fn delete_if_claimed(database: &str, node_id: &str, claim: &str, version: i64) -> Stmt {
    Stmt::with_params(
        "DELETE FROM replicas WHERE database = ? AND node_id = ?
         AND EXISTS (SELECT 1 FROM databases WHERE name = ? AND claim = ? AND version = ?)",
        vec![
            Value::Text(database.into()),
            Value::Text(node_id.into()),
            Value::Text(database.into()),
            Value::Text(claim.into()),
            Value::Integer(version),
        ],
    )
}

/// Adds `new` to an active database still at `version` (statement 0 affects 1 row: applied).
pub fn add_replica(
    database: &str,
    version: i64,
    new: &ReplicaRecord,
    claim: &str,
    now_ms: i64,
) -> Vec<Stmt> {
    vec![
        guard(database, version, 1, claim, now_ms),
        insert_replica_if_claimed(new, claim, version + 1),
    ]
}

/// Removes the replica on `node_id` from an active database still at `version`.
pub fn remove_replica(
    database: &str,
    version: i64,
    node_id: &str,
    claim: &str,
    now_ms: i64,
) -> Vec<Stmt> {
    vec![
        guard(database, version, 1, claim, now_ms),
        delete_if_claimed(database, node_id, claim, version + 1),
    ]
}

/// Recovery: the replicas on `lost_nodes` go, `new` come, at once. The version moves by
/// `max(1, new.len())`, so the ids `<db>-v<version + i>` (i = 1..=new.len()) the caller
/// gives stay unused by later replacements (they name theirs after the version).
pub fn recover_replicas(
    database: &str,
    version: i64,
    lost_nodes: &[String],
    new: &[ReplicaRecord],
    claim: &str,
    now_ms: i64,
) -> Vec<Stmt> {
    let bump = (new.len() as i64).max(1);
    let mut out = vec![guard(database, version, bump, claim, now_ms)];
    out.extend(
        lost_nodes
            .iter()
            .map(|n| delete_if_claimed(database, n, claim, version + bump)),
    );
    out.extend(
        new.iter()
            .map(|r| insert_replica_if_claimed(r, claim, version + bump)),
    );
    out
}

/// Undoes a creation that cannot finish (a chosen node died): its replica rows and its
/// database row go, if it is still `creating` at `version` under the creator's `claim`
/// (a database created again meanwhile has another claim). Statement 1 affects 1 row:
/// applied.
pub fn roll_back_creation(database: &str, version: i64, claim: &str) -> Vec<Stmt> {
    let cond = "EXISTS (SELECT 1 FROM databases
                 WHERE name = ? AND version = ? AND claim = ? AND state = 'creating')";
    let params = || {
        vec![
            Value::Text(database.into()),
            Value::Text(database.into()),
            Value::Integer(version),
            Value::Text(claim.into()),
        ]
    };
    vec![
        Stmt::with_params(
            format!("DELETE FROM replicas WHERE database = ? AND {cond}"),
            params(),
        ),
        Stmt::with_params(
            "DELETE FROM databases
             WHERE name = ? AND version = ? AND claim = ? AND state = 'creating'",
            vec![
                Value::Text(database.into()),
                Value::Integer(version),
                Value::Text(claim.into()),
            ],
        ),
    ]
}

/// A node whose replica of a dropped database is stopped and whose data is gone forgets
/// its row; the database row goes with the last replica row (then the name is free).
pub fn forget_dropped_replica(database: &str, node_id: &str) -> Vec<Stmt> {
    vec![
        Stmt::with_params(
            "DELETE FROM replicas WHERE database = ? AND node_id = ?
             AND EXISTS (SELECT 1 FROM databases WHERE name = ? AND state = 'dropped')",
            vec![
                Value::Text(database.into()),
                Value::Text(node_id.into()),
                Value::Text(database.into()),
            ],
        ),
        Stmt::with_params(
            "DELETE FROM databases WHERE name = ? AND state = 'dropped'
             AND NOT EXISTS (SELECT 1 FROM replicas WHERE database = ?)",
            vec![Value::Text(database.into()), Value::Text(database.into())],
        ),
    ]
}

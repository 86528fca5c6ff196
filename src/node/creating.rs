//! Creations that cannot finish: a database stays `creating` until every chosen node has
//! allocated ports and the cluster formed, so a chosen node that dies first would leave it
//! `creating` forever (its clients timing out). The failure detector (`replace`) hands
//! such databases here once the node's death is confirmed; the creation is rolled back
//! (its rows deleted, under the creator's claim and version), the other chosen nodes'
//! reconcilers stop what they started and delete its data, and the next connection
//! (or the client still waiting) creates it again, placed on healthy nodes.

use std::collections::BTreeSet;

use crate::node::catalog::{Catalog, Snapshot};
use crate::node::core::NodeCore;
use crate::syscatalog::{DatabaseRecord, DbState};

/// The `creating` databases with a replica on one of the `dead` nodes.
pub fn stuck(snap: &Snapshot, dead: &BTreeSet<String>) -> Vec<DatabaseRecord> {
    snap.databases
        .iter()
        .filter(|d| d.state == DbState::Creating)
        .filter(|d| snap.replicas_of(&d.name).any(|r| dead.contains(&r.node_id)))
        .cloned()
        .collect()
}

/// Rolls `db`'s creation back if it is still the one seen.
pub async fn roll_back(core: &NodeCore, catalog: &Catalog, db: &DatabaseRecord) {
    match catalog.roll_back_creation(db).await {
        Ok(true) => {
            tracing::warn!(db = %db.name, "creation rolled back: a chosen node died before it finished");
            core.nudge(&db.name);
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(db = %db.name, "cannot roll the creation back: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscatalog::ReplicaRecord;

    fn db(name: &str, state: DbState) -> DatabaseRecord {
        DatabaseRecord {
            name: name.into(),
            app: "demo".into(),
            state,
            replication_factor: 3,
            version: 1,
            claim: "c".into(),
        }
    }

    fn rep(db: &str, node: &str) -> ReplicaRecord {
        ReplicaRecord {
            database: db.into(),
            node_id: node.into(),
            replica_id: format!("{db}-{node}"),
            http_port: None,
            raft_port: None,
        }
    }

    #[test]
    fn only_creations_touching_a_dead_node_are_stuck() {
        let snap = Snapshot {
            nodes: vec![],
            databases: vec![
                db("demo_a", DbState::Creating),
                db("demo_b", DbState::Creating),
                db("demo_c", DbState::Active),
            ],
            replicas: vec![
                rep("demo_a", "x"),
                rep("demo_a", "y"),
                rep("demo_b", "y"),
                rep("demo_c", "x"),
            ],
        };
        let dead: BTreeSet<String> = ["x".to_string()].into();
        let names: Vec<String> = stuck(&snap, &dead).into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["demo_a"]);
    }
}

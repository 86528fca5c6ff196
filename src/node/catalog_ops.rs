//! The system catalog requests of the operations (drain, drop, recovery, the rollback of a
//! stuck creation): each sends one `syscatalog` decision and says whether it applied.

use crate::node::catalog::{Catalog, CatalogError, now_ms};
use crate::syscatalog::{self, DatabaseRecord, DbState, NodeRecord, NodeState, ReplicaRecord};

impl Catalog {
    /// The system catalog's recorded membership text (`syscatalog::select_system_members`).
    pub async fn system_members(&self) -> Result<Option<String>, CatalogError> {
        let out = self.read(vec![syscatalog::select_system_members()]).await?;
        Ok(out
            .first()
            .and_then(|o| o.rows.as_ref())
            .and_then(|r| r.values.first())
            .and_then(|row| row.first())
            .and_then(|v| match v {
                crate::rqlite::Value::Text(t) => Some(t.clone()),
                _ => None,
            }))
    }

    /// Records the membership unless one is recorded (true: this write recorded it).
    pub async fn init_system_members(&self, text: &str) -> Result<bool, CatalogError> {
        self.decided(vec![syscatalog::init_system_members(text)])
            .await
    }

    /// Replaces the membership `old` by `new` if unchanged (true: this write applied).
    pub async fn swap_system_members(&self, old: &str, new: &str) -> Result<bool, CatalogError> {
        self.decided(vec![syscatalog::swap_system_members(old, new)])
            .await
    }

    /// A write that changes nothing but goes through the Raft log (see `sysmember::run`).
    pub async fn touch(&self) -> Result<(), CatalogError> {
        self.write(vec![syscatalog::touch()]).await.map(|_| ())
    }

    /// Whether statement 0 of the request affected one row (the guard applied).
    async fn decided(&self, stmts: Vec<crate::rqlite::Stmt>) -> Result<bool, CatalogError> {
        let out = self.write(stmts).await?;
        Ok(out.first().is_some_and(|o| o.rows_affected == 1))
    }

    pub async fn set_node_state(
        &self,
        node: &NodeRecord,
        state: NodeState,
    ) -> Result<bool, CatalogError> {
        self.decided(vec![syscatalog::set_node_state(
            &node.id,
            node.version,
            state,
            now_ms(),
        )])
        .await
    }

    pub async fn add_replica(
        &self,
        db: &DatabaseRecord,
        new: &ReplicaRecord,
        claim: &str,
    ) -> Result<bool, CatalogError> {
        self.decided(syscatalog::add_replica(
            &db.name,
            db.version,
            new,
            claim,
            now_ms(),
        ))
        .await
    }

    pub async fn remove_replica(
        &self,
        db: &DatabaseRecord,
        node_id: &str,
        claim: &str,
    ) -> Result<bool, CatalogError> {
        self.decided(syscatalog::remove_replica(
            &db.name,
            db.version,
            node_id,
            claim,
            now_ms(),
        ))
        .await
    }

    pub async fn recover_replicas(
        &self,
        db: &DatabaseRecord,
        lost_nodes: &[String],
        new: &[ReplicaRecord],
        claim: &str,
    ) -> Result<bool, CatalogError> {
        self.decided(syscatalog::recover_replicas(
            &db.name,
            db.version,
            lost_nodes,
            new,
            claim,
            now_ms(),
        ))
        .await
    }

    /// `active → dropped` if still at its version.
    pub async fn drop_database(
        &self,
        db: &DatabaseRecord,
        claim: &str,
    ) -> Result<bool, CatalogError> {
        self.decided(vec![syscatalog::transition(
            &db.name,
            db.version,
            DbState::Dropped,
            claim,
            now_ms(),
        )])
        .await
    }

    /// True when the creation was rolled back by this request.
    pub async fn roll_back_creation(&self, db: &DatabaseRecord) -> Result<bool, CatalogError> {
        let out = self
            .write(syscatalog::roll_back_creation(
                &db.name, db.version, &db.claim,
            ))
            .await?;
        Ok(out.get(1).is_some_and(|o| o.rows_affected == 1))
    }

    pub async fn forget_dropped_replica(
        &self,
        db: &str,
        node_id: &str,
    ) -> Result<(), CatalogError> {
        self.write(syscatalog::forget_dropped_replica(db, node_id))
            .await
            .map(|_| ())
    }
}

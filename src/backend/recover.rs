//! `pgrq db recover`: rqlite's procedure for a database that lost its majority (replicas
//! whose data is gone, so no leader can ever be elected), on this single-process backend.
//! Every replica is stopped; the lost ones' directories are set aside (never deleted);
//! every surviving replica gets the same `peers.json` naming only the survivors, which
//! elect a leader among themselves; then the lost replicas start empty and join them,
//! receiving the data by snapshot. Writes that reached only lost replicas are gone: hence
//! the explicit confirmation the caller must give.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{LocalBackend, Placement, STOP_GRACE, internal, replica_id, unavailable};
use crate::node::lifecycle::{self, Peer};
use crate::rqlite::ClusterClient;
use crate::session::{BackendError, DbName};

impl LocalBackend {
    /// Recovers `db` from the replicas that still hold Raft state; what was done.
    pub async fn recover(&self, db: &DbName) -> Result<String, BackendError> {
        let dir = self.config.node.data_dir.join(db.as_str());
        let placement_file = dir.join("placement.json");
        let Ok(bytes) = std::fs::read(&placement_file) else {
            return Err(BackendError::NotFound {
                db: db.as_str().to_string(),
            });
        };
        let old: Placement = serde_json::from_slice(&bytes)
            .map_err(|e| internal(format!("{}: {e}", placement_file.display())))?;
        let slot = {
            let mut map = self.clusters.lock().await;
            map.entry(db.clone()).or_default().clone()
        };
        // Held throughout: no session wakes the database half-way.
        let mut guard = slot.lock().await;
        let n = old.http.len();
        let ids: Vec<String> = (0..n).map(|i| replica_id(db, i)).collect();
        if let Some(supervisor) = self.supervisor.get() {
            lifecycle::stop_replicas(supervisor, &ids, STOP_GRACE).await;
        }
        *guard = None;
        self.release(db);
        let has_state = |i: usize| {
            lifecycle::replica_dir(&dir, &ids[i])
                .join("raft.db")
                .exists()
        };
        let survivors: Vec<usize> = (0..n).filter(|i| has_state(*i)).collect();
        let lost: Vec<usize> = (0..n).filter(|i| !has_state(*i)).collect();
        if survivors.is_empty() {
            return Err(internal(format!(
                "no replica of \"{db}\" has any Raft state left: nothing to recover from"
            )));
        }
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        for i in &lost {
            let from = lifecycle::replica_dir(&dir, &ids[*i]);
            if from.exists() {
                let to = dir.join(format!("lost-{}-{stamp}", ids[*i]));
                std::fs::rename(&from, &to)
                    .map_err(|e| internal(format!("{}: {e}", from.display())))?;
            }
        }
        let placement = self.claim(db, &dir, old)?;
        let result = self.reform(db, &dir, &placement, &survivors, &lost).await;
        match result {
            Ok(client) => {
                *guard = Some(client);
                // Running now: hibernates when idle like any other.
                self.activity.touch(db.as_str());
                Ok(format!(
                    "recovered {db} from replica(s) {} ; replica(s) {} rejoined empty",
                    list(&ids, &survivors),
                    if lost.is_empty() {
                        "none".to_string()
                    } else {
                        list(&ids, &lost)
                    }
                ))
            }
            Err(e) => {
                self.release(db);
                Err(e)
            }
        }
    }

    async fn reform(
        &self,
        db: &DbName,
        dir: &std::path::Path,
        placement: &Placement,
        survivors: &[usize],
        lost: &[usize],
    ) -> Result<ClusterClient, BackendError> {
        let Some(supervisor) = self.supervisor.get().cloned() else {
            return Err(internal("rqlited was never started by this pgrq".into()));
        };
        let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let peers: Vec<Peer> = survivors
            .iter()
            .map(|i| Peer {
                id: replica_id(db, *i),
                address: loopback(placement.raft[*i]),
                non_voter: false,
            })
            .collect();
        for p in &peers {
            lifecycle::write_peers_json(&lifecycle::replica_dir(dir, &p.id), &peers)
                .map_err(|e| internal(e.to_string()))?;
        }
        let all = self.specs(db, dir, placement);
        let creds = (self.creds.user.as_str(), self.creds.password.as_str());
        let first: Vec<_> = survivors.iter().map(|i| all[*i].clone()).collect();
        lifecycle::start_replicas(
            &supervisor,
            &self.http,
            creds,
            first,
            self.deadline(),
            STOP_GRACE,
        )
        .await
        .map_err(|e| unavailable(db, &e.to_string()))?;
        let join: Vec<SocketAddr> = peers.iter().map(|p| p.address).collect();
        let rest: Vec<_> = lost
            .iter()
            .map(|i| {
                let mut spec = all[*i].clone();
                spec.join = join.clone();
                spec.bootstrap_expect = None;
                spec.join_as = Some(self.creds.user.clone());
                spec
            })
            .collect();
        if let Err(e) = lifecycle::start_replicas(
            &supervisor,
            &self.http,
            creds,
            rest,
            self.deadline(),
            STOP_GRACE,
        )
        .await
        {
            let started: Vec<String> = survivors.iter().map(|i| replica_id(db, *i)).collect();
            lifecycle::stop_replicas(&supervisor, &started, STOP_GRACE).await;
            return Err(unavailable(db, &e.to_string()));
        }
        Ok(self.cluster_client(placement))
    }
}

fn list(ids: &[String], which: &[usize]) -> String {
    which
        .iter()
        .map(|i| ids[*i].as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

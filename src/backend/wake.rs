//! `LocalBackend`'s hibernation and explicit wake: stop a database's replicas under the
//! same per-database lock that a wake takes (so a session arriving meanwhile simply waits
//! and wakes it), release its ports, and count what happened for `pgrq db` and the tests.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use super::{LocalBackend, STOP_GRACE, replica_id};
use crate::node::admin::{AdminOps, Request, Response};
use crate::node::lifecycle::{self, Hibernate};
use crate::session::{BackendError, DbName};

/// What this backend's lifecycle did since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LifecycleStats {
    /// Starts of an existing database (after hibernation, or after pgrq started).
    pub wakes: u64,
    pub hibernations: u64,
    /// Wakes that found an old port taken and moved the replicas (peers.json).
    pub port_moves: u64,
    /// Databases whose replicas run now, sorted.
    pub running: Vec<String>,
}

impl LocalBackend {
    /// Stops `db`'s replicas (SIGTERM: rqlited snapshots and keeps its Raft membership),
    /// keeping its data; with `idle_for`, only if no session is open and it has been idle
    /// that long (checked under the lock a wake takes). Whether it was hibernated now
    /// (`false`: it was not running, or not idle).
    pub async fn hibernate(
        &self,
        db: &DbName,
        idle_for: Option<Duration>,
    ) -> Result<bool, BackendError> {
        let Some(slot) = self.clusters.lock().await.get(db).cloned() else {
            return Ok(false);
        };
        let mut guard = slot.lock().await;
        if guard.is_none() {
            return Ok(false);
        }
        if let Some(t) = idle_for
            && !self.activity.is_idle(db.as_str(), t)
        {
            return Ok(false);
        }
        let n = self
            .leases()
            .get(db)
            .map_or(self.config.database.replication_factor as usize, |p| {
                p.http.len()
            });
        let ids: Vec<String> = (0..n).map(|i| replica_id(db, i)).collect();
        if let Some(supervisor) = self.supervisor.get() {
            let t = std::time::Instant::now();
            lifecycle::stop_replicas(supervisor, &ids, STOP_GRACE).await;
            tracing::info!(%db, stop_ms = t.elapsed().as_millis() as u64, "hibernated database");
        }
        *guard = None;
        self.release(db);
        self.hibernations.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Starts `db` if it is not running (it must exist); whether it was woken now.
    pub async fn wake(&self, db: &DbName) -> Result<bool, BackendError> {
        let before = self.wakes.load(Ordering::Relaxed);
        self.activity.touch(db.as_str());
        self.ensure_running(db, false).await?;
        Ok(self.wakes.load(Ordering::Relaxed) > before)
    }

    pub async fn lifecycle_stats(&self) -> LifecycleStats {
        let slots: Vec<(DbName, _)> = self
            .clusters
            .lock()
            .await
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut running = Vec::new();
        for (db, slot) in slots {
            // A slot locked by a start in progress is not running yet.
            if let Ok(g) = slot.try_lock()
                && g.is_some()
            {
                running.push(db.as_str().to_string());
            }
        }
        running.sort();
        LifecycleStats {
            wakes: self.wakes.load(Ordering::Relaxed),
            hibernations: self.hibernations.load(Ordering::Relaxed),
            port_moves: self.port_moves.load(Ordering::Relaxed),
            running,
        }
    }

    /// Per-database sessions and last activity, for gossip and the admin endpoint.
    pub fn activity(&self) -> &std::sync::Arc<crate::node::activity::Activity> {
        &self.activity
    }
}

#[async_trait]
impl Hibernate for LocalBackend {
    async fn hibernate_if_idle(&self, db: &str, timeout: Duration) -> bool {
        let Some(name) = parse_db(db) else {
            return false;
        };
        match self.hibernate(&name, Some(timeout)).await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(%db, error = %e, "cannot hibernate");
                false
            }
        }
    }
}

#[async_trait]
impl AdminOps for LocalBackend {
    async fn handle(&self, req: Request) -> Response {
        let name = |db: &str| {
            parse_db(db).ok_or_else(|| Response::error(format!("invalid database name {db:?}")))
        };
        match req {
            Request::Hibernate { db } => {
                let name = match name(&db) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
                match self.hibernate(&name, None).await {
                    Ok(true) => Response::ok(format!("hibernated {db}")),
                    Ok(false) => Response::ok(format!("{db} was not running")),
                    Err(e) => Response::error(e.to_string()),
                }
            }
            Request::Wake { db } => {
                let name = match name(&db) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
                match self.wake(&name).await {
                    Ok(true) => Response::ok(format!("woke {db}")),
                    Ok(false) => Response::ok(format!("{db} was running")),
                    Err(e) => Response::error(e.to_string()),
                }
            }
            Request::Recover { db, confirm, .. } => {
                if !confirm {
                    return Response::error(format!(
                        "refusing to recover {db} without confirmation: recovery restarts it \
                         from the replicas that survive, and writes only lost replicas had \
                         are gone"
                    ));
                }
                let name = match name(&db) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
                match self.recover(&name).await {
                    Ok(msg) => Response::ok(msg),
                    Err(e) => Response::error(e.to_string()),
                }
            }
            Request::Drain { .. } | Request::Drop { .. } => {
                Response::error("drain and drop exist under pgrq node only")
            }
            Request::Stats => {
                let stats = self.lifecycle_stats().await;
                Response {
                    stats: Some(serde_json::json!({
                        "wakes": stats.wakes,
                        "hibernations": stats.hibernations,
                        "port_moves": stats.port_moves,
                        "running": stats.running,
                        "activity": self.activity.snapshot(),
                    })),
                    ..Response::ok("")
                }
            }
        }
    }
}

/// A database name as stored (`<app>_<db>`; app names have no `_`).
pub fn parse_db(name: &str) -> Option<DbName> {
    let (app, _) = name.split_once('_')?;
    DbName::for_app(app, name).ok()
}

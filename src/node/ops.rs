//! The admin socket's operations under `pgrq node` (`<data_dir>/admin.sock`, served by
//! every node): the CLI talks to the node running on its data dir, and that node acts on
//! the whole cluster through the system catalog (conditional writes, then nudges); the
//! work itself is the reconcilers', the drain loop's and the failure detector's, on
//! whichever nodes hold the replicas. `drain` marks a node `draining` (`drain` moves its
//! replicas), `drop` is `node::drop`, `recover` is `node::recover` (relayed to the node
//! holding the replica it recovers from); `hibernate`, `wake` and `stats` are
//! `node::lifecycle_admin`'s.

use std::sync::Arc;

use async_trait::async_trait;

use crate::node::admin::{AdminOps, Request, Response};
use crate::node::core::NodeCore;
use crate::node::lifecycle_admin;
use crate::syscatalog::NodeState;

pub struct NodeOps {
    core: Arc<NodeCore>,
}

impl NodeOps {
    pub fn new(core: Arc<NodeCore>) -> NodeOps {
        NodeOps { core }
    }

    async fn drain(&self, wanted: &str) -> Result<String, String> {
        let catalog = self
            .core
            .catalog_now()
            .ok_or("the system catalog is not available yet")?;
        let snap = catalog.snapshot().await.map_err(|e| e.to_string())?;
        let node = snap
            .nodes
            .iter()
            .find(|n| n.id == wanted || n.proxy_addr == wanted)
            .ok_or_else(|| format!("no node {wanted} (give its id or proxy address)"))?
            .clone();
        let held = snap
            .replicas
            .iter()
            .filter(|r| r.node_id == node.id)
            .count();
        match node.state {
            NodeState::Removed => return Err(format!("node {} was removed", node.id)),
            NodeState::Draining => {
                return Ok(if held == 0 {
                    format!("node {} is drained: it holds no replica", node.id)
                } else {
                    format!("node {} is draining: {held} replica(s) left", node.id)
                });
            }
            NodeState::Active => {}
        }
        let max_rf = snap
            .databases
            .iter()
            .map(|d| d.replication_factor as usize)
            .max()
            .unwrap_or(0);
        let staying = snap
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Active && n.id != node.id)
            .count();
        if held > 0 && staying < max_rf {
            return Err(format!(
                "cannot drain {}: {staying} active node(s) would remain for replication factor \
                 {max_rf}",
                node.id
            ));
        }
        if !catalog
            .set_node_state(&node, NodeState::Draining)
            .await
            .map_err(|e| e.to_string())?
        {
            return Err(format!("node {} changed meanwhile; try again", node.id));
        }
        tracing::info!(node = %node.id, replicas = held, "node draining");
        self.core.nudge("");
        Ok(format!(
            "node {} is draining: {held} replica(s) to move; it takes no new ones",
            node.id
        ))
    }
}

#[async_trait]
impl AdminOps for NodeOps {
    async fn handle(&self, req: Request) -> Response {
        let result = match req {
            Request::Drain { node } => self.drain(&node).await,
            Request::Drop { db, force } => {
                crate::node::drop::drop_database(&self.core, &db, force).await
            }
            Request::Recover {
                db,
                confirm: true,
                survivor,
            } => crate::node::recover::recover(&self.core, &db, survivor.as_deref()).await,
            Request::Recover { confirm: false, .. } => Err(
                "recovery needs the explicit confirmation --yes-i-know-writes-may-be-lost".into(),
            ),
            Request::Hibernate { db } => lifecycle_admin::hibernate_now(&self.core, &db).await,
            Request::Wake { db } => lifecycle_admin::wake_now(&self.core, &db).await,
            Request::Stats => {
                return match lifecycle_admin::stats(&self.core).await {
                    Ok(v) => Response {
                        stats: Some(v),
                        ..Response::ok("")
                    },
                    Err(e) => Response::error(e),
                };
            }
        };
        match result {
            Ok(m) => Response::ok(m),
            Err(m) => Response::error(m),
        }
    }
}

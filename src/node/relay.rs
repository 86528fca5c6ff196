//! Operation requests relayed between nodes over gossip: an admin request that only one
//! node can carry out (e.g. `pgrq db recover`, which rewrites a replica's Raft state on
//! the node holding it) is sent from the node the operator asked to that node as a nudge
//! carrying a `Relay`, and its answer comes back the same way. Every node receives the
//! nudge, only the addressee acts on it; a lost message is an error after the caller's
//! timeout (operations are safe to ask again). This module moves requests and answers; it
//! decides nothing (the `AdminOps` it is given does).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::gossip::Relay;
use crate::node::admin::{AdminOps, Request, Response};
use crate::node::core::NodeCore;

/// Requests this node sent and awaits answers for, by id.
#[derive(Default)]
pub struct Relays {
    pending: Mutex<HashMap<String, oneshot::Sender<Response>>>,
}

impl Relays {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Response>>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Sends `req` to node `to` and waits up to `timeout` for its answer.
pub async fn ask(
    core: &NodeCore,
    to: &str,
    req: &Request,
    timeout: Duration,
) -> Result<Response, String> {
    let body = serde_json::to_value(req).map_err(|e| format!("cannot encode the request: {e}"))?;
    let id = format!("{}-{:016x}", core.node_id, rand::random::<u64>());
    let (tx, rx) = oneshot::channel();
    core.relays.lock().insert(id.clone(), tx);
    core.send_relay(Relay {
        id: id.clone(),
        to: to.to_string(),
        reply: false,
        body,
    });
    let answer = tokio::time::timeout(timeout, rx).await;
    core.relays.lock().remove(&id);
    match answer {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(_)) => Err(format!("node {to}: the request was dropped")),
        Err(_) => Err(format!(
            "node {to} did not answer within {timeout:?} (is it reachable by gossip?)"
        )),
    }
}

/// A relay heard from gossip: answers addressed to this node go to their waiting caller;
/// requests addressed to it are handed to `ops`, and the answer is sent back.
pub fn receive(core: &Arc<NodeCore>, ops: &Arc<dyn AdminOps>, from: &str, relay: Relay) {
    if relay.to != core.node_id {
        return;
    }
    if relay.reply {
        let waiting = core.relays.lock().remove(&relay.id);
        if let Some(tx) = waiting {
            let answer = serde_json::from_value::<Response>(relay.body)
                .unwrap_or_else(|e| Response::error(format!("bad relayed answer: {e}")));
            let _ = tx.send(answer);
        }
        return;
    }
    let core = core.clone();
    let ops = ops.clone();
    let from = from.to_string();
    tokio::spawn(async move {
        let answer = match serde_json::from_value::<Request>(relay.body) {
            Ok(req) => {
                tracing::info!(from = %from, ?req, "relayed request");
                ops.handle(req).await
            }
            Err(e) => Response::error(format!("bad relayed request: {e}")),
        };
        let body = serde_json::to_value(&answer).unwrap_or_default();
        core.send_relay(Relay {
            id: relay.id,
            to: from,
            reply: true,
            body,
        });
    });
}

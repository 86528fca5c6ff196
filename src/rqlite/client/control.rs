//! The control calls of a [`ClusterClient`]: `/readyz`, `/status` (leader, node
//! status), `/remove`, `/leader` step-down and `/nodes` membership. All are retried like
//! reads (repeating them is harmless). It must not touch the data API (`/db/*`) or the
//! retry loop itself, which stay in `client`.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use super::classify::{Kind, Step, classify_status, error_chain};
use super::{ClusterClient, MIN_READ_ATTEMPT, RqliteError, node_order};

/// One member of a cluster's Raft configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    /// The answering node reached it (rqlite's `reachable`).
    pub reachable: bool,
}

/// The members in a `/nodes?ver=2` answer: `{"nodes": [{"id": …, "reachable": …}, …]}`.
pub(super) fn parse_members(body: &[u8]) -> Result<Vec<Member>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("/nodes is not JSON: {e}"))?;
    let nodes = v
        .get("nodes")
        .and_then(|n| n.as_array())
        .ok_or_else(|| "/nodes has no \"nodes\" array".to_string())?;
    nodes
        .iter()
        .map(|n| {
            let id = n
                .get("id")
                .and_then(|i| i.as_str())
                .ok_or_else(|| format!("/nodes entry without an id: {n}"))?;
            Ok(Member {
                id: id.to_string(),
                reachable: n.get("reachable").and_then(|r| r.as_bool()) == Some(true),
            })
        })
        .collect()
}

/// GET `/readyz` on one node; true only for HTTP 200 within `timeout`.
pub async fn probe_ready(
    http: &reqwest::Client,
    node: &str,
    user: &str,
    password: &str,
    timeout: Duration,
) -> bool {
    let resp = http
        .get(format!("http://{node}/readyz"))
        .basic_auth(user, Some(password))
        .timeout(timeout)
        .send()
        .await;
    matches!(resp, Ok(r) if r.status() == StatusCode::OK)
}

impl ClusterClient {
    /// GET `/readyz` on `node`: true only for HTTP 200 (node up, leader
    /// known and contactable, store ready).
    pub async fn ready(&self, node: &str) -> bool {
        let c = &self.inner.creds;
        let timeout = self.inner.deadline.max(MIN_READ_ATTEMPT);
        probe_ready(&self.inner.http, node, &c.user, &c.password, timeout).await
    }

    /// The current leader's node ID (`store.leader.node_id` of `/status`),
    /// asking the nodes in turn. `Ok(None)` when the nodes that answered know
    /// of no leader; [`RqliteError::Unavailable`] when none answered.
    pub async fn leader(&self) -> Result<Option<String>, RqliteError> {
        let started = Instant::now();
        let n = self.inner.nodes.len();
        let mut tried = Vec::new();
        let mut last_error = "no nodes configured".to_string();
        let mut answered = false;
        for idx in node_order(n, self.inner.preferred.load(Ordering::Relaxed)) {
            let node = &self.inner.nodes[idx];
            tried.push(node.clone());
            match self.get_status(node).await {
                Ok(status) => {
                    answered = true;
                    let id = status
                        .pointer("/store/leader/node_id")
                        .and_then(|v| v.as_str())
                        .unwrap_or("");
                    if !id.is_empty() {
                        return Ok(Some(id.to_string()));
                    }
                }
                Err(Step::Fail(e)) => return Err(e),
                Err(Step::Retry(msg) | Step::Redirect(msg) | Step::Again(msg)) => {
                    last_error = format!("{node}: {msg}")
                }
            }
        }
        if answered {
            return Ok(None);
        }
        Err(RqliteError::Unavailable {
            tried,
            waited: started.elapsed(),
            last_error,
        })
    }

    async fn get_status(&self, node: &str) -> Result<serde_json::Value, Step> {
        let c = &self.inner.creds;
        let resp = self
            .inner
            .http
            .get(format!("http://{node}/status"))
            .basic_auth(&c.user, Some(&c.password))
            .timeout(self.read_attempt_timeout())
            .send()
            .await
            .map_err(|e| Step::Retry(error_chain(&e)))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Step::Retry(error_chain(&e)))?;
        if status != 200 {
            let text = String::from_utf8_lossy(&body);
            return Err(classify_status(node, status, &text, Kind::Read, &c.user));
        }
        serde_json::from_slice(&body).map_err(|e| {
            Step::Fail(RqliteError::BadResponse {
                node: node.to_string(),
                detail: format!("/status is not JSON: {e}"),
            })
        })
    }

    /// DELETE `/remove` `{"id": id}` (forwarded to the leader by rqlite).
    /// Retried like a read: removing a node twice is harmless.
    pub async fn remove_node(&self, id: &str) -> Result<(), RqliteError> {
        let body = serde_json::to_vec(&serde_json::json!({ "id": id })).map_err(|e| {
            RqliteError::InvalidParam {
                stmt: 0,
                param: 0,
                reason: format!("node id not serialisable: {e}"),
            }
        })?;
        self.with_retries(|node| {
            let body = body.clone();
            async move {
                let c = &self.inner.creds;
                let resp = self
                    .inner
                    .http
                    .delete(format!("http://{node}/remove"))
                    .basic_auth(&c.user, Some(&c.password))
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .timeout(self.read_attempt_timeout())
                    .send()
                    .await
                    .map_err(|e| Step::Retry(error_chain(&e)))?;
                let status = resp.status().as_u16();
                if status == 200 {
                    return Ok(());
                }
                let text = resp.text().await.unwrap_or_default();
                Err(classify_status(&node, status, &text, Kind::Read, &c.user))
            }
        })
        .await
    }

    /// POST `/leader?wait`: the leader hands leadership to another voter (forwarded to the
    /// leader by rqlite) and answers once it did.
    pub async fn stepdown(&self) -> Result<(), RqliteError> {
        self.with_retries(|node| async move {
            let c = &self.inner.creds;
            let resp = self
                .inner
                .http
                .post(format!("http://{node}/leader?wait"))
                .basic_auth(&c.user, Some(&c.password))
                .timeout(self.read_attempt_timeout())
                .send()
                .await
                .map_err(|e| Step::Retry(error_chain(&e)))?;
            let status = resp.status().as_u16();
            if status == 200 {
                return Ok(());
            }
            let text = resp.text().await.unwrap_or_default();
            Err(classify_status(&node, status, &text, Kind::Read, &c.user))
        })
        .await
    }

    /// The `/status` document of one node (`store.raft.applied_index`, …).
    pub async fn node_status(&self, node: &str) -> Result<serde_json::Value, RqliteError> {
        self.get_status(node).await.map_err(|s| match s {
            Step::Fail(e) => e,
            Step::Retry(m) | Step::Redirect(m) | Step::Again(m) => RqliteError::Unavailable {
                tried: vec![node.to_string()],
                waited: Duration::ZERO,
                last_error: m,
            },
        })
    }

    /// The members of the cluster's Raft configuration (voters and non-voters), as the
    /// first node that answers `GET /nodes?nonvoters&ver=2` knows it, each with whether
    /// that node could reach it within `probe`.
    pub async fn members(&self, probe: Duration) -> Result<Vec<Member>, RqliteError> {
        let probe_ms = probe.as_millis().max(1);
        self.with_retries(|node| async move {
            let c = &self.inner.creds;
            let resp = self
                .inner
                .http
                .get(format!(
                    "http://{node}/nodes?nonvoters&ver=2&timeout={probe_ms}ms"
                ))
                .basic_auth(&c.user, Some(&c.password))
                .timeout(self.read_attempt_timeout() + probe)
                .send()
                .await
                .map_err(|e| Step::Retry(error_chain(&e)))?;
            let status = resp.status().as_u16();
            let body = resp
                .bytes()
                .await
                .map_err(|e| Step::Retry(error_chain(&e)))?;
            if status != 200 {
                let text = String::from_utf8_lossy(&body);
                return Err(classify_status(&node, status, &text, Kind::Read, &c.user));
            }
            parse_members(&body).map_err(|detail| {
                Step::Fail(RqliteError::BadResponse {
                    node: node.clone(),
                    detail,
                })
            })
        })
        .await
    }
}

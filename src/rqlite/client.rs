//! [`ClusterClient`]: node failover, leader retries and the HTTP calls.
//!
//! Write safety. A write (`execute`, `request`) whose HTTP request may have
//! reached rqlite must not be sent again: if the connection failed after
//! sending, or rqlite reported an error that can happen after the Raft apply
//! (e.g. "leadership lost while committing log", a failed forward to the
//! leader, a 500), the write may already be committed and a retry could apply
//! it twice. So a write is retried only when (a) the TCP connection could not
//! be opened (`reqwest::Error::is_connect`: nothing was sent), or (b) rqlite
//! answered 503 or one of [`NOT_APPLIED_ERRORS`], which it returns before
//! the entry reaches the Raft log. Every other failure of a sent write is
//! [`RqliteError::Indeterminate`]. Reads (`query`, `leader`, `/readyz`) and
//! `remove_node` (idempotent) are retried on any transport or 5xx failure.
//!
//! Writes carry rqlite's `redirect` flag: a follower answers 301 with the
//! leader's address instead of forwarding, and the write goes to the leader
//! directly. A follower's forward that breaks mid-way is ambiguous from here
//! (seen on rqlite v10.2.7 after kill -9 of the leader: "read protobuf
//! length: … connection reset by peer"); a dead leader that pgrq dials itself
//! is a connect error, which proves nothing was sent — provided the write
//! does not go out on a pooled keep-alive connection opened before the leader
//! died (also seen: "connection closed before message completed"). So writes
//! use a client that keeps no idle connections: one loopback connect per write
//! buys the rule "a write that may have been sent is never retried, and a
//! write that provably was not is". The clients given to
//! [`ClusterClient::new`] must not follow redirects themselves.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use super::RqliteError;
use super::decode::{Body, decode_body};
use super::types::{Level, Stmt, StmtResult, encode_body};

const BACKOFF_START: Duration = Duration::from_millis(25);
const BACKOFF_CAP: Duration = Duration::from_millis(500);
const MIN_READ_ATTEMPT: Duration = Duration::from_millis(500);

/// rqlite user and password, sent as HTTP Basic auth on every request.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Client of one rqlite cluster. Cheap to clone (shares one
/// `reqwest::Client` and the "last good node" memory).
#[derive(Clone, Debug)]
pub struct ClusterClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    /// For writes: a client that keeps no idle connections, so a write never goes out on
    /// a connection opened before it (see the module doc).
    write_http: reqwest::Client,
    nodes: Vec<String>,
    creds: Credentials,
    deadline: Duration,
    /// Index of the node that last answered successfully; tried first.
    preferred: AtomicUsize,
}

/// Whether repeating a request that may have reached rqlite is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
}

/// What to do after one attempt on one node.
#[derive(Debug)]
enum Step {
    /// Try the next node (then back off and go round again).
    Retry(String),
    /// A follower named the leader (`host:port`): nothing was applied; go there.
    Redirect(String),
    /// Give up now with this error.
    Fail(RqliteError),
}

/// Request-level errors after which rqlite has certainly not applied a write
/// (returned before the Raft apply: `store.ErrNotOpen`, `ErrNotReady`,
/// `ErrNotLeader`, `ErrLeaderNotFound`, raft's `ErrEnqueueTimeout`; raft's
/// `ErrLeadershipTransferInProgress`, which hashicorp/raft v1.7 answers to an apply
/// before dispatching it to the log, seen while a drain hands leadership over).
const NOT_APPLIED_ERRORS: &[&str] = &[
    "leader not found",
    "store not ready",
    "store not open",
    "not leader",
    "timed out enqueuing operation",
    "leadership transfer in progress",
];

/// A follower that could not even open a connection to the leader to forward the
/// request (seen on rqlite v10.2.7 right after the leader was killed: "dial tcp
/// 127.0.0.1:33050: connect: connection refused"): nothing was forwarded, so nothing
/// was applied.
fn forward_never_connected(m: &str) -> bool {
    m.starts_with("dial tcp ") && m.ends_with("connect: connection refused")
}

/// A top-level error that is SQLite's constraint check at COMMIT (deferred foreign keys
/// are checked there), not a failure of rqlite or Raft.
fn is_commit_constraint(msg: &str) -> bool {
    msg.trim() == "FOREIGN KEY constraint failed"
}

/// Reaction to HTTP 200 with a top-level `"error"`.
fn classify_request_error(node: &str, msg: &str, kind: Kind) -> Step {
    let m = msg.trim();
    if m == "disallowed pragma" {
        return Step::Fail(RqliteError::Request {
            node: node.to_string(),
            message: m.to_string(),
        });
    }
    if kind == Kind::Read || NOT_APPLIED_ERRORS.contains(&m) || forward_never_connected(m) {
        return Step::Retry(m.to_string());
    }
    // e.g. "leadership lost while committing log" or a forwarding failure:
    // the entry may be in the Raft log.
    Step::Fail(RqliteError::Indeterminate {
        node: node.to_string(),
        detail: m.to_string(),
    })
}

/// Reaction to a non-200 HTTP status.
fn classify_status(node: &str, status: u16, body: &str, kind: Kind, user: &str) -> Step {
    let node_s = node.to_string();
    let body = body.trim().to_string();
    match status {
        401 => Step::Fail(RqliteError::Auth {
            node: node_s,
            user: user.to_string(),
        }),
        400 => Step::Fail(RqliteError::BadRequest {
            node: node_s,
            message: body,
        }),
        // rqlite sends 503 for "leader not found" (nothing applied).
        503 => Step::Retry(format!("HTTP 503 {body}")),
        // With `redirect`, a follower that knows no leader answers 500 "leader not
        // found" (before any apply).
        500 if body == "leader not found" => Step::Retry(format!("HTTP 500 {body}")),
        // rqlite ran the statement but its JSON encoder cannot write an infinite REAL
        // (pgrq wraps the float columns it can type; see `sql::floats`). Not retried.
        500 if body.contains("json: unsupported value") && kind == Kind::Read => {
            Step::Fail(RqliteError::Request {
                node: node_s,
                message: format!(
                    "a result value is an infinite float in a column pgrq could not type as \
                     float4/float8, which rqlite's JSON cannot carry (cast the column to \
                     float8): {body}"
                ),
            })
        }
        500 if body.starts_with("SQL rewrite") => Step::Fail(RqliteError::Request {
            node: node_s,
            message: body,
        }),
        500..=599 => match kind {
            Kind::Read => Step::Retry(format!("HTTP {status} {body}")),
            Kind::Write => Step::Fail(RqliteError::Indeterminate {
                node: node_s,
                detail: format!("HTTP {status} {body}"),
            }),
        },
        _ => Step::Fail(RqliteError::Request {
            node: node_s,
            message: format!("unexpected HTTP {status} {body}"),
        }),
    }
}

/// Reaction to a transport failure. `before_send` is true only when the
/// TCP connection could not be established, so nothing reached rqlite.
fn classify_transport(node: &str, before_send: bool, msg: String, kind: Kind) -> Step {
    if before_send || kind == Kind::Read {
        Step::Retry(msg)
    } else {
        Step::Fail(RqliteError::Indeterminate {
            node: node.to_string(),
            detail: msg,
        })
    }
}

/// One member of a cluster's Raft configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    /// The answering node reached it (rqlite's `reachable`).
    pub reachable: bool,
}

/// The members in a `/nodes?ver=2` answer: `{"nodes": [{"id": …, "reachable": …}, …]}`.
fn parse_members(body: &[u8]) -> Result<Vec<Member>, String> {
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

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// `http://127.0.0.1:4001/db/execute?…` → `127.0.0.1:4001`.
fn node_from_location(location: &str) -> Option<String> {
    let rest = location.split_once("://").map_or(location, |(_, r)| r);
    let host = rest.split(['/', '?']).next()?;
    (!host.is_empty()).then(|| host.to_string())
}

/// Node visiting order: `preferred` first, then the others in list order.
fn node_order(n: usize, preferred: usize) -> impl Iterator<Item = usize> {
    let start = if preferred < n { preferred } else { 0 };
    (0..n).map(move |i| (start + i) % n)
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
    /// `nodes` are HTTP addresses (`"127.0.0.1:4001"`). `deadline` bounds
    /// how long a call keeps retrying across nodes before
    /// [`RqliteError::Unavailable`].
    /// `http` serves reads and status calls (keep-alive pooled); `write_http` must keep
    /// no idle connections (`pool_max_idle_per_host(0)`); neither may follow redirects.
    pub fn new(
        http: reqwest::Client,
        write_http: reqwest::Client,
        nodes: Vec<String>,
        creds: Credentials,
        deadline: Duration,
    ) -> Self {
        ClusterClient {
            inner: Arc::new(Inner {
                http,
                write_http,
                nodes,
                creds,
                deadline,
                preferred: AtomicUsize::new(0),
            }),
        }
    }

    /// The configured nodes.
    pub fn nodes(&self) -> &[String] {
        &self.inner.nodes
    }

    /// POST `/db/execute`. With `transaction`, the first statement error
    /// rolls back the whole batch: the results are then the earlier
    /// statements' results followed by that error, and any `Err` element
    /// means nothing of the batch was kept.
    pub async fn execute(
        &self,
        stmts: &[Stmt],
        transaction: bool,
    ) -> Result<Vec<StmtResult>, RqliteError> {
        let query = if transaction {
            "blob_array&transaction".to_string()
        } else {
            "blob_array".to_string()
        };
        self.data_call("/db/execute", query, stmts, Kind::Write, false)
            .await
    }

    /// POST `/db/query` (read-only; a write statement fails per statement).
    pub async fn query(
        &self,
        stmts: &[Stmt],
        level: Level,
    ) -> Result<Vec<StmtResult>, RqliteError> {
        let query = format!("{}&blob_array", level.as_query());
        self.data_call("/db/query", query, stmts, Kind::Read, true)
            .await
    }

    /// POST `/db/request`: reads and writes together (use it for
    /// `RETURNING`). Same rollback rule as [`ClusterClient::execute`].
    /// Treated as a write for retry purposes.
    pub async fn request(
        &self,
        stmts: &[Stmt],
        transaction: bool,
        level: Level,
    ) -> Result<Vec<StmtResult>, RqliteError> {
        let mut query = format!("{}&blob_array", level.as_query());
        if transaction {
            query.push_str("&transaction");
        }
        self.data_call("/db/request", query, stmts, Kind::Write, false)
            .await
    }

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
                Err(Step::Retry(msg) | Step::Redirect(msg)) => {
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
            Step::Retry(m) | Step::Redirect(m) => RqliteError::Unavailable {
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

    fn read_attempt_timeout(&self) -> Duration {
        let n = u32::try_from(self.inner.nodes.len().max(1)).unwrap_or(u32::MAX);
        (self.inner.deadline / n).max(MIN_READ_ATTEMPT)
    }

    async fn data_call(
        &self,
        path: &'static str,
        query: String,
        stmts: &[Stmt],
        kind: Kind,
        expect_rows: bool,
    ) -> Result<Vec<StmtResult>, RqliteError> {
        if stmts.is_empty() {
            return Ok(Vec::new());
        }
        let body = encode_body(stmts)?;
        // A write in flight may take up to the whole deadline (rqlite's own
        // apply timeout is 10 s); cutting it short would only turn a likely
        // success into an unknown outcome.
        let attempt_timeout = match kind {
            Kind::Read => self.read_attempt_timeout(),
            Kind::Write => self.inner.deadline.max(MIN_READ_ATTEMPT),
        };
        let query = match (kind, query.is_empty()) {
            (Kind::Write, true) => "redirect".to_string(),
            (Kind::Write, false) => format!("{query}&redirect"),
            (Kind::Read, _) => query,
        };
        self.with_retries(|node| {
            let body = body.clone();
            let url = format!("http://{node}{path}?{query}");
            async move {
                let c = &self.inner.creds;
                let http = match kind {
                    Kind::Write => &self.inner.write_http,
                    Kind::Read => &self.inner.http,
                };
                let resp = http
                    .post(url)
                    .basic_auth(&c.user, Some(&c.password))
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .timeout(attempt_timeout)
                    .send()
                    .await
                    // Only a connect error proves the request was not sent.
                    .map_err(|e| {
                        classify_transport(&node, e.is_connect(), error_chain(&e), kind)
                    })?;
                let status = resp.status().as_u16();
                if resp.status().is_redirection() {
                    let leader = resp
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|l| l.to_str().ok())
                        .and_then(node_from_location);
                    return Err(match leader {
                        Some(l) => Step::Redirect(l),
                        None => Step::Retry(format!("HTTP {status} without a usable Location")),
                    });
                }
                let bytes = resp
                    .bytes()
                    .await
                    .map_err(|e| classify_transport(&node, false, error_chain(&e), kind))?;
                if status != 200 {
                    let text = String::from_utf8_lossy(&bytes);
                    return Err(classify_status(&node, status, &text, kind, &c.user));
                }
                match decode_body(&bytes, expect_rows) {
                    Ok(Body::Results(r)) => Ok(r),
                    // SQLite refusing the batch's COMMIT (a deferred foreign key): every
                    // node rolls it back alike, so the outcome is known: nothing applied.
                    Ok(Body::RequestError(msg)) if is_commit_constraint(&msg) => Ok(vec![Err(msg)]),
                    Ok(Body::RequestError(msg)) => Err(classify_request_error(&node, &msg, kind)),
                    Err(detail) => Err(Step::Fail(RqliteError::BadResponse { node, detail })),
                }
            }
        })
        .await
    }

    /// Runs `attempt` on the nodes (last good one first) until one succeeds,
    /// one fails for good, or the deadline passes. Between rounds it backs
    /// off exponentially (25 ms doubling to 500 ms). Every node is tried at
    /// least once, whatever the deadline.
    async fn with_retries<T, F, Fut>(&self, mut attempt: F) -> Result<T, RqliteError>
    where
        F: FnMut(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, Step>>,
    {
        let started = Instant::now();
        let deadline = started + self.inner.deadline;
        let n = self.inner.nodes.len();
        let mut tried: Vec<String> = Vec::new();
        let mut last_error = "no nodes configured".to_string();
        let mut backoff = BACKOFF_START;
        let mut redirects = 0;
        'rounds: loop {
            let preferred = self.inner.preferred.load(Ordering::Relaxed);
            for (pos, idx) in node_order(n, preferred).enumerate() {
                let node = self.inner.nodes[idx].clone();
                if !tried.contains(&node) {
                    tried.push(node.clone());
                } else if pos > 0 && Instant::now() >= deadline {
                    // Past the deadline a round still makes one attempt, and
                    // nodes never tried yet still get theirs.
                    break;
                }
                match attempt(node.clone()).await {
                    Ok(v) => {
                        self.inner.preferred.store(idx, Ordering::Relaxed);
                        return Ok(v);
                    }
                    Err(Step::Fail(e)) => return Err(e),
                    Err(Step::Retry(msg)) => {
                        tracing::debug!(node = %node, error = %msg, "rqlite attempt failed; trying next node");
                        last_error = format!("{node}: {msg}");
                    }
                    Err(Step::Redirect(leader)) => {
                        last_error = format!("{node}: redirected to the leader at {leader}");
                        // Go straight to the leader, unless followers keep bouncing us
                        // around (an election in progress): then back off as usual.
                        if let Some(i) = self.inner.nodes.iter().position(|n| *n == leader)
                            && redirects < 3
                            && Instant::now() < deadline
                        {
                            redirects += 1;
                            self.inner.preferred.store(i, Ordering::Relaxed);
                            continue 'rounds;
                        }
                    }
                }
            }
            redirects = 0;
            let now = Instant::now();
            let remaining = deadline.saturating_duration_since(now);
            // Every node gets tried once even with a zero deadline.
            if n == 0 || (remaining.is_zero() && tried.len() == n) {
                return Err(RqliteError::Unavailable {
                    tried,
                    waited: now - started,
                    last_error,
                });
            }
            tokio::time::sleep(backoff.min(remaining)).await;
            backoff = (backoff * 2).min(BACKOFF_CAP);
        }
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;

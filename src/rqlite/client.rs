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

mod classify;
mod control;

pub use control::{Member, probe_ready};

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;

use super::RqliteError;
use super::decode::{Body, decode_body};
use super::types::{Level, Stmt, StmtResult, encode_body};
use classify::{
    Kind, Step, classify_request_error, classify_status, classify_transport, error_chain,
    is_commit_constraint, is_fsm_stall,
};

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

    /// The query string a read at `level` switches to after an FSM stall (see
    /// [`classify::is_fsm_stall`]): the same read at `strong`, which goes through the Raft
    /// log and so moves the FSM past the configuration entry it was waiting behind.
    fn stall_fallback(query: &str) -> Option<String> {
        let linearizable = Level::Linearizable.as_query();
        query
            .contains(&linearizable)
            .then(|| query.replacen(&linearizable, &Level::Strong.as_query(), 1))
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
        // Set once a linearizable read stalled behind a configuration entry: later
        // attempts read at `strong` instead.
        let stalled = AtomicBool::new(false);
        let fallback = Self::stall_fallback(&query);
        self.with_retries(|node| {
            let body = body.clone();
            let q = match &fallback {
                Some(f) if stalled.load(Ordering::Relaxed) => f,
                _ => &query,
            };
            let url = format!("http://{node}{path}?{q}");
            let stalled = &stalled;
            let fallback = &fallback;
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
                    // Nothing was applied (only a read waits for the FSM); read again at
                    // `strong` at once.
                    Ok(Body::RequestError(msg)) if is_fsm_stall(&msg) && fallback.is_some() => {
                        stalled.store(true, Ordering::Relaxed);
                        Err(Step::Again(msg))
                    }
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
        let mut again = false;
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
                    // The same node, once, at once (its next attempt differs).
                    Err(Step::Again(msg)) if !again => {
                        again = true;
                        last_error = format!("{node}: {msg}");
                        self.inner.preferred.store(idx, Ordering::Relaxed);
                        continue 'rounds;
                    }
                    Err(Step::Again(msg)) => {
                        last_error = format!("{node}: {msg}");
                    }
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

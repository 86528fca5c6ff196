//! What one failed attempt on one rqlite node means for the call: try the next node,
//! follow a leader redirect, or give up (and whether a write may already have been
//! applied, see the write-safety rule in `client`). Pure decisions on status codes and
//! message text; it must not send requests or sleep.

use super::RqliteError;
/// Whether repeating a request that may have reached rqlite is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Read,
    Write,
}

/// What to do after one attempt on one node.
#[derive(Debug)]
pub(super) enum Step {
    /// Try the next node (then back off and go round again).
    Retry(String),
    /// A follower named the leader (`host:port`): nothing was applied; go there.
    Redirect(String),
    /// Give up now with this error.
    Fail(RqliteError),
    /// Nothing was applied and the next attempt is different (a read switching level):
    /// try this node again at once.
    Again(String),
}

/// rqlite's linearizable read waits until its FSM applied the commit index it saw, but a
/// Raft configuration entry (a replica joining or leaving) is never applied through the
/// FSM: after one, every linearizable read fails with "index N: timeout waiting for fsm"
/// until the next entry that is, such as a write or a `strong` read. Nothing was applied.
pub(super) fn is_fsm_stall(msg: &str) -> bool {
    msg.trim_end().ends_with("timeout waiting for fsm")
}

/// Request-level errors after which rqlite has certainly not applied a write
/// (returned before the Raft apply: `store.ErrNotOpen`, `ErrNotReady`,
/// `ErrNotLeader`, `ErrLeaderNotFound`, raft's `ErrEnqueueTimeout`; raft's
/// `ErrLeadershipTransferInProgress`, which hashicorp/raft v1.7 answers to an apply
/// before dispatching it to the log, seen while a drain hands leadership over).
pub(super) const NOT_APPLIED_ERRORS: &[&str] = &[
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
pub(super) fn forward_never_connected(m: &str) -> bool {
    m.starts_with("dial tcp ") && m.ends_with("connect: connection refused")
}

/// A top-level error that is SQLite's constraint check at COMMIT (deferred foreign keys
/// are checked there), not a failure of rqlite or Raft.
pub(super) fn is_commit_constraint(msg: &str) -> bool {
    msg.trim() == "FOREIGN KEY constraint failed"
}

/// Reaction to HTTP 200 with a top-level `"error"`.
pub(super) fn classify_request_error(node: &str, msg: &str, kind: Kind) -> Step {
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
pub(super) fn classify_status(node: &str, status: u16, body: &str, kind: Kind, user: &str) -> Step {
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
pub(super) fn classify_transport(node: &str, before_send: bool, msg: String, kind: Kind) -> Step {
    if before_send || kind == Kind::Read {
        Step::Retry(msg)
    } else {
        Step::Fail(RqliteError::Indeterminate {
            node: node.to_string(),
            detail: msg,
        })
    }
}

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

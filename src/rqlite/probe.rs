//! One `/readyz` probe told apart three ways: ready (200: a leader is known and heard,
//! the store is open), up but not ready (any other HTTP answer: the process runs and
//! serves HTTP on that address), or down (no HTTP answer within the timeout).

use std::time::Duration;

use reqwest::StatusCode;

/// What one `/readyz` probe of a node found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// HTTP 200: leader known and contactable, store ready.
    Ready,
    /// Answered otherwise (503 while no leader is known, the store is not open yet, ...).
    Up,
    /// No answer: nothing listens, or it did not answer within the timeout.
    Down,
}

/// GET `/readyz` on `node` (`host:port`) with basic auth, within `timeout`.
pub async fn probe(
    http: &reqwest::Client,
    node: &str,
    user: &str,
    password: &str,
    timeout: Duration,
) -> Readiness {
    let resp = http
        .get(format!("http://{node}/readyz"))
        .basic_auth(user, Some(password))
        .timeout(timeout)
        .send()
        .await;
    match resp {
        Ok(r) if r.status() == StatusCode::OK => Readiness::Ready,
        Ok(_) => Readiness::Up,
        Err(_) => Readiness::Down,
    }
}

//! Tests of the retry policy and of real network failures. No rqlite is
//! involved: the only peers are closed ports and a TCP socket that drops the
//! connection without answering (a network fault, not an rqlite stand-in).

use super::classify::*;
use super::control::parse_members;
use super::*;
use crate::rqlite::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

fn client(nodes: Vec<String>, deadline: Duration) -> ClusterClient {
    ClusterClient::new(
        reqwest::Client::new(),
        reqwest::Client::new(),
        nodes,
        Credentials {
            user: "pgrq".into(),
            password: "secret".into(),
        },
        deadline,
    )
}

/// An address on which nothing listens (connection refused).
async fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    addr
}

/// A peer that accepts, reads the request head, then closes without a
/// response. Returns its address and a counter of accepted connections.
async fn dropping_peer() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 8192];
            let mut seen = Vec::new();
            while let Ok(k) = sock.read(&mut buf).await {
                if k == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..k]);
                if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            drop(sock);
        }
    });
    (addr, count)
}

fn is_retry(s: &Step) -> bool {
    matches!(s, Step::Retry(_))
}

#[test]
fn leader_address_from_a_redirect() {
    assert_eq!(
        node_from_location("http://127.0.0.1:4001/db/execute?transaction&redirect").as_deref(),
        Some("127.0.0.1:4001")
    );
    assert_eq!(
        node_from_location("127.0.0.1:4003/db/query").as_deref(),
        Some("127.0.0.1:4003")
    );
    assert_eq!(node_from_location("http:///x"), None);
}

#[test]
fn top_level_errors_retry_reads_but_only_known_safe_writes() {
    for msg in [
        "leader not found",
        "store not ready",
        "not leader",
        "store not open",
        "leadership transfer in progress",
    ] {
        assert!(
            is_retry(&classify_request_error("n", msg, Kind::Write)),
            "{msg}"
        );
        assert!(
            is_retry(&classify_request_error("n", msg, Kind::Read)),
            "{msg}"
        );
    }
    let lost = "leadership lost while committing log";
    assert!(is_retry(&classify_request_error("n", lost, Kind::Read)));
    assert!(matches!(
        classify_request_error("n", lost, Kind::Write),
        Step::Fail(RqliteError::Indeterminate { .. })
    ));
    // A follower that could not dial the leader forwarded nothing: safe to retry.
    let dial = "dial tcp 127.0.0.1:33050: connect: connection refused";
    assert!(is_retry(&classify_request_error("n", dial, Kind::Write)));
    // A forward that failed after connecting may have been applied.
    let reset = "read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer";
    assert!(matches!(
        classify_request_error("n", reset, Kind::Write),
        Step::Fail(RqliteError::Indeterminate { .. })
    ));
    assert!(matches!(
        classify_request_error("n", "disallowed pragma", Kind::Read),
        Step::Fail(RqliteError::Request { .. })
    ));
}

#[test]
fn http_status_decisions() {
    let w = Kind::Write;
    let r = Kind::Read;
    assert!(matches!(
        classify_status("n", 401, "", w, "u"),
        Step::Fail(RqliteError::Auth { .. })
    ));
    assert!(matches!(
        classify_status("n", 401, "", r, "u"),
        Step::Fail(RqliteError::Auth { .. })
    ));
    match classify_status("n", 400, "invalid JSON body\n", w, "u") {
        Step::Fail(RqliteError::BadRequest { message, .. }) => {
            assert_eq!(message, "invalid JSON body")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(is_retry(&classify_status(
        "n",
        503,
        "leader not found",
        w,
        "u"
    )));
    assert!(is_retry(&classify_status("n", 503, "", r, "u")));
    assert!(is_retry(&classify_status(
        "n",
        500,
        "leader address: x",
        r,
        "u"
    )));
    assert!(matches!(
        classify_status("n", 500, "leader address: x", w, "u"),
        Step::Fail(RqliteError::Indeterminate { .. })
    ));
    // A result rqlite cannot encode (an infinite REAL) fails at once, saying why.
    let inf =
        "json: error calling MarshalJSON for type *http.DBResults: json: unsupported value: +Inf";
    match classify_status("n", 500, inf, r, "u") {
        Step::Fail(RqliteError::Request { message, .. }) => {
            assert!(message.contains("infinite float"), "{message}")
        }
        other => panic!("unexpected {other:?}"),
    }
    // A follower asked to redirect, with no leader known, applied nothing.
    assert!(is_retry(&classify_status(
        "n",
        500,
        "leader not found\n",
        w,
        "u"
    )));
    assert!(matches!(
        classify_status("n", 500, "SQL rewrite: bad", w, "u"),
        Step::Fail(RqliteError::Request { .. })
    ));
    assert!(matches!(
        classify_status("n", 405, "", r, "u"),
        Step::Fail(RqliteError::Request { .. })
    ));
}

#[test]
fn transport_decisions() {
    assert!(is_retry(&classify_transport(
        "n",
        true,
        "refused".into(),
        Kind::Write
    )));
    assert!(is_retry(&classify_transport(
        "n",
        false,
        "reset".into(),
        Kind::Read
    )));
    assert!(matches!(
        classify_transport("n", false, "reset".into(), Kind::Write),
        Step::Fail(RqliteError::Indeterminate { .. })
    ));
}

#[test]
fn node_order_starts_at_preferred() {
    assert_eq!(node_order(3, 0).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(node_order(3, 2).collect::<Vec<_>>(), [2, 0, 1]);
    assert_eq!(node_order(3, 7).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(node_order(0, 0).count(), 0);
}

#[test]
fn credentials_debug_hides_password() {
    let c = Credentials {
        user: "u".into(),
        password: "hunter2".into(),
    };
    let s = format!("{c:?}");
    assert!(s.contains("\"u\"") && !s.contains("hunter2"), "{s}");
}

#[tokio::test]
async fn all_nodes_refusing_gives_unavailable_after_deadline() {
    let nodes = vec![closed_port().await, closed_port().await];
    let c = client(nodes.clone(), Duration::from_millis(300));
    let started = Instant::now();
    let err = c
        .query(&[Stmt::new("SELECT 1")], Level::Weak)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    match &err {
        RqliteError::Unavailable {
            tried, last_error, ..
        } => {
            assert_eq!(tried, &nodes);
            assert!(!last_error.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(&nodes[0]) && text.contains(&nodes[1]),
        "{text}"
    );
}

#[tokio::test]
async fn refused_write_is_retried_and_zero_deadline_still_tries_every_node() {
    let nodes = vec![
        closed_port().await,
        closed_port().await,
        closed_port().await,
    ];
    let c = client(nodes.clone(), Duration::ZERO);
    let err = c
        .execute(&[Stmt::new("INSERT INTO t VALUES (1)")], true)
        .await
        .unwrap_err();
    match err {
        RqliteError::Unavailable { tried, .. } => assert_eq!(tried, nodes),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn write_is_not_retried_once_sent() {
    let (peer, count) = dropping_peer().await;
    let other = closed_port().await;
    let c = client(vec![peer.clone(), other], Duration::from_millis(500));
    let err = c
        .execute(
            &[Stmt::with_params(
                "INSERT INTO t VALUES (?)",
                vec![Value::Integer(1)],
            )],
            false,
        )
        .await
        .unwrap_err();
    match err {
        RqliteError::Indeterminate { node, .. } => assert_eq!(node, peer),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let err = c
        .request(&[Stmt::new("DELETE FROM t")], true, Level::Weak)
        .await
        .unwrap_err();
    assert!(matches!(err, RqliteError::Indeterminate { .. }), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn read_is_retried_after_a_dropped_connection() {
    let (peer, count) = dropping_peer().await;
    let c = client(vec![peer], Duration::from_millis(300));
    let err = c
        .query(&[Stmt::new("SELECT 1")], Level::None)
        .await
        .unwrap_err();
    assert!(matches!(err, RqliteError::Unavailable { .. }), "{err:?}");
    assert!(
        count.load(Ordering::SeqCst) >= 2,
        "{}",
        count.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn nothing_is_sent_for_empty_or_invalid_batches() {
    let (peer, count) = dropping_peer().await;
    let c = client(vec![peer], Duration::from_millis(200));
    assert!(c.execute(&[], true).await.unwrap().is_empty());
    let err = c
        .execute(
            &[Stmt::with_params("x", vec![Value::Real(f64::INFINITY)])],
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RqliteError::InvalidParam {
                stmt: 0,
                param: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn control_calls_on_dead_nodes() {
    let dead = closed_port().await;
    let c = client(vec![dead.clone()], Duration::from_millis(100));
    assert!(!c.ready(&dead).await);
    assert!(matches!(
        c.leader().await,
        Err(RqliteError::Unavailable { .. })
    ));
    assert!(matches!(
        c.remove_node("n1").await,
        Err(RqliteError::Unavailable { .. })
    ));
    let none = client(vec![], Duration::from_millis(100));
    assert!(matches!(
        none.query(&[Stmt::new("SELECT 1")], Level::Weak).await,
        Err(RqliteError::Unavailable { .. })
    ));
}

#[test]
fn a_deferred_foreign_key_refused_at_commit_is_a_known_outcome() {
    assert!(is_commit_constraint("FOREIGN KEY constraint failed"));
    assert!(!is_commit_constraint(
        "leadership lost while committing log"
    ));
    assert!(!is_commit_constraint("leader not found"));
}

#[test]
fn members_are_read_from_the_nodes_array() {
    let body = br#"{"nodes":[{"id":"a-1","addr":"127.0.0.1:1","voter":true,"reachable":false},{"id":"a-2","voter":false}]}"#;
    let m = parse_members(body).unwrap();
    let ids: Vec<(&str, bool)> = m.iter().map(|m| (m.id.as_str(), m.reachable)).collect();
    assert_eq!(ids, [("a-1", false), ("a-2", false)]);
    let live = br#"{"nodes":[{"id":"b","reachable":true}]}"#;
    assert!(parse_members(live).unwrap()[0].reachable);
    assert!(parse_members(br#"{"a-1":{}}"#).is_err(), "legacy format");
    assert!(parse_members(br#"{"nodes":[{"addr":"x"}]}"#).is_err());
}

#[test]
fn a_read_stalled_behind_a_configuration_entry_is_read_again_at_strong() {
    assert!(is_fsm_stall("index 7: timeout waiting for fsm"));
    assert!(!is_fsm_stall("leader not found"));
    assert_eq!(
        ClusterClient::stall_fallback("level=linearizable&blob_array").as_deref(),
        Some("level=strong&blob_array")
    );
    // Other levels do not wait for the FSM, and writes carry no level.
    assert_eq!(ClusterClient::stall_fallback("level=weak&blob_array"), None);
    assert_eq!(
        ClusterClient::stall_fallback("blob_array&transaction"),
        None
    );
}

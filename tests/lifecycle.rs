//! Hibernation and wake against the real engine: each test starts the `pgrq` binary with
//! real `rqlited` replicas (`PGRQ_RQLITED`, or the install script's cache; without one
//! they fail, never skip) and drives it with real clients and its admin socket.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Pgrq, connect, rows};

use pgrq::node::admin::{Request, Response, request, socket_path};
use pgrq::node::lifecycle::{Peer, write_peers_json};
use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};

fn rqlited() -> String {
    match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p.display().to_string(),
        Err(e) => panic!("the lifecycle tests need rqlited: {e}"),
    }
}

struct Ranges {
    http: u16,
    raft: u16,
}

fn start(extra: &[(&str, &str)]) -> (Pgrq, Ranges) {
    let base = common::port_base();
    let ranges = Ranges {
        http: base,
        raft: base + 50,
    };
    let env = [
        ("PGRQ_RQLITED", rqlited()),
        ("PGRQ_TLS__MODE", "off".into()),
        ("PGRQ_DATABASE__MAX_DATABASES", "10".into()),
        ("PGRQ_DATABASE__PORT_RANGE_HTTP_START", base.to_string()),
        (
            "PGRQ_DATABASE__PORT_RANGE_HTTP_END",
            (base + 39).to_string(),
        ),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_START",
            (base + 50).to_string(),
        ),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_END",
            (base + 89).to_string(),
        ),
    ];
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    (Pgrq::start(&all), ranges)
}

async fn admin(p: &Pgrq, req: Request) -> Response {
    let r = request(&socket_path(&p.data_dir()), &req, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("admin {req:?}: {e}\n{}", p.output()));
    assert!(r.ok, "admin {req:?}: {}\n{}", r.message, p.output());
    r
}

async fn stat(p: &Pgrq, key: &str) -> u64 {
    let r = admin(p, Request::Stats).await;
    r.stats
        .as_ref()
        .and_then(|s| s[key].as_u64())
        .unwrap_or_else(|| panic!("stats without {key}: {r:?}"))
}

/// PIDs of the rqlited processes whose command line names a path under `db_dir`.
fn replicas_running(db_dir: &Path) -> Vec<u32> {
    let needle = db_dir.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.contains("rqlited") && c.contains(&needle)
            })
        })
        .collect()
}

fn placement(db_dir: &Path) -> (Vec<u16>, Vec<u16>) {
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(db_dir.join("placement.json")).expect("placement.json"),
    )
    .expect("json");
    let ports = |k: &str| -> Vec<u16> {
        v[k].as_array()
            .expect("ports")
            .iter()
            .map(|p| p.as_u64().expect("port") as u16)
            .collect()
    };
    (ports("http"), ports("raft"))
}

/// Polls `cond` every 20 ms until it holds; panics with `what` after `limit`.
async fn wait_for(p: &Pgrq, what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {limit:?}\n{}",
            p.output()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn db_dir(p: &Pgrq, db: &str) -> PathBuf {
    p.data_dir().join(db)
}

async fn count(p: &Pgrq, db: &str) -> i64 {
    let c = connect(p, db).await;
    let r = rows(&c, "SELECT count(*) FROM t").await;
    r[0][0].as_deref().expect("count").parse().expect("int")
}

#[tokio::test]
async fn an_idle_database_hibernates_and_wakes_with_its_data() {
    let (p, _) = start(&[("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "1s")]);
    let dir = db_dir(&p, "demo_sleepy");
    {
        let c = connect(&p, "demo_sleepy").await;
        c.batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2), (3)")
            .await
            .expect("seed");
        assert_eq!(replicas_running(&dir).len(), 3);
        // An open session keeps it running, however idle.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(replicas_running(&dir).len(), 3, "{}", p.output());
    }
    wait_for(&p, "replicas stopped", Duration::from_secs(30), || {
        replicas_running(&dir).is_empty()
    })
    .await;
    // The processes are gone a moment before the hibernation is counted.
    let deadline = Instant::now() + Duration::from_secs(30);
    while stat(&p, "hibernations").await == 0 {
        assert!(Instant::now() < deadline, "not counted\n{}", p.output());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // No port is held either.
    let (http, raft) = placement(&dir);
    for port in http.iter().chain(&raft) {
        assert!(
            TcpListener::bind(("127.0.0.1", *port)).is_ok(),
            "port {port} still held"
        );
    }
    assert_eq!(stat(&p, "wakes").await, 0);
    assert_eq!(count(&p, "demo_sleepy").await, 3);
    assert_eq!(stat(&p, "wakes").await, 1);
}

#[tokio::test]
async fn a_hundred_hibernate_wake_cycles_lose_no_row() {
    let (p, _) = start(&[("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "0s")]);
    let dir = db_dir(&p, "demo_cycles");
    connect(&p, "demo_cycles")
        .await
        .batch_execute("CREATE TABLE t (x int PRIMARY KEY)")
        .await
        .expect("create");
    let db = || "demo_cycles".to_string();
    let mut kept = connect(&p, "demo_cycles").await;
    for i in 0..100 {
        let r = admin(&p, Request::Hibernate { db: db() }).await;
        assert_eq!(r.message, "hibernated demo_cycles");
        assert!(replicas_running(&dir).is_empty(), "cycle {i}");
        // Alternately a new connection wakes it, or a query of a session that stayed open.
        if i % 2 == 0 {
            let c = connect(&p, "demo_cycles").await;
            c.execute(&format!("INSERT INTO t VALUES ({i})"), &[])
                .await
                .unwrap_or_else(|e| panic!("cycle {i}: {e}\n{}", p.output()));
        } else {
            kept.execute(&format!("INSERT INTO t VALUES ({i})"), &[])
                .await
                .unwrap_or_else(|e| panic!("cycle {i}: {e}\n{}", p.output()));
        }
        if i % 25 == 24 {
            kept = connect(&p, "demo_cycles").await;
        }
    }
    let r = rows(&kept, "SELECT count(*), sum(x) FROM t").await;
    assert_eq!(r[0][0].as_deref(), Some("100"));
    assert_eq!(r[0][1].as_deref(), Some("4950"));
    assert_eq!(stat(&p, "wakes").await, 100);
    assert_eq!(stat(&p, "hibernations").await, 100);
}

#[tokio::test]
async fn many_clients_waking_one_database_wake_it_once() {
    let (p, _) = start(&[("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "0s")]);
    connect(&p, "demo_crowd")
        .await
        .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (7)")
        .await
        .expect("seed");
    for round in 0..3 {
        admin(
            &p,
            Request::Hibernate {
                db: "demo_crowd".into(),
            },
        )
        .await;
        let before = stat(&p, "wakes").await;
        let clients = (0..8).map(|_| count(&p, "demo_crowd"));
        for n in futures::future::join_all(clients).await {
            assert_eq!(n, 1, "round {round}");
        }
        assert_eq!(stat(&p, "wakes").await, before + 1, "round {round}");
    }
}

#[tokio::test]
async fn a_wake_moves_to_new_ports_when_the_old_ones_are_taken() {
    let (p, ranges) = start(&[("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "0s")]);
    let dir = db_dir(&p, "demo_moved");
    connect(&p, "demo_moved")
        .await
        .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)")
        .await
        .expect("seed");
    let (old_http, old_raft) = placement(&dir);
    admin(
        &p,
        Request::Hibernate {
            db: "demo_moved".into(),
        },
    )
    .await;
    // Someone else takes every old port while it sleeps.
    let squatters: Vec<TcpListener> = old_http
        .iter()
        .chain(&old_raft)
        .map(|port| TcpListener::bind(("127.0.0.1", *port)).expect("take old port"))
        .collect();
    let c = connect(&p, "demo_moved").await;
    c.execute("INSERT INTO t VALUES (3)", &[])
        .await
        .expect("write after the move");
    assert_eq!(
        rows(&c, "SELECT count(*) FROM t").await[0][0].as_deref(),
        Some("3")
    );
    let (new_http, new_raft) = placement(&dir);
    for port in new_http.iter().chain(&new_raft) {
        assert!(!old_http.contains(port) && !old_raft.contains(port));
    }
    assert!(
        new_http
            .iter()
            .all(|p| (ranges.http..ranges.http + 40).contains(p))
    );
    assert!(
        new_raft
            .iter()
            .all(|p| (ranges.raft..ranges.raft + 40).contains(p))
    );
    assert_eq!(stat(&p, "port_moves").await, 1);
    // And it moves back on the next wake if need be, still with every row.
    drop(c);
    admin(
        &p,
        Request::Hibernate {
            db: "demo_moved".into(),
        },
    )
    .await;
    drop(squatters);
    assert_eq!(count(&p, "demo_moved").await, 3);
    // Every replica, not just the leader, holds every row.
    let (http, _) = placement(&dir);
    for port in http {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let n = replica_count(&p, port).await;
            if n == Some(3) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "replica on {port} has {n:?} rows\n{}",
                p.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `SELECT count(*) FROM t` on one replica alone (`level=none`), through rqlite's API.
async fn replica_count(p: &Pgrq, http_port: u16) -> Option<i64> {
    let password = std::fs::read_to_string(p.data_dir().join("secrets/rqlite-password")).ok()?;
    let body: serde_json::Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .ok()?
        .post(format!("http://127.0.0.1:{http_port}/db/query?level=none"))
        .basic_auth("pgrq", Some(password.trim()))
        .json(&serde_json::json!(["SELECT count(*) FROM t"]))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["results"][0]["values"][0][0].as_i64()
}

#[tokio::test]
async fn a_wake_that_cannot_finish_fails_cleanly_with_57p03() {
    let (p, _) = start(&[
        ("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "0s"),
        ("PGRQ_DATABASE__WAKE_TIMEOUT_SECS", "2"),
    ]);
    let dir = db_dir(&p, "demo_stuck");
    connect(&p, "demo_stuck")
        .await
        .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        .await
        .expect("seed");
    let (_, raft) = placement(&dir);
    admin(
        &p,
        Request::Hibernate {
            db: "demo_stuck".into(),
        },
    )
    .await;
    // Every replica is told its peers live where nobody listens: no leader can be elected.
    let nowhere: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind(("127.0.0.1", 0)).expect("bind"))
        .collect();
    let peers_at = |ports: &[u16]| -> Vec<Peer> {
        ports
            .iter()
            .enumerate()
            .map(|(i, port)| Peer {
                id: format!("demo_stuck-{}", i + 1),
                address: ([127, 0, 0, 1], *port).into(),
                non_voter: false,
            })
            .collect()
    };
    let bogus: Vec<u16> = nowhere
        .iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect();
    drop(nowhere);
    for i in 1..=3 {
        let replica = dir.join("rqlite").join(format!("demo_stuck-{i}"));
        write_peers_json(&replica, &peers_at(&bogus)).expect("peers.json");
    }
    let err = tokio_postgres::connect(
        &p.conn_str("demo", "demo", "demo_stuck"),
        tokio_postgres::NoTls,
    )
    .await
    .err()
    .expect("the wake must fail");
    let db_err = err.as_db_error().expect("a database error");
    assert_eq!(db_err.code().code(), "57P03", "{db_err:?}");
    assert!(db_err.message().contains("demo_stuck"), "{db_err:?}");
    // Nothing is left running.
    wait_for(&p, "replicas stopped", Duration::from_secs(30), || {
        replicas_running(&dir).is_empty()
    })
    .await;
    // Recovery with the right membership brings it back with its data.
    for i in 1..=3 {
        let replica = dir.join("rqlite").join(format!("demo_stuck-{i}"));
        write_peers_json(&replica, &peers_at(&raft)).expect("peers.json");
    }
    assert_eq!(count(&p, "demo_stuck").await, 1);
}

#[tokio::test]
async fn recover_restarts_a_database_from_its_surviving_replica() {
    let (p, _) = start(&[("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "0s")]);
    let dir = db_dir(&p, "demo_broken");
    connect(&p, "demo_broken")
        .await
        .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2), (3)")
        .await
        .expect("seed");
    admin(
        &p,
        Request::Hibernate {
            db: "demo_broken".into(),
        },
    )
    .await;
    // Two of three replicas lose their data: no majority is left.
    for i in [2, 3] {
        std::fs::remove_dir_all(dir.join("rqlite").join(format!("demo_broken-{i}")))
            .expect("remove replica");
    }
    let sock = socket_path(&p.data_dir());
    let refused = request(
        &sock,
        &Request::Recover {
            db: "demo_broken".into(),
            confirm: false,
            survivor: None,
        },
        Duration::from_secs(60),
    )
    .await
    .expect("answer");
    assert!(
        !refused.ok && refused.message.contains("confirmation"),
        "{refused:?}"
    );
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .args(["db", "recover", "demo_broken", "--data-dir"])
        .arg(p.data_dir())
        .output()
        .expect("run pgrq db recover");
    assert_eq!(cli.status.code(), Some(1), "{cli:?}");
    assert!(
        String::from_utf8_lossy(&cli.stderr).contains("--yes-i-know-writes-may-be-lost"),
        "{cli:?}"
    );
    let done = admin(
        &p,
        Request::Recover {
            db: "demo_broken".into(),
            confirm: true,
            survivor: None,
        },
    )
    .await;
    assert!(done.message.contains("demo_broken-1"), "{done:?}");
    assert_eq!(replicas_running(&dir).len(), 3);
    let c = connect(&p, "demo_broken").await;
    c.execute("INSERT INTO t VALUES (4)", &[])
        .await
        .expect("write after recovery");
    let (http, _) = placement(&dir);
    for port in http {
        let deadline = Instant::now() + Duration::from_secs(30);
        while replica_count(&p, port).await != Some(4) {
            assert!(
                Instant::now() < deadline,
                "replica on {port} lacks rows\n{}",
                p.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn hibernated_databases_hold_no_ports_so_disk_bounds_how_many_a_node_keeps() {
    // Ports for exactly one running database.
    let base = common::port_base();
    let env = [
        ("PGRQ_RQLITED", rqlited()),
        ("PGRQ_TLS__MODE", "off".into()),
        ("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "0s".into()),
        ("PGRQ_DATABASE__MAX_DATABASES", "1".into()),
        ("PGRQ_DATABASE__PORT_RANGE_HTTP_START", base.to_string()),
        ("PGRQ_DATABASE__PORT_RANGE_HTTP_END", (base + 2).to_string()),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_START",
            (base + 50).to_string(),
        ),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_END",
            (base + 52).to_string(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = Pgrq::start(&env);
    let hibernate = |db: &str| Request::Hibernate { db: db.into() };
    for (i, db) in ["demo_one", "demo_two", "demo_three"].iter().enumerate() {
        let c = connect(&p, db).await;
        c.batch_execute(&format!(
            "CREATE TABLE t (x int); INSERT INTO t VALUES ({i})"
        ))
        .await
        .expect("seed");
        drop(c);
        admin(&p, hibernate(db)).await;
    }
    // Three databases on ports for one: each wakes in turn, on the ports the previous
    // one released.
    for db in ["demo_one", "demo_two", "demo_three"] {
        assert_eq!(count(&p, db).await, 1, "{db}");
        admin(&p, hibernate(db)).await;
    }
    // While one runs, another cannot wake: no ports are left (53000, a capacity error, as
    // for every shortage of ports or nodes; nothing started).
    let _running = connect(&p, "demo_one").await;
    let err = tokio_postgres::connect(
        &p.conn_str("demo", "demo", "demo_two"),
        tokio_postgres::NoTls,
    )
    .await
    .err()
    .expect("no ports left");
    let db_err = err.as_db_error().expect("a database error");
    assert_eq!(db_err.code().code(), "53000", "{db_err:?}");
    assert!(db_err.message().contains("ports"), "{db_err:?}");
    assert!(replicas_running(&db_dir(&p, "demo_two")).is_empty());
}

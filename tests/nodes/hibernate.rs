//! Hibernation and wake under `pgrq node`: three nodes with `hibernation_timeout = 1s`. An
//! idle database hibernates (catalog state, no rqlited left for it) and wakes on connect
//! with its rows; clients through all three nodes waking it at once cause exactly one wake
//! (the catalog's version moves by exactly hibernating → waking → active); and a run of
//! hibernate/wake cycles with a write in each loses no row. The wake-on-connect times of
//! the cycles are printed (p50/p99), never asserted. A wake finding a replica's port taken
//! moves that replica (every replica keeps every row), and a wake that cannot finish
//! within `wake_timeout_secs` fails with 57P03 and is undone, the next connect waking it. `PGRQ_WAKE_CYCLES` sets the number of
//! cycles (default 20; the 100 takes about four minutes here).

use std::time::Instant;

use super::replace::{catalog_rows, rqlite_rows, system_members, until};
use super::*;

const HIBERNATION: &str = "hibernation_timeout = \"1s\"\n";

/// The database's catalog state and version.
pub(super) async fn state(members: &[String], db: &str) -> (String, i64) {
    let rows = catalog_rows(
        members,
        &format!("SELECT state, version FROM databases WHERE name = '{db}'"),
    )
    .await;
    let row = rows
        .first()
        .unwrap_or_else(|| panic!("{db} not in the catalog"));
    (
        row[0].as_str().unwrap_or_default().to_string(),
        row[1].as_i64().unwrap_or_default(),
    )
}

/// rqlited processes running for `db` on any node.
pub(super) fn replica_processes(c: &Cluster, db: &str) -> usize {
    c.nodes
        .iter()
        .map(|n| processes_under(&n.data_dir.join(db).join("rqlite")).len())
        .sum()
}

/// Waits until `db` is `active` (a woken client does not wait for that catalog write);
/// returns its version.
async fn active(members: &[String], db: &str) -> i64 {
    until(&format!("{db} active"), 30, || async {
        let (s, v) = state(members, db).await;
        (s == "active").then_some(v)
    })
    .await
}

/// Waits until `db` is hibernating with none of its rqlited left; returns its version.
pub(super) async fn hibernated(c: &Cluster, members: &[String], db: &str) -> i64 {
    until(&format!("{db} hibernated"), 60, || async {
        let (s, v) = state(members, db).await;
        (s == "hibernating" && replica_processes(c, db) == 0).then_some(v)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_database_hibernates_and_wakes_once_for_many_clients() {
    let _serial = SERIAL.lock().await;
    let c = cluster_with(3, HIBERNATION);
    let db = "demo_sleepy";
    {
        let first = client(&c.nodes[0].conn_str(db)).await;
        first
            .batch_execute(
                "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'before')",
            )
            .await
            .expect("create");
        assert_eq!(replica_processes(&c, db), 3);
    }
    // Formed by now (the database was created through it).
    let members = system_members(&c.nodes[0]);
    hibernated(&c, &members, db).await;

    // Woken by a connection through another node: the row is there, writes work.
    let again = client(&c.nodes[1].conn_str(db)).await;
    assert_eq!(count(&again, "t").await, 1);
    again
        .execute("INSERT INTO t VALUES (2, 'after')", &[])
        .await
        .expect("write after wake");
    active(&members, db).await;
    assert_eq!(replica_processes(&c, db), 3);
    // An open session keeps it awake however long it idles (three timeouts here).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(state(&members, db).await.0, "active");
    drop(again);

    // Six clients, two through each node, wake it at once: one wake, all proceed.
    let before = hibernated(&c, &members, db).await;
    let conns: Vec<String> = (0..6).map(|i| c.nodes[i % 3].conn_str(db)).collect();
    let clients = futures::future::join_all(conns.iter().map(|s| client(s))).await;
    let after = active(&members, db).await;
    assert_eq!(after, before + 2, "exactly hibernating → waking → active");
    let counts = futures::future::join_all(clients.iter().map(|cl| count(cl, "t"))).await;
    assert_eq!(counts, vec![2; 6]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hibernate_wake_cycles_lose_no_row() {
    let _serial = SERIAL.lock().await;
    let cycles: usize = std::env::var("PGRQ_WAKE_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let c = cluster_with(3, HIBERNATION);
    let db = "demo_cycles";
    {
        let first = client(&c.nodes[0].conn_str(db)).await;
        first
            .batch_execute("CREATE TABLE t (n int PRIMARY KEY)")
            .await
            .expect("create");
    }
    let members = system_members(&c.nodes[0]);
    let mut wakes = Vec::with_capacity(cycles);
    let mut warm = Vec::with_capacity(cycles);
    for i in 0..cycles {
        let before = hibernated(&c, &members, db).await;
        let node = &c.nodes[i % 3];
        let t = Instant::now();
        let cl = client(&node.conn_str(db)).await;
        wakes.push(t.elapsed());
        cl.execute(&format!("INSERT INTO t VALUES ({i})"), &[])
            .await
            .unwrap_or_else(|e| panic!("cycle {i}: {e:?}"));
        // A second connection to the awake database, for comparison.
        let t = Instant::now();
        let other = client(&c.nodes[(i + 1) % 3].conn_str(db)).await;
        warm.push(t.elapsed());
        drop(other);
        assert_eq!(
            active(&members, db).await,
            before + 2,
            "cycle {i}: one wake"
        );
    }
    let last = client(&c.nodes[0].conn_str(db)).await;
    let rows: Vec<i32> = last
        .query("SELECT n FROM t ORDER BY n", &[])
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(rows, (0..cycles as i32).collect::<Vec<_>>());
    eprintln!(
        "wake on connect over {cycles} wakes: {}; connect to an awake database: {}",
        percentiles(&mut wakes),
        percentiles(&mut warm)
    );
}

fn percentiles(v: &mut [Duration]) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "p50 {:?}, p99 {:?}, max {:?}",
        at(0.5),
        at(0.99),
        v[v.len() - 1]
    )
}

/// HTTP and Raft ports the catalog holds for the replica of `db` on `node`.
async fn ports_on(members: &[String], node: &Node, db: &str) -> (u16, u16) {
    let id =
        std::fs::read_to_string(node.data_dir.join(db).join("replica_id")).expect("replica_id");
    let rows = catalog_rows(
        members,
        &format!(
            "SELECT http_port, raft_port FROM replicas WHERE replica_id = '{}'",
            id.trim()
        ),
    )
    .await;
    let port = |i: usize| rows[0][i].as_u64().expect("port") as u16;
    (port(0), port(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wake_moves_a_taken_port_and_a_wake_that_cannot_finish_is_undone() {
    let _serial = SERIAL.lock().await;
    let c = cluster_with(3, "hibernation_timeout = \"1s\"\nwake_timeout_secs = 15\n");
    let db = "demo_moves";
    {
        let first = client(&c.nodes[0].conn_str(db)).await;
        first
            .batch_execute("CREATE TABLE t (n int); INSERT INTO t VALUES (1)")
            .await
            .expect("create");
    }
    let members = system_members(&c.nodes[0]);
    hibernated(&c, &members, db).await;

    // Another process took node 2's replica's HTTP port: that replica moves, every
    // replica is told the new address (peers.json), no row is lost.
    let (old_http, _) = ports_on(&members, &c.nodes[1], db).await;
    let squatter = std::net::TcpListener::bind(("127.0.0.1", old_http)).expect("squat");
    {
        let woken = client(&c.nodes[0].conn_str(db)).await;
        assert_eq!(count(&woken, "t").await, 1);
        woken
            .execute("INSERT INTO t VALUES (2)", &[])
            .await
            .expect("write after the move");
    }
    let (new_http, _) = ports_on(&members, &c.nodes[1], db).await;
    assert_ne!(new_http, old_http, "the replica moved");
    for node in &c.nodes {
        let (http, _) = ports_on(&members, node, db).await;
        let addr = format!("127.0.0.1:{http}");
        until(&format!("both rows on {addr}"), 30, || async {
            let rows = rqlite_rows(&addr, "SELECT count(*) FROM t", "none")
                .await
                .ok()?;
            (rows.first()?.first()?.as_i64()? == 2).then_some(())
        })
        .await;
    }
    drop(squatter);

    // The replicas of nodes 2 and 3 cannot start (their data dirs are files; two, so that
    // no majority can answer however gossip sees the nodes): the wake is abandoned within
    // wake_timeout_secs with 57P03 and the database hibernates again.
    hibernated(&c, &members, db).await;
    let blocked: Vec<(PathBuf, PathBuf)> = c.nodes[1..]
        .iter()
        .map(|n| {
            let dir = n.data_dir.join(db).join("rqlite");
            let aside = dir.with_extension("aside");
            std::fs::rename(&dir, &aside).expect("move the data aside");
            std::fs::write(&dir, b"not a directory").expect("block the data dir");
            (dir, aside)
        })
        .collect();
    let err = match tokio_postgres::connect(&c.nodes[0].conn_str(db), NoTls).await {
        Ok(_) => panic!("a wake that cannot finish succeeded"),
        Err(e) => e,
    };
    let code = err.as_db_error().map(|e| e.code().code().to_string());
    assert_eq!(code.as_deref(), Some("57P03"), "{err:?}");
    eprintln!(
        "unfinished wake: {}",
        err.as_db_error()
            .map_or(String::new(), |e| e.message().to_string())
    );
    hibernated(&c, &members, db).await;

    // Nothing was left half-done: with the data back, the next connect wakes it.
    for (dir, aside) in &blocked {
        std::fs::remove_file(dir).expect("unblock");
        std::fs::rename(aside, dir).expect("data back");
    }
    let again = client(&c.nodes[2].conn_str(db)).await;
    assert_eq!(count(&again, "t").await, 2);
}

/// `pgrq db ACTION…` against `node`'s admin socket: (success, stdout + stderr).
fn pgrq_db(node: &Node, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .arg("db")
        .args(args)
        .arg("--config")
        .arg(&node.config)
        .output()
        .expect("pgrq db runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgrq_db_hibernates_wakes_and_reports_through_any_node() {
    let _serial = SERIAL.lock().await;
    // Automatic hibernation off: only the commands act.
    let c = cluster_with(3, "hibernation_timeout = \"0s\"\n");
    let db = "demo_cli";
    {
        let first = client(&c.nodes[0].conn_str(db)).await;
        first
            .batch_execute("CREATE TABLE t (n int); INSERT INTO t VALUES (1)")
            .await
            .expect("create");
    }
    let members = system_members(&c.nodes[0]);

    let (ok, out) = pgrq_db(&c.nodes[2], &["hibernate", db]);
    assert!(ok, "{out}");
    hibernated(&c, &members, db).await;
    let (ok, out) = pgrq_db(&c.nodes[1], &["stats"]);
    assert!(ok, "{out}");
    let stats: serde_json::Value = serde_json::from_str(&out).expect("stats are JSON");
    assert_eq!(stats["databases"][db]["state"], "hibernating", "{out}");

    let (ok, out) = pgrq_db(&c.nodes[1], &["wake", db]);
    assert!(ok && out.contains("woke"), "{out}");
    assert_eq!(state(&members, db).await.0, "active");
    assert_eq!(replica_processes(&c, db), 3);
    let (ok, out) = pgrq_db(&c.nodes[0], &["wake", db]);
    assert!(ok && out.contains("was running"), "{out}");
    let again = client(&c.nodes[2].conn_str(db)).await;
    assert_eq!(count(&again, "t").await, 1);
    let (ok, out) = pgrq_db(&c.nodes[0], &["hibernate", "demo_nosuch"]);
    assert!(!ok && out.contains("no database"), "{out}");
}

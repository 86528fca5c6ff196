//! A hibernated database holds no ports: three nodes whose port ranges hold only the
//! system replica and two database replicas each (`max_databases = 2`, RF 3). Two
//! databases are created and hibernated; two more are created on the same ports (the
//! hibernated ones lose them); then the first ones wake on connect and move to the ports of
//! databases hibernated meanwhile (new addresses, peers.json), every row intact, while a
//! client of a running database keeps writing without an error. `pgrq status` reports the
//! active and hibernated counts and the free ports as they are.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::hibernate::{hibernated, replica_processes, state};
use super::ops::{on, pgrq_cli};
use super::replace::{catalog_rows, system_members, until};
use super::*;

pub(super) const ROOM: &str = "max_databases = 2\nhibernation_timeout = \"0s\"\n";

/// (node id, http port, raft port) of each replica of `db`.
pub(super) async fn ports_of(
    members: &[String],
    db: &str,
) -> Vec<(String, Option<u64>, Option<u64>)> {
    catalog_rows(
        members,
        &format!(
            "SELECT node_id, http_port, raft_port FROM replicas WHERE database = '{db}' \
             ORDER BY node_id"
        ),
    )
    .await
    .into_iter()
    .map(|r| {
        (
            r[0].as_str().unwrap_or_default().to_string(),
            r[1].as_u64(),
            r[2].as_u64(),
        )
    })
    .collect()
}

pub(super) async fn fill(node: &Node, db: &str) {
    let c = client(&node.conn_str(db)).await;
    c.batch_execute(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, v text); \
         INSERT INTO t VALUES (1, '{db}'), (2, '{db}'), (3, '{db}')"
    ))
    .await
    .unwrap_or_else(|e| panic!("fill {db}: {e:?}"));
}

/// Connects (waking it), checks its three rows, adds a fourth.
pub(super) async fn wake_and_check(node: &Node, db: &str) {
    let c = client(&node.conn_str(db)).await;
    let rows = c
        .query("SELECT v FROM t ORDER BY id", &[])
        .await
        .unwrap_or_else(|e| panic!("read {db}: {e:?}"));
    let vs: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(vs, [db, db, db], "{db} kept its rows");
    c.execute("INSERT INTO t VALUES (4, 'after')", &[])
        .await
        .unwrap_or_else(|e| panic!("write {db}: {e:?}"));
    assert_eq!(count(&c, "t").await, 4);
}

pub(super) async fn hibernate(c: &Cluster, members: &[String], db: &str) {
    let (ok, out) = pgrq_cli(on(&c.nodes[0], &["db", "hibernate", db])).await;
    assert!(ok, "hibernate {db}: {out}");
    hibernated(c, members, db).await;
}

/// Waits until every node's status reports (active, hibernated, free ports).
async fn status_shows(c: &Cluster, want: (u64, u64, u64)) {
    for n in &c.nodes {
        until(&format!("pgrq status reports {want:?}"), 30, || async {
            let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
                .args(["status", "--json", "--data-dir"])
                .arg(&n.data_dir)
                .output()
                .ok()?;
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            let me = &v["nodes"][0]["heartbeat"];
            let got = (
                me["capacity"]["current_databases"].as_u64()?,
                me["capacity"]["hibernated_databases"].as_u64()?,
                me["free_ports"].as_u64()?,
            );
            (got == want).then_some(())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hibernated_databases_hold_no_ports() {
    let _serial = SERIAL.lock().await;
    let c = cluster_sized(3, ROOM, Some(3));
    let [p1, p2, p3, p4] = ["demo_port1", "demo_port2", "demo_port3", "demo_port4"];
    fill(&c.nodes[0], p1).await;
    fill(&c.nodes[1], p2).await;
    let members = system_members(&c.nodes[0]);
    status_shows(&c, (2, 0, 0)).await;
    let first_ports = ports_of(&members, p1).await;
    hibernate(&c, &members, p1).await;
    hibernate(&c, &members, p2).await;
    status_shows(&c, (0, 2, 2)).await;

    // Two more databases: the ranges are full of hibernated databases' ports, which they take.
    fill(&c.nodes[2], p3).await;
    fill(&c.nodes[0], p4).await;
    let taken = ports_of(&members, p3).await;
    assert_eq!(taken, first_ports, "{p3} took {p1}'s ports");
    for db in [p1, p2] {
        let ports = ports_of(&members, db).await;
        assert!(
            ports.iter().all(|p| p.1.is_none() && p.2.is_none()),
            "{db} holds no ports while it sleeps: {ports:?}"
        );
    }
    status_shows(&c, (2, 2, 0)).await;
    // The same counts as SQL: each node holds four databases, two of them running.
    let rows = client(&c.nodes[2].conn_str(p3))
        .await
        .query(
            "SELECT databases, active_databases FROM pgrq.nodes ORDER BY id",
            &[],
        )
        .await
        .expect("pgrq.nodes");
    let counts: Vec<(i64, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(counts, vec![(4, 2); 3]);

    // A client of p3 writes throughout what follows.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let w = client(&c.nodes[1].conn_str(p3)).await;
        let (stop, written) = (stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut id = 100;
            while !stop.load(Ordering::Relaxed) {
                w.execute("INSERT INTO t VALUES ($1, 'w')", &[&id])
                    .await
                    .unwrap_or_else(|e| panic!("writer insert {id}: {e:?}"));
                written.fetch_add(1, Ordering::Relaxed);
                id += 1;
            }
            w
        })
    };

    // p4 sleeps; p1 wakes on connect and moves to p4's ports.
    let p4_ports = ports_of(&members, p4).await;
    hibernate(&c, &members, p4).await;
    wake_and_check(&c.nodes[1], p1).await;
    assert_eq!(state(&members, p1).await.0, "active");
    assert_eq!(replica_processes(&c, p1), 3);
    assert_eq!(ports_of(&members, p1).await, p4_ports, "{p1} moved");
    status_shows(&c, (2, 2, 0)).await;

    stop.store(true, Ordering::Relaxed);
    let w = writer.await.expect("the writer never failed");
    let n = written.load(Ordering::Relaxed);
    assert!(n > 0, "the writer wrote");
    assert_eq!(
        count(&w, "t").await,
        3 + n as i64,
        "every write of p3 is there"
    );
    drop(w);

    // p3 sleeps; p2 wakes and moves to p3's ports; then p4 wakes in p1's place.
    let p3_ports = ports_of(&members, p3).await;
    hibernate(&c, &members, p3).await;
    wake_and_check(&c.nodes[2], p2).await;
    assert_eq!(ports_of(&members, p2).await, p3_ports, "{p2} moved");
    hibernate(&c, &members, p1).await;
    wake_and_check(&c.nodes[0], p4).await;
    for db in [p2, p4] {
        assert_eq!(replica_processes(&c, db), 3, "{db} runs");
    }
    for db in [p1, p3] {
        assert_eq!(replica_processes(&c, db), 0, "{db} sleeps");
    }
    status_shows(&c, (2, 2, 0)).await;
    let (ok, text) = pgrq_cli(vec![
        "status".into(),
        "--data-dir".into(),
        c.nodes[0].data_dir.display().to_string(),
    ])
    .await;
    assert!(ok && text.contains("HIBERNATED"), "{text}");
}

//! Operations under `pgrq node` with four real nodes (RF 3): `pgrq node drain` while a
//! client writes through another node; a creation whose chosen node stops answering is
//! rolled back and retried elsewhere; `pgrq db drop` then a reconnect; `pgrq db recover`,
//! asked through the node holding no replica, after two of a database's three replica
//! nodes are killed.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use super::replace::{RQLITE_AUTH, rqlite_rows, system_members, until};
use super::*;

/// Runs the `pgrq` CLI: (success, stdout + stderr).
pub(super) async fn pgrq_cli(args: Vec<String>) -> (bool, String) {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
            .args(&args)
            .output()
            .expect("run pgrq");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })
    .await
    .expect("cli task")
}

pub(super) fn on(node: &Node, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.extend(["--config".to_string(), node.config.display().to_string()]);
    v
}

/// `sql` on the system catalog, through whichever member answers (retried while the
/// catalog elects a leader, e.g. after a member was killed).
pub(super) async fn catalog_rows(members: &[String], sql: &str) -> Vec<Vec<serde_json::Value>> {
    until("the system catalog answers", 60, || async {
        for m in members {
            if let Ok(rows) = rqlite_rows(m, sql, "strong").await {
                return Some(rows);
            }
        }
        None
    })
    .await
}

/// The system catalog's members once they are decided and the catalog answers.
pub(super) async fn formed_catalog(node: &Node) -> Vec<String> {
    until("the system catalog formed", 60, || async {
        let text = std::fs::read_to_string(node.data_dir.join("system.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let members: Vec<String> = v["members"]
            .as_array()?
            .iter()
            .filter_map(|m| m["http_addr"].as_str().map(str::to_string))
            .collect();
        for m in &members {
            if rqlite_rows(m, "SELECT count(*) FROM nodes", "strong")
                .await
                .is_ok()
            {
                return Some(members.clone());
            }
        }
        None
    })
    .await
}

/// Every node's id, in `c.nodes` order, once all registered.
pub(super) async fn node_ids(c: &Cluster, members: &[String]) -> Vec<String> {
    until("every node registered", 60, || async {
        let rows = catalog_rows(members, "SELECT id, proxy_addr FROM nodes").await;
        c.nodes
            .iter()
            .map(|n| {
                let addr = format!("127.0.0.1:{}", n.port);
                rows.iter()
                    .find(|r| r[1] == addr.as_str())
                    .and_then(|r| r[0].as_str())
                    .map(str::to_string)
            })
            .collect::<Option<Vec<String>>>()
    })
    .await
}

/// (node id, replica id, http port) of `db`'s replicas.
async fn placed(members: &[String], db: &str) -> Vec<(String, String, Option<u64>)> {
    let sql = format!(
        "SELECT node_id, replica_id, http_port FROM replicas WHERE database = '{db}' ORDER BY replica_id"
    );
    catalog_rows(members, &sql)
        .await
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_string(),
                r[1].as_str().unwrap_or_default().to_string(),
                r[2].as_u64(),
            )
        })
        .collect()
}

async fn raft_members(addr: &str) -> Vec<String> {
    let resp: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{addr}/nodes?nonvoters&ver=2&timeout=1s"))
        .basic_auth(RQLITE_AUTH.0, Some(RQLITE_AUTH.1))
        .send()
        .await
        .expect("/nodes")
        .json()
        .await
        .expect("/nodes JSON");
    resp["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["id"].as_str().map(str::to_string))
        .collect()
}

/// The values of `t.v`, read through `c`.
async fn values(c: &tokio_postgres::Client) -> BTreeSet<i32> {
    c.query("SELECT v FROM t", &[])
        .await
        .expect("read t")
        .iter()
        .map(|r| r.get::<_, i32>(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_moves_every_replica_while_a_client_writes() {
    let _serial = SERIAL.lock().await;
    let c = cluster(4);
    let db = "demo_drain";
    let first = client(&c.nodes[0].conn_str(db)).await;
    // One write for the first rows (each write exposes the setup to a spurious election
    // on a loaded host, which reports 57P03 "outcome unknown").
    let rows: Vec<String> = (0..20).map(|i| format!("({i})")).collect();
    first
        .batch_execute(&format!(
            "CREATE TABLE t (id serial PRIMARY KEY, v int); INSERT INTO t (v) VALUES {}",
            rows.join(", ")
        ))
        .await
        .expect("create and fill");
    drop(first);
    let members = system_members(&c.nodes[0]);
    let ids = node_ids(&c, &members).await;
    let before = placed(&members, db).await;
    assert_eq!(before.len(), 3, "{before:?}");
    // The drained node holds the database's leader: it must hand leadership over.
    let leader = until("the database's leader", 30, || async {
        for r in &before {
            let addr = format!("127.0.0.1:{}", r.2?);
            let status: serde_json::Value = reqwest::Client::new()
                .get(format!("http://{addr}/status"))
                .basic_auth(RQLITE_AUTH.0, Some(RQLITE_AUTH.1))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            if let Some(id) = status
                .pointer("/store/leader/node_id")
                .and_then(|v| v.as_str())
                && !id.is_empty()
            {
                return Some(id.to_string());
            }
        }
        None
    })
    .await;
    let leader_node = &before.iter().find(|r| r.1 == leader).expect("leader row").0;
    let victim = (0..4).find(|&i| ids[i] == *leader_node).expect("a holder");
    let writer_node = (0..4).find(|&i| i != victim).expect("writer node");

    // A hibernated database with a replica on the drained node moves too (woken for it).
    let mut cold = String::new();
    for i in 0..4 {
        let name = format!("demo_cold{i}");
        let cl = client(&c.nodes[writer_node].conn_str(&name)).await;
        cl.batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)")
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        if placed(&members, &name)
            .await
            .iter()
            .any(|r| r.0 == ids[victim])
        {
            cold = name;
            break;
        }
    }
    assert!(!cold.is_empty(), "no database placed on the drained node");
    let (ok, out) = pgrq_cli(on(&c.nodes[writer_node], &["db", "hibernate", &cold])).await;
    assert!(ok, "{out}");
    super::hibernate::hibernated(&c, &members, &cold).await;

    // A client writes through another node during the whole drain; it records what was
    // acknowledged.
    let writer = client(&c.nodes[writer_node].conn_str(db)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writes = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let (mut acked, mut failed) = (Vec::new(), Vec::new());
            let mut i = 1000;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                match writer.execute("INSERT INTO t (v) VALUES ($1)", &[&i]).await {
                    Ok(_) => acked.push(i),
                    Err(e) => failed.push(format!("{i}: {e:?}")),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (acked, failed, writer)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = std::time::Instant::now();
    let (ok, out) = pgrq_cli(on(&c.nodes[writer_node], &["node", "drain", &ids[victim]])).await;
    assert!(ok, "drain refused: {out}");
    assert!(out.contains("draining"), "{out}");

    // Every replica leaves the drained node; the database keeps three, one new.
    let after = until("no replica left on the drained node", 180, || async {
        let rows = placed(&members, db).await;
        let gone = !rows.iter().any(|r| r.0 == ids[victim]);
        (gone && rows.len() == 3 && rows.iter().all(|r| r.2.is_some())).then_some(rows)
    })
    .await;
    let moved_in = started.elapsed();
    until(
        "the hibernated database off the drained node",
        180,
        || async {
            let rows = placed(&members, &cold).await;
            let gone = !rows.iter().any(|r| r.0 == ids[victim]);
            (gone && rows.len() == 3 && rows.iter().all(|r| r.2.is_some())).then_some(())
        },
    )
    .await;
    let stale_cold = c.nodes[victim].data_dir.join(&cold);
    until("the drained node deletes its data", 60, || async {
        (!stale_cold.exists()).then_some(())
    })
    .await;
    assert_eq!(
        count(&client(&c.nodes[victim].conn_str(&cold)).await, "t").await,
        2,
        "{cold} kept its rows"
    );
    let stale = c.nodes[victim].data_dir.join(db);
    until(
        "the drained node deletes the replica's data",
        60,
        || async { (!stale.exists()).then_some(()) },
    )
    .await;
    let (ok, out) = pgrq_cli(on(&c.nodes[victim], &["node", "drain", &ids[victim]])).await;
    assert!(ok && out.contains("drained"), "{out}");

    stop.store(true, Ordering::Relaxed);
    let (acked, failed, writer) = writes.await.expect("writer task");
    assert!(!acked.is_empty(), "writes went through during the drain");
    let have = values(&writer).await;
    let missing: Vec<&i32> = acked.iter().filter(|v| !have.contains(v)).collect();
    assert!(missing.is_empty(), "acknowledged rows lost: {missing:?}");
    assert!((0..20).all(|v| have.contains(&v)), "rows written before");

    // The Raft configuration is the catalog's, and the new replica holds every row.
    let new = after
        .iter()
        .find(|r| !before.iter().any(|b| b.1 == r.1))
        .expect("a new replica");
    let new_addr = format!("127.0.0.1:{}", new.2.expect("port"));
    let mut want: Vec<String> = after.iter().map(|r| r.1.clone()).collect();
    want.sort();
    let mut got = raft_members(&new_addr).await;
    got.sort();
    assert_eq!(got, want);
    let total = have.len() as i64;
    until("the new replica holds every row", 60, || async {
        let rows = rqlite_rows(&new_addr, "SELECT count(*) FROM t", "none")
            .await
            .ok()?;
        (rows.first()?.first()?.as_i64()? == total).then_some(())
    })
    .await;

    // A draining node gets no new replicas.
    let later = client(&c.nodes[victim].conn_str("demo_after")).await;
    later
        .batch_execute("CREATE TABLE x (a int)")
        .await
        .expect("new database through the drained node");
    let rows = placed(&members, "demo_after").await;
    assert_eq!(rows.len(), 3);
    assert!(!rows.iter().any(|r| r.0 == ids[victim]), "{rows:?}");
    assert!(
        c.nodes
            .iter()
            .any(|n| n.output().contains("leadership handed over")),
        "the leaving leader handed leadership over"
    );
    println!(
        "drain: every replica off the node in {} ms; {} writes acknowledged during it, {} failed: {failed:?}",
        moved_in.as_millis(),
        acked.len(),
        failed.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_creation_is_retried_and_a_dropped_database_comes_back_empty() {
    let _serial = SERIAL.lock().await;
    let mut c = cluster(4);
    let members = formed_catalog(&c.nodes[0]).await;
    let ids = node_ids(&c, &members).await;
    // The victim: not node 1 (the client's), not a system catalog member if possible.
    let sys: Vec<String> = members.clone();
    let is_member = |i: usize| {
        let text =
            std::fs::read_to_string(c.nodes[i].data_dir.join("system.json")).expect("system.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        sys.contains(&format!("127.0.0.1:{}", v["ports"][0]))
    };
    let victim = (1..4).find(|&i| !is_member(i)).unwrap_or(3);
    // A name whose placement (every node empty and healthy) includes the victim.
    let inventory: Vec<pgrq::node::placement::NodeInventory> = ids
        .iter()
        .map(|id| pgrq::node::placement::NodeInventory {
            id: id.clone(),
            healthy: true,
            max_databases: 10,
            current_databases: 0,
            free_ports: 10,
        })
        .collect();
    let db = (0..100)
        .map(|i| format!("demo_stuck{i}"))
        .find(|name| {
            pgrq::node::placement::place(&inventory, 3, name)
                .is_ok_and(|p| p.contains(&ids[victim]))
        })
        .expect("a name placed on the victim");

    // The victim stops answering (SIGSTOP: no heartbeat, no reconciler) right before the
    // creation, which therefore still places a replica on it.
    let pid = c.nodes[victim].child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let started = std::time::Instant::now();
    let creator = client(&c.nodes[0].conn_str(&db)).await;
    let waited = started.elapsed();
    creator
        .batch_execute(
            "CREATE TABLE t (id serial PRIMARY KEY, v int); INSERT INTO t (v) VALUES (1)",
        )
        .await
        .expect("the database works");
    let rows = placed(&members, &db).await;
    assert_eq!(rows.len(), 3);
    assert!(!rows.iter().any(|r| r.0 == ids[victim]), "{rows:?}");
    let rolled_back = c
        .nodes
        .iter()
        .any(|n| n.output().contains("creation rolled back"));
    assert!(
        rolled_back,
        "the first placement (on the stopped node) was rolled back"
    );
    println!(
        "stuck creation: connect returned after {} ms (rollback and re-creation)",
        waited.as_millis()
    );
    // The victim is gone for good.
    c.nodes[victim].child.kill().expect("kill");
    let _ = c.nodes[victim].child.wait();
    drop(creator);

    // Drop: refused nowhere, data gone everywhere, the name free, a new empty database.
    let drop_db = "demo_dropme";
    let live: Vec<usize> = (0..4).filter(|&i| i != victim).collect();
    let a = client(&c.nodes[live[0]].conn_str(drop_db)).await;
    a.batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)")
        .await
        .expect("fill");
    let holders_before = placed(&members, drop_db).await;
    assert_eq!(holders_before.len(), 3);
    drop(a);
    let (ok, out) = pgrq_cli(on(&c.nodes[live[1]], &["db", "drop", drop_db])).await;
    assert!(ok, "drop: {out}");
    until(
        "every replica row and the database row deleted",
        60,
        || async {
            let dbs = catalog_rows(
                &members,
                &format!("SELECT state FROM databases WHERE name = '{drop_db}'"),
            )
            .await;
            (dbs.is_empty() && placed(&members, drop_db).await.is_empty()).then_some(())
        },
    )
    .await;
    for i in &live {
        assert!(
            !c.nodes[*i].data_dir.join(drop_db).exists(),
            "node {} still has the data",
            i + 1
        );
    }
    let (ok, out) = pgrq_cli(on(&c.nodes[live[1]], &["db", "drop", drop_db])).await;
    assert!(!ok && out.contains("does not exist"), "{out}");
    // Through the node that had it open: a fresh, empty database.
    let again = client(&c.nodes[live[0]].conn_str(drop_db)).await;
    let tables = again
        .query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .expect("tables");
    assert_eq!(tables[0].get::<_, i64>(0), 0, "the new database is empty");
    let err = again
        .query("SELECT * FROM t", &[])
        .await
        .expect_err("t is gone");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_lost_its_majority_is_recovered() {
    let _serial = SERIAL.lock().await;
    let mut c = cluster(4);
    let members = formed_catalog(&c.nodes[0]).await;
    let ids = node_ids(&c, &members).await;
    let sys_member = |i: usize| {
        let text =
            std::fs::read_to_string(c.nodes[i].data_dir.join("system.json")).expect("system.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        members.contains(&format!("127.0.0.1:{}", v["ports"][0]))
    };
    let outsider = (0..4).find(|&i| !sys_member(i)).expect("a non-member");
    // A database held by the node outside the system catalog, so that killing two of its
    // holders leaves the catalog its quorum.
    let mut chosen = None;
    for n in 0..8 {
        let db = format!("demo_rec{n}");
        let cl = client(&c.nodes[0].conn_str(&db)).await;
        cl.batch_execute("CREATE TABLE t (id serial PRIMARY KEY, v int)")
            .await
            .expect("create");
        let rows = placed(&members, &db).await;
        if rows.iter().any(|r| r.0 == ids[outsider]) {
            chosen = Some((db, cl, rows));
            break;
        }
    }
    let (db, cl, rows) = chosen.expect("a database on the outsider");
    let values: Vec<String> = (0..50).map(|i| format!("({i})")).collect();
    cl.batch_execute(&format!("INSERT INTO t (v) VALUES {}", values.join(", ")))
        .await
        .expect("insert");
    drop(cl);
    let holder = |id: &str| (0..4).find(|&i| ids[i] == id).expect("holder");
    let holders: Vec<usize> = rows.iter().map(|r| holder(&r.0)).collect();
    let survivor = *holders.iter().find(|&&i| i != outsider).expect("survivor");
    let victims: Vec<usize> = holders.iter().copied().filter(|&i| i != survivor).collect();
    assert!(victims.contains(&outsider));
    // Asked through the node that holds no replica: it relays to the survivor's node.
    let asked = (0..4).find(|i| !holders.contains(i)).expect("a non-holder");
    let recover_args = [
        "db",
        "recover",
        db.as_str(),
        "--yes-i-know-writes-may-be-lost",
    ];
    let (ok, out) = pgrq_cli(on(&c.nodes[asked], &recover_args)).await;
    assert!(!ok && out.contains("nothing to recover"), "{out}");
    for v in &victims {
        c.nodes[*v].child.kill().expect("kill -9");
        let _ = c.nodes[*v].child.wait();
    }
    let (ok, out) = pgrq_cli(on(&c.nodes[asked], &["db", "recover", &db])).await;
    assert!(
        !ok && out.contains("--yes-i-know-writes-may-be-lost"),
        "{out}"
    );
    // Gossip must see the victims dead first; until then the recovery refuses.
    let started = std::time::Instant::now();
    let out = until("the recovery goes through", 120, || async {
        let (ok, out) = pgrq_cli(on(&c.nodes[asked], &recover_args)).await;
        if !ok {
            assert!(!out.contains("does not exist"), "{out}");
        }
        ok.then_some(out)
    })
    .await;
    println!(
        "recover: {} ms after the kills: {}",
        started.elapsed().as_millis(),
        out.trim()
    );
    assert!(out.contains(&format!("by node {}", ids[survivor])), "{out}");
    let after = until("the new replica has ports", 60, || async {
        let rows = placed(&members, &db).await;
        rows.iter().all(|r| r.2.is_some()).then_some(rows)
    })
    .await;
    assert_eq!(
        after.len(),
        2,
        "the survivor and one new replica: {after:?}"
    );
    assert!(
        after
            .iter()
            .all(|r| !victims.iter().any(|v| ids[*v] == r.0))
    );
    let reader = client(&c.nodes[survivor].conn_str(&db)).await;
    assert_eq!(count(&reader, "t").await, 50, "every row the survivor had");
    reader
        .execute("INSERT INTO t (v) VALUES (99)", &[])
        .await
        .expect("writes work again");
    let new = after.iter().find(|r| r.0 != ids[survivor]).expect("new");
    let new_addr = format!("127.0.0.1:{}", new.2.expect("port"));
    until("the new replica holds every row", 60, || async {
        let rows = rqlite_rows(&new_addr, "SELECT count(*) FROM t", "none")
            .await
            .ok()?;
        (rows.first()?.first()?.as_i64()? == 51).then_some(())
    })
    .await;
    let mut got = raft_members(&new_addr).await;
    got.sort();
    let mut want: Vec<String> = after.iter().map(|r| r.1.clone()).collect();
    want.sort();
    assert_eq!(got, want);

    // A killed node comes back: its stale data goes, and the database gets its third
    // replica again (on the only node that can take one: this one).
    let back = victims[0];
    c.nodes[back].restart();
    let full = until("three replicas again", 120, || async {
        let rows = placed(&members, &db).await;
        (rows.len() == 3 && rows.iter().all(|r| r.2.is_some())).then_some(rows)
    })
    .await;
    let third = full
        .iter()
        .find(|r| !after.iter().any(|a| a.1 == r.1))
        .expect("a third replica");
    assert!(!rows.iter().any(|r| r.1 == third.1), "a fresh replica id");
    let third_addr = format!("127.0.0.1:{}", third.2.expect("port"));
    until("the third replica holds every row", 60, || async {
        let rows = rqlite_rows(&third_addr, "SELECT count(*) FROM t", "none")
            .await
            .ok()?;
        (rows.first()?.first()?.as_i64()? == 51).then_some(())
    })
    .await;
    let mut got = raft_members(&third_addr).await;
    got.sort();
    let mut want: Vec<String> = full.iter().map(|r| r.1.clone()).collect();
    want.sort();
    assert_eq!(got, want);
}

//! The system catalog's own members under `pgrq node`, four real nodes: a member whose
//! node is killed (-9) is replaced by the node outside the catalog, the catalog goes back
//! to three reachable members on live nodes and databases can still be created (and the
//! killed node, back, leaves it and deletes its copy); `pgrq node drain` of a member's
//! node moves that member while connections keep opening (each reads the catalog).

use std::sync::atomic::{AtomicBool, Ordering};

use super::ops::{formed_catalog, node_ids, on, pgrq_cli};
use super::replace::{RQLITE_AUTH, until};
use super::*;

/// (node id, HTTP address) of the members a node's `system.json` names.
fn members_of(node: &Node) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(node.data_dir.join("system.json")) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    v["members"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    Some((
                        m["node_id"].as_str()?.to_string(),
                        m["http_addr"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// (id, reachable) of each Raft member as the system replica at `addr` reports them.
async fn raft_view(addr: &str) -> Option<Vec<(String, bool)>> {
    let resp: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{addr}/nodes?nonvoters&ver=2&timeout=1s"))
        .basic_auth(RQLITE_AUTH.0, Some(RQLITE_AUTH.1))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    resp["nodes"].as_array().map(|a| {
        a.iter()
            .filter_map(|n| Some((n["id"].as_str()?.to_string(), n["reachable"].as_bool()?)))
            .collect()
    })
}

/// Once `watcher`'s `system.json` names three members, none on `gone`, and the Raft
/// configuration is exactly them, all reachable: their node ids.
async fn settled_without(c: &Cluster, watcher: usize, gone: &str) -> Vec<String> {
    until(
        "the system catalog at three members on live nodes",
        180,
        || async {
            let m = members_of(&c.nodes[watcher]);
            if m.len() != 3 || m.iter().any(|(id, _)| id == gone) {
                return None;
            }
            let mut want: Vec<String> = m.iter().map(|(id, _)| format!("system-{id}")).collect();
            want.sort();
            for (_, addr) in &m {
                let mut got = raft_view(addr).await?;
                got.sort();
                let ids: Vec<String> = got.iter().map(|(id, _)| id.clone()).collect();
                if ids != want || got.iter().any(|(_, r)| !r) {
                    return None;
                }
            }
            Some(m.into_iter().map(|(id, _)| id).collect())
        },
    )
    .await
}

fn is_member(c: &Cluster, i: usize, members: &[String]) -> bool {
    let text = std::fs::read_to_string(c.nodes[i].data_dir.join("system.json")).expect("json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    members.contains(&format!("127.0.0.1:{}", v["ports"][0]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_system_member_is_replaced_and_databases_can_still_be_created() {
    let _serial = SERIAL.lock().await;
    let mut c = cluster(4);
    let members = formed_catalog(&c.nodes[0]).await;
    let ids = node_ids(&c, &members).await;
    let victim = (0..4)
        .rev()
        .find(|&i| is_member(&c, i, &members))
        .expect("a member");
    let outsider = (0..4)
        .find(|&i| !is_member(&c, i, &members))
        .expect("a non-member");
    let watcher = (0..4).find(|&i| i != victim).expect("a watcher");
    // Every node has recorded the membership before the kill.
    until("the membership recorded", 60, || async {
        super::ops::catalog_rows(
            &members,
            "SELECT value FROM meta WHERE key = 'system_members'",
        )
        .await
        .first()
        .map(|_| ())
    })
    .await;

    c.nodes[victim].child.kill().expect("kill -9");
    let _ = c.nodes[victim].child.wait();
    let killed = std::time::Instant::now();
    let now = settled_without(&c, watcher, &ids[victim]).await;
    let took = killed.elapsed();
    assert!(now.contains(&ids[outsider]), "{now:?}");
    assert!(
        c.nodes[outsider]
            .data_dir
            .join("_system/rqlite/raft.db")
            .exists()
    );
    println!(
        "system member replacement: kill -9 → three reachable members on live nodes in {} ms",
        took.as_millis()
    );

    // Databases can still be created, through the new member's node and another.
    for (i, node) in [outsider, watcher].into_iter().enumerate() {
        let db = format!("demo_aftersys{i}");
        let cl = client(&c.nodes[node].conn_str(&db)).await;
        cl.batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)")
            .await
            .unwrap_or_else(|e| panic!("{db}: {e}"));
        assert_eq!(count(&cl, "t").await, 2);
    }

    // The killed node comes back, learns it is no member any more and deletes its copy.
    c.nodes[victim].restart();
    until(
        "the returned node leaves the system catalog",
        120,
        || async {
            let m = members_of(&c.nodes[victim]);
            let gone = !c.nodes[victim].data_dir.join("_system/rqlite").exists();
            (m.len() == 3 && !m.iter().any(|(id, _)| *id == ids[victim]) && gone).then_some(())
        },
    )
    .await;
    let again = settled_without(&c, victim, &ids[victim]).await;
    assert_eq!(again.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_moves_the_system_member_while_the_catalog_answers() {
    let _serial = SERIAL.lock().await;
    let c = cluster(4);
    let members = formed_catalog(&c.nodes[0]).await;
    let ids = node_ids(&c, &members).await;
    let target = (0..4)
        .find(|&i| is_member(&c, i, &members))
        .expect("a member");
    let outsider = (0..4)
        .find(|&i| !is_member(&c, i, &members))
        .expect("a non-member");
    let asker = (0..4).find(|&i| i != target).expect("another node");
    let db = "demo_sysdrain";
    let first = client(&c.nodes[asker].conn_str(db)).await;
    first
        .batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1)")
        .await
        .expect("create");
    drop(first);

    // Connections keep opening through another node; each open reads the catalog.
    let stop = Arc::new(AtomicBool::new(false));
    let opener = {
        let stop = stop.clone();
        let conn = c.nodes[asker].conn_str(db);
        tokio::spawn(async move {
            let (mut ok, mut failed) = (0u32, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                match tokio_postgres::connect(&conn, NoTls).await {
                    Ok((cl, io)) => {
                        tokio::spawn(io);
                        match cl.query_one("SELECT count(*) FROM t", &[]).await {
                            Ok(_) => ok += 1,
                            Err(e) => failed.push(format!("{e:?}")),
                        }
                    }
                    Err(e) => failed.push(format!("{e:?}")),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (ok, failed)
        })
    };

    let started = std::time::Instant::now();
    let (ok, out) = pgrq_cli(on(&c.nodes[asker], &["node", "drain", &ids[target]])).await;
    assert!(ok, "{out}");
    let now = settled_without(&c, asker, &ids[target]).await;
    until(
        "the drained node deletes its system replica",
        60,
        || async { (!c.nodes[target].data_dir.join("_system/rqlite").exists()).then_some(()) },
    )
    .await;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (opened, failed) = opener.await.expect("opener");
    println!(
        "system member drain: moved in {} ms; {opened} connections opened meanwhile, {} failed",
        took.as_millis(),
        failed.len()
    );
    assert!(now.contains(&ids[outsider]), "{now:?}");
    assert!(opened > 0);
    assert!(failed.is_empty(), "{failed:?}");
}

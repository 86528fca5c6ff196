//! Failure detection and replica replacement: four `pgrq node` processes, one killed.

use super::*;

const RQLITE_AUTH: (&str, &str) = ("pgrq", "node-tests-secret");

/// Rows of `sql` read from the rqlited at `addr` (`level=none`: that replica's own data).
pub(super) async fn rqlite_rows(
    addr: &str,
    sql: &str,
    level: &str,
) -> Result<Vec<Vec<serde_json::Value>>, String> {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/db/query?level={level}"))
        .basic_auth(RQLITE_AUTH.0, Some(RQLITE_AUTH.1))
        .json(&[sql])
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    let first = &body["results"][0];
    if let Some(e) = first.get("error") {
        return Err(e.to_string());
    }
    Ok(first["values"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_array().cloned()).collect())
        .unwrap_or_default())
}

/// The system catalog's HTTP addresses, from a node's `system.json`.
pub(super) fn system_members(node: &Node) -> Vec<String> {
    let text = std::fs::read_to_string(node.data_dir.join("system.json")).expect("system.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("system.json is JSON");
    v["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["http_addr"].as_str().expect("http_addr").to_string())
        .collect()
}

/// `sql` on the system catalog, through whichever member answers.
pub(super) async fn catalog_rows(members: &[String], sql: &str) -> Vec<Vec<serde_json::Value>> {
    let mut errors = Vec::new();
    for m in members {
        match rqlite_rows(m, sql, "strong").await {
            Ok(rows) => return rows,
            Err(e) => errors.push(format!("{m}: {e}")),
        }
    }
    panic!("no system catalog member answered: {errors:?}")
}

/// Polls `check` every 100 ms until it yields a value, failing after `secs`.
pub(super) async fn until<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_node_s_replica_is_replaced_while_clients_write() {
    let _serial = SERIAL.lock().await;
    let mut c = cluster(4);
    let db = "demo_replace";
    let first = client(&c.nodes[0].conn_str(db)).await;
    first
        .batch_execute("CREATE TABLE t (id serial PRIMARY KEY, v int)")
        .await
        .expect("create");
    for i in 0..20 {
        first
            .execute("INSERT INTO t (v) VALUES ($1)", &[&i])
            .await
            .expect("insert");
    }
    drop(first);
    let members = system_members(&c.nodes[0]);
    // Every node registers itself once the catalog answers it (the last one may lag).
    let node_ids: Vec<String> = until("every node registered", 60, || async {
        let rows = catalog_rows(&members, "SELECT id, proxy_addr FROM nodes").await;
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
    .await;
    let placed_sql = format!(
        "SELECT node_id, replica_id, http_port FROM replicas WHERE database = '{db}' ORDER BY replica_id"
    );
    let before = catalog_rows(&members, &placed_sql).await;
    assert_eq!(before.len(), 3, "{before:?}");
    // The victim holds a replica and, preferably, a system catalog replica too (the
    // catalog then runs on 2 of 3 during the replacement).
    let holds = |i: usize| before.iter().any(|r| r[0] == node_ids[i].as_str());
    let is_member = |i: usize| {
        let sys: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(c.nodes[i].data_dir.join("system.json")).expect("system.json"),
        )
        .expect("json");
        members.contains(&format!("127.0.0.1:{}", sys["ports"][0]))
    };
    let victim = (0..4)
        .rev()
        .find(|&i| holds(i) && is_member(i))
        .or_else(|| (0..4).find(|&i| holds(i)))
        .expect("a holder");
    let writer_node = (0..4).find(|&i| i != victim).expect("a writer node");
    let old_replica = before
        .iter()
        .find(|r| r[0] == node_ids[victim].as_str())
        .and_then(|r| r[1].as_str())
        .expect("victim's replica")
        .to_string();

    // Writes keep flowing through another node during the whole replacement.
    let writer = client(&c.nodes[writer_node].conn_str(db)).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writes = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let (mut ok, mut failed) = (0u32, Vec::new());
            let mut i = 1000;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                match writer.execute("INSERT INTO t (v) VALUES ($1)", &[&i]).await {
                    Ok(_) => ok += 1,
                    Err(e) => failed.push(e.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (ok, failed, writer)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    // kill -9 of the whole node: its rqlited children die with it (parent-death signal).
    let victim_dir = c.nodes[victim].data_dir.clone();
    assert!(
        !processes_under(&victim_dir).is_empty(),
        "victim runs rqlited"
    );
    c.nodes[victim].child.kill().expect("kill -9");
    let _ = c.nodes[victim].child.wait();
    let killed = std::time::Instant::now();
    until("the victim's rqlited children exit", 30, || async {
        processes_under(&victim_dir).is_empty().then_some(())
    })
    .await;

    // The catalog places a new replica (fresh id) on the node that had none, with ports.
    let (new_node, new_id, new_port) = until("a replacement in the catalog", 120, || async {
        let rows = catalog_rows(&members, &placed_sql).await;
        let on_victim = rows.iter().any(|r| r[0] == node_ids[victim].as_str());
        let fresh = rows.iter().find(|r| !before.iter().any(|b| b[0] == r[0]))?;
        (!on_victim && rows.len() == 3).then_some(())?;
        Some((
            fresh[0].as_str()?.to_string(),
            fresh[1].as_str()?.to_string(),
            fresh[2].as_u64()?,
        ))
    })
    .await;
    let decided = killed.elapsed();
    assert!(
        !before.iter().any(|r| r[1] == new_id.as_str()),
        "fresh replica id"
    );
    assert_ne!(new_node, node_ids[victim]);
    let new_addr = format!("127.0.0.1:{new_port}");
    let count_sql = "SELECT count(*) FROM t";
    until("the new replica receives rows", 120, || async {
        let rows = rqlite_rows(&new_addr, count_sql, "none").await.ok()?;
        (rows.first()?.first()?.as_i64()? > 0).then_some(())
    })
    .await;

    // Writes stop; the new replica must hold every row the cluster has.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed, writer) = writes.await.expect("writer task");
    let total = count(&writer, "t").await;
    assert!(
        total >= 20 + i64::from(ok),
        "{total} rows, {ok} acknowledged writes"
    );
    assert!(ok > 0, "writes went through during the replacement");
    let caught_up = until("the new replica holds every row", 120, || async {
        let rows = rqlite_rows(&new_addr, count_sql, "none").await.ok()?;
        (rows.first()?.first()?.as_i64()? == total).then_some(killed.elapsed())
    })
    .await;
    println!(
        "replacement: kill -9 → new replica decided in {} ms, holding all {total} rows in {} ms \
         ({ok} writes acknowledged during it, {} failed: {failed:?})",
        decided.as_millis(),
        caught_up.as_millis(),
        failed.len()
    );
    // The dead replica left the Raft cluster: three members, the new one among them.
    let resp: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "http://{new_addr}/nodes?nonvoters&ver=2&timeout=1s"
        ))
        .basic_auth(RQLITE_AUTH.0, Some(RQLITE_AUTH.1))
        .send()
        .await
        .expect("/nodes")
        .json()
        .await
        .expect("/nodes JSON");
    let ids: Vec<&str> = resp["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 3, "{resp}");
    assert!(
        ids.contains(&new_id.as_str()) && !ids.contains(&old_replica.as_str()),
        "{resp}"
    );

    // The dead node comes back: it does not restart the replica and removes its data.
    let stale = victim_dir.join(db);
    assert!(
        stale.join("rqlite").is_dir(),
        "stale data present before restart"
    );
    c.nodes[victim].restart();
    until("the stale replica data is removed", 60, || async {
        (!stale.exists()).then_some(())
    })
    .await;
    let via_victim = client(&c.nodes[victim].conn_str(db)).await;
    via_victim
        .execute("INSERT INTO t (v) VALUES (-1)", &[])
        .await
        .expect("write through the returned node");
    assert_eq!(count(&via_victim, "t").await, total + 1);
    assert!(
        !stale.exists(),
        "the replica was not restarted on the returned node"
    );
}

//! The system catalog's statements on a real rqlited (one node, `-fk`): schema, two
//! creators racing for one database through concurrent `/db/execute?transaction` requests,
//! a stale transition, racing replacements. Needs an rqlited binary (`PGRQ_RQLITED`, the
//! install cache or `PATH`); without one it prints why and does nothing else.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
use pgrq::rqlite::{ClusterClient, Credentials, StmtOk, Value, into_ok, probe_ready};
use pgrq::syscatalog::{self, DatabaseRecord, DbState, NodeRecord, NodeState, ReplicaRecord};

struct Rqlited(Child);

impl Drop for Rqlited {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn db(name: &str, claim: &str) -> DatabaseRecord {
    DatabaseRecord {
        name: name.into(),
        app: "shop".into(),
        state: DbState::Creating,
        replication_factor: 3,
        version: 1,
        claim: claim.into(),
    }
}

fn replica(db: &str, node: &str, port: u16) -> ReplicaRecord {
    ReplicaRecord {
        database: db.into(),
        node_id: node.into(),
        replica_id: format!("{db}-{node}-{port}"),
        http_port: Some(port),
        raft_port: Some(port + 1000),
    }
}

fn affected(r: &[StmtOk]) -> Vec<u64> {
    r.iter().map(|s| s.rows_affected).collect()
}

#[tokio::test]
async fn conditional_writes_on_real_rqlite() {
    let bin = match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p,
        Err(e) => {
            println!("syscatalog engine test: NOT RUN — no rqlited: {e}");
            return;
        }
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (http, raft) = (free_port(), free_port());
    let child = Command::new(bin)
        .args(["-node-id", "sys1", "-fk"])
        .arg(format!("-http-addr=127.0.0.1:{http}"))
        .arg(format!("-raft-addr=127.0.0.1:{raft}"))
        .arg(dir.path().join("rqlite"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rqlited");
    let _guard = Rqlited(child);
    let addr = format!("127.0.0.1:{http}");
    let web = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = Instant::now();
    while !probe_ready(&web, &addr, "", "", Duration::from_millis(500)).await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "rqlited never ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let writes = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let client = ClusterClient::new(
        web,
        writes,
        vec![addr],
        Credentials {
            user: String::new(),
            password: String::new(),
        },
        Duration::from_secs(10),
    );
    let exec = |stmts: Vec<pgrq::rqlite::Stmt>| {
        let client = client.clone();
        async move { into_ok(client.execute(&stmts, true).await.expect("execute")) }
    };

    exec(syscatalog::schema()).await.expect("schema");
    exec(syscatalog::schema()).await.expect("schema again");
    for id in ["n1", "n2", "n3", "n4"] {
        let node = NodeRecord {
            id: id.into(),
            proxy_addr: "127.0.0.1:5432".into(),
            rqlite_host: "127.0.0.1".into(),
            gossip_addrs: vec![],
            max_databases: 10,
            state: NodeState::Active,
            version: 1,
        };
        exec(vec![syscatalog::upsert_node(&node, 1)]).await.unwrap();
    }

    // Two creators at once: one database, the winner's replicas.
    let a = syscatalog::create_database(
        &db("shop_race", "a"),
        &[
            replica("shop_race", "n1", 14001),
            replica("shop_race", "n2", 14001),
        ],
        2,
    );
    let b = syscatalog::create_database(
        &db("shop_race", "b"),
        &[
            replica("shop_race", "n3", 14002),
            replica("shop_race", "n4", 14002),
        ],
        2,
    );
    let (ra, rb) = tokio::join!(exec(a), exec(b));
    let (ra, rb) = (affected(&ra.unwrap()), affected(&rb.unwrap()));
    assert!(
        (ra == [1, 1, 1] && rb == [0, 0, 0]) || (ra == [0, 0, 0] && rb == [1, 1, 1]),
        "a {ra:?} b {rb:?}"
    );
    let rows = into_ok(
        client
            .query(
                &[syscatalog::select_replicas("shop_race")],
                pgrq::rqlite::Level::Strong,
            )
            .await
            .unwrap(),
    )
    .unwrap();
    let values = &rows[0].rows.as_ref().expect("rows").values;
    let nodes: Vec<String> = values
        .iter()
        .map(|r| ReplicaRecord::from_row(r).unwrap().node_id)
        .collect();
    let winner_nodes = if ra[0] == 1 {
        ["n1", "n2"]
    } else {
        ["n3", "n4"]
    };
    assert_eq!(nodes, winner_nodes);

    // A transition from a stale version does nothing.
    let ok = exec(vec![syscatalog::transition(
        "shop_race",
        1,
        DbState::Active,
        "t1",
        3,
    )]);
    assert_eq!(affected(&ok.await.unwrap()), [1]);
    let stale = exec(vec![syscatalog::transition(
        "shop_race",
        1,
        DbState::Dropped,
        "t2",
        4,
    )]);
    assert_eq!(affected(&stale.await.unwrap()), [0]);

    // Two replacers of the same dead replica at once: one applies.
    let dead = winner_nodes[1];
    let spare = if ra[0] == 1 {
        ["n3", "n4"]
    } else {
        ["n1", "n2"]
    };
    let r1 = syscatalog::replace_replica(
        "shop_race",
        2,
        dead,
        &replica("shop_race", spare[0], 14100),
        "x",
        5,
    );
    let r2 = syscatalog::replace_replica(
        "shop_race",
        2,
        dead,
        &replica("shop_race", spare[1], 14200),
        "y",
        5,
    );
    let (x, y) = tokio::join!(exec(r1), exec(r2));
    let (x, y) = (affected(&x.unwrap()), affected(&y.unwrap()));
    assert!(
        (x == [1, 1, 1] && y == [0, 0, 0]) || (x == [0, 0, 0] && y == [1, 1, 1]),
        "x {x:?} y {y:?}"
    );
    // A replica on a node the catalog does not know breaks the foreign key (-fk).
    let orphan = syscatalog::create_database(
        &db("shop_fk", "f"),
        &[replica("shop_fk", "nowhere", 14300)],
        6,
    );
    let err = client.execute(&orphan, true).await.unwrap();
    assert!(into_ok(err).is_err(), "foreign key not enforced");
    let count = client
        .query(
            &[pgrq::rqlite::Stmt::new(
                "SELECT COUNT(*) FROM databases WHERE name = 'shop_fk'",
            )],
            pgrq::rqlite::Level::Strong,
        )
        .await
        .unwrap();
    let count = into_ok(count).unwrap();
    assert_eq!(
        count[0].rows.as_ref().expect("rows").values,
        [[Value::Integer(0)]],
        "the failed creation was rolled back"
    );
}

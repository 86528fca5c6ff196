//! The catalog's SQL run against an in-memory SQLite, each decision as one transaction (as
//! rqlite runs `/db/execute?transaction`): races between writers resolve to one winner.

use rusqlite::Connection;
use rusqlite::types::Value as Sql;

use super::*;

/// Rows affected and rows returned, per statement.
type Outcome = Vec<(usize, Vec<Vec<Value>>)>;

fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Integer(n) => Sql::Integer(*n),
        Value::Real(f) => Sql::Real(*f),
        Value::Text(s) => Sql::Text(s.clone()),
        Value::Blob(b) => Sql::Blob(b.clone()),
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
    }
}

fn from_sql(v: Sql) -> Value {
    match v {
        Sql::Null => Value::Null,
        Sql::Integer(n) => Value::Integer(n),
        Sql::Real(f) => Value::Real(f),
        Sql::Text(s) => Value::Text(s),
        Sql::Blob(b) => Value::Blob(b),
    }
}

/// Runs `stmts` atomically: all applied, or none (the error is returned).
fn run(conn: &mut Connection, stmts: &[Stmt]) -> Result<Outcome, String> {
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for s in stmts {
        let mut prepared = tx.prepare(&s.sql).map_err(|e| e.to_string())?;
        let params: Vec<Sql> = s.params.iter().map(to_sql).collect();
        let params = rusqlite::params_from_iter(params);
        if prepared.column_count() > 0 {
            let n = prepared.column_count();
            let rows = prepared
                .query_map(params, |r| {
                    (0..n).map(|i| r.get::<_, Sql>(i).map(from_sql)).collect()
                })
                .map_err(|e| e.to_string())?
                .collect::<Result<Vec<Vec<Value>>, _>>()
                .map_err(|e| e.to_string())?;
            out.push((0, rows));
        } else {
            let n = prepared.execute(params).map_err(|e| e.to_string())?;
            out.push((n, Vec::new()));
        }
    }
    tx.commit().map_err(|e| e.to_string())?;
    Ok(out)
}

fn query(conn: &mut Connection, stmt: Stmt) -> Vec<Vec<Value>> {
    run(conn, &[stmt]).unwrap().remove(0).1
}

fn catalog() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    run(&mut conn, &schema()).unwrap();
    for (i, id) in ["n1", "n2", "n3", "n4"].iter().enumerate() {
        let node = NodeRecord {
            id: (*id).into(),
            proxy_addr: format!("10.0.0.{}:5432", i + 1),
            rqlite_host: format!("10.0.0.{}", i + 1),
            gossip_addrs: vec![format!("/ip4/10.0.0.{}/tcp/7480", i + 1)],
            max_databases: 10,
            state: NodeState::Active,
            version: 1,
        };
        run(&mut conn, &[upsert_node(&node, 1000)]).unwrap();
    }
    conn
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

fn replicas(name: &str, nodes: &[&str], port: u16) -> Vec<ReplicaRecord> {
    nodes
        .iter()
        .map(|n| ReplicaRecord {
            database: name.into(),
            node_id: (*n).into(),
            replica_id: format!("{name}-{n}"),
            http_port: Some(port),
            raft_port: Some(port + 1000),
        })
        .collect()
}

fn replicas_of(conn: &mut Connection, name: &str) -> Vec<ReplicaRecord> {
    query(conn, select_replicas(name))
        .iter()
        .map(|r| ReplicaRecord::from_row(r).unwrap())
        .collect()
}

fn database(conn: &mut Connection, name: &str) -> DatabaseRecord {
    DatabaseRecord::from_row(&query(conn, select_database(name))[0]).unwrap()
}

#[test]
fn schema_is_idempotent_and_versioned() {
    let mut conn = catalog();
    run(&mut conn, &schema()).unwrap();
    assert_eq!(
        query(&mut conn, schema_version()),
        [[Value::Text(SCHEMA_VERSION.to_string())]]
    );
}

#[test]
fn racing_creators_get_one_database() {
    let mut conn = catalog();
    let a = create_database(
        &db("shop_orders", "claim-a"),
        &replicas("shop_orders", &["n1", "n2", "n3"], 14001),
        2000,
    );
    let b = create_database(
        &db("shop_orders", "claim-b"),
        &replicas("shop_orders", &["n2", "n3", "n4"], 14101),
        2001,
    );
    let won_a = run(&mut conn, &a).unwrap();
    let won_b = run(&mut conn, &b).unwrap();
    assert_eq!(won_a[0].0, 1, "the first claim wins");
    assert_eq!(won_b[0].0, 0, "the second finds the database there");
    assert!(won_b[1..].iter().all(|(n, _)| *n == 0), "{won_b:?}");
    let d = database(&mut conn, "shop_orders");
    assert_eq!(
        (d.claim.as_str(), d.state, d.version),
        ("claim-a", DbState::Creating, 1)
    );
    let nodes: Vec<String> = replicas_of(&mut conn, "shop_orders")
        .into_iter()
        .map(|r| r.node_id)
        .collect();
    assert_eq!(nodes, ["n1", "n2", "n3"]);
}

#[test]
fn a_port_taken_on_a_node_rolls_the_whole_creation_back() {
    let mut conn = catalog();
    run(
        &mut conn,
        &create_database(
            &db("shop_a", "c1"),
            &replicas("shop_a", &["n1", "n2", "n3"], 14001),
            1,
        ),
    )
    .unwrap();
    let clash = create_database(
        &db("shop_b", "c2"),
        &replicas("shop_b", &["n3", "n4", "n1"], 14001),
        2,
    );
    let err = run(&mut conn, &clash).unwrap_err();
    assert!(err.contains("UNIQUE"), "{err}");
    assert!(query(&mut conn, select_database("shop_b")).is_empty());
    assert!(replicas_of(&mut conn, "shop_b").is_empty());
}

#[test]
fn transitions_apply_only_from_the_version_read() {
    let mut conn = catalog();
    run(
        &mut conn,
        &create_database(&db("shop_x", "c1"), &replicas("shop_x", &["n1"], 14001), 1),
    )
    .unwrap();
    let ok = run(
        &mut conn,
        &[transition("shop_x", 1, DbState::Active, "c2", 5)],
    )
    .unwrap();
    assert_eq!(ok[0].0, 1);
    // A second writer that read version 1 too loses.
    let stale = run(
        &mut conn,
        &[transition("shop_x", 1, DbState::Hibernating, "c3", 6)],
    )
    .unwrap();
    assert_eq!(stale[0].0, 0);
    let d = database(&mut conn, "shop_x");
    assert_eq!(
        (d.state, d.version, d.claim.as_str()),
        (DbState::Active, 2, "c2")
    );
    let bad = run(
        &mut conn,
        &[Stmt::with_params(
            "UPDATE databases SET state = ? WHERE name = ?",
            vec![Value::Text("asleep".into()), Value::Text("shop_x".into())],
        )],
    );
    assert!(bad.unwrap_err().contains("CHECK"));
}

#[test]
fn racing_replacements_of_a_dead_replica_apply_once() {
    let mut conn = catalog();
    run(
        &mut conn,
        &create_database(
            &db("shop_y", "c1"),
            &replicas("shop_y", &["n1", "n2", "n3"], 14001),
            1,
        ),
    )
    .unwrap();
    let to_n4 = &replicas("shop_y", &["n4"], 14050)[0];
    let mut to_n4_again = to_n4.clone();
    to_n4_again.replica_id = "shop_y-n4-b".into();
    to_n4_again.http_port = Some(14060);
    to_n4_again.raft_port = Some(15060);
    let first = run(
        &mut conn,
        &replace_replica("shop_y", 1, "n3", to_n4, "r1", 9),
    )
    .unwrap();
    let second = run(
        &mut conn,
        &replace_replica("shop_y", 1, "n3", &to_n4_again, "r2", 9),
    )
    .unwrap();
    assert_eq!(
        first.iter().map(|o| o.0).collect::<Vec<_>>(),
        [1, 1, 1],
        "guard, delete, insert"
    );
    assert_eq!(second.iter().map(|o| o.0).collect::<Vec<_>>(), [0, 0, 0]);
    let now = replicas_of(&mut conn, "shop_y");
    let ids: Vec<&str> = now.iter().map(|r| r.replica_id.as_str()).collect();
    assert_eq!(ids, ["shop_y-n1", "shop_y-n2", "shop_y-n4"]);
    assert_eq!(now[2].http_port, Some(14050));
    assert_eq!(database(&mut conn, "shop_y").version, 2);
}

#[test]
fn nodes_upsert_and_loads_feed_placement() {
    let mut conn = catalog();
    let mut n1 = NodeRecord::from_row(&query(&mut conn, select_nodes())[0]).unwrap();
    assert_eq!((n1.id.as_str(), n1.version), ("n1", 1));
    n1.proxy_addr = "10.0.9.1:5432".into();
    run(&mut conn, &[upsert_node(&n1, 2000)]).unwrap();
    let again = NodeRecord::from_row(&query(&mut conn, select_nodes())[0]).unwrap();
    assert_eq!(
        (again.proxy_addr.as_str(), again.version),
        ("10.0.9.1:5432", 2)
    );
    assert_eq!(again.gossip_addrs, ["/ip4/10.0.0.1/tcp/7480"]);

    // A removed node does not come back by announcing itself.
    let removed = run(&mut conn, &[set_node_state("n4", 1, NodeState::Removed, 3)]).unwrap();
    assert_eq!(removed[0].0, 1);
    let mut n4 = NodeRecord::from_row(&query(&mut conn, select_nodes())[3]).unwrap();
    n4.state = NodeState::Active;
    let back = run(&mut conn, &[upsert_node(&n4, 4)]).unwrap();
    assert_eq!(back[0].0, 0);

    for (name, nodes) in [
        ("shop_a", ["n1", "n2", "n3"]),
        ("shop_b", ["n1", "n2", "n3"]),
    ] {
        let port = if name == "shop_a" { 14001 } else { 14002 };
        run(
            &mut conn,
            &create_database(&db(name, name), &replicas(name, &nodes, port), 1),
        )
        .unwrap();
    }
    run(
        &mut conn,
        &[transition("shop_b", 1, DbState::Dropped, "d", 2)],
    )
    .unwrap();
    let loads: Vec<NodeLoad> = query(&mut conn, node_loads())
        .iter()
        .map(|r| NodeLoad::from_row(r).unwrap())
        .collect();
    let counts: Vec<(&str, u32)> = loads
        .iter()
        .map(|l| (l.id.as_str(), l.current_databases))
        .collect();
    assert_eq!(
        counts,
        [("n1", 1), ("n2", 1), ("n3", 1)],
        "dropped and removed left out"
    );
    let on_n1: Vec<String> = query(&mut conn, replicas_on_node("n1"))
        .iter()
        .map(|r| ReplicaRecord::from_row(r).unwrap().database)
        .collect();
    assert_eq!(on_n1, ["shop_a"]);
}

#[test]
fn bad_rows_are_errors_not_panics() {
    let row = [
        Value::Text("db".into()),
        Value::Text("app".into()),
        Value::Text("sleeping".into()),
        Value::Integer(3),
        Value::Integer(1),
        Value::Text("c".into()),
    ];
    assert!(DatabaseRecord::from_row(&row).is_err());
    assert!(DatabaseRecord::from_row(&row[..2]).is_err());
    let port = [
        Value::Text("db".into()),
        Value::Text("n".into()),
        Value::Text("r".into()),
        Value::Integer(70000),
        Value::Integer(1),
    ];
    assert!(ReplicaRecord::from_row(&port).is_err());
}

#[test]
fn ports_are_recorded_once_by_the_hosting_node() {
    let mut conn = catalog();
    let mut rs = replicas("shop_p", &["n1", "n2"], 0);
    for r in &mut rs {
        r.http_port = None;
        r.raft_port = None;
    }
    run(&mut conn, &create_database(&db("shop_p", "c"), &rs, 1)).unwrap();
    assert_eq!(replicas_of(&mut conn, "shop_p")[0].http_port, None);
    let first = run(
        &mut conn,
        &[set_replica_ports("shop_p", "n1", 14001, 15001)],
    )
    .unwrap();
    let again = run(
        &mut conn,
        &[set_replica_ports("shop_p", "n1", 14002, 15002)],
    )
    .unwrap();
    assert_eq!((first[0].0, again[0].0), (1, 0));
    let now = replicas_of(&mut conn, "shop_p");
    assert_eq!(
        (now[0].http_port, now[0].raft_port),
        (Some(14001), Some(15001))
    );
    assert_eq!(now[1].http_port, None);
    let all: Vec<String> = query(&mut conn, select_databases())
        .iter()
        .map(|r| DatabaseRecord::from_row(r).unwrap().name)
        .collect();
    assert_eq!(all, ["shop_p"]);
    assert_eq!(query(&mut conn, select_all_replicas()).len(), 2);
}

#[test]
fn a_waking_replica_moves_ports_only_from_the_ones_it_held() {
    let mut conn = catalog();
    run(
        &mut conn,
        &create_database(
            &db("shop_m", "c"),
            &replicas("shop_m", &["n1", "n2"], 14001),
            1,
        ),
    )
    .unwrap();
    let stale = run(
        &mut conn,
        &[move_replica_ports(
            "shop_m",
            "n1",
            (14009, 15009),
            (14002, 15002),
        )],
    )
    .unwrap();
    let moved = run(
        &mut conn,
        &[move_replica_ports(
            "shop_m",
            "n1",
            (14001, 15001),
            (14002, 15002),
        )],
    )
    .unwrap();
    assert_eq!((stale[0].0, moved[0].0), (0, 1));
    let now = replicas_of(&mut conn, "shop_m");
    assert_eq!(
        (now[0].http_port, now[0].raft_port, now[1].http_port),
        (Some(14002), Some(15002), Some(14001))
    );
}

#[test]
fn a_hibernated_replica_s_ports_go_to_another_only_while_it_sleeps() {
    let mut conn = catalog();
    run(
        &mut conn,
        &create_database(&db("shop_h", "c"), &replicas("shop_h", &["n1"], 14001), 1),
    )
    .unwrap();
    let mut fresh = replicas("shop_n", &["n1"], 0);
    fresh[0].http_port = None;
    fresh[0].raft_port = None;
    run(&mut conn, &create_database(&db("shop_n", "c"), &fresh, 1)).unwrap();
    // Held by shop_h: a plain claim of its ports affects no row (and fails nothing).
    let plain = run(
        &mut conn,
        &[set_replica_ports("shop_n", "n1", 14001, 15001)],
    )
    .unwrap();
    assert_eq!(plain[0].0, 0);
    let take = |conn: &mut Connection| {
        run(
            conn,
            &[
                take_hibernated_ports("shop_h", "n1", (14001, 15001), "shop_n", None),
                set_replica_ports("shop_n", "n1", 14001, 15001),
            ],
        )
        .unwrap()
    };
    // shop_h is not hibernating (creating): its ports stay.
    let out = take(&mut conn);
    assert_eq!((out[0].0, out[1].0), (0, 0));
    run(
        &mut conn,
        &[transition("shop_h", 1, DbState::Hibernating, "h", 2)],
    )
    .unwrap();
    let out = take(&mut conn);
    assert_eq!((out[0].0, out[1].0), (1, 1));
    assert_eq!(replicas_of(&mut conn, "shop_h")[0].http_port, None);
    assert_eq!(replicas_of(&mut conn, "shop_n")[0].http_port, Some(14001));
    // Woken again (no ports: it gets new ones), it never gets the taken ones back.
    run(
        &mut conn,
        &[transition("shop_h", 2, DbState::Waking, "w", 3)],
    )
    .unwrap();
    let back = run(
        &mut conn,
        &[set_replica_ports("shop_h", "n1", 14001, 15001)],
    )
    .unwrap();
    assert_eq!(back[0].0, 0);
    let moved = run(
        &mut conn,
        &[move_replica_ports(
            "shop_n",
            "n1",
            (14001, 15001),
            (14001, 15002),
        )],
    )
    .unwrap();
    assert_eq!(moved[0].0, 0, "the new pair overlaps the held one");
}

#[path = "moves_tests.rs"]
mod moves;

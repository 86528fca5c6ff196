//! The move, recovery, rollback and drop statements on SQLite.

use super::*;

fn active(conn: &mut Connection, name: &str) {
    let stmts = create_database(
        &db(name, "c1"),
        &replicas(name, &["n1", "n2", "n3"], 14001),
        1,
    );
    run(conn, &stmts).unwrap();
    run(conn, &[transition(name, 1, DbState::Active, "a", 2)]).unwrap();
}

fn ids(conn: &mut Connection, name: &str) -> Vec<String> {
    replicas_of(conn, name)
        .into_iter()
        .map(|r| r.replica_id)
        .collect()
}

#[test]
fn a_drain_adds_then_removes_each_once() {
    let mut conn = catalog();
    active(&mut conn, "shop_d");
    let new = &replicas("shop_d", &["n4"], 14050)[0];
    let add = run(&mut conn, &add_replica("shop_d", 2, new, "m1", 3)).unwrap();
    let again = run(&mut conn, &add_replica("shop_d", 2, new, "m2", 3)).unwrap();
    assert_eq!(add.iter().map(|o| o.0).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(again.iter().map(|o| o.0).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(ids(&mut conn, "shop_d").len(), 4);
    let rm = run(&mut conn, &remove_replica("shop_d", 3, "n1", "m3", 4)).unwrap();
    let stale = run(&mut conn, &remove_replica("shop_d", 3, "n2", "m4", 4)).unwrap();
    assert_eq!(rm.iter().map(|o| o.0).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(stale.iter().map(|o| o.0).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(
        ids(&mut conn, "shop_d"),
        ["shop_d-n2", "shop_d-n3", "shop_d-n4"]
    );
    assert_eq!(database(&mut conn, "shop_d").version, 4);
}

#[test]
fn moves_apply_only_to_active_databases() {
    let mut conn = catalog();
    let stmts = create_database(
        &db("shop_c", "c1"),
        &replicas("shop_c", &["n1", "n2", "n3"], 14001),
        1,
    );
    run(&mut conn, &stmts).unwrap();
    let new = &replicas("shop_c", &["n4"], 14050)[0];
    let out = run(&mut conn, &add_replica("shop_c", 1, new, "m1", 3)).unwrap();
    assert_eq!(out[0].0, 0, "a creating database is not moved");
}

#[test]
fn recovery_swaps_every_lost_replica_and_skips_the_ids_it_used() {
    let mut conn = catalog();
    active(&mut conn, "shop_r");
    let mut new = replicas("shop_r", &["n4"], 14050);
    new[0].replica_id = "shop_r-v3".into();
    let lost = vec!["n2".to_string(), "n3".to_string()];
    let out = run(
        &mut conn,
        &recover_replicas("shop_r", 2, &lost, &new, "r1", 5),
    )
    .unwrap();
    assert_eq!(out.iter().map(|o| o.0).collect::<Vec<_>>(), [1, 1, 1, 1]);
    assert_eq!(ids(&mut conn, "shop_r"), ["shop_r-n1", "shop_r-v3"]);
    assert_eq!(database(&mut conn, "shop_r").version, 3);
}

#[test]
fn a_rollback_removes_only_the_creation_it_saw() {
    let mut conn = catalog();
    let stmts = create_database(
        &db("shop_k", "c1"),
        &replicas("shop_k", &["n1", "n2", "n3"], 14001),
        1,
    );
    run(&mut conn, &stmts).unwrap();
    // Another creator's claim: nothing happens.
    let other = run(&mut conn, &roll_back_creation("shop_k", 1, "c2")).unwrap();
    assert_eq!(other[1].0, 0);
    assert_eq!(ids(&mut conn, "shop_k").len(), 3);
    let out = run(&mut conn, &roll_back_creation("shop_k", 1, "c1")).unwrap();
    assert_eq!(out.iter().map(|o| o.0).collect::<Vec<_>>(), [3, 1]);
    assert!(query(&mut conn, select_database("shop_k")).is_empty());
    // The name can be created again.
    let again = create_database(
        &db("shop_k", "c3"),
        &replicas("shop_k", &["n2", "n3", "n4"], 14101),
        9,
    );
    assert_eq!(run(&mut conn, &again).unwrap()[0].0, 1);
}

#[test]
fn a_dropped_database_goes_with_its_last_replica_row() {
    let mut conn = catalog();
    active(&mut conn, "shop_x");
    // Not dropped: nothing is forgotten.
    let out = run(&mut conn, &forget_dropped_replica("shop_x", "n1")).unwrap();
    assert_eq!(out[0].0, 0);
    run(
        &mut conn,
        &[transition("shop_x", 2, DbState::Dropped, "d", 3)],
    )
    .unwrap();
    for (i, n) in ["n1", "n2", "n3"].iter().enumerate() {
        let out = run(&mut conn, &forget_dropped_replica("shop_x", n)).unwrap();
        assert_eq!(out[0].0, 1);
        assert_eq!(out[1].0, usize::from(i == 2), "database row after the last");
    }
    assert!(query(&mut conn, select_database("shop_x")).is_empty());
}

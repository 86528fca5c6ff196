use super::*;
use crate::syscatalog::NodeRecord;

fn node(id: &str, state: NodeState) -> NodeRecord {
    NodeRecord {
        id: id.into(),
        proxy_addr: String::new(),
        rqlite_host: "127.0.0.1".into(),
        gossip_addrs: vec![],
        max_databases: 10,
        state,
        version: 1,
    }
}

fn db(name: &str) -> DatabaseRecord {
    DatabaseRecord {
        name: name.into(),
        app: "demo".into(),
        state: DbState::Active,
        replication_factor: 3,
        version: 4,
        claim: "c".into(),
    }
}

fn rep(db: &str, node: &str, id: &str) -> ReplicaRecord {
    ReplicaRecord {
        database: db.into(),
        node_id: node.into(),
        replica_id: format!("{db}-{id}"),
        http_port: Some(4000),
        raft_port: Some(5000),
    }
}

fn inv(snap: &Snapshot) -> Vec<NodeInventory> {
    snap.nodes
        .iter()
        .filter(|n| n.state == NodeState::Active)
        .map(|n| NodeInventory {
            id: n.id.clone(),
            healthy: true,
            max_databases: 10,
            current_databases: snap.replicas.iter().filter(|r| r.node_id == n.id).count() as u32,
            free_ports: 10,
        })
        .collect()
}

fn snap(draining: &str, reps: &[(&str, &str)]) -> Snapshot {
    Snapshot {
        nodes: ["a", "b", "c", "d"]
            .iter()
            .map(|n| {
                let s = if *n == draining {
                    NodeState::Draining
                } else {
                    NodeState::Active
                };
                node(n, s)
            })
            .collect(),
        databases: vec![db("demo_x")],
        replicas: reps.iter().map(|(n, id)| rep("demo_x", n, id)).collect(),
    }
}

#[test]
fn a_drain_adds_on_the_free_node_first_then_retires() {
    let all = |_: &str| true;
    let s = snap("a", &[("a", "1"), ("b", "2"), ("c", "3")]);
    // Driven by the holder of the first staying replica only.
    assert!(plan(&s, &inv(&s), &all, "c").0.is_empty());
    let (moves, stuck) = plan(&s, &inv(&s), &all, "b");
    assert!(stuck.is_empty());
    let [Move::Add { new, .. }] = moves.as_slice() else {
        panic!("{moves:?}")
    };
    assert_eq!(new.node_id, "d", "the only active node without a replica");
    assert_eq!(new.replica_id, "demo_x-v5");
    let s = snap("a", &[("a", "1"), ("b", "2"), ("c", "3"), ("d", "v5")]);
    let (moves, _) = plan(&s, &inv(&s), &all, "b");
    let [Move::Retire { leaving, .. }] = moves.as_slice() else {
        panic!("{moves:?}")
    };
    assert_eq!(leaving.node_id, "a");
    let s = snap("a", &[("b", "2"), ("c", "3"), ("d", "v5")]);
    assert!(plan(&s, &inv(&s), &all, "b").0.is_empty(), "done");
}

#[test]
fn nothing_moves_while_a_holder_is_unhealthy_or_no_node_is_free() {
    let s = snap("a", &[("a", "1"), ("b", "2"), ("c", "3")]);
    let not_c = |id: &str| id != "c";
    assert!(plan(&s, &inv(&s), &not_c, "b").0.is_empty());
    let mut s = s;
    s.nodes.retain(|n| n.id != "d");
    let (moves, stuck) = plan(&s, &inv(&s), &|_: &str| true, "b");
    assert!(moves.is_empty());
    assert_eq!(stuck.len(), 1, "{stuck:?}");
}

#[test]
fn an_under_replicated_database_gets_a_replica() {
    let s = snap("", &[("b", "2"), ("c", "3")]);
    let (moves, _) = plan(&s, &inv(&s), &|_: &str| true, "b");
    assert!(matches!(moves.as_slice(), [Move::Add { .. }]), "{moves:?}");
}

#[test]
fn a_hibernated_database_on_a_draining_node_is_woken_by_its_driver() {
    let all = |_: &str| true;
    let mut s = snap("a", &[("a", "1"), ("b", "2"), ("c", "3")]);
    s.databases[0].state = DbState::Hibernating;
    assert!(plan(&s, &inv(&s), &all, "c").0.is_empty(), "b drives");
    let (moves, _) = plan(&s, &inv(&s), &all, "b");
    let [Move::Wake { database }] = moves.as_slice() else {
        panic!("{moves:?}")
    };
    assert_eq!(database.name, "demo_x");
    // Not while a holder is unhealthy (the wake could not finish), nor off no drain.
    assert!(plan(&s, &inv(&s), &|id: &str| id != "c", "b").0.is_empty());
    let mut s = snap("", &[("a", "1"), ("b", "2"), ("c", "3")]);
    s.databases[0].state = DbState::Hibernating;
    assert!(plan(&s, &inv(&s), &all, "a").0.is_empty());
}

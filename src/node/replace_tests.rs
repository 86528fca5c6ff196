use super::*;
use crate::syscatalog::NodeRecord;

fn peer(id: &str, healthy: bool) -> PeerView {
    crate::node::test_peers::peer(id, healthy, vec![])
}

fn node(id: &str) -> NodeRecord {
    NodeRecord {
        id: id.into(),
        proxy_addr: String::new(),
        rqlite_host: "127.0.0.1".into(),
        gossip_addrs: vec![],
        max_databases: 10,
        state: NodeState::Active,
        version: 1,
    }
}

fn db(name: &str, state: DbState, version: i64) -> DatabaseRecord {
    DatabaseRecord {
        name: name.into(),
        app: "demo".into(),
        state,
        replication_factor: 3,
        version,
        claim: "c".into(),
    }
}

fn rep(db: &str, node: &str, n: u16) -> ReplicaRecord {
    ReplicaRecord {
        database: db.into(),
        node_id: node.into(),
        replica_id: format!("{db}-{n}"),
        http_port: Some(4000 + n),
        raft_port: Some(5000 + n),
    }
}

/// Four nodes a–d; `demo_x` on a, b, c.
fn four_nodes() -> Snapshot {
    Snapshot {
        nodes: ["a", "b", "c", "d"].into_iter().map(node).collect(),
        databases: vec![db("demo_x", DbState::Active, 2)],
        replicas: vec![
            rep("demo_x", "a", 1),
            rep("demo_x", "b", 2),
            rep("demo_x", "c", 3),
        ],
    }
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn unhealthy_nodes_are_dead_and_absent_ones_only_after_the_grace() {
    let mut snap = four_nodes();
    snap.nodes.push(node("e"));
    let peers = [peer("b", true), peer("c", false), peer("d", true)];
    assert_eq!(dead_nodes(&snap, &peers, "a", false), Some(set(&["c"])));
    assert_eq!(dead_nodes(&snap, &peers, "a", true), Some(set(&["c", "e"])));
    // Seeing only itself and one more of five healthy: no majority, no verdict.
    let cut_off = [peer("b", true), peer("c", false), peer("d", false)];
    assert_eq!(dead_nodes(&snap, &cut_off, "a", false), None);
}

#[test]
fn a_live_holder_proposes_a_node_without_a_replica_and_a_fresh_id() {
    let snap = four_nodes();
    let peers = [peer("a", true), peer("b", true), peer("d", true)];
    let inv = inventory::from_catalog(&snap, &peers);
    let dead = set(&["c"]);
    let (todo, stuck) = plan(&snap, &inv, &dead, "a");
    assert!(stuck.is_empty(), "{stuck:?}");
    assert_eq!(todo.len(), 1);
    let r = &todo[0];
    assert_eq!((r.dead_node.as_str(), r.new.node_id.as_str()), ("c", "d"));
    assert_eq!(r.new.replica_id, "demo_x-v3");
    assert!(
        snap.replicas
            .iter()
            .all(|x| x.replica_id != r.new.replica_id)
    );
    assert_eq!((r.new.http_port, r.new.raft_port), (None, None));
    // Every live holder proposes the same; a node holding no replica proposes nothing.
    assert_eq!(plan(&snap, &inv, &dead, "b").0, todo);
    assert!(plan(&snap, &inv, &dead, "d").0.is_empty());
}

#[test]
fn no_majority_or_no_capacity_is_reported_not_attempted() {
    let mut snap = four_nodes();
    let peers = [peer("a", true), peer("b", true), peer("d", true)];
    let inv = inventory::from_catalog(&snap, &peers);
    let (todo, stuck) = plan(&snap, &inv, &set(&["b", "c"]), "a");
    assert!(todo.is_empty());
    assert!(stuck[0].contains("only 1 of 3"), "{stuck:?}");
    // d is full: nowhere to go.
    snap.nodes[3].max_databases = 0;
    let inv = inventory::from_catalog(&snap, &peers);
    let (todo, stuck) = plan(&snap, &inv, &set(&["c"]), "a");
    assert!(todo.is_empty());
    assert!(stuck[0].contains("no node can take"), "{stuck:?}");
    // A database not active (being created) is left alone.
    snap.databases[0].state = DbState::Creating;
    assert_eq!(plan(&snap, &inv, &set(&["c"]), "a"), (vec![], vec![]));
}

#[test]
fn the_cluster_must_match_the_catalog_and_see_only_the_dead_replica_gone() {
    let snap = four_nodes();
    let reps: Vec<&ReplicaRecord> = snap.replicas_of("demo_x").collect();
    let m = |id: &str, reachable: bool| Member {
        id: id.into(),
        reachable,
    };
    let good = [
        m("demo_x-1", true),
        m("demo_x-2", true),
        m("demo_x-3", false),
    ];
    assert_eq!(check_members(&reps, "c", &good), Ok(()));
    // Gossip says c is dead but its replica still answers: no replacement.
    let alive = [
        m("demo_x-1", true),
        m("demo_x-2", true),
        m("demo_x-3", true),
    ];
    assert!(check_members(&reps, "c", &alive).is_err());
    // Another replica unreachable too: replacing would risk the majority.
    let two = [
        m("demo_x-1", true),
        m("demo_x-2", false),
        m("demo_x-3", false),
    ];
    assert!(check_members(&reps, "c", &two).is_err());
    // An earlier replacement not finished (old member still in Raft): wait.
    let mut pending = good.to_vec();
    pending.push(m("demo_x-0", false));
    assert!(check_members(&reps, "c", &pending).is_err());
    // The dead replica never joined (its node died first): the others are the membership.
    let never_joined = [m("demo_x-1", true), m("demo_x-2", true)];
    assert_eq!(check_members(&reps, "c", &never_joined), Ok(()));
    // ... but not when another catalog replica is missing from it too.
    assert!(check_members(&reps, "c", &[m("demo_x-1", true)]).is_err());
}
